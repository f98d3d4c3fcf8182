"""The outbox, email rendering, calendar files and the delivery worker."""
