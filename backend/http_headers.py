"""Headers that keep browsers safe, on every response.

- Content-Security-Policy: the PWA loads only its own scripts and styles (no inline code),
  images from itself, photo previews (blob:) and the configured map tiles; the API's JSON
  may not be framed or run as a page; the API docs page may use the Swagger UI CDN.
- Strict-Transport-Security once HSTS_SECONDS is set (production, behind HTTPS).
- X-Content-Type-Options, Referrer-Policy, and frame-ancestors 'none' with X-Frame-Options
  for older browsers.
- Cross-origin reads only where meant: Open311 GET (set by its blueprint), nowhere else.
- Cookies (the app sets none) would be HttpOnly, Secure and SameSite=Strict.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


def init_app(app: Flask) -> None:
    config = app.config
    config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=True,
                  SESSION_COOKIE_SAMESITE="Strict")
    app.session_interface = UnusedSessionInterface()
    if config["PROXY_HOPS"]:
        hops = config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    pwa_policy = pwa_content_security_policy(config)
    docs_policy = docs_content_security_policy(config)
    docs_path = f"{config['OPENAPI_URL_PREFIX'].rstrip('/')}/{config['OPENAPI_SWAGGER_UI_PATH']}"
    # Built once: every response gets these unless its view set its own.
    fixed = [("X-Content-Type-Options", "nosniff"),
             ("Referrer-Policy", "strict-origin-when-cross-origin"),
             ("X-Frame-Options", "DENY"),
             ("Cross-Origin-Opener-Policy", "same-origin")]
    if config["HSTS_SECONDS"]:
        fixed.append(("Strict-Transport-Security",
                      f"max-age={config['HSTS_SECONDS']}; includeSubDomains"))
    defaults = {policy: [(name.lower(), name, value) for name, value in
                         [("Content-Security-Policy", policy), *fixed]]
                for policy in (API_POLICY, pwa_policy, docs_policy)}

    @app.after_request
    def safe_headers(response: Response) -> Response:
        headers = response.headers
        present = set()
        mimetype = None
        for name, value in headers:  # a plain walk: Headers' own lookups cost far more
            lowered = name.lower()
            present.add(lowered)
            if lowered == "content-type" and mimetype is None:
                mimetype = value.partition(";")[0].strip()
        current = request._get_current_object()
        if current.path == docs_path:
            policy = docs_policy
        elif mimetype == "text/html" or current.blueprint == "web":
            policy = pwa_policy
        else:
            policy = API_POLICY
        for lowered, name, value in defaults[policy]:
            if lowered not in present:
                headers.add(name, value)
        return response


class UnusedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, skipped while nothing uses it: the app keeps no state
    in cookies, so a request without cookies gets an empty session without building
    the signer, and an empty session nobody touched is not saved (nothing to send)."""

    def open_session(self, app, request):
        if "HTTP_COOKIE" not in request.environ and app.secret_key:
            return self.session_class()  # no cookies at all: nothing to read or verify
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


def pwa_content_security_policy(config) -> str:
    tiles = tile_source(config["MAP_TILE_URL"])
    photos = photo_sources(config)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *tiles, *photos],
        "connect-src": ["'self'", *photos],
        "font-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(sources))}"
                     for name, sources in directives.items())


def docs_content_security_policy(config) -> str:
    cdn = origin(config["OPENAPI_SWAGGER_UI_URL"])
    # flask-smorest's Swagger UI page starts the bundle with a short inline script.
    return (f"default-src 'none'; script-src {cdn} 'unsafe-inline'; "
            f"style-src {cdn} 'unsafe-inline'; img-src 'self' data: {cdn}; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def tile_source(template: str) -> list[str]:
    """The map tiles' origin: "{s}" subdomains become a wildcard. No tiles: nothing."""
    if not template:
        return []
    found = origin(template.replace("{s}", "*"))
    return [found] if found else []


def photo_sources(config) -> list[str]:
    """Phones send photos straight to S3 when it stores them (a presigned POST)."""
    if config.get("PHOTO_STORAGE") != "s3":
        return []
    return [origin(config["S3_ENDPOINT_URL"]) if config["S3_ENDPOINT_URL"]
            else "https://*.amazonaws.com"]


def origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    host = parts.netloc.split("@")[-1].split("{")[0].rstrip(".")
    return f"{parts.scheme}://{host}"
