/* SPDX-License-Identifier: ISC */
/*
 * The sd_notify protocol, both ways. Upward, prefork tells its service
 * manager that it is ready, reloading or stopping, how many workers are
 * ready, and that it is alive (the watchdog). Downward, workers started
 * with ready = notify tell the master the same things about themselves on
 * a datagram socket of the master's, and the kernel tells us who sent
 * each message (SCM_CREDENTIALS). The protocol is small and documented as
 * stable, so it is spoken here directly rather than through libsystemd,
 * and prefork runs the same in containers without systemd.
 */
#ifndef PREFORK_NOTIFY_H
#define PREFORK_NOTIFY_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Our service manager, from NOTIFY_SOCKET and WATCHDOG_USEC. */
struct notify {
	int			fd;		/* -1: not under systemd */
	struct sockaddr_un	addr;
	socklen_t		addrlen;
	uint64_t		watchdog_usec;	/* 0: no watchdog for us */
	char			status[256];	/* last STATUS= given */
	struct strv		queue;		/* not sent yet, in order */
};

#define NOTIFY_INIT	{ -1, { 0 }, 0, 0, "", STRV_INIT }

/* Messages kept while the manager does not read; then some are dropped. */
#define NOTIFY_QUEUE_MAX	64

/*
 * Sets n up from the environment: NOTIFY_SOCKET (a path, or "@name" for
 * the abstract namespace), and WATCHDOG_USEC when WATCHDOG_PID is unset
 * or names this process. Unset NOTIFY_SOCKET is not an error: n then
 * sends nothing. Returns 0, or -1 with errno set (EINVAL for an address
 * that is not a unix socket path).
 */
int	notify_open(struct notify *n);

/*
 * Sends one message ("READY=1", "STOPPING=1", several lines joined by
 * '\n'), or queues it, in order, when the manager's queue is full; the
 * socket is connected, so it polls writable once there is room again, and
 * notify_flush() sends the rest. A queued WATCHDOG=1 is not queued twice,
 * and a queued STATUS= is replaced by the newer one. Does nothing without
 * a service manager. Returns 0, or -1 with errno set when the message was
 * lost (ENOBUFS: the queue is full); the caller may log it.
 */
int	notify_send(struct notify *n, const char *msg);

/*
 * Sends what is queued. Returns 0 when nothing is left, 1 when the
 * manager is still busy (wait until the socket is writable), -1 with
 * errno set when a message had to be dropped (the rest stays queued).
 */
int	notify_flush(struct notify *n);

/* True when messages wait to be sent. */
bool	notify_pending(const struct notify *n);

/* Sends "STATUS=status" if it differs from the last one sent. */
int	notify_status(struct notify *n, const char *status);

void	notify_close(struct notify *n);

/*
 * Parses a NOTIFY_SOCKET value into a unix socket address. Returns 0, or
 * -1 (EINVAL) for anything but an absolute path or "@name" that fits.
 */
int	notify_parse_address(const char *s, struct sockaddr_un *addr,
	    socklen_t *len);

/* The socket workers talk to. */
struct notify_server {
	int	fd;		/* -1 when closed */
	char	env[128];	/* "NOTIFY_SOCKET=@..." for the workers */
};

#define NOTIFY_SERVER_INIT	{ -1, "" }

/*
 * Opens a datagram socket in the abstract namespace, with a name the
 * kernel picks (so two masters never collide and nothing is left on
 * disk), receiving the senders' credentials; non-blocking, close-on-exec.
 * Returns 0, or -1 with errno set.
 */
int	notify_server_open(struct notify_server *ns);

/*
 * The longest message from a worker that prefork reads. systemd takes
 * 4 KiB; a worker's long STATUS= should not cost it the READY=1 after
 * it, so prefork is more lenient, and says so when a message is longer.
 */
#define NOTIFY_MSG_MAX	65536

/*
 * Reads the next message into buf (NUL-terminated, truncated to len - 1)
 * and its sender's pid; *size is the message's real length, which is
 * len or more when it was truncated. Returns 1, 0 when no message is
 * waiting, or -1 with errno set. A message without credentials is
 * skipped.
 */
int	notify_server_recv(struct notify_server *ns, pid_t *pid, char *buf,
	    size_t len, size_t *size);

void	notify_server_close(struct notify_server *ns);

/* What one message says, as far as prefork cares. */
struct notify_msg {
	bool		 ready;		/* READY=1 */
	bool		 watchdog;	/* WATCHDOG=1 */
	bool		 stopping;	/* STOPPING=1 */
	const char	*status;	/* STATUS=..., inside the buffer, or
					   NULL */
};

/*
 * Parses the newline-separated assignments of a message, in place (the
 * STATUS= line is cut at its end). Unknown assignments are ignored, as
 * systemd does. This function can't fail.
 */
void	notify_parse(char *buf, struct notify_msg *m);

#endif /* PREFORK_NOTIFY_H */
