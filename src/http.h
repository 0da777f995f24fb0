/* SPDX-License-Identifier: ISC */
/*
 * The request reader of the metrics HTTP server (metrics_listen): pure,
 * so that it is tested and fuzzed on any bytes. It reads one HTTP/1.x
 * request head, at most HTTP_HEAD_MAX bytes, and says what to answer; it
 * serves two resources and nothing else, so it keeps no header but knows
 * where the head ends. A body is never read: the connection is closed
 * after the one answer.
 */
#ifndef PREFORK_HTTP_H
#define PREFORK_HTTP_H

#include <stddef.h>

/* The longest request head read; longer is 431 and closed. */
#define HTTP_HEAD_MAX	8192

enum http_target {
	HTTP_METRICS,		/* GET /metrics */
	HTTP_HEALTHZ,		/* GET /healthz */
};

enum http_result {
	HTTP_INCOMPLETE,	/* the head has not ended yet: read on */
	HTTP_OK,		/* a GET of a known target, in *target */
	HTTP_BAD_REQUEST,	/* 400: not an HTTP/1.x request head */
	HTTP_NOT_FOUND,		/* 404: another path */
	HTTP_BAD_METHOD,	/* 405: a method other than GET or HEAD */
	HTTP_TOO_LARGE,		/* 431: no end of the head within the limit */
};

/*
 * Reads the request in buf[0..len): "METHOD SP TARGET SP HTTP/1.x",
 * header lines, an empty line (CRLF, or a bare LF as many servers
 * accept). The target's query string is ignored ("/metrics?x=1"); HEAD
 * is taken as GET, with *head set. Returns what to answer. This function
 * can't fail.
 */
enum http_result	http_parse(const char *buf, size_t len,
			    enum http_target *target, int *head);

/* The status line's code and reason for a result: "404 Not Found". */
const char	*http_status(enum http_result r);

#endif /* PREFORK_HTTP_H */
