"""The PWA's settings over HTTP: branding, map and languages."""
