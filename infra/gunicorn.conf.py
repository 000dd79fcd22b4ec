"""gunicorn settings: sync workers gave the tightest latency tail on database routes (FACTS.md)."""
import gc
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


def post_worker_init(worker):
    """The app is loaded: what it built lives as long as the worker. Frozen (gc.freeze), the
    collector stops walking it at every full collection: one such collection took 117 ms inside a
    dashboard request (measured with gc.callbacks on the 10 M statistics database: it was the p99)."""
    gc.collect()
    gc.freeze()
