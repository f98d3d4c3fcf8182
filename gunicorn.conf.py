"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py "portal:create_app()"`."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY")
              or multiprocessing.cpu_count() * 2 + 1)
# The app reads WEB_CONCURRENCY to refuse per-process (memory://) rate limits with several
# workers; tell it how many there are. on_starting corrects it for a -w on the command line.
os.environ["WEB_CONCURRENCY"] = str(workers)

threads = int(os.environ.get("GUNICORN_THREADS", "2"))
accesslog = "-"
errorlog = "-"
logger_class = "portal.gunicorn_logging.RedactingLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """A -w on the command line wins over the number above; the app must see that one."""
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)
