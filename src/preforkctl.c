/* SPDX-License-Identifier: ISC */
/*
 * preforkctl: the control socket's client. It finds the socket (-s, the
 * control key of -c's file, $PREFORK_CONTROL, systemd's runtime
 * directory), checks the request with ctl_parse() before it connects, so
 * that a typo never reaches the master, sends the one request line,
 * reads the answer up to the master's close within a deadline, and turns
 * the answer's first word into the exit status. One connection and
 * poll(2): no event loop, no libev.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "conf_parse.h"
#include "ctl.h"
#include "util.h"

/*
 * The exit statuses, a contract with scripts and probes (preforkctl(8)):
 * 0 OK, 1 ERR, 64 usage, 69 no master answers, 77 permission denied.
 */
#define EXIT_ERR	1

/* The socket of prefork.service, whose RuntimeDirectory= is prefork. */
#define DEFAULT_SOCKET	"/run/prefork/control.sock"

/*
 * The largest answer read: the metrics of the largest pool are a few
 * MiB. Past it, what answers is not a master.
 */
#define ANSWER_MAX	((size_t)64 << 20)

/*
 * Default deadlines, in ms. reload, restart and stop are answered once
 * done, after a rolling restart of the whole pool perhaps: they get
 * longer than the rest, which the master answers at once.
 */
#define TIMEOUT_MS	10000
#define TIMEOUT_DONE_MS	300000

struct options {
	const char	*socket;	/* -s */
	const char	*config;	/* -c */
	uint64_t	 timeout_ms;	/* -t; 0 = no deadline */
	bool		 timeout_set;
};

/* What one exchange with the master brought back. */
struct exchange {
	const char	*path;		/* the socket, for messages */
	double		 deadline;	/* monotonic ms; 0 = none */
	uint64_t	 timeout_ms;	/* the same, for messages */
	struct buf	 answer;
};

static const char usage_text[] =
"usage: preforkctl [-s SOCKET | -c FILE] [-t SECONDS] COMMAND [ARG...]\n"
"\n"
"  -s, --socket SOCKET     the master's control socket\n"
"  -c, --config FILE       the socket named by FILE's control key\n"
"  -t, --timeout SECONDS   wait at most this long for the answer; 0 for\n"
"                          no limit (default 10, 300 for reload, restart,\n"
"                          stop, recycle and upgrade, 10 more than the\n"
"                          window for advise)\n"
"  -h, --help              print this help and exit\n"
"  -V, --version           print the version and exit\n"
"\n"
"commands:\n"
"  status [--json] [--check]  the pool and its workers; --check exits 0\n"
"                             when at least min_workers are ready\n"
"  metrics                    the metrics, in Prometheus' text format\n"
"  scale N|+N|-N              resize the pool until the next reload\n"
"  reload                     read the configuration again\n"
"  restart                    replace every worker, one after another\n"
"  stop                       stop the workers and the master\n"
"  recycle SLOT               replace one worker (ready first, with\n"
"                             recycle = surge)\n"
"  advise [--window D] [--json]\n"
"                             sample the pool for D (default 30s), then\n"
"                             say whether it has too few or too many\n"
"                             workers, and why\n"
"  upgrade                    run the prefork binary installed now in\n"
"                             place of the master, same pid, keeping\n"
"                             every worker\n"
"\n"
"Without -s or -c, the socket is $PREFORK_CONTROL, else\n"
"$RUNTIME_DIRECTORY/control.sock, else " DEFAULT_SOCKET ".\n"
"See preforkctl(8).\n";

static _Noreturn void __attribute__((format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		fputs("preforkctl: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	fputs(usage_text, stderr);
	exit(EX_USAGE);
}

/* Says why no master answers at x->path; returns the status for that. */
static int __attribute__((format(printf, 2, 3)))
unavailable(const struct exchange *x, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "preforkctl: %s: ", x->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EX_UNAVAILABLE;
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A timeout for messages: "10 s", "1500 ms". */
static const char *
shown_timeout(uint64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 " s", ms / 1000);
	else
		snprintf(buf, len, "%" PRIu64 " ms", ms);
	return buf;
}

/*
 * Reads the options; returns the index of the command's first word. The
 * leading "+" stops at the first operand, so that "scale -2" and
 * "status --json" are the command's, never taken for ours.
 */
static int
parse_options(struct options *o, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*why;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "+s:c:t:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			if (*optarg == '\0')
				usage("-s: an empty socket path");
			o->socket = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 't':
			if (conf_parse_duration(optarg, &o->timeout_ms,
			    &why) == -1)
				usage("-t '%s' %s", optarg, why);
			o->timeout_set = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EX_OK);
		case 'V':
			printf("preforkctl (prefork) %s\n", PACKAGE_VERSION);
			exit(EX_OK);
		default:
			usage(NULL);
		}
	}
	return optind;
}

/* A usage error from ctl_parse(), with a guess at a mistyped command. */
static _Noreturn void
bad_request(const char *first, const char *why)
{
	const char	*near = NULL;
	size_t		 i;

	for (i = 0; i < CTL_COMMAND_COUNT; i++)
		if (strcmp(first, ctl_command_names[i]) == 0)
			break;
	if (i == CTL_COMMAND_COUNT)
		near = util_suggest(first, ctl_command_names,
		    CTL_COMMAND_COUNT);
	if (near != NULL)
		usage("%s (did you mean '%s'?)", why, near);
	usage("%s", why);
}

/*
 * Joins the command's words with single spaces into the request line,
 * its "\n" included, and checks it as the master will: a request this
 * program knows to be wrong is a usage error that never reaches the
 * master. line has CTL_REQUEST_MAX bytes. Returns the line's length.
 */
static size_t
make_request(char *const words[], int n, char *line,
    struct ctl_request *req)
{
	char	why[256];
	size_t	len = 0, wl;
	int	i;

	if (n == 0)
		usage("no command");
	for (i = 0; i < n; i++) {
		if ((wl = strlen(words[i])) == 0)
			usage("argument %d of the command is empty", i + 1);
		if (len + (i > 0) + wl + 1 > CTL_REQUEST_MAX)
			usage("request too long (%d bytes at most)",
			    CTL_REQUEST_MAX - 1);
		if (i > 0)
			line[len++] = ' ';
		memcpy(line + len, words[i], wl);
		len += wl;
	}
	if (ctl_parse(line, len, req, why, sizeof(why)) == -1)
		bad_request(words[0], why);
	line[len++] = '\n';
	return len;
}

/*
 * The socket of the configuration built from file (NULL: none, which
 * leaves the defaults, that is $RUNTIME_DIRECTORY's): conf_build()
 * decides it exactly as it does for the master. A file that does not
 * set control, read outside systemd, leads to DEFAULT_SOCKET. Exits 64,
 * after printing every problem, when the configuration has errors or
 * sets control = none. The caller frees the path.
 */
static char *
conf_socket(const char *file)
{
	struct conf_source	 src = { file, STRV_INIT, NULL, 0 };
	struct strv		 errs = STRV_INIT;
	struct conf		 c;
	char			 where[PATH_MAX + 32], *path;
	size_t			 i;

	if (conf_build(&c, &src, &errs) > 0) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "preforkctl: %s\n", errs.v[i]);
		if (file != NULL)
			fprintf(stderr, "preforkctl: %s: %zu problem%s found\n",
			    file, errs.n, errs.n == 1 ? "" : "s");
		exit(EX_USAGE);
	}
	if (c.control == NULL && c.control_set) {
		fprintf(stderr, "preforkctl: %scontrol = none: the master of "
		    "%s has no control socket\n", conf_key_where(&c,
		    CONF_KEY_CONTROL, where, sizeof(where)),
		    file != NULL ? file : "this configuration");
		exit(EX_USAGE);
	}
	path = strdup(c.control != NULL ? c.control : DEFAULT_SOCKET);
	conf_free(&c);
	strv_free(&errs);
	return path;
}

/*
 * The control socket's path, the first of: -s; the control key of -c's
 * file (or the default for it); $PREFORK_CONTROL when not empty;
 * $RUNTIME_DIRECTORY/control.sock; DEFAULT_SOCKET. Exits 64 on a path
 * that cannot be a unix socket's address. The caller frees it.
 */
static char *
find_socket(const struct options *o)
{
	struct sockaddr_un	 sun;
	const char		*env = getenv("PREFORK_CONTROL");
	char			*path;

	if (o->socket != NULL)
		path = strdup(o->socket);
	else if (o->config != NULL)
		path = conf_socket(o->config);
	else if (env != NULL && *env != '\0')
		path = strdup(env);
	else
		path = conf_socket(NULL);
	if (path == NULL) {
		fprintf(stderr, "preforkctl: out of memory\n");
		exit(EX_UNAVAILABLE);
	}
	if (strlen(path) >= sizeof(sun.sun_path))
		usage("%s: too long for a unix socket (%zu bytes at most)",
		    path, sizeof(sun.sun_path) - 1);
	return path;
}

/*
 * Milliseconds left before x's deadline, for poll(2): -1 for none, 0
 * once it has passed.
 */
static int
left_ms(const struct exchange *x)
{
	double	left;

	if (x->deadline == 0)
		return -1;
	left = x->deadline - now_ms();
	if (left <= 0)
		return 0;
	return left >= INT_MAX ? INT_MAX : (int)left + 1;
}

/*
 * Connects to x->path. A master whose backlog is full makes connect(2)
 * wait; the send timeout bounds that wait (unix(7)), and the writes of
 * the request with it. Returns the socket, or -1 with errno set.
 */
static int
ctl_connect(const struct exchange *x)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { 0, 0 };
	int			fd, left = left_ms(x), r, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, x->path, strlen(x->path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (left >= 0) {
		tv.tv_sec = left / 1000;
		tv.tv_usec = (left % 1000) * 1000 + (left == 0);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		goto fail;
	while ((r = connect(fd, (struct sockaddr *)&sun, sizeof(sun))) ==
	    -1 && errno == EINTR)
		continue;
	if (r == 0)
		return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * Sends the request. Returns 0, also when the master already closed
 * (EPIPE, ECONNRESET): it may have answered before, BUSY or DENIED
 * without reading, and the answer is waiting to be read. -1 with errno
 * set otherwise.
 */
static int
send_request(int fd, const char *line, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		/* MSG_NOSIGNAL: a closed master costs an error, never a
		   SIGPIPE. */
		n = send(fd, line, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EPIPE || errno == ECONNRESET ? 0 : -1;
		line += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Reads the answer into x->answer until the master closes. ECONNRESET
 * ends it like a close: the master closed with our request unread, after
 * its answer, which the kernel hands over first. Returns 0, or the exit
 * status after saying why not.
 */
static int
read_answer(struct exchange *x, int fd, bool done_cmd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		t[32];
	ssize_t		n;
	int		r;

	for (;;) {
		r = poll(&pfd, 1, left_ms(x));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return unavailable(x, "poll: %s", strerror(errno));
		if (r == 0)
			return unavailable(x, "no answer within %s%s",
			    shown_timeout(x->timeout_ms, t, sizeof(t)),
			    done_cmd ? " (the request was sent: the master "
			    "may still carry it out)" : "");
		if (!buf_room(&x->answer, 65536))
			return unavailable(x, "out of memory");
		n = read(fd, x->answer.p + x->answer.len, 65536);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 0;
		if (n == -1)
			return unavailable(x, "reading the answer: %s",
			    strerror(errno));
		x->answer.len += (size_t)n;
		x->answer.p[x->answer.len] = '\0';
		if (x->answer.len > ANSWER_MAX)
			return unavailable(x, "an answer larger than %zu MiB: "
			    "not a prefork master", ANSWER_MAX >> 20);
	}
}

/*
 * One exchange: connect, send line, read the answer to its end. Returns
 * 0, or the exit status after saying why not: 77 when the socket's
 * permissions refuse this user, 69 for everything else.
 */
static int
exchange(struct exchange *x, const char *line, size_t len, bool done_cmd)
{
	char	t[32];
	int	fd, status;

	if ((fd = ctl_connect(x)) == -1) {
		if (errno == EACCES || errno == EPERM) {
			fprintf(stderr, "preforkctl: permission denied: %s: "
			    "the socket's permissions refuse this user (uid "
			    "%lu)\n", x->path, (unsigned long)geteuid());
			return EX_NOPERM;
		}
		if (errno == EAGAIN)
			return unavailable(x, "no master answers (no "
			    "connection within %s: its backlog is full)",
			    shown_timeout(x->timeout_ms, t, sizeof(t)));
		return unavailable(x, "no master answers (%s)",
		    strerror(errno));
	}
	if (send_request(fd, line, len) == -1) {
		if (errno == EAGAIN)
			status = unavailable(x, "no master answers (the "
			    "request could not be sent within %s)",
			    shown_timeout(x->timeout_ms, t, sizeof(t)));
		else
			status = unavailable(x, "sending the request: %s",
			    strerror(errno));
		close(fd);
		return status;
	}
	status = read_answer(x, fd, done_cmd);
	close(fd);
	return status;
}

/* Writes text to f; false on a write error. */
static bool
put(FILE *f, const char *text, size_t len)
{
	return len == 0 || fwrite(text, 1, len, f) == len;
}

/*
 * The reason on an answer's first line, safe to print: it is text from
 * outside. Returns buf.
 */
static const char *
shown_reason(const char *reason, size_t len, char *buf, size_t buflen)
{
	char	raw[1024];

	snprintf(raw, sizeof(raw), "%.*s", len > sizeof(raw) - 1 ?
	    (int)sizeof(raw) - 1 : (int)len, reason);
	return util_escape(raw, buf, buflen);
}

/*
 * ERR: the reason, then the body, on standard error; for status --check,
 * on standard output, where a probe's log looks, the reason as a line of
 * its own. Returns 1.
 */
static int
report_err(const struct ctl_request *req, const char *why,
    const char *body, size_t len)
{
	FILE	*f = req->check ? stdout : stderr;

	if (req->check) {
		if (*why != '\0')
			fprintf(f, "%s\n", why);
	} else
		fprintf(f, "preforkctl: %s\n", *why != '\0' ? why :
		    "the master refused the request");
	(void)put(f, body, len);
	fflush(f);
	return EXIT_ERR;
}

/*
 * Turns the answer into output and the exit status: OK's body to
 * standard output, as is, and 0; ERR 1, DENIED 77, BUSY 69; anything
 * else is not a master's answer, 69.
 */
static int
report(const struct exchange *x, const struct ctl_request *req)
{
	const char	*text = x->answer.p, *reason;
	enum ctl_reply	 kind;
	size_t		 len = x->answer.len, reasonlen, body;
	char		 why[1024];

	if (len == 0)
		return unavailable(x, "no master answers (the connection "
		    "closed without an answer)");
	if (ctl_reply_parse(text, len, &kind, &reason, &reasonlen, &body) ==
	    -1)
		return unavailable(x, "not a prefork master's answer: '%s'",
		    shown_reason(text, strcspn(text, "\n"), why, 80));
	shown_reason(reason, reasonlen, why, sizeof(why));
	switch (kind) {
	case CTL_OK:
		if (!put(stdout, text + body, len - body) ||
		    fflush(stdout) == EOF) {
			fprintf(stderr, "preforkctl: standard output: %s\n",
			    strerror(errno));
			return EXIT_ERR;
		}
		return EX_OK;
	case CTL_ERR:
		return report_err(req, why, text + body, len - body);
	case CTL_DENIED:
		fprintf(stderr, "preforkctl: permission denied: %s\n", why);
		return EX_NOPERM;
	case CTL_BUSY:
	default:
		return unavailable(x, "the master is busy: %s; try again",
		    why);
	}
}

int
main(int argc, char *argv[])
{
	struct options		o = { NULL, NULL, 0, false };
	struct exchange		x = { NULL, 0, 0, BUF_INIT };
	struct ctl_request	req;
	char			line[CTL_REQUEST_MAX], *path;
	size_t			len;
	bool			done_cmd;
	int			first, status;

	util_std_fds();
	/* Standard output closed by a reader: an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	first = parse_options(&o, argc, argv);
	len = make_request(argv + first, argc - first, line, &req);
	done_cmd = req.cmd == CTL_RELOAD || req.cmd == CTL_RESTART ||
	    req.cmd == CTL_STOP || req.cmd == CTL_RECYCLE ||
	    req.cmd == CTL_UPGRADE;
	x.timeout_ms = o.timeout_set ? o.timeout_ms : done_cmd ?
	    TIMEOUT_DONE_MS : TIMEOUT_MS;
	/* advise answers after its window. */
	if (req.cmd == CTL_ADVISE && !o.timeout_set)
		x.timeout_ms += req.window_ms;
	x.path = path = find_socket(&o);
	if (x.timeout_ms > 0)
		x.deadline = now_ms() + (double)x.timeout_ms;
	if ((status = exchange(&x, line, len, done_cmd)) == 0)
		status = report(&x, &req);
	free(x.answer.p);
	free(path);
	return status;
}
