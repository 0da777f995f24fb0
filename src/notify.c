/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"

int
notify_parse_address(const char *s, struct sockaddr_un *addr, socklen_t *len)
{
	size_t	n = strlen(s);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if ((s[0] != '/' && s[0] != '@') || n < 2 ||
	    n > sizeof(addr->sun_path) - (s[0] == '/')) {
		errno = EINVAL;
		return -1;
	}
	memcpy(addr->sun_path, s, n);
	/* "@name" is the abstract namespace: a leading NUL, no terminator. */
	if (s[0] == '@') {
		addr->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
		    1);
	return 0;
}

/* WATCHDOG_USEC, if it is meant for us. */
static uint64_t
notify_watchdog(void)
{
	const char	*usec = getenv("WATCHDOG_USEC");
	const char	*pid = getenv("WATCHDOG_PID");
	char		*end;
	unsigned long long v;

	if (usec == NULL || *usec == '\0')
		return 0;
	if (pid != NULL && *pid != '\0' &&
	    strtoll(pid, &end, 10) != (long long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || end == usec)
		return 0;
	return v;
}

/*
 * A connected socket: the kernel then tells us, by polling writable,
 * when the manager's queue has room again; and send() fails at once
 * with EAGAIN rather than blocking the master when it has none.
 */
static int
notify_connect(struct notify *n)
{
	int	fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&n->addr, n->addrlen) ==
	    -1) {
		close(fd);
		return -1;
	}
	if (n->fd != -1)
		close(n->fd);
	n->fd = fd;
	return 0;
}

int
notify_open(struct notify *n)
{
	const char	*s = getenv("NOTIFY_SOCKET");

	*n = (struct notify)NOTIFY_INIT;
	if (s == NULL || *s == '\0')
		return 0;
	if (notify_parse_address(s, &n->addr, &n->addrlen) == -1 ||
	    notify_connect(n) == -1)
		return -1;
	n->watchdog_usec = notify_watchdog();
	return 0;
}

/* One send; a manager that re-created its socket gets reconnected. */
static ssize_t
notify_send1(struct notify *n, const char *msg)
{
	ssize_t	r;

	do
		r = send(n->fd, msg, strlen(msg), MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == ECONNREFUSED || errno == ENOTCONN) &&
	    notify_connect(n) == 0)
		r = send(n->fd, msg, strlen(msg), MSG_NOSIGNAL);
	return r;
}

bool
notify_pending(const struct notify *n)
{
	return n->queue.n > 0;
}

/* Queues msg, folding repeated heartbeats and status lines. */
static int
notify_enqueue(struct notify *n, const char *msg)
{
	size_t	i;
	char	*copy;

	for (i = 0; i < n->queue.n; i++) {
		if (strcmp(msg, "WATCHDOG=1") == 0 &&
		    strcmp(n->queue.v[i], msg) == 0)
			return 0;
		if (strncmp(msg, "STATUS=", 7) == 0 &&
		    strncmp(n->queue.v[i], "STATUS=", 7) == 0) {
			if ((copy = strdup(msg)) == NULL)
				return -1;
			free(n->queue.v[i]);
			n->queue.v[i] = copy;
			return 0;
		}
	}
	if (n->queue.n >= NOTIFY_QUEUE_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	return strv_push(&n->queue, msg);
}

int
notify_flush(struct notify *n)
{
	int	lost = 0;

	while (n->queue.n > 0) {
		if (notify_send1(n, n->queue.v[0]) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			/* Dropped: the rest must not wait behind it forever. */
			lost = errno;
		}
		free(n->queue.v[0]);
		/* The n pointers after the first: the closing NULL too. */
		memmove(n->queue.v, n->queue.v + 1, n->queue.n * sizeof(char *));
		n->queue.n--;
	}
	if (lost != 0) {
		errno = lost;
		return -1;
	}
	return 0;
}

int
notify_send(struct notify *n, const char *msg)
{
	if (n->fd == -1)
		return 0;
	if (n->queue.n == 0 && notify_send1(n, msg) != -1)
		return 0;
	if (n->queue.n == 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return notify_enqueue(n, msg);
}

int
notify_status(struct notify *n, const char *status)
{
	char	msg[sizeof(n->status) + 8];

	if (n->fd == -1 || strcmp(status, n->status) == 0)
		return 0;
	snprintf(n->status, sizeof(n->status), "%s", status);
	snprintf(msg, sizeof(msg), "STATUS=%s", n->status);
	return notify_send(n, msg);
}

void
notify_close(struct notify *n)
{
	if (n->fd != -1)
		close(n->fd);
	strv_free(&n->queue);
	*n = (struct notify)NOTIFY_INIT;
}

int
notify_server_open(struct notify_server *ns)
{
	struct sockaddr_un	addr = { .sun_family = AF_UNIX };
	socklen_t		len = sizeof(sa_family_t);
	int			fd, on = 1;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	/* Binding with only the family asks the kernel for a fresh
	   abstract name (autobind): five hex digits, unique. */
	if (bind(fd, (struct sockaddr *)&addr, len) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1)
		goto fail;
	len = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &len) == -1)
		goto fail;
	if (len <= offsetof(struct sockaddr_un, sun_path) + 1 ||
	    addr.sun_path[0] != '\0') {
		errno = EPROTO;
		goto fail;
	}
	snprintf(ns->env, sizeof(ns->env), "NOTIFY_SOCKET=@%.*s",
	    (int)(len - offsetof(struct sockaddr_un, sun_path) - 1),
	    addr.sun_path + 1);
	ns->fd = fd;
	return 0;

fail:
	close(fd);
	return -1;
}

/*
 * Descriptors someone passed us (FDSTORE=1 is for systemd, not for us):
 * closed at once, or any local process could fill our fd table.
 */
static void
notify_drop_fds(struct cmsghdr *c)
{
	size_t	i, n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int	fd;

	for (i = 0; i < n; i++) {
		memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		close(fd);
	}
}

int
notify_server_recv(struct notify_server *ns, pid_t *pid, char *buf,
    size_t len, size_t *size)
{
	/* The union aligns the buffer for a cmsghdr. */
	union {
		struct cmsghdr	hdr;
		/* Room for some passed fds too, which we close; the kernel
		   closes those that do not fit. */
		/* cppcheck-suppress unusedStructMember */
		char		buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(16 * sizeof(int))];
	} control;
	struct iovec	 iov = { buf, len - 1 };
	struct msghdr	 msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr	*c;
	struct ucred	 cred;
	ssize_t		 n;
	bool		 found;

	for (;;) {
		msg.msg_controllen = sizeof(control);
		/* MSG_TRUNC: n is the datagram's real length. */
		n = recvmsg(ns->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
		    MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		*size = (size_t)n;
		buf[(size_t)n < len ? (size_t)n : len - 1] = '\0';
		found = false;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_RIGHTS)
				notify_drop_fds(c);
			else if (c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(cred))) {
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
				*pid = cred.pid;
				found = true;
			}
		}
		if (found)
			return 1;
	}
}

void
notify_server_close(struct notify_server *ns)
{
	if (ns->fd != -1)
		close(ns->fd);
	*ns = (struct notify_server)NOTIFY_SERVER_INIT;
}

void
notify_parse(char *buf, struct notify_msg *m)
{
	char	*line, *next;

	memset(m, 0, sizeof(*m));
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strcmp(line, "READY=1") == 0)
			m->ready = true;
		else if (strcmp(line, "WATCHDOG=1") == 0)
			m->watchdog = true;
		else if (strcmp(line, "STOPPING=1") == 0)
			m->stopping = true;
		else if (strncmp(line, "STATUS=", 7) == 0)
			m->status = line + 7;
	}
}
