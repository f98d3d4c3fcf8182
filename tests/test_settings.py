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
