"""Frontdoor: a 311 system for local governments."""

from backend.config import Config


def create_app(config: Config | None = None, *, commands: bool = True):
    """Build the app. Settings come from the environment unless a Config is given.

    ``commands=False`` leaves out the `flask` command groups (and the modules only they
    import): a process that only answers HTTP, such as the Lambda API function, starts faster.
    """
    from backend import api, db, http_headers, logging_setup, web
    from backend.api import limits
    from backend.app import FrontdoorFlask

    config = config or Config.from_env()
    app = FrontdoorFlask(__name__, static_folder=None)
    app.config.from_mapping(config.as_flask())
    logging_setup.init_app(app)  # first, so every later hook logs with a request id
    db.init_app(app)
    api.init_app(app)
    web.init_app(app)
    limits.init_app(app)  # last: it wraps the views every blueprint registered
    http_headers.init_app(app)
    if commands:
        from backend import cli

        cli.init_app(app)
    return app
