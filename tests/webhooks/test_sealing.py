"""Webhook signing secrets at rest: the database holds them encrypted, receivers still
verify every signature, a key rotation keeps them readable, and the migration seals the
secrets already stored (and its downgrade opens them again), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from standardwebhooks.webhooks import Webhook

from portal.extensions import db
from portal.webhooks import delivery, sealing, services
from portal.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_from, make_app
from tests.factories import PASSWORD, UserFactory, make_application
from tests.test_migrations import empty_url  # noqa: F401  (the fixture: an empty database)
from tests.webhooks.test_webhooks import Receiver, receiver  # noqa: F401  (a fixture)

BEFORE = "9c1a2b3c4d09"  # the revision before the secrets were sealed


def test_the_stored_column_holds_no_secret_and_signatures_verify(
        ctx: Any, settings: Any, receiver: Receiver) -> None:  # noqa: F811
    admin = UserFactory(role="admin")
    endpoint = services.create_endpoint(db.session, settings, admin, receiver.url,
                                        ["application.created"], "", allow_private=True)
    db.session.commit()
    secret = services.signing_secret(settings, admin, endpoint)
    assert secret.startswith("whsec_")
    stored = db.session.execute(text("SELECT sealed_secret FROM webhook_endpoint")).scalar()
    assert secret not in stored and secret[6:] not in stored
    assert sealing.unseal(settings, stored) == secret  # a Fernet token the keys open
    assert sealing.seal(settings, secret) != stored  # a fresh IV each time: nothing to match

    receiver.secret = secret  # the receiving system was given the secret from the page
    make_application(admin)
    db.session.commit()
    delivery.deliver_due(db.session, settings, timeout=5)
    assert receiver.bad_signatures == 0
    assert [r["type"] for r in receiver.delivered()] == ["application.created"]


def test_a_rotated_secret_key_still_opens_it_and_a_foreign_one_does_not(
        ctx: Any, settings: Any, receiver: Receiver) -> None:  # noqa: F811
    admin = UserFactory(role="admin")
    endpoint = services.create_endpoint(db.session, settings, admin, receiver.url,
                                        ["application.created"], "", allow_private=True)
    db.session.commit()
    secret = services.signing_secret(settings, admin, endpoint)
    rotated = replace(settings, secret_key="a-new-secret-" + "r" * 40,
                      secret_key_fallbacks=(settings.secret_key,))
    assert services.signing_secret(rotated, admin, endpoint) == secret
    with_calendar_key = replace(settings, calendar_keys=(Fernet.generate_key().decode(),))
    assert services.signing_secret(with_calendar_key, admin, endpoint) == secret

    # Keys that never sealed it: delivery is retried with a reason in the log, no crash.
    foreign = replace(settings, secret_key="another-portal-" + "f" * 40,
                      secret_key_fallbacks=())
    with pytest.raises(sealing.SecretUnreadable):
        services.signing_secret(foreign, admin, endpoint)
    make_application(admin)
    db.session.commit()
    report = delivery.deliver_due(db.session, foreign, timeout=5)
    row = db.session.scalar(select(WebhookDelivery))
    assert (report.retried, row.status) == (1, DeliveryStatus.PENDING)
    assert "signing secret" in row.last_error and receiver.received == []


def test_the_admin_page_says_so_when_the_secret_cannot_be_read(
        app: Any, client: Any, ctx: Any, settings: Any, login: Any) -> None:
    admin = UserFactory(role="admin", email="admin@example.com")
    endpoint = services.create_endpoint(db.session, settings, admin, "http://127.0.0.1:9/h",
                                        ["application.created"], "", allow_private=True)
    foreign = replace(settings, secret_key="another-portal-" + "f" * 40,
                      secret_key_fallbacks=())
    endpoint.sealed_secret = sealing.seal(foreign, "whsec_" + "B" * 44)
    db.session.commit()
    login("admin@example.com", PASSWORD)
    page = client.get(f"/staff/webhooks/{endpoint.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "cannot be read" in page.text and "B" * 44 not in page.text
    assert csrf_from(page.text)


def _insert_plain(secret: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO webhook_endpoint (id, url, description, events, secret, "
            "allow_private, active, created_at) VALUES (1, 'https://hr.example.com/h', '', "
            "'application.created', :s, :f, :t, :c)"),
            {"s": secret, "f": False, "t": True, "c": datetime(2026, 11, 1, tzinfo=UTC)})


def test_the_migration_seals_secrets_already_stored_and_the_downgrade_opens_them(
        empty_url: str) -> None:  # noqa: F811
    app = make_app(empty_url)
    secret = "whsec_" + "C" * 44
    with app.app_context():
        upgrade(revision=BEFORE)
        _insert_plain(secret)
        upgrade()
        stored = db.session.execute(
            text("SELECT sealed_secret FROM webhook_endpoint WHERE id = 1")).scalar()
        assert "C" * 44 not in stored
        settings = app.config["PORTAL"]
        endpoint = db.session.get(WebhookEndpoint, 1)
        # The app opens what the migration sealed, and signs with it as before.
        opened = sealing.unseal(settings, endpoint.sealed_secret)
        assert opened == secret
        headers = delivery.signed_headers(opened, "msg_1", "{}")
        Webhook(secret).verify("{}", headers)
        db.session.remove()

        downgrade(revision=BEFORE)
        back = db.session.execute(
            text("SELECT secret FROM webhook_endpoint WHERE id = 1")).scalar()
        assert back == secret
        db.session.remove()
        db.engine.dispose()
