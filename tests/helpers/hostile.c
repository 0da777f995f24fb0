/* SPDX-License-Identifier: ISC */
/*
 * hostile: a careless or hostile parent, for the tests. It leaves the
 * program it runs a signal mask, signal dispositions and limits that a
 * daemon must not trust, then execs it.
 *
 * hostile [OPTIONS] [--] PROGRAM [ARG...]
 *   --block-all     block every signal (the mask survives execve)
 *   --ignore-all    ignore every signal that can be (SIG_IGN survives
 *                   execve; SIGCHLD ignored makes the kernel reap the
 *                   children itself)
 *   --nofile N      set the soft and hard RLIMIT_NOFILE to N
 *
 * Usage errors exit 2; a failure to set something up or to exec exits
 * 1, with a line on standard error.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Noreturn void
usage(void)
{
	fputs("usage: hostile [--block-all] [--ignore-all] [--nofile N] "
	    "[--] PROGRAM [ARG...]\n", stderr);
	exit(2);
}

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "block-all", no_argument, NULL, 'b' },
		{ "ignore-all", no_argument, NULL, 'i' },
		{ "nofile", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction	ign = { .sa_handler = SIG_IGN };
	struct rlimit		rl;
	sigset_t		all;
	char			*end;
	long			nofile = -1;
	bool			block = false, ignore = false;
	int			ch, sig;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			block = true;
			break;
		case 'i':
			ignore = true;
			break;
		case 'n':
			errno = 0;
			nofile = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || nofile < 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind == argc)
		usage();
	/* What glibc refuses (32, 33) or nobody may (KILL, STOP): skipped. */
	for (sig = 1; ignore && sig < NSIG; sig++)
		(void)sigaction(sig, &ign, NULL);
	if (nofile >= 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			die("setrlimit");
	}
	if (block) {
		sigfillset(&all);
		if (sigprocmask(SIG_SETMASK, &all, NULL) == -1)
			die("sigprocmask");
	}
	execvp(argv[optind], argv + optind);
	die(argv[optind]);
}
