"""Use cases: plain arguments in, models out. No Flask here; callers commit."""

# Its session hooks replace the settings' version on every change to them, whoever writes.
from backend.services import settings_cache  # noqa: E402, F401
