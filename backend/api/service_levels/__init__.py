"""Service levels: targets, calendars, priorities and overdue work."""
