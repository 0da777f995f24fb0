/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "sockets.h"

/* sd_listen_fds(3): systemd passes its sockets from this fd on. */
#define LISTEN_FDS_START	3

/* What sd_listen_fds_with_names(3) calls a socket without a name. */
#define UNKNOWN_NAME		"unknown"

/* A listener that holds nothing yet, so listener_free() can undo it. */
static const struct listener	listener_empty = { .fd = -1 };

/*
 * True while the unix socket file at l->path is still the one we bound.
 * Another prefork started on the same path after us (a new instance
 * during an upgrade, say) removes our file as stale and binds its own;
 * removing that one on our way out would cut it off.
 */
static bool
listener_owns_file(const struct listener *l)
{
	struct stat	st;

	if (l->path == NULL || lstat(l->path, &st) == -1)
		return false;
	return S_ISSOCK(st.st_mode) && st.st_dev == l->dev &&
	    st.st_ino == l->ino;
}

/*
 * Closes the socket, removes its file if we made it and it is still
 * ours, and frees the strings. Between the check and unlink(2) another
 * process could still replace the file; that window is as small as we
 * can make it without a lock the other process would have to honour.
 */
static void
listener_free(struct listener *l)
{
	if (listener_owns_file(l))
		unlink(l->path);
	if (l->fd != -1)
		close(l->fd);
	free(l->addr);
	free(l->name);
	free(l->path);
	*l = listener_empty;
}

/* listen(2) wants an int; conf.c caps backlog far below INT_MAX anyway. */
static int
sockets_listen(int fd, unsigned backlog)
{
	return listen(fd, backlog > INT_MAX ? INT_MAX : (int)backlog);
}

/*
 * The LISTEN_FDNAMES name of a bound address: systemd's names may not
 * hold ':', so each becomes '_' ("127.0.0.1_8000", "unix_/run/a.sock").
 */
static char *
sockets_name(const char *addr)
{
	char	*name, *p;

	if ((name = strdup(addr)) == NULL)
		return NULL;
	for (p = name; (p = strchr(p, ':')) != NULL; p++)
		*p = '_';
	return name;
}

/*
 * Resolves a parsed TCP address into ss. Literals were parsed by
 * addr.c, not by getaddrinfo(3): with AI_ADDRCONFIG glibc refuses "::1"
 * on a host whose only IPv6 address is the loopback one. What is left
 * for the system is a zone's interface and a host name. Returns 0, or -1
 * with the reason appended to errs.
 */
static int
sockets_resolve(const char *addr, const struct listen_addr *a,
    struct sockaddr_storage *ss, socklen_t *sslen, struct strv *errs)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	struct addrinfo		 hints, *res;
	char			*end;
	unsigned long		 index;
	int			 rc;

	memset(ss, 0, sizeof(*ss));
	switch (a->kind) {
	case ADDR_ANY:
	case ADDR_INET4:
		/* "*" as nginx has it: every IPv4 address. */
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = a->kind == ADDR_ANY ?
		    htonl(INADDR_ANY) : a->in4.s_addr;
		sin->sin_port = htons(a->port);
		*sslen = sizeof(*sin);
		return 0;
	case ADDR_INET6:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->in6;
		sin6->sin6_port = htons(a->port);
		*sslen = sizeof(*sin6);
		if (a->zone[0] == '\0')
			return 0;
		/* A zone: an interface's index, or its name. */
		errno = 0;
		index = strtoul(a->zone, &end, 10);
		if (*end == '\0' && errno == 0 && index <= UINT32_MAX)
			sin6->sin6_scope_id = (uint32_t)index;
		else if ((sin6->sin6_scope_id = if_nametoindex(a->zone)) ==
		    0) {
			strv_pushf(errs, "listen %s: no network interface "
			    "'%s'", addr, a->zone);
			return -1;
		}
		return 0;
	default:
		break;
	}

	/*
	 * A host name: bind the first address it resolves to, as Gunicorn
	 * does. Binding every address would turn one configured socket
	 * into several, and workers count on one fd per listen item.
	 */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG | AI_NUMERICSERV;
	if ((rc = getaddrinfo(a->host, a->port_text, &hints, &res)) != 0) {
		strv_pushf(errs, "listen %s: %s", addr, rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return -1;
	}
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		strv_pushf(errs, "listen %s: %s", addr,
		    gai_strerror(EAI_FAMILY));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/*
 * Binds a TCP socket for "HOST:PORT" into l. SO_REUSEADDR lets a new
 * master bind while connections of an old one linger in TIME_WAIT. An
 * IPv6 socket is IPv6 only, as in nginx, so that "[::]:8000" and
 * "0.0.0.0:8000" can be listed side by side. Returns 0, or -1 with the
 * reason appended to errs and l left for listener_free().
 */
static int
sockets_bind_inet(struct listener *l, const struct listen_addr *a,
    unsigned backlog, struct strv *errs)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	int			on = 1;

	if (sockets_resolve(l->addr, a, &ss, &sslen, errs) == -1)
		return -1;
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd == -1 ||
	    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 ||
	    (ss.ss_family == AF_INET6 &&
	    setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1) ||
	    bind(l->fd, (struct sockaddr *)&ss, sslen) == -1 ||
	    sockets_listen(l->fd, backlog) == -1) {
		strv_pushf(errs, "listen %s: %s", l->addr, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Makes way for a unix socket at sun->sun_path. A socket file nobody
 * listens on (connect(2) refused) is left over from a server that
 * crashed: it is removed. One somebody listens on belongs to another
 * server, and anything else is not ours to remove. The probe is
 * non-blocking, since a live listener with a full backlog would
 * otherwise block us (it answers EAGAIN). Returns 0, or -1 with the
 * reason appended to errs.
 */
static int
sockets_clear_stale(const char *addr, const struct sockaddr_un *sun,
    struct strv *errs)
{
	struct stat	st;
	int		fd, rc, saved;

	if (lstat(sun->sun_path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		strv_pushf(errs, "listen %s: %s", addr, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		strv_pushf(errs, "listen %s: exists and is not a socket", addr);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		strv_pushf(errs, "listen %s: %s", addr, strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN || saved == EINPROGRESS) {
		strv_pushf(errs, "listen %s: address in use by another process",
		    addr);
		return -1;
	}
	if (saved == ENOENT)
		return 0;	/* removed since the lstat() */
	if (saved != ECONNREFUSED) {
		strv_pushf(errs, "listen %s: %s", addr, strerror(saved));
		return -1;
	}
	if (unlink(sun->sun_path) == -1 && errno != ENOENT) {
		strv_pushf(errs, "listen %s: %s", addr, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Binds a unix stream socket for "unix:/PATH" into l, and records the
 * file's device and inode so that only this file is ever removed. The
 * file's permissions follow the master's umask (bind(2) creates it
 * 0777 & ~umask): set umask in the service to restrict who may connect;
 * the umask key applies to workers only. Returns 0, or -1 with the
 * reason appended to errs and l left for listener_free().
 */
static int
sockets_bind_unix(struct listener *l, const struct listen_addr *a,
    unsigned backlog, struct strv *errs)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	const char		*path = a->path;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* addr.c made sure that it fits, with its NUL. */
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (sockets_clear_stale(l->addr, &sun, errs) == -1)
		return -1;
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		strv_pushf(errs, "listen %s: %s", l->addr, strerror(errno));
		return -1;
	}
	/* From here the file is ours: we bound it a moment ago. */
	if (lstat(path, &st) == -1 || (l->path = strdup(path)) == NULL) {
		strv_pushf(errs, "listen %s: %s", l->addr, strerror(errno));
		unlink(path);
		return -1;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if (sockets_listen(l->fd, backlog) == -1) {
		strv_pushf(errs, "listen %s: %s", l->addr, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Binds addr into l. Returns 0, or -1 with the reason appended to errs
 * and l released.
 */
static int
sockets_open(struct listener *l, const char *addr, unsigned backlog,
    struct strv *errs)
{
	struct listen_addr	 a;
	const char		*why;
	int			 rc;

	*l = listener_empty;
	if ((why = addr_parse(addr, &a)) != NULL) {
		strv_pushf(errs, "listen %s: %s", addr, why);
		return -1;
	}
	if ((l->addr = strdup(addr)) == NULL ||
	    (l->name = sockets_name(addr)) == NULL) {
		strv_pushf(errs, "listen %s: %s", addr, strerror(ENOMEM));
		listener_free(l);
		return -1;
	}
	if (a.kind == ADDR_UNIX)
		rc = sockets_bind_unix(l, &a, backlog, errs);
	else
		rc = sockets_bind_inet(l, &a, backlog, errs);
	if (rc == -1)
		listener_free(l);
	return rc;
}

int
sockets_bind_tcp(const char *addr, unsigned backlog, const char *what,
    struct strv *errs)
{
	struct strv		 mine = STRV_INIT;
	struct listener		 l;
	struct listen_addr	 a;
	const char		*why;
	size_t			 i;
	int			 fd = -1, flags;

	if ((why = addr_parse(addr, &a)) != NULL || a.kind == ADDR_UNIX) {
		strv_pushf(errs, "%s %s: %s", what, addr, why != NULL ? why :
		    "a TCP address (HOST:PORT) is needed");
		return -1;
	}
	if (sockets_open(&l, addr, backlog, &mine) == 0) {
		if ((flags = fcntl(l.fd, F_GETFL)) == -1 ||
		    fcntl(l.fd, F_SETFL, flags | O_NONBLOCK) == -1)
			strv_pushf(&mine, "listen %s: %s", addr,
			    strerror(errno));
		else {
			fd = l.fd;
			l.fd = -1;
		}
		listener_free(&l);
	}
	/* sockets_open() says "listen ADDR: ...": say what instead. */
	for (i = 0; i < mine.n; i++)
		strv_pushf(errs, "%s%s", what, mine.v[i] + strlen("listen"));
	strv_free(&mine);
	return fd;
}

/*
 * The index of the bound (not adopted) socket configured as addr and not
 * taken yet, or s->n.
 */
static size_t
sockets_find(const struct sockets *s, const bool *taken, const char *addr)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (!s->v[i].adopted && !taken[i] &&
		    strcmp(s->v[i].addr, addr) == 0)
			break;
	return i;
}

/*
 * The new set is built beside the old one: adopted sockets first, then
 * one per listen item, kept or new. Only when every new address is
 * bound are the removed ones closed, so a mistake in a reloaded file
 * never costs the sockets in service. A new spelling of an address
 * already bound ("localhost:80" for "127.0.0.1:80") is a new address
 * and fails while the old one holds it: change it in two reloads.
 */
int
sockets_update(struct sockets *s, const struct strv *want, unsigned backlog,
    struct strv *errs)
{
	struct listener	*nv;
	bool		*taken, *fresh;
	size_t		 i, n = 0;
	int		 rc = 0;

	nv = calloc(s->n + want->n + 1, sizeof(*nv));
	taken = calloc(s->n + 1, sizeof(*taken));
	fresh = calloc(s->n + want->n + 1, sizeof(*fresh));
	if (nv == NULL || taken == NULL || fresh == NULL) {
		strv_pushf(errs, "listen: %s", strerror(ENOMEM));
		free(nv);
		free(taken);
		free(fresh);
		return -1;
	}
	for (i = 0; i < s->n; i++)
		if (s->v[i].adopted) {
			nv[n++] = s->v[i];
			taken[i] = true;
		}
	for (i = 0; i < want->n; i++) {
		size_t	j = sockets_find(s, taken, want->v[i]);

		if (j < s->n) {
			nv[n++] = s->v[j];
			taken[j] = true;
		} else if (sockets_open(&nv[n], want->v[i], backlog,
		    errs) == 0)
			fresh[n++] = true;
		else
			rc = -1;
	}

	/*
	 * Calling listen(2) again on a listening socket sets its backlog.
	 * It is done once the new addresses are bound, so a failed update
	 * changes nothing there; it cannot fail on a socket that listens
	 * already, but if it did, the backlogs set so far would stay.
	 */
	for (i = 0; rc == 0 && i < n; i++)
		if (!fresh[i] && !nv[i].adopted &&
		    sockets_listen(nv[i].fd, backlog) == -1) {
			strv_pushf(errs, "listen %s: %s", nv[i].addr,
			    strerror(errno));
			rc = -1;
		}

	if (rc == -1) {
		for (i = 0; i < n; i++)
			if (fresh[i])
				listener_free(&nv[i]);
		free(nv);
	} else {
		for (i = 0; i < s->n; i++)
			if (!taken[i])
				listener_free(&s->v[i]);
		free(s->v);
		s->v = nv;
		s->n = n;
	}
	free(taken);
	free(fresh);
	return rc;
}

/* The value of a variable made of digits only, or -1. */
static long
sockets_env_number(const char *name)
{
	const char	*v = getenv(name);
	char		*end;
	long		 n;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	return n;
}

/*
 * Field i of the ':'-separated names (NULL when unset); "unknown", as
 * systemd says, for a missing or empty one.
 */
static char *
sockets_fdname(const char *names, size_t i)
{
	const char	*end;

	while (names != NULL && i-- > 0)
		if ((names = strchr(names, ':')) != NULL)
			names++;
	if (names == NULL || *names == '\0' || *names == ':')
		return strdup(UNKNOWN_NAME);
	end = strchr(names, ':');
	return strndup(names, end != NULL ? (size_t)(end - names) :
	    strlen(names));
}

/*
 * Every fd systemd announced must be there and be a socket; all are
 * checked before any is taken, so a bad one changes nothing.
 */
static int
sockets_adopt_check(int nfds, struct strv *errs)
{
	struct stat	st;
	int		fd, rc = 0;

	for (fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + nfds; fd++) {
		if (fstat(fd, &st) == -1) {
			strv_pushf(errs, "LISTEN_FDS: fd %d: %s", fd,
			    strerror(errno));
			rc = -1;
		} else if (!S_ISSOCK(st.st_mode)) {
			strv_pushf(errs, "LISTEN_FDS: fd %d is not a socket",
			    fd);
			rc = -1;
		}
	}
	return rc;
}

/*
 * Like every fd the master holds, the sockets are made close-on-exec:
 * workers get them explicitly, spawn dup2(2)s them onto 3, 4, ... and
 * the copies lose the flag. LISTEN_* stay in our environment; the
 * master keeps them from the workers itself.
 */
int
sockets_adopt(struct sockets *s, struct strv *errs)
{
	struct listener	*v, *l;
	const char	*names = getenv("LISTEN_FDNAMES");
	long		 pid, nfds;
	size_t		 i;
	int		 fd;

	pid = sockets_env_number("LISTEN_PID");
	nfds = sockets_env_number("LISTEN_FDS");
	if (pid != (long)getpid() || nfds <= 0)
		return 0;
	if (nfds > INT_MAX - LISTEN_FDS_START) {
		strv_pushf(errs, "LISTEN_FDS: %ld is too many", nfds);
		return -1;
	}
	if (sockets_adopt_check((int)nfds, errs) == -1)
		return -1;
	for (fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + nfds; fd++) {
		int	flags;

		if ((flags = fcntl(fd, F_GETFD)) == -1 ||
		    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) {
			strv_pushf(errs, "LISTEN_FDS: fd %d: %s", fd,
			    strerror(errno));
			return -1;
		}
	}
	v = reallocarray(s->v, s->n + (size_t)nfds, sizeof(*v));
	if (v == NULL) {
		strv_pushf(errs, "LISTEN_FDS: %s", strerror(ENOMEM));
		return -1;
	}
	s->v = v;
	for (i = 0; i < (size_t)nfds; i++) {
		l = &v[s->n + i];
		*l = listener_empty;
		l->fd = LISTEN_FDS_START + (int)i;
		l->adopted = true;
		if (asprintf(&l->addr, "fd:%d", l->fd) == -1)
			l->addr = NULL;
		l->name = sockets_fdname(names, i);
		if (l->addr == NULL || l->name == NULL)
			break;
	}
	if (i < (size_t)nfds) {
		/* Free what was made; the fds stay open. */
		do {
			free(v[s->n + i].addr);
			free(v[s->n + i].name);
		} while (i-- > 0);
		strv_pushf(errs, "LISTEN_FDS: %s", strerror(ENOMEM));
		return -1;
	}
	s->n += (size_t)nfds;
	s->activated = true;
	return (int)nfds;
}

void
sockets_close(struct sockets *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		listener_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->activated = false;
}

char *
sockets_names(const struct sockets *s)
{
	char	*names, *p;
	size_t	 i, len = 1;

	for (i = 0; i < s->n; i++)
		len += strlen(s->v[i].name) + 1;
	if ((names = malloc(len)) == NULL)
		return NULL;
	p = names;
	*p = '\0';
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			*p++ = ':';
		len = strlen(s->v[i].name);
		memcpy(p, s->v[i].name, len + 1);
		p += len;
	}
	return names;
}

void
sockets_fds(const struct sockets *s, int *fds)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		fds[i] = s->v[i].fd;
}
