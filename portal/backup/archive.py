"""Writing and restoring the backup archive (see ``portal.backup``)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from portal.backup.rows import BackupError, dump_table, load_table
from portal.extensions import db
from portal.timeutil import utcnow

FORMAT = "candidate-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
CHUNK = 1024 * 1024


# ---------------------------------------------------------------- schema and state


def _script() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def code_head() -> str:
    heads = _script().get_heads()
    if len(heads) != 1:
        raise BackupError(f"The migrations have {len(heads)} heads; merge them first.")
    return str(heads[0])


def database_revision(conn: Connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


@contextlib.contextmanager
def _snapshot(engine: Engine, workdir: Path) -> Iterator[Connection]:
    """A connection that sees one moment of the whole database."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
        return
    # SQLite: copy the file with its backup API (a moment's read lock), then read the copy
    # at leisure, instead of holding a read lock that makes writers wait for the dump.
    copy = workdir / "snapshot.sqlite3"
    target = sqlite3.connect(copy)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.backup(target)  # type: ignore[union-attr]
    finally:
        raw.close()
        target.close()
    snapshot = sa.create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    try:
        with snapshot.connect() as conn:
            yield conn
    finally:
        snapshot.dispose()
        copy.unlink(missing_ok=True)


def _hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _upload_files(root: Path) -> list[dict[str, Any]]:
    """Every file kept under UPLOAD_DIR, but not half-written ones (``*.part``), nor hidden
    ones (a restore's staging folder), nor links."""
    found: list[dict[str, Any]] = []
    if not root.is_dir():
        return found
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or name.endswith(".part") or not path.is_file() \
                    or path.is_symlink():
                continue
            size, digest = _hash_file(path)
            found.append({"path": path.relative_to(root).as_posix(), "size": size,
                          "sha256": digest})
    return found


# ---------------------------------------------------------------- backup


@dataclass
class BackupReport:
    revision: str
    tables: int
    rows: int
    files: int
    missing_files: list[str] = field(default_factory=list)


class _HashingReader(io.RawIOBase):
    """Reads a file for the archive and hashes what was read."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(utcnow().timestamp())
    return info


def write_backup(app: Flask, out: IO[bytes], workdir: Path) -> BackupReport:
    """Write the whole portal (tables and uploads) to ``out`` as a .tar.gz."""
    from portal import __version__
    from portal.pool.services import _cv_path

    settings = app.config["PORTAL"]
    upload_root = Path(settings.upload_dir)
    head = code_head()
    tables: list[dict[str, Any]] = []
    with _snapshot(db.engine, workdir) as conn:
        revision = database_revision(conn)
        if revision != head:
            raise BackupError(
                f"The database is at migration {revision or '(none)'} but this code expects "
                f"{head}. Run `portal db upgrade` first, or back up with the "
                "portal version that matches the database. Nothing was written.")
        for table in _tables():
            path = workdir / f"{table.name}.jsonl"
            try:
                with path.open("wb") as handle:
                    rows, digest = dump_table(conn, table, handle)
            except sa.exc.DBAPIError as exc:
                raise BackupError(f"Reading table {table.name} failed: {_first_line(exc)}. "
                                  "Do the models match the migrations? Nothing was "
                                  "written.") from None
            tables.append({"name": table.name, "columns": [c.name for c in table.columns],
                           "rows": rows, "sha256": digest})
        cv_keys = list(conn.scalars(sa.text(
            "SELECT cv_key FROM talent_profile WHERE cv_key IS NOT NULL")))
        engine = conn.dialect.name
    files = _upload_files(upload_root)
    listed = {f["path"] for f in files}
    missing = sorted(rel for key in cv_keys
                     if (rel := _cv_path(settings, key).relative_to(upload_root).as_posix())
                     not in listed)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(), "portal_version": __version__,
        "alembic_revision": revision, "source_engine": engine,
        "tables": tables, "files": files, "missing_files": missing,
    }
    body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as packed, \
            tarfile.open(fileobj=packed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_member(MANIFEST, len(body)), io.BytesIO(body))
        for item in files:
            try:
                with (upload_root / item["path"]).open("rb") as handle:
                    reader = _HashingReader(handle)
                    tar.addfile(_member(f"uploads/{item['path']}", item["size"]), reader)
            except (OSError, tarfile.TarError) as exc:
                raise BackupError(f"{item['path']} in UPLOAD_DIR changed or vanished while "
                                  f"it was backed up ({exc}); run the backup again.") from None
            if reader.digest.hexdigest() != item["sha256"]:
                raise BackupError(f"{item['path']} in UPLOAD_DIR changed while it was backed "
                                  "up; run the backup again.")
        for item in tables:
            path = workdir / f"{item['name']}.jsonl"
            with path.open("rb") as handle:
                tar.addfile(_member(f"tables/{item['name']}.jsonl", path.stat().st_size),
                            handle)
            path.unlink()
    return BackupReport(revision=str(revision), tables=len(tables),
                        rows=sum(t["rows"] for t in tables), files=len(files),
                        missing_files=missing)


# ---------------------------------------------------------------- restore


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    rows: int
    files: int
    created_schema: bool


def _first_line(exc: sa.exc.DBAPIError) -> str:
    """The database's own words, without the statement and its parameters (personal
    data)."""
    return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]


def _damaged(detail: str) -> BackupError:
    return BackupError(f"The archive is damaged, changed or not a portal backup: {detail}. "
                       "Nothing was restored.")


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isreg() \
            or first.size > MAX_MANIFEST_BYTES:
        raise _damaged(f"it does not start with {MANIFEST}")
    handle = tar.extractfile(first)
    try:
        manifest = json.loads(handle.read())  # type: ignore[union-attr]
    except ValueError:
        raise _damaged(f"{MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(f"{MANIFEST} is not a portal backup's")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"This backup is in format {manifest.get('format_version')}; this "
                          f"portal reads format {FORMAT_VERSION}. Restore it with the portal "
                          f"version that made it ({manifest.get('portal_version')}).")
    if not _shaped(manifest.get("tables"), {"name": str, "columns": list, "rows": int,
                                            "sha256": str}) \
            or not _shaped(manifest.get("files"), {"path": str, "size": int, "sha256": str}):
        raise _damaged(f"{MANIFEST} lacks the list of tables or files")
    return manifest


def _shaped(items: Any, fields: dict[str, type]) -> bool:
    return isinstance(items, list) and all(
        isinstance(item, dict) and all(isinstance(item.get(k), t) for k, t in fields.items())
        for item in items)


def _check_revision(manifest: dict[str, Any]) -> None:
    theirs, ours = manifest.get("alembic_revision"), code_head()
    if theirs == ours:
        return
    made_by = manifest.get("portal_version", "?")
    try:
        known = theirs is not None and _script().get_revision(theirs) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        known = False
    if known:
        raise BackupError(
            f"This backup is at migration {theirs}, older than this code's {ours}. Restore it "
            f"with the portal version that made it ({made_by}) into an empty database, then "
            "install this version and upgrade (`portal db upgrade`). "
            "Nothing was restored.")
    raise BackupError(
        f"This backup is at migration {theirs}, which this code does not know (its head is "
        f"{ours}): it was made by a newer portal ({made_by}). Upgrade the code to that "
        "version first, then restore. Nothing was restored.")


def _prepare_database(echo: Callable[[str], None]) -> bool:
    """Make sure the database is empty and at the code's head; an empty database without
    tables gets the schema first (True when it did)."""
    from flask_migrate import upgrade

    head = code_head()
    names = set(sa.inspect(db.engine).get_table_names())
    created = False
    if not names:
        echo(f"The database has no tables: creating the schema (migrations up to {head}).")
        upgrade()
        db.engine.dispose()
        created = True
    elif "alembic_version" not in names:
        raise BackupError("The database has tables but no migration record: it is not an "
                          "empty portal database. Restore into a new, empty database. "
                          "Nothing was restored.")
    with db.engine.connect() as conn:
        revision = database_revision(conn)
        if revision != head:
            raise BackupError(
                f"The database is at migration {revision or '(none)'}, this code at {head}. "
                "Run `portal db upgrade` on it first, or use a new, empty "
                "database. Nothing was restored.")
        filled = [(t.name, n) for t in _tables()
                  if (n := conn.scalar(sa.select(sa.func.count()).select_from(t)))]
    if filled:
        listed = ", ".join(f"{name} ({n} row{'s' if n != 1 else ''})"
                           for name, n in filled[:5])
        more = f" and {len(filled) - 5} more tables" if len(filled) > 5 else ""
        raise BackupError(
            f"The database is not empty: {listed}{more}. A restore goes only into an empty "
            "database, so that nothing is mixed or overwritten: create a new database (or "
            "point DATABASE_URL at a new SQLite file) and restore into that. "
            "Nothing was restored.")
    return created


def _safe_path(root: Path, name: str) -> Path:
    relative = PurePosixPath(name)
    if not name or relative.is_absolute() or any(
            part in ("", ".", "..") or part.startswith(".") for part in relative.parts) \
            or "\\" in name or "\x00" in name:
        raise _damaged(f"a file name tries to leave UPLOAD_DIR ({name!r})")
    target = root.joinpath(*relative.parts)
    if not target.resolve().is_relative_to(root.resolve()):
        raise _damaged(f"a file name leads outside UPLOAD_DIR ({name!r})")
    return target


def _stage_file(handle: IO[bytes], staged: Path, expected: dict[str, Any],
                target: Path) -> None:
    """Copy one file out of the archive into the staging folder, checking its checksum."""
    staged.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with staged.open("wb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
        raise BackupError(
            f"The file {expected['path']} in the backup does not match its checksum: the "
            "archive was damaged or changed after it was made. Nothing was restored.")
    if target.exists() and _hash_file(target)[1] != expected["sha256"]:
        raise BackupError(
            f"UPLOAD_DIR already holds another file at {expected['path']}. Restore into an "
            "empty UPLOAD_DIR. Nothing was restored.")


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: rows came with their ids, so each id sequence must start after them."""
    if conn.dialect.name != "postgresql":
        return  # SQLite continues after the largest rowid by itself
    quote = conn.dialect.identifier_preparer.quote
    for table in _tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": quote(table.name), "c": keys[0].name})
        if sequence:
            top = conn.scalar(sa.select(sa.func.max(keys[0])))
            conn.execute(sa.text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                         {"s": sequence, "v": top or 1, "called": top is not None})


# What a damaged archive raises while it is read (a BadGzipFile is an OSError).
_UNREADABLE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


def restore_archive(app: Flask, source: IO[bytes],
                    echo: Callable[[str], None]) -> RestoreReport:
    """Restore a backup into this app's empty database and UPLOAD_DIR, in one transaction;
    refuses (changing nothing) a damaged archive, another revision or a database in use."""
    try:
        with gzip.GzipFile(fileobj=source, mode="rb") as packed, \
                tarfile.open(fileobj=packed, mode="r|") as tar:
            return _restore(app, tar, echo)
    except _UNREADABLE as exc:
        raise _damaged(str(exc) or type(exc).__name__) from None


def _restore(app: Flask, tar: tarfile.TarFile, echo: Callable[[str], None]) -> RestoreReport:
    from portal.pool.search import rebuild

    upload_root = Path(app.config["PORTAL"].upload_dir)
    manifest = _read_manifest(tar)
    _check_revision(manifest)
    created = _prepare_database(echo)
    tables = {t.name: t for t in _tables()}
    wanted_tables = {t["name"]: t for t in manifest["tables"]}
    if set(wanted_tables) != set(tables):
        raise BackupError("The backup's tables differ from this code's "
                          f"({sorted(set(wanted_tables) ^ set(tables))}). Nothing was restored.")
    wanted_files = {f["path"]: f for f in manifest["files"]}
    upload_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=upload_root))
    placed: list[Path] = []
    seen_files: set[str] = set()
    loaded: dict[str, int] = {}
    try:
        conn = db.session.connection()
        while (member := tar.next()) is not None:
            kind, _sep, name = member.name.partition("/")
            if not member.isreg():
                raise _damaged(f"{member.name} is not a plain file")
            handle = tar.extractfile(member)
            assert handle is not None
            if kind == "uploads" and name in wanted_files and name not in seen_files \
                    and not loaded:
                target = _safe_path(upload_root, name)
                _stage_file(handle, staging / name, wanted_files[name], target)
                seen_files.add(name)
            elif kind == "tables" and (table := name.removesuffix(".jsonl")) in tables \
                    and table not in loaded:
                loaded[table] = _load_member(conn, tables[table], wanted_tables[table], handle)
            else:
                raise _damaged(f"unexpected member {member.name}")
        if set(loaded) != set(tables) or seen_files != set(wanted_files):
            lost = sorted((set(tables) - set(loaded)) | (set(wanted_files) - seen_files))
            raise _damaged(f"it ends before {', '.join(lost[:5])}")
        _reset_sequences(conn)
        rebuild(db.session)  # the full-text index is not in the backup
        for name in sorted(seen_files):
            target = _safe_path(upload_root, name)
            if target.exists():
                continue  # the same bytes are already there (checked above)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            placed.append(target)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(manifest=manifest, rows=sum(loaded.values()), files=len(seen_files),
                         created_schema=created)


def _load_member(conn: Connection, table: sa.Table, expected: dict[str, Any],
                 handle: IO[bytes]) -> int:
    try:
        rows, digest = load_table(conn, table, expected["columns"], handle)
    except sa.exc.DBAPIError as exc:
        raise BackupError(f"The database refused a row of {table.name}: {_first_line(exc)}. "
                          "Nothing was restored.") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise _damaged(f"tables/{table.name}.jsonl: {exc}") from None
    if (rows, digest) != (expected["rows"], expected["sha256"]):
        raise BackupError(f"The table {table.name} in the backup does not match its checksum: "
                          "the archive was damaged or changed. Nothing was restored.")
    return rows
