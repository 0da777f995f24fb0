/* SPDX-License-Identifier: ISC */
/*
 * testworker: the worker the tests supervise. It reports what it
 * inherited, waits for signals, exits or crashes on demand, and can
 * leave an orphan behind. No dependencies beyond libc.
 *
 * testworker [OPTIONS]
 *   --report DIR      first of all, write what was inherited (below) to
 *                     DIR/report.PID, atomically (DIR/.tmp.PID, renamed)
 *   --crash-if FILE   if FILE exists, exit 3 at once (after --after MS
 *                     when given); checked after --report
 *   --leave-group     join the parent's process group, leaving our own
 *   --orphan MS       fork a grandchild that calls setsid(), points 0,
 *                     1, 2 at /dev/null, closes every other fd, sleeps MS
 *                     and exits 0: an orphan for the master to reap
 *   --orphan-until FILE
 *                     the --orphan grandchild exits as soon as FILE
 *                     exists (looked for every 10 ms), MS at the latest
 *   --ignore-term     SIGTERM is ignored (a stubborn worker)
 *   --ignore-signal SIG
 *                     SIG (a number or a name, as for --signal) is
 *                     ignored from the start (SIG_IGN), after --report
 *   --term-delay MS   on SIGTERM, exit 0 after MS (default: at once)
 *   --exit CODE       exit with CODE (0..255) after --after MS
 *   --signal SIG      after --after MS, raise SIG (a number, or a name
 *                     such as SEGV or SIGKILL) with its default action;
 *                     the core size limit is set to 0 first, so that no
 *                     core file is left behind, unless --core is given
 *   --core            keep the inherited core size limit for --signal
 *   --eat-memory MB   after --after MS, map MB MiB (1..65536) of private
 *                     anonymous memory and write to every page of it, so
 *                     that all of it is charged to the memory cgroup,
 *                     then go on waiting: in a cgroup whose limit is
 *                     smaller, the OOM killer's victim
 *   --after MS        the delay for --exit, --signal, --eat-memory and
 *                     --crash-if (default 0)
 *   --touch FILE      create FILE (empty) once the SIGTERM disposition
 *                     is in place, just before waiting: wait on it
 *                     rather than on the report before signalling
 *   --touch-pid FILE  the same as --touch, but FILE.PID: one file per
 *                     worker when many share the command line
 *   --on-usr1 FILE    on SIGUSR1 (caught, so it no longer kills), create
 *                     FILE.PID (empty); the handler only sets a flag,
 *                     the main loop creates the file. In place when the
 *                     --touch or --touch-pid file exists
 *
 * Serving and the notify protocol (systemd's conventions):
 *   --serve           serve the sockets passed as fds 3, 4, ... checked
 *                     as sd_listen_fds(3) does: LISTEN_PID must be our
 *                     pid and LISTEN_FDS at least 1, or we exit 1. Each
 *                     listening fd is made non-blocking (its flag is
 *                     shared with every other worker, which all poll
 *                     too). The protocol, per connection: the client
 *                     sends one line (anything up to "\n"; waited for at
 *                     most 1 s, and EOF ends it too), the worker answers
 *                     "worker SLOT pid PID\n" and closes. A first line
 *                     that looks like HTTP ("GET / HTTP/1.0") is read up
 *                     to the blank line that ends the headers and
 *                     answered "HTTP/1.0 200 OK" with that same line as
 *                     the body, so curl works too. SLOT is
 *                     $PREFORK_WORKER_ID, or "-". On SIGTERM the worker
 *                     stops accepting, finishes the connection in hand
 *                     and exits 0 (after --term-delay)
 *   --serve-delay MS  with --serve, wait MS between reading a request and
 *                     answering it (a slow request: SIGTERM then finds
 *                     one in hand)
 *   --serve-spin MS   with --serve, burn MS of this process's CPU time
 *                     between reading a request and answering it (before
 *                     --serve-delay when both are given): a CPU-bound
 *                     request, which on a busy machine takes longer than
 *                     MS of wall time but always MS of CPU
 *   --notify-ready MS send "READY=1\nSTATUS=testworker ready in slot
 *                     SLOT" to $NOTIFY_SOCKET MS after start (0: at once)
 *   --ready-file FILE send that READY=1 only once FILE exists (looked
 *                     for every 10 ms from --notify-ready MS on, which
 *                     is then 0 by default): the test says when
 *   --heartbeat MS    send "WATCHDOG=1" to $NOTIFY_SOCKET every MS
 *   --heartbeat-auto  the same every WATCHDOG_USEC / 4 (sd_watchdog_
 *                     enabled(3) says half; a quarter leaves room on a
 *                     loaded machine), when the watchdog is on for us as
 *                     sd_watchdog_enabled(3) sees it: WATCHDOG_USEC set,
 *                     WATCHDOG_PID unset or our pid. No heartbeat
 *                     otherwise
 *   --heartbeat-stop MS
 *                     send no heartbeat from MS after start on
 *   --notify-child    at start, fork a child that sends "READY=1\n
 *                     STATUS=testworker child of PID" and exits 0 (the
 *                     worker reaps it): a message no master may take
 *                     for the worker's own
 * NOTIFY_SOCKET is a path, or "@name" for the abstract namespace. When
 * it is unset, the messages are not sent (as with sd_notify(3)) and a
 * line says so on standard error. With any of these options, the worker
 * waits in ppoll(2) instead of sigsuspend(2); the signals behave the
 * same.
 *
 * Without --exit or --signal it waits for signals forever. On SIGTERM
 * it exits 0 (after --term-delay). Usage errors exit 2; failures of the
 * worker itself (report not written, ...) exit 1.
 *
 * The report is line-oriented, one "key value" per line, in this order:
 *   pid N
 *   ppid N
 *   pgid N
 *   sid N
 *   slot V              $PREFORK_WORKER_ID, or "-" when unset
 *   workers V           $PREFORK_WORKERS, or "-" when unset
 *   SigBlk:\tHEX        these three copied verbatim from
 *   SigIgn:\tHEX        /proc/self/status
 *   SigCgt:\tHEX
 *   pdeathsig N         prctl(PR_GET_PDEATHSIG)
 *   fds 0 1 2 ...       every open fd, ascending, space-separated
 *   fdN TARGET          for each fd listed: readlink(/proc/self/fd/N),
 *                       e.g. "fd0 /dev/null", "fd3 socket:[12345]"
 *   cwd PATH
 *   umask 0022          octal, four digits
 *   uid N               real uid
 *   gid N               real gid
 *   groups A B C        supplementary groups ("groups" alone when none)
 *   env NAME=value      one line per environment variable, in order; a
 *                       newline inside a value is written as "\n"
 * The report is written before any signal disposition is changed, so a
 * signal that arrives before the --touch file exists may find the
 * inherited default.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

extern char	**environ;

struct options {
	const char	*report;
	const char	*crash_if;
	const char	*touch;
	const char	*touch_pid;
	const char	*on_usr1;
	const char	*ready_file;
	long		 after_ms;
	long		 term_delay_ms;
	long		 orphan_ms;	/* -1: no orphan */
	const char	*orphan_until;	/* NULL: MS only */
	long		 notify_ready_ms;	/* -1: never */
	long		 heartbeat_ms;		/* 0: none */
	long		 heartbeat_stop_ms;	/* -1: never stops */
	long		 serve_delay_ms;
	long		 serve_spin_ms;
	int		 exit_code;	/* -1: none */
	int		 signal;	/* 0: none */
	long		 eat_mb;	/* 0: none */
	int		 ignore_signal;	/* 0: none */
	bool		 ignore_term;
	bool		 leave_group;
	bool		 core;
	bool		 serve;
	bool		 notify_child;
	bool		 heartbeat_auto;
};

/* Up to this many listening sockets are served. */
#define MAX_LISTEN	16

static volatile sig_atomic_t	got_term;
static volatile sig_atomic_t	got_alarm;
static volatile sig_atomic_t	got_usr1;

static const struct {
	const char	*name;
	int		 sig;
} signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "SYS", SIGSYS },
};

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: testworker [--report DIR] [--crash-if FILE] "
	    "[--leave-group]\n"
	    "                  [--orphan MS [--orphan-until FILE]] "
	    "[--ignore-term] "
	    "[--term-delay MS]\n"
	    "                  [--exit CODE | --signal SIG [--core] | "
	    "--eat-memory MB]\n"
	    "                  [--after MS]\n"
	    "                  [--touch FILE] [--touch-pid FILE] "
	    "[--on-usr1 FILE]\n"
	    "                  [--ignore-signal SIG] [--serve] "
	    "[--serve-delay MS]\n"
	    "                  [--serve-spin MS] "
	    "[--notify-ready MS] [--ready-file FILE]\n"
	    "                  [--heartbeat MS] [--heartbeat-auto] "
	    "[--heartbeat-stop MS]\n"
	    "                  [--notify-child]\n");
	exit(2);
}

static _Noreturn void
die(const char *what, const char *arg)
{
	fprintf(stderr, "testworker: %s %s: %s\n", what, arg ? arg : "",
	    strerror(errno));
	exit(1);
}

/* A whole number from 0 to max, or a usage error. */
static long
parse_number(const char *s, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		usage();
	return v;
}

static int
parse_signal(const char *s)
{
	size_t	i;

	if (*s >= '0' && *s <= '9')
		return (int)parse_number(s, NSIG - 1);
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].sig;
	usage();
}

static void
parse_options(int argc, char *argv[], struct options *o)
{
	enum { O_REPORT = 256, O_CRASH_IF, O_LEAVE_GROUP, O_ORPHAN,
	    O_ORPHAN_UNTIL,
	    O_IGNORE_TERM, O_TERM_DELAY, O_EXIT, O_SIGNAL, O_CORE, O_AFTER,
	    O_TOUCH, O_TOUCH_PID, O_ON_USR1, O_SERVE, O_NOTIFY_READY,
	    O_HEARTBEAT, O_HEARTBEAT_STOP, O_NOTIFY_CHILD, O_IGNORE_SIGNAL,
	    O_SERVE_DELAY, O_READY_FILE, O_HEARTBEAT_AUTO, O_EAT_MEMORY,
	    O_SERVE_SPIN };
	static const struct option	longopts[] = {
		{ "report", required_argument, NULL, O_REPORT },
		{ "crash-if", required_argument, NULL, O_CRASH_IF },
		{ "leave-group", no_argument, NULL, O_LEAVE_GROUP },
		{ "orphan", required_argument, NULL, O_ORPHAN },
		{ "orphan-until", required_argument, NULL, O_ORPHAN_UNTIL },
		{ "ignore-term", no_argument, NULL, O_IGNORE_TERM },
		{ "ignore-signal", required_argument, NULL, O_IGNORE_SIGNAL },
		{ "term-delay", required_argument, NULL, O_TERM_DELAY },
		{ "exit", required_argument, NULL, O_EXIT },
		{ "signal", required_argument, NULL, O_SIGNAL },
		{ "core", no_argument, NULL, O_CORE },
		{ "eat-memory", required_argument, NULL, O_EAT_MEMORY },
		{ "after", required_argument, NULL, O_AFTER },
		{ "touch", required_argument, NULL, O_TOUCH },
		{ "touch-pid", required_argument, NULL, O_TOUCH_PID },
		{ "on-usr1", required_argument, NULL, O_ON_USR1 },
		{ "serve", no_argument, NULL, O_SERVE },
		{ "serve-delay", required_argument, NULL, O_SERVE_DELAY },
		{ "serve-spin", required_argument, NULL, O_SERVE_SPIN },
		{ "ready-file", required_argument, NULL, O_READY_FILE },
		{ "notify-ready", required_argument, NULL, O_NOTIFY_READY },
		{ "heartbeat", required_argument, NULL, O_HEARTBEAT },
		{ "heartbeat-auto", no_argument, NULL, O_HEARTBEAT_AUTO },
		{ "heartbeat-stop", required_argument, NULL,
		    O_HEARTBEAT_STOP },
		{ "notify-child", no_argument, NULL, O_NOTIFY_CHILD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int	c;

	*o = (struct options){ .orphan_ms = -1, .exit_code = -1,
	    .notify_ready_ms = -1, .heartbeat_stop_ms = -1 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_REPORT:
			o->report = optarg;
			break;
		case O_CRASH_IF:
			o->crash_if = optarg;
			break;
		case O_LEAVE_GROUP:
			o->leave_group = true;
			break;
		case O_ORPHAN:
			o->orphan_ms = parse_number(optarg, INT_MAX);
			break;
		case O_ORPHAN_UNTIL:
			o->orphan_until = optarg;
			break;
		case O_IGNORE_TERM:
			o->ignore_term = true;
			break;
		case O_IGNORE_SIGNAL:
			o->ignore_signal = parse_signal(optarg);
			break;
		case O_TERM_DELAY:
			o->term_delay_ms = parse_number(optarg, INT_MAX);
			break;
		case O_EXIT:
			o->exit_code = (int)parse_number(optarg, 255);
			break;
		case O_SIGNAL:
			o->signal = parse_signal(optarg);
			break;
		case O_CORE:
			o->core = true;
			break;
		case O_EAT_MEMORY:
			o->eat_mb = parse_number(optarg, 65536);
			if (o->eat_mb == 0)
				usage();
			break;
		case O_AFTER:
			o->after_ms = parse_number(optarg, INT_MAX);
			break;
		case O_TOUCH:
			o->touch = optarg;
			break;
		case O_TOUCH_PID:
			o->touch_pid = optarg;
			break;
		case O_ON_USR1:
			o->on_usr1 = optarg;
			break;
		case O_SERVE:
			o->serve = true;
			break;
		case O_SERVE_DELAY:
			o->serve_delay_ms = parse_number(optarg, INT_MAX);
			break;
		case O_SERVE_SPIN:
			o->serve_spin_ms = parse_number(optarg, INT_MAX);
			break;
		case O_READY_FILE:
			o->ready_file = optarg;
			break;
		case O_NOTIFY_READY:
			o->notify_ready_ms = parse_number(optarg, INT_MAX);
			break;
		case O_HEARTBEAT:
			o->heartbeat_ms = parse_number(optarg, INT_MAX);
			if (o->heartbeat_ms == 0)
				usage();
			break;
		case O_HEARTBEAT_AUTO:
			o->heartbeat_auto = true;
			break;
		case O_HEARTBEAT_STOP:
			o->heartbeat_stop_ms = parse_number(optarg, INT_MAX);
			break;
		case O_NOTIFY_CHILD:
			o->notify_child = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (o->exit_code != -1) + (o->signal != 0) +
	    (o->eat_mb != 0) > 1)
		usage();
}

/* Sleeps ms milliseconds, whatever signals come in between. */
static void
sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };
	int		rc;

	do {
		rc = nanosleep(&ts, &ts);
	} while (rc == -1 && errno == EINTR);
}

/* The SigBlk:, SigIgn: and SigCgt: lines of /proc/self/status. */
static void
report_signals(FILE *m)
{
	FILE	*f;
	char	 line[256];

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		die("open", "/proc/self/status");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "SigBlk:", 7) == 0 ||
		    strncmp(line, "SigIgn:", 7) == 0 ||
		    strncmp(line, "SigCgt:", 7) == 0)
			fputs(line, m);
	fclose(f);
}

static int
cmp_int(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The "fds" line and one "fdN" line per open fd. */
static void
report_fds(FILE *m)
{
	DIR		*d;
	struct dirent	*e;
	int		*fds = NULL, *grown;
	size_t		 n = 0, cap = 0, i;
	char		 path[64], target[PATH_MAX];

	if ((d = opendir("/proc/self/fd")) == NULL)
		die("open", "/proc/self/fd");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (atoi(e->d_name) == dirfd(d))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(fds, cap * sizeof(*fds))) == NULL)
				die("realloc", NULL);
			fds = grown;
		}
		fds[n++] = atoi(e->d_name);
	}
	closedir(d);
	qsort(fds, n, sizeof(*fds), cmp_int);

	fputs("fds", m);
	for (i = 0; i < n; i++)
		fprintf(m, " %d", fds[i]);
	fputc('\n', m);
	for (i = 0; i < n; i++) {
		ssize_t	len;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		if ((len = readlink(path, target, sizeof(target) - 1)) == -1)
			len = 0;
		target[len] = '\0';
		fprintf(m, "fd%d %s\n", fds[i], target);
	}
	free(fds);
}

static void
report_credentials(FILE *m)
{
	gid_t	*groups;
	int	 n, i;

	fprintf(m, "uid %lu\ngid %lu\n", (unsigned long)getuid(),
	    (unsigned long)getgid());
	if ((n = getgroups(0, NULL)) == -1)
		die("getgroups", NULL);
	if ((groups = calloc((size_t)n + 1, sizeof(*groups))) == NULL)
		die("calloc", NULL);
	if ((n = getgroups(n, groups)) == -1)
		die("getgroups", NULL);
	fputs("groups", m);
	for (i = 0; i < n; i++)
		fprintf(m, " %lu", (unsigned long)groups[i]);
	fputc('\n', m);
	free(groups);
}

static void
report_env(FILE *m)
{
	char	**e;
	char	 *c;

	for (e = environ; *e != NULL; e++) {
		fputs("env ", m);
		for (c = *e; *c != '\0'; c++)
			if (*c == '\n')
				fputs("\\n", m);
			else
				fputc(*c, m);
		fputc('\n', m);
	}
}

/*
 * Writes the report. It is built in memory first, so that the report
 * file's own fd is not among the fds it lists, then renamed into place
 * so that a reader never sees half of it.
 */
static void
report_write(const char *dir)
{
	FILE		*m;
	char		*buf = NULL;
	char		 cwd[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	const char	*v;
	size_t		 len = 0;
	mode_t		 mask;
	int		 pdeathsig = -1, fd;

	if ((m = open_memstream(&buf, &len)) == NULL)
		die("open_memstream", NULL);
	fprintf(m, "pid %ld\nppid %ld\npgid %ld\nsid %ld\n", (long)getpid(),
	    (long)getppid(), (long)getpgrp(), (long)getsid(0));
	fprintf(m, "slot %s\n",
	    (v = getenv("PREFORK_WORKER_ID")) != NULL ? v : "-");
	fprintf(m, "workers %s\n",
	    (v = getenv("PREFORK_WORKERS")) != NULL ? v : "-");
	report_signals(m);
	if (prctl(PR_GET_PDEATHSIG, &pdeathsig, 0, 0, 0) == -1)
		die("prctl", "PR_GET_PDEATHSIG");
	fprintf(m, "pdeathsig %d\n", pdeathsig);
	report_fds(m);
	fprintf(m, "cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	mask = umask(0);
	umask(mask);
	fprintf(m, "umask %04o\n", (unsigned)mask);
	report_credentials(m);
	report_env(m);
	if (fclose(m) != 0)
		die("write", "report");

	snprintf(tmp, sizeof(tmp), "%s/.tmp.%ld", dir, (long)getpid());
	snprintf(dst, sizeof(dst), "%s/report.%ld", dir, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		die("open", tmp);
	if (write(fd, buf, len) != (ssize_t)len)
		die("write", tmp);
	if (close(fd) == -1)
		die("close", tmp);
	if (rename(tmp, dst) == -1)
		die("rename", dst);
	free(buf);
}

/*
 * The grandchild of --orphan: out of the worker's session and process
 * group, so that signals to the worker's group miss it, and holding none
 * of the worker's fds, so that it keeps no pipe of the tests open.
 */
static void
orphan(long ms, const char *until)
{
	pid_t	pid;
	int	fd, null, max;

	if ((pid = fork()) == -1)
		die("fork", NULL);
	if (pid > 0)
		return;
	setsid();
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	max = (int)sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		close(fd);
	if (until == NULL)
		sleep_ms(ms);
	for (; until != NULL && ms > 0 && access(until, F_OK) == -1; ms -= 10)
		sleep_ms(10);
	_exit(0);
}

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void
on_alarm(int sig)
{
	(void)sig;
	got_alarm = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* Creates path, or path.PID with_pid, empty. */
static void
touch(const char *path, bool with_pid)
{
	char	buf[PATH_MAX];
	int	fd;

	if (with_pid) {
		snprintf(buf, sizeof(buf), "%s.%ld", path, (long)getpid());
		path = buf;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		die("open", path);
	close(fd);
}

/*
 * --eat-memory: mb MiB written page by page, each page a fault that the
 * memory cgroup charges. The mapping is kept: the memory stays ours.
 */
static void
eat_memory(long mb)
{
	size_t	 len = (size_t)mb << 20, page, off;
	long	 ps = sysconf(_SC_PAGESIZE);
	char	*p;

	page = ps > 0 ? (size_t)ps : 4096;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap", "--eat-memory");
	for (off = 0; off < len; off += page)
		p[off] = 1;
}

/* --exit, --signal or --eat-memory, now. */
static void
act(const struct options *o)
{
	struct sigaction	dfl = { .sa_handler = SIG_DFL };
	struct rlimit		rl;
	sigset_t		set;

	if (o->exit_code != -1)
		exit(o->exit_code);
	if (o->eat_mb != 0) {
		eat_memory(o->eat_mb);
		return;
	}
	if (o->signal == 0)
		return;
	if (!o->core && getrlimit(RLIMIT_CORE, &rl) == 0) {
		rl.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &rl);
	}
	sigaction(o->signal, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, o->signal);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(o->signal);
	/* A signal whose default is to be ignored: go on waiting. */
}

/* Milliseconds on the monotonic clock. */
static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* $PREFORK_WORKER_ID, or "-". */
static const char *
slot_name(void)
{
	const char	*v = getenv("PREFORK_WORKER_ID");

	return v != NULL ? v : "-";
}

/*
 * Sends msg to $NOTIFY_SOCKET, as sd_notify(3) does: nothing (but a line
 * on stderr) when it is unset. A failure is reported, not fatal: the
 * master may be gone.
 */
static void
notify(const char *msg)
{
	const char		*s = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 addr = { .sun_family = AF_UNIX };
	socklen_t		 len;
	size_t			 n;
	int			 fd;

	if (s == NULL || *s == '\0') {
		fprintf(stderr, "testworker: NOTIFY_SOCKET is not set: "
		    "\"%s\" not sent\n", msg);
		return;
	}
	n = strlen(s);
	if ((s[0] != '/' && s[0] != '@') || n >= sizeof(addr.sun_path)) {
		fprintf(stderr, "testworker: bad NOTIFY_SOCKET %s\n", s);
		return;
	}
	memcpy(addr.sun_path, s, n);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (s[0] == '@')
		addr.sun_path[0] = '\0';	/* abstract: no terminator */
	else
		len++;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket", "NOTIFY_SOCKET");
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&addr, len) == -1)
		fprintf(stderr, "testworker: send to %s: %s\n", s,
		    strerror(errno));
	close(fd);
}

/*
 * The heartbeat period of --heartbeat-auto: a quarter of WATCHDOG_USEC,
 * in ms, when the watchdog is meant for us (sd_watchdog_enabled(3)); or
 * 0.
 */
static long
watchdog_period(void)
{
	const char	*usec = getenv("WATCHDOG_USEC");
	const char	*pid = getenv("WATCHDOG_PID");
	long		 ms;

	if (usec == NULL || (pid != NULL && atol(pid) != (long)getpid()))
		return 0;
	ms = atol(usec) / 4000;
	return ms > 0 ? ms : 1;
}

/* --notify-child: a process of ours that is not the worker speaks. */
static void
notify_from_child(void)
{
	char	msg[128];
	pid_t	pid;
	int	status;

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=testworker child of %ld",
	    (long)getpid());
	if ((pid = fork()) == -1)
		die("fork", NULL);
	if (pid == 0) {
		notify(msg);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
}

/*
 * The sockets to serve, as sd_listen_fds(3) finds them; each is made
 * non-blocking. Exits 1 when there are none meant for us.
 */
static int
listen_fds(struct pollfd *pfd, int max)
{
	const char	*pid = getenv("LISTEN_PID");
	const char	*fds = getenv("LISTEN_FDS");
	int		 n, i, fl;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
	    (n = atoi(fds)) < 1) {
		fprintf(stderr, "testworker: --serve: no sockets for pid %ld "
		    "(LISTEN_PID=%s LISTEN_FDS=%s)\n", (long)getpid(),
		    pid ? pid : "unset", fds ? fds : "unset");
		exit(1);
	}
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		if ((fl = fcntl(3 + i, F_GETFL)) == -1 ||
		    fcntl(3 + i, F_SETFL, fl | O_NONBLOCK) == -1)
			die("fcntl", "LISTEN_FDS");
		pfd[i] = (struct pollfd){ .fd = 3 + i, .events = POLLIN };
	}
	return n;
}

/* True once buf holds the end of a request (a line, or HTTP headers). */
static bool
request_complete(const char *buf, size_t len)
{
	const char	*nl = memchr(buf, '\n', len), *sp;

	if (nl == NULL)
		return false;
	/* "METHOD TARGET HTTP/x.y": the headers end with a blank line. */
	sp = memchr(buf, ' ', (size_t)(nl - buf));
	if (sp == NULL || strstr(buf, " HTTP/") == NULL ||
	    strstr(buf, " HTTP/") > nl)
		return true;
	return strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL;
}

/* Reads the request, for at most 1 s. Returns whether it is HTTP. */
static bool
read_request(int c)
{
	char		 buf[8192];
	size_t		 len = 0;
	double		 deadline = now_ms() + 1000;
	struct pollfd	 p = { .fd = c, .events = POLLIN };
	const char	*nl;
	ssize_t		 n;

	buf[0] = '\0';
	while (len < sizeof(buf) - 1 && !request_complete(buf, len)) {
		double	left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0)
			break;
		if ((n = read(c, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	nl = memchr(buf, '\n', len);
	return nl != NULL && strstr(buf, " HTTP/") != NULL &&
	    strstr(buf, " HTTP/") < nl;
}

/* Writes all of buf, or gives up quietly: the client may be gone. */
static void
write_all(int c, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(c, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * Burns ms of the process's CPU time. The clock is the CPU's, not the
 * wall's: a request costs the same work however busy the machine is,
 * so a test can count it in /proc/PID/stat. The clock is read every few
 * thousand steps, so that the time goes to user space, not to the
 * clock's system call.
 */
static void
spin_ms(long ms)
{
	volatile unsigned long	x = 0;
	struct timespec		ts;
	double			start, t;
	unsigned		i;

	if (ms <= 0)
		return;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1)
		die("clock_gettime", NULL);
	start = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	do {
		for (i = 0; i < 20000; i++)
			x = x * 2654435761u + i;
		if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1)
			die("clock_gettime", NULL);
		t = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	} while (t - start < (double)ms);
}

/*
 * Accepts one connection on lfd, if one is waiting, and answers it
 * after --serve-spin's CPU time and --serve-delay's wait.
 */
static void
serve_one(int lfd, const struct options *o)
{
	char	line[128], http[512];
	bool	http_req;
	int	c;

	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			return;
		die("accept", NULL);
	}
	snprintf(line, sizeof(line), "worker %s pid %ld\n", slot_name(),
	    (long)getpid());
	http_req = read_request(c);
	spin_ms(o->serve_spin_ms);
	sleep_ms(o->serve_delay_ms);
	if (http_req) {
		snprintf(http, sizeof(http), "HTTP/1.0 200 OK\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n%s", strlen(line), line);
		write_all(c, http, strlen(http));
	} else
		write_all(c, line, strlen(line));
	close(c);
}

/*
 * Takes the blocked signals that are pending. ppoll(2) that returns
 * events restores the mask without delivering them, so a steady stream
 * of connections would otherwise hide SIGTERM for ever.
 */
static void
take_pending(const sigset_t *set)
{
	struct timespec	zero = { 0, 0 };
	int		sig;

	while ((sig = sigtimedwait(set, NULL, &zero)) > 0) {
		if (sig == SIGTERM)
			got_term = 1;
		else if (sig == SIGALRM)
			got_alarm = 1;
		else if (sig == SIGUSR1)
			got_usr1 = 1;
	}
}

static double
sooner(double a, double b)
{
	if (a < 0)
		return b;
	return b >= 0 && b < a ? b : a;
}

/*
 * The loop of --serve and the notify options: the timers of the
 * messages, the listening sockets, and the signals, which are blocked
 * except inside ppoll(2). A connection is served to its end before the
 * next signal is looked at: SIGTERM never cuts one short.
 */
static _Noreturn void
run(const struct options *o, const sigset_t *block, const sigset_t *waitmask)
{
	struct pollfd	 pfd[MAX_LISTEN];
	struct timespec	 ts, *tsp;
	char		 msg[128];
	double		 start = now_ms(), t, next;
	double		 ready_at = -1, beat_at = -1, beat_end = -1;
	long		 beat_ms = o->heartbeat_ms;
	int		 nl = 0, n, i;

	if (o->serve)
		nl = listen_fds(pfd, MAX_LISTEN);
	if (o->notify_child)
		notify_from_child();
	if (o->notify_ready_ms >= 0)
		ready_at = start + (double)o->notify_ready_ms;
	else if (o->ready_file != NULL)
		ready_at = start;
	if (o->heartbeat_auto)
		beat_ms = watchdog_period();
	if (beat_ms > 0)
		beat_at = start + (double)beat_ms;
	if (o->heartbeat_stop_ms >= 0)
		beat_end = start + (double)o->heartbeat_stop_ms;
	for (;;) {
		t = now_ms();
		if (ready_at >= 0 && t >= ready_at && o->ready_file != NULL &&
		    access(o->ready_file, F_OK) != 0)
			ready_at = t + 10;	/* not yet: look again */
		if (ready_at >= 0 && t >= ready_at) {
			snprintf(msg, sizeof(msg), "READY=1\nSTATUS=testworker "
			    "ready in slot %s", slot_name());
			notify(msg);
			ready_at = -1;
		}
		if (beat_end >= 0 && t >= beat_end)
			beat_at = -1;
		if (beat_at >= 0 && t >= beat_at) {
			notify("WATCHDOG=1");
			beat_at += (double)beat_ms;
			if (beat_at <= t)
				beat_at = t + (double)beat_ms;
		}
		next = sooner(ready_at, beat_at);
		if (beat_at >= 0)
			next = sooner(next, beat_end);
		tsp = NULL;
		if (next >= 0) {
			double	left = next > t ? next - t : 0;

			ts.tv_sec = (time_t)(left / 1000);
			ts.tv_nsec = (long)((left - (double)ts.tv_sec * 1000) *
			    1e6);
			tsp = &ts;
		}
		n = ppoll(pfd, (nfds_t)nl, tsp, waitmask);
		if (n == -1 && errno != EINTR)
			die("ppoll", NULL);
		take_pending(block);
		if (got_term) {
			sleep_ms(o->term_delay_ms);
			exit(0);
		}
		if (got_alarm) {
			got_alarm = 0;
			act(o);
		}
		if (got_usr1) {
			got_usr1 = 0;
			touch(o->on_usr1, true);
		}
		for (i = 0; n > 0 && i < nl; i++)
			if (pfd[i].revents != 0)
				serve_one(pfd[i].fd, o);
	}
}

int
main(int argc, char *argv[])
{
	struct options		o;
	struct sigaction	sa = { .sa_handler = on_term };
	struct itimerval	it = { { 0, 0 }, { 0, 0 } };
	sigset_t		block, waitmask;

	parse_options(argc, argv, &o);
	if (o.report != NULL)
		report_write(o.report);
	if (o.crash_if != NULL && access(o.crash_if, F_OK) == 0) {
		sleep_ms(o.after_ms);
		exit(3);
	}
	if (o.ignore_signal != 0 && signal(o.ignore_signal, SIG_IGN) ==
	    SIG_ERR)
		die("signal", NULL);
	if (o.leave_group && setpgid(0, getpgid(getppid())) == -1)
		die("setpgid", NULL);
	if (o.orphan_ms >= 0)
		orphan(o.orphan_ms, o.orphan_until);

	/*
	 * SIGTERM, SIGALRM and SIGUSR1 are blocked except inside
	 * sigsuspend(), so that one arriving between a check of its flag
	 * and the wait is not lost.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	if (o.on_usr1 != NULL)
		sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGALRM);
	if (o.on_usr1 != NULL)
		sigdelset(&waitmask, SIGUSR1);
	if (o.ignore_term)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	if (o.on_usr1 != NULL) {
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
	}

	if (o.touch != NULL)
		touch(o.touch, false);
	if (o.touch_pid != NULL)
		touch(o.touch_pid, true);

	if (o.exit_code != -1 || o.signal != 0 || o.eat_mb != 0) {
		if (o.after_ms == 0) {
			act(&o);
		} else {
			it.it_value.tv_sec = o.after_ms / 1000;
			it.it_value.tv_usec = (o.after_ms % 1000) * 1000;
			if (setitimer(ITIMER_REAL, &it, NULL) == -1)
				die("setitimer", NULL);
		}
	}
	if (o.serve || o.notify_ready_ms >= 0 || o.ready_file != NULL ||
	    o.heartbeat_ms > 0 || o.heartbeat_auto || o.notify_child)
		run(&o, &block, &waitmask);
	for (;;) {
		sigsuspend(&waitmask);
		if (got_term) {
			sleep_ms(o.term_delay_ms);
			exit(0);
		}
		if (got_alarm) {
			got_alarm = 0;
			act(&o);
		}
		if (got_usr1) {
			got_usr1 = 0;
			touch(o.on_usr1, true);
		}
	}
}
