"""Tech-check accuracy: the network part of the check in Chromium under emulated
conditions (Chrome DevTools Protocol), emulated against measured, with the time and bytes a
run costs. Run by hand:  .venv/bin/python bench/techcheck.py

Starts the portal on SQLite with a demo candidate, signs in through a real link, runs the
whole check once per profile and prints one table.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="portal-techcheck-"))
    os.environ.update({"PORTAL_ENV": "test", "SECRET_KEY": secrets.token_urlsafe(48),
                       "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
                       "MAIL_BACKEND": "database"})
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from portal import create_app
    from portal.demo import seed
    from portal.extensions import db
    from tests.browser.network_driver import PROFILES, run_check
    from tests.conftest import speech_like_wav

    app = create_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    from dataclasses import replace

    app.config["PORTAL"] = replace(app.config["PORTAL"], base_url=base)
    with app.app_context():
        upgrade()
        link = seed(db.session, app.config["PORTAL"])["candidates"][1]["link"]
        db.session.commit()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    voice = speech_like_wav(workdir / "voice.wav")
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--use-fake-device-for-media-stream=fps=30",
            f"--use-file-for-fake-audio-capture={voice}"])
        context = browser.new_context(locale="en-GB", timezone_id="Europe/Stockholm")
        context.grant_permissions(["camera", "microphone"], origin=base)
        page = context.new_page()
        page.goto(link)
        for mbps, latency in [(None, 0), *PROFILES]:
            page.goto(f"{base}/portal/tech-check/")
            rows.append(run_check(page, mbps, latency))
        browser.close()
    server.shutdown()

    print("\n| emulated | download Mbit/s | upload Mbit/s | RTT ms | jitter ms | "
          "network s | MB down | MB up | whole check s | verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for run in rows:
        n = run.measured
        label = "none (loopback)" if not run.mbps else f"{run.mbps:g} Mbit/s, {run.latency_ms:g} ms"
        print(f"| {label} | {n['download_mbps']:.2f} | {n['upload_mbps']:.2f} | "
              f"{n['rtt_ms']:.0f} | {n['jitter_ms']:.1f} | {n['seconds']:.1f} | "
              f"{n['bytes_down'] / 2**20:.1f} | {n['bytes_up'] / 2**20:.1f} | "
              f"{run.seconds:.1f} | {run.verdict_text} |")


if __name__ == "__main__":
    main()
