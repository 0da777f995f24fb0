/* SPDX-License-Identifier: ISC */
/*
 * Telling the OOM killer's SIGKILL apart from any other. The kernel
 * counts the processes the OOM killer kills in the memory cgroup of each
 * victim, and raises the count before it sends the signal (mm/oom_kill.c:
 * "Raise event before sending signal: task reaper must see this"). The
 * master keeps the count of its own memory cgroup open, where its workers
 * live, and reads it at every worker's exit: a worker that died of
 * SIGKILL while the count rose was the OOM killer's.
 *
 * What the counts mean (mm/memcontrol.c, memcg_memory_event()):
 *
 * - cgroup v2, memory.events, line "oom_kill N": the processes of this
 *   cgroup and of every cgroup below it killed by any OOM killer, whether
 *   this cgroup's memory.max ran out, an ancestor's, or the machine's
 *   memory. Hierarchical since Linux 5.2, unless cgroup2 is mounted with
 *   memory_localevents (then, as before 5.2, this cgroup's own only). The
 *   root cgroup has no memory.events.
 * - cgroup v1, memory.oom_control, line "oom_kill N" (Linux 4.13 and
 *   later): the processes of this cgroup alone, whatever limit ran out;
 *   a worker that moved itself into a child cgroup is not counted here.
 *
 * The ancestors' counts are not read: they count the kills of every other
 * cgroup below them too. The count does not say which process was
 * killed, so a kill of another process of the cgroup (a worker's own
 * child) can be taken for a worker's, if a worker dies of a SIGKILL from
 * elsewhere before the next reading; OOM_CLAIM_SECONDS bounds how long a
 * kill seen at one reading can be given to a later exit.
 */
#ifndef PREFORK_OOM_H
#define PREFORK_OOM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How long after the reading that saw it a kill may be given to an exit:
 * the OOM killer can kill two workers at once, and the second one's exit
 * is then read after the count that showed both.
 */
#define OOM_CLAIM_SECONDS	5.0

/* The cap on oom_open()'s reason why not. */
#define OOM_WHY_MAX		512

/*
 * The count of the master's memory cgroup. Filled with zeros, it is
 * closed: oom_exit() says 0 and oom_close() does nothing.
 */
struct oomwatch {
	bool		open;		/* fd holds the count's file */
	int		fd;
	int		version;	/* of the cgroup hierarchy: 1 or 2 */
	char		dir[PATH_MAX];	/* the cgroup's directory, with the
					   root in front */
	size_t		rootlen;	/* the root's part of dir */
	size_t		top;		/* the mount point's end in dir */
	uint64_t	seen;		/* the count at the last reading */
	uint64_t	unclaimed;	/* kills seen that no exit took */
	double		claim_until;	/* when they are forgotten */
};

/*
 * Pure: the count of a cgroup v2 memory.events or v1 memory.oom_control
 * text (NUL-terminated), lines of "KEY VALUE": the value of the one line
 * whose key is "oom_kill", plain digits up to UINT64_MAX, then nothing
 * but blanks. Other lines are not looked at. Returns 0, 1 when there is
 * no such line (v1 before Linux 4.13), or -1 when it is malformed or
 * there are two.
 */
int	oom_parse_events(const char *text, uint64_t *count);

/*
 * Pure: the directory of the process's memory cgroup, from the texts of
 * /proc/self/cgroup and /proc/self/mountinfo: of the v2 hierarchy for
 * version 2, of the v1 hierarchy that has the memory controller for
 * version 1; as seen from the process ("/sys/fs/cgroup/memory/a"), into
 * dir, with *top the length of its mount point's part. Returns 0; 1 when
 * there is no such hierarchy, no mount of it holds the cgroup, or the
 * cgroup is outside the process's cgroup namespace; -1 when a text is
 * malformed or the directory does not fit in len.
 */
int	oom_locate(const char *cgroup, const char *mountinfo, int version,
	    char *dir, size_t len, size_t *top);

/*
 * Finds the master's memory cgroup under root ("/", or $PREFORK_SYSROOT
 * for tests), cgroup v2 first and then v1 (on a hybrid host the unified
 * hierarchy has no memory controller), opens its count close-on-exec,
 * and reads it: the exits to come are measured from now. Returns 0, or
 * -1 with errno set and why, for people, in why (len bytes): ENOENT when
 * no memory cgroup of ours has the file (none mounted; the v2 root
 * cgroup), ENODATA when it has no oom_kill line, EINVAL when a file is
 * malformed, or the error of a file that cannot be read. w is closed on
 * error.
 */
int	oom_open(struct oomwatch *w, const char *root, char *why, size_t len);

/*
 * Reads the count again from the open file. Returns 0, or -1 with errno
 * set: EBADF when w is closed, EINVAL when the text is not understood,
 * or read(2)'s error (ENODEV once the cgroup is removed).
 */
int	oom_count(struct oomwatch *w, uint64_t *count);

/*
 * A worker exited with wait status status at now (seconds, on any steady
 * clock): reads the count, keeping the last reading current, and returns
 * 1 when the exit was an OOM kill: it died of SIGKILL, and the count rose
 * by a kill that no earlier exit took, at a reading at most
 * OOM_CLAIM_SECONDS ago. A death by SIGKILL takes one such kill either
 * way; the caller decides whether the SIGKILL was its own, so that the
 * OOM killer's kill of a worker the master was killing anyway is not
 * given to the next one. Returns 0 otherwise, and 0 when w is closed;
 * -1 with errno set when the count cannot be read, and w is closed then.
 */
int	oom_exit(struct oomwatch *w, int status, double now);

/*
 * For the log line of an OOM kill: "memory cgroup DIR, limit 64.0 MiB",
 * with "of ANCESTOR" after the limit when the tightest limit between the
 * cgroup and its mount point is an ancestor's, or "no limit"; read now,
 * paths as seen under the root. Returns buf. This function can't fail.
 */
char	*oom_describe(const struct oomwatch *w, char *buf, size_t len);

/*
 * The file of the count, as seen under the root, while w is open; "" when
 * closed. This function can't fail.
 */
const char	*oom_file(const struct oomwatch *w, char *buf, size_t len);

/* Closes the file, if open; w is left filled with zeros. */
void	oom_close(struct oomwatch *w);

#endif /* PREFORK_OOM_H */
