"""The `portal` command: Flask's command line bound to create_app, so an installed portal
needs neither `--app` nor its source tree (`portal db upgrade`, `portal worker`, ...)."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import FlaskGroup

from portal import __version__, create_app

GUNICORN_CONFIG = "python:portal.gunicorn_conf"


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             help="The candidate portal's commands (those of `flask --app portal`).")
@click.version_option(__version__, prog_name="portal", message="%(prog)s %(version)s")
def cli() -> None:
    """Flask's group runs the commands; this function only carries the options."""


@cli.command("serve", with_appcontext=False, add_help_option=False,
             context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(gunicorn_args: tuple[str, ...]) -> None:
    """Run the web app under gunicorn with the portal's settings (portal.gunicorn_conf).
    Arguments go to gunicorn, e.g. `portal serve --bind 127.0.0.1:8000 --workers 1`."""
    argv = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, *gunicorn_args,
            "portal:create_app()"]
    os.execv(sys.executable, argv)  # noqa: S606  (gunicorn takes over this process)


def main() -> None:
    """Entry point of the `portal` console script."""
    cli.main(prog_name="portal")
