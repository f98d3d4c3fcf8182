"""Flask commands: demo, seed-demo, create-user, magic-link, worker."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from dataclasses import replace

import click
from flask import Flask, current_app
from sqlalchemy import select

from portal import backup
from portal.extensions import db


def _print_demo(data: dict, base: str) -> None:
    click.echo("")
    click.echo(click.style(f"Candidate portal is running at {base}", bold=True))
    click.echo(f"  Staff login:  {data['staff']['email']}  /  {data['staff']['password']}")
    click.echo(f"  Back office:  {base}/staff/")
    click.echo(f"  Sent email (demo mailbox): {base}/staff/outbox/")
    click.echo("  Candidate links:")
    for person in data["candidates"]:
        click.echo(f"    {person['name']:<16} {person['link']}")
    if data.get("public_page"):
        click.echo(f"  Public page (anyone can apply): {data['public_page']['title']}")
        click.echo(f"    {data['public_page']['url']}")
    if data.get("booking"):
        click.echo(f"  Booking page (a round to book herself): {data['booking']['name']}")
        click.echo(f"    {data['booking']['link']}")
    if data.get("api_key"):
        click.echo(f"  API key (demo): {data['api_key']}")
        click.echo(f"    curl -H 'Authorization: Bearer {data['api_key']}' {base}/api/v1/openings")
    click.echo("")


def init_app(app: Flask) -> None:
    backup.init_app(app)  # backup FILE, restore FILE

    @app.cli.command("seed-demo")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    def seed_demo(as_json: bool) -> None:
        """Seed demo data (idempotent) and print the staff login and candidate links."""
        from portal.demo import seed

        if current_app.config["PORTAL"].is_production:
            # It creates an admin with a printed password, prints every candidate's
            # sign-in link and resets the demo accounts' passwords when run again.
            raise click.ClickException(
                "seed-demo runs only with PORTAL_ENV=demo, development or test: it creates "
                "an admin with a known password and prints candidates' sign-in links. "
                "Nothing was changed.")
        data = seed(db.session, current_app.config["PORTAL"])
        db.session.commit()
        if as_json:
            click.echo(json.dumps(data))
        else:
            _print_demo(data, current_app.config["PORTAL"].base_url)

    @app.cli.command("demo")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def demo(host: str, port: int) -> None:
        """Seed demo data and serve the portal with the worker in process."""
        from werkzeug.serving import run_simple

        from portal.demo import seed
        from portal.messaging.worker import start_in_process

        settings = current_app.config["PORTAL"]
        if port != 5000 and settings.base_url == "http://127.0.0.1:5000":
            settings = replace(settings, base_url=f"http://{host}:{port}")
            current_app.config["PORTAL"] = settings
        if settings.is_production:
            raise click.ClickException("demo runs only with PORTAL_ENV=demo or development")
        data = seed(db.session, settings)
        db.session.commit()
        start_in_process(current_app._get_current_object())  # type: ignore[attr-defined]
        _print_demo(data, settings.base_url)
        run_simple(host, port, current_app._get_current_object(),  # type: ignore[attr-defined]
                   threaded=True, use_reloader=False)

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["admin", "recruiter", "interviewer"]),
                  default="recruiter", show_default=True)
    @click.option("--name", default="", help="Display name (defaults to the email).")
    @click.option("--language", type=click.Choice(["sv", "en"]), default="sv")
    @click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
    def create_user_cmd(email: str, role: str, name: str, language: str,
                        password_stdin: bool) -> None:
        """Create a staff account. The password comes from a prompt or stdin."""
        from portal.accounts.services import create_user
        from portal.errors import DomainError

        if password_stdin or not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(db.session, email=email, name=name or email, password=password,
                               role=role, language=language)
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from None
        db.session.commit()
        click.echo(f"Created {role} {user.email} (id {user.id})")

    @app.cli.command("magic-link")
    @click.argument("email")
    def magic_link(email: str) -> None:
        """Print a fresh sign-in link for a candidate."""
        from portal.hiring.models import Candidate
        from portal.links.services import issue_link, link_url

        candidate = db.session.scalar(
            select(Candidate).where(Candidate.email == email.strip().lower()))
        if candidate is None:
            raise click.ClickException(f"No candidate with email {email}")
        settings = current_app.config["PORTAL"]
        _link, token = issue_link(db.session, settings, candidate)
        db.session.commit()
        click.echo(link_url(settings, token))

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Drain the outbox once and exit.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
    def worker(once: bool, interval: float) -> None:
        """Deliver the outbox over SMTP and send reminders."""
        from portal.messaging.worker import run_forever, run_once, stop_on_signals

        app_obj = current_app._get_current_object()  # type: ignore[attr-defined]
        stop = threading.Event()
        # SIGTERM or Ctrl-C: finish the message in flight, give the rest back, exit.
        with stop_on_signals(stop), contextlib.suppress(KeyboardInterrupt):
            if once:
                report = run_once(app_obj, stop)
                click.echo(f"sent {report.sent}, retried {report.retried}, "
                           f"failed {report.failed}, reminders {report.reminders}")
                return
            click.echo("worker running; Ctrl-C or SIGTERM to stop")
            run_forever(app_obj, interval, stop)
        click.echo("worker stopped")

    @app.cli.command("retention")
    @click.option("--apply", "do_apply", is_flag=True,
                  help="Erase what is due now (the worker does this daily).")
    @click.option("--days", default=30, show_default=True,
                  help="Without --apply: list what is erased within this many days.")
    def retention_cmd(do_apply: bool, days: int) -> None:
        """Preview or run the retention rules."""
        from portal.pool import retention

        settings = current_app.config["PORTAL"]
        if do_apply:
            report = retention.apply(db.session, settings)
            db.session.commit()
            click.echo(f"profiles removed {report.profiles_removed}, candidates erased "
                       f"{report.candidates_erased}, kept on hold {report.held}")
            return
        for item in retention.due_for_erasure(db.session, settings, within_days=days):
            held = f"  HOLD: {item.hold.reason}" if item.hold else ""
            click.echo(f"{item.due_at:%Y-%m-%d}  candidate {item.candidate.id}{held}")
