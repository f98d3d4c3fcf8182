"""``backup FILE`` and ``restore FILE``: a portable logical dump of the whole portal.

One ``.tar.gz`` holds, in this order:

- ``manifest.json``: the format, the Alembic revision of the schema, the portal version,
  and for every table its columns, row count and SHA-256, for every file its size and
  SHA-256;
- ``uploads/<path>``: every file under ``UPLOAD_DIR`` (the CVs);
- ``tables/<table>.jsonl``: every table's rows in foreign-key order (the metadata's
  ``sorted_tables``), one JSON array per row, values in the manifest's column order.

The values are written from the column types, not from one engine's storage, so a backup
of SQLite restores into PostgreSQL and back: aware datetimes as ISO 8601 with their offset,
JSON columns as their JSON text (so JSON ``null`` and SQL ``NULL`` stay apart), binary as
base64, enums by member name, decimals as strings. The full-text index of the talent pool
is not in the backup: it belongs to one engine and is rebuilt from the profiles.

Rows are streamed both ways (a server-side cursor on PostgreSQL, batches on insert); the
dump reads one consistent snapshot (a repeatable-read transaction on PostgreSQL, a copy made
with SQLite's backup API on SQLite, so writers are not held up while it is read). A restore
goes into an empty database at the same revision, as one transaction, after every file's
checksum has been verified.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import click
from flask import Flask, current_app

from portal.backup.archive import restore_archive, write_backup
from portal.backup.rows import BackupError

__all__ = ["BackupError", "init_app", "restore_archive", "write_backup"]


def _say(message: str) -> None:
    click.echo(message, err=True)  # stdout may be the archive itself


def init_app(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
    def backup_cmd(file: str) -> None:
        """Write the database and the uploaded files to FILE (.tar.gz; - for stdout).
        It holds personal data: keep it encrypted."""
        application = current_app._get_current_object()  # type: ignore[attr-defined]
        if file == "-":
            with tempfile.TemporaryDirectory(prefix="portal-backup-") as work:
                report = write_backup(application, sys.stdout.buffer,
                                      Path(work))
        else:
            target = Path(file).resolve()
            partial = target.with_name(f".{target.name}.part")
            with tempfile.TemporaryDirectory(prefix=".portal-backup-", dir=target.parent) \
                    as work:
                try:
                    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    with os.fdopen(descriptor, "wb") as out:
                        report = write_backup(application, out, Path(work))
                        out.flush()
                        os.fsync(out.fileno())
                    os.replace(partial, target)  # a failed run leaves the last backup alone
                except BaseException:
                    partial.unlink(missing_ok=True)
                    raise
        _say(f"Backed up {report.rows} rows in {report.tables} tables and {report.files} "
             f"file(s) (migration {report.revision}) to {file}.")
        if report.missing_files:
            _say(f"Warning: {len(report.missing_files)} CV(s) the database refers to are not "
                 f"in UPLOAD_DIR ({app.config['PORTAL'].upload_dir}), e.g. "
                 f"{report.missing_files[0]}. Is UPLOAD_DIR set as for the web app?")
        _say("The backup holds personal data: store it encrypted, and delete it on the "
             "same schedule as the data it holds.")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True,
                                            path_type=str))
    def restore_cmd(file: str) -> None:
        """Restore a backup from FILE (- for stdin) into an empty database and UPLOAD_DIR.
        Stop the web app and the worker first."""
        application = current_app._get_current_object()  # type: ignore[attr-defined]
        with contextlib.ExitStack() as stack:
            source = sys.stdin.buffer if file == "-" else \
                stack.enter_context(open(file, "rb"))  # noqa: SIM115
            report = restore_archive(application, source, _say)
        made = report.manifest
        _say(f"Restored {report.rows} rows and {report.files} file(s) from a backup made "
             f"{made.get('created_at')} on {made.get('source_engine')} "
             f"(migration {made.get('alembic_revision')}).")
        _say("Sign-in links and sessions from before the backup work only if SECRET_KEY is "
             "the same as where the backup was made (or listed in SECRET_KEY_FALLBACKS).")
