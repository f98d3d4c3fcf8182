"""Comparison matrix cost: 5, 50 and 500 candidates, 8 competencies, 3 raters each, in one
run. Prints queries and time per candidate row, which must not grow with the candidates.

Run by hand:  .venv/bin/python bench/compare.py
"""

from __future__ import annotations

import gc
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="portal-compare-"))
    os.environ.update({"PORTAL_ENV": "test", "SECRET_KEY": secrets.token_urlsafe(48),
                       "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}"})
    from flask_migrate import upgrade
    from sqlalchemy import event, insert

    from portal import create_app
    from portal.accounts.services import create_user
    from portal.extensions import db
    from portal.feedback import services as fb
    from portal.feedback.models import KitCompetency, Scorecard, ScorecardRating
    from portal.hiring import services
    from portal.hiring.models import Application, Candidate, Interview
    from portal.timeutil import utcnow

    app = create_app()
    print("| candidates | queries | ms per comparison | ms per candidate row |")
    print("|---:|---:|---:|---:|")
    with app.app_context():
        upgrade()
        actor = create_user(db.session, email="b@example.com", name="Bench",
                            password=secrets.token_urlsafe(16), role="admin")
        raters = [create_user(db.session, email=f"r{i}@example.com", name=f"Rater {i}",
                              password=secrets.token_urlsafe(16), role="interviewer")
                  for i in range(3)]
        db.session.commit()
        actor_id, rater_ids = actor.id, [r.id for r in raters]
        for size in (5, 50, 500):
            actor = db.session.get(type(actor), actor_id)
            raters = [db.session.get(type(actor), i) for i in rater_ids]
            opening = services.create_opening(db.session, actor, services.OpeningData(
                title=f"Role {size}", team="", description="", language="en"))
            kit = fb.create_starter_kit(db.session, actor, opening)
            for n in range(4, 8):
                kit.competencies.append(KitCompetency(position=n, name=f"Extra {n}", weight=1,
                                                      anchors="1\n2\n3\n4"))
            kit.in_use = True
            db.session.flush()
            now = utcnow()
            cids = db.session.execute(insert(Candidate).returning(Candidate.id), [
                {"name": f"C{size}-{i}", "email": f"c{size}-{i}@example.com", "phone": "",
                 "language": "en", "timezone": "Europe/Stockholm", "timezone_source": "x",
                 "created_at": now} for i in range(size)]).scalars().all()
            aids = db.session.execute(insert(Application).returning(Application.id), [
                {"candidate_id": c, "opening_id": opening.id, "stage_id": opening.stages[2].id,
                 "created_at": now, "updated_at": now} for c in cids]).scalars().all()
            iids = db.session.execute(insert(Interview).returning(Interview.id), [
                {"application_id": a, "round_name": "R", "starts_at": now - timedelta(days=1),
                 "duration_minutes": 45, "platform": "zoom", "meeting_url": "https://zoom.us/j/1",
                 "what_to_expect": "", "preparation": "", "status": "scheduled",
                 "uid": secrets.token_hex(12), "sequence": 0, "response": "none",
                 "response_message": "", "created_at": now, "updated_at": now, "kit_id": kit.id}
                for a in aids]).scalars().all()
            cards = db.session.execute(insert(Scorecard).returning(Scorecard.id), [
                {"interview_id": i, "interviewer_id": r.id, "kit_id": kit.id,
                 "recommendation": "yes", "notes": "", "submitted_at": now, "updated_at": now}
                for i in iids for r in raters]).scalars().all()
            db.session.execute(insert(ScorecardRating), [
                {"scorecard_id": s, "competency_id": c.id, "rating": 1 + (s + c.id) % 4,
                 "notes": ""} for s in cards for c in kit.competencies])
            db.session.commit()
            db.session.expire_all()
            statements: list[str] = []

            def listener(*args: object, into: list[str] = statements) -> None:
                into.append(str(args[2]))

            timings = []
            kit_id = kit.id
            for _ in range(5):
                # A fresh session each time, as in a request; collect garbage left by the
                # seeding so the timing is of the comparison alone.
                db.session.remove()
                gc.collect()
                kit = db.session.get(type(kit), kit_id)
                actor = db.session.get(type(actor), actor_id)
                _ = list(kit.competencies)
                statements.clear()
                event.listen(db.engine, "before_cursor_execute", listener)
                started = time.perf_counter()
                rows = fb.comparison(db.session, actor, kit)
                timings.append((time.perf_counter() - started) * 1000)
                event.remove(db.engine, "before_cursor_execute", listener)
            assert len(rows) == size
            best = statistics.median(timings)
            print(f"| {size} | {len(statements)} | {best:.1f} | {best / size:.3f} |")


if __name__ == "__main__":
    main()
