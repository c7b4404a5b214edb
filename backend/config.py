"""Settings, read from environment variables only (12-factor).

The embedded default needs no service: a SQLite file and a photo folder under
``FRONTDOOR_DATA_DIR`` (``./instance`` unless set).
"""

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path


def _data_dir() -> Path:
    return Path(os.environ.get("FRONTDOOR_DATA_DIR", "instance")).resolve()


@dataclass
class Config:
    DATABASE_URL: str = ""
    PHOTO_STORAGE: str = "local"  # "local" or "s3"
    PHOTO_DIR: str = ""
    S3_BUCKET: str = ""
    S3_PREFIX: str = "photos/"
    S3_ENDPOINT_URL: str = ""
    # Largest photo accepted, in bytes and in decoded pixels (backend.media.pipeline).
    PHOTO_MAX_BYTES: int = 20 * 1024 * 1024
    PHOTO_MAX_PIXELS: int = 50_000_000
    SECRET_KEY: str = "dev-only-not-secret"
    TOKEN_HOURS: int = 12
    CITY_NAME: str = "Frontdoor City"
    # Open311: the jurisdiction this server answers for, and discovery's contact lines.
    OPEN311_JURISDICTION_ID: str = ""
    OPEN311_CONTACT: str = ""
    OPEN311_KEY_SERVICE: str = ""
    # The PWA's map. An empty tile URL shows the map without a base layer (no network needed).
    MAP_TILE_URL: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_TILE_ATTRIBUTION: str = "© OpenStreetMap contributors"
    MAP_CENTER_LAT: float = 34.0537  # the demo city; set your own
    MAP_CENTER_LON: float = -118.2427
    MAP_ZOOM: int = 13
    # The PWA's languages, comma-separated; the first is the default.
    LANGUAGES: str = "en,es"
    THEME_COLOR: str = "#0b5394"
    # Zone kind whose polygons outline the city; reports outside it are refused.
    BOUNDARY_ZONE_KIND: str = "city"
    # "Is it already reported?" looks at open requests created within this many days.
    DUPLICATE_WINDOW_DAYS: int = 30
    MAX_DESCRIPTION_CHARS: int = 4000
    # Where escalations of overdue requests go: one address, or one per department queue
    # with "{department}" (its code, lower case), e.g. dispatch+{department}@example.gov
    DISPATCH_EMAIL: str = ""
    MAX_CONTENT_LENGTH: int = 30 * 1024 * 1024
    # Messages to residents (backend.notify). Links in messages start with PUBLIC_BASE_URL.
    PUBLIC_BASE_URL: str = "http://localhost:5000"
    MAIL_SENDER: str = "smtp"  # "smtp" or "ses"
    MAIL_FROM: str = "Frontdoor City <no-reply@localhost>"
    SMTP_HOST: str = "localhost"
    SMTP_PORT: int = 25
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_STARTTLS: bool = False
    SMTP_SSL: bool = False
    SES_REGION: str = ""
    SES_CONFIGURATION_SET: str = ""
    # Web Push (VAPID): base64url keys; `flask outbox vapid-keys` makes a pair.
    VAPID_PRIVATE_KEY: str = ""
    VAPID_PUBLIC_KEY: str = ""
    VAPID_SUBJECT: str = "mailto:no-reply@localhost"
    # Plain-http push endpoints are refused unless this is set (only for local testing).
    PUSH_ALLOW_HTTP: bool = False
    # "Was it fixed?": days after the fix during which the resident may reopen.
    REOPEN_WINDOW_DAYS: int = 14
    # `flask privacy anonymise-contacts` forgets reporters' and followers' contact details
    # this many days after a request closed (at least REOPEN_WINDOW_DAYS).
    CONTACT_RETENTION_DAYS: int = 180
    OUTBOX_MAX_ATTEMPTS: int = 8
    # Dates in messages are given in this time zone.
    MESSAGE_TIMEZONE: str = "UTC"
    # Rate limits (flask-limiter syntax; backend.api.limits). Counts are kept in memory, per
    # process, unless RATELIMIT_STORAGE_URI names a Redis shared by every process.
    RATELIMIT_ENABLED: bool = True
    RATELIMIT_STORAGE_URI: str = "memory://"
    RATELIMIT_KEY_PREFIX: str = "frontdoor"
    RATE_LIMIT_SUBMIT: str = "10 per minute;100 per day"  # per address; staff are exempt
    RATE_LIMIT_PHOTOS: str = "30 per minute;300 per day"
    RATE_LIMIT_LOGIN: str = "20 per minute"  # attempts per address
    RATE_LIMIT_LOGIN_FAILURES: str = "10 per 15 minutes"  # wrong passwords per username
    RATE_LIMIT_OPEN311_ADDRESS: str = "120 per minute"  # besides each key's own hourly limit
    # Behind a reverse proxy or load balancer: how many of them append X-Forwarded-For,
    # so limits and logs see the client's address (0: clients connect directly).
    PROXY_HOPS: int = 0
    # Strict-Transport-Security max-age in seconds: set it (e.g. 31536000) once the site is
    # served over HTTPS only; 0 sends no HSTS header.
    HSTS_SECONDS: int = 0
    API_TITLE: str = "Frontdoor"
    API_VERSION: str = "v1"
    OPENAPI_VERSION: str = "3.0.3"
    OPENAPI_URL_PREFIX: str = "/api"
    OPENAPI_JSON_PATH: str = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH: str = "docs"
    OPENAPI_SWAGGER_UI_URL: str = "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"
    TESTING: bool = False

    def __post_init__(self):
        data = _data_dir()
        self.DATABASE_URL = self.DATABASE_URL or f"sqlite:///{data / 'frontdoor.db'}"
        self.PHOTO_DIR = self.PHOTO_DIR or str(data / "photos")

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        """Every field may be set by an environment variable of the same name."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f.name)
            if raw is None:
                continue
            values[f.name] = _coerce(raw, f.type)
        values.update(overrides)
        return cls(**values)

    def as_flask(self) -> dict:
        return asdict(self)


def _coerce(raw: str, kind):
    if kind in (bool, "bool"):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    return raw
