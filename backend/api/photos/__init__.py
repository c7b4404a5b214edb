"""Photos over HTTP: upload, direct upload, serving variants, moderation."""
