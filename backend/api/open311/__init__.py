"""Open311 GeoReport v2: the standard other 311 apps and city systems speak."""
