/* SPDX-License-Identifier: ISC */
/*
 * The sampler: what /proc says of a process (CPU time, start time, RSS,
 * PSS and USS, open fds) and of a process group (its members' memory,
 * summed), and what TCP_INFO says of a listening socket (its accept
 * queue and that queue's limit). It reads and parses; it decides
 * nothing: what a sample means is for its callers (metrics.c, and the
 * status and recycle policies to come). The parsers are pure and take
 * the file's text, so that they are tested on fixed text and fuzzed.
 */
#ifndef PREFORK_SAMPLE_H
#define PREFORK_SAMPLE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* What /proc/PID/stat says: fields 14 to 17 and 22, in clock ticks. */
struct sample_stat {
	uint64_t	utime;
	uint64_t	stime;
	uint64_t	cutime;		/* of the children it waited for */
	uint64_t	cstime;
	uint64_t	starttime;	/* since boot */
};

/*
 * Parses the text of /proc/PID/stat. The command (field 2) is skipped up
 * to its last ')', since a process may put anything in its name, ')' and
 * spaces included. Returns 0, or -1 when text is not such a line.
 */
int	sample_parse_stat(const char *text, size_t len, struct sample_stat *s);

/*
 * Parses the process group (field 5) of the text of /proc/PID/stat into
 * *pgrp, the command skipped as by sample_parse_stat(). Returns 0, or -1
 * when text is not such a line (or is cut short after the group).
 */
int	sample_parse_pgrp(const char *text, size_t len, pid_t *pgrp);

/*
 * Parses the text of /proc/PID/schedstat ("RUN WAIT SLICES"): the time
 * the process ran and the time it waited on a run queue for a CPU, in
 * ns. Returns 0, or -1 when text is not such a line.
 */
int	sample_parse_schedstat(const char *text, size_t len, uint64_t *run_ns,
	    uint64_t *wait_ns);

/*
 * What /proc/PID/smaps_rollup (or smaps, summed) says, in bytes. The USS
 * (unique set size) is the private pages, Private_Clean + Private_Dirty:
 * what the process would give back if it exited now.
 */
struct sample_mem {
	uint64_t	rss;
	uint64_t	pss;
	uint64_t	uss;
	bool		has_pss;	/* a Pss line was found */
	bool		has_uss;	/* Private_Clean and Private_Dirty
					   lines were both found */
};

/*
 * Parses the text of /proc/PID/smaps_rollup: the "Rss:", "Pss:",
 * "Private_Clean:" and "Private_Dirty:" lines ("Rss:   1234 kB"), each
 * summed if there are several (smaps). A figure whose lines are missing
 * is 0, its has_ flag false. Returns 0, or -1 when no Rss line was found
 * or one of those lines does not parse.
 */
int	sample_parse_smaps(const char *text, size_t len, struct sample_mem *m);

/*
 * Parses the "VmRSS:" line of /proc/PID/status into *rss, in bytes: for
 * a kernel without smaps_rollup (before 4.14). Returns 0, or -1.
 */
int	sample_parse_status_rss(const char *text, size_t len, uint64_t *rss);

/* A process, sampled. */
struct sample_proc {
	double		cpu_seconds;	/* user + system */
	double		start_time;	/* seconds since the epoch */
	uint64_t	rss;		/* bytes */
	uint64_t	pss;		/* bytes; rss when the kernel has no
					   PSS */
	bool		has_pss;
};

/*
 * The system's constants a sample needs: clock ticks per second and the
 * boot time (seconds since the epoch). Read once with sample_init(); a
 * test may fill them by hand.
 */
struct sample_sys {
	long	ticks;		/* sysconf(_SC_CLK_TCK) */
	double	boot_time;	/* /proc/stat's btime */
};

/*
 * Reads the constants under the directory proc ("/proc"). Returns 0, or
 * -1 with errno set.
 */
int	sample_init(struct sample_sys *sys, const char *proc);

/*
 * Samples pid (its own memory only: not its children's) from the
 * directory proc ("/proc"). Returns 0, or -1 with errno set (ESRCH or
 * ENOENT when the process is gone; EINVAL for a file that does not
 * parse).
 */
int	sample_proc(const struct sample_sys *sys, const char *proc, pid_t pid,
	    struct sample_proc *p);

/*
 * A worker's memory with its descendants': the sums over the processes
 * of one process group, in bytes. Each worker leads its own group, and
 * what it starts (a "sh -c" wrapper's children, a server's helpers)
 * stays in it unless it calls setsid() or setpgid() to leave.
 */
struct sample_group {
	uint64_t	rss;
	uint64_t	pss;		/* only meant to be read with has_pss */
	uint64_t	uss;		/* only meant to be read with has_uss */
	unsigned	nprocs;		/* members counted (zombies are not) */
	bool		has_pss;	/* every member's PSS was read */
	bool		has_uss;	/* every member's USS was read */
};

/*
 * Samples the process groups pgids[0..n-1] (the workers' pids) in one
 * scan of the directory proc ("/proc"): each process's stat tells its
 * group, and each member's memory comes from its smaps_rollup or, when
 * that cannot be read (before Linux 4.14, or a process the caller may
 * not trace), from VmRSS in its status, its PSS and USS then unknown.
 * out[i] receives the sums of group pgids[i]; an entry <= 0, or a group
 * that no process is in, gets zeros, nprocs 0 and both flags true. A
 * process that exits during the scan is left out; a zombie counts for
 * nothing. The USS of a group is its members' private pages: pages a
 * fork left shared between members are in its RSS and PSS, not in its
 * USS. Allocates a sorted copy of pgids for the time of the call; with
 * no entry > 0, reads nothing. Returns 0, or -1 with errno set (proc
 * cannot be read, ENOMEM), out then undefined.
 */
int	sample_groups(const char *proc, const pid_t *pgids, size_t n,
	    struct sample_group *out);

/* A process group's CPU, from sample_groups_cpu(). */
struct sample_cpu {
	uint64_t	ticks;		/* utime + stime + cutime + cstime */
	uint64_t	wait_ns;	/* waiting on a run queue for a CPU */
};

/*
 * The CPU time of the process groups pgids[0..n-1] (the workers' pids)
 * in one scan of the directory proc ("/proc"), as sample_groups() scans
 * it, but reading only each process's stat and schedstat: cheap enough
 * to call every second. out[i].ticks receives, in clock ticks, the sum
 * over the members of group pgids[i] of utime + stime + cutime + cstime
 * (fields 14 to 17), so that a member's children it waited for still
 * count once they are gone, and a zombie counts until it is reaped;
 * out[i].wait_ns the sum of the members' waits for a CPU, of those whose
 * schedstat could be read (its main thread's: the kernel keeps no sum
 * for the process); an entry <= 0, or a group that no process is in,
 * gets zeros. The sums stop at UINT64_MAX. A group's figures may fall:
 * a member that leaves the group, or exits and is reaped by a process
 * outside it, takes its time along, and a reaped member's wait is
 * lost; the caller takes a fall as a new start. Allocates a sorted copy
 * of pgids for the time of the call; with no entry > 0, reads nothing.
 * Returns 0, or -1 with errno set (proc cannot be read, ENOMEM), out
 * then undefined.
 */
int	sample_groups_cpu(const char *proc, const pid_t *pgids, size_t n,
	    struct sample_cpu *out);

/*
 * Whether this kernel tells how long a process waited for a CPU:
 * proc/self/schedstat can be read and parses (CONFIG_SCHED_INFO).
 */
bool	sample_has_schedstat(const char *proc);

/*
 * The figure of g that m names, in bytes. When g's PSS or USS is
 * unknown, returns its RSS instead, which is never smaller, and sets
 * *exact to false (true otherwise; exact may be NULL), so that the
 * caller can say which it compared. This function can't fail.
 */
uint64_t	sample_group_bytes(const struct sample_group *g,
		    enum mem_measure m, bool *exact);

/*
 * Counts the open fds of the calling process (the entries of
 * /proc/self/fd, the one used to count them not included). Returns the
 * count, or -1 with errno set.
 */
long	sample_open_fds(void);

/* A listening TCP socket's accept queue. */
struct sample_queue {
	uint32_t	length;		/* connections waiting for accept() */
	uint32_t	limit;		/* the backlog in effect */
};

/*
 * Reads the accept queue of fd, a listening TCP socket, through
 * getsockopt(TCP_INFO): on a socket in LISTEN, tcpi_unacked is the queue
 * and tcpi_sacked its limit. Returns 0, or -1 with errno set (EINVAL
 * when fd is not a listening TCP socket, ENOTSOCK, EOPNOTSUPP for a
 * unix socket).
 */
int	sample_listen_queue(int fd, struct sample_queue *q);

#endif /* PREFORK_SAMPLE_H */
