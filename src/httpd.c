/* SPDX-License-Identifier: ISC */
/*
 * The metrics server of metrics_listen, on the master's event loop: at
 * most HTTPD_CONNS_MAX connections, one request each, HTTPD_TIMEOUT
 * seconds in all, answered from a bounded buffer written as the client
 * reads it. With master.c, the only file that includes <ev.h>: each
 * connection is a pair of watchers, and it owns them.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "http.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "sockets.h"
#include "util.h"

/* How long the server stops accepting when accept(2) fails (EMFILE). */
#define HTTPD_PAUSE	1.0
/* The largest answer: 512 workers' metrics take about 100 KiB. */
#define HTTPD_OUT_MAX	(4u << 20)

/* One connection to metrics_listen: one request, one answer. */
struct http_conn {
	struct httpd	*h;
	int		 fd;
	ev_io		 io;
	ev_timer	 timer;
	char		 in[HTTP_HEAD_MAX];
	size_t		 inlen;
	char		*out;		/* the answer, once there is one */
	size_t		 outlen, outoff;
};

static void
http_conn_close(struct http_conn *c)
{
	struct httpd	*h = c->h;
	size_t		 i;

	ev_io_stop(h->loop, &c->io);
	ev_timer_stop(h->loop, &c->timer);
	close(c->fd);
	free(c->out);
	for (i = 0; i < HTTPD_CONNS_MAX; i++)
		if (h->conns[i] == c)
			h->conns[i] = NULL;
	free(c);
}

static void
http_conn_cb(struct ev_loop *loop, ev_io *w, int revents);

/*
 * The answer is out: our side is shut first, and what the client sent
 * beyond the head (a body, the rest of a head too long) is read away, a
 * bounded amount, so that closing does not reset the connection under
 * an answer the client has not read yet.
 */
static void
http_conn_end(struct http_conn *c)
{
	char	sink[4096];
	int	i;

	(void)shutdown(c->fd, SHUT_WR);
	for (i = 0; i < 16; i++)
		if (recv(c->fd, sink, sizeof(sink), 0) <= 0)
			break;
	http_conn_close(c);
}

/*
 * The answer to a request read whole (or to one that can't be): built
 * at once into the connection's buffer, which is then written as the
 * client reads it, and the connection closed.
 */
static void
http_answer(struct http_conn *c, enum http_result r, enum http_target t,
    int head)
{
	struct httpd	*h = c->h;
	const char	*status = http_status(r), *type = "text/plain";
	char		*body = NULL, line[64];
	const char	*text;
	size_t		 blen, hlen;
	unsigned	 ready, size, min;
	int		 n;

	if (r == HTTP_OK && t == HTTP_METRICS) {
		if ((body = h->metrics(h->ctx, &blen)) == NULL)
			status = "500 Internal Server Error";
		else
			type = METRICS_CONTENT_TYPE;
	} else if (r == HTTP_OK) {
		/* /healthz: enough ready workers to serve, as min_workers. */
		h->health(h->ctx, &ready, &size, &min);
		if (ready < min)
			status = "503 Service Unavailable";
		snprintf(line, sizeof(line), "%u/%u workers ready\n", ready,
		    size);
	}
	if (body == NULL) {
		text = r == HTTP_OK && t == HTTP_HEALTHZ ? line : status;
		blen = strlen(text) + (text == status);
		if ((body = malloc(blen + 1)) == NULL) {
			http_conn_close(c);
			return;
		}
		snprintf(body, blen + 1, "%s%s", text, text == status ? "\n" :
		    "");
	}
	if (blen > HTTPD_OUT_MAX) {
		status = "500 Internal Server Error";
		blen = 0;
	}
	hlen = 256;
	if ((c->out = malloc(hlen + blen)) == NULL) {
		free(body);
		http_conn_close(c);
		return;
	}
	n = snprintf(c->out, hlen, "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status,
	    type, blen, r == HTTP_BAD_METHOD ? "Allow: GET, HEAD\r\n" : "");
	c->outlen = (size_t)n;
	if (!head) {
		memcpy(c->out + c->outlen, body, blen);
		c->outlen += blen;
	}
	free(body);
	c->outoff = 0;
	ev_io_stop(h->loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(h->loop, &c->io);
}

/* Reads what is there, answers once the head is whole, writes, closes. */
static void
http_conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_conn	*c = w->data;
	enum http_target	 t = HTTP_METRICS;
	enum http_result	 r;
	ssize_t			 n;
	int			 head = 0;

	if (c->out != NULL) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			c->outoff += (size_t)n;
		if (n <= 0 || c->outoff == c->outlen)
			http_conn_end(c);
		return;
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		http_conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if ((r = http_parse(c->in, c->inlen, &t, &head)) == HTTP_INCOMPLETE)
		return;
	http_answer(c, r, t, head);
}

static void
http_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	http_conn_close(w->data);
}

/*
 * A new connection: at most HTTPD_CONNS_MAX at once, more are closed at
 * once; each has HTTPD_TIMEOUT seconds in all, its timer the only one
 * the server adds, and only while it is open.
 */
static void
http_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct httpd		*h = w->data;
	struct http_conn	*c;
	size_t			 i;
	int			 fd;

	while ((fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		for (i = 0; i < HTTPD_CONNS_MAX && h->conns[i] != NULL; i++)
			continue;
		if (i == HTTPD_CONNS_MAX || (c = calloc(1, sizeof(*c))) ==
		    NULL) {
			close(fd);
			continue;
		}
		c->h = h;
		c->fd = fd;
		ev_io_init(&c->io, http_conn_cb, fd, EV_READ);
		c->io.data = c;
		ev_timer_init(&c->timer, http_timeout_cb, HTTPD_TIMEOUT, 0);
		c->timer.data = c;
		ev_io_start(loop, &c->io);
		ev_timer_start(loop, &c->timer);
		h->conns[i] = c;
	}
	if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
		return;
	/*
	 * Out of fds (or worse): the connection stays queued and the socket
	 * readable, so the listener rests a second rather than spin; the
	 * pause timer exists only then.
	 */
	log_warn("metrics_listen %s: accept (pausing %.0fs)", h->addr,
	    HTTPD_PAUSE);
	ev_io_stop(loop, &h->io);
	ev_timer_set(&h->pause, HTTPD_PAUSE, 0);
	ev_timer_start(loop, &h->pause);
}

static void
http_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct httpd	*h = w->data;

	if (h->fd != -1)
		ev_io_start(loop, &h->io);
}

void
httpd_close(struct httpd *h)
{
	size_t	i;

	for (i = 0; i < HTTPD_CONNS_MAX; i++)
		if (h->conns[i] != NULL)
			http_conn_close(h->conns[i]);
	ev_timer_stop(h->loop, &h->pause);
	if (h->fd != -1) {
		ev_io_stop(h->loop, &h->io);
		close(h->fd);
		h->fd = -1;
	}
	free(h->addr);
	h->addr = NULL;
}

int
httpd_open(struct httpd *h, const char *want)
{
	struct strv	 errs = STRV_INIT;
	int		 fd;

	if (util_streq(want, h->addr))
		return 0;
	if (want == NULL) {
		httpd_close(h);
		return 0;
	}
	if ((fd = sockets_bind_tcp(want, 64, "metrics_listen", &errs)) ==
	    -1 || httpd_adopt(h, fd, want) == -1) {
		if (errs.n == 0)
			strv_pushf(&errs, "metrics_listen %s: %s", want,
			    strerror(errno));
		log_errors(&errs);
		strv_free(&errs);
		if (fd != -1)
			close(fd);
		return -1;
	}
	log_info("metrics: serving http://%s/metrics", want);
	return 0;
}

int
httpd_adopt(struct httpd *h, int fd, const char *addr)
{
	char	*copy;

	if ((copy = strdup(addr)) == NULL)
		return -1;
	httpd_close(h);
	h->addr = copy;
	h->fd = fd;
	ev_io_init(&h->io, http_accept_cb, fd, EV_READ);
	h->io.data = h;
	ev_init(&h->pause, http_resume_cb);
	h->pause.data = h;
	ev_io_start(h->loop, &h->io);
	return 0;
}
