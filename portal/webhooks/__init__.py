"""Webhooks: events told to other systems, signed, queued, retried and logged."""
