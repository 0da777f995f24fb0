/* SPDX-License-Identifier: ISC */
/*
 * The pure parsers of the hardware probe: CPU lists, cgroup v2 cpu.max
 * and memory.max, cgroup v1 quotas and limits, /proc/meminfo, memory
 * block sizes, /proc/self/cgroup and /proc/self/mountinfo. Text in,
 * numbers or paths out: no file is opened here, so that the unit tests
 * and the fuzzers call them on any bytes. probe.c walks the system and
 * hands them what it read.
 */
#ifndef PREFORK_PROBE_PARSE_H
#define PREFORK_PROBE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The highest CPU number a list may name: far above any kernel's NR_CPUS,
 * yet low enough that a count can never overflow.
 */
#define PROBE_CPU_NUMBER_MAX	((1U << 22) - 1)

/*
 * Parsers for the files the probe reads, exported for the unit tests and
 * the fuzzers. Each takes a NUL-terminated buffer, touches nothing else,
 * and returns 0, or -1 when the text is malformed. Numbers are plain
 * digits (no sign unless stated, no leading white space); trailing white
 * space, such as the final newline, is accepted.
 */

/*
 * "0-3,8-11\n": counts the CPUs in a kernel CPU list (at least 1). The
 * ranges must ascend without overlapping, as the kernel prints them, and
 * name no CPU above 4194303.
 */
int	probe_parse_cpulist(const char *text, unsigned *count);

/*
 * cgroup v2 cpu.max, "QUOTA PERIOD" or "max PERIOD": sets *quota to the
 * quota in microseconds, or to UINT64_MAX for "max", and *period (which
 * must not be 0).
 */
int	probe_parse_cpu_max(const char *text, uint64_t *quota,
	    uint64_t *period);

/*
 * One integer, possibly negative, alone on the line, as in
 * cpu.cfs_quota_us, cpu.cfs_period_us, memory.limit_in_bytes.
 */
int	probe_parse_int(const char *text, int64_t *value);

/* cgroup v2 memory.max: bytes, or UINT64_MAX for "max". */
int	probe_parse_memory_max(const char *text, uint64_t *bytes);

/* /proc/meminfo: MemTotal in bytes ("MemTotal: N kB", N > 0). */
int	probe_parse_meminfo(const char *text, uint64_t *bytes);

/*
 * /sys/devices/system/memory/block_size_bytes: hexadecimal, no "0x", not
 * 0.
 */
int	probe_parse_block_size(const char *text, uint64_t *bytes);

/*
 * /proc/self/cgroup: finds the cgroup path of the v1 hierarchy that has
 * controller (for example "cpu" or "memory"; a list such as
 * "cpu,cpuacct" matches "cpu" but "cpuset" does not), or of the v2
 * hierarchy ("0::") when controller is NULL. Copies the first match into
 * path. Returns 0, 1 when there is no such hierarchy, or -1 when any line
 * is malformed or the path does not fit in len.
 */
int	probe_parse_cgroup(const char *text, const char *controller,
	    char *path, size_t len);

/*
 * /proc/self/mountinfo: finds the mount of the v1 hierarchy that has
 * controller (as above), or of cgroup2 when controller is NULL, whose
 * root is cgpath or one of its ancestors, and copies that root and the
 * mount point (octal escapes such as \040 decoded) into root and mnt.
 * When several mounts qualify, the one with the shortest root wins: it
 * shows the most ancestors. Returns 0, 1 when there is no such mount, or
 * -1 when malformed (or when the match does not fit in root or mnt).
 */
int	probe_parse_mountinfo(const char *text, const char *controller,
	    const char *cgpath, char *root, size_t rootlen, char *mnt,
	    size_t mntlen);

/*
 * From a cgroup's path and its hierarchy's mount to the directory that
 * holds its files, for probe.c and oom.c alike. Strings in, a string out.
 */

/*
 * True when cgpath, a path from /proc/self/cgroup, has no ".."
 * component: the kernel shows "/../x" for a cgroup outside our cgroup
 * namespace, which no mount of ours can reach, and a walk up the
 * ancestors must never climb out of the mount point.
 */
bool	probe_cgroup_plain(const char *cgpath);

/*
 * The directory of the cgroup cgpath in a hierarchy mounted at mnt whose
 * root is mroot, as probe_parse_mountinfo() found them: mnt without its
 * trailing slashes, followed by what cgpath adds to mroot. Copies it
 * into dir and sets *top to the length of the mount point's part (0 for
 * a mount on "/"), where a walk up the ancestors stops. Returns 0, or -1
 * when cgpath is not plain or not mroot or below it, or when the
 * directory does not fit in len.
 */
int	probe_cgroup_dir(const char *cgpath, const char *mroot,
	    const char *mnt, char *dir, size_t len, size_t *top);

#endif /* PREFORK_PROBE_PARSE_H */
