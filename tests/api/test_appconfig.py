"""The PWA's settings come from the city's configuration."""

from backend import create_app
from backend.config import Config


def test_config_for_the_app(client):
    answer = client.get("/api/v1/config")
    assert answer.status_code == 200
    body = answer.json
    assert body["city_name"] == "Frontdoor City"
    assert body["languages"] == ["en", "es"]
    assert body["map"]["center"] == {"lat": 34.0537, "lon": -118.2427}
    assert body["map"]["tile_url"].startswith("https://") and "{z}" in body["map"]["tile_url"]
    assert body["max_description_chars"] == 4000


def test_config_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CITY_NAME", "Villa Ejemplo")
    monkeypatch.setenv("MAP_TILE_URL", "")
    monkeypatch.setenv("MAP_CENTER_LAT", "40.4168")
    monkeypatch.setenv("MAP_CENTER_LON", "-3.7038")
    monkeypatch.setenv("MAP_ZOOM", "15")
    monkeypatch.setenv("LANGUAGES", "es, en")
    app = create_app(Config.from_env(DATABASE_URL=f"sqlite:///{tmp_path}/x.db"))
    try:
        body = app.test_client().get("/api/v1/config").json
    finally:
        app.extensions["frontdoor.db"]["engine"].dispose()
    assert body["city_name"] == "Villa Ejemplo"
    assert body["languages"] == ["es", "en"]
    assert body["map"] == {"tile_url": "", "attribution": "© OpenStreetMap contributors",
                           "center": {"lat": 40.4168, "lon": -3.7038}, "zoom": 15}
