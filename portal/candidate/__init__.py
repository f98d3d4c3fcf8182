"""The candidate-facing portal (pages only; the work is in services)."""
