"""Find anyone: full-text search over candidates for the staff candidates page.

One index entry per candidate holds their name and email, the titles of the openings they
applied to, the names of the stages they stand in, the talent-pool notes and CV text, and
the staff notes on the candidate (``hiring.notes``: searched by admins and recruiters only,
like the pool's notes). It
is the pool's engine (``portal.pool.search``): SQLite keeps an FTS5 table
``candidate_search`` (diacritics folded, prefix indexes, bm25), PostgreSQL a ``tsvector`` per
candidate in a GIN index (names, openings and stages as written, notes and CV stemmed in the
candidate's language, folded spellings beside them). Only the letters and digits of what was
typed reach the engine (``pool.search.words``).

The index follows every write by itself: a flush that changes a candidate, an application
(its stage or opening), an opening's title, a stage's name, a pool profile's notes or CV
or a staff note marks the candidates it touches, and the commit rewrites their entries in the same
transaction (``_collect`` and ``_before_commit`` below).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload

from portal.hiring.conversation import StaffNote
from portal.hiring.models import (
    Application,
    Candidate,
    Interview,
    InterviewStatus,
    Opening,
    Response,
    Stage,
    StageKind,
)
from portal.hiring.notes import notes_text
from portal.pool.models import TalentProfile
from portal.pool.search import _WORD, _with_folded, fold, words
from portal.techcheck.models import TechCheckResult

PAGE_SIZE = 50
MAX_PAGE = 10_000
STATUSES = ("open", "closed", "hired", "rejected")
VERDICTS = ("ready", "warnings", "not_ready")
SORTS = ("relevance", "name", "activity", "applied")
SOURCES = ("staff", "public_page", "import", "pool")
_COLUMNS = ("name", "email", "openings", "stages", "notes", "cv")
_BM25_WEIGHTS = (10.0, 6.0, 5.0, 4.0, 2.0, 1.0)
_PENDING = "candidate_search_pending"


# ---------------------------------------------------------------- the index


def _documents(db: Session, ids: list[int]) -> list[dict[str, Any]]:
    """The indexed fields of each existing candidate among ``ids``."""
    rows = {cid: {"id": cid, "lang": lang, "name": name, "email": email, "openings": [],
                  "stages": [], "notes": "", "cv": ""}
            for cid, name, email, lang in db.execute(
                sa.select(Candidate.id, Candidate.name, Candidate.email, Candidate.language)
                .where(Candidate.id.in_(ids)))}
    if not rows:
        return []
    for cid, title, stage, stage_sv, stage_en in db.execute(
            sa.select(Application.candidate_id, Opening.title, Stage.name, Stage.public_name_sv,
                      Stage.public_name_en)
            .join(Opening, Opening.id == Application.opening_id)
            .join(Stage, Stage.id == Application.stage_id)
            .where(Application.candidate_id.in_(list(rows)))):
        rows[cid]["openings"].append(title)
        rows[cid]["stages"].extend(dict.fromkeys((stage, stage_sv, stage_en)))
    for cid, notes, cv in db.execute(
            sa.select(TalentProfile.candidate_id, TalentProfile.notes, TalentProfile.cv_text)
            .where(TalentProfile.candidate_id.in_(list(rows)))):
        rows[cid]["notes"], rows[cid]["cv"] = notes or "", cv or ""
    for cid, cv in db.execute(
            sa.select(Application.candidate_id, Application.cv_text)
            .where(Application.candidate_id.in_(list(rows)), Application.cv_text != "")):
        rows[cid]["cv"] = f"{rows[cid]['cv']}\n{cv}".strip()
    for cid, written in notes_text(db, list(rows)).items():
        rows[cid]["notes"] = f"{rows[cid]['notes']}\n{written}".strip()
    for row in rows.values():
        row["openings"] = " ".join(row["openings"])
        row["stages"] = " ".join(row["stages"])
    return list(rows.values())


_PG_UPSERT = sa.text(
    "INSERT INTO candidate_search (candidate_id, doc) "
    "SELECT t.id, setweight(to_tsvector('simple', t.a), 'A')"
    " || setweight(to_tsvector('simple', t.b), 'B')"
    " || setweight(to_tsvector(CAST(t.cfg AS regconfig), t.c), 'C') "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:cfgs AS text[]), CAST(:a AS text[]), "
    "CAST(:b AS text[]), CAST(:c AS text[])) AS t(id, cfg, a, b, c) "
    "ON CONFLICT (candidate_id) DO UPDATE SET doc = excluded.doc")
_SQLITE_INSERT = sa.text(
    "INSERT INTO candidate_search (rowid, name, email, openings, stages, notes, cv)"
    " VALUES (:id, :name, :email, :openings, :stages, :notes, :cv)")


def _remove(db: Session, ids: list[int]) -> None:
    statement = ("DELETE FROM candidate_search WHERE candidate_id = :id"
                 if db.get_bind().dialect.name == "postgresql"
                 else "DELETE FROM candidate_search WHERE rowid = :id")
    db.execute(sa.text(statement), [{"id": i} for i in ids])


def index_rows(db: Session, rows: list[dict[str, Any]]) -> None:
    """Write the entries of many candidates at once (the refresh path and the bench)."""
    if not rows:
        return
    if db.get_bind().dialect.name == "postgresql":
        db.execute(_PG_UPSERT, {
            "ids": [r["id"] for r in rows],
            "cfgs": ["swedish" if r["lang"] == "sv" else "english" for r in rows],
            "a": [_with_folded(f"{r['name']} {r['email']}") for r in rows],
            "b": [_with_folded(f"{r['openings']} {r['stages']}") for r in rows],
            "c": [_with_folded(f"{r['notes']} {r['cv']}") for r in rows]})
    else:
        _remove(db, [r["id"] for r in rows])
        db.execute(_SQLITE_INSERT, [{c: r[c] for c in ("id", *_COLUMNS)} for r in rows])


def refresh(db: Session, ids: list[int] | set[int]) -> None:
    """Bring the entries of these candidates up to date (gone candidates leave the index)."""
    ids = sorted(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        docs = _documents(db, chunk)
        index_rows(db, docs)
        gone = set(chunk) - {d["id"] for d in docs}
        if gone:
            _remove(db, sorted(gone))


def rebuild(db: Session, batch: int = 500) -> int:
    """Index every candidate again (after a restore; the migration does it too)."""
    last, done = 0, 0
    while ids := db.scalars(sa.select(Candidate.id).where(Candidate.id > last)
                            .order_by(Candidate.id).limit(batch)).all():
        refresh(db, ids)
        last, done = ids[-1], done + len(ids)
    return done


def _changed(obj: Any, *names: str) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


# The columns of the rows beside a candidate whose change rewrites the candidate's entry.
_WATCHED: dict[type, tuple[str, ...]] = {Application: ("stage_id", "opening_id", "cv_text"),
                                         TalentProfile: ("notes", "cv_text"),
                                         StaffNote: ("body",)}


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    """Mark the candidates whose indexed text this flush changed."""
    pending = session.info.setdefault(_PENDING, {"candidates": set(), "openings": set(),
                                                 "stages": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        fresh = obj in session.new or obj in session.deleted
        if isinstance(obj, Candidate) and (fresh or _changed(obj, "name", "email", "language")):
            pending["candidates"].add(obj.id)
        elif isinstance(obj, Application | TalentProfile | StaffNote) and (
                fresh or _changed(obj, *_WATCHED[type(obj)])):
            pending["candidates"].add(obj.candidate_id)
        elif isinstance(obj, Opening) and not fresh and _changed(obj, "title"):
            pending["openings"].add(obj.id)
        elif isinstance(obj, Stage) and not fresh and _changed(
                obj, "name", "public_name_sv", "public_name_en"):
            pending["stages"].add(obj.id)


def sync(session: Session) -> None:
    """Flush, then rewrite the entries of every candidate marked since the last sync."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()):
        return
    ids = {i for i in pending["candidates"] if i is not None}
    if pending["openings"] or pending["stages"]:
        ids.update(session.scalars(sa.select(Application.candidate_id).where(sa.or_(
            Application.opening_id.in_(pending["openings"]),
            Application.stage_id.in_(pending["stages"])))))
    refresh(session, ids)
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING) or session.new or session.dirty or session.deleted:
        sync(session)


# ---------------------------------------------------------------- the search


@dataclass
class Query:
    q: str = ""
    opening: int | None = None
    stage: str = ""  # a stage's name: the same stage across openings
    status: str = ""
    verdict: str = ""
    overdue: bool = False
    reschedule: bool = False
    source: str = ""  # how the application came in (Application.source)
    sort: str = ""
    page: int = 1


@dataclass
class Page:
    rows: list[tuple[Candidate, float | None]]
    total: int
    page: int
    pages: int
    sort: str


def _match(db: Session, terms: list[str], full: bool) -> tuple[Any, Any, Any, Any]:
    """(index, candidate id column, match clause, rank: lower is better). Without ``full``
    only names, emails, openings and stages are searched (no notes, no CV)."""
    if db.get_bind().dialect.name == "postgresql":
        index = sa.table("candidate_search", sa.column("candidate_id"), sa.column("doc"))
        query = None
        for word in terms:
            folded = "".join(_WORD.findall(fold(word))) or word
            if full:
                one = (sa.func.to_tsquery("simple", f"{folded}:*")
                       .op("||")(sa.func.plainto_tsquery("swedish", word))
                       .op("||")(sa.func.plainto_tsquery("english", word)))
            else:
                one = sa.func.to_tsquery("simple", f"{folded}:*AB")
            query = one if query is None else query.op("&&")(one)
        return (index, index.c.candidate_id, index.c.doc.op("@@")(query),
                -sa.func.ts_rank(index.c.doc, query))
    index = sa.table("candidate_search", sa.column("rowid"))
    expression = " AND ".join(f'"{word}"*' for word in terms)
    if not full:
        expression = "{name email openings stages} : (" + expression + ")"
    return (index, sa.literal_column("candidate_search.rowid"),
            sa.literal_column("candidate_search").op("MATCH")(expression),
            sa.func.bm25(sa.literal_column("candidate_search"), *_BM25_WEIGHTS))


def _filters(f: Query, today: date, visible: Any | None) -> list[Any]:
    """Conditions on Candidate; ``visible`` (a select of application ids) limits everything
    to those applications."""
    app_where: list[Any] = []
    if visible is not None:
        app_where.append(Application.id.in_(visible))
    if f.opening:
        app_where.append(Application.opening_id == f.opening)
    if f.stage:
        app_where.append(Application.stage_id.in_(sa.select(Stage.id).where(Stage.name == f.stage)))
    if f.status == "open":
        app_where.append(Application.closed_at.is_(None))
    elif f.status == "closed":
        app_where.append(Application.closed_at.is_not(None))
    elif f.status in ("hired", "rejected"):
        kind = StageKind.HIRED if f.status == "hired" else StageKind.NOT_SELECTED
        app_where.append(Application.stage_id.in_(
            sa.select(Stage.id).where(Stage.kind == kind.value)))
    if f.overdue:
        app_where += [Application.closed_at.is_(None), Application.next_step_by < today]
    if f.source:
        app_where.append(Application.source == f.source)
    if f.reschedule:
        app_where.append(sa.exists().where(
            Interview.application_id == Application.id,
            Interview.status == InterviewStatus.SCHEDULED.value,
            Interview.response == Response.RESCHEDULE.value))
    where: list[Any] = []
    if app_where:
        # IN rather than EXISTS: the engine starts from the applications' indexes.
        where.append(Candidate.id.in_(sa.select(Application.candidate_id).where(*app_where)))
    if f.verdict:
        newest = (sa.select(sa.func.max(TechCheckResult.id))
                  .where(TechCheckResult.candidate_id == Candidate.id).scalar_subquery())
        where.append(sa.exists().where(TechCheckResult.id == newest,
                                       TechCheckResult.verdict == f.verdict))
    return where


def _activity() -> Any:
    latest = (sa.select(sa.func.max(Application.updated_at))
              .where(Application.candidate_id == Candidate.id).scalar_subquery())
    return sa.func.coalesce(latest, Candidate.created_at)


def _applied() -> Any:
    return sa.func.coalesce(
        sa.select(sa.func.max(Application.created_at))
        .where(Application.candidate_id == Candidate.id).scalar_subquery(), Candidate.created_at)


def search(db: Session, f: Query, today: date, visible: Any | None = None,
           full: bool = True) -> Page:
    """One page of candidates for the words and filters. ``visible``: the application ids
    an interviewer may see (None: everyone); ``full``: notes and CVs searched too."""
    sync(db)
    terms = words(f.q)
    where = _filters(f, today, visible)
    sort = f.sort if f.sort in SORTS else ""
    if not sort or (sort == "relevance" and not terms):
        sort = "relevance" if terms else "activity"
    base = sa.select(Candidate.id)
    rank: Any = None
    if terms:
        index, cid, match, rank = _match(db, terms, full)
        base = base.select_from(sa.join(index, Candidate.__table__, cid == Candidate.id))
        where = [match, *where]
    key, descending = {
        "relevance": (rank, False), "name": (sa.func.lower(Candidate.name), False),
        "activity": (_activity(), True), "applied": (_applied(), True)}[sort]
    # FTS5's bm25() refuses a query with a window function, so the matches are a subquery.
    matches = base.with_only_columns(
        Candidate.id.label("id"), (rank if rank is not None else sa.null()).label("rank"),
        (key if key is not None else sa.null()).label("key")).where(*where).subquery()
    listing = (sa.select(matches.c.id, matches.c.rank, sa.func.count().over())
               .order_by(matches.c.key.desc() if descending else matches.c.key,
                         matches.c.id.desc())
               .limit(PAGE_SIZE))
    # One pass finds, ranks and counts the matches (the count rides along as a window);
    # only a page past the end needs the count on its own, to show the last page instead.
    page = max(1, f.page)
    found = db.execute(listing.offset((page - 1) * PAGE_SIZE)).all()
    if found:
        total = found[0][2]
    else:
        total = (db.scalar(sa.select(sa.func.count()).select_from(base.where(*where).subquery()))
                 or 0) if page > 1 else 0
        if total:
            page = -(-total // PAGE_SIZE)
            found = db.execute(listing.offset((page - 1) * PAGE_SIZE)).all()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    people = {c.id: c for c in db.scalars(
        sa.select(Candidate).where(Candidate.id.in_([row[0] for row in found])).options(
            selectinload(Candidate.applications).selectinload(Application.opening),
            selectinload(Candidate.applications).selectinload(Application.stage)))}
    rows = [(people[i], None if r is None else float(r)) for i, r, _n in found if i in people]
    return Page(rows=rows, total=total, page=page, pages=pages, sort=sort)


def last_activity(candidate: Candidate) -> datetime:
    return max([a.updated_at for a in candidate.applications] or [candidate.created_at])
