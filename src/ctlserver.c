/* SPDX-License-Identifier: ISC */
/*
 * The control socket's server. See ctlserver.h. Each connection is a
 * pair of watchers, and it owns them; the master sees a connection only
 * as the handle it answers.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "ctlserver.h"
#include "log.h"
#include "safefile.h"
#include "util.h"

/* How long the server stops accepting when accept(2) fails (EMFILE). */
#define CTL_PAUSE	1.0
/* The largest answer: 512 workers' metrics take about 100 KiB. */
#define CTL_OUT_MAX	(4u << 20)
/* The most supplementary groups of a peer that are looked at. */
#define PEER_GROUPS_MAX	256

/* One client: one request, one answer. */
struct ctl_conn {
	struct ctlserver	*s;
	int			 fd;
	ev_io			 io;
	ev_timer		 timer;
	char			 in[CTL_REQUEST_MAX];
	size_t			 inlen;
	bool			 waiting;	/* for the master */
	enum ctl_command	 cmd;		/* what it waits for */
	long			 args[2];	/* the master's */
	char			*out;		/* the answer, once there is one */
	size_t			 outlen, outoff;
};

static void
conn_close(struct ctl_conn *c)
{
	struct ctlserver	*s = c->s;
	size_t			 i;

	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->timer);
	close(c->fd);
	free(c->out);
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	free(c);
}

/*
 * Writes what is left of the answer; returns true once it is all out
 * or the client is gone (the connection is then closed).
 */
static bool
conn_send(struct ctl_conn *c)
{
	ssize_t	n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return false;
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	conn_close(c);
	return true;
}

void
ctl_answer(struct ctl_conn *c, enum ctl_reply kind, const char *reason,
    const char *body, size_t len)
{
	static const char *const	words[] = { "OK", "ERR", "DENIED",
					    "BUSY" };
	struct ctlserver		*s = c->s;
	char				 line[1024], esc[1000];
	size_t				 hlen;

	if (len > CTL_OUT_MAX) {
		kind = CTL_ERR;
		reason = "answer too large";
		len = 0;
	}
	if (reason == NULL || *reason == '\0')
		snprintf(line, sizeof(line), "%s\n", words[kind]);
	else
		snprintf(line, sizeof(line), "%s %s\n", words[kind],
		    util_escape(reason, esc, sizeof(esc)));
	hlen = strlen(line);
	c->waiting = false;
	if ((c->out = malloc(hlen + len)) == NULL) {
		conn_close(c);
		return;
	}
	memcpy(c->out, line, hlen);
	if (len > 0)
		memcpy(c->out + hlen, body, len);
	c->outlen = hlen + len;
	c->outoff = 0;
	/* A slow reader has CTL_TIMEOUT without progress, then is closed. */
	ev_timer_stop(s->loop, &c->timer);
	ev_timer_set(&c->timer, CTL_TIMEOUT, 0);
	ev_timer_start(s->loop, &c->timer);
	ev_io_stop(s->loop, &c->io);
	if (conn_send(c))
		return;
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(s->loop, &c->io);
}

void
ctl_wait(struct ctl_conn *c, enum ctl_command cmd)
{
	c->waiting = true;
	c->cmd = cmd;
	ev_timer_stop(c->s->loop, &c->timer);
	ev_io_stop(c->s->loop, &c->io);
}

void
ctl_set_args(struct ctl_conn *c, long a, long b)
{
	c->args[0] = a;
	c->args[1] = b;
}

long
ctl_arg(const struct ctl_conn *c, int i)
{
	return c->args[i != 0];
}

int
ctl_conn_fd(const struct ctl_conn *c)
{
	return c->fd;
}

size_t
ctlserver_waiting(const struct ctlserver *s, enum ctl_command cmd,
    struct ctl_conn **out, size_t max)
{
	size_t	i, n = 0;

	for (i = 0; i < CTL_CLIENTS_MAX && n < max; i++)
		if (s->conns[i] != NULL && s->conns[i]->waiting &&
		    s->conns[i]->cmd == cmd)
			out[n++] = s->conns[i];
	return n;
}

/* Reads the request; once its line is whole, hands it to the master. */
static void
conn_read(struct ctl_conn *c)
{
	struct ctl_request	req;
	char			why[256];
	ssize_t			n;
	long			line;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
	    MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if ((line = ctl_line(c->in, c->inlen)) == -1) {
		if (c->inlen == sizeof(c->in))
			ctl_answer(c, CTL_ERR, "request too long (4095 bytes "
			    "at most)", NULL, 0);
		return;
	}
	/* One request per connection: what follows it is ignored. */
	ev_io_stop(c->s->loop, &c->io);
	if (ctl_parse(c->in, (size_t)line, &req, why, sizeof(why)) == -1) {
		ctl_answer(c, CTL_ERR, why, NULL, 0);
		return;
	}
	c->s->request(c->s->ctx, c, &req);
}

static void
conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn	*c = w->data;

	if (c->out != NULL) {
		if (!conn_send(c)) {
			/* Progress: the reader has its time again. */
			ev_timer_stop(loop, &c->timer);
			ev_timer_set(&c->timer, CTL_TIMEOUT, 0);
			ev_timer_start(loop, &c->timer);
		}
		return;
	}
	conn_read(c);
}

static void
conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	conn_close(w->data);
}

/*
 * May the peer of fd use the socket: root, the master's user, or one of
 * control_group (its primary group or a supplementary one)? When not,
 * why says who it is.
 */
static bool
peer_allowed(const struct ctlserver *s, int fd, char *why, size_t len)
{
	struct ucred	cred;
	socklen_t	clen = sizeof(cred);
	gid_t		groups[PEER_GROUPS_MAX];
	socklen_t	glen = sizeof(groups);
	size_t		i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1) {
		snprintf(why, len, "cannot tell who the peer is (%s)",
		    strerror(errno));
		return false;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (s->gid != (gid_t)-1) {
		if (cred.gid == s->gid)
			return true;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &glen) == 0)
			for (i = 0; i < glen / sizeof(gid_t); i++)
				if (groups[i] == s->gid)
					return true;
	}
	snprintf(why, len, "uid %lu may not use the "
	    "control socket (root, uid %lu%s)", (unsigned long)cred.uid,
	    (unsigned long)geteuid(), s->gid != (gid_t)-1 ?
	    " and control_group" : " only: see control_group");
	return false;
}

/* Turns fd away with one line, without waiting for it. */
static void
turn_away(int fd, const char *word, const char *why)
{
	char	line[512];
	int	n;

	n = snprintf(line, sizeof(line), "%s %s\n", word, why);
	if (n > 0)
		(void)send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* A new client, if it may come in and there is room for it. */
static void
conn_new(struct ctlserver *s, int fd)
{
	struct ctl_conn	*c;
	char		 why[256];
	unsigned	 held;
	size_t		 i;

	if (!peer_allowed(s, fd, why, sizeof(why))) {
		/* Another user may knock as often as it likes: said 5 in 10 s. */
		if (ratelimit_pass(&s->denied, ev_now(s->loop), 10.0, 5,
		    &held))
			log_warnx("control: permission denied: %s%s", why,
			    held > 0 ?
			    " (and earlier refusals not logged)" : "");
		turn_away(fd, "DENIED", why);
		return;
	}
	for (i = 0; i < CTL_CLIENTS_MAX && s->conns[i] != NULL; i++)
		continue;
	if (i == CTL_CLIENTS_MAX) {
		turn_away(fd, "BUSY", "too many clients (16 at most)");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->s = s;
	c->fd = fd;
	ev_io_init(&c->io, conn_cb, fd, EV_READ);
	c->io.data = c;
	ev_timer_init(&c->timer, conn_timeout_cb, CTL_TIMEOUT, 0);
	c->timer.data = c;
	ev_io_start(s->loop, &c->io);
	ev_timer_start(s->loop, &c->timer);
	s->conns[i] = c;
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctlserver	*s = w->data;
	int			 fd;

	while ((fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1)
		conn_new(s, fd);
	if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
		return;
	/*
	 * Out of fds (or worse): the client stays queued and the socket
	 * readable, so the server rests a second rather than spin.
	 */
	log_warn("control %s: accept (pausing %.0fs)", s->path, CTL_PAUSE);
	ev_io_stop(loop, &s->io);
	ev_timer_set(&s->pause, CTL_PAUSE, 0);
	ev_timer_start(loop, &s->pause);
}

static void
resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctlserver	*s = w->data;

	if (s->fd != -1)
		ev_io_start(loop, &s->io);
}

void
ctlserver_flush(struct ctlserver *s)
{
	size_t	i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (s->conns[i] != NULL && (s->conns[i]->out == NULL ||
		    !conn_send(s->conns[i])))
			conn_close(s->conns[i]);
}

void
ctlserver_close(struct ctlserver *s)
{
	struct stat	st;
	size_t		i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (s->conns[i] != NULL)
			conn_close(s->conns[i]);
	ev_timer_stop(s->loop, &s->pause);
	if (s->fd != -1) {
		ev_io_stop(s->loop, &s->io);
		close(s->fd);
		s->fd = -1;
		/* Only our socket: another master's may be there now. */
		if (lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
		    st.st_ino == s->ino)
			(void)unlink(s->path);
	}
	free(s->path);
	s->path = NULL;
}

/*
 * What is at path now: nothing, a stale socket (removed), a live one or
 * something else (both left alone, and an error). Returns 0 when path is
 * free, else CTL_OPEN_LIVE or CTL_OPEN_FAILED, logged.
 */
static enum ctl_open
clear_path(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	struct stat		st;
	int			fd, r;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return CTL_OPEN_OK;
		log_warn("control %s", path);
		return CTL_OPEN_FAILED;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_errorx("control %s: exists and is not a socket: not "
		    "replaced", path);
		return CTL_OPEN_FAILED;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("control %s: socket", path);
		return CTL_OPEN_FAILED;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0 || errno == EAGAIN) {
		log_errorx("control %s: another prefork answers there (stop "
		    "it, or set another control path)", path);
		return CTL_OPEN_LIVE;
	}
	if (errno != ECONNREFUSED) {
		log_warn("control %s: cannot tell whether it is in use", path);
		return CTL_OPEN_FAILED;
	}
	log_info("control %s: replacing a stale socket", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("control %s: unlink", path);
		return CTL_OPEN_FAILED;
	}
	return CTL_OPEN_OK;
}

/*
 * Its directory must be one nobody else can change: a socket there
 * could otherwise be swapped for another program's, or removed.
 */
static int
check_dir(const char *path)
{
	char		dir[PATH_MAX], why[SAFEFILE_WHY_MAX];
	struct stat	st;

	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(dirname(dir), &st) == -1) {
		log_warn("control %s: directory %s", path, dir);
		return -1;
	}
	if (!safefile_dir_safe(&st, geteuid(), dir, why, sizeof(why))) {
		log_errorx("control %s: %s", path, why);
		return -1;
	}
	return 0;
}

/* The socket file's mode and group: 0600, or 0660 and gid. */
static int
set_mode(const struct ctlserver *s, const char *path, gid_t gid)
{
	if (gid != (gid_t)-1 && lchown(path, (uid_t)-1, gid) == -1) {
		log_warn("control %s: chown to group %lu", path,
		    (unsigned long)gid);
		return -1;
	}
	if (chmod(path, gid != (gid_t)-1 ? 0660 : 0600) == -1) {
		log_warn("control %s: chmod", path);
		return -1;
	}
	return 0;
}

/* Binds a listening socket at path, 0600 from the start. */
static int
bind_at(const char *path, struct stat *st)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	mode_t			old;
	int			fd, r;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || listen(fd, CTL_CLIENTS_MAX) == -1 ||
	    lstat(path, st) == -1) {
		r = errno;
		close(fd);
		errno = r;
		return -1;
	}
	return fd;
}

enum ctl_open
ctlserver_open(struct ctlserver *s, const char *path, gid_t gid)
{
	enum ctl_open	r;
	struct stat	st;
	int		fd;

	if (util_streq(path, s->path)) {
		if (path != NULL && set_mode(s, path, gid) == 0)
			s->gid = gid;
		return CTL_OPEN_OK;
	}
	if (path == NULL) {
		ctlserver_close(s);
		return CTL_OPEN_OK;
	}
	if (check_dir(path) == -1)
		return CTL_OPEN_FAILED;
	if ((r = clear_path(path)) != CTL_OPEN_OK)
		return r;
	if ((fd = bind_at(path, &st)) == -1) {
		log_warn("control %s", path);
		return CTL_OPEN_FAILED;
	}
	if (set_mode(s, path, gid) == -1 ||
	    ctlserver_adopt(s, fd, path, st.st_dev, st.st_ino) == -1) {
		if (errno == ENOMEM)
			log_warn("control %s", path);
		close(fd);
		(void)unlink(path);
		return CTL_OPEN_FAILED;
	}
	s->gid = gid;
	log_info("control: listening on %s", path);
	return CTL_OPEN_OK;
}

int
ctlserver_adopt(struct ctlserver *s, int fd, const char *path, dev_t dev,
    ino_t ino)
{
	char	*copy;

	if ((copy = strdup(path)) == NULL)
		return -1;
	ctlserver_close(s);
	s->path = copy;
	s->fd = fd;
	s->dev = dev;
	s->ino = ino;
	ev_io_init(&s->io, accept_cb, fd, EV_READ);
	s->io.data = s;
	ev_init(&s->pause, resume_cb);
	s->pause.data = s;
	ev_io_start(s->loop, &s->io);
	return 0;
}
