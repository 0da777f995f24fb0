/* SPDX-License-Identifier: ISC */
/*
 * Worker cgroups (worker_cgroup): where the master's own cgroup v2 is
 * delegated to it (systemd's Delegate=yes), the master moves itself into
 * a leaf "master" (cgroup v2 lets no process stay in a cgroup whose
 * children have controllers), enables memory for the children, and puts
 * each worker in a leaf "worker-SLOT" of its own, with memory.high from
 * worker_memory and memory.max from max_worker_memory. A worker's memory
 * and its OOM kills can then be read from its leaf.
 *
 * Every file is read and written under a root directory ("/", or
 * $PREFORK_SYSROOT for tests, as the probe does), and the decisions are
 * pure functions of what was read, so that fixture trees and copies of
 * them give the same answers on every machine. Under a root other than
 * "/", the files the kernel makes with a cgroup are made as plain files,
 * and removed with it. Nothing here logs: the caller reports.
 */
#ifndef PREFORK_WCGROUP_H
#define PREFORK_WCGROUP_H

#include <sys/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Room for a reason, and for a cgroup's path as seen under the root. */
#define WCG_REASON_MAX	512
#define WCG_DIR_MAX	384

/* What wcg_detect() found. */
struct wcg_probe {
	bool	delegated;		/* worker cgroups can be had */
	char	dir[WCG_DIR_MAX];	/* the master's cgroup v2 directory
					   as seen under the root, or ""
					   when it was not found */
	char	reason[WCG_REASON_MAX];	/* why not, when not delegated:
					   "cgroup v2 not delegated: PATH
					   not writable" */
};

/*
 * What the judgement of delegation is made from, read by wcg_detect():
 * texts are NULL when they could not be read, and each errno is 0 when
 * the directory or file may be written (faccessat(2), W_OK).
 */
struct wcg_facts {
	const char	*dir;		/* as seen under the root */
	const char	*controllers;	/* cgroup.controllers */
	int		 controllers_errno;
	int		 dir_errno;
	int		 procs_errno;	/* cgroup.procs */
	int		 subtree_errno;	/* cgroup.subtree_control */
	const char	*procs;		/* cgroup.procs' text */
	int		 procs_read_errno;
	pid_t		 self;		/* the master */
};

/*
 * Pure: true when f shows a delegated cgroup: memory in
 * cgroup.controllers, the directory, cgroup.procs and
 * cgroup.subtree_control writable, and no process in it but self (the
 * kernel refuses to enable a controller for the children of a cgroup
 * that holds processes). Otherwise writes the first reason into reason.
 * This function can't fail.
 */
bool	wcg_judge(const struct wcg_facts *f, char *reason, size_t len);

/*
 * Finds the calling process's cgroup v2 directory under root from
 * /proc/self/cgroup and /proc/self/mountinfo, reads the facts and judges
 * them into p. A missing or unreadable file is a reason, never an
 * error: this function can't fail.
 */
void	wcg_detect(struct wcg_probe *p, const char *root);

/* What worker_cgroup and a probe decide. */
enum wcg_action {
	WCG_OFF,		/* worker_cgroup = off: nothing is done */
	WCG_USE,		/* set the leaves up */
	WCG_FALLBACK,		/* auto, not delegated: /proc only */
	WCG_REFUSE,		/* on, not delegated: a configuration
				   error */
};

/* Pure: the action for mode and p. This function can't fail. */
enum wcg_action	wcg_decide(enum tristate mode, const struct wcg_probe *p);

/*
 * Pure: what --explain and the log say after "worker cgroups: ": "on
 * (DIR: leaves master and worker-N; memory.high 512.0 MiB, memory.max
 * max)", "off (worker_cgroup = off)", "off (REASON)", or for on "off
 * (REASON); worker_cgroup = on refuses to start". high and max are
 * bytes, 0 for none. Returns buf. This function can't fail.
 */
char	*wcg_describe(enum tristate mode, const struct wcg_probe *p,
	    uint64_t high, uint64_t max, char *buf, size_t len);

/* The name of a tristate's value, as in the file ("auto"). */
const char	*wcg_mode_name(enum tristate mode);

/*
 * The worker cgroups of a running master. All zero is a valid state:
 * not active, nothing to undo.
 */
struct wcg {
	bool		 active;	/* the master is in DIR/master and
					   memory is on for the children */
	char		 path[PATH_MAX];	/* the root, then DIR */
	size_t		 rootlen;	/* where DIR starts in path */
	uint64_t	 high, max;	/* bytes, 0 = "max" */
	unsigned char	*made;		/* per slot: its leaf has its limits */
	uint64_t	*ooms;		/* per slot: its oom_kill last read */
	size_t		 nmade;		/* of both */
	char		 why[WCG_REASON_MAX];	/* why not active: the
						   fallback's reason or the
						   failed step */
};

/*
 * Sets worker cgroups up in p->dir under root, which wcg_detect() judged
 * delegated: DIR/master made and the caller moved into it, then memory
 * enabled in DIR/cgroup.subtree_control. high and max are the leaves'
 * memory.high and memory.max in bytes (0 = "max"). Returns 0, or -1 with
 * errno set and w->why naming the step ("mkdir PATH: ..."), in which
 * case what was done is undone as far as it can be and w is not active.
 */
int	wcg_setup(struct wcg *w, const char *root, const struct wcg_probe *p,
	    uint64_t high, uint64_t max);

/*
 * The directory, as seen under the root, of an active w ("" otherwise).
 * This function can't fail.
 */
const char	*wcg_dir(const struct wcg *w);

/*
 * For a spawn: makes slot's leaf DIR/worker-SLOT when it is missing,
 * writes its limits the first time, and opens its cgroup.procs for
 * writing, close-on-exec. Returns the fd, which the caller closes, or -1
 * with errno set (EINVAL when w is not active).
 */
int	wcg_leaf_open(struct wcg *w, unsigned slot);

/*
 * New limits, for the leaves made so far and those to come. Returns 0,
 * or -1 with errno set by the first write that failed (the others are
 * still tried).
 */
int	wcg_set_limits(struct wcg *w, uint64_t high, uint64_t max);

/*
 * Readers of slot's leaf: its memory.current in bytes, and the
 * oom_kill count of its memory.events (the kernel's OOM kills in it so
 * far). Return 0, or -1 with errno set: ENOENT when w is not active or
 * the slot has no leaf, EINVAL when the file is not understood.
 */
int	wcg_memory_current(const struct wcg *w, unsigned slot,
	    uint64_t *bytes);
int	wcg_oom_kills(const struct wcg *w, unsigned slot, uint64_t *count);

/*
 * For a worker of slot that exited: whether its leaf's oom_kill rose
 * since the last call for that slot (a new leaf starts from 0). Returns
 * 1 or 0, or -1 with errno set as wcg_oom_kills() does.
 */
int	wcg_oom_rose(struct wcg *w, unsigned slot);

/*
 * At exit, once the workers are gone: removes every leaf made for a
 * slot (the master's own stays, since the master is in it), frees what
 * w holds and leaves it inactive. Returns how many leaves could not be
 * removed (a leaf that still holds a process is kept), with errno set
 * and w->why naming the last of them ("rmdir PATH: ...").
 */
size_t	wcg_cleanup(struct wcg *w);

/*
 * Pure parsers, for the tests. Each takes a NUL-terminated text and
 * touches nothing else.
 */

/* True when word is one of the space-separated words of list. */
bool	wcg_parse_has(const char *list, const char *word);

/*
 * cgroup.procs, one pid a line: stores the first pid that is not self
 * in *other. Returns 1 when there is one, 0 when there is none, -1 when
 * a line is not a pid.
 */
int	wcg_parse_procs(const char *text, pid_t self, pid_t *other);

/* One unsigned decimal number and a newline (memory.current). */
int	wcg_parse_u64(const char *text, uint64_t *value);

/*
 * memory.events, "KEY VALUE" lines: the value of key. Returns 0, or -1
 * when key is missing or a line is malformed.
 */
int	wcg_parse_events(const char *text, const char *key, uint64_t *value);

#endif /* PREFORK_WCGROUP_H */
