"""gunicorn settings: sync workers gave the tightest latency tail on database routes (FACTS.md)."""
import multiprocessing
import os

workers = int(os.environ.get("SSK_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
accesslog = os.environ.get("SSK_ACCESS_LOG", None)
# Personal data must not leak into logs: log the path without the query string.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
preload_app = False  # each worker builds its own engine and adapters after fork
