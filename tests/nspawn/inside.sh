#!/bin/sh
# SPDX-License-Identifier: ISC
# Runs inside the Debian 12 container that tests/nspawn_test.sh boots, as
# a service of the container's systemd, and drives the installed units the
# way an operator would: start, status, reload, a killed worker, socket
# activation, the watchdog, stop, a configuration error, prefork.service
# without its file, and the README's commands as the README writes them.
# With PREFORK_TEST_DEB, it first installs the package with dpkg -i, and
# last upgrades it to PREFORK_TEST_DEB_NEXT under two running pools.
# Every step goes to /results/log; the verdict goes to /results/status
# ("ok", or "FAIL: why"), then the container powers off. Every wait has a
# deadline.
set -u
# The units' configuration directory (/etc/prefork unless configured
# otherwise), and the packages, from the test's unit.
conf=${CONFDIR:-/etc/prefork}
deb=${PREFORK_TEST_DEB:-}
deb_next=${PREFORK_TEST_DEB_NEXT:-}

out=/results/log
exec >>"$out" 2>&1

step() {
	printf '\n== %s\n' "$*"
}

finish() {
	echo "$1" >/results/status.tmp && mv /results/status.tmp /results/status
	systemctl --no-block poweroff
	exit 0
}

# A script error (set -u) ends the shell without a verdict: say so at
# once, rather than leave the host to wait out its whole deadline.
trap '[ -f /results/status ] ||
	finish "FAIL: inside.sh ended without a verdict (see the log)"' EXIT

fail() {
	echo "FAIL: $*"
	for u in prefork@demo prefork@nope prefork@app prefork@up \
	    prefork.service prefork.socket; do
		systemctl status --no-pager "$u" 2>&1 | head -20
		journalctl -b --no-pager -o short-monotonic -u "$u" | tail -40
	done
	finish "FAIL: $*"
}

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every 0.1 s until it
# succeeds, or fails the test after SECONDS.
wait_until() {
	limit=$1 what=$2
	shift 2
	end=$(($(date +%s) + limit))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || fail "$what (after ${limit}s)"
		sleep 0.1
	done
}

prop() {
	systemctl show -P "$2" "$1"
}

prop_is() {
	[ "$(prop "$1" "$2")" = "$3" ]
}

status_has() {
	case $(prop "$1" StatusText) in
	*"$2"*) return 0 ;;
	esac
	return 1
}

# One HTTP request to 127.0.0.1:PORT; prints the answer.
get() {
	python3 - "$1" <<'EOF'
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1],
                            timeout=5) as r:
    print(r.read().decode().strip())
EOF
}

served() {
	get "$1" | grep -q '^hello from worker'
}

# The master's children but its guard (prefork(8), "When the master dies").
workers_of() {
	for p in $(pgrep -P "$1"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = prefork-guard ] ||
			echo "$p"
	done | sort
}

# Three workers again, victim not among them.
replaced() {
	[ "$(workers_of "$1" | wc -l)" -eq 3 ] && ! workers_of "$1" | grep -qx "$2"
}

# Three workers again, victim not among them.
victim_replaced() {
	[ "$(workers_of "$1" | wc -l)" -eq 3 ] && ! workers_of "$1" | grep -qx "$2"
}

count_is() {
	[ "$(workers_of "$1" | wc -l)" -eq "$2" ]
}

# The worker PIDs of MAIN are all new compared to the list OLD, N of them.
replaced() {
	count_is "$1" "$3" || return 1
	for p in $(workers_of "$1"); do
		echo "$2" | grep -qx "$p" && return 1
	done
	return 0
}

# "SLOT PID" of each worker, from preforkctl status on socket SOCK.
slots_of() {
	preforkctl -s "$1" status | awk '$1 ~ /^[0-9]+$/ { print $1, $2 }'
}

# The unit's properties that a restart would change.
lifetime_of() {
	systemctl show -p MainPID -p ExecMainPID -p NRestarts \
	    -p ActiveEnterTimestamp -p InvocationID "$1"
}

# The control socket of a shipped unit: in its RuntimeDirectory=.
sock_of() {
	echo "/run/$(prop "$1" RuntimeDirectory)/control.sock"
}

# The inode of the file that process PID runs.
exe_inode() {
	stat -L -c %i "/proc/$1/exe"
}

cgroup_empty() {
	! [ -s "$1/cgroup.procs" ]
}

cgroup_dir() {
	cg=$(prop "$1" ControlGroup)
	[ -n "$cg" ] || fail "$1: no ControlGroup"
	for root in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
		if [ -f "$root$cg/cgroup.procs" ]; then
			echo "$root$cg"
			return
		fi
	done
	fail "$1: no cgroup.procs for $cg"
}

step "boot"
wait_until 60 "the system did not finish booting" \
	sh -c 'systemctl is-system-running | grep -Eq "running|degraded"'
systemctl is-system-running
cat /proc/self/cgroup
systemd --version | head -1

if [ -n "$deb" ]; then
	# As the README, "Installing from a package", writes it.
	step "apt install ./prefork_*.deb: the units installed, none enabled or started"
	(cd "$(dirname "$deb")" && timeout 120 apt install ./prefork_*.deb) ||
		fail "apt install $deb"
	for f in /usr/bin/prefork /usr/bin/preforkctl \
	    /lib/systemd/system/prefork.service \
	    /lib/systemd/system/prefork@.service \
	    /lib/systemd/system/prefork.socket \
	    /usr/share/man/man8/prefork.8.gz \
	    /usr/share/man/man8/preforkctl.8.gz \
	    /usr/share/man/man5/prefork.ini.5.gz \
	    /usr/share/doc/prefork/copyright \
	    /usr/share/doc/prefork/examples/prefork.ini; do
		[ -f "$f" ] || fail "the package did not install $f"
	done
	[ -d /etc/prefork ] || fail "the package did not make /etc/prefork"
	for u in prefork.service prefork.socket; do
		state=$(systemctl is-enabled "$u")
		[ "$state" = disabled ] || fail "$u is $state after dpkg -i"
		prop_is "$u" ActiveState inactive ||
			fail "$u is $(prop "$u" ActiveState) after dpkg -i"
	done
	active=$(systemctl list-units --no-legend --plain 'prefork.*' \
	    'prefork@*')
	[ -z "$active" ] || fail "active after dpkg -i: $active"
	enabled=$(find /etc/systemd/system -name 'prefork[.@]*')
	[ -z "$enabled" ] || fail "enabled after dpkg -i: $enabled"
fi

step "start prefork@demo: Type=notify, ready with STATUS="
timeout 60 systemctl start prefork@demo || fail "systemctl start prefork@demo"
prop_is prefork@demo ActiveState active || fail "prefork@demo is not active"
status_has prefork@demo "2/2 workers ready" ||
	fail "StatusText: $(prop prefork@demo StatusText)"
prop prefork@demo FragmentPath
prop prefork@demo StatusText
main=$(prop prefork@demo MainPID)
wait_until 10 "2 workers" count_is "$main" 2
pgrep -x -P "$main" prefork-guard >/dev/null ||
	fail "the master has no guard (prefork-guard) among its children"
served 8001 || fail "no answer on 127.0.0.1:8001"
get 8001
# user = nobody: the workers run as nobody, the master as root.
for p in $(workers_of "$main"); do
	[ "$(ps -o user= -p "$p")" = nobody ] || fail "worker $p is not nobody"
done
[ "$(ps -o user= -p "$main")" = root ] || fail "the master is not root"
# journald adds "prefork[PID]: " itself: the message has none of its own.
journalctl -b --no-pager -o cat -u prefork@demo | head -3
journalctl -b --no-pager -o cat -u prefork@demo | grep -q '^info: pool ready' ||
	fail "no 'info: pool ready' in the journal"
if journalctl -b --no-pager -o cat -u prefork@demo | grep -q 'prefork\['; then
	fail "the journal shows prefork[PID]: twice"
fi
systemd-analyze security prefork@demo.service | tail -1

step "reload: a resize to 3 workers, RELOADING=1 then READY=1"
sed -i 's/^workers = 2$/workers = 3/' "$conf/demo.ini"
timeout 60 systemctl reload prefork@demo || fail "systemctl reload"
wait_until 30 "reload: no 3/3 workers ready" status_has prefork@demo \
	"3/3 workers ready"
wait_until 30 "reload: not active again" prop_is prefork@demo ActiveState active
prop prefork@demo StatusText
[ "$(prop prefork@demo MainPID)" = "$main" ] || fail "reload changed MainPID"
wait_until 10 "3 workers after the reload" count_is "$main" 3
journalctl -b --no-pager -o cat -u prefork@demo | grep -q '^Reloaded\|Reloaded prefork' ||
	journalctl -b --no-pager | grep -q 'Reloaded prefork@demo' ||
	fail "systemd did not log the reload"

step "preforkctl: the instance's control socket in its RuntimeDirectory"
sock=/run/prefork-demo/control.sock
[ -S "$sock" ] || fail "no control socket at $sock"
[ "$(stat -c %a "$sock")" = 600 ] || fail "$sock is not 0600"
preforkctl -s "$sock" status || fail "preforkctl status"
preforkctl -s "$sock" status | grep -q '^pool: 3/3 workers ready' ||
	fail "preforkctl status does not say 3/3 workers ready"
preforkctl -s "$sock" status --check || fail "preforkctl status --check"
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	preforkctl -s "$sock" status || rc=$?
[ "$rc" = 77 ] || fail "preforkctl as nobody: exit $rc, not 77"

step "a killed worker is replaced; the unit is not restarted"
victim=$(workers_of "$main" | head -1)
kill -KILL "$victim"
wait_until 20 "worker $victim was not replaced" victim_replaced "$main" \
	"$victim"
wait_until 20 "not ready after the replacement" status_has prefork@demo \
	"3/3 workers ready"
prop_is prefork@demo NRestarts 0 || fail "NRestarts is not 0"
[ "$(prop prefork@demo MainPID)" = "$main" ] || fail "the master changed"
served 8001 || fail "no answer after the replacement"

step "watchdog: WATCHDOG=1 keeps it alive past WatchdogSec"
mkdir -p /run/systemd/system/prefork@demo.service.d
cat >/run/systemd/system/prefork@demo.service.d/watchdog.conf <<'EOF'
[Service]
WatchdogSec=1s
TimeoutAbortSec=2s
EOF
systemctl daemon-reload
timeout 60 systemctl restart prefork@demo || fail "restart with WatchdogSec"
main=$(prop prefork@demo MainPID)
prop prefork@demo WatchdogUSec
# systemd stamps every WATCHDOG=1 it gets: wait for one 4 WatchdogSec
# after the start, the master still the same.
t0=$(prop prefork@demo ExecMainStartTimestampMonotonic)
wait_until 15 "no WATCHDOG=1 4s after the start" sh -c \
	"[ \$(systemctl show -P WatchdogTimestampMonotonic prefork@demo) -gt $((t0 + 4000000)) ]"
prop_is prefork@demo ActiveState active || fail "killed by the watchdog"
[ "$(prop prefork@demo MainPID)" = "$main" ] || fail "restarted by the watchdog"
prop_is prefork@demo NRestarts 0 || fail "NRestarts is not 0 with the watchdog"

step "watchdog: a stuck master is killed and restarted"
kill -STOP "$main"
wait_until 30 "a stopped master was not restarted" sh -c \
	"[ \$(systemctl show -P NRestarts prefork@demo) = 1 ]"
wait_until 30 "not active after the watchdog restart" \
	prop_is prefork@demo ActiveState active
[ "$(prop prefork@demo MainPID)" != "$main" ] || fail "the same master"
journalctl -b --no-pager -u prefork@demo | grep -i 'watchdog timeout' ||
	fail "no watchdog timeout in the journal"
rm -r /run/systemd/system/prefork@demo.service.d
systemctl daemon-reload

step "stop: nothing left in the unit's cgroup"
main=$(prop prefork@demo MainPID)
cg=$(cgroup_dir prefork@demo)
echo "$cg"
cat "$cg/cgroup.procs"
[ "$(wc -l <"$cg/cgroup.procs")" -ge 4 ] ||
	fail "$cg/cgroup.procs does not hold the master and 3 workers"
timeout 60 systemctl stop prefork@demo || fail "systemctl stop"
prop_is prefork@demo ActiveState inactive || fail "not inactive after stop"
prop_is prefork@demo Result success || fail "Result: $(prop prefork@demo Result)"
if [ -d "$cg" ] && ! cgroup_empty "$cg"; then
	fail "left in $cg: $(cat "$cg/cgroup.procs")"
fi
if pgrep -u nobody; then
	fail "a worker survived the stop"
fi

step "socket activation: prefork.socket starts prefork.service"
timeout 30 systemctl start prefork.socket || fail "start prefork.socket"
prop_is prefork.service ActiveState inactive || fail "started before a client"
served 8000 || fail "no answer through the activated socket"
get 8000
wait_until 30 "prefork.service is not active" \
	prop_is prefork.service ActiveState active
journalctl -b --no-pager -o cat -u prefork.service |
	grep 'socket-activated' || fail "no socket-activated line"
# RuntimeDirectory=prefork: preforkctl finds the socket with no option.
preforkctl status || fail "preforkctl status, with no option"
preforkctl status --json | grep -q '"healthy":true' ||
	fail "preforkctl status --json: not healthy"
# (The control socket's "listening on" line is not about listen =.)
[ "$(journalctl -b --no-pager -o cat -u prefork.service |
	grep -v '^info: control: listening on ' |
	grep -c 'listen')" -eq 1 ] || fail "listen is mentioned more than once"
journalctl -b --no-pager -o cat -u prefork.service |
	grep -q '^info: socket-activated: 1 sockets from systemd; listen is ignored$' ||
	fail "activation with listen = is not one info line"
# A reload with the same listen: nothing more said about it. The resize
# is logged after the new file is adopted.
sed -i 's/^workers = 2$/workers = 3/' "$conf/app.ini"
timeout 60 systemctl reload prefork.service || fail "reload prefork.service"
wait_until 30 "prefork.service did not resize on reload" sh -c \
	"journalctl -b --no-pager -o cat -u prefork.service | grep -q 'SIGHUP: 2 -> 3 workers'"
[ "$(journalctl -b --no-pager -o cat -u prefork.service |
	grep -v '^info: control: listening on ' |
	grep -c 'listen')" -eq 1 ] || fail "the reload said listen again"
served 8000 || fail "no answer after the reload"
timeout 60 systemctl stop prefork.service prefork.socket || fail "stop"

step "a configuration error fails once, not restarted"
timeout 60 systemctl start prefork@nope && fail "prefork@nope started"
# Restarted, it would be "activating" until the start limit, and only
# then "failed", with NRestarts=5.
wait_until 30 "prefork@nope is not failed" prop_is prefork@nope ActiveState failed
systemctl show -p ActiveState -p Result -p NRestarts -p ExecMainStatus prefork@nope
prop_is prefork@nope ActiveState failed || fail "prefork@nope is restarting"
prop_is prefork@nope NRestarts 0 || fail "prefork@nope was restarted"
prop_is prefork@nope Result exit-code || fail "Result is not exit-code"
prop_is prefork@nope ExecMainStatus 78 || fail "the exit status is not 78"
journalctl -b --no-pager -o cat -u prefork@nope | grep "$conf/nope.ini" ||
	fail "the error does not name the file"

step "prefork.service without its file: skipped, not failed"
mv "$conf/app.ini" "$conf/app.ini.away"
timeout 60 systemctl start prefork.service ||
	fail "systemctl start prefork.service without $conf/app.ini"
prop_is prefork.service ActiveState inactive ||
	fail "prefork.service is $(prop prefork.service ActiveState) without $conf/app.ini"
prop_is prefork.service ConditionResult no ||
	fail "prefork.service: ConditionResult is $(prop prefork.service ConditionResult)"
prop_is prefork.service Result success ||
	fail "prefork.service: Result is $(prop prefork.service Result)"
journalctl -b --no-pager -o cat -u prefork.service | tail -1
journalctl -b --no-pager -o cat -u prefork.service |
	grep -q "unmet condition check (ConditionPathExists=$conf/app.ini)" ||
	fail "no 'unmet condition check' for $conf/app.ini in the journal"
mv "$conf/app.ini.away" "$conf/app.ini"

# As README.md, "systemd" and "Upgrading prefork without a restart",
# writes them, with /etc/prefork/app.ini in place.
step "the README: systemctl enable --now prefork@app; preforkctl status"
systemctl enable --now prefork@app || fail "systemctl enable --now prefork@app"
wait_until 30 "prefork@app: no 3/3 workers ready" status_has prefork@app \
	"3/3 workers ready"
[ "$(systemctl is-enabled prefork@app)" = enabled ] ||
	fail "prefork@app is not enabled"
preforkctl -s /run/prefork-app/control.sock status ||
	fail "preforkctl -s /run/prefork-app/control.sock status"
served 8000 || fail "prefork@app does not answer on 127.0.0.1:8000"

step "the README: preforkctl upgrade, by hand"
main=$(prop prefork@app MainPID)
before=$(slots_of /run/prefork-app/control.sock)
out=$(preforkctl -s /run/prefork-app/control.sock upgrade) ||
	fail "preforkctl -s /run/prefork-app/control.sock upgrade: $out"
echo "$out"
echo "$out" | grep -q "^upgraded: prefork .* -> .*, pid $main, 3 workers kept$" ||
	fail "preforkctl upgrade said: $out"
wait_until 30 "prefork@app: not active after the upgrade" \
	prop_is prefork@app ActiveState active
[ "$(prop prefork@app MainPID)" = "$main" ] || fail "the upgrade changed MainPID"
[ "$(slots_of /run/prefork-app/control.sock)" = "$before" ] ||
	fail "the workers changed: $before, now $(slots_of /run/prefork-app/control.sock)"

if [ -n "$deb" ]; then
	# Three pools: prefork.service (which debhelper's default would
	# restart) and prefork@up, upgraded in place; prefork@demo, whose
	# file the new binary's --check refuses (a duplicate key), so that
	# its master refuses the upgrade and runs on.
	step "dpkg -i the next version: pools upgraded in place, none restarted"
	systemctl disable --now prefork@app || fail "disable --now prefork@app"
	sed 's/:8001$/:8002/' "$conf/demo.ini" >"$conf/up.ini"
	good="prefork.service prefork@up.service" bad=prefork@demo.service
	timeout 60 systemctl start $good $bad || fail "start $good $bad"
	mkdir -p /run/before
	for u in $good $bad; do
		wait_until 30 "$u: no 3/3 workers ready" \
			status_has "$u" "3/3 workers ready"
		lifetime_of "$u" >"/run/before/$u.life"
		slots_of "$(sock_of "$u")" >"/run/before/$u.slots"
		[ "$(wc -l <"/run/before/$u.slots")" -eq 3 ] ||
			fail "$u: not 3 workers: $(cat "/run/before/$u.slots")"
		[ "$(exe_inode "$(prop "$u" MainPID)")" = \
		    "$(stat -c %i /usr/bin/prefork)" ] ||
			fail "$u does not run /usr/bin/prefork before"
		echo "$u:" $(cat "/run/before/$u.life" "/run/before/$u.slots")
	done
	old_exe=$(stat -c %i /usr/bin/prefork)
	echo "workers = 1" >>"$conf/demo.ini"
	timeout 300 dpkg -i "$deb_next" >/results/dpkg.out 2>&1 ||
		fail "dpkg -i $deb_next: $(cat /results/dpkg.out)"
	cat /results/dpkg.out
	dpkg-query -W -f '${Version}\n' prefork
	new_exe=$(stat -c %i /usr/bin/prefork)
	[ "$new_exe" != "$old_exe" ] ||
		fail "dpkg did not write a new /usr/bin/prefork"
	for u in $good $bad; do
		main=$(sed -n 's/^MainPID=//p' "/run/before/$u.life")
		if [ "$u" = "$bad" ]; then
			grep -q "^prefork: $u not upgraded in place, it still runs the old binary: .*$conf/demo.ini" \
			    /results/dpkg.out ||
				fail "the postinst did not say why $u was not upgraded"
			want=$old_exe
		else
			grep -q "^prefork: $u: upgraded: prefork .* -> .*, pid $main, 3 workers kept$" \
			    /results/dpkg.out ||
				fail "the postinst did not upgrade $u"
			want=$new_exe
		fi
		wait_until 30 "$u: not active after the package upgrade" \
			prop_is "$u" ActiveState active
		[ "$(lifetime_of "$u")" = "$(cat "/run/before/$u.life")" ] ||
			fail "$u restarted: $(cat "/run/before/$u.life"), now $(lifetime_of "$u")"
		[ "$(slots_of "$(sock_of "$u")")" = "$(cat "/run/before/$u.slots")" ] ||
			fail "$u: the workers changed: $(cat "/run/before/$u.slots"), now $(slots_of "$(sock_of "$u")")"
		[ "$(exe_inode "$main")" = "$want" ] ||
			fail "$u runs the wrong binary: $(ls -l /proc/"$main"/exe)"
		ls -l /proc/"$main"/exe
	done
	for port in 8000 8001 8002; do
		served "$port" || fail "no answer on $port after the package upgrade"
	done

	step "dpkg -r: every pool stopped"
	timeout 120 dpkg -r prefork || fail "dpkg -r prefork"
	for u in $good $bad; do
		prop_is "$u" ActiveState inactive ||
			fail "$u is $(prop "$u" ActiveState) after dpkg -r"
	done
	if pgrep -x prefork; then
		fail "a master survived dpkg -r"
	fi
fi

finish ok
