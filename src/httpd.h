/* SPDX-License-Identifier: ISC */
/*
 * The metrics server of metrics_listen: GET /metrics and GET /healthz
 * over HTTP/1.1 on the master's event loop, with strict limits (the
 * request head in http.c's bounds, HTTPD_TIMEOUT seconds, at most
 * HTTPD_CONNS_MAX connections, one request each). The answers come from
 * the master through the callbacks; a connection's timer exists only
 * while it is open, so an idle server costs no wake-up.
 */
#ifndef PREFORK_HTTPD_H
#define PREFORK_HTTPD_H

#include <stddef.h>

#include <ev.h>

#define HTTPD_CONNS_MAX	16
#define HTTPD_TIMEOUT	5.0

struct http_conn;

struct httpd {
	struct ev_loop		*loop;
	char			*addr;		/* bound, or NULL */
	int			 fd;		/* -1 when closed */
	ev_io			 io;
	ev_timer		 pause;		/* while accept fails */
	struct http_conn	*conns[HTTPD_CONNS_MAX];
	/* /metrics' text (the caller frees it), or NULL (ENOMEM). */
	char			*(*metrics)(void *ctx, size_t *len);
	/* /healthz: ready workers, the pool's size, min_workers. */
	void			 (*health)(void *ctx, unsigned *ready,
				    unsigned *size, unsigned *min);
	void			*ctx;
};

#define HTTPD_INIT	{ .fd = -1 }

/*
 * Opens the server on want (a TCP listen address), or closes it when
 * want is NULL; an address kept is kept open. loop and the callbacks
 * must be set. Returns 0, or -1 with the problem logged (a server open
 * before still runs).
 */
int	httpd_open(struct httpd *h, const char *want);

/*
 * For an in-place upgrade, and for httpd_open(): takes fd, a listening
 * socket on addr, as the server's; loop must be set. Returns 0, or -1
 * (ENOMEM) with nothing taken.
 */
int	httpd_adopt(struct httpd *h, int fd, const char *addr);

/* Closes every connection and the listening socket. */
void	httpd_close(struct httpd *h);

#endif /* PREFORK_HTTPD_H */
