"""``backup FILE`` and ``restore FILE``: a portal built through its own services (the demo
seeding, a CV uploaded through the portal) is backed up and restored into an empty
database of either engine, and the restored portal works: same rows in every table, the CV
downloads with the same bytes, a sign-in link from before the backup still signs in, the
staff password still logs in. A damaged or changed archive, another migration revision and
a database in use are refused, and nothing is changed."""

from __future__ import annotations

import enum
import gzip
import io
import json
import tarfile
import tracemalloc
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from portal.backup.rows import dump_table, load_table
from portal.extensions import db
from portal.hiring.models import Application, Candidate, Interview
from portal.pool.models import TalentProfile
from tests.conftest import PG_ADMIN_URL, csrf_from, make_app
from tests.pool.helpers import pdf_with, upload

CV_WORDS = "kvantdatorer och lönesystem"


@pytest.fixture()
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Makes empty databases (no tables) on either engine; PostgreSQL ones are dropped
    afterwards."""
    made: list[str] = []

    def make(engine: str) -> str:
        if engine == "sqlite":
            return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.sqlite3'}"
        request.getfixturevalue("pg_database")  # fails in CI, skips elsewhere, without PG
        import psycopg

        name = f"portal_bak_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace(
            "postgresql://", "postgresql+psycopg://", 1)

    yield make
    import psycopg

    for name in made:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def portals() -> Any:
    """Apps on a database and an upload folder of their own; their engines are closed
    afterwards."""
    apps: list[Flask] = []

    def make(url: str, uploads: Path) -> Flask:
        app = make_app(url)
        app.config["PORTAL"] = replace(app.config["PORTAL"], upload_dir=str(uploads))
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _client(app: Flask) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _seeded(app: Flask) -> dict[str, Any]:
    """Migrate, seed the demo, and have Elin (in the talent pool) upload a CV through the
    portal. Returns the demo's logins and links, and the CV's bytes."""
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    links = {p["email"]: urlsplit(p["link"]).path for p in data["candidates"]}
    elin = _client(app)
    assert elin.get(links["elin@example.com"]).status_code == 303
    token = csrf_from(elin.get("/portal/privacy").text)
    cv = pdf_with(f"Elin Ek\nSystemutvecklare i Göteborg: {CV_WORDS}.")
    assert upload(elin, token, cv).status_code == 303
    with app.app_context():
        # A delivery and its replay: a table whose rows point at each other.
        from portal.webhooks import sealing
        from portal.webhooks.models import WebhookDelivery, WebhookEndpoint

        endpoint = WebhookEndpoint(url="https://hr.example.com/hooks", events="candidate.erased",
                                   sealed_secret=sealing.seal(app.config["PORTAL"],
                                                              "whsec_" + "A" * 32))
        db.session.add(endpoint)
        db.session.flush()
        first = WebhookDelivery(endpoint_id=endpoint.id, event_id="msg_1",
                                event_type="candidate.erased", payload="{}")
        db.session.add(first)
        db.session.flush()
        db.session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id="msg_1",
                                       event_type="candidate.erased", payload="{}",
                                       replay_of_id=first.id))
        db.session.commit()
    return {"staff": data["staff"], "links": links, "cv": cv}


def _every_row(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as the app reads them."""
    with app.app_context():
        return {table.name: [tuple(row) for row in db.session.execute(
            sa.select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables}


def _run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _staff_login(app: Flask, email: str, password: str) -> Any:
    client = _client(app)
    page = client.get("/staff/login")
    done = client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": csrf_from(page.text)})
    assert done.status_code in (302, 303), done.text
    assert client.get("/staff/").status_code == 200
    return client


ENGINES = [("sqlite", "sqlite"), ("postgresql", "postgresql"), ("sqlite", "postgresql"),
           ("postgresql", "sqlite")]


@pytest.mark.parametrize(("source_engine", "target_engine"), ENGINES,
                         ids=[f"{a}-to-{b}" for a, b in ENGINES])
def test_a_backup_restores_into_an_empty_database_and_the_portal_works(
        new_database, portals, tmp_path, source_engine, target_engine):
    source = portals(new_database(source_engine), tmp_path / "uploads-source")
    made = _seeded(source)
    archive = tmp_path / "portal.tar.gz"
    result = _run(source, "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert "personal data" in result.output
    assert archive.stat().st_mode & 0o077 == 0  # personal data: only the owner reads it
    before = _every_row(source)

    target = portals(new_database(target_engine), tmp_path / "uploads-target")
    result = _run(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "SECRET_KEY" in result.output

    # The same rows in every table, value for value (aware datetimes, JSON, booleans,
    # floats and dates as the app reads them).
    after = _every_row(target)
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}
    assert after == before
    assert len(after["candidate"]) >= 7 and len(after["interview"]) >= 3

    with target.app_context():
        profile = db.session.scalar(sa.select(TalentProfile).join(Candidate).where(
            Candidate.email == "elin@example.com"))
        assert profile is not None and profile.cv_key
        anna = db.session.scalar(sa.select(Candidate).where(
            Candidate.email == "anna@example.com"))
        interview = db.session.scalar(sa.select(Interview).join(Application).where(
            Application.candidate_id == anna.id))
        assert anna is not None and interview is not None
        assert interview.starts_at.tzinfo is not None
        profile_id, cv_key, anna_id = profile.id, profile.cv_key, anna.id
        interview_id = interview.id
    assert (tmp_path / "uploads-target" / "cv" / f"{cv_key}.pdf").read_bytes() == made["cv"]

    # Staff log in with the password they had, download the CV (the same bytes) and find
    # Elin by a word of her CV (the full-text index was rebuilt for this engine).
    staff = _staff_login(target, made["staff"]["email"], made["staff"]["password"])
    got = staff.get(f"/staff/pool/{profile_id}/cv")
    assert got.status_code == 200 and got.data == made["cv"]
    got.close()
    found = staff.get("/staff/pool/", query_string={"q": "kvantdatorer"})
    assert found.status_code == 200 and "Elin Ek" in found.text
    assert "Elin Ek" not in staff.get("/staff/pool/", query_string={"q": "xylofon"}).text

    # With another SECRET_KEY a link from before the backup no longer signs in...
    settings = target.config["PORTAL"]
    target.config["PORTAL"] = replace(settings, secret_key="another-secret-" + "z" * 40)
    try:
        refused = _client(target).get(made["links"]["ben@example.com"])
        assert refused.status_code == 303 and "/portal/link" in refused.location
    finally:
        target.config["PORTAL"] = settings
    # ...with the same one, Anna's link signs her in and shows her interview.
    anna_client = _client(target)
    opened = anna_client.get(made["links"]["anna@example.com"])
    assert opened.status_code == 303 and opened.location.endswith("/portal/")
    overview = anna_client.get("/portal/")
    assert overview.status_code == 200 and "Första intervju" in overview.text
    page = anna_client.get(f"/portal/interviews/{interview_id}")
    assert page.status_code == 200 and "Första intervju" in page.text
    # The webhook signing secret travels sealed and opens with the same keys.
    with target.app_context():
        from portal.webhooks import sealing
        from portal.webhooks.models import WebhookEndpoint

        sealed = db.session.scalar(sa.select(WebhookEndpoint.sealed_secret))
        assert "A" * 32 not in sealed
        assert sealing.unseal(settings, sealed) == "whsec_" + "A" * 32

    # New rows get new ids (PostgreSQL's sequences start after the restored ones).
    result = _run(target, "magic-link", "anna@example.com")
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.table("candidate_session"))) == len(before["candidate_session"]) + 1
        assert db.session.get(Candidate, anna_id).first_seen_at is not None


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_database_in_use_is_refused_and_left_as_it_was(new_database, portals, tmp_path,
                                                         engine):
    source = portals(new_database(engine), tmp_path / "uploads")
    _seeded(source)
    archive = tmp_path / "portal.tar.gz"
    assert _run(source, "backup", str(archive)).exit_code == 0
    before = _every_row(source)
    files = sorted((tmp_path / "uploads").rglob("*"))

    result = _run(source, "restore", str(archive))
    assert result.exit_code == 1
    assert "The database is not empty" in result.output
    assert "candidate (" in result.output and "Nothing was restored" in result.output
    assert _every_row(source) == before
    assert sorted((tmp_path / "uploads").rglob("*")) == files


def _rewrite(archive: Path, out: Path, change: Any) -> None:
    """Copy a backup, letting ``change(name, data)`` return other bytes for a member."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(out, "w:gz") as tar:
        for member, data in members:
            data = change(member.name, data)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def _nothing_restored(app: Flask, uploads: Path) -> None:
    rows = _every_row(app)
    assert all(not r for r in rows.values()), {t: len(r) for t, r in rows.items() if r}
    assert not [p for p in uploads.rglob("*") if p.is_file()]
    assert not list(uploads.glob(".restore-*"))  # no staging left behind


@pytest.fixture(scope="module")
def backup_of_a_portal(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One backup of a seeded portal (on SQLite) for the tests that spoil a copy of it."""
    folder = tmp_path_factory.mktemp("backup")
    source = make_app(f"sqlite:///{folder / 'source.sqlite3'}")
    source.config["PORTAL"] = replace(source.config["PORTAL"],
                                      upload_dir=str(folder / "uploads"))
    _seeded(source)
    archive = folder / "portal.tar.gz"
    assert _run(source, "backup", str(archive)).exit_code == 0
    piped = source.test_cli_runner().invoke(args=["backup", "-"])
    assert piped.exit_code == 0, piped.stderr
    (folder / "piped.tar.gz").write_bytes(piped.stdout_bytes)
    with source.app_context():
        db.engine.dispose()
    return archive


def test_a_backup_goes_through_a_pipe(backup_of_a_portal, new_database, portals, tmp_path):
    """``backup -`` writes the archive to stdout and ``restore -`` reads it from stdin, so
    it can pass through an encryption tool without a clear copy on disk."""
    piped = backup_of_a_portal.with_name("piped.tar.gz").read_bytes()
    target = portals(new_database("sqlite"), tmp_path / "uploads")
    result = target.test_cli_runner().invoke(args=["restore", "-"], input=piped)
    assert result.exit_code == 0, result.output
    with tarfile.open(backup_of_a_portal, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    counts = {t: len(rows) for t, rows in _every_row(target).items()}
    assert counts == {t["name"]: t["rows"] for t in manifest["tables"]}
    # Elin's CV in the pool and the CVs sent with the demo's public applications, each
    # back in the upload folder.
    files = sorted(f["path"] for f in manifest["files"])
    restored = sorted(p.relative_to(tmp_path / "uploads").as_posix()
                      for p in (tmp_path / "uploads").rglob("*") if p.is_file())
    with target.app_context():
        from portal.hiring.models import Application

        sent = db.session.scalar(sa.select(sa.func.count()).where(
            Application.cv_key.is_not(None)))
    assert sum(counts.values()) > 100 and restored == files and len(files) == 1 + sent >= 2


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_changed_cv_is_refused_before_anything_is_written(backup_of_a_portal, new_database,
                                                            portals, tmp_path, engine):
    changed = tmp_path / "changed.tar.gz"

    def swap_cv(name: str, data: bytes) -> bytes:
        if name.startswith("uploads/cv/"):
            return pdf_with("Someone else's CV.")
        return data

    _rewrite(backup_of_a_portal, changed, swap_cv)
    target = portals(new_database(engine), tmp_path / "uploads-target")
    result = _run(target, "restore", str(changed))
    assert result.exit_code == 1
    assert "does not match its checksum" in result.output and "uploads/" not in result.output
    assert "cv/" in result.output and "Nothing was restored" in result.output
    _nothing_restored(target, tmp_path / "uploads-target")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_changed_row_undoes_every_table_already_loaded(backup_of_a_portal, new_database,
                                                         portals, tmp_path, engine):
    """The tables load in one transaction: a bad checksum on a late table leaves none of
    the earlier ones behind, and no CV in UPLOAD_DIR."""
    changed = tmp_path / "changed.tar.gz"

    def rename_someone(name: str, data: bytes) -> bytes:
        if name == "tables/outbox_message.jsonl":
            return data.replace(b"Anna", b"Anne", 1)
        return data

    _rewrite(backup_of_a_portal, changed, rename_someone)
    assert changed.read_bytes() != backup_of_a_portal.read_bytes()
    target = portals(new_database(engine), tmp_path / "uploads-target")
    result = _run(target, "restore", str(changed))
    assert result.exit_code == 1
    assert "The table outbox_message in the backup does not match its checksum" in (
        result.output)
    _nothing_restored(target, tmp_path / "uploads-target")
    # Once the archive is whole again, the same (still empty) database takes it.
    assert _run(target, "restore", str(backup_of_a_portal)).exit_code == 0


@pytest.mark.parametrize(("revision", "message"), [
    ("015fd74da9f2", "older than this code's"),
    ("0123456789ab", "made by a newer portal"),
])
def test_a_backup_from_another_migration_is_refused(backup_of_a_portal, new_database,
                                                    portals, tmp_path, revision, message):
    changed = tmp_path / "changed.tar.gz"

    def other_revision(name: str, data: bytes) -> bytes:
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["alembic_revision"] = revision
            return json.dumps(manifest).encode()
        return data

    _rewrite(backup_of_a_portal, changed, other_revision)
    url = new_database("sqlite")
    target = portals(url, tmp_path / "uploads-target")
    result = _run(target, "restore", str(changed))
    assert result.exit_code == 1
    assert message in result.output and revision in result.output
    assert "upgrade" in result.output.lower()
    engine = sa.create_engine(url)
    try:
        assert sa.inspect(engine).get_table_names() == []  # refused before the schema
    finally:
        engine.dispose()


def test_something_that_is_not_a_backup_is_refused(new_database, portals, tmp_path):
    target = portals(new_database("sqlite"), tmp_path / "uploads")
    not_gzip = tmp_path / "notes.tar.gz"
    not_gzip.write_text("hello")
    truncated = tmp_path / "short.tar.gz"
    truncated.write_bytes(gzip.compress(b"manifest.json" + b"\0" * 200))
    for path in (not_gzip, truncated):
        result = _run(target, "restore", str(path))
        assert result.exit_code == 1
        assert "not a portal backup" in result.output


def test_a_database_behind_the_code_is_not_backed_up(new_database, portals, tmp_path):
    app = portals(new_database("sqlite"), tmp_path / "uploads")
    with app.app_context():
        upgrade(revision="015fd74da9f2")
    archive = tmp_path / "portal.tar.gz"
    result = _run(app, "backup", str(archive))
    assert result.exit_code == 1
    assert "db upgrade" in result.output and "015fd74da9f2" in result.output
    assert not archive.exists() and not list(tmp_path.glob(".*part"))


# ---------------------------------------------------------------- values and streaming


class Colour(enum.Enum):
    RED = "r"
    GREEN = "g"


def _probe_table(metadata: sa.MetaData) -> sa.Table:
    from portal.timeutil import UTCDateTime

    return sa.Table(
        "backup_probe", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime()),
        sa.Column("aware", sa.DateTime(timezone=True)),
        sa.Column("naive", sa.DateTime()),
        sa.Column("day", sa.Date()),
        sa.Column("moment", sa.Time()),
        sa.Column("flag", sa.Boolean()),
        sa.Column("blob", sa.LargeBinary()),
        sa.Column("colour", sa.Enum(Colour, name="backup_probe_colour")),
        sa.Column("word", sa.Enum("yes", "no", name="backup_probe_word")),
        sa.Column("doc", sa.JSON()),
        sa.Column("amount", sa.Numeric(12, 2)),
        sa.Column("ratio", sa.Float()),
        sa.Column("uid", sa.Uuid()),
        sa.Column("span", sa.Interval()),
        sa.Column("text", sa.Text()),
    )


PROBE_ROWS = [
    {"id": 1, "at": datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC),
     "aware": datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
     "naive": datetime(2026, 10, 25, 2, 30, 0, 5), "day": date(2026, 2, 28),
     "moment": time(23, 59, 59, 999999), "flag": True, "blob": bytes(range(256)) + b"\n\0",
     "colour": Colour.GREEN, "word": "no",
     "doc": {"Reply-To": "Å <a@example.com>", "list": [1, 2.5, None, True], "n": None},
     "amount": Decimal("12345.67"), "ratio": 0.1 + 0.2, "uid": uuid.UUID(int=7),
     "span": timedelta(days=-1, seconds=5, microseconds=3),
     "text": "rad ett\nrad två\u2028\"citat\" \\ 😀"},
    {"id": 2, "at": datetime(2026, 1, 1, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
     "aware": datetime(2026, 7, 1, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
     "naive": None, "day": None, "moment": None, "flag": False,
     "blob": b"", "colour": Colour.RED, "word": None, "doc": sa.JSON.NULL,
     "amount": None, "ratio": -0.0, "uid": None, "span": None, "text": ""},
    {"id": 3, "at": None, "aware": None, "naive": None, "day": None, "moment": None,
     "flag": None, "blob": None, "colour": None, "word": None, "doc": sa.null(),
     "amount": Decimal("-0.01"), "ratio": 1e-300, "uid": None, "span": None, "text": None},
]


def _probe_values(engine: sa.Engine, table: sa.Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table, sa.cast(table.c.doc, sa.Text).label("raw"))
                            .order_by(table.c.id)).all()
    # The raw JSON text tells JSON null from SQL NULL; compare its meaning, not spacing.
    # A plain DateTime(timezone=True) comes back from SQLite without a zone: UTC.
    return [(row[0], row[1], _utc(row[2]), *row[3:-1],
             None if row[-1] is None else json.loads(row[-1])) for row in rows]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@pytest.mark.parametrize(("source_engine", "target_engine"), ENGINES,
                         ids=[f"{a}-to-{b}" for a, b in ENGINES])
def test_every_kind_of_value_survives_the_trip(new_database, source_engine, target_engine,
                                               tmp_path):
    """Types the portal's tables use today and those it may use tomorrow: datetimes with
    zones, naive ones, JSON (JSON null apart from SQL NULL), binary, booleans, enums,
    decimals, UUIDs, intervals and text that is not plain."""
    engines = []
    try:
        tables = []
        for url in (new_database(source_engine), new_database(target_engine)):
            metadata = sa.MetaData()
            table = _probe_table(metadata)
            engine = sa.create_engine(url)
            metadata.create_all(engine)
            engines.append(engine)
            tables.append(table)
        with engines[0].begin() as conn:
            conn.execute(tables[0].insert(), PROBE_ROWS)
        dump = tmp_path / "probe.jsonl"
        with engines[0].connect() as conn, dump.open("wb") as out:
            rows, digest = dump_table(conn, tables[0], out)
        assert rows == len(PROBE_ROWS)
        with engines[1].begin() as conn, dump.open("rb") as lines:
            assert load_table(conn, tables[1], [c.name for c in tables[0].columns],
                              lines) == (rows, digest)
        written, read = _probe_values(engines[0], tables[0]), _probe_values(engines[1],
                                                                            tables[1])
        assert read == written
        assert read[0][1] == PROBE_ROWS[0]["at"] and read[1][1].utcoffset() == timedelta(0)
        assert read[0][6] is True and read[1][6] is False and read[2][6] is None
        assert read[1][-1] is None and read[2][-1] is None  # parsed: null and NULL...
        with engines[1].connect() as conn:  # ...but stored apart
            raw = conn.execute(sa.select(sa.cast(tables[1].c.doc, sa.Text))
                               .order_by(tables[1].c.id)).scalars().all()
        assert raw[1] == "null" and raw[2] is None
    finally:
        for engine in engines:
            engine.dispose()


def _peak(app: Flask, *args: str) -> int:
    """The most memory Python held while the command ran."""
    tracemalloc.start()
    try:
        result = _run(app, *args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.output
    return peak


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_large_table_is_streamed_not_held_in_memory(new_database, portals, tmp_path,
                                                      engine):
    """50,000 audit events: what Python holds at its peak while backing up, and while
    restoring, grows by well under the size of the table's own dump over the same
    commands on empty tables (holding the rows would take several times that size)."""
    source = portals(new_database(engine), tmp_path / "uploads-source")
    target = portals(new_database(engine), tmp_path / "uploads-target")
    for app in (source, target):
        with app.app_context():
            upgrade()
    empty, archive = tmp_path / "empty.tar.gz", tmp_path / "portal.tar.gz"
    # Once to warm up (first imports and compiled statements), once to measure the base:
    # restoring an empty backup leaves the target empty.
    for _round in range(2):
        base = [_peak(source, "backup", str(empty)), _peak(target, "restore", str(empty))]
    with source.app_context():
        table = db.metadata.tables["audit_event"]
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for first in range(0, 50_000, 5_000):
            db.session.execute(table.insert(), [
                {"at": start + timedelta(seconds=i), "actor_kind": "staff", "actor_id": i % 7,
                 "action": "candidate_viewed", "candidate_id": i}
                for i in range(first, first + 5_000)])
        db.session.commit()
    peaks = [_peak(source, "backup", str(archive)), _peak(target, "restore", str(archive))]
    with tarfile.open(archive, "r:gz") as tar:
        size = tar.getmember("tables/audit_event.jsonl").size
    assert size > 3_000_000
    growth = [peak - before for peak, before in zip(peaks, base, strict=True)]
    assert max(growth) < size / 2, (base, peaks, size)
    with target.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 50_000
