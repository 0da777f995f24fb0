/* SPDX-License-Identifier: ISC */
/*
 * The control protocol, spoken over the control socket (a unix stream
 * socket) between preforkctl and the master. Pure: it parses requests
 * and replies and decides what a scale request means, and does no I/O,
 * so that it is tested and fuzzed on any bytes.
 *
 * A client connects and sends one request: one line of words separated
 * by spaces or tabs, ending in "\n", CTL_REQUEST_MAX bytes at most with
 * the newline, printable ASCII only. The master answers, then closes the
 * connection; the answer's first line says how it went:
 *
 *	OK			done; the body follows
 *	ERR <reason>		refused, or failed (a bad request, a reload
 *				whose configuration has errors, a health
 *				check that fails); a body may follow
 *	DENIED <reason>		the peer may not use the socket (SO_PEERCRED)
 *	BUSY <reason>		too many clients at once; try again
 *
 * and the body, if any, is the rest, up to the close. Requests:
 *
 *	status [--json] [--check]
 *	metrics
 *	scale N | scale +N | scale -N
 *	reload | restart | stop
 *	recycle SLOT
 *	advise [--window DURATION] [--json]
 *	upgrade
 *
 * reload, restart, stop and recycle are answered once done: the new pool
 * serving (or the configuration's errors), the rolling restart finished,
 * the master about to exit, the slot's new worker ready; advise once its
 * window has been sampled; upgrade by the new image, once it runs the
 * pool. Words the master does not know are refused with ERR naming
 * them, so that a newer preforkctl talking to an older master gets a
 * clear answer.
 */
#ifndef PREFORK_CTL_H
#define PREFORK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A request line's limit, its newline included. */
#define CTL_REQUEST_MAX		4096
/* advise's window: the default, and its bounds, in ms. */
#define CTL_WINDOW_DEFAULT	30000
#define CTL_WINDOW_MIN		1000
#define CTL_WINDOW_MAX		900000

/* Clients at once, and how long one may stay connected, in seconds. */
#define CTL_CLIENTS_MAX		16
#define CTL_TIMEOUT		5.0

enum ctl_command {
	CTL_STATUS,
	CTL_METRICS,
	CTL_SCALE,
	CTL_RELOAD,
	CTL_RESTART,
	CTL_STOP,
	CTL_RECYCLE,
	CTL_ADVISE,
	CTL_UPGRADE,
	CTL_COMMAND_COUNT
};

/* scale N, +N, -N. */
enum ctl_scale {
	CTL_SCALE_SET,
	CTL_SCALE_UP,
	CTL_SCALE_DOWN,
};

struct ctl_request {
	enum ctl_command	cmd;
	bool			json;		/* status, advise --json */
	bool			check;		/* status --check */
	enum ctl_scale		scale;
	unsigned		n;		/* scale's number, recycle's
						   slot */
	uint64_t		window_ms;	/* advise --window */
};

/* The first word of an answer. */
enum ctl_reply {
	CTL_OK,
	CTL_ERR,
	CTL_DENIED,
	CTL_BUSY,
};

/* The command names, in the order of enum ctl_command. */
extern const char *const	ctl_command_names[CTL_COMMAND_COUNT];

/*
 * Finds the end of a request in buf[0..len): returns the length of the
 * line without its "\n", or -1 when no newline came yet. Pure.
 */
long	ctl_line(const char *buf, size_t len);

/*
 * Parses one request line of len bytes (no newline; may hold any byte).
 * Returns 0, or -1 with the reason in why (always a single printable
 * line, even for a hostile request).
 */
int	ctl_parse(const char *line, size_t len, struct ctl_request *req,
	    char *why, size_t whylen);

/*
 * The pool size a scale request asks for, from the current size cur:
 * 1 to max. Returns 0 with *size set, or -1 with the reason in why
 * (below 1, above max).
 */
int	ctl_scale_size(const struct ctl_request *req, unsigned cur,
	    unsigned max, unsigned *size, char *why, size_t whylen);

/*
 * Parses the first line of an answer, text[0..len): the kind, and in
 * *reason (of *reasonlen bytes) the rest of the line (empty for OK);
 * *body is where the body starts (after the first "\n", or at the end).
 * Returns 0, or -1 when text does not start like an answer.
 */
int	ctl_reply_parse(const char *text, size_t len, enum ctl_reply *kind,
	    const char **reason, size_t *reasonlen, size_t *body);

#endif /* PREFORK_CTL_H */
