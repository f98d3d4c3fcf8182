"""Talent-pool consent, the candidate's data rights, and the audit log."""
