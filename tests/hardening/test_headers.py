"""Browser safety on every response: a strict Content-Security-Policy for the PWA (its files
carry no inline code to need less), HSTS in production, no sniffing, no framing, CORS only
on Open311 GET, no cookies, no open redirects, and X-Forwarded-For trusted only when told."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from backend.http_headers import pwa_content_security_policy, tile_source
from tests.hardening.conftest import GRAFFITI

PWA = Path(__file__).resolve().parents[2] / "pwa"
SAMPLE_PATHS = ["/", "/sw.js", "/js/app.js", "/manifest.webmanifest", "/api/v1/config",
                "/api/v1/services", "/api/openapi.json", "/api/docs", "/healthz",
                "/open311/v2/services.json", "/api/v1/requests/NONE-SUCH", "/no/such/file"]


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_pwa_policy_allows_only_its_own_code(client):
    answer = client.get("/")
    answer.close()
    policy = directives(answer.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    # The configured map tiles, photo previews (blob:) and nothing else from elsewhere.
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"]


@pytest.mark.parametrize("template, expected", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://tile.openstreetmap.org"]),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", ["https://*.tile.example.org"]),
    ("http://localhost:8080/tiles/{z}/{x}/{y}.png", ["http://localhost:8080"]),
    ("", []),
    ("javascript:alert(1)//{z}", []),
])
def test_tile_source_follows_the_setting(template, expected):
    assert tile_source(template) == expected


def test_photos_in_s3_may_be_sent_and_shown():
    config = {"MAP_TILE_URL": "", "PHOTO_STORAGE": "s3",
              "S3_ENDPOINT_URL": "https://s3.example.gov"}
    policy = directives(pwa_content_security_policy(config))
    assert "https://s3.example.gov" in policy["connect-src"]
    assert "https://s3.example.gov" in policy["img-src"]


def test_api_answers_cannot_run_as_pages(client):
    for path in ["/api/v1/config", "/api/v1/requests/NONE-SUCH", "/open311/v2/services.xml"]:
        policy = directives(client.get(path).headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_every_answer_carries_the_safety_headers(client):
    for path in SAMPLE_PATHS:
        answer = client.get(path)
        answer.close()
        headers = answer.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "Strict-Transport-Security" not in headers, path  # not unless configured


def test_hsts_when_configured(limited_app):
    app = limited_app(HSTS_SECONDS=31536000)
    answer = app.test_client().get("/api/v1/config")
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_docs_page_may_use_only_its_cdn(client):
    policy = directives(client.get("/api/docs").headers["Content-Security-Policy"])
    assert policy["script-src"] == ["https://cdn.jsdelivr.net", "'unsafe-inline'"]
    assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'none'"]


class InlineCode(HTMLParser):
    """Inline scripts, style elements, style attributes and on* handlers in a page."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{name}= on <{tag}>" for name in names
                       if name == "style" or name.startswith("on")]


def test_pwa_files_need_nothing_the_policy_forbids():
    page = InlineCode()
    page.feed((PWA / "index.html").read_text(encoding="utf-8"))
    assert page.found == []
    # eval, inline handlers and style attributes (also through dom.js's el(tag, {style}))
    forbidden = re.compile(r"\beval\(|new Function\(|setAttribute\(\s*['\"](style|on\w+)['\"]"
                           r"|\.innerHTML\s*=.*(style=|on\w+=)|javascript:"
                           r"|\bel\(.*[{,]\s*['\"]?style['\"]?\s*:")
    offending = {path.relative_to(PWA).as_posix()
                 for path in sorted((PWA / "js").rglob("*.js"))
                 for line in path.read_text(encoding="utf-8").splitlines()
                 if forbidden.search(line)}
    assert offending == set()


def test_cross_origin_reads_only_on_open311_get(client, api_key):
    origin = {"Origin": "https://elsewhere.example"}
    assert client.get("/open311/v2/services.json", headers=origin) \
        .headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/open311/v2/requests.xml", headers=origin) \
        .headers["Access-Control-Allow-Origin"] == "*"
    posted = client.post("/open311/v2/requests.json", headers=origin, data={"api_key": api_key()})
    assert "Access-Control-Allow-Origin" not in posted.headers
    for path in ["/api/v1/config", "/api/v1/services", "/", "/api/openapi.json"]:
        for method in ("GET", "OPTIONS"):
            answer = client.open(path, method=method, headers={
                **origin, "Access-Control-Request-Method": "POST"})
            answer.close()
            names = [name for name, _ in answer.headers]
            assert not any(name.startswith("Access-Control-") for name in names), path
    submitted = client.post("/api/v1/requests", json=GRAFFITI, headers=origin)
    assert "Access-Control-Allow-Origin" not in submitted.headers


def test_no_cookies_anywhere(client, staff):
    answers = [client.get(path) for path in SAMPLE_PATHS]
    answers.append(client.post("/api/v1/auth/login",
                               json={"username": "nobody", "password": "wrong-password"}))
    answers.append(client.get("/api/v1/auth/me", headers=staff.headers("dispatcher")))
    answers.append(client.post("/api/v1/requests", json=GRAFFITI))
    for answer in answers:
        answer.close()
        assert "Set-Cookie" not in answer.headers


def test_session_cookies_would_be_strict(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Strict"


@pytest.mark.parametrize("path", [
    "//evil.example/", "///evil.example/", "/\\evil.example/", "/%2F%2Fevil.example",
    "/api/v1/requests/", "/api/v1/services/", "/open311/v2/", "/api/docs/",
    "/api/v1/reopen/..%2F..%2Fevil.example", "/js/../../evil.example",
    "/api/v1/photos/x/display?next=https://evil.example",
])
def test_no_redirect_leaves_the_site(client, path):
    answer = client.get(path)
    answer.close()
    assert answer.status_code < 500
    location = answer.headers.get("Location")
    if location is not None:
        assert location.startswith("/") and not location.startswith("//"), location
        assert "evil.example" not in location


def test_forwarded_address_trusted_only_behind_a_proxy(limited_app, db_session):
    """Without PROXY_HOPS, a forged X-Forwarded-For cannot dodge a limit; with it, the
    proxy's header names the client."""
    direct = limited_app(RATE_LIMIT_SUBMIT="1 per minute").test_client()
    assert direct.post("/api/v1/requests", json=GRAFFITI,
                       headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 201
    assert direct.post("/api/v1/requests", json=GRAFFITI,
                       headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 429
    proxied = limited_app(RATE_LIMIT_SUBMIT="1 per minute", PROXY_HOPS=1).test_client()
    for client_address in ("198.51.100.3", "198.51.100.4"):
        assert proxied.post("/api/v1/requests", json=GRAFFITI,
                            headers={"X-Forwarded-For": client_address}).status_code == 201
    assert proxied.post("/api/v1/requests", json=GRAFFITI,
                        headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 429
