"""The API object: flask-smorest's, writing the OpenAPI document on its first read.

Turning every view's schemas into OpenAPI takes about half of the app's start-up; a
Lambda instance that serves a few requests and never the document should not pay it.
Routes are registered at once, as usual; the documentation waits until something
reads ``api.spec`` (the /api/v1/openapi.json view, the docs page, the tests).
"""

import threading
from collections.abc import Callable

from flask_smorest import Api

from backend.api.schemas import ErrorSchema


class OnDemandDocsApi(Api):
    ERROR_SCHEMA = ErrorSchema  # what every error answer is: {code, message, details}

    def __init__(self, *args, **kwargs):
        self._to_document: list[Callable[[], None]] = []
        self._writing = threading.RLock()  # one thread writes the document, others wait
        self._documenting = True  # flask-smorest's own set-up reads the spec as it goes
        super().__init__(*args, **kwargs)
        self._documenting = False

    @property
    def spec(self):
        if self._to_document:
            with self._writing:
                if not self._documenting:  # the work below reads the spec too
                    self._documenting = True
                    try:
                        while self._to_document:  # taken off once done: others wait
                            self._to_document[0]()
                            self._to_document.pop(0)
                    finally:
                        self._documenting = False
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def document_later(self, work: Callable[[], None]) -> None:
        """Run this on the first read of the spec, after the work registered before it."""
        self._to_document.append(work)

    # flask-smorest's set-up of the document: a response for each HTTP status, each making
    # an instance of the error schema, then the ETag and pagination headers. Kept in this
    # order, so the document comes out the same.
    def _register_responses(self) -> None:
        self.document_later(super()._register_responses)

    def _register_etag_headers(self) -> None:
        self.document_later(super()._register_etag_headers)

    def _register_pagination_header(self) -> None:
        self.document_later(super()._register_pagination_header)

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """As flask-smorest's, with the documentation left for the first read of the spec."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def document() -> None:
            blp.register_views_in_doc(self, self._app, self.spec, name=name,
                                      parameters=parameters)
            self.spec.tag({"name": name, "description": blp.description})

        self.document_later(document)
