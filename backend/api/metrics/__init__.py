"""Management information for staff: volume, backlog, time to close, compliance, hotspots."""
