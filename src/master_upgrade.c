/* SPDX-License-Identifier: ISC */
/*
 * Part of the master: the upgrade in place. `preforkctl upgrade` makes
 * the master execve() the prefork binary at the path it was started
 * from, same pid, once that binary has shown it runs, reads this state
 * format and accepts the configuration. The state (state.c's text: the
 * slots, the workers, the counters, the fds) goes in a memfd; every fd
 * it names is kept open across the exec, and the signals the master
 * handles are blocked, so that one sent meanwhile waits for the new
 * image instead of killing it. The new image takes it all back in
 * master_restore() instead of starting anew, and answers the client that
 * asked. An exec that fails leaves the master as it was.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "master_impl.h"
#include "state.h"

extern char	**environ;

/* How long the new binary's checks may take, in ms. */
#define CHECK_TIMEOUT	10000

/* The binary, the command line, and the state the new image restores. */
static char		 exe[PATH_MAX];
static char *const	*origin_argv;
static int		 origin_state = -1;

/* The reasons a worker stops or a slot recycles, as the pool has them. */
static const char *const	reasons[] = { "shrink", "replaced",
    "shutdown", "recycle_memory", "recycle_lifetime", "recycle_manual" };

void
master_upgrade_origin(char *const *argv, int state_fd)
{
	origin_argv = argv;
	origin_state = state_fd;
}

int
master_upgrading(void)
{
	return origin_state;
}

/* The binary the master runs, as a path: for a later upgrade. */
static void
remember_exe(void)
{
	ssize_t	n;
	size_t	l;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1) {
		log_warn("/proc/self/exe: upgrades refused");
		exe[0] = '\0';
		return;
	}
	exe[n] = '\0';
	l = strlen(" (deleted)");
	if ((size_t)n > l && strcmp(exe + n - l, " (deleted)") == 0)
		exe[n - l] = '\0';
}

static int
reason_index(const char *why)
{
	size_t	i;

	for (i = 0; why != NULL && i < nitems(reasons); i++)
		if (strcmp(why, reasons[i]) == 0)
			return (int)i;
	return -1;
}

static const char *
reason_of(int i)
{
	return i >= 0 && (size_t)i < nitems(reasons) ? reasons[i] : NULL;
}

/*
 * A string for an argv, which execv(2) declares writable but never
 * writes: the const dropped without a cast through an integer.
 */
static char *
arg(const char *s)
{
	char	*p;

	memcpy(&p, &s, sizeof(p));
	return p;
}

/*
 * The master's own arguments after argv[0], without the
 * --upgrade-state FD that an upgrade put first, for the next one.
 */
static char *const *
own_args(void)
{
	char *const	*a = origin_argv + 1;

	if (a[0] != NULL && strcmp(a[0], "--upgrade-state") == 0 &&
	    a[1] != NULL)
		a += 2;
	return a;
}

/*
 * Runs exe with args after it; the first line of what it printed into
 * out. Returns 0 when it exited 0 in time, else -1 with why set.
 */
static int
run_new(const char *const *args, char *out, size_t len, char *why,
    size_t whylen)
{
	char	*argv[64], esc[256];
	size_t	 n = 0;
	bool	 late;
	int	 st;

	argv[n++] = exe;
	while (*args != NULL && n < nitems(argv) - 1)
		argv[n++] = arg(*args++);
	argv[n] = NULL;
	st = spawn_run(argv, CHECK_TIMEOUT, out, len, &late);
	/* Text from a program we do not trust yet: one line, escaped. */
	out[strcspn(out, "\n")] = '\0';
	util_escape(out, esc, sizeof(esc));
	if (st == -1)
		snprintf(why, whylen, "%s: %s", exe, strerror(errno));
	else if (late)
		snprintf(why, whylen, "%s %s: no answer within %d s", exe,
		    argv[1], CHECK_TIMEOUT / 1000);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		snprintf(why, whylen, "%s %s: %s%s%s", exe, argv[1],
		    spawn_describe_status(st, (char[64]){ 0 }, 64),
		    *out != '\0' ? ": " : "", esc);
	else
		return 0;
	return -1;
}

/*
 * What the new binary must show before the master execs it: it runs,
 * reads this state format, and accepts the configuration.
 */
static int
check_new(char *why, size_t len)
{
	const char	*args[64] = { "--state-format", NULL };
	char *const	*a;
	char		 out[512], want[64];
	struct stat	 st;
	size_t		 n = 1;

	if (exe[0] == '\0') {
		snprintf(why, len, "the binary's path is not known");
		return -1;
	}
	if (stat(exe, &st) == -1 || access(exe, X_OK) == -1) {
		snprintf(why, len, "%s: %s", exe, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s: not a regular file", exe);
		return -1;
	}
	if (run_new(args, out, sizeof(out), why, len) == -1)
		return -1;
	snprintf(want, sizeof(want), "%s %d", STATE_MAGIC, STATE_FORMAT);
	if (strcmp(out, want) != 0) {
		snprintf(why, len, "%s does not read state format %d (it "
		    "says '%.80s')", exe, STATE_FORMAT, util_escape(out,
		    (char[256]){ 0 }, 256));
		return -1;
	}
	args[0] = "--check";
	for (a = own_args(); *a != NULL && n < nitems(args) - 1; a++)
		args[n++] = *a;
	args[n] = NULL;
	return run_new(args, out, sizeof(out), why, len);
}

/* The pool's slots and workers, into s. */
static int
snap_pool(const struct master *m, struct state *s)
{
	const struct pool	*p = &m->pool;
	size_t			 i, n = p->size;

	for (i = 0; i < p->nall; i++)
		if (p->all[i]->slot + 1 > n)
			n = p->all[i]->slot + 1;
	s->size = p->size;
	s->rolling = p->rolling;
	s->booted_any = p->booted_any;
	s->first_spawned = p->first_spawned;
	s->first_failed = p->first_failed;
	s->first_due = p->first_due;
	if ((s->slots = calloc(n + 1, sizeof(*s->slots))) == NULL ||
	    (s->workers = calloc(p->nall + 1, sizeof(*s->workers))) == NULL)
		return -1;
	s->nslots = n;
	for (i = 0; i < n && i < p->cap; i++) {
		const struct slot	*a = &p->slots[i];
		struct state_slot	*b = &s->slots[i];

		b->failures = a->failures;
		b->restart_at = a->restart_at;
		b->first_due = a->first_due;
		b->recycling = reason_index(a->recycling);
		b->restarts = a->restarts;
		b->exited = a->exited;
		b->last_status = a->last_status;
		b->last_exit = a->last_exit;
		b->last_oom = a->last_oom;
	}
	for (i = 0; i < p->nall; i++) {
		const struct worker	*a = p->all[i];
		struct state_worker	*b = &s->workers[i];
		const struct slot	*sl = a->slot < p->cap ?
					    &p->slots[a->slot] : NULL;

		b->pid = a->pid;
		b->slot = a->slot;
		b->state = a->state;
		b->generation = a->generation;
		b->spawned = a->spawned;
		b->ready_at = a->ready_at;
		b->seen = a->seen;
		b->kill_at = a->kill_at;
		b->heartbeat = a->heartbeat;
		b->lifetime = a->lifetime;
		b->was_ready = a->was_ready;
		b->exec_failed = a->exec_failed;
		b->first = a->first;
		b->role = sl != NULL && sl->w == a ? POOL_ROLE_WORKER :
		    sl != NULL && sl->next == a ? POOL_ROLE_NEXT :
		    POOL_ROLE_DETACHED;
		b->stop_why = reason_index(a->stop_why);
	}
	s->nworkers = p->nall;
	return 0;
}

/* The fds and what goes with them, into s. */
static int
snap_fds(const struct master *m, struct state *s, int reply)
{
	size_t	i;

	if ((s->listeners = calloc(m->sockets.n + 1,
	    sizeof(*s->listeners))) == NULL)
		return -1;
	for (i = 0; i < m->sockets.n; i++) {
		const struct listener	*a = &m->sockets.v[i];
		struct state_listener	*b = &s->listeners[i];

		b->fd = a->fd;
		b->adopted = a->adopted;
		b->dev = a->dev;
		b->ino = a->ino;
		if ((b->addr = strdup(a->addr)) == NULL ||
		    (b->name = strdup(a->name ? a->name : "")) == NULL ||
		    (a->path != NULL && (b->path = strdup(a->path)) == NULL))
			return -1;
		s->nlisteners = i + 1;
	}
	s->activated = m->sockets.activated;
	s->notify_fd = m->ns.fd;
	if (m->ns.fd != -1 && (s->notify_env = strdup(m->ns.env)) == NULL)
		return -1;
	s->control_fd = m->ctl.fd;
	if (m->ctl.fd != -1) {
		if ((s->control_path = strdup(m->ctl.path)) == NULL)
			return -1;
		s->control_dev = m->ctl.dev;
		s->control_ino = m->ctl.ino;
	}
	s->reply_fd = reply;
	s->http_fd = m->httpd.fd;
	if (m->httpd.fd != -1 && (s->http_addr = strdup(m->httpd.addr)) ==
	    NULL)
		return -1;
	s->pidfile_fd = m->pidfile.fd;
	s->pidfile_dirfd = m->pidfile.dirfd;
	if (m->pidfile.fd != -1) {
		if ((s->pidfile_path = strdup(m->pidfile.path)) == NULL)
			return -1;
		s->pidfile_dev = m->pidfile.dev;
		s->pidfile_ino = m->pidfile.ino;
	}
	s->guard_pid = m->guard.pid;
	s->guard_fd = m->guard.fd;
	return 0;
}

/* The whole state of m, into s (state_init()ed). */
static int
snapshot(const struct master *m, struct state *s, int reply)
{
	size_t	i;

	s->format = STATE_FORMAT;
	s->pid = (long)getpid();
	s->written = master_clock();
	s->gen = m->gen;
	s->started = m->started;
	for (i = 0; i < METRICS_EXIT_COUNT; i++)
		s->exits[i] = m->exits[i];
	s->nexits = METRICS_EXIT_COUNT;
	for (i = 0; i < METRICS_RELOAD_COUNT; i++)
		s->reloads[i] = m->reloads[i];
	s->nreloads = METRICS_RELOAD_COUNT;
	s->scaled[0] = m->adv.changes[0];
	s->scaled[1] = m->adv.changes[1];
	s->watchdog_at = m->watchdog_at;
	s->lc_state = m->lc.state;
	if ((s->version = strdup(PACKAGE_VERSION)) == NULL)
		return -1;
	return snap_pool(m, s) == -1 || snap_fds(m, s, reply) == -1 ? -1 : 0;
}

/* Every fd s names, and memfd: kept open across the exec, or not. */
static void
keep_fds(const struct state *s, int memfd, bool keep)
{
	int	fds[STATE_LISTENERS_MAX + 8];
	size_t	n = 0, i;
	int	flags;

	for (i = 0; i < s->nlisteners && n < STATE_LISTENERS_MAX; i++)
		fds[n++] = s->listeners[i].fd;
	fds[n++] = s->notify_fd;
	fds[n++] = s->control_fd;
	fds[n++] = s->reply_fd;
	fds[n++] = s->http_fd;
	fds[n++] = s->pidfile_fd;
	fds[n++] = s->pidfile_dirfd;
	fds[n++] = s->guard_fd;
	fds[n++] = memfd;
	for (i = 0; i < n; i++) {
		if (fds[i] < 0 || (flags = fcntl(fds[i], F_GETFD)) == -1)
			continue;
		(void)fcntl(fds[i], F_SETFD, keep ? flags & ~FD_CLOEXEC :
		    flags | FD_CLOEXEC);
	}
}

/* The state's text in a memfd, at its start. Returns it, or -1. */
static int
state_memfd(const struct state *s, char *why, size_t len)
{
	struct buf	 b = BUF_INIT;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if (state_write(s, &b, why, len) == -1 || b.failed) {
		if (b.failed)
			snprintf(why, len, "out of memory");
		free(b.p);
		return -1;
	}
	if ((fd = memfd_create("prefork-state", MFD_CLOEXEC)) == -1) {
		snprintf(why, len, "memfd_create: %s", strerror(errno));
		free(b.p);
		return -1;
	}
	while (off < b.len) {
		if ((n = write(fd, b.p + off, b.len - off)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, len, "memfd: %s", strerror(errno));
			free(b.p);
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	free(b.p);
	(void)lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The new image's command line: the state's fd, then ours as given. */
static void
new_argv(char **argv, size_t max, char *fdarg)
{
	char *const	*a;
	size_t		 n = 0;

	argv[n++] = exe;
	argv[n++] = arg("--upgrade-state");
	argv[n++] = fdarg;
	for (a = own_args(); *a != NULL && n < max - 1; a++)
		argv[n++] = *a;
	argv[n] = NULL;
}

/*
 * The exec itself, with every signal blocked: one that comes now waits
 * for the new image. Returns only when it failed, errno set, with the
 * fds and the mask as they were.
 */
static void
exec_new(struct master *m, const struct state *s, int fd)
{
	char		*argv[256], fdarg[16], msg[64];
	sigset_t	 all, old;
	int		 e;

	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	new_argv(argv, nitems(argv), fdarg);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(master_clock() * 1e6));
	if (m->lc.state == LC_RUNNING)
		master_tell(m, msg);
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	keep_fds(s, fd, true);
	execve(exe, argv, environ);
	e = errno;
	keep_fds(s, fd, false);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (m->lc.state == LC_RUNNING)
		master_tell(m, "READY=1");
	errno = e;
}

void
master_upgrade(struct master *m, struct ctl_conn *c)
{
	struct state	s;
	char		why[PATH_MAX + 1024];
	int		fd;

	if (m->wcg.active) {
		ctl_answer(c, CTL_ERR, "upgrade: not with worker cgroups "
		    "(worker_cgroup): restart the service instead", NULL, 0);
		return;
	}
	if (check_new(why, sizeof(why)) == -1) {
		log_errorx("upgrade refused: %s; this master keeps running",
		    why);
		ctl_answer(c, CTL_ERR, why, NULL, 0);
		return;
	}
	state_init(&s);
	if (snapshot(m, &s, ctl_conn_fd(c)) == -1)
		snprintf(why, sizeof(why), "out of memory");
	else if ((fd = state_memfd(&s, why, sizeof(why))) != -1) {
		log_info("upgrade: exec %s, pid %ld, %zu workers kept", exe,
		    (long)getpid(), m->pool.nall);
		exec_new(m, &s, fd);
		snprintf(why, sizeof(why), "exec %s: %s", exe,
		    strerror(errno));
		close(fd);
	}
	state_free(&s);
	log_errorx("upgrade: %s; this master keeps running", why);
	ctl_answer(c, CTL_ERR, why, NULL, 0);
}

/*
 * The new image: reads the state the old one left in origin_state's
 * memfd, which must be this process's. Returns 0, or -1 with the reason
 * logged.
 */
int
master_restore_read(struct state *s)
{
	struct stat	 st;
	char		*text, why[256];
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd = origin_state;

	state_init(s);
	if (fstat(fd, &st) == -1 || st.st_size < 0 ||
	    (uint64_t)st.st_size > STATE_TEXT_MAX) {
		log_errorx("upgrade: the state (fd %d): %s", fd, errno ?
		    strerror(errno) : "too large");
		return -1;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		return -1;
	while (off < (size_t)st.st_size && (n = pread(fd, text + off,
	    (size_t)st.st_size - off, (off_t)off)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		off += (size_t)n;
	}
	close(fd);
	/*
	 * Ours: this pid's, and written before now on the monotonic clock,
	 * which an exec keeps (a state of another boot would be from the
	 * future, or from anyone).
	 */
	if (state_read(text, off, s, why, sizeof(why)) == -1 ||
	    (s->pid != (long)getpid() && snprintf(why, sizeof(why),
	    "written by pid %ld", s->pid) > 0) ||
	    (s->written > master_clock() && snprintf(why, sizeof(why),
	    "written at %.3f, after now", s->written) > 0)) {
		log_errorx("upgrade: the state: %s", why);
		free(text);
		state_free(s);
		return -1;
	}
	free(text);
	return 0;
}

/* An fd of the old image's, close-on-exec again: no worker gets it. */
static int
adopt_fd(int fd)
{
	int	flags;

	if (fd >= 0 && (flags = fcntl(fd, F_GETFD)) != -1)
		(void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	return fd;
}

/* The fds that need no loop: listeners, notify, pidfile, guard. */
int
master_restore_fds(struct master *m, const struct state *s)
{
	struct listener	*v;
	size_t		 i;

	if ((v = calloc(s->nlisteners + 1, sizeof(*v))) == NULL)
		return -1;
	m->sockets.v = v;
	for (i = 0; i < s->nlisteners; i++) {
		const struct state_listener	*a = &s->listeners[i];

		v[i].fd = adopt_fd(a->fd);
		v[i].adopted = a->adopted;
		v[i].dev = (dev_t)a->dev;
		v[i].ino = (ino_t)a->ino;
		m->sockets.n = i + 1;
		if ((v[i].addr = strdup(a->addr)) == NULL ||
		    (v[i].name = strdup(a->name)) == NULL ||
		    (a->path != NULL && (v[i].path = strdup(a->path)) ==
		    NULL))
			return -1;
	}
	m->sockets.activated = s->activated;
	if ((m->ns.fd = adopt_fd(s->notify_fd)) != -1)
		snprintf(m->ns.env, sizeof(m->ns.env), "%s", s->notify_env);
	if ((m->pidfile.fd = adopt_fd(s->pidfile_fd)) != -1) {
		m->pidfile.dirfd = adopt_fd(s->pidfile_dirfd);
		m->pidfile.dev = (dev_t)s->pidfile_dev;
		m->pidfile.ino = (ino_t)s->pidfile_ino;
		if ((m->pidfile.path = strdup(s->pidfile_path)) == NULL)
			return -1;
	}
	m->guard.pid = (pid_t)s->guard_pid;
	m->guard.fd = adopt_fd(s->guard_fd);
	return 0;
}

/* The servers on the loop: the control socket and metrics_listen. */
int
master_restore_servers(struct master *m, const struct state *s)
{
	m->ctl.loop = m->httpd.loop = m->loop;
	if (s->control_fd != -1 && ctlserver_adopt(&m->ctl,
	    adopt_fd(s->control_fd), s->control_path,
	    (dev_t)s->control_dev, (ino_t)s->control_ino) == -1)
		return -1;
	if (s->http_fd != -1 && httpd_adopt(&m->httpd, adopt_fd(s->http_fd),
	    s->http_addr) == -1)
		return -1;
	return 0;
}

/* The pool as the old image left it, and the master's counters. */
int
master_restore_pool(struct master *m, const struct state *s)
{
	struct worker	w;
	size_t		i;

	for (i = 0; i < s->nworkers; i++) {
		const struct state_worker	*a = &s->workers[i];

		memset(&w, 0, sizeof(w));
		w.pid = (pid_t)a->pid;
		w.slot = a->slot;
		w.state = (enum worker_state)a->state;
		w.generation = a->generation;
		w.spawned = a->spawned;
		w.ready_at = a->ready_at;
		w.seen = a->seen;
		w.kill_at = a->kill_at;
		w.heartbeat = a->heartbeat;
		w.lifetime = a->lifetime;
		w.was_ready = a->was_ready;
		w.exec_failed = a->exec_failed;
		w.first = a->first;
		w.stop_why = reason_of(a->stop_why);
		if (pool_adopt(&m->pool, (unsigned)s->nslots, &w,
		    (enum pool_role)a->role) == -1)
			return -1;
	}
	if (s->nslots > 0 && pool_adopt_room(&m->pool,
	    (unsigned)s->nslots) == -1)
		return -1;
	for (i = 0; i < s->nslots; i++) {
		const struct state_slot	*a = &s->slots[i];
		struct slot		*b = &m->pool.slots[i];

		b->failures = a->failures;
		b->restart_at = a->restart_at;
		b->first_due = a->first_due;
		b->recycling = reason_of(a->recycling);
		b->restarts = a->restarts;
		b->exited = a->exited;
		b->last_status = a->last_status;
		b->last_exit = a->last_exit;
		b->last_oom = a->last_oom;
	}
	m->pool.size = s->size;
	m->pool.gen = s->gen;
	m->pool.rolling = s->rolling;
	m->pool.booted_any = s->booted_any;
	m->pool.first_spawned = s->first_spawned;
	m->pool.first_failed = s->first_failed;
	m->pool.first_due = s->first_due;
	m->gen = s->gen;
	m->started = s->started;
	for (i = 0; i < s->nexits && i < METRICS_EXIT_COUNT; i++)
		m->exits[i] = s->exits[i];
	for (i = 0; i < s->nreloads && i < METRICS_RELOAD_COUNT; i++)
		m->reloads[i] = s->reloads[i];
	m->adv.changes[0] = s->scaled[0];
	m->adv.changes[1] = s->scaled[1];
	m->watchdog_at = s->watchdog_at;
	return 0;
}

/* The client that asked, answered by the image it asked for. */
void
master_restore_answer(struct master *m, const struct state *s)
{
	char	line[256];
	int	n;

	/* systemd was told RELOADING=1 (or was still waiting): READY=1. */
	if (s->lc_state == LC_RUNNING || s->lc_state == LC_RELOADING) {
		m->lc.state = LC_RUNNING;
		(void)lc_reload_begin(&m->lc);
		lc_reload_accepted(&m->lc);
	}
	log_info("upgrade: prefork %s took over from prefork %s: pid %ld, "
	    "%zu workers", PACKAGE_VERSION, s->version, (long)getpid(),
	    m->pool.nall);
	if (s->reply_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "OK\nupgraded: prefork %s -> %s, "
	    "pid %ld, %zu workers kept\n", s->version, PACKAGE_VERSION,
	    (long)getpid(), m->pool.nall);
	if (n > 0 && write(s->reply_fd, line, (size_t)n) == -1)
		log_warn("upgrade: answering the client");
	close(s->reply_fd);
}

void
master_upgrade_init(void)
{
	remember_exe();
}
