"""The admins' pages: make a key (shown once), revoke it; register a webhook endpoint
(refused for a private address), read its log and replay a delivery."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from portal.api.models import ApiKey
from portal.extensions import db
from portal.webhooks import services as webhook_services
from portal.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.api.helpers import bearer
from tests.conftest import csrf_from
from tests.factories import PASSWORD, UserFactory, make_application


def _admin(login: Any, role: str = "admin") -> Any:
    user = UserFactory(role=role, email=f"{role}@example.com")
    db.session.commit()
    login(f"{role}@example.com", PASSWORD)
    return user


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(client: Any, ctx: Any,
                                                          login: Any) -> None:
    _admin(login)
    page = client.get("/staff/api-keys/")
    assert page.status_code == 200
    made = client.post("/staff/api-keys/", data={
        "name": "Payroll", "scopes": ["candidates:read", "applications:write"],
        "csrf_token": csrf_from(page.text)})
    assert made.status_code == 200
    token = re.search(r'value="(pk_live_[A-Za-z0-9_-]+)"', made.text).group(1)
    key = db.session.scalar(select(ApiKey))
    assert key.token_hash != token and token not in key.token_hash
    assert key.scope_list == ["candidates:read", "applications:write"]
    assert token not in client.get("/staff/api-keys/").text  # shown once only
    assert client.get("/api/v1/candidates", headers=bearer(token)).status_code == 200
    revoke = client.post(f"/staff/api-keys/{key.id}/revoke",
                         data={"csrf_token": csrf_from(page.text)})
    assert revoke.status_code == 303
    assert client.get("/api/v1/candidates", headers=bearer(token)).status_code == 401


def test_a_key_needs_a_name_and_a_permission(client: Any, ctx: Any, login: Any) -> None:
    _admin(login)
    page = client.get("/staff/api-keys/")
    answer = client.post("/staff/api-keys/", data={"name": "", "scopes": ["nope"],
                                                   "csrf_token": csrf_from(page.text)})
    assert answer.status_code == 422
    assert db.session.scalar(select(ApiKey)) is None


def test_only_admins_reach_the_pages(client: Any, ctx: Any, login: Any) -> None:
    _admin(login, role="recruiter")
    assert client.get("/staff/api-keys/").status_code == 403
    assert client.get("/staff/webhooks/").status_code == 403


def test_an_admin_registers_an_endpoint_and_replays_from_its_log(client: Any, ctx: Any,
                                                                 settings: Any,
                                                                 login: Any) -> None:
    admin = _admin(login)
    page = client.get("/staff/webhooks/")
    refused = client.post("/staff/webhooks/", data={
        "url": "https://127.0.0.1/hook", "events": ["application.created"],
        "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 422
    assert "private" in refused.text
    assert db.session.scalar(select(WebhookEndpoint)) is None
    saved = client.post("/staff/webhooks/", data={
        "url": "http://127.0.0.1:9/hook", "events": ["application.created"],
        "allow_private": "y", "description": "Internal", "csrf_token": csrf_from(page.text)})
    assert saved.status_code == 303
    endpoint = db.session.scalar(select(WebhookEndpoint))
    make_application(admin)
    db.session.commit()
    log = client.get(f"/staff/webhooks/{endpoint.id}")
    secret = webhook_services.signing_secret(settings, admin, endpoint)
    assert "application.created" in log.text and secret in log.text
    assert secret not in endpoint.sealed_secret  # stored encrypted, shown to the admin
    row = db.session.scalar(select(WebhookDelivery))
    row.status = "failed"
    db.session.commit()
    replay = client.post(f"/staff/webhooks/{endpoint.id}/deliveries/{row.id}/replay",
                         data={"csrf_token": csrf_from(log.text)})
    assert replay.status_code == 303
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert len(rows) == 2 and rows[1].event_id == rows[0].event_id
    assert rows[1].replay_of_id == rows[0].id
    assert webhook_services.endpoints(db.session, admin)[0][1] == 1
