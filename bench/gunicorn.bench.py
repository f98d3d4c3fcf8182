"""gunicorn settings for bench/load.py: no access log, so logging is not what we measure."""

workers = 1
worker_class = "gthread"
threads = 2
accesslog = None
loglevel = "warning"
