#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""An HTTP worker for prefork: standard library only.

prefork binds the listening sockets and hands them to every worker as file
descriptors 3, 4, ... (LISTEN_FDS, systemd's convention); this worker serves
HTTP/1.0 on all of them. With `ready = notify` it tells the master when it
can serve (READY=1) and that it is alive (WATCHDOG=1) over NOTIFY_SOCKET.

It is one thread and one selectors loop, and never blocks: no wait in the
loop is longer than TICK, so the heartbeat goes on whatever the clients do,
and a client that has not sent its request and taken the answer within
DEADLINE is cut off. On SIGTERM it stops accepting, gives the connections
that have sent nothing IDLE_GRACE to start their request (one accepted
just before may have it on the way: closing it then would lose it, and a
rolling restart or a recycle would drop requests), the others at most
STOP_GRACE, and exits 0.

    prefork -c examples/http.ini
    curl http://127.0.0.1:8000/
"""

import os
import selectors
import signal
import socket
import sys
import time

SLOT = os.environ.get("PREFORK_WORKER_ID", "?")
TICK = 0.25         # the longest wait in the loop, in seconds
DEADLINE = 5.0      # how long a client has for its whole exchange
STOP_GRACE = 1.0    # how long requests under way get after SIGTERM
IDLE_GRACE = 0.25   # ... and connections that have sent nothing yet
MAX_REQUEST = 8192  # the longest request head read
MAX_CLIENTS = 256   # connections at once; more are closed at once

stopping = False


class Notifier:
    """sd_notify(3) to the master: best effort, and never blocking."""

    def __init__(self):
        where = os.environ.get("NOTIFY_SOCKET", "")
        self.where = "\0" + where[1:] if where.startswith("@") else where
        self.sock = None
        if self.where:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.setblocking(False)
        # sd_watchdog_enabled(3): a heartbeat at half of WATCHDOG_USEC,
        # if it is meant for this process.
        usec = int(os.environ.get("WATCHDOG_USEC", "0"))
        pid = os.environ.get("WATCHDOG_PID")
        self.interval = None
        if usec and pid in (None, str(os.getpid())):
            self.interval = usec / 2e6
        self.next_beat = time.monotonic()

    def send(self, message):
        if self.sock is None:
            return
        try:
            self.sock.sendto(message.encode(), self.where)
        except OSError:
            pass    # a master too busy to read: the next beat will do

    def beat(self, now):
        """Sends WATCHDOG=1 when it is due; returns when the next is."""
        if self.interval is None:
            return now + TICK
        if now >= self.next_beat:
            self.send("WATCHDOG=1")
            self.next_beat = now + self.interval
        return self.next_beat


def inherited_sockets():
    """The sockets prefork passed, as sd_listen_fds(3) finds them."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        sys.exit("http_worker: no socket from prefork (set listen =)")
    n = int(os.environ.get("LISTEN_FDS", "0"))
    if n < 1:
        sys.exit("http_worker: LISTEN_FDS is 0")
    return [socket.socket(fileno=fd) for fd in range(3, 3 + n)]


def response(code, reason, body):
    body = body.encode()
    head = (f"HTTP/1.0 {code} {reason}\r\n"
            "Content-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


def answer(head):
    """The answer to a request, given its head, as bytes."""
    words = head.split(b"\n", 1)[0].split()
    if len(words) != 3 or not words[2].startswith(b"HTTP/"):
        return response(400, "Bad Request", "bad request\n")
    if words[0] != b"GET":
        return response(501, "Not Implemented", "only GET\n")
    return response(200, "OK",
                     f"hello from worker {SLOT} (pid {os.getpid()})\n")


class Client:
    """One connection: its request in, its answer out, by its deadline."""

    def __init__(self, sock, sel):
        self.sock = sock
        self.sel = sel
        self.request = b""
        self.out = None     # the answer, once the request is in
        self.deadline = time.monotonic() + DEADLINE
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, self)

    def idle(self):
        return not self.request and self.out is None

    def ready(self):
        try:
            if self.out is None:
                self.read()
            else:
                self.write()
        except BlockingIOError:
            pass            # woken for nothing: wait again
        except OSError:
            self.close()    # reset, or gone

    def read(self):
        data = self.sock.recv(4096)
        if not data:
            self.close()    # gone before asking
            return
        self.request += data
        if b"\r\n\r\n" in self.request or b"\n\n" in self.request:
            self.reply(answer(self.request))
        elif len(self.request) > MAX_REQUEST:
            self.reply(response(431, "Request Header Fields Too Large",
                                "request too large\n"))

    def reply(self, out):
        self.out = out
        self.sel.modify(self.sock, selectors.EVENT_WRITE, self)
        self.write()        # it usually all goes at once

    def write(self):
        self.out = self.out[self.sock.send(self.out):]
        if not self.out:
            self.close()

    def close(self):
        if self.sock.fileno() != -1:
            self.sel.unregister(self.sock)
            self.sock.close()


def accept(listener, sel, nclients):
    try:
        sock, _ = listener.accept()
    except (BlockingIOError, ConnectionAbortedError):
        return              # another worker took it, or the client left
    if nclients >= MAX_CLIENTS:
        sock.close()
        return
    Client(sock, sel)


def stop(listeners, sel, clients, now):
    """Stops accepting; the clients get STOP_GRACE at most, idle ones
    IDLE_GRACE."""
    for sock in listeners:
        sel.unregister(sock)
        # The socket is the master's too: closing our copy is all we do.
        sock.close()
    for client in clients:
        grace = IDLE_GRACE if client.idle() else STOP_GRACE
        client.deadline = min(client.deadline, now + grace)


def clients_of(sel):
    return [key.data for key in list(sel.get_map().values()) if key.data]


def on_term(signum, frame):
    global stopping
    stopping = True


def main():
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    listeners = inherited_sockets()
    sel = selectors.DefaultSelector()
    for sock in listeners:
        # Every worker waits on the same sockets: non-blocking, so that
        # a worker that loses the race for a connection waits again.
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, None)
    notifier = Notifier()
    notifier.send(f"READY=1\nSTATUS=serving HTTP on {len(listeners)} "
                  "socket(s)")
    stopped = False
    while True:
        now = time.monotonic()
        if stopping and not stopped:
            stop(listeners, sel, clients_of(sel), now)
            stopped = True
        for client in clients_of(sel):
            if now >= client.deadline:
                client.close()
        clients = clients_of(sel)
        if stopped and not clients:
            return 0
        wake = min([notifier.beat(now), now + TICK] +
                   [client.deadline for client in clients])
        for key, _ in sel.select(max(0, wake - time.monotonic())):
            if key.data is None:
                accept(key.fileobj, sel, len(clients))
            else:
                key.data.ready()


if __name__ == "__main__":
    sys.exit(main())
