"""Availability for self-scheduling: interviewers' working hours, their connected
calendars (CalDAV or an ICS address) read into a cache of busy blocks, the slot engine
that finds free times for a panel, and the write-back of interviews to CalDAV calendars."""
