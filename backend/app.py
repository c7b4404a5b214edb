"""The Flask application class: one unit of work per request."""

from flask import Flask

from backend import db


class FrontdoorFlask(Flask):
    def dispatch_request(self):
        """Run the view, then commit its work once, so a failed commit is a handled error."""
        response = self.make_response(super().dispatch_request())
        if response.status_code < 400:
            db.commit_if_used()
        return response
