# SPDX-License-Identifier: ISC
"""Gunicorn configuration of prefork's benchmarks (Gunicorn 20.1, sync).

bench/run copies this file and rewrites the `workers = N` line, then sends
SIGHUP for the resize benchmark: Gunicorn re-reads this file on SIGHUP.

post_fork records when a worker starts exactly as bench/benchworker.c does:
CLOCK_MONOTONIC in nanoseconds, "PID NS\n" appended with one write(2) to the
file named by BENCH_START_FILE. It runs in the new worker right after
fork(), before the worker loads the application or runs its loop, which is
the earliest point a Gunicorn worker can report (and so the most favourable
to Gunicorn). If BENCH_CRASH_FILE names an existing file, the worker exits at
once with os._exit(1): the crash-storm worker. Gunicorn's arbiter halts only
on exit codes 3 (worker failed to boot) and 4 (application failed to load);
a worker that exits with 1 is respawned, so this is a crash loop it keeps
running.
"""

import os
import time

workers = 9
worker_class = "sync"
bind = os.environ.get("BENCH_BIND", "unix:/tmp/prefork-bench-gunicorn.sock")
# Gunicorn's defaults, written out because they shape the figures: the
# arbiter wakes up every second to check heartbeats, and a sync worker waits
# timeout / 2 in select() between checks that its parent is still alive.
timeout = 30
graceful_timeout = 30
loglevel = "info"


def post_fork(server, worker):
    ns = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    path = os.environ.get("BENCH_START_FILE")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, b"%d %d\n" % (os.getpid(), ns))
        os.close(fd)
    crash = os.environ.get("BENCH_CRASH_FILE")
    if crash and os.path.exists(crash):
        os._exit(1)
