"""Settings refuse unsafe configurations."""

from __future__ import annotations

import pytest

from portal.settings import SettingsError, load_settings

STRONG = "s" * 40
# A production configuration that passes every check; each test changes one thing.
GOOD = {"SECRET_KEY": STRONG, "PORTAL_BASE_URL": "https://jobs.example.com",
        "MAIL_FROM": "Rekrytering <no-reply@jobs.example.com>"}


def test_production_refuses_to_start_without_a_secret():
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings({"PORTAL_ENV": "production"})


def test_a_short_secret_is_refused_everywhere():
    for env in ("production", "demo"):
        with pytest.raises(SettingsError, match="at least 32 bytes"):
            load_settings({**GOOD, "PORTAL_ENV": env, "SECRET_KEY": "short"})


def test_weak_fallback_keys_are_refused():
    with pytest.raises(SettingsError, match="FALLBACKS"):
        load_settings({**GOOD, "SECRET_KEY_FALLBACKS": f"{STRONG},tiny"})


def test_production_defaults_are_strict():
    settings = load_settings({**GOOD, "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.is_production
    assert settings.mail_backend == "smtp"
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.default_timezone == "Europe/Stockholm"


def test_malformed_numbers_are_reported_by_name():
    with pytest.raises(SettingsError, match="SMTP_PORT"):
        load_settings({**GOOD, "SMTP_PORT": "twenty-five"})


def test_create_app_refuses_a_weak_secret(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(SettingsError, match="SECRET_KEY must be at least 32 bytes"):
        create_app()


def test_production_cookies_are_secure(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_production_refuses_memory_rate_limits_with_several_workers():
    """Each gunicorn worker would keep its own counts: the login limit times the workers."""
    with pytest.raises(SettingsError, match="WEB_CONCURRENCY is 4.*REDIS_URL"):
        load_settings({**GOOD, "WEB_CONCURRENCY": "4"})
    with pytest.raises(SettingsError, match="WEB_CONCURRENCY"):
        load_settings({**GOOD, "WEB_CONCURRENCY": "2",
                       "RATELIMIT_STORAGE_URI": "memory://"})
    # One worker, or a shared store, is fine; so is the relaxed demo.
    assert load_settings({**GOOD, "WEB_CONCURRENCY": "1"}).web_workers == 1
    shared = load_settings({**GOOD, "WEB_CONCURRENCY": "4",
                            "REDIS_URL": "redis://cache:6379/0"})
    assert shared.ratelimit_storage_uri == "redis://cache:6379/0"
    assert load_settings({"PORTAL_ENV": "demo", "WEB_CONCURRENCY": "4"}).web_workers == 4


def test_rate_limits_default_to_redis_when_redis_url_is_set():
    settings = load_settings({**GOOD, "REDIS_URL": "redis://cache:6379/1"})
    assert settings.ratelimit_storage_uri == "redis://cache:6379/1"
    explicit = load_settings({**GOOD, "REDIS_URL": "redis://cache:6379/1",
                              "RATELIMIT_STORAGE_URI": "redis://other:6379/2"})
    assert explicit.ratelimit_storage_uri == "redis://other:6379/2"
    assert load_settings(GOOD).ratelimit_storage_uri == "memory://"


def test_trusted_proxies_is_a_small_count():
    assert load_settings(GOOD).trusted_proxies == 0
    assert load_settings({**GOOD, "TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    for bad in ("-1", "99", "yes"):
        with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
            load_settings({**GOOD, "TRUSTED_PROXIES": bad})


def test_postgresql_connections_carry_timeouts_and_keepalives():
    settings = load_settings({**GOOD, "DB_STATEMENT_TIMEOUT": "15"})
    options = settings.engine_options("postgresql+psycopg://u@h/db")
    args = options["connect_args"]
    assert args["connect_timeout"] == 3
    assert args["options"] == ("-c plan_cache_mode=force_custom_plan "
                               "-c statement_timeout=15000 "
                               "-c idle_in_transaction_session_timeout=300000")
    assert args["keepalives"] == 1 and args["tcp_user_timeout"] == 30000
    assert args["keepalives_idle"] + args["keepalives_interval"] * args["keepalives_count"] <= 30
    # 0 switches a timeout off; options given in the URL are left as they are.
    off = load_settings({**GOOD, "DB_STATEMENT_TIMEOUT": "0",
                         "DB_IDLE_IN_TRANSACTION_TIMEOUT": "0", "DB_TCP_TIMEOUT": "0"})
    assert off.engine_options("postgresql+psycopg://u@h/db")["connect_args"] == {
        "connect_timeout": 3, "options": "-c plan_cache_mode=force_custom_plan"}
    assert "options" not in settings.engine_options(
        "postgresql+psycopg://u@h/db?options=-c%20search_path%3Dx")["connect_args"]
    with pytest.raises(SettingsError, match="DB_CONNECT_TIMEOUT"):
        load_settings({**GOOD, "DB_CONNECT_TIMEOUT": "-1"})


def test_sqlite_waits_a_bounded_time_for_a_lock():
    settings = load_settings({**GOOD, "DB_BUSY_TIMEOUT": "2"})
    assert settings.engine_options("sqlite:///x.db")["connect_args"] == {"timeout": 2.0}


def test_the_engine_gets_the_options_for_the_url_in_use(monkeypatch):
    """Tests and tools point the app at another database after the settings are read."""
    from portal import create_app

    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "4")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 4


# ---------------------------------------------------------------- production addresses


def test_a_good_production_configuration_starts():
    settings = load_settings({**GOOD, "PORTAL_BASE_URL": "https://jobs.example.com/",
                              "MAIL_REPLY_TO": "Rekrytering <jobb@example.com>"})
    assert settings.base_url == "https://jobs.example.com"  # links add "/c/...": one slash
    assert settings.mail_from == "Rekrytering <no-reply@jobs.example.com>"
    assert settings.mail_reply_to == "Rekrytering <jobb@example.com>"
    with_port = load_settings({**GOOD, "PORTAL_BASE_URL": " https://Jobs.example.com:8443// "})
    assert with_port.base_url == "https://Jobs.example.com:8443"


@pytest.mark.parametrize(("value", "what"), [
    (None, "is not set"),
    ("", "is not set"),
    ("http://jobs.example.com", "travel unencrypted"),
    ("jobs.example.com", "absolute https:// URL"),
    ("//jobs.example.com", "absolute https:// URL"),
    ("ftp://jobs.example.com", "absolute https:// URL"),
    ("https://", "with a host"),
    ("https:///careers", "with a host"),
    ("https://jobs.example.com/careers", "cannot run under a prefix"),
    ("https://jobs.example.com/careers/", "cannot run under a prefix"),
    ("https://jobs.example.com?source=mail", "without a path, query or fragment"),
    ("https://jobs.example.com#top", "without a path, query or fragment"),
    ("https://admin:secret@jobs.example.com", "at most a port"),
    ("https://jobs.example.com:https", "at most a port"),
])
def test_production_refuses_a_base_url_that_makes_broken_links(value, what):
    env = {k: v for k, v in GOOD.items() if k != "PORTAL_BASE_URL"}
    if value is not None:
        env["PORTAL_BASE_URL"] = value
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    [problem] = refused.value.problems
    assert problem.startswith("PORTAL_BASE_URL ") and what in problem
    assert "e.g. PORTAL_BASE_URL=https://jobs.example.com" in problem


def test_relaxed_envs_take_any_base_url_without_its_trailing_slash():
    assert load_settings({"PORTAL_ENV": "test", "SECRET_KEY": STRONG}).base_url == (
        "http://127.0.0.1:5000")
    demo = load_settings({"PORTAL_ENV": "demo", "SECRET_KEY": STRONG,
                          "PORTAL_BASE_URL": "http://192.168.1.5:8000/"})
    assert demo.base_url == "http://192.168.1.5:8000"


@pytest.mark.parametrize(("value", "what"), [
    (None, "is not set, and its default 'Rekrytering <no-reply@localhost>' is at 'localhost'"),
    ("no-reply@localhost", "at 'localhost'"),
    ("Rekrytering <no-reply@mailhost>", "at 'mailhost'"),
    ("no-reply@portal.local", "at 'portal.local'"),
    ("no-reply@localhost.localdomain", "at 'localhost.localdomain'"),
    ("no-reply@[192.0.2.1]", "at '[192.0.2.1]'"),
    ("Rekrytering", "one email address"),
    ("no-reply@example.com\r\nBcc: all@example.com", "one email address"),
])
def test_production_refuses_a_sender_at_a_local_host(value, what):
    env = {k: v for k, v in GOOD.items() if k != "MAIL_FROM"}
    if value is not None:
        env["MAIL_FROM"] = value
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    [problem] = refused.value.problems
    assert problem.startswith("MAIL_FROM ") and what in problem
    assert "e.g. MAIL_FROM='Rekrytering <no-reply@jobs.example.com>'" in problem
    if "one email address" not in what:  # says why it matters
        assert "Message-ID" in problem and "ORGANIZER" in problem


def test_relaxed_envs_send_from_localhost():
    settings = load_settings({"PORTAL_ENV": "demo", "SECRET_KEY": STRONG})
    assert settings.mail_from == "Rekrytering <no-reply@localhost>"
    with pytest.raises(SettingsError, match="MAIL_FROM must be one email address"):
        load_settings({"PORTAL_ENV": "demo", "SECRET_KEY": STRONG, "MAIL_FROM": "nobody"})


def test_production_refuses_replies_to_a_local_host():
    with pytest.raises(SettingsError) as refused:
        load_settings({**GOOD, "MAIL_REPLY_TO": "Rekrytering <jobb@localhost>"})
    [problem] = refused.value.problems
    assert problem.startswith("MAIL_REPLY_TO is at 'localhost'") and "Reply-To" in problem
    assert "e.g. MAIL_REPLY_TO='Rekrytering <jobb@example.com>'" in problem
    assert load_settings({"PORTAL_ENV": "development", "SECRET_KEY": STRONG,
                          "MAIL_REPLY_TO": "jobb@localhost"}).mail_reply_to == "jobb@localhost"


def test_every_problem_is_reported_in_one_refusal():
    """A host is fixed in one go, not one refusal per start."""
    env = {"SECRET_KEY": "short", "PORTAL_BASE_URL": "http://jobs.example.com",
           "MAIL_FROM": "no-reply@localhost", "MAIL_REPLY_TO": "jobb",
           "SMTP_PORT": "587a", "TRUSTED_PROXIES": "9", "WEB_CONCURRENCY": "3"}
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    problems = refused.value.problems
    named = [p.split(" ", 1)[0] for p in problems]
    assert sorted(named) == sorted(["SECRET_KEY", "PORTAL_BASE_URL", "MAIL_FROM",
                                    "MAIL_REPLY_TO", "SMTP_PORT", "TRUSTED_PROXIES",
                                    "WEB_CONCURRENCY"])
    message = str(refused.value)
    assert message.startswith("7 settings need fixing")
    assert all(f"  - {problem}" in message for problem in problems)
    assert all("e.g." in problem for problem in problems)


def test_create_app_refuses_a_bad_reply_to_at_start(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("MAIL_REPLY_TO", "Rekrytering <jobb@intranet>")
    with pytest.raises(SettingsError, match="MAIL_REPLY_TO is at 'intranet'"):
        create_app()
