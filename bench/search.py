"""Find anyone (the staff candidates page's search) at 100,000 candidates, each with an
application to one of 20 openings in one of its stages and a CV's worth of text in the
index, on SQLite (FTS5) and PostgreSQL (tsvector, GIN). Every query carries a filter, as
people use the page; the table gives the median and p95 of one page of results (50 rows,
the count of all matches included).

Run by hand:  .venv/bin/python bench/search.py [sqlite] [postgresql]
PostgreSQL is reached at PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
the bench makes and drops its own database.
"""

from __future__ import annotations

import itertools
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import bench_app, vacuum  # noqa: E402
from pool_search import COMMON, FIRST, LAST, vocabulary  # noqa: E402

CANDIDATES = 100_000
REPEAT = 40


def seed(db, rng: random.Random, vocab: list[str]) -> list:  # noqa: ANN001
    """Bulk inserts: openings with their stages, candidates, applications, index entries."""
    from sqlalchemy import insert

    from portal.hiring import search
    from portal.hiring.models import Application, Candidate, Opening, Stage
    from portal.timeutil import utcnow

    now = utcnow()
    openings = []
    for n in range(20):
        opening = Opening(title=f"{rng.choice(['Frontend', 'Backend', 'Data', 'Platform'])} "
                                f"utvecklare {n}", language="sv")
        db.session.add(opening)
        db.session.flush()
        for pos, name in enumerate(("Applied", "Screening", "Interview", "Offer")):
            db.session.add(Stage(opening_id=opening.id, position=pos, name=name,
                                 public_name_en=name, public_name_sv=name))
        openings.append(opening)
    db.session.commit()
    stages = {o.id: list(db.session.scalars(db.select(Stage.id).where(Stage.opening_id == o.id)))
              for o in openings}
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab))))
    chunk = 5000
    for start in range(0, CANDIDATES, chunk):
        people = [{"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                   "email": f"person{start + i}@example.com", "phone": "", "language": "sv",
                   "timezone": "Europe/Stockholm", "timezone_source": "recruiter",
                   "created_at": now} for i in range(chunk)]
        ids = list(db.session.execute(insert(Candidate).returning(Candidate.id), people).scalars())
        picks = [rng.choice(openings) for _ in ids]
        db.session.execute(insert(Application), [
            {"candidate_id": cid, "opening_id": o.id, "stage_id": rng.choice(stages[o.id]),
             "next_step_by": date(2020, 1, 1) if rng.random() < 0.05 else None,
             "created_at": now, "updated_at": now} for cid, o in zip(ids, picks, strict=True)])
        search.index_rows(db.session, [
            {"id": cid, "lang": "sv", "name": p["name"], "email": p["email"],
             "openings": o.title, "stages": "Applied Screening", "notes": "",
             "cv": " ".join(rng.choices(COMMON, k=20)
                            + rng.choices(vocab, cum_weights=cumulative, k=40))}
            for cid, p, o in zip(ids, people, picks, strict=True)])
        db.session.commit()
    return openings


def run(backend: str) -> list[tuple]:
    from portal.hiring import search

    rng = random.Random(7)
    vocab = vocabulary(rng, 20000)
    results = []
    with bench_app(backend, "portal-searchbench-") as (app, db), app.app_context():
        began = time.perf_counter()
        openings = seed(db, rng, vocab)
        seeded = time.perf_counter() - began
        vacuum(db)
        today = date.today()
        queries = {
            "rare CV word + opening": search.Query(q=vocab[4000], opening=openings[3].id),
            "common CV word + opening": search.Query(q=vocab[40], opening=openings[3].id),
            "name + stage": search.Query(q="anna", stage="Screening"),
            "prefix while typing + open": search.Query(q=vocab[9000][:4], status="open"),
            "opening title + overdue": search.Query(q="frontend", overdue=True),
            "no words, opening, by name": search.Query(opening=openings[5].id, sort="name"),
        }
        for label, query in queries.items():
            total = search.search(db.session, query, today).total
            samples = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                search.search(db.session, query, today)
                samples.append((time.perf_counter() - start) * 1000)
            samples.sort()
            p95 = samples[int(len(samples) * 0.95) - 1]
            results.append((backend, label, total, statistics.median(samples), p95, seeded))
            print(f"  {backend} {label:<28} {total:>7,} found  p95 {p95:7.1f} ms", flush=True)
    return results


def main() -> None:
    backends = [a for a in sys.argv[1:] if a in ("sqlite", "postgresql")] or [
        "sqlite", "postgresql"]
    table = []
    for backend in backends:
        table += run(backend)
    print()
    print("| database | query (100,000 candidates) | found | median ms | p95 ms |")
    print("|---|---|---:|---:|---:|")
    for backend, label, total, median, p95, _seeded in table:
        print(f"| {backend} | {label} | {total:,} | {median:.1f} | {p95:.1f} |")
    print()
    for backend in backends:
        seconds = max(s for b, *_rest, s in table if b == backend)
        print(f"Seeding 100,000 candidates and their index on {backend}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
