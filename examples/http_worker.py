#!/usr/bin/env python3
"""An HTTP worker for prefork: standard library only.

prefork binds the listening sockets and hands them to every worker as file
descriptors 3, 4, ... (LISTEN_FDS, systemd's convention); this worker serves
HTTP on the first one. With `ready = notify` it tells the master when it can
serve (READY=1) and keeps telling it that it is alive (WATCHDOG=1) over
NOTIFY_SOCKET; it stops cleanly on SIGTERM, finishing the request in hand.

    prefork -c examples/http.ini
    curl http://127.0.0.1:8000/
"""

import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SLOT = os.environ.get("PREFORK_WORKER_ID", "?")
stopping = False


def notify(message):
    """Sends one sd_notify message to the master, if it listens."""
    where = os.environ.get("NOTIFY_SOCKET")
    if not where:
        return
    if where.startswith("@"):
        where = "\0" + where[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(message.encode(), where)


def inherited_socket():
    """The first socket prefork passed, as sd_listen_fds(3) finds it."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        sys.exit("http_worker: no socket from prefork (set listen =)")
    if int(os.environ.get("LISTEN_FDS", "0")) < 1:
        sys.exit("http_worker: LISTEN_FDS is 0")
    return socket.socket(fileno=3)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        body = f"hello from worker {SLOT} (pid {os.getpid()})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


class InheritedServer(HTTPServer):
    def __init__(self, sock):
        super().__init__(sock.getsockname(), Handler, bind_and_activate=False)
        self.socket = sock

    def server_close(self):
        # The socket is the master's too: closing our copy is all we do.
        self.socket.close()


def on_term(signum, frame):
    global stopping
    stopping = True


def main():
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sock = inherited_socket()
    # Every worker waits on the same socket: non-blocking, so a worker
    # that loses the race for a connection goes back to waiting instead
    # of blocking in accept() where SIGTERM could not reach its loop.
    sock.setblocking(False)
    server = InheritedServer(sock)
    server.timeout = 0.2

    usec = int(os.environ.get("WATCHDOG_USEC", "0"))
    interval = usec / 2e6 if usec else None
    notify(f"READY=1\nSTATUS=serving on fd 3 as worker {SLOT}")
    beat = time.monotonic()
    while not stopping:
        server.handle_request()
        if interval and time.monotonic() - beat >= interval:
            notify("WATCHDOG=1")
            beat = time.monotonic()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
