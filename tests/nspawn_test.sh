#!/bin/sh
# SPDX-License-Identifier: ISC
# nspawn_test: the systemd units under a real systemd. Boots a minimal
# Debian 12 (mmdebstrap --variant=minbase) with systemd-nspawn, with what
# make install DESTDIR=... of this build installs (the program, its units,
# the empty configuration directory) and the demo worker in it, and runs
# tests/nspawn/inside.sh there as a service: start, status, reload, a
# killed worker, socket activation, the watchdog, stop with nothing left
# in the unit's cgroup, a configuration error that is not restarted,
# prefork.service skipped without its file, and the README's commands.
#
# With PREFORK_DEB=FILE (the package that dpkg-buildpackage built, as
# .ci/run passes it), the container installs that package with dpkg -i
# instead, nothing enabled or started, and at the end upgrades it to a
# copy repacked with a higher version: the running pools are upgraded in
# place by the postinst (same master, same workers, no restart), and a
# pool whose upgrade fails keeps running, the postinst saying why.
#
# The root is built once and cached in $PREFORK_NSPAWN_CACHE (default
# /var/cache/prefork-test), keyed by what goes into it (remove it to
# build a fresh one from the current packages); the container runs
# on a throw-away overlay of it (--volatile=overlay), in its own network
# namespace, and is always stopped. Skips, saying why, when it cannot run:
# not root, no mmdebstrap or systemd-nspawn, no mirror, a machine that
# cannot run a container (a chroot whose / is not a mount point, no
# cgroup file system: a preflight runs /bin/true in one first), a
# sanitizer build, or PREFORK_NSPAWN_TEST=no (how distcheck and CI's
# second pass leave it out). Once the preflight passed, a container that
# does not come up is a failure.
set -eu

skip() {
	echo "skip: $*"
	exit 77
}

# A fault of the test set-up itself, not of prefork.
hard() {
	echo "error: $*" >&2
	exit 99
}

[ "${PREFORK_NSPAWN_TEST:-yes}" != no ] || skip "PREFORK_NSPAWN_TEST=no"
[ "$(id -u)" -eq 0 ] || skip "needs root (mmdebstrap, systemd-nspawn)"
for tool in mmdebstrap systemd-nspawn; do
	command -v "$tool" >/dev/null ||
		skip "$tool is missing (Debian: mmdebstrap, systemd-container)"
done
: "${PREFORK_BIN:?run it with make check}"
: "${PREFORK_SRCDIR:?run it with make check}"
: "${PREFORK_BUILDDIR:?run it with make check}"
: "${PREFORK_UNITCONFDIR:?run it with make check}"
deb=${PREFORK_DEB:-}
if [ -n "$deb" ]; then
	case $deb in
	/*) ;;
	*) deb=$(pwd)/$deb ;;
	esac
	[ -f "$deb" ] || hard "PREFORK_DEB=$deb: no such file"
	[ "$(dpkg-deb --field "$deb" Package 2>/dev/null)" = prefork ] ||
		hard "PREFORK_DEB=$deb: not a prefork package (dpkg-deb --field)"
elif ldd "$PREFORK_BIN" | grep -q 'libasan\|libubsan'; then
	skip "a sanitizer build: the container has no sanitizer runtime"
fi

# Can this machine run a container at all? Said here, as a skip, so that
# a failure below is prefork's, not the machine's.
cannot() {
	skip "this machine cannot run a container: $*"
}
mountpoint -q / ||
	cannot "/ is not a mount point (a chroot?), which systemd-nspawn needs"
[ -f /sys/fs/cgroup/cgroup.procs ] || [ -d /sys/fs/cgroup/systemd ] ||
	cannot "no cgroup file system at /sys/fs/cgroup"
[ -f /proc/self/mountinfo ] || cannot "no /proc"

suite=bookworm
# The host's Debian mirror, as apt knows it, unless told otherwise.
mirror=${PREFORK_NSPAWN_MIRROR:-$(sed -n \
	-e 's/^URIs: *\([^ ]*\).*/\1/p' \
	-e 's/^deb  *\(\[[^]]*\]  *\)\{0,1\}\([^ ]*\)  *bookworm .*/\2/p' \
	/etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
	grep -v security | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
# libev4 and libinih1: the libraries prefork links; python3: the demo
# worker; procps: pgrep and ps for the checks.
packages=systemd,systemd-sysv,dbus,python3,procps,libev4,libinih1
cache=${PREFORK_NSPAWN_CACHE:-/var/cache/prefork-test}
key=$(printf '%s\n' "$suite" "$mirror" "$packages" minbase 1 |
	sha256sum | cut -c1-16)
root=$cache/root-$key
deadline=${PREFORK_NSPAWN_TIMEOUT:-600}

work=$(mktemp -d /tmp/prefork-nspawn.XXXXXX)
nspawn_pid=
cleanup() {
	rc=$?
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# nspawn halts the container on TERM, and kills it on a second.
		kill -TERM "$nspawn_pid" 2>/dev/null || :
		i=0
		while kill -0 "$nspawn_pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		# timeout(1) cannot pass a KILL on: its child first.
		pkill -KILL -P "$nspawn_pid" 2>/dev/null || :
		kill -KILL "$nspawn_pid" 2>/dev/null || :
		wait "$nspawn_pid" 2>/dev/null || :
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

t0=$(date +%s)

# The root, built by one test run at a time; a finished root is renamed
# into place, so a half-built one is never used.
mkdir -p "$cache"
if [ ! -x "$root/lib/systemd/systemd" ]; then
	if ! timeout 20 python3 -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/dists/bookworm/Release", timeout=15)' \
	    "$mirror" 2>"$work/mirror.err"; then
		skip "the Debian mirror $mirror cannot be reached: $(tail -1 "$work/mirror.err")"
	fi
	(
		flock 9
		if [ ! -x "$root/lib/systemd/systemd" ]; then
			rm -rf "$root.tmp"
			echo "building $root (mmdebstrap $suite from $mirror)"
			timeout 600 mmdebstrap --quiet --variant=minbase \
			    --include="$packages" "$suite" "$root.tmp" "$mirror" ||
			    hard "mmdebstrap failed"
			mv "$root.tmp" "$root"
		fi
	) 9>"$cache/lock"
fi
echo "root: $root (ready after $(($(date +%s) - t0))s)"

# nspawn SECONDS ARG...: the container, with the same flags for the
# preflight and the test, ended after SECONDS; it execs timeout(1), so
# that run in the background, $! is its pid.
nspawn() {
	limit=$1
	shift
	exec timeout -k 10 "$limit" systemd-nspawn --quiet --keep-unit \
	    --register=no --machine="prefork-test-$$" --directory="$root" \
	    --volatile=overlay --private-network "$@"
}
if ! (nspawn 120 /bin/true) >"$work/preflight" 2>&1 </dev/null; then
	cannot "systemd-nspawn --directory=$root /bin/true failed:" \
	    "$(tail -3 "$work/preflight" | tr '\n' ' ')"
fi

dest=$work/dest
set --
if [ -n "$deb" ]; then
	# The package, and the next version of it: the same files repacked
	# with a higher version, so that dpkg writes each anew.
	conf=/etc/prefork
	mkdir -p "$work/debs/next" "$work/next"
	deb_in=/debs/$(basename "$deb")
	cp "$deb" "$work$deb_in"
	dpkg-deb -R "$deb" "$work/next"
	version=$(dpkg-deb --field "$deb" Version)
	next=$version+nspawn1
	deb_next=/debs/next/prefork_${next}_$(dpkg-deb --field "$deb" \
	    Architecture).deb
	sed -i "s/^Version: .*/Version: $next/" "$work/next/DEBIAN/control"
	dpkg-deb -b "$work/next" "$work$deb_next" >/dev/null
	rm -rf "$work/next"
	echo "the package: $deb ($version), the next: $next"
	set -- --bind-ro="$work/debs:/debs"
else
	# What make install puts in place; the sub-make must not look for
	# the jobserver of the make check that runs this test.
	conf=$PREFORK_UNITCONFDIR
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s \
	    -C "$PREFORK_BUILDDIR" install DESTDIR="$dest" \
	    >"$work/install.log" 2>&1; then
		cat "$work/install.log"
		hard "make install DESTDIR=$dest failed"
	fi
	if [ ! -d "$dest$PREFORK_UNITCONFDIR" ]; then
		echo "FAIL: make install did not create $PREFORK_UNITCONFDIR"
		exit 1
	fi
	[ -n "$(find "$dest" -name 'prefork@.service')" ] || skip \
	    "this build installs no units (--with-systemdsystemunitdir=no)"
	# The installed files are bound in read-only.
	for f in $(cd "$dest" && find . -type f | sed 's|^\.||'); do
		set -- "$@" --bind-ro="$dest$f:$f"
	done
fi

stage=$work/stage
mkdir -p "$stage/etc" "$work/results"
cp "$PREFORK_SRCDIR/examples/http_worker.py" "$stage/http_worker.py"
cp "$PREFORK_SRCDIR/tests/nspawn/inside.sh" "$stage/inside.sh"
chmod 0644 "$stage/http_worker.py" "$stage/inside.sh"
cat >"$stage/etc/demo.ini" <<'INI'
; The template's pool: the demo worker, as nobody, on port 8001.
[prefork]
command = python3 /usr/local/share/prefork-test/http_worker.py
listen = 127.0.0.1:8001
workers = 2
user = nobody
ready = notify
ready_timeout = 10s
timeout = 10s
graceful_timeout = 5s
INI
# prefork.service runs "python3 worker.py" in /srv/app (the command line
# wins over command =); prefork.socket hands it 127.0.0.1:8000, the same
# address as listen (ignored). prefork@app, the README's, runs command.
cat >"$stage/etc/app.ini" <<'INI'
[prefork]
command = python3 /usr/local/share/prefork-test/http_worker.py
listen = 127.0.0.1:8000
workers = 2
ready = notify
ready_timeout = 10s
timeout = 10s
graceful_timeout = 5s
INI
cat >"$stage/prefork-nspawn-test.service" <<UNIT
[Unit]
Description=prefork nspawn test
After=multi-user.target

[Service]
Type=exec
Environment=CONFDIR=$conf
Environment=PREFORK_TEST_DEB=${deb:+$deb_in}
Environment=PREFORK_TEST_DEB_NEXT=${deb:+$deb_next}
ExecStart=/bin/sh /usr/local/share/prefork-test/inside.sh
UNIT

# The cached root is never written: --volatile=overlay puts a tmpfs over
# it. The test's files (and the installed ones, or the packages) are
# bound in read-only, the configurations and the results read-write.
test=/usr/local/share/prefork-test
echo "booting the container (at most ${deadline}s)"
nspawn "$deadline" --boot --console=read-only \
    --bind="$work/results:/results" \
    --bind="$stage/etc:$conf" \
    --bind-ro="$stage/http_worker.py:$test/http_worker.py" \
    --bind-ro="$stage/inside.sh:$test/inside.sh" \
    --bind-ro="$stage/http_worker.py:/srv/app/worker.py" \
    --bind-ro="$stage/prefork-nspawn-test.service:/etc/systemd/system/prefork-nspawn-test.service" \
    "$@" systemd.wants=prefork-nspawn-test.service \
    >"$work/console" 2>&1 </dev/null &
nspawn_pid=$!

# The verdict, or the container's end, or the deadline.
while [ ! -f "$work/results/status" ] && kill -0 "$nspawn_pid" 2>/dev/null; do
	sleep 0.2
done
status=$(cat "$work/results/status" 2>/dev/null || echo "no verdict")
[ -f "$work/results/log" ] && cat "$work/results/log"
echo
echo "container: $status, after $(($(date +%s) - t0))s"
if [ "$status" != ok ]; then
	echo "--- console"
	tail -60 "$work/console"
	exit 1
fi
