"""GET /api/v1/config: what the PWA needs to look like this city's app."""

from flask import current_app
from flask.views import MethodView

from backend.api.appconfig.schemas import AppConfigSchema
from backend.api.blueprint import Blueprint

blp = Blueprint("appconfig", __name__, url_prefix="/api/v1/config",
                description="The PWA's branding, map and languages, from the city's settings.")


@blp.route("")
class AppConfig(MethodView):
    @blp.response(200, AppConfigSchema)
    def get(self):
        """The city's name, map tiles and starting view, and the app's languages."""
        settings = current_app.config
        languages = [code.strip() for code in settings["LANGUAGES"].split(",") if code.strip()]
        return {
            "city_name": settings["CITY_NAME"],
            "theme_color": settings["THEME_COLOR"],
            "languages": languages or ["en"],
            "max_description_chars": settings["MAX_DESCRIPTION_CHARS"],
            "map": {
                "tile_url": settings["MAP_TILE_URL"],
                "attribution": settings["MAP_TILE_ATTRIBUTION"],
                "center": {"lat": settings["MAP_CENTER_LAT"], "lon": settings["MAP_CENTER_LON"]},
                "zoom": settings["MAP_ZOOM"],
            },
        }
