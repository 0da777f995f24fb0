#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A small prefork worker: standard library only.

prefork starts one copy of this program per slot. Each copy learns its slot
from PREFORK_WORKER_ID and the pool size from PREFORK_WORKERS, does a little
periodic work, and exits cleanly when prefork sends SIGTERM (shutdown,
shrink, rolling restart). Run it as

    prefork -- python3 examples/worker.py

and try, from another terminal:

    kill -TTIN <master pid>    # one worker more
    kill -TTOU <master pid>    # one worker less
    kill -9 <a worker pid>     # prefork replaces it in the same slot
    kill -HUP <master pid>     # re-probe the hardware and resize
    kill -TERM <master pid>    # graceful shutdown
"""

import os
import signal
import sys
import time

stopping = False


def on_term(signum, frame):
    global stopping
    stopping = True


def main():
    slot = os.environ.get("PREFORK_WORKER_ID", "?")
    size = os.environ.get("PREFORK_WORKERS", "?")
    kind = os.environ.get("PREFORK_WORKER_CLASS", "?")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    print(f"worker {slot}/{size} (pid {os.getpid()}, class {kind}) started",
          flush=True)
    beats = 0
    while not stopping:
        # The "work": a heartbeat line every few seconds, staggered by slot.
        time.sleep(0.2)
        beats += 1
        if beats % 25 == 0:
            print(f"worker {slot} (pid {os.getpid()}) still working", flush=True)
    print(f"worker {slot} (pid {os.getpid()}) stopping cleanly", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
