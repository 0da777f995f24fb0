/* SPDX-License-Identifier: ISC */
/*
 * The OS side of the workers: the only place that forks, execs and
 * signals them (the guard, guard.h, is forked on its own). A worker starts with an empty signal mask, every signal at its
 * default, standard input from /dev/null, no file descriptors but 0, 1, 2
 * and the listening sockets (as 3, 4, ...), its own process group, and
 * PR_SET_PDEATHSIG(SIGTERM), so that it never outlives the master.
 */
#ifndef PREFORK_SPAWN_H
#define PREFORK_SPAWN_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * The most listening sockets one worker can receive. The child has no
 * heap, so it moves them through an array of this size on its stack.
 */
#define SPAWN_FDS_MAX	256

/* How many environment strings may carry the worker's own pid. */
#define SPAWN_PID_SLOTS	2

/* Everything the child needs, built by the parent before fork(). */
struct spawn_cmd {
	const char	*path;		/* the program, as found in PATH */
	char *const	*argv;
	char *const	*envp;
	/*
	 * Each one not NULL points into one of the envp strings, at room
	 * for at least 21 bytes: the child writes its own pid there, in
	 * decimal and NUL-terminated, before exec (LISTEN_PID=,
	 * WATCHDOG_PID=).
	 */
	char		*pid_slots[SPAWN_PID_SLOTS];
	const int	*fds;		/* become 3, 4, ... in the worker;
					   at most SPAWN_FDS_MAX */
	size_t		 nfds;
	const char	*chdir;		/* NULL = unchanged */
	mode_t		 umask;		/* (mode_t)-1 = unchanged */
	uid_t		 uid;		/* (uid_t)-1 = unchanged */
	gid_t		 gid;		/* (gid_t)-1 = unchanged; when set,
					   groups are set as well */
	const gid_t	*groups;
	size_t		 ngroups;
	/*
	 * The worker's cgroup (worker_cgroup): when cgroup is set, the
	 * child joins it first, by writing "0" to cgroup_fd, its
	 * cgroup.procs opened for writing (close-on-exec) by the caller;
	 * or, when cgroup_error is not 0 (the caller could not open it),
	 * fails there with that errno.
	 */
	bool		 cgroup;
	int		 cgroup_fd;
	int		 cgroup_error;
};

/* Where in the child a start failed. */
enum spawn_stage {
	SPAWN_OK,
	SPAWN_FORK,		/* no child was made */
	SPAWN_SETUP,		/* signals, process group, death signal */
	SPAWN_CGROUP,		/* joining the worker's cgroup */
	SPAWN_FDS,		/* /dev/null, sockets */
	SPAWN_CHDIR,
	SPAWN_CREDENTIALS,	/* setgroups, setgid, setuid */
	SPAWN_EXEC,
};

struct spawn_result {
	pid_t			pid;	/* -1 when no child was made */
	enum spawn_stage	stage;	/* SPAWN_OK once exec succeeded */
	int			error;	/* errno of the failed stage */
};

/*
 * Starts and execs a worker (vfork-style: the child shares our memory
 * until it execs, and we wait until then), with every signal blocked so
 * that no handler of the master runs in the child. Waits (briefly) until
 * the child has exec'd or failed, which it reports through a close-on-exec
 * pipe. On success r->pid is the worker and r->stage SPAWN_OK. When the
 * child failed, r->pid is still set (the child exits 126, or 127 when
 * the program was not found, and must be reaped like any other) and
 * r->stage and r->error say where and why. When no child was made,
 * r->pid is -1 and errno is set: r->stage is SPAWN_FORK when pipe2() or
 * fork() failed (EAGAIN, ENOMEM, EMFILE: try again later), or SPAWN_FDS
 * with EINVAL when cmd has more than SPAWN_FDS_MAX fds. The caller's
 * signal mask is the same on return as on entry, and nothing of cmd is
 * changed but what the pid_slots point at: scratch, which may hold the
 * child's pid afterwards.
 * The wait lasts until the child execs or fails, so it is as long as
 * the child's chdir() and execve() take. The parent-death signal is set
 * again after the credentials change, because the kernel clears it
 * then. Returns r->pid.
 */
pid_t	spawn_worker(const struct spawn_cmd *cmd, struct spawn_result *r);

/* The stage's name for messages ("exec", "chdir"). */
const char	*spawn_stage_name(enum spawn_stage stage);

/*
 * Sends sig to the process group the worker leads, so that a shell
 * wrapper's children get it too; to the worker alone when it has left its
 * group. Returns 0, or -1 with errno set (ESRCH: already gone; EINVAL for
 * a pid below 2, which kill() would take for a group or for every
 * process).
 */
int	spawn_signal(pid_t pid, int sig);

/*
 * The calling process's children, alive or zombie, from /proc (its
 * main thread's children file, or a scan of every process where the
 * kernel has no such file): up to max pids are stored in v. Returns how
 * many children there are, which may be more than max, or -1 with errno
 * set. Meant for a single-threaded caller: a child of another thread is
 * not counted.
 */
ssize_t	spawn_children(pid_t *v, size_t max);

/*
 * The children the master adopted as a subreaper (what a worker started
 * and left behind), stopped with the workers at shutdown: SIGTERM once
 * each, then SIGKILL from the deadline on.
 */
struct orphans {
	pid_t	*termed;	/* sent SIGTERM, not reaped yet */
	size_t	 n, cap;
	double	 kill_at;	/* SIGKILL from then on */
};

#define ORPHANS_INIT	{ NULL, 0, 0, 0 }

/* What one pass of spawn_stop_orphans() found and did. */
struct orphans_pass {
	size_t	left;		/* orphans still there, zombies included */
	size_t	termed;		/* sent SIGTERM in this pass */
	bool	killed;		/* sent SIGKILL in this pass */
};

/*
 * One pass at shutdown over the calling process's children, leaving out
 * those skip() says are not orphans (the workers, the guard): a new one
 * gets SIGTERM, every one SIGKILL once now >= o->kill_at. A child listed
 * is ours until the caller reaps it, so its pid cannot be another
 * process's. Returns 0, or -1 with errno set when the children cannot
 * be listed (nothing was sent).
 */
int	spawn_stop_orphans(struct orphans *o, double now,
	    bool (*skip)(void *, pid_t), void *ctx, struct orphans_pass *r);

/* An orphan was reaped: its pid may be anyone's from now on. */
void	spawn_orphan_reaped(struct orphans *o, pid_t pid);

void	spawn_orphans_free(struct orphans *o);

/*
 * A wait status for people: "exited with code 1", "exited on signal 11
 * (core dumped)". Returns buf. This function can't fail.
 */
char	*spawn_describe_status(int status, char *buf, size_t len);

/*
 * Runs argv (argv[0] a path) to completion, for the master's checks of a
 * new binary before an upgrade: standard input from /dev/null, standard
 * output and error into out (NUL-terminated, the rest read and dropped),
 * signals at their defaults; killed with SIGKILL after timeout_ms, with
 * *timed_out set. The caller waits meanwhile. Returns the wait status,
 * or -1 with errno set (pipe, fork, wait).
 */
int	spawn_run(char *const argv[], unsigned timeout_ms, char *out,
	    size_t len, bool *timed_out);

#endif /* PREFORK_SPAWN_H */
