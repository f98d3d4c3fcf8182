"""Decisions on candidates and the messages that tell them, fast."""
