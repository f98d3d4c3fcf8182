"""Structured interviews: interview kits, independent scorecards, comparison."""
