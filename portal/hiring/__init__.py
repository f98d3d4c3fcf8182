"""Openings, candidates, applications, stages and interviews."""
