/*
 * failfork.so: an LD_PRELOAD shim that makes fork() fail on demand, for
 * fault_test.
 *
 *   LD_PRELOAD=tests/helpers/failfork.so PREFORK_FAILFORK_FLAG=FILE prefork
 *
 * While FILE exists, fork() returns -1 with errno EAGAIN, as the kernel
 * does at RLIMIT_NPROC or when it is out of pids; otherwise it is the
 * real fork(), found with dlsym(RTLD_NEXT). Without PREFORK_FAILFORK_FLAG
 * it changes nothing.
 *
 * Only fork() is interposed: src/spawn.c is the one place prefork makes
 * processes, and it calls fork(), never vfork(), clone() or
 * posix_spawn().
 *
 * Everything that is not async-signal-safe (getenv, dlsym) is done once,
 * in the constructor, before main(); fork() itself calls only access(2).
 *
 * The workers inherit LD_PRELOAD and the flag's name through the
 * environment. That is left alone on purpose: the shim changes nothing
 * in a process that does not fork, the test worker forks only with
 * --orphan, which fault_test does not use, and stripping the variables
 * would mean changing the master's environment, the very thing under
 * test.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pid_t	(*real_fork)(void);
/* A copy: the environment may change under a getenv() pointer. */
static char	flag[PATH_MAX];

static void __attribute__((constructor))
failfork_init(void)
{
	const char	*f = getenv("PREFORK_FAILFORK_FLAG");

	real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
	if (f != NULL && (size_t)snprintf(flag, sizeof(flag), "%s", f) >=
	    sizeof(flag))
		flag[0] = '\0';
}

pid_t
fork(void)
{
	if (flag[0] != '\0' && access(flag, F_OK) == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (real_fork == NULL) {
		/* dlsym() found nothing: no fork to give. */
		errno = ENOSYS;
		return -1;
	}
	return real_fork();
}
