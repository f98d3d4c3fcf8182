"""Candidate portal for recruiting at a distance."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal.settings import INSTANCE, ROOT, load_settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment; ``overrides`` are applied on top (tests)."""
    settings = load_settings()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE),
    )
    app.config.update(
        PORTAL=settings,
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        # No pre-ping: it costs a round trip per request; connections are recycled instead,
        # and a connection that died with the server is dropped on its first error.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_recycle": 1800},
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24 * 14,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=settings.is_production,
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "portal" / "translations"),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=False,
        COMPRESS_MIMETYPES=[
            "text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
            "text/calendar",
            "application/json",
        ],
        MAX_CONTENT_LENGTH=1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=60 * 60,
    )
    if overrides:
        app.config.update(overrides)

    from portal import web

    app.url_map.converters["int"] = web.IdConverter
    from portal.extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate

    app.before_request(web.upload_limit)  # before CSRF reads the form
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    limiter.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)

    import portal.models  # noqa: F401  (registers every table with the metadata)
    from portal.accounts.views import bp as accounts_bp
    from portal.candidate.views import bp as candidate_bp
    from portal.decisions.views import bp as decisions_bp
    from portal.feedback.views import bp as feedback_bp
    from portal.hiring.views import bp as hiring_bp
    from portal.messaging.views import bp as messaging_bp
    from portal.pool.views import bp as pool_staff_bp
    from portal.privacy.views import bp as pool_bp
    from portal.references.views import bp as referee_bp
    from portal.references.views import staff_bp as references_bp
    from portal.techcheck.views import bp as techcheck_bp

    web.init_app(app)
    from portal import i18n

    i18n.init_app(app)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(hiring_bp)
    app.register_blueprint(messaging_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(decisions_bp)
    app.register_blueprint(referee_bp)
    app.register_blueprint(pool_bp)
    app.register_blueprint(pool_staff_bp)
    app.register_blueprint(references_bp)
    app.register_blueprint(candidate_bp)
    app.register_blueprint(techcheck_bp)

    from portal import cli

    cli.init_app(app)
    if settings.worker_in_process and not app.config.get("TESTING"):
        from portal.messaging.worker import start_in_process

        start_in_process(app)
    return app
