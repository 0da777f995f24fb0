#!/bin/sh
# SPDX-License-Identifier: ISC
# nspawn_test: the systemd units under a real systemd. Boots a minimal
# Debian 12 (mmdebstrap --variant=minbase) with systemd-nspawn, with what
# make install DESTDIR=... of this build installs (the program, its units,
# the empty configuration directory) and the demo worker in it, and runs
# tests/nspawn/inside.sh there as a service: start, status, reload, a
# killed worker, socket activation, the watchdog, stop with nothing left
# in the unit's cgroup, and a configuration error that is not restarted.
#
# The root is built once and cached in $PREFORK_NSPAWN_CACHE (default
# /var/cache/prefork-test), keyed by what goes into it (remove it to
# build a fresh one from the current packages); the container runs
# on a throw-away overlay of it (--volatile=overlay), in its own network
# namespace, and is always stopped. Skips, saying why, when it cannot run:
# not root, no mmdebstrap or systemd-nspawn, no mirror, a sanitizer build,
# or PREFORK_NSPAWN_TEST=no (how distcheck and CI's second pass leave it
# out).
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
if ldd "$PREFORK_BIN" | grep -q 'libasan\|libubsan'; then
	skip "a sanitizer build: the container has no sanitizer runtime"
fi

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
deadline=${PREFORK_NSPAWN_TIMEOUT:-300}

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

# What make install puts in place; the sub-make must not look for the
# jobserver of the make check that runs this test.
dest=$work/dest
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$PREFORK_BUILDDIR" \
    install DESTDIR="$dest" >"$work/install.log" 2>&1; then
	cat "$work/install.log"
	hard "make install DESTDIR=$dest failed"
fi
if [ ! -d "$dest$PREFORK_UNITCONFDIR" ]; then
	echo "FAIL: make install did not create $PREFORK_UNITCONFDIR"
	exit 1
fi
[ -n "$(find "$dest" -name 'prefork@.service')" ] ||
	skip "this build installs no units (--with-systemdsystemunitdir=no)"

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
# prefork.service runs "python3 worker.py" in /srv/app; prefork.socket
# hands it 127.0.0.1:8000, the same address as listen (ignored).
cat >"$stage/etc/app.ini" <<'INI'
[prefork]
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
Environment=CONFDIR=$PREFORK_UNITCONFDIR
ExecStart=/bin/sh /usr/local/share/prefork-test/inside.sh
UNIT

# The cached root is never written: --volatile=overlay puts a tmpfs over
# it. The installed files and the test's are bound in read-only, the
# configurations and the results read-write.
set --
for f in $(cd "$dest" && find . -type f | sed 's|^\.||'); do
	set -- "$@" --bind-ro="$dest$f:$f"
done
test=/usr/local/share/prefork-test
echo "booting the container (at most ${deadline}s)"
timeout -k 10 "$deadline" systemd-nspawn --quiet --boot --keep-unit \
    --register=no --machine="prefork-test-$$" --directory="$root" \
    --volatile=overlay --private-network --console=read-only \
    --bind="$work/results:/results" \
    --bind="$stage/etc:$PREFORK_UNITCONFDIR" \
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
