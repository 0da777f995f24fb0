/* SPDX-License-Identifier: ISC */
/*
 * The master's state as plain data, and its text: what an in-place
 * upgrade (issue 14: the master execve()s its own binary again, same
 * pid) hands from the old image to the new one through a memfd. Pure:
 * no I/O, no clock, so that the new image's reader is tested and fuzzed
 * on any bytes; the caller reads and writes the memfd, checks that pid is
 * its own, and maps the indexes and enums back to its structures.
 *
 * The text is lines of printable ASCII, each ending in "\n", in a fixed
 * order:
 *
 *	prefork-state 1
 *	version 0.9.0
 *	master pid=4242 written=1234.5 gen=3 ... lc_state=1
 *	pool size=2 rolling=0 ...
 *	counts slots=2 workers=3 listeners=1
 *	slot failures=0 ...		(slots lines)
 *	worker pid=100 slot=0 ...	(workers lines)
 *	listener fd=3 addr=... ...	(listeners lines)
 *	fds activated=0 notify_fd=5 ...
 *	end
 *
 * Every record has every one of its fields, named, in the order the
 * writer writes them, separated by one space. Numbers are decimal;
 * times are decimal doubles, the shortest form that reads back to the
 * same bits; booleans 0 or 1; a counter list is "-" (none) or numbers
 * separated by commas; a string is its bytes with '%', and every byte
 * outside '!'..'~', as %XX (upper-case hex), "-" for NULL, and a string
 * that is "-" itself as %2D.
 */
#ifndef PREFORK_STATE_H
#define PREFORK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define STATE_FORMAT		1	/* the format this build writes and
					   reads */
#define STATE_MAGIC		"prefork-state"
#define STATE_TEXT_MAX		(16u << 20)	/* bytes */
#define STATE_SLOTS_MAX		4096
#define STATE_WORKERS_MAX	(3 * STATE_SLOTS_MAX)	/* a slot's worker,
						   its replacement, and one
						   told to stop */
#define STATE_LISTENERS_MAX	256
#define STATE_COUNTERS_MAX	16
#define STATE_STR_MAX		4096	/* any string, bytes, before
					   escaping */
#define STATE_FD_MAX		65535

/*
 * Every time (a double, in seconds of the monotonic clock, or a
 * duration) is finite and 0 or more: -0.0 is refused with the negative
 * ones. Where a time may be unset, the master's convention (0) holds.
 */
struct state_worker {
	int		pid;		/* > 1 */
	unsigned	slot;		/* < nslots */
	unsigned	state;		/* 0..7: the pool's enum worker_state */
	unsigned	generation;
	double		spawned, ready_at, seen, kill_at, heartbeat, lifetime;
	bool		was_ready, exec_failed, first;
	unsigned	role;		/* 0 the slot's worker (slot.w), 1
					   its replacement (slot.next), 2
					   told to stop, in no slot's hands */
	int		stop_why;	/* -1 none, else 0..15: an index the
					   master maps */
};

struct state_slot {
	unsigned	failures;
	double		restart_at;
	bool		first_due;
	int		recycling;	/* -1 none, else 0..15 */
	unsigned	restarts;
	bool		exited;
	int		last_status;	/* a wait status, any int */
	double		last_exit;
	bool		last_oom;
};

struct state_listener {
	int		fd;		/* 0..STATE_FD_MAX */
	char		*addr;		/* non-empty */
	char		*name;		/* may be empty, not NULL */
	bool		adopted;
	char		*path;		/* NULL: not a unix socket file of
					   ours; else non-empty */
	uint64_t	dev, ino;
};

/*
 * Strings are owned by the struct (state_free() frees them); those that
 * may be NULL say so, the others must be set (and non-empty, but for a
 * listener's name). Every fd is -1 (none) or 0..STATE_FD_MAX, and the
 * fds that are not -1 are distinct across the whole state.
 */
struct state {
	unsigned	format;		/* STATE_FORMAT */
	char		*version;	/* the writer's PACKAGE_VERSION */
	long		pid;		/* the master's, 1..INT_MAX: the
					   caller checks it is its own */
	double		written;	/* the monotonic clock when written */
	/* master */
	unsigned	gen;
	double		started;
	uint64_t	exits[STATE_COUNTERS_MAX];
	unsigned	nexits;
	uint64_t	reloads[STATE_COUNTERS_MAX];
	unsigned	nreloads;
	uint64_t	scaled[2];	/* autoscale changes up, down */
	double		watchdog_at;
	unsigned	lc_state;	/* the lifecycle's enum, 0..7 */
	/* pool */
	unsigned	size;		/* slots in use, <= nslots */
	bool		rolling, booted_any;
	unsigned	first_spawned, first_failed, first_due;
	struct state_slot	*slots;
	size_t		nslots;		/* <= STATE_SLOTS_MAX */
	struct state_worker	*workers;
	size_t		nworkers;	/* <= STATE_WORKERS_MAX */
	/* fds handed over (each -1 when none) */
	struct state_listener	*listeners;
	size_t		nlisteners;	/* <= STATE_LISTENERS_MAX */
	bool		activated;
	int		notify_fd;
	char		*notify_env;	/* "NOTIFY_SOCKET=@..." or NULL */
	int		control_fd;
	char		*control_path;	/* or NULL */
	uint64_t	control_dev, control_ino;
	int		reply_fd;	/* the control client that asked:
					   answered by the new image */
	int		http_fd;
	char		*http_addr;	/* or NULL */
	int		pidfile_fd, pidfile_dirfd;
	char		*pidfile_path;	/* or NULL */
	uint64_t	pidfile_dev, pidfile_ino;
	long		guard_pid;	/* -1 none, else 2..INT_MAX */
	int		guard_fd;
};

/*
 * Makes s empty: format STATE_FORMAT, counts 0, fds and guard_pid -1,
 * pointers NULL. This function can't fail.
 */
void	state_init(struct state *s);

/* Frees what s holds and makes it empty again, as state_init(). */
void	state_free(struct state *s);

/*
 * Appends the text of s to b (b->failed on ENOMEM). Returns 0, or -1
 * with why set (b as it was) when s breaks the rules above: the writer
 * refuses what the reader would refuse, so that the new image is never
 * handed a state it cannot read.
 */
int	state_write(const struct state *s, struct buf *b, char *why,
	    size_t whylen);

/*
 * Parses text[0..len), any bytes, into s (state_init()ed by the call;
 * state_free() it on success and on failure). Returns 0, or -1 with a
 * one-line printable reason in why naming the line:
 * "line 12: worker: pid 'x' is not a number".
 */
int	state_read(const char *text, size_t len, struct state *s, char *why,
	    size_t whylen);

#endif /* PREFORK_STATE_H */
