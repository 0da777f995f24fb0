/* SPDX-License-Identifier: ISC */
/*
 * prefork: a pre-fork process supervisor. main() reads the command line
 * and the configuration, reports every problem with its sysexits code,
 * and hands over to the master; nothing else happens here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "explain.h"
#include "log.h"
#include "master.h"
#include "state.h"
#include "util.h"

enum mode {
	MODE_RUN,
	MODE_CHECK,
	MODE_EXPLAIN_TEXT,
	MODE_EXPLAIN_JSON,
};

struct options {
	enum mode		mode;
	struct conf_source	src;	/* file, overrides and command */
	int			state;	/* --upgrade-state FD, or -1 */
};

static const char usage_text[] =
"usage: prefork [-c FILE] [-w N|auto] [-P PROFILE] [-p PIDFILE]\n"
"               [-l LEVEL] [--] COMMAND [ARG...]\n"
"       prefork -t [-c FILE] [--] [COMMAND [ARG...]]\n"
"       prefork --explain[=text|json] [-c FILE] [--] [COMMAND [ARG...]]\n"
"\n"
"  -c, --config FILE       read the configuration from FILE\n"
"  -w, --workers N|auto    pool size (overrides workers)\n"
"  -P, --profile NAME      sizing profile (overrides profile)\n"
"  -p, --pidfile FILE      write the master's PID to FILE\n"
"  -t, --check             check the configuration and command, then exit\n"
"  -n, --explain[=FORMAT]  print the sizing decision (text or json), exit\n"
"  -l, --log-level LEVEL   error, warn, info (default) or debug\n"
"  -h, --help              print this help and exit\n"
"  -V, --version           print the version and exit\n"
"\n"
"See prefork(8) and prefork.ini(5).\n";

static _Noreturn void __attribute__((format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		fputs("prefork: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	fputs(usage_text, stderr);
	exit(EX_USAGE);
}

static void
set_mode(struct options *o, enum mode mode)
{
	if (o->mode != MODE_RUN && o->mode != mode)
		usage("--check and --explain exclude each other");
	o->mode = mode;
}

static void
add_override(struct options *o, const char *key, const char *value,
    const char *origin)
{
	if (strv_push(&o->src.overrides, key) == -1 ||
	    strv_push(&o->src.overrides, value) == -1 ||
	    strv_push(&o->src.overrides, origin) == -1)
		fatal(EX_OSERR, "command line");
}

/* --upgrade-state's fd: only the master that exec'd us gives one. */
static int
state_fd(const char *arg)
{
	char	*end;
	long	 v;

	if (arg == NULL)
		usage("--upgrade-state: no fd");
	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0 ||
	    v < 3 || v > 65535)
		usage("--upgrade-state: '%s' is not an fd", arg);
	return (int)v;
}

/*
 * Whether an upgrade exec'd us: its signals are kept blocked then. The
 * master puts --upgrade-state first; a word further on may be the
 * worker command's.
 */
static bool
upgrading(int argc, char *argv[])
{
	return argc > 2 && strcmp(argv[1], "--upgrade-state") == 0;
}
/*
 * Reads the options; returns the index of the first word of the command.
 * The leading "+" stops at the first operand, so the worker command's own
 * options are never taken for ours, even without "--".
 */
static int
parse_options(struct options *o, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'w' },
		{ "profile", required_argument, NULL, 'P' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 't' },
		{ "explain", optional_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* Between two versions of prefork: see master_upgrade.c. */
		{ "upgrade-state", required_argument, NULL, 'U' },
		{ "state-format", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "+c:w:P:p:tn::l:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->src.path = optarg;
			break;
		case 'w':
			add_override(o, "workers", optarg, "--workers");
			break;
		case 'P':
			add_override(o, "profile", optarg, "--profile");
			break;
		case 'p':
			add_override(o, "pidfile", optarg, "--pidfile");
			break;
		case 'l':
			add_override(o, "log_level", optarg, "--log-level");
			break;
		case 't':
			set_mode(o, MODE_CHECK);
			break;
		case 'n':
			if (optarg == NULL || strcmp(optarg, "text") == 0)
				set_mode(o, MODE_EXPLAIN_TEXT);
			else if (strcmp(optarg, "json") == 0)
				set_mode(o, MODE_EXPLAIN_JSON);
			else
				usage("--explain: unknown format '%s' (text "
				    "or json)", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EX_OK);
		case 'V':
			printf("prefork %s\n", PACKAGE_VERSION);
			exit(EX_OK);
		case 'S':
			printf("%s %d\n", STATE_MAGIC, STATE_FORMAT);
			exit(EX_OK);
		case 'U':
			o->state = state_fd(optarg);
			break;
		default:
			usage(NULL);
		}
	}
	return optind;
}

/* A bad option value is a usage error, found before the file is read. */
static void
check_overrides(const struct options *o)
{
	struct conf_source	src = { NULL, o->src.overrides, NULL, 0 };
	struct conf		scratch;
	struct strv		errs = STRV_INIT;

	conf_build(&scratch, &src, &errs);
	conf_free(&scratch);
	if (errs.n > 0) {
		log_errors(&errs);
		strv_free(&errs);
		usage(NULL);
	}
}

/*
 * Builds the configuration: defaults, the file, then the command line's
 * overrides and command, which win. Configuration errors exit 78 once
 * every one of them was reported.
 */
static void
load_conf(struct conf *c, struct options *o)
{
	struct strv	errs = STRV_INIT;

	check_overrides(o);
	if (conf_build(c, &o->src, &errs) > 0) {
		/*
		 * --check reports every problem: the keys that were read
		 * are checked against the system too, the bad ones having
		 * kept their defaults.
		 */
		if (o->mode == MODE_CHECK) {
			check_command(c, &errs);
			check_system(c, &errs);
			check_files(c, &errs);
			check_ports(c, &errs);
			check_worker_cgroup(c, NULL, &errs);
		}
		log_errors(&errs);
		if (o->mode == MODE_CHECK)
			log_errorx("%s: %zu problem%s found",
			    o->src.path ? o->src.path : "configuration",
			    errs.n, errs.n == 1 ? "" : "s");
		strv_free(&errs);
		conf_free(c);
		strv_free(&o->src.overrides);
		exit(EX_CONFIG);
	}
	log_set_level(c->log_level);
}

/* --check: everything the configuration and the system can tell. */
static int
run_check(const struct conf *c)
{
	struct strv	errs = STRV_INIT;
	int		status = EX_OK;

	check_command(c, &errs);
	check_system(c, &errs);
	check_files(c, &errs);
	check_ports(c, &errs);
	check_worker_cgroup(c, NULL, &errs);
	log_errors(&errs);
	if (errs.n > 0) {
		log_errorx("%s: %zu problem%s found",
		    c->path ? c->path : "configuration", errs.n,
		    errs.n == 1 ? "" : "s");
		status = EX_CONFIG;
	} else
		printf("%s: configuration ok\n",
		    c->path ? c->path : "prefork");
	strv_free(&errs);
	return status;
}

static int
run_explain(const struct conf *c, enum mode mode)
{
	struct decision	d;

	explain_decide(&d, c, probe_root());
	explain_worker_cgroups(&d, c, probe_root());
	if (mode == MODE_EXPLAIN_JSON)
		explain_json(stdout, &d);
	else
		explain_text(stdout, &d);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/*
 * Runs the pool, once every problem the system shows was reported. A
 * command that cannot be run is EX_UNAVAILABLE, as a first generation
 * that cannot boot would be; a missing chdir, credentials without root
 * and worker_cgroup = on without a delegated cgroup are configuration; a
 * pidfile or log_file that cannot be created is
 * EX_CANTCREAT. The first of these, in that order, is the exit status.
 */
static int
run_pool(struct conf *c, const struct options *o)
{
	struct strv	errs = STRV_INIT;
	int		status = 0;

	if (c->argv.n == 0) {
		log_errorx("no worker command: give it after -- or set "
		    "command in %s", c->path);
		return EX_CONFIG;
	}
	if (check_command(c, &errs) > 0)
		status = EX_UNAVAILABLE;
	if (check_system(c, &errs) + check_worker_cgroup(c, NULL, &errs) > 0 &&
	    status == 0)
		status = EX_CONFIG;
	if (check_files(c, &errs) > 0 && status == 0)
		status = EX_CANTCREAT;
	log_errors(&errs);
	strv_free(&errs);
	if (status != 0)
		return status;
	return master_run(c, &o->src);
}

int
main(int argc, char *argv[])
{
	struct options	o = { MODE_RUN, { NULL, STRV_INIT, NULL, 0 }, -1 };
	struct conf	c;
	sigset_t	held;
	int		first, status;

	/*
	 * Whatever the parent blocked or ignored before exec, a signal
	 * that was meant to stop or steer us must not find us deaf. But
	 * the master that exec'd us for an upgrade blocked them so that
	 * one sent meanwhile waits for us: they stay blocked until the
	 * loop handles them.
	 */
	if (sigprocmask(SIG_SETMASK, NULL, &held) == -1 ||
	    util_signals_reset(upgrading(argc, argv) ? &held : NULL) == -1)
		fatal(EX_OSERR, "signal mask");
	/*
	 * With 0, 1 or 2 closed at start, the first file the master opens
	 * (the pidfile, a socket) would take that number, and the workers,
	 * who share the master's stdout and stderr, would write into it.
	 */
	util_std_fds();
	log_init(LOG_LEVEL_INFO);
	first = parse_options(&o, argc, argv);
	if (o.mode == MODE_RUN && first == argc && o.src.path == NULL)
		usage("no worker command: give it after -- or use -c FILE");
	o.src.argv = argv + first;
	o.src.argc = argc - first;
	if (o.mode == MODE_RUN && master_hold_signals() == -1)
		fatal(EX_OSERR, "signal mask");
	if (o.state != -1 && o.mode != MODE_RUN)
		usage("--upgrade-state is for the master an upgrade starts");
	master_upgrade_origin(argv, o.state);
	load_conf(&c, &o);

	switch (o.mode) {
	case MODE_CHECK:
		status = run_check(&c);
		break;
	case MODE_EXPLAIN_TEXT:
	case MODE_EXPLAIN_JSON:
		status = run_explain(&c, o.mode);
		break;
	default:
		status = run_pool(&c, &o);
		break;
	}
	conf_free(&c);
	strv_free(&o.src.overrides);
	return status;
}
