"""The API object: flask-smorest's, documenting each blueprint on first read of the spec.

Turning every view's schemas into OpenAPI takes about half of the app's start-up; a
Lambda instance that serves a few requests and never the document should not pay it.
Routes are registered at once, as usual; the documentation waits until something
reads ``api.spec`` (the /api/v1/openapi.json view, the docs page, the tests).
"""

from flask_smorest import Api

from backend.api.schemas import ErrorSchema


class OnDemandDocsApi(Api):
    ERROR_SCHEMA = ErrorSchema  # what every error answer is: {code, message, details}

    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple] = []
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        while self._undocumented:
            blueprint, name, parameters = self._undocumented.pop(0)
            blueprint.register_views_in_doc(self, self._app, self._spec, name=name,
                                            parameters=parameters)
            self._spec.tag({"name": name, "description": blueprint.description})
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """As flask-smorest's, with the documentation left for the first read of the spec."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))
