"""Candidate portal for recruiting at a distance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from portal.settings import PACKAGE, load_settings

__version__ = "0.1.0"  # the package's version (pyproject.toml reads it from here)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment; ``overrides`` are applied on top (tests)."""
    settings = load_settings()
    app = Flask(
        __name__,
        template_folder=str(PACKAGE / "templates"),
        static_folder=str(PACKAGE / "static"),
        instance_path=settings.instance_dir,
    )
    app.config.update(
        PORTAL=settings,
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24 * 14,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # Flask-WTF's strict mode also demands a same-site Referer on every form sent over
        # HTTPS, and our pages send none (Referrer-Policy: no-referrer, so a token never
        # leaks): behind a TLS proxy it refused every form. The CSRF token and SameSite
        # cookies still guard each form.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(PACKAGE / "translations"),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        # A shared store (Redis) that stops answering must not turn sign-in into a 500:
        # each process then counts in its own memory, logs it, and returns to the store
        # when it answers again.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_HEADERS_ENABLED=False,
        COMPRESS_MIMETYPES=[
            "text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
            "text/calendar",
            "application/json", "image/svg+xml",
        ],
        # Brotli first, at 5: htmx, the style sheet and the pages come 8-15% smaller than
        # with zstd at its default level 3, for a few milliseconds more work (htmx, once)
        # (bench/lighthouse.py counts a first load's bytes).
        COMPRESS_ALGORITHM=["br", "zstd", "gzip", "deflate"],
        COMPRESS_ALGORITHM_STREAMING=["br", "zstd", "deflate"],  # static files stream
        COMPRESS_BR_LEVEL=5,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=60 * 60,
    )
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"] == settings.default_database_url:
        # The default SQLite file lives in the instance folder; SQLite makes no folders.
        Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    if "SQLALCHEMY_ENGINE_OPTIONS" not in (overrides or {}):  # for the URL finally used
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = settings.engine_options(
            app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        # A Redis that accepts but never answers would hold every limited request.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                              {"socket_connect_timeout": 1, "socket_timeout": 1})
    if settings.trusted_proxies:
        # The client's address and scheme as the proxies in front saw them; without this
        # every client behind the proxy shares one rate-limit bucket.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)

    from portal import web

    app.url_map.converters["int"] = web.IdConverter
    from portal.extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate

    app.before_request(web.upload_limit)  # before CSRF reads the form
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    limiter.init_app(app)
    # Flask-Limiter's warnings (e.g. its store is down) reach the log through the root
    # handler that portal.logs installs.
    htmx.init_app(app)
    compress.init_app(app)

    import portal.models  # noqa: F401  (registers every table with the metadata)
    from portal.accounts.views import bp as accounts_bp
    from portal.booking.views import portal_bp as booking_portal_bp
    from portal.booking.views import staff_bp as booking_bp
    from portal.branding.views import bp as branding_bp
    from portal.branding.views import files_bp as brand_files_bp
    from portal.candidate.views import bp as candidate_bp
    from portal.decisions.views import bp as decisions_bp
    from portal.feedback.views import bp as feedback_bp
    from portal.hiring.views import bp as hiring_bp
    from portal.intake.staff_views import bp as intake_bp
    from portal.intake.views import bp as jobs_bp
    from portal.messaging.views import bp as messaging_bp
    from portal.pool.views import bp as pool_staff_bp
    from portal.privacy.views import bp as pool_bp
    from portal.references.views import bp as referee_bp
    from portal.references.views import staff_bp as references_bp
    from portal.scheduling.feed_views import bp as calendar_feed_bp
    from portal.scheduling.views import bp as scheduling_bp
    from portal.techcheck.staff_views import bp as techcheck_staff_bp
    from portal.techcheck.views import bp as techcheck_bp

    web.init_app(app)
    from portal import assets

    assets.init_app(app)  # fingerprinted static URLs, cached for a year
    from portal import i18n

    i18n.init_app(app)
    app.register_blueprint(accounts_bp)
    from portal.accounts.sso_views import bp as sso_bp

    app.register_blueprint(sso_bp)  # staff single sign-on (OpenID Connect)
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
    app.register_blueprint(techcheck_staff_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(booking_portal_bp)
    app.register_blueprint(scheduling_bp)
    app.register_blueprint(calendar_feed_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(branding_bp)
    app.register_blueprint(brand_files_bp)
    from portal import api
    from portal.webhooks.views import bp as webhooks_bp

    api.init_app(app)  # /api/v1 and its OpenAPI document (after web's error pages: wraps them)
    app.register_blueprint(webhooks_bp)

    from portal import logs, metrics, readiness

    logs.init_app(app)  # after the blueprints: it learns which routes carry a token
    metrics.init_app(app)
    readiness.init_app(app)
    from portal import cli

    cli.init_app(app)
    if settings.worker_in_process and not app.config.get("TESTING"):
        from portal.messaging.worker import start_in_process

        start_in_process(app)
    return app
