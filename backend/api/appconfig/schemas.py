"""The PWA's settings as they travel over HTTP."""

import marshmallow as ma


class AppMapCentreSchema(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()


class AppMapSchema(ma.Schema):
    tile_url = ma.fields.String(metadata={"description": "XYZ template; empty: no base layer."})
    attribution = ma.fields.String()
    center = ma.fields.Nested(AppMapCentreSchema)
    zoom = ma.fields.Integer()


class AppConfigSchema(ma.Schema):
    city_name = ma.fields.String()
    theme_color = ma.fields.String()
    languages = ma.fields.List(ma.fields.String(),
                               metadata={"description": "The first is the default."})
    max_description_chars = ma.fields.Integer()
    map = ma.fields.Nested(AppMapSchema)
