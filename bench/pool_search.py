"""Talent-pool search against a plain LIKE scan of the same data, in the same run, at
10,000 and then 100,000 generated profiles, on SQLite (FTS5) and PostgreSQL (tsvector, GIN).

Run by hand:  .venv/bin/python bench/pool_search.py [sqlite] [postgresql]
PostgreSQL is reached at PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
the bench makes and drops its own database.
"""

from __future__ import annotations

import itertools
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

FIRST = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Per",
    "Sara",
    "Johan",
    "Emma",
    "Anders",
    "Eva",
    "Nils",
    "Ida",
    "Oskar",
    "Elin",
    "Hugo",
    "Linnea",
    "Axel",
    "Maja",
    "Olle",
    "Saga",
    "Viktor",
    "Alva",
    "Liam",
    "Wilma",
    "Noah",
    "Ebba",
    "Adam",
    "Tuva",
    "Elias",
]  # noqa: SIM905
LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Lindberg",
    "Lindqvist",
    "Berg",
    "Lundgren",
    "Holm",
    "Sandberg",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Ek",
    "Lind",
    "Björk",
    "Nyström",
]  # noqa: SIM905
CITIES = [
    "Stockholm",
    "Göteborg",
    "Malmö",
    "Uppsala",
    "Västerås",
    "Örebro",
    "Linköping",
    "Helsingborg",
    "Jönköping",
    "Norrköping",
    "Lund",
    "Umeå",
    "Gävle",
    "Borås",
    "Södertälje",
    "Eskilstuna",
    "Karlstad",
    "Växjö",
    "Halmstad",
    "Sundsvall",
    "Luleå",
    "Trollhättan",
    "Östersund",
    "Borlänge",
    "Falun",
    "Kalmar",
    "Skövde",
    "Kristianstad",
    "Karlskrona",
    "Skellefteå",
]  # noqa: SIM905
COMMON = [
    "och",
    "att",
    "det",
    "som",
    "på",
    "är",
    "av",
    "för",
    "med",
    "till",
    "den",
    "har",
    "de",
    "inte",
    "om",
    "ett",
    "han",
    "men",
    "var",
    "jag",
    "sig",
    "från",
    "vi",
    "så",
    "kan",
    "man",
    "när",
    "år",
    "säger",
    "hon",
    "under",
    "också",
    "efter",
    "eller",
    "nu",
    "sin",
    "där",
    "vid",
    "mot",
    "ska",
    "skulle",
    "kommer",
    "ut",
    "får",
    "finns",
    "vara",
    "hade",
    "alla",
    "andra",
    "mycket",
    "än",
    "här",
    "då",
    "sedan",
    "över",
    "bara",
    "in",
    "blir",
    "upp",
    "även",
    "vad",
    "få",
    "två",
    "vill",
    "ha",
    "många",
    "hur",
    "mer",
    "går",
    "sverige",
    "kronor",
    "detta",
    "nya",
    "procent",
    "arbete",
    "ansvar",
    "team",
    "projekt",
    "kunder",
    "utveckling",
    "ledde",
    "byggde",
    "erfarenhet",
]  # noqa: SIM905
SYLLABLES = [
    "an",
    "be",
    "ci",
    "da",
    "el",
    "fo",
    "gu",
    "he",
    "in",
    "jo",
    "ka",
    "lu",
    "ma",
    "ne",
    "om",
    "pa",
    "ru",
    "sa",
    "te",
    "ul",
    "va",
    "yr",
    "ös",
    "äl",
    "år",
    "sk",
    "st",
    "tr",
    "gr",
    "fl",
    "kl",
    "pr",
    "sv",
    "bl",
]  # noqa: SIM905


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Made-up Swedish-looking words; drawn with a Zipf-like skew like real text."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 5))))
    return sorted(words)


def make_rows(
    rng: random.Random, start: int, count: int, vocab: list[str], skills: list[str]
) -> list[dict]:
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab))))
    rows = []
    for n in range(start, start + count):
        text = rng.choices(COMMON, k=25) + rng.choices(vocab, cum_weights=cumulative, k=45)
        rng.shuffle(text)
        rows.append(
            {
                "n": n,
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "skills": ", ".join(rng.sample(skills, 4)),
                "location": rng.choice(CITIES),
                "languages": "svenska, engelska",
                "roles": rng.choice(skills) + " roles",
                "cv": " ".join(text).capitalize() + ".",
                "lang": "sv",
            }
        )
    return rows


def seed(db, rows: list[dict]) -> None:  # noqa: ANN001
    from sqlalchemy import insert, select

    from portal.hiring.models import Candidate
    from portal.pool import search
    from portal.pool.models import TalentProfile
    from portal.privacy.models import TalentConsent
    from portal.timeutil import utcnow

    now = utcnow()
    for chunk in range(0, len(rows), 5000):
        part = rows[chunk : chunk + 5000]
        db.session.execute(
            insert(Candidate),
            [
                {
                    "name": r["name"],
                    "email": f"p{r['n']}@example.com",
                    "phone": "",
                    "language": "sv",
                    "timezone": "Europe/Stockholm",
                    "timezone_source": "recruiter",
                    "created_at": now,
                }
                for r in part
            ],
        )
        ids = dict(
            db.session.execute(
                select(Candidate.email, Candidate.id).where(
                    Candidate.email.in_([f"p{r['n']}@example.com" for r in part])
                )
            ).all()
        )
        for r in part:
            r["candidate_id"] = ids[f"p{r['n']}@example.com"]
        db.session.execute(
            insert(TalentConsent),
            [
                {
                    "candidate_id": r["candidate_id"],
                    "text_version": "bench",
                    "language": "sv",
                    "roles": "",
                    "given_at": now,
                    "expires_at": now + timedelta(days=365),
                }
                for r in part
            ],
        )
        db.session.execute(
            insert(TalentProfile),
            [
                {
                    "candidate_id": r["candidate_id"],
                    "skills": r["skills"],
                    "location": r["location"],
                    "languages": r["languages"],
                    "roles": r["roles"],
                    "cv_text": r["cv"],
                    "search_text": "\n".join(
                        (r["name"], r["skills"], r["location"], r["languages"], r["roles"], r["cv"])
                    ),
                    "updated_at": now,
                }
                for r in part
            ],
        )
        profile_ids = dict(
            db.session.execute(
                select(TalentProfile.candidate_id, TalentProfile.id).where(
                    TalentProfile.candidate_id.in_([r["candidate_id"] for r in part])
                )
            ).all()
        )
        search.index_rows(
            db.session,
            [
                {
                    "id": profile_ids[r["candidate_id"]],
                    "lang": "sv",
                    "name": r["name"],
                    "skills": r["skills"],
                    "tags": "",
                    "location": r["location"],
                    "languages": r["languages"],
                    "roles": r["roles"],
                    "notes": "",
                    "cv": r["cv"],
                }
                for r in part
            ],
        )
        db.session.commit()


def timed(fn, repeat: int) -> float:  # noqa: ANN001
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(backend: str) -> list[tuple]:
    from flask_migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="portal-poolbench-"))
    pg_name = None
    if backend == "postgresql":
        import psycopg

        pg_name = f"portal_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{pg_name}"
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.update(
        {"PORTAL_ENV": "test", "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": url}
    )
    from portal import create_app
    from portal.extensions import db
    from portal.pool import search

    rng = random.Random(7)
    vocab = vocabulary(rng, 20000)
    skills = [w.capitalize() for w in vocabulary(random.Random(8), 400)]
    queries = {
        "a skill": skills[17].lower(),
        "a rare CV word": vocab[4000],
        "a common CV word": vocab[40],
        "skill + city": f"{skills[23].lower()} göteborg",
        "prefix while typing": vocab[9000][:4],
    }
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"].replace(
                "postgresql://", "postgresql+psycopg://", 1
            )
        }
    )
    results = []
    try:
        with app.app_context():
            upgrade()
            seeded = 0
            seed_seconds = 0.0
            for target in (10_000, 100_000):
                rows = make_rows(rng, seeded, target - seeded, vocab, skills)
                start = time.perf_counter()
                seed(db, rows)
                seed_seconds += time.perf_counter() - start
                seeded = target
                if backend == "postgresql":
                    # What autovacuum does in a live database: flush the GIN index's pending
                    # list and refresh the planner's statistics.
                    db.session.commit()
                    with db.engine.connect().execution_options(
                            isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(db.text("VACUUM ANALYZE"))
                for label, query in queries.items():
                    filters = search.Filters(q=query)
                    hits = len(search.search(db.session, filters))
                    matches = len(search.like_scan(db.session, query))
                    fts = timed(lambda q=query: search.search(db.session, search.Filters(q=q)), 15)
                    like = timed(lambda q=query: search.like_scan(db.session, q), 3)
                    results.append((backend, target, label, matches, hits, fts, like, seed_seconds))
                    print(
                        f"  {backend} {target:>7,} {label:<20} {fts:8.2f} ms  "
                        f"LIKE {like:9.1f} ms  matches {matches}",
                        flush=True,
                    )
    finally:
        with app.app_context():
            db.engine.dispose()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return results


def main() -> None:
    backends = [a for a in sys.argv[1:] if a in ("sqlite", "postgresql")] or [
        "sqlite",
        "postgresql",
    ]
    table = []
    for backend in backends:
        table += run(backend)
    print()
    print("| database | profiles | query | matches | search ms | LIKE scan ms | scan / search |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for backend, size, label, matches, _hits, fts, like, _seed in table:
        print(
            f"| {backend} | {size:,} | {label} | {matches:,} | {fts:.2f} | {like:.1f} | "
            f"{like / fts:.0f}× |"
        )
    print()
    print("| database | query | search 100k / 10k | scan 100k / 10k |")
    print("|---|---|---:|---:|")
    for backend in backends:
        rows = {
            (size, label): (fts, like)
            for b, size, label, _m, _h, fts, like, _s in table
            if b == backend
        }
        for label in dict.fromkeys(label for (_size, label) in rows):
            small, big = rows[(10_000, label)], rows[(100_000, label)]
            print(f"| {backend} | {label} | {big[0] / small[0]:.1f}× | {big[1] / small[1]:.1f}× |")
    print()
    for backend in backends:
        seconds = max(s for b, *_rest, s in table if b == backend)
        print(f"Seeding 100,000 profiles on {backend}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
