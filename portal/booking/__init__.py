"""Self-scheduling: candidates book, change and cancel interview times themselves."""
