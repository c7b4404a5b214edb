"""Exports of requests (CSV, GeoJSON) for analysis, streamed."""
