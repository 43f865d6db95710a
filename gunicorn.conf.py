"""gunicorn settings for the marketplace (read from the working directory by default).

``gunicorn marketplace.wsgi:application`` with this file gives:
- Prometheus multiprocess mode: a fresh directory per server run, made in the master when it
  starts (before any worker imports prometheus_client), cleared of a dead worker's live gauges
  by ``child_exit`` and removed when the server exits, so ``/metrics`` sums every worker.
- The cluster reload listener started in each worker once the app is loaded (never in the
  master), and stopped when the worker exits.
Everything can be overridden on the command line or with GUNICORN_* style environment below.
"""

import logging
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket sits at one path per user: two servers on a machine would fight
# over it. Opt in with GUNICORN_CONTROL_SOCKET=1.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "0") != "1"
# The app loads in each worker, after on_starting has set PROMETHEUS_MULTIPROC_DIR: a preloaded
# app would import prometheus_client in the master first, in single-process mode.
preload_app = False


def on_starting(server):
    """A fresh Prometheus directory for this run, made before any worker exists (workers inherit
    the variable, and import prometheus_client only after it is set)."""
    path = tempfile.mkdtemp(prefix="marketplace-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    server.log.info("Prometheus multiprocess directory: %s", path)


def when_ready(server):
    if int(server.cfg.workers) > 1 and not os.environ.get("REDIS_URL"):
        server.log.warning(
            "%s workers and no REDIS_URL: a hot reload reaches only the worker that takes it",
            server.cfg.workers,
        )


def post_worker_init(worker):
    from containers import cluster

    try:
        cluster.start_listener()
    except Exception:  # a worker serves without cluster reloads rather than not at all
        logging.getLogger("marketplace.cluster").exception("could not start the reload listener")


def worker_exit(server, worker):
    try:
        from containers import cluster

        cluster.stop_listener(timeout=1.0)
    except Exception:
        server.log.exception("stopping the reload listener failed")


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path and os.path.basename(path).startswith("marketplace-metrics-"):
        shutil.rmtree(path, ignore_errors=True)
