"""Reference checks: referees named by the candidate with consent, and their answers."""
