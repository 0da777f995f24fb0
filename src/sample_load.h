/* SPDX-License-Identifier: ISC */
/*
 * The load on the pool, as the pool advisor samples it over a window:
 * pressure stall information (how long tasks waited for a CPU or for
 * memory), in the master's own cgroup v2 or else the whole system's, and
 * the connections the workers hold on a TCP listener, counted by the
 * kernel through sock_diag(7). Like sample.h, it reads and parses and
 * decides nothing; the PSI parser is pure and takes the file's text, so
 * that it is tested on fixed text and fuzzed.
 */
#ifndef PREFORK_SAMPLE_LOAD_H
#define PREFORK_SAMPLE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a pressure file says: the total= of its "some" line (the time at
 * least one task was stalled) and of its "full" line (all non-idle tasks
 * at once), cumulative microseconds since boot or since the cgroup was
 * made. A kernel's cpu.pressure had no "full" line before Linux 5.13.
 */
struct sample_psi {
	uint64_t	some_us;
	uint64_t	full_us;	/* 0 unless has_full */
	bool		has_full;
};

/*
 * Parses the text of a pressure file (/proc/pressure/cpu, a cgroup's
 * memory.pressure): lines "some avg10=0.00 avg60=0.00 avg300=0.00
 * total=576191133" and "full ...", in any order, each at most once, the
 * "some" line required. A line is its kind and fields "key=value"
 * separated by single spaces: the keys are lower-case letters and
 * digits, "total" one of them exactly once, the values digits and dots;
 * keys a later kernel may add are accepted. Only len bytes are read (no
 * NUL needed). Returns 0, or -1 when text is not such a file, p then
 * undefined.
 */
int	sample_parse_psi(const char *text, size_t len, struct sample_psi *p);

/* The pressure files there are. */
enum sample_psi_kind {
	SAMPLE_PSI_CPU,
	SAMPLE_PSI_MEMORY
};

/*
 * Finds the pressure file of kind to read, under root ("/" or "" for
 * this system, a fixture directory in the tests, as PREFORK_SYSROOT;
 * NULL is ""): the master's own cgroup v2 directory's cpu.pressure or
 * memory.pressure, that directory found from root's /proc/self/cgroup
 * ("0::/PATH") and /proc/self/mountinfo (a cgroup2 mount) as probe.c and
 * oom.c find it; else, when there is none or the file does not read and
 * parse, /proc/pressure/cpu or /proc/pressure/memory under root. Copies
 * the file's path, root included, into path (len bytes), ready for
 * sample_psi_read(). why receives the reason the cgroup's file was not
 * taken, with paths as seen under root ("" when it was), so that the
 * caller can log which figure it reads: its own cgroup's or the
 * system's. Reads each file once. Returns 0, or -1 with errno set and
 * why saying so ("no cgroup v2 pressure file and /proc/pressure/cpu: No
 * such file or directory": a kernel without CONFIG_PSI, or booted with
 * psi=0; ENAMETOOLONG when the path does not fit in len).
 */
int	sample_psi_find(const char *root, enum sample_psi_kind kind,
	    char *path, size_t len, char *why, size_t whylen);

/*
 * Reads and parses the pressure file path, as sample_psi_find() gave it.
 * Returns 0, or -1 with errno set (EINVAL for text that does not parse,
 * EFBIG for a file too long to be one).
 */
int	sample_psi_read(const char *path, struct sample_psi *p);

/*
 * Counts the connections on fd, a listening TCP socket (IPv4 or IPv6):
 * the TCP sockets of the caller's network namespace in ESTABLISHED or
 * CLOSE_WAIT whose local port is the listener's, and whose local address
 * is its address unless it listens on the wildcard. Those are the
 * server's ends only (a loopback client's end has the port as its remote
 * one): the connections still in the accept queue plus those accepted
 * and still held, closed by the peer (CLOSE_WAIT) or not; the caller
 * subtracts sample_listen_queue()'s length to get the connections in
 * service, and clamps at 0, since the two are read one after the other.
 * The sockets of every listener bound to the same port and address
 * (SO_REUSEPORT) count together. The kernel filters them
 * (NETLINK_SOCK_DIAG, a dump with a bytecode filter on the port and
 * address), so a busy host's other sockets are not sent; a netlink
 * socket is opened and closed at each call. Returns 0, or -1 with errno
 * set: ENOTSOCK, EOPNOTSUPP for a socket that is not TCP over IPv4 or
 * IPv6 (a unix socket), EINVAL when it does not listen, EPROTO when the
 * kernel's answer is malformed or holds more than a million sockets.
 */
int	sample_listen_conns(int fd, uint32_t *conns);

#endif /* PREFORK_SAMPLE_LOAD_H */
