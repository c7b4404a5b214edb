"""The reference: the smallest Flask JSON endpoint, served by the same gunicorn settings
as the app, so a ratio to it measures the app's own cost and not the machine's."""

from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/ok")
    def ok():
        return jsonify(ok=True)

    return app
