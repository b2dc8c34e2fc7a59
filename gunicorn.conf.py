"""gunicorn settings, read from the working directory (`gunicorn xiangcheng.wsgi`).

Threaded workers: a sync worker that spends longer than `timeout` on one response (a large
streamed CSV export) is killed mid-download; a gthread worker keeps answering its heartbeat while
its threads stream. Override with GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_BIND.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
