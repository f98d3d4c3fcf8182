"""The lifecycle of an application: see ``lifecycle``; the candidate's view of it: ``view``."""
