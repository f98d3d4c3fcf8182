"""Candidates who let themselves in: the public page of an opening, CSV imports, and
merging two records of one person."""
