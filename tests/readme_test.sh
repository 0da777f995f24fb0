#!/bin/sh
# SPDX-License-Identifier: ISC
# readme_test: the README's examples, run as written after its first
# command (tests/readme/examples.py says how they are compared), with the
# built prefork and preforkctl first in PATH, as "make install" puts them.
# In namespaces of its own: a PID namespace, so that pgrep finds only
# this demo and nothing it starts outlives the test; a network namespace,
# so that the demo's port 8000 is free; a private /run for its control
# socket. Root only; skips, saying why, elsewhere.
set -eu

skip() {
	echo "skip: $*"
	exit 77
}

: "${PREFORK_BIN:?run it with make check}"
: "${PREFORK_SRCDIR:?run it with make check}"
[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, /run)"
command -v unshare >/dev/null || skip "unshare is missing (util-linux)"
command -v python3 >/dev/null || skip "python3 is missing"
unshare --pid --fork --mount-proc --net --mount true 2>/dev/null ||
	skip "this machine cannot make PID, network and mount namespaces"

work=$(mktemp -d /tmp/prefork-readme.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
bindir=$(dirname "$PREFORK_BIN")
ctldir=$(dirname "${PREFORKCTL_BIN:-$PREFORK_BIN}")

PATH=$bindir:$ctldir:$PATH timeout -k 10 1200 \
    unshare --pid --fork --mount-proc --net --mount --propagation private \
    sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run &&
	exec python3 "$1/tests/readme/examples.py" "$1" "$2"' \
    sh "$PREFORK_SRCDIR" "$work"
