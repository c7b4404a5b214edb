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
from werkzeug.middleware.proxy_fix import ProxyFix

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


def init_app(app: Flask) -> None:
    config = app.config
    config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=True,
                  SESSION_COOKIE_SAMESITE="Strict")
    if config["PROXY_HOPS"]:
        hops = config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    pwa_policy = pwa_content_security_policy(config)
    docs_policy = docs_content_security_policy(config)
    docs_path = f"{config['OPENAPI_URL_PREFIX'].rstrip('/')}/{config['OPENAPI_SWAGGER_UI_PATH']}"
    hsts = config["HSTS_SECONDS"]

    @app.after_request
    def safe_headers(response: Response) -> Response:
        headers = response.headers
        if request.path == docs_path:
            policy = docs_policy
        elif response.mimetype == "text/html" or request.blueprint == "web":
            policy = pwa_policy
        else:
            policy = API_POLICY
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if hsts:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
        return response


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
