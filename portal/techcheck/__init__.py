"""The browser tech check: measurements in the candidate's browser, scoring here."""
