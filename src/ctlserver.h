/* SPDX-License-Identifier: ISC */
/*
 * The control socket's server, on the master's event loop: a unix
 * stream socket, mode 0600 (0660 and the group of control_group), whose
 * every peer is checked with SO_PEERCRED; at most CTL_CLIENTS_MAX
 * clients, each with CTL_TIMEOUT seconds to send its one request of at
 * most CTL_REQUEST_MAX bytes, answered from a bounded buffer written as
 * the client reads it. The requests go to the master through a
 * callback, which answers at once or later (reload, restart, stop are
 * answered when done). Nothing a client does blocks the master, and a
 * server with no client adds no timer: an idle master makes no wake-up.
 */
#ifndef PREFORK_CTLSERVER_H
#define PREFORK_CTLSERVER_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "ctl.h"
#include "util.h"

struct ctl_conn;

struct ctlserver {
	struct ev_loop		*loop;
	char			*path;		/* bound, or NULL */
	int			 fd;		/* -1 when closed */
	dev_t			 dev;		/* the socket file's, to */
	ino_t			 ino;		/* remove only ours */
	gid_t			 gid;		/* control_group, or -1 */
	ev_io			 io;
	ev_timer		 pause;		/* while accept fails */
	struct ratelimit	 denied;	/* refusals logged */
	struct ctl_conn		*conns[CTL_CLIENTS_MAX];
	/*
	 * A request, parsed: the callback answers with ctl_answer(), now
	 * or later (after ctl_wait()).
	 */
	void			 (*request)(void *ctx, struct ctl_conn *c,
				    const struct ctl_request *req);
	void			*ctx;
};

#define CTLSERVER_INIT	{ .fd = -1, .gid = (gid_t)-1 }

/* What ctlserver_open() found. */
enum ctl_open {
	CTL_OPEN_OK,
	CTL_OPEN_LIVE,		/* another master answers there */
	CTL_OPEN_FAILED,	/* anything else, logged */
};

/*
 * Opens the server at path, with group gid ((gid_t)-1: none), or closes
 * it when path is NULL; a path kept is kept open, its group and mode
 * set again. A stale socket file there is replaced; a live one, or a
 * file that is not a socket, is left alone. loop and the callback must
 * be set. Returns what it found, with any problem logged; the server
 * open before still runs unless it was opened anew.
 */
enum ctl_open	ctlserver_open(struct ctlserver *s, const char *path,
		    gid_t gid);

/*
 * For an in-place upgrade: takes fd, the listening socket at path (its
 * file's dev and ino) that the previous image had open, as if
 * ctlserver_open() had made it; loop and the callback must be set.
 * Returns 0, or -1 (ENOMEM) with nothing taken.
 */
int	ctlserver_adopt(struct ctlserver *s, int fd, const char *path,
	    dev_t dev, ino_t ino);

/* The client's socket, for an upgrade to hand it to the new image. */
int	ctl_conn_fd(const struct ctl_conn *c);

/* Closes every connection and the socket, and removes its file. */
void	ctlserver_close(struct ctlserver *s);

/*
 * Answers c: the first line (OK, or ERR, DENIED, BUSY and the reason,
 * escaped to one line), then body[0..len) (may be NULL), then the
 * connection is closed once the client has read it. A body larger than
 * the server's bound becomes ERR.
 */
void	ctl_answer(struct ctl_conn *c, enum ctl_reply kind,
	    const char *reason, const char *body, size_t len);

/*
 * c waits for the master to finish cmd: its timeout stops (the client is
 * waiting, not idle) until ctl_answer().
 */
void	ctl_wait(struct ctl_conn *c, enum ctl_command cmd);

/*
 * What the master keeps with a waiting connection (recycle: the slot and
 * the old worker's pid), two numbers, and reads back.
 */
void	ctl_set_args(struct ctl_conn *c, long a, long b);
long	ctl_arg(const struct ctl_conn *c, int i);

/*
 * The connections waiting for cmd, at most max of them, into out.
 * Returns how many.
 */
size_t	ctlserver_waiting(const struct ctlserver *s, enum ctl_command cmd,
	    struct ctl_conn **out, size_t max);

/*
 * Sends what every connection still has to send, without waiting (the
 * master is about to exit); closes them all. The socket stays.
 */
void	ctlserver_flush(struct ctlserver *s);

#endif /* PREFORK_CTLSERVER_H */
