"""Settings refuse unsafe configurations."""

from __future__ import annotations

import pytest

from portal.settings import SettingsError, load_settings

STRONG = "s" * 40


def test_production_refuses_to_start_without_a_secret():
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings({"PORTAL_ENV": "production"})


def test_a_short_secret_is_refused_everywhere():
    for env in ("production", "demo"):
        with pytest.raises(SettingsError, match="at least 32 bytes"):
            load_settings({"PORTAL_ENV": env, "SECRET_KEY": "short"})


def test_weak_fallback_keys_are_refused():
    with pytest.raises(SettingsError, match="FALLBACKS"):
        load_settings({"SECRET_KEY": STRONG, "SECRET_KEY_FALLBACKS": f"{STRONG},tiny"})


def test_production_defaults_are_strict():
    settings = load_settings({"SECRET_KEY": STRONG, "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.is_production
    assert settings.mail_backend == "smtp"
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.default_timezone == "Europe/Stockholm"


def test_malformed_numbers_are_reported_by_name():
    with pytest.raises(SettingsError, match="SMTP_PORT"):
        load_settings({"SECRET_KEY": STRONG, "SMTP_PORT": "twenty-five"})


def test_create_app_refuses_a_weak_secret(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(SettingsError):
        create_app()


def test_production_cookies_are_secure(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_production_refuses_memory_rate_limits_with_several_workers():
    """Each gunicorn worker would keep its own counts: the login limit times the workers."""
    with pytest.raises(SettingsError, match="WEB_CONCURRENCY is 4.*REDIS_URL"):
        load_settings({"SECRET_KEY": STRONG, "WEB_CONCURRENCY": "4"})
    with pytest.raises(SettingsError, match="WEB_CONCURRENCY"):
        load_settings({"SECRET_KEY": STRONG, "WEB_CONCURRENCY": "2",
                       "RATELIMIT_STORAGE_URI": "memory://"})
    # One worker, or a shared store, is fine; so is the relaxed demo.
    assert load_settings({"SECRET_KEY": STRONG, "WEB_CONCURRENCY": "1"}).web_workers == 1
    shared = load_settings({"SECRET_KEY": STRONG, "WEB_CONCURRENCY": "4",
                            "REDIS_URL": "redis://cache:6379/0"})
    assert shared.ratelimit_storage_uri == "redis://cache:6379/0"
    assert load_settings({"PORTAL_ENV": "demo", "WEB_CONCURRENCY": "4"}).web_workers == 4


def test_rate_limits_default_to_redis_when_redis_url_is_set():
    settings = load_settings({"SECRET_KEY": STRONG, "REDIS_URL": "redis://cache:6379/1"})
    assert settings.ratelimit_storage_uri == "redis://cache:6379/1"
    explicit = load_settings({"SECRET_KEY": STRONG, "REDIS_URL": "redis://cache:6379/1",
                              "RATELIMIT_STORAGE_URI": "redis://other:6379/2"})
    assert explicit.ratelimit_storage_uri == "redis://other:6379/2"
    assert load_settings({"SECRET_KEY": STRONG}).ratelimit_storage_uri == "memory://"


def test_trusted_proxies_is_a_small_count():
    assert load_settings({"SECRET_KEY": STRONG}).trusted_proxies == 0
    assert load_settings({"SECRET_KEY": STRONG, "TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    for bad in ("-1", "99", "yes"):
        with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
            load_settings({"SECRET_KEY": STRONG, "TRUSTED_PROXIES": bad})


def test_postgresql_connections_carry_timeouts_and_keepalives():
    settings = load_settings({"SECRET_KEY": STRONG, "DB_STATEMENT_TIMEOUT": "15"})
    options = settings.engine_options("postgresql+psycopg://u@h/db")
    args = options["connect_args"]
    assert args["connect_timeout"] == 3
    assert args["options"] == ("-c statement_timeout=15000 "
                               "-c idle_in_transaction_session_timeout=300000")
    assert args["keepalives"] == 1 and args["tcp_user_timeout"] == 30000
    assert args["keepalives_idle"] + args["keepalives_interval"] * args["keepalives_count"] <= 30
    # 0 switches a timeout off; options given in the URL are left as they are.
    off = load_settings({"SECRET_KEY": STRONG, "DB_STATEMENT_TIMEOUT": "0",
                         "DB_IDLE_IN_TRANSACTION_TIMEOUT": "0", "DB_TCP_TIMEOUT": "0"})
    assert off.engine_options("postgresql+psycopg://u@h/db")["connect_args"] == {
        "connect_timeout": 3}
    assert "options" not in settings.engine_options(
        "postgresql+psycopg://u@h/db?options=-c%20search_path%3Dx")["connect_args"]
    with pytest.raises(SettingsError, match="DB_CONNECT_TIMEOUT"):
        load_settings({"SECRET_KEY": STRONG, "DB_CONNECT_TIMEOUT": "-1"})


def test_sqlite_waits_a_bounded_time_for_a_lock():
    settings = load_settings({"SECRET_KEY": STRONG, "DB_BUSY_TIMEOUT": "2"})
    assert settings.engine_options("sqlite:///x.db")["connect_args"] == {"timeout": 2.0}


def test_the_engine_gets_the_options_for_the_url_in_use(monkeypatch):
    """Tests and tools point the app at another database after the settings are read."""
    from portal import create_app

    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "4")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 4
