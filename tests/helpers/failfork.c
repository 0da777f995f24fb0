/* SPDX-License-Identifier: ISC */
/*
 * failfork.so: an LD_PRELOAD shim that makes process creation fail on
 * demand, for fault_test.
 *
 *   LD_PRELOAD=tests/helpers/failfork.so PREFORK_FAILFORK_FLAG=FILE prefork
 *
 * While FILE exists, fork() and clone() return -1 with errno EAGAIN, as
 * the kernel does at RLIMIT_NPROC or when it is out of pids; otherwise
 * they are the real ones, found with dlsym(RTLD_NEXT). Without
 * PREFORK_FAILFORK_FLAG it changes nothing.
 *
 * Both are interposed because src/spawn.c, the one place prefork makes
 * processes, calls clone(CLONE_VM | CLONE_VFORK) in normal builds and
 * fork() in sanitizer builds (and where clone() is refused with EINVAL
 * or ENOSYS, which EAGAIN is not: no fallback hides the failure). It
 * calls neither vfork() nor posix_spawn(). glibc's own calls (threads,
 * posix_spawn) go to its internal symbols and are not affected.
 *
 * Everything that is not async-signal-safe (getenv, dlsym) is done once,
 * in the constructor, before main(); fork() and clone() themselves call
 * only access(2) before the real one.
 *
 * The workers inherit LD_PRELOAD and the flag's name through the
 * environment. That is left alone on purpose: the shim changes nothing
 * in a process that does not make processes, the test worker forks only
 * with --orphan, which fault_test does not use, and stripping the
 * variables would mean changing the master's environment, the very thing
 * under test.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef int	(*clone_fn)(int (*)(void *), void *, int, void *, ...);

static pid_t	(*real_fork)(void);
static clone_fn	real_clone;
/* A copy: the environment may change under a getenv() pointer. */
static char	flag[PATH_MAX];

static void __attribute__((constructor))
failfork_init(void)
{
	const char	*f = getenv("PREFORK_FAILFORK_FLAG");

	real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
	real_clone = (clone_fn)dlsym(RTLD_NEXT, "clone");
	if (f != NULL && (size_t)snprintf(flag, sizeof(flag), "%s", f) >=
	    sizeof(flag))
		flag[0] = '\0';
}

/* True while the flag file exists: make no process. */
static bool
failing(void)
{
	return flag[0] != '\0' && access(flag, F_OK) == 0;
}

pid_t
fork(void)
{
	if (failing()) {
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

/*
 * glibc's clone(): the three optional arguments are read only when the
 * flags say they were passed, as clone() itself does, and passed on.
 */
int
clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	pid_t	*ptid = NULL, *ctid = NULL;
	void	*tls = NULL;
	va_list	 ap;

	if (failing()) {
		errno = EAGAIN;
		return -1;
	}
	if (real_clone == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (flags & (CLONE_PARENT_SETTID | CLONE_PIDFD | CLONE_SETTLS |
	    CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) {
		va_start(ap, arg);
		ptid = va_arg(ap, pid_t *);
		tls = va_arg(ap, void *);
		ctid = va_arg(ap, pid_t *);
		va_end(ap);
	}
	return real_clone(fn, stack, flags, arg, ptid, tls, ctid);
}
