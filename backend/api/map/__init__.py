"""Requests on the map: nearby, in a box, and clustered."""
