"""Signed magic links for candidates."""
