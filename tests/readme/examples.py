#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Runs the README's examples as written, after its first command.

Every indented block of README.md whose lines begin with "$ " in the
sections below is a run of commands, each followed by the output the
README shows. For each section the demo is started as the set-up
command ends (its last "&&" part), from a copy of the source tree's
examples, and waited for; then each command runs, in one shell, so that
a variable one sets is there for the next, and the master is let settle
between two. A command must exit 0, and its output must agree with the
README's: the same labelled lines ("pool:", "Verdict:"), the same table
headers, a line that is a lone number (an "echo $?") the same number, a
"... message" line the same message, and a run of lines of one shape
(the answers of a loop of curl) as many lines of that shape. The metric
families of the scrape the Metrics section shows are those the demo
exports.

Usage: examples.py SRCDIR WORKDIR, with prefork and preforkctl in PATH
as "make install" would put them; run by readme_test.sh in namespaces of
its own (pid, net, mount) so that port 8000, /run and pgrep see only it.
Exits 0, 1 (a difference, printed), or 77 (skipped, saying why).
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

SECTIONS = ('Trying the demo', 'Sizing, and why', 'Sizing under load',
            'Configuration', 'Watching the pool')
WAIT_S = 120          # for the pool to be ready, or to settle
COMMAND_S = 120       # for one command

src, work = sys.argv[1], sys.argv[2]
problems = []


def skip(why):
    print('skip: %s' % why)
    sys.exit(77)


def blocks(text):
    """(section, [line]) for each indented block, "    " taken off."""
    section, block, out = None, [], []
    for line in text.splitlines() + ['']:
        if line.startswith('    ') or (block and line == ''):
            block.append(line[4:])
            continue
        while block and block[-1] == '':
            block.pop()
        if block:
            out.append((section, block))
        block = []
        m = re.match(r'## (.*)', line)
        if m:
            section = m.group(1).strip()
    return out


def commands(block):
    """[(command, [expected line])]: a block's "$ " lines and output."""
    cmds = []
    for line in block:
        if line.startswith('$ '):
            cmds.append((line[2:], []))
        elif cmds and line.strip():
            cmds[-1][1].append(line)
    return cmds


NUMBER = r'-?[0-9]+(?:\.[0-9]+)?(?: ?[KMGT]iB|[KMG])?'


def shape(line):
    """A regex of the line with its numbers (and sizes) free."""
    parts = re.split('(%s)' % NUMBER, ' '.join(line.split()))
    r = ''.join(NUMBER if i % 2 else re.escape(p)
                for i, p in enumerate(parts))
    return '^' + r.replace('\\ ', r'\s+') + '$'


LABEL = re.compile(r'^([A-Za-z][A-Za-z0-9 ._-]*):(\s|$)')
LOGLINE = re.compile(r'^[0-9-]+ [0-9:.]+ prefork\[[0-9]+\]: (.*)')
HEADER = re.compile(r'^[A-Z]{2,}( +[A-Z]{2,})+')


def labels(lines):
    return {m.group(1) for m in map(LABEL.match, lines) if m}


def compare(cmd, want, got):
    """Records where the output differs from the README's."""
    gotn = [' '.join(g.split()) for g in got]
    if labels(want) != labels(got):
        problems.append('%s: labelled lines %s in the README, %s here' %
                        (cmd, sorted(labels(want)), sorted(labels(got))))
    for w in want:
        wn = ' '.join(w.split())
        if HEADER.match(wn) and wn not in gotn:
            problems.append('%s: no header "%s" here' % (cmd, wn))
        elif re.fullmatch(r'[0-9]+', wn) and wn not in gotn:
            problems.append('%s: "%s" in the README, not here' % (cmd, wn))
        elif wn.startswith('... '):
            tail = shape(wn[4:])[1:]
            if not any(re.search(tail, g) for g in gotn):
                problems.append('%s: no line ending "%s" here' %
                                (cmd, wn[4:]))
    shapes = {shape(w) for w in want}
    if len(want) > 1 and len(shapes) == 1 and not labels(want):
        s = shapes.pop()
        if len(got) != len(want) or not all(re.match(s, g) for g in gotn):
            problems.append('%s: %d lines like "%s" in the README, here:\n%s'
                            % (cmd, len(want), want[0], '\n'.join(got)))


def sh(cmd, timeout=COMMAND_S):
    return subprocess.run(['sh', '-c', cmd], cwd=work, timeout=timeout,
                          capture_output=True, text=True)


def status():
    """The demo's status text, or None when no master answers."""
    r = sh('preforkctl -c examples/http.ini status', 30)
    return r.stdout if r.returncode == 0 else None


def settled(text):
    """Every slot's worker ready, none stopping or starting."""
    m = re.search(r'^pool: (\d+)/(\d+) workers ready', text, re.M)
    rows = re.findall(r'^\d+\s+\d+\s+(\w+)', text, re.M)
    return (m is not None and m.group(1) == m.group(2) and
            rows and all(r == 'ready' for r in rows) and
            len(rows) == int(m.group(2)))


def settle(demo):
    """Waits until the demo's pool is settled, or its master is gone."""
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end:
        if demo.poll() is not None:
            return
        text = status()
        if text is not None and settled(text):
            return
        time.sleep(0.2)
    problems.append('the pool did not settle in %d s:\n%s' %
                    (WAIT_S, status()))


def start_demo(setup):
    log = open(os.path.join(work, 'demo.log'), 'a')
    demo = subprocess.Popen(['sh', '-c', 'exec ' + setup], cwd=work,
                            stdout=log, stderr=log)
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end and demo.poll() is None:
        if sh('preforkctl -c examples/http.ini status --check', 30) \
                .returncode == 0:
            settle(demo)
            return demo
        time.sleep(0.2)
    stop_demo(demo)
    problems.append('the demo (%s) was not ready in %d s' % (setup, WAIT_S))
    return None


def stop_demo(demo):
    if demo.poll() is None:
        demo.terminate()
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()


def run_block(section, cmds, demo):
    """The commands of one block, in one shell, each output compared."""
    for i, (cmd, want) in enumerate(cmds):
        m = re.match(r'apt-get install -y ((?:[a-z0-9.+-]+ ?)+)', cmd)
        if m:
            for pkg in m.group(1).split():
                if subprocess.run(['dpkg', '-s', pkg],
                                  capture_output=True).returncode != 0:
                    skip('the README installs %s here, which this '
                         'machine lacks' % pkg)
            continue
        script = os.path.join(work, 'step.sh')
        with open(script, 'w') as f:
            # The shell's variables carry over through a file of them.
            f.write('[ -f vars ] && . ./vars\n{ %s\n} >out 2>&1\n'
                    'echo $? >rc\nset | grep "^[a-z][a-z0-9_]*=" >vars\n'
                    % cmd)
        sh('. ./step.sh')
        rc = open(os.path.join(work, 'rc')).read().strip()
        got = open(os.path.join(work, 'out')).read().splitlines()
        print('$ %s\n%s(exit %s)' % (cmd, ''.join(g + '\n' for g in got),
                                   rc))
        if rc != '0':
            problems.append('%s: exit %s' % (cmd, rc))
        compare(cmd, want, got)
        if demo is not None and i + 1 < len(cmds):
            settle(demo)


def families(block):
    return {m.group(1) for m in
            (re.match(r'# TYPE (\S+)', l) for l in block) if m}


def lo_up():
    """Loopback up in this network namespace, without iproute2."""
    import fcntl
    import socket
    import struct
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = fcntl.ioctl(s, siocgifflags, struct.pack('16sH22x', b'lo', 0))
        flags = struct.unpack('16sH22x', ifr)[1]
        fcntl.ioctl(s, siocsifflags,
                    struct.pack('16sH22x', b'lo', flags | iff_up))


def main():
    lo_up()
    if shutil.which('curl') is None or shutil.which('pgrep') is None:
        skip('the README needs curl and pgrep (procps)')
    text = open(os.path.join(src, 'README.md')).read()
    allb = blocks(text)
    setup = [l for s, b in allb if s and s.startswith('Set-up')
             for l in b if l.startswith('apt-get')]
    if len(setup) != 1 or 'make install' not in setup[0]:
        problems.append('the set-up command does not build, install and '
                        'run the demo: %s' % setup)
        return
    start = setup[0].split('&&')[-1].strip()
    shutil.copytree(os.path.join(src, 'examples'),
                    os.path.join(work, 'examples'))
    ran = set()
    logs, logged = {}, {}
    for section, block in allb:
        cmds = commands(block)
        if section in SECTIONS and not cmds:
            logs.setdefault(section, []).extend(
                m.group(1) for m in map(LOGLINE.match, block) if m)
        if section not in SECTIONS or not cmds:
            continue
        ran.add(section)
        print('\n== %s' % section)
        logpath = os.path.join(work, 'demo.log')
        before = os.path.getsize(logpath) if os.path.exists(logpath) else 0
        demo = start_demo(start)
        if demo is None:
            continue
        try:
            run_block(section, cmds, demo)
        finally:
            code = None
            if demo.poll() is None:
                stop_demo(demo)
            else:
                code = demo.returncode
            if code not in (None, 0):
                problems.append('%s: the demo exited %d' % (section, code))
            with open(logpath) as f:
                f.seek(before)
                logged.setdefault(section, []).extend(
                    m.group(1) for m in map(LOGLINE.match, f) if m)
    for section, lines in logs.items():
        for line in lines:
            r = re.sub(r'\\\(.*?\\\)', r'\\(.*\\)', shape(line))
            if not any(re.match(r, g) for g in logged.get(section, [])):
                problems.append('%s: the demo never logged "%s"' %
                                (section, line))
    for s in set(SECTIONS) - ran:
        problems.append('no example found in the section "%s"' % s)

    scrape = [b for s, b in allb if s == 'Metrics' and families(b)]
    demo = start_demo(start)
    if demo is not None:
        got = sh('preforkctl -c examples/http.ini metrics').stdout
        stop_demo(demo)
        want = families(scrape[0]) if scrape else set()
        have = families(got.splitlines())
        if want != have:
            problems.append('Metrics: families only in the README: %s; '
                            'only in the demo: %s' %
                            (sorted(want - have), sorted(have - want)))

main()
if problems:
    print('\n--- demo.log')
    print(open(os.path.join(work, 'demo.log')).read()[-6000:])
    for p in problems:
        print('FAIL: %s' % p)
    sys.exit(1)
print('\nevery example ran as the README shows')
