/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "env.h"
#include "launch.h"

extern char	**environ;

/* "LISTEN_FDNAMES=a:b" for the sockets of s, or NULL (ENOMEM). */
static char *
launch_fdnames(const struct sockets *s)
{
	char	*names, *var;

	if ((names = sockets_names(s)) == NULL)
		return NULL;
	if (asprintf(&var, "LISTEN_FDNAMES=%s", names) == -1)
		var = NULL;
	free(names);
	return var;
}

int
launch_prepare(struct launch *l, const struct conf *c,
    const struct sockets *s, const char *notify, struct wcg *cg)
{
	struct launch	next = LAUNCH_INIT;

	if (check_resolve_command(c, next.path, sizeof(next.path)) == -1)
		return -1;
	if (env_base(&next.env, environ, &c->env) == -1)
		goto fail;
	next.envp = calloc(next.env.n + ENV_EXTRA_MAX + 1, sizeof(char *));
	if (next.envp == NULL)
		goto fail;
	if (s != NULL && s->n > 0) {
		if ((next.fds = calloc(s->n, sizeof(int))) == NULL ||
		    (next.fdnames = launch_fdnames(s)) == NULL)
			goto fail;
		sockets_fds(s, next.fds);
		next.nfds = s->n;
	}
	if (c->ready == READY_NOTIFY) {
		next.notify = notify;
		next.watchdog_usec = c->timeout * 1000;
	}
	next.cg = cg;
	launch_free(l);
	*l = next;
	return 0;

fail:
	launch_free(&next);
	errno = ENOMEM;
	return -1;
}

void
launch_free(struct launch *l)
{
	strv_free(&l->env);
	free(l->envp);
	free(l->fds);
	free(l->fdnames);
	*l = (struct launch)LAUNCH_INIT;
}

/* The worker's leaf, opened for the child to join (see spawn_cmd). */
static void
launch_cgroup(struct launch *l, unsigned slot, struct spawn_cmd *cmd)
{
	cmd->cgroup_fd = -1;
	if (l->cg == NULL || !l->cg->active)
		return;
	cmd->cgroup = true;
	if ((cmd->cgroup_fd = wcg_leaf_open(l->cg, slot)) == -1)
		cmd->cgroup_error = errno;
}

/*
 * Room after "NAME=" for the pid the child writes there itself: 20
 * digits and a NUL.
 */
#define PID_ROOM	"                     "

pid_t
launch_spawn(struct launch *l, const struct conf *c, unsigned slot,
    unsigned size, struct spawn_result *r)
{
	char	 id[40], workers[40], class[128], nfds[40], usec[48];
	char	 lpid[] = "LISTEN_PID=" PID_ROOM;
	char	 wpid[] = "WATCHDOG_PID=" PID_ROOM;
	char	*extra[ENV_EXTRA_MAX + 1];
	size_t	 n = 0, npid = 0;
	pid_t	 pid;
	struct spawn_cmd cmd = {
		.path = l->path,
		.argv = c->argv.v,
		.envp = l->envp,
		.fds = l->fds,
		.nfds = l->nfds,
		.chdir = c->chdir,
		.umask = c->umask_set ? c->umask : (mode_t)-1,
		.uid = c->uid,
		.gid = c->gid,
		.groups = c->groups,
		.ngroups = c->ngroups,
	};

	/*
	 * Without root, user and group may only name what the master
	 * already is (check_system() refuses the rest): nothing to switch,
	 * and setgroups() would fail.
	 */
	if (geteuid() != 0 && (cmd.uid == (uid_t)-1 || cmd.uid == geteuid()) &&
	    (cmd.gid == (gid_t)-1 || cmd.gid == getegid())) {
		cmd.uid = (uid_t)-1;
		cmd.gid = (gid_t)-1;
		cmd.ngroups = 0;
	}
	snprintf(id, sizeof(id), "PREFORK_WORKER_ID=%u", slot);
	snprintf(workers, sizeof(workers), "PREFORK_WORKERS=%u", size);
	snprintf(class, sizeof(class), "PREFORK_WORKER_CLASS=%s",
	    conf_worker_class(c));
	extra[n++] = id;
	extra[n++] = workers;
	extra[n++] = class;
	if (l->nfds > 0) {
		snprintf(nfds, sizeof(nfds), "LISTEN_FDS=%zu", l->nfds);
		extra[n++] = nfds;
		extra[n++] = lpid;
		extra[n++] = l->fdnames;
		cmd.pid_slots[npid++] = lpid + strlen("LISTEN_PID=");
	}
	if (l->notify != NULL) {
		extra[n++] = (char *)l->notify;
		if (l->watchdog_usec > 0) {
			snprintf(usec, sizeof(usec), "WATCHDOG_USEC=%" PRIu64,
			    l->watchdog_usec);
			extra[n++] = usec;
			extra[n++] = wpid;
			cmd.pid_slots[npid++] = wpid + strlen("WATCHDOG_PID=");
		}
	}
	extra[n] = NULL;
	env_worker(l->envp, &l->env, extra);
	launch_cgroup(l, slot, &cmd);
	pid = spawn_worker(&cmd, r);
	if (cmd.cgroup_fd != -1)
		close(cmd.cgroup_fd);
	return pid;
}
