# SPDX-License-Identifier: ISC
"""The WSGI application of the Gunicorn side of prefork's benchmarks.

The benchmarks never send it a request: they measure the arbiter (start-up,
replacement, reload, idle cost), not request handling. It is here because
Gunicorn needs an application to start its sync workers.
"""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
