"""The talent pool: profiles, search, saved searches, re-contact and retention holds."""
