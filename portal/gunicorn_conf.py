"""gunicorn settings for production, shipped in the package:
`gunicorn -c python:portal.gunicorn_conf "portal:create_app()"` (or `portal serve`)."""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY")
              or multiprocessing.cpu_count() * 2 + 1)
# The app reads WEB_CONCURRENCY to refuse per-process (memory://) rate limits with several
# workers; tell it how many there are. on_starting corrects it for a -w on the command line.
os.environ["WEB_CONCURRENCY"] = str(workers)


def _metrics_folder() -> str:
    """Where the workers keep their request metrics, so /metrics adds up every worker's
    (prometheus_client's multiprocess mode). PROMETHEUS_MULTIPROC_DIR when set, else a
    fresh temporary folder; emptied of a previous run's files."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
        prefix="portal-metrics-")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))
    return folder


threads = int(os.environ.get("GUNICORN_THREADS", "2"))
accesslog = "-"
errorlog = "-"
logger_class = "portal.gunicorn_logging.RedactingLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """A -w on the command line wins over the number above; the app must see that one.
    The metrics folder is set here, in the master, before any worker imports
    prometheus_client (it reads it once); not at import, so `gunicorn --check-config`
    leaves no folder behind."""
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_folder()


def child_exit(server, worker):
    """A worker's live gauges go with it (prometheus_client's multiprocess mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """A metrics folder made above (a temporary one) goes with the master."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if os.path.dirname(folder) == tempfile.gettempdir() \
            and os.path.basename(folder).startswith("portal-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)
