"""Stopping the worker: ``flask --app portal worker`` as a real process, sent SIGTERM while
the SMTP server holds a message of its batch. It finishes that message, gives the rest back
(pending at once, no attempt counted), and exits; nothing stays "sending" and nothing is sent
twice."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from portal.messaging.models import OutboxMessage
from portal.messaging.services import enqueue
from portal.messaging.worker import run_once
from portal.timeutil import utcnow

FLASK = str(Path(sys.executable).with_name("flask"))


def _lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)


def _wait_for_line(lines: queue.Queue, worker: subprocess.Popen, text: str) -> None:
    """Until the worker says ``text`` (it has taken the signal), or it ended without it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if text in lines.get(timeout=0.2):
                return
        except queue.Empty:
            if worker.poll() is not None:
                return
    raise AssertionError(f"the worker never said {text!r}")


def test_sigterm_finishes_the_message_in_flight_and_gives_the_rest_back(app, ctx,
                                                                        scripted_smtp):
    addresses = [f"person{i}@example.com" for i in range(8)]
    for address in addresses:
        enqueue(ctx, kind="test", to_email=address, to_name="Person", subject="Hello",
                text="Hi.", html="<p>Hi.</p>")
    ctx.commit()
    ctx.close()  # hold no lock while the worker runs
    scripted_smtp.data[addresses[2]] = ["hold"]
    settings = app.config["PORTAL"]
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(settings.smtp_port), "SMTP_TIMEOUT": "60"}
    with subprocess.Popen([FLASK, "--app", "portal", "worker", "--interval", "0.5"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as worker:
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_lines, args=(worker.stderr, lines), daemon=True)
        reader.start()
        try:
            assert scripted_smtp.holding.wait(60), "the worker never reached the third message"
            worker.send_signal(signal.SIGTERM)
            _wait_for_line(lines, worker, "SIGTERM received")
            scripted_smtp.release.set()  # the server now accepts the message in flight
            assert worker.wait(60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            reader.join(10)
        assert "worker stopped" in worker.stdout.read()

    rows = {m.to_email: m for m in ctx.scalars(select(OutboxMessage))}
    assert [rows[a].status for a in addresses] == ["sent"] * 3 + ["pending"] * 5
    for address in addresses[3:]:  # given back: due now, not counted as an attempt
        row = rows[address]
        assert row.attempts == 0 and row.claimed_at is None and row.next_attempt_at <= utcnow()
    assert [m["To"].addresses[0].addr_spec for m in scripted_smtp.messages] == addresses[:3]

    assert run_once(app).sent == 5  # the next worker sends the rest at once, once each
    received = [m["To"].addresses[0].addr_spec for m in scripted_smtp.messages]
    assert sorted(received) == sorted(addresses)
    assert len({m["Message-ID"] for m in scripted_smtp.messages}) == 8
