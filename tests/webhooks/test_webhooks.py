"""Webhooks: events from where things happen, signed per Standard Webhooks, delivered to a
real receiver on loopback through the queue, retried, in order per application, replayed;
addresses that lead into the portal's own network refused (SSRF)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from portal.errors import DomainError
from portal.extensions import db
from portal.hiring import services as hiring
from portal.hiring.models import Response
from portal.process import lifecycle
from portal.timeutil import utcnow
from portal.webhooks import delivery, services, targets
from portal.webhooks.events import EVENT_TYPES
from portal.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview


class Receiver:
    """An HTTP server on 127.0.0.1 that checks each signature and answers from a script:
    a list of status codes used up in turn ("hang" waits until the test ends), then 200."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.script: list[Any] = []
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                answer = receiver.script.pop(0) if receiver.script else 200
                if answer == "hang":
                    receiver.release.wait(30)
                    return
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except Exception:
                    receiver.bad_signatures += 1
                    answer = 400
                else:
                    receiver.received.append({"id": self.headers["webhook-id"],
                                              "status": answer, "path": self.path,
                                              **json.loads(body)})
                self.send_response(answer)
                if answer in (301, 302):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def delivered(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["status"] == 200]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    item = Receiver()
    yield item
    item.stop()


def _endpoint(settings: Any, admin: Any, receiver: Receiver,
              events: tuple[str, ...] = EVENT_TYPES) -> Any:
    endpoint = services.create_endpoint(db.session, settings, admin, receiver.url,
                                        list(events), "HR system", allow_private=True)
    receiver.secret = services.signing_secret(settings, admin, endpoint)
    db.session.commit()
    return endpoint


def _later(hours: int = 1) -> Any:
    return utcnow() + timedelta(hours=hours)


def test_every_event_arrives_signed_in_order_after_a_failure(ctx: Any, settings: Any,
                                                             receiver: Receiver) -> None:
    admin = UserFactory(role="admin")
    _endpoint(settings, admin, receiver)
    receiver.script = [500]  # the first attempt fails, every later one succeeds
    candidate = CandidateFactory()
    application = make_application(admin, candidate)
    stages = application.opening.stages
    lifecycle.move(db.session, settings, admin, application, stages[1])
    interview = make_interview(admin, application, interviewers=[admin])
    db.session.commit()
    hiring.record_response(db.session, candidate, interview, Response.CONFIRMED, "")
    lifecycle.cancel_interview(db.session, settings, admin, interview)
    lifecycle.decide(db.session, settings, admin, application, "advance")
    db.session.commit()
    other = make_application(admin)  # another application: not held up by the first
    db.session.commit()

    first = delivery.deliver_due(db.session, settings, timeout=5)
    assert first.retried == 1
    # The failed event holds back the rest of its application, not the other one.
    assert [r["type"] for r in receiver.delivered()] == ["application.created"]
    assert receiver.delivered()[0]["data"]["application_id"] == other.id

    delivery.deliver_due(db.session, settings, now=_later(), timeout=5)
    mine = [r for r in receiver.delivered() if r["data"].get("application_id") == application.id]
    assert [r["type"] for r in mine] == [
        "application.created", "application.stage_changed",  # moved to Screening
        "application.stage_changed", "interview.scheduled",  # scheduling moves it on
        "interview.confirmed", "interview.cancelled",
        "application.stage_changed", "decision.recorded"]
    assert receiver.bad_signatures == 0
    assert len({r["id"] for r in receiver.received}) == len(receiver.delivered())
    rows = db.session.scalars(select(WebhookDelivery)).all()
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert max(r.attempts for r in rows) == 2
    # Events carry ids and states, never the person's details.
    assert candidate.email not in json.dumps(receiver.received)
    assert candidate.name not in json.dumps(receiver.received)


def test_erasure_is_told_and_a_timeout_is_retried(ctx: Any, settings: Any,
                                                  receiver: Receiver) -> None:
    admin = UserFactory(role="admin")
    _endpoint(settings, admin, receiver, ("candidate.erased",))
    candidate = CandidateFactory()
    make_application(admin, candidate)
    db.session.commit()
    lifecycle.erase(db.session, settings, candidate, actor_kind="staff", actor_id=admin.id)
    db.session.commit()
    receiver.script = ["hang"]
    report = delivery.deliver_due(db.session, settings, timeout=0.5)
    assert report.retried == 1
    row = db.session.scalar(select(WebhookDelivery))
    assert (row.status, row.last_error) == (DeliveryStatus.PENDING, "timed out")
    assert row.next_attempt_at > utcnow()
    delivery.deliver_due(db.session, settings, now=_later(), timeout=5)
    assert [r["type"] for r in receiver.delivered()] == ["candidate.erased"]
    assert receiver.delivered()[0]["data"] == {"candidate_id": candidate.id}


def test_gives_up_after_the_last_attempt_and_replays_from_the_log(
        ctx: Any, settings: Any, receiver: Receiver) -> None:
    admin = UserFactory(role="admin")
    endpoint = _endpoint(settings, admin, receiver, ("application.created",))
    make_application(admin)
    db.session.commit()
    receiver.script = [503] * delivery.MAX_ATTEMPTS
    for n in range(delivery.MAX_ATTEMPTS):
        delivery.deliver_due(db.session, settings, now=_later(24 * n), timeout=5)
    row = db.session.scalar(select(WebhookDelivery))
    assert (row.status, row.attempts, row.last_status_code) == (
        DeliveryStatus.FAILED, delivery.MAX_ATTEMPTS, 503)
    assert receiver.delivered() == []
    copy = services.replay(db.session, admin, endpoint, row.id)
    db.session.commit()
    delivery.deliver_due(db.session, settings, timeout=5)
    assert [r["id"] for r in receiver.delivered()] == [row.event_id]
    db.session.refresh(copy)
    assert copy.status == DeliveryStatus.DELIVERED


def test_a_redirect_is_not_followed(ctx: Any, settings: Any, receiver: Receiver) -> None:
    admin = UserFactory(role="admin")
    _endpoint(settings, admin, receiver, ("application.created",))
    make_application(admin)
    db.session.commit()
    receiver.script = [302]
    delivery.deliver_due(db.session, settings, timeout=5)
    assert [r["path"] for r in receiver.received] == ["/hook"]  # never /elsewhere
    row = db.session.scalar(select(WebhookDelivery))
    assert (row.status, row.last_status_code) == (DeliveryStatus.PENDING, 302)


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook",
    "https://localhost/hook", "https://169.254.169.254/latest/meta-data",
    "https://192.168.1.10/", "https://[fe80::1]/", "https://224.0.0.1/",
    "https://[::ffff:127.0.0.1]/", "http://127.0.0.1:8080/hook",
])
def test_private_and_loopback_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(DomainError) as refused:
        targets.check(url, allow_private=False)
    assert refused.value.field == "url"
    assert targets.check(url, allow_private=True).address


@pytest.mark.parametrize("url", ["ftp://example.com/", "https://", "https://user:pw@10.0.0.1/",
                                 "javascript:alert(1)", "https://[::1", "https://x.invalid/"])
def test_addresses_that_are_not_https_urls_are_refused(url: str) -> None:
    with pytest.raises(DomainError):
        targets.check(url, allow_private=True)


def test_plain_http_to_a_public_address_is_refused_even_when_private_is_allowed() -> None:
    with pytest.raises(DomainError):
        targets.check("http://93.184.215.14/hook", allow_private=True)


def test_the_address_is_checked_again_at_delivery(ctx: Any, settings: Any,
                                                  receiver: Receiver) -> None:
    admin = UserFactory(role="admin")
    endpoint = _endpoint(settings, admin, receiver, ("application.created",))
    make_application(admin)
    db.session.commit()
    # As if the name now led somewhere else: the allowance is gone, the address is private.
    db.session.get(WebhookEndpoint, endpoint.id).allow_private = False
    db.session.commit()
    delivery.deliver_due(db.session, settings, timeout=5)
    assert receiver.received == []
    row = db.session.scalar(select(WebhookDelivery))
    assert row.last_error.startswith("refused:")
    assert row.status == DeliveryStatus.PENDING


def test_registration_refuses_a_private_address(ctx: Any, settings: Any) -> None:
    admin = UserFactory(role="admin")
    with pytest.raises(DomainError):
        services.create_endpoint(db.session, settings, admin, "https://127.0.0.1/hook",
                                 ["application.created"], "", allow_private=False)
    recruiter = UserFactory(role="recruiter")
    with pytest.raises(DomainError):
        services.create_endpoint(db.session, settings, recruiter, "https://example.com/hook",
                                 ["application.created"], "", allow_private=False)


def test_no_endpoint_no_rows(ctx: Any) -> None:
    admin = UserFactory(role="admin")
    make_application(admin)
    db.session.commit()
    assert db.session.scalar(select(WebhookDelivery)) is None


def test_two_workers_at_once_never_send_one_delivery_twice(app: Any, ctx: Any,
                                                            settings: Any) -> None:
    """Two workers claim from the same queue at the same moment: each delivery is claimed
    once (SKIP LOCKED on PostgreSQL, SQLite's single writer)."""
    admin = UserFactory(role="admin")
    endpoint = services.create_endpoint(db.session, settings, admin, "http://127.0.0.1:9/hook",
                                        ["application.created"], "", allow_private=True)
    for _ in range(30):
        make_application(admin)  # 30 applications: 30 independent deliveries
    db.session.commit()
    assert endpoint.id
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def work(slot: int) -> None:
        with app.app_context():
            start.wait()
            while True:
                batch = delivery.claim(db.session, utcnow())
                if not batch:
                    break
                claimed[slot] += [c.id for c in batch]
            db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    everything = claimed[0] + claimed[1]
    assert len(everything) == 30 and len(set(everything)) == 30


def test_an_endpoint_that_does_not_answer_gets_nothing_more_this_pass(
        ctx: Any, settings: Any, receiver: Receiver) -> None:
    admin = UserFactory(role="admin")
    _endpoint(settings, admin, receiver, ("application.created",))
    make_application(admin)
    make_application(admin)
    db.session.commit()
    receiver.script = ["hang"]
    report = delivery.deliver_due(db.session, settings, timeout=0.5)
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert (report.retried, [r.attempts for r in rows]) == (1, [1, 0])  # the second waits
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    delivery.deliver_due(db.session, settings, now=_later(), timeout=5)
    assert len(receiver.delivered()) == 2


def test_a_candidate_booking_a_time_is_told(app: Any, ctx: Any, settings: Any) -> None:
    from tests.booking.helpers import candidate_client, offer_round, slots_on, weekday_ahead
    from tests.conftest import csrf_from

    recruiter = UserFactory(role="admin", name="Rebecka R")
    maria = UserFactory(role="interviewer", name="Maria M")
    services.create_endpoint(db.session, settings, recruiter, "http://127.0.0.1:9/hook",
                             ["booking.made", "interview.scheduled"], "", allow_private=True)
    application = make_application(recruiter, CandidateFactory(language="en"))
    offer = offer_round(recruiter, [application], [maria], first=weekday_ahead(5)).offers[0]
    db.session.commit()
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    page = client.get(f"/portal/booking/{offer.id}/confirm?start={start}")
    booked = client.post(f"/portal/booking/{offer.id}", data={
        "start": start, "longer": "0", "csrf_token": csrf_from(page.text)})
    assert booked.status_code in (200, 303)
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [r.event_type for r in rows] == ["interview.scheduled", "booking.made"]
    data = json.loads(rows[1].payload)["data"]
    assert (data["booking_request_id"], data["offer_id"], data["response"]) == (
        offer.request_id, offer.id, "confirmed")
