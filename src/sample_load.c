/* SPDX-License-Identifier: ISC */
/*
 * The load on the pool: pressure files found and read, connections on a
 * listener counted through sock_diag(7). See sample_load.h. Whatever
 * the kernel hands back, file or netlink message, is read as hostile:
 * every length checked before it is used, every number bounded.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_parse.h"
#include "sample_load.h"
#include "util.h"

/* A pressure file is two lines of about 70 bytes. */
#define PSI_FILE_MAX	1024

/* As probe.c and oom.c read them: small cgroup files, a long mountinfo. */
#define CGROUP_MAX	((size_t)64 * 1024)
#define MOUNTINFO_MAX	((size_t)1024 * 1024)

/* More sockets on one port than any host holds: past it, a broken dump. */
#define CONNS_MAX	1000000

/*
 * The receive buffer: the kernel fills a dump's messages up to 32 KiB
 * at most; a message cut short (MSG_TRUNC) is an error, not a guess.
 */
#define NL_BUF_MAX	(32 * 1024)

/* snprintf() into a fixed field: a path cut short still says enough. */
static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * Parses one "key=value" field of a pressure line, [p, end): a "total"
 * into *total, counted in *totals. Returns 0, or -1 when malformed.
 */
static int
psi_field(const char *p, const char *end, uint64_t *total, int *totals)
{
	const char	*key = p, *eq;
	uint64_t	 v = 0;

	for (eq = p; eq < end && ((*eq >= 'a' && *eq <= 'z') ||
	    (*eq >= '0' && *eq <= '9')); eq++)
		;
	if (eq == key || eq == end || *eq != '=' || eq + 1 == end)
		return -1;
	if ((size_t)(eq - key) == 5 && memcmp(key, "total", 5) == 0) {
		for (p = eq + 1; p < end; p++) {
			if (*p < '0' || *p > '9' ||
			    v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		*total = v;
		(*totals)++;
		return 0;
	}
	for (p = eq + 1; p < end; p++)
		if ((*p < '0' || *p > '9') && *p != '.')
			return -1;
	return 0;
}

/*
 * Parses one line of a pressure file, [line, end), into its kind (0 for
 * "some", 1 for "full") and total. Returns 0, or -1 when malformed.
 */
static int
psi_line(const char *line, const char *end, int *kind, uint64_t *total)
{
	const char	*p, *sp;
	int		 totals = 0;

	if (end - line < 5 || line[4] != ' ')
		return -1;
	if (memcmp(line, "some", 4) == 0)
		*kind = 0;
	else if (memcmp(line, "full", 4) == 0)
		*kind = 1;
	else
		return -1;
	for (p = line + 5;; p = sp + 1) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
			sp = end;
		if (psi_field(p, sp, total, &totals) == -1)
			return -1;
		if (sp == end)
			break;
	}
	return totals == 1 ? 0 : -1;
}

int
sample_parse_psi(const char *text, size_t len, struct sample_psi *p)
{
	const char	*end = text + len, *line, *nl;
	uint64_t	 total, totals[2] = { 0, 0 };
	bool		 seen[2] = { false, false };
	int		 kind;

	for (line = text; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if (psi_line(line, nl, &kind, &total) == -1 || seen[kind])
			return -1;
		seen[kind] = true;
		totals[kind] = total;
	}
	if (!seen[0])
		return -1;
	*p = (struct sample_psi){ .some_us = totals[0],
	    .full_us = totals[1], .has_full = seen[1] };
	return 0;
}

int
sample_psi_read(const char *path, struct sample_psi *p)
{
	char	buf[PSI_FILE_MAX];
	ssize_t	n;

	if ((n = util_read_buf(path, buf, sizeof(buf))) == -1)
		return -1;
	if ((size_t)n == sizeof(buf) - 1) {
		errno = EFBIG;
		return -1;
	}
	if (sample_parse_psi(buf, (size_t)n, p) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* root (rootlen bytes) followed by the parts; -1 ENAMETOOLONG. */
static int
under_root(char *buf, size_t len, const char *root, size_t rootlen,
    const char *dir, const char *name)
{
	int	n;

	if (rootlen > INT_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(buf, len, "%.*s%s%s", (int)rootlen, root, dir, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Reads name under root into a string the caller frees; NULL, errno. */
static char *
read_under(const char *root, size_t rootlen, const char *name, size_t max)
{
	char	path[PATH_MAX];

	if (under_root(path, sizeof(path), root, rootlen, "", name) == -1)
		return NULL;
	return util_read_file(path, max);
}

/*
 * The master's cgroup v2 directory as seen under root, from its
 * /proc/self/cgroup and mountinfo, into dir ("" for a cgroup2 mounted on
 * "/" of which we are the root). Returns 0, or -1 with why set.
 */
static int
psi_cgroup_dir(const char *root, size_t rootlen, char *dir, size_t len,
    char *why, size_t whylen)
{
	char	 cgpath[PATH_MAX], mroot[PATH_MAX], mnt[PATH_MAX];
	char	*cgroup, *mountinfo = NULL;
	size_t	 top;
	int	 r = -1;

	if ((cgroup = read_under(root, rootlen, "/proc/self/cgroup",
	    CGROUP_MAX)) == NULL)
		say(why, whylen, "/proc/self/cgroup: %s", strerror(errno));
	else if ((r = probe_parse_cgroup(cgroup, NULL, cgpath,
	    sizeof(cgpath))) != 0)
		say(why, whylen, "/proc/self/cgroup: %s", r == 1 ?
		    "no cgroup v2 hierarchy" : "not understood");
	else if (!probe_cgroup_plain(cgpath))
		say(why, whylen, "cgroup v2 path %s is outside this cgroup "
		    "namespace", cgpath);
	else if ((mountinfo = read_under(root, rootlen,
	    "/proc/self/mountinfo", MOUNTINFO_MAX)) == NULL)
		say(why, whylen, "/proc/self/mountinfo: %s", strerror(errno));
	else if ((r = probe_parse_mountinfo(mountinfo, NULL, cgpath, mroot,
	    sizeof(mroot), mnt, sizeof(mnt))) != 0)
		say(why, whylen, "/proc/self/mountinfo: %s", r == 1 ?
		    "no cgroup2 mount holds our cgroup" : "not understood");
	else if ((r = probe_cgroup_dir(cgpath, mroot, mnt, dir, len,
	    &top)) != 0)
		say(why, whylen, "cgroup v2 %s: path too long", cgpath);
	free(cgroup);
	free(mountinfo);
	return r == 0 ? 0 : -1;
}

/*
 * Tries the pressure file dir/name (dir as seen under root): copies its
 * path into path when it reads and parses. Returns 0, or -1 with errno
 * and why set.
 */
static int
psi_try(const char *root, size_t rootlen, const char *dir,
    const char *name, char *path, size_t len, char *why, size_t whylen)
{
	struct sample_psi	p;
	int			err;

	if (under_root(path, len, root, rootlen, dir, name) == -1) {
		say(why, whylen, "%s%s: path too long", dir, name);
		return -1;
	}
	if (sample_psi_read(path, &p) == -1) {
		err = errno;
		say(why, whylen, "%s%s: %s", dir, name, err == EINVAL ?
		    "not understood" : strerror(err));
		errno = err;
		return -1;
	}
	return 0;
}

int
sample_psi_find(const char *root, enum sample_psi_kind kind, char *path,
    size_t len, char *why, size_t whylen)
{
	const char	*cgname, *sysname;
	char		 dir[PATH_MAX], sysbuf[256];
	size_t		 rootlen;
	int		 err;

	if (kind == SAMPLE_PSI_CPU) {
		cgname = "/cpu.pressure";
		sysname = "/proc/pressure/cpu";
	} else {
		cgname = "/memory.pressure";
		sysname = "/proc/pressure/memory";
	}
	if (root == NULL)
		root = "";
	rootlen = strlen(root);
	while (rootlen > 0 && root[rootlen - 1] == '/')
		rootlen--;
	say(why, whylen, "%s", "");
	if (psi_cgroup_dir(root, rootlen, dir, sizeof(dir), why,
	    whylen) == 0 && psi_try(root, rootlen, dir, cgname, path, len,
	    why, whylen) == 0) {
		say(why, whylen, "%s", "");
		return 0;
	}
	/* why keeps the cgroup's reason, for the caller to log. */
	if (psi_try(root, rootlen, "", sysname, path, len, sysbuf,
	    sizeof(sysbuf)) == 0)
		return 0;
	err = errno;
	say(why, whylen, "no cgroup v2 pressure file and %s", sysbuf);
	errno = err;
	return -1;
}

/* The listener whose connections are counted, as getsockname() says. */
struct listener {
	int		family;
	uint16_t	port;		/* host order */
	unsigned char	addr[16];	/* network order; 4 bytes for IPv4 */
	size_t		addrlen;
	bool		any;		/* the wildcard address */
};

/*
 * What fd listens on. Returns 0, or -1 with errno set: EOPNOTSUPP when
 * it is not TCP over IPv4 or IPv6, EINVAL when it does not listen.
 */
static int
listener_get(int fd, struct listener *l)
{
	static const unsigned char	zeros[16];
	struct sockaddr_storage		ss;
	struct sockaddr_in		sin;
	struct sockaddr_in6		sin6;
	socklen_t			len = sizeof(ss);
	int				v;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET && len >= sizeof(sin)) {
		memcpy(&sin, &ss, sizeof(sin));
		l->port = ntohs(sin.sin_port);
		l->addrlen = sizeof(sin.sin_addr);
		memcpy(l->addr, &sin.sin_addr, l->addrlen);
	} else if (ss.ss_family == AF_INET6 && len >= sizeof(sin6)) {
		memcpy(&sin6, &ss, sizeof(sin6));
		l->port = ntohs(sin6.sin6_port);
		l->addrlen = sizeof(sin6.sin6_addr);
		memcpy(l->addr, &sin6.sin6_addr, l->addrlen);
	} else {
		errno = EOPNOTSUPP;
		return -1;
	}
	l->family = ss.ss_family;
	l->any = memcmp(l->addr, zeros, l->addrlen) == 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == -1)
		return -1;
	if (v != IPPROTO_TCP) {
		errno = EOPNOTSUPP;
		return -1;
	}
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1)
		return -1;
	if (v == 0 || l->port == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* One instruction of the filter: its op, and what follows it. */
static size_t
bc_op(unsigned char *bc, size_t at, size_t total, unsigned char code,
    size_t size)
{
	struct inet_diag_bc_op	op;

	/*
	 * Passing goes on to the next instruction, or past the end, which
	 * keeps the socket; failing jumps 4 bytes past the end, which the
	 * kernel takes for "leave it out".
	 */
	op.code = code;
	op.yes = (unsigned char)size;
	op.no = (unsigned short)(total - at + 4);
	memcpy(bc + at, &op, sizeof(op));
	return at + size;
}

/*
 * The kernel's filter for l's sockets into bc: local port >= port and
 * <= port (which every kernel with inet_diag knows; S_EQ came later),
 * and, unless l listens on the wildcard, the local address. Returns its
 * length.
 */
static size_t
bc_build(unsigned char *bc, const struct listener *l)
{
	struct inet_diag_bc_op		port = { 0, 0, l->port };
	struct inet_diag_hostcond	cond;
	size_t				opsz = sizeof(struct inet_diag_bc_op);
	size_t				condsz = opsz + sizeof(cond) + l->addrlen;
	size_t				total = 4 * opsz, at = 0;

	if (!l->any)
		total += condsz;
	memcpy(bc + opsz, &port, sizeof(port));
	memcpy(bc + 3 * opsz, &port, sizeof(port));
	at = bc_op(bc, at, total, INET_DIAG_BC_S_GE, 2 * opsz);
	at = bc_op(bc, at, total, INET_DIAG_BC_S_LE, 2 * opsz);
	if (!l->any) {
		memset(&cond, 0, sizeof(cond));
		cond.family = (unsigned char)l->family;
		cond.prefix_len = (unsigned char)(8 * l->addrlen);
		cond.port = -1;
		memcpy(bc + at + opsz, &cond, sizeof(cond));
		memcpy(bc + at + opsz + sizeof(cond), l->addr, l->addrlen);
		at = bc_op(bc, at, total, INET_DIAG_BC_S_COND, condsz);
	}
	return at;
}

/* The request: a dump of l's family's TCP sockets, l's filter attached. */
union nl_req {
	struct nlmsghdr	h;
	unsigned char	buf[NLMSG_SPACE(sizeof(struct inet_diag_req_v2)) +
			    NLA_HDRLEN + 64];
};

/* Sends the dump request on s. Returns 0, or -1 with errno set. */
static int
dump_send(int s, const struct listener *l, uint32_t seq)
{
	union nl_req		m;
	struct inet_diag_req_v2	req;
	struct nlattr		nla;
	struct sockaddr_nl	kernel = { .nl_family = AF_NETLINK };
	size_t			off = NLMSG_LENGTH(sizeof(req)), bclen;
	ssize_t			n;

	memset(&m, 0, sizeof(m));
	memset(&req, 0, sizeof(req));
	req.sdiag_family = (unsigned char)l->family;
	req.sdiag_protocol = IPPROTO_TCP;
	req.idiag_states = (1U << TCP_ESTABLISHED) | (1U << TCP_CLOSE_WAIT);
	memcpy(m.buf + NLMSG_HDRLEN, &req, sizeof(req));
	bclen = bc_build(m.buf + off + NLA_HDRLEN, l);
	nla.nla_type = INET_DIAG_REQ_BYTECODE;
	nla.nla_len = (unsigned short)(NLA_HDRLEN + bclen);
	memcpy(m.buf + off, &nla, sizeof(nla));
	m.h.nlmsg_len = (uint32_t)(off + NLA_ALIGN(nla.nla_len));
	m.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	m.h.nlmsg_seq = seq;
	do {
		n = sendto(s, m.buf, m.h.nlmsg_len, 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != m.h.nlmsg_len) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* True when the socket of a dump's message d is one of l's. */
static bool
diag_match(const struct inet_diag_msg *d, const struct listener *l)
{
	if (d->idiag_family != l->family ||
	    (d->idiag_state != TCP_ESTABLISHED &&
	    d->idiag_state != TCP_CLOSE_WAIT) ||
	    ntohs(d->id.idiag_sport) != l->port)
		return false;
	return l->any || memcmp(d->id.idiag_src, l->addr, l->addrlen) == 0;
}

/* What a dump has said so far. */
struct dump {
	const struct listener	*l;
	uint32_t		 seq;
	uint32_t		 seen;	/* its messages, counted or not */
	uint32_t		 conns;
	bool			 done;
};

/*
 * Takes one message of the kernel's answer, of len bytes (len checked
 * to hold its header). Returns 0, or -1 with errno set.
 */
static int
dump_msg(struct dump *d, const unsigned char *msg, size_t len)
{
	struct nlmsghdr		h;
	struct inet_diag_msg	diag;
	int			err;

	memcpy(&h, msg, sizeof(h));
	if (h.nlmsg_seq != d->seq || ++d->seen > CONNS_MAX) {
		errno = EPROTO;
		return -1;
	}
	switch (h.nlmsg_type) {
	case NLMSG_DONE:
		/* Since Linux 4.x, DONE may carry the dump's error. */
		if (len >= NLMSG_LENGTH(sizeof(int))) {
			memcpy(&err, msg + NLMSG_HDRLEN, sizeof(err));
			if (err < 0) {
				errno = err > -4096 ? -err : EPROTO;
				return -1;
			}
		}
		d->done = true;
		return 0;
	case NLMSG_ERROR:
		if (len < NLMSG_LENGTH(sizeof(int)))
			break;
		/* An error, or an ACK (0), which a dump never asks for. */
		memcpy(&err, msg + NLMSG_HDRLEN, sizeof(err));
		errno = err < 0 && err > -4096 ? -err : EPROTO;
		return -1;
	case SOCK_DIAG_BY_FAMILY:
		if (len < NLMSG_LENGTH(sizeof(diag)))
			break;
		memcpy(&diag, msg + NLMSG_HDRLEN, sizeof(diag));
		if (diag_match(&diag, d->l))
			d->conns++;
		return 0;
	default:
		break;
	}
	errno = EPROTO;
	return -1;
}

/*
 * Takes the n bytes of one datagram of the answer, every message whole.
 * Returns 0, or -1 with errno set.
 */
static int
dump_buf(struct dump *d, const unsigned char *buf, size_t n)
{
	struct nlmsghdr	h;
	size_t		off = 0;

	while (off < n && !d->done) {
		if (n - off < sizeof(h)) {
			errno = EPROTO;
			return -1;
		}
		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > n - off) {
			errno = EPROTO;
			return -1;
		}
		if (dump_msg(d, buf + off, h.nlmsg_len) == -1)
			return -1;
		/* The last message's padding may be left out. */
		off += NLMSG_ALIGN(h.nlmsg_len) < n - off ?
		    NLMSG_ALIGN(h.nlmsg_len) : n - off;
	}
	return 0;
}

/* Reads the answer to the dump until its end. Returns 0, or -1. */
static int
dump_recv(int s, struct dump *d)
{
	union {
		struct nlmsghdr	h;
		unsigned char	buf[NL_BUF_MAX];
	}			u;
	struct sockaddr_nl	from;
	struct iovec		iov = { u.buf, sizeof(u.buf) };
	struct msghdr		mh;
	ssize_t			n;

	while (!d->done) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if ((n = recvmsg(s, &mh, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0 || (mh.msg_flags & MSG_TRUNC) != 0) {
			errno = EPROTO;
			return -1;
		}
		/* Only the kernel speaks on sock_diag; anyone else is noise. */
		if (mh.msg_namelen < sizeof(from) || from.nl_pid != 0)
			continue;
		if (dump_buf(d, u.buf, (size_t)n) == -1)
			return -1;
	}
	return 0;
}

int
sample_listen_conns(int fd, uint32_t *conns)
{
	struct listener	l;
	struct dump	d;
	int		s, err;

	if (listener_get(fd, &l) == -1)
		return -1;
	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	d = (struct dump){ .l = &l, .seq = (uint32_t)getpid() };
	if (dump_send(s, &l, d.seq) == -1 || dump_recv(s, &d) == -1) {
		err = errno;
		close(s);
		errno = err;
		return -1;
	}
	close(s);
	*conns = d.conns;
	return 0;
}
