"""Full-text search over talent-pool profiles.

SQLite keeps an FTS5 table (``unicode61`` with diacritics folded, prefix indexes, ranked
by bm25 with per-column weights). PostgreSQL keeps a ``tsvector`` per profile in a GIN
index: names, skills, tags and places as written (``simple``), notes and CV stemmed in the
profile's language (``swedish`` or ``english``), each with the spelling without diacritics
beside it; ranked by ts_rank. A typed word matches as a prefix of a written word or by
its Swedish or English stem.

Whatever the person types, only runs of letters and digits reach the engine, each as a
quoted prefix term joined by AND: quotes, operators and column filters are plain text here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.pool.models import TalentProfile
from portal.privacy.models import TalentConsent
from portal.timeutil import utcnow

MAX_QUERY = 200
MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; never an operator
_ACCENTED = re.compile(r"\w*[^\x00-\x7f]\w*")  # only these can change when folded
# bm25 weights, in the FTS5 table's column order.
_FTS_COLUMNS = ("name", "skills", "tags", "location", "languages", "roles", "notes", "cv")
_BM25_WEIGHTS = (10.0, 8.0, 8.0, 3.0, 3.0, 4.0, 2.0, 1.0)

# The index itself is made by the migration "talent pool profiles, search, invites and
# holds"; its FTS5 columns are _FTS_COLUMNS in this order.


def words(query: str) -> list[str]:
    """The searchable words of what was typed: letters and digits only, lower case.
    Normalised (NFKC) first, so a character that folds to brackets or operators ("⑴",
    "㈠", "ﷺ") gives only the letters and digits inside it."""
    normal = unicodedata.normalize("NFKC", query[:MAX_QUERY]).casefold()
    return [w[:40] for w in _WORD.findall(normal)][:MAX_WORDS]


@dataclass
class Filters:
    q: str = ""
    skill: str = ""
    tag: str = ""
    location: str = ""
    language: str = ""
    consent_valid: bool = True
    stage_min: int | None = None
    score_min: float | None = None
    notices: list[str] = field(default_factory=list)


@dataclass
class Hit:
    profile: TalentProfile
    rank: float | None


def _fields(profile: TalentProfile) -> dict[str, str]:
    return {"name": profile.candidate.name, "skills": profile.skills, "tags": profile.tags,
            "location": profile.location, "languages": profile.languages,
            "roles": " ".join([profile.roles, profile.summary]), "notes": profile.notes,
            "cv": profile.cv_text}


def document(profile: TalentProfile) -> str:
    return "\n".join(v for v in _fields(profile).values() if v)


def fold(text: str) -> str:
    """Without diacritics ("Göteborg" -> "Goteborg"), so either spelling finds the other;
    FTS5 does this itself, PostgreSQL gets the folded words beside the written ones."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _with_folded(text: str) -> str:
    """The text, then the folded spelling of each word that folding changes."""
    extra = {folded for word in set(_ACCENTED.findall(text)) if (folded := fold(word)) != word}
    return f"{text} {' '.join(sorted(extra))}" if extra else text


def _pg_config(profile_language: str) -> str:
    return "swedish" if profile_language == "sv" else "english"


# One statement per batch: the rows arrive as arrays and PostgreSQL builds every vector.
_PG_UPSERT = sa.text(
    "INSERT INTO pool_search (profile_id, doc) "
    "SELECT t.id, setweight(to_tsvector('simple', t.a), 'A')"
    " || setweight(to_tsvector('simple', t.b), 'B')"
    " || setweight(to_tsvector(CAST(t.cfg AS regconfig), t.c), 'C') "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:cfgs AS text[]), CAST(:a AS text[]), "
    "CAST(:b AS text[]), CAST(:c AS text[])) AS t(id, cfg, a, b, c) "
    "ON CONFLICT (profile_id) DO UPDATE SET doc = excluded.doc")
_SQLITE_DELETE = sa.text("DELETE FROM pool_search WHERE rowid = :id")
_SQLITE_INSERT = sa.text(
    "INSERT INTO pool_search (rowid, name, skills, tags, location, languages, roles, notes, cv)"
    " VALUES (:id, :name, :skills, :tags, :location, :languages, :roles, :notes, :cv)")


def index_rows(db: Session, rows: list[dict[str, Any]]) -> None:
    """Write index entries for many profiles at once. Each row has ``id``, ``lang`` and the
    fields of ``_fields``: the seeding path of the bench and the path of ``reindex``."""
    if not rows:
        return
    if db.get_bind().dialect.name == "postgresql":
        db.execute(_PG_UPSERT, {
            "ids": [r["id"] for r in rows], "cfgs": [_pg_config(r["lang"]) for r in rows],
            "a": [_with_folded(" ".join((r["name"], r["skills"], r["tags"]))) for r in rows],
            "b": [_with_folded(" ".join((r["location"], r["languages"], r["roles"])))
                  for r in rows],
            "c": [_with_folded(" ".join((r["notes"], r["cv"]))) for r in rows]})
    else:
        db.execute(_SQLITE_DELETE, [{"id": r["id"]} for r in rows])
        db.execute(_SQLITE_INSERT, [{c: r[c] for c in ("id", *_FTS_COLUMNS)} for r in rows])


def reindex(db: Session, profile: TalentProfile) -> None:
    """Bring the profile's search document and index entry up to date."""
    profile.search_text = document(profile)
    db.flush()
    index_rows(db, [{"id": profile.id, "lang": profile.candidate.language,
                     **_fields(profile)}])


def unindex(db: Session, profile_id: int) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("DELETE FROM pool_search WHERE profile_id = :id"),
                   {"id": profile_id})
    else:
        db.execute(_SQLITE_DELETE, {"id": profile_id})


def rebuild(db: Session, batch: int = 500) -> int:
    """Index every profile again from its rows, a batch at a time (after a restore: the
    index belongs to one engine and is not in a backup). Returns how many were indexed."""
    from sqlalchemy.orm import joinedload

    last, done = 0, 0
    while profiles := db.scalars(
            sa.select(TalentProfile).options(joinedload(TalentProfile.candidate))
            .where(TalentProfile.id > last).order_by(TalentProfile.id).limit(batch)).all():
        index_rows(db, [{"id": p.id, "lang": p.candidate.language, **_fields(p)}
                        for p in profiles])
        last, done = profiles[-1].id, done + len(profiles)
    return done


def _like(column: Any, value: str) -> Any:
    escaped = value.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.lower(column).like(f"%{escaped}%", escape="\\")


def _filters(f: Filters) -> list[Any]:
    where: list[Any] = []
    for column, value in ((TalentProfile.skills, f.skill), (TalentProfile.tags, f.tag),
                          (TalentProfile.location, f.location),
                          (TalentProfile.languages, f.language)):
        if value.strip():
            where.append(_like(column, value.strip()[:80]))
    if f.consent_valid:
        where.append(sa.exists().where(TalentConsent.candidate_id == TalentProfile.candidate_id,
                                       TalentConsent.withdrawn_at.is_(None),
                                       TalentConsent.expires_at > utcnow()))
    if f.stage_min is not None:
        where.append(TalentProfile.stage_reached >= f.stage_min)
    if f.score_min is not None:
        where.append(TalentProfile.best_score >= f.score_min)
    return where


def _match(db: Session, terms: list[str]) -> tuple[Any, Any, Any, Any]:
    """(index table, its profile id column, match clause, rank expression: lower is
    better)."""
    if db.get_bind().dialect.name == "postgresql":
        index = sa.table("pool_search", sa.column("profile_id"), sa.column("doc"))
        query = None
        for word in terms:
            # Folding may leave something other than a letter or digit: drop it, since
            # to_tsquery reads operators in its text.
            folded = "".join(_WORD.findall(fold(word))) or word
            one = (sa.func.to_tsquery("simple", f"{folded}:*")
                   .op("||")(sa.func.plainto_tsquery("swedish", word))
                   .op("||")(sa.func.plainto_tsquery("english", word)))
            query = one if query is None else query.op("&&")(one)
        return (index, index.c.profile_id, index.c.doc.op("@@")(query),
                -sa.func.ts_rank(index.c.doc, query))
    index = sa.table("pool_search", sa.column("rowid"))
    expression = " AND ".join(f'"{word}"*' for word in terms)
    return (index, sa.literal_column("pool_search.rowid"),
            sa.literal_column("pool_search").op("MATCH")(expression),
            sa.func.bm25(sa.literal_column("pool_search"), *_BM25_WEIGHTS))


# What a result row shows; the rest of a profile (the CV's text above all) stays unread.
_LISTED = (TalentProfile.id, TalentProfile.candidate_id, TalentProfile.skills,
           TalentProfile.location, TalentProfile.remote, TalentProfile.languages,
           TalentProfile.tags, TalentProfile.stage_name, TalentProfile.best_score)


def _load(db: Session, ranked: list[tuple[int, float | None]], where: list[Any],
          limit: int) -> list[Hit]:
    """The profiles behind ranked ids that pass the filters, in rank order."""
    from sqlalchemy.orm import joinedload, load_only

    from portal.hiring.models import Candidate

    if not ranked:
        return []
    profiles = {p.id: p for p in db.scalars(
        sa.select(TalentProfile).options(
            load_only(*_LISTED), joinedload(TalentProfile.candidate).load_only(Candidate.name))
        .where(TalentProfile.id.in_([i for i, _r in ranked]), *where))}
    return [Hit(profiles[i], r) for i, r in ranked if i in profiles][:limit]


def search(db: Session, f: Filters, limit: int = 50) -> list[Hit]:
    """Ranked profiles for the typed words and filters (newest first when nothing is typed).
    Notices explain what was left out of an odd query."""
    if len(f.q) > MAX_QUERY:
        f.notices.append("long")
    terms = words(f.q)
    if f.q.strip() and not terms:
        f.notices.append("no_words")
    where = _filters(f)
    if not terms:
        ids = db.scalars(sa.select(TalentProfile.id).where(*where)
                         .order_by(TalentProfile.updated_at.desc(), TalentProfile.id.desc())
                         .limit(limit)).all()
        return _load(db, [(i, None) for i in ids], [], limit)
    index, profile_id, match, rank = _match(db, terms)
    narrowed = any((f.skill.strip(), f.tag.strip(), f.location.strip(), f.language.strip(),
                    f.stage_min is not None, f.score_min is not None))
    if not narrowed:
        # The index alone ranks; nearly everyone found is in the pool, so the best
        # few are checked against the consent afterwards instead of every match.
        head = limit * 2
        ranked = [(i, float(r)) for i, r in db.execute(
            sa.select(profile_id, rank).select_from(index).where(match)
            .order_by(rank).limit(head)).all()]
        hits = _load(db, ranked, where, limit)
        if len(hits) >= limit or len(ranked) < head:
            return hits
    ranked = [(i, float(r)) for i, r in db.execute(
        sa.select(TalentProfile.id, rank).select_from(
            sa.join(index, TalentProfile.__table__, profile_id == TalentProfile.id))
        .where(match, *where).order_by(rank, TalentProfile.id).limit(limit)).all()]
    return _load(db, ranked, [], limit)


def like_scan(db: Session, query: str) -> list[int]:
    """The plain way, for comparison in the bench: every word as LIKE '%word%' over the
    whole document, read row by row, every match found."""
    where = [_like(TalentProfile.search_text, word) for word in words(query)]
    return list(db.scalars(sa.select(TalentProfile.id).where(*where)))
