"""The Flask application class: one unit of work per request."""

from flask import Flask
from werkzeug.routing import Rule

from backend import db


class LazyBuilderRule(Rule):
    """A URL rule that writes its URL-building code when it first builds a URL.

    Werkzeug generates and compiles two builder functions for every rule as the rule is
    added: most of the app's set-up, imports aside, for the few rules `url_for` builds.
    """

    def _compile_builder(self, append_unknown: bool = True):
        attribute = "_build_unknown" if append_unknown else "_build"

        def build(rule: "LazyBuilderRule", /, **values):
            builder = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)
            return builder(**values)

        return build


class FrontdoorFlask(Flask):
    url_rule_class = LazyBuilderRule

    def dispatch_request(self):
        """Run the view, then commit its work once, so a failed commit is a handled error."""
        response = self.make_response(super().dispatch_request())
        if response.status_code < 400:
            db.commit_if_used()
        return response
