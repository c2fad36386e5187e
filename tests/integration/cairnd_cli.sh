#!/bin/sh
# cairnd's command line, config errors, signals: -V, an unknown key on
# line 7 is reported with file and line, SIGHUP applies verbosity and
# reports a changed port as needing a restart, a bad file on reload keeps
# the running config, SIGTERM stops within a second with status 0.
# Time-bounded; stops what it starts (trap on EXIT).
set -u
: "${top_builddir:=.}"
cairnd="$top_builddir/cairnd"
tmp=$(mktemp -d /tmp/cairnd-cli.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$tmp/log" ] && { echo "--- cairnd log"; cat "$tmp/log"; }
	exit 1
}

# wait_log PATTERN [TENTHS]: wait until the log has a line matching PATTERN.
wait_log() {
	n=0
	while ! grep -q -- "$1" "$tmp/log" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt "${2:-50}" ] && return 1
		sleep 0.1
	done
	return 0
}

[ -x "$cairnd" ] || fail "no $cairnd"

# -V prints the version and exits 0.
out=$("$cairnd" -V) || fail "cairnd -V exited $?"
echo "$out" | grep -q '^cairnd [0-9]' || fail "cairnd -V printed '$out'"

# An unknown key on line 7: non-zero exit, message names file and line 7.
cat >"$tmp/bad.conf" <<CONF
# line 1
server:
	port: 5399
	verbosity: 1

	# line 6
	not-a-key: yes
CONF
if "$cairnd" -f -c "$tmp/bad.conf" 2>"$tmp/bad.err"; then
	fail "cairnd accepted an unknown key"
fi
grep -q "$tmp/bad.conf:7: unknown key \"not-a-key\"" "$tmp/bad.err" ||
	fail "error message lacks file and line 7: $(cat "$tmp/bad.err")"

# A usage error exits 2.
"$cairnd" -x >/dev/null 2>&1
[ $? -eq 2 ] || fail "cairnd -x did not exit 2"

# An explicitly given -c file must exist.
if "$cairnd" -f -c "$tmp/missing.conf" 2>/dev/null; then
	fail "cairnd started without its -c file"
fi

# Start in the foreground on a high loopback port with a temp cache dir.
port=$((20000 + $$ % 20000))
write_conf() { # verbosity port
	cat >"$tmp/cairn.conf" <<CONF
server:
	interface: 127.0.0.1
	port: $2
	verbosity: $1
	cache-file: "$tmp/state/sub/cache.mdb"
	pidfile: $tmp/cairnd.pid
	control-socket: $tmp/cairn.ctl
CONF
}
write_conf 1 "$port"
"$cairnd" -f -c "$tmp/cairn.conf" 2>"$tmp/log" &
pid=$!
wait_log "started" || fail "cairnd did not start"
[ -d "$tmp/state/sub" ] || fail "cache directory not created"
[ "$(cat "$tmp/cairnd.pid")" = "$pid" ] || fail "pidfile does not hold $pid"

# SIGHUP: verbosity 1 -> 2 is applied (the level-2 summary line appears),
# the port change is reported as needing a restart.
write_conf 2 $((port + 1))
kill -HUP "$pid"
wait_log "reload: done" || fail "verbosity 2 not applied on reload"
grep -q "reload: port changed: needs a restart" "$tmp/log" ||
	fail "port change not reported as needing a restart"
grep -q "reload: verbosity changed: applied" "$tmp/log" ||
	fail "verbosity change not reported"

# A bad file on reload keeps the running configuration.
echo "	bogus-key: 1" >>"$tmp/cairn.conf"
kill -HUP "$pid"
wait_log "keeping the running configuration" ||
	fail "bad reload not reported"
grep -q "$tmp/cairn.conf:8: unknown key \"bogus-key\"" "$tmp/log" ||
	fail "bad reload error lacks file and line"
kill -0 "$pid" 2>/dev/null || fail "cairnd died on a bad reload"

# SIGTERM: exit 0 within a second.
start=$(date +%s%N)
kill -TERM "$pid"
n=0
while kill -0 "$pid" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -gt 20 ] && fail "cairnd still running 2s after SIGTERM"
	sleep 0.05
done
wait "$pid"
status=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
pid=""
[ "$status" -eq 0 ] || fail "cairnd exited $status after SIGTERM"
[ "$elapsed_ms" -le 1000 ] || fail "SIGTERM took ${elapsed_ms}ms"
[ -e "$tmp/cairnd.pid" ] && fail "pidfile left behind"
echo "PASS: cairnd stopped ${elapsed_ms}ms after SIGTERM"

# Without -f cairnd detaches: the starting command exits 0 once the
# daemon runs, and the daemon writes its pidfile.
write_conf 1 "$port"
"$cairnd" -c "$tmp/cairn.conf" 2>"$tmp/log" || fail "detached start exited $?"
dpid=$(cat "$tmp/cairnd.pid" 2>/dev/null)
[ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null || fail "no detached daemon"
pid=$dpid # cleanup() stops it if the test fails from here
kill -TERM "$dpid"
n=0
# not our child: once exited it may linger as a zombie until reaped
while ps -o stat= -p "$dpid" 2>/dev/null | grep -qv '^Z'; do
	n=$((n + 1))
	[ "$n" -gt 20 ] && fail "detached cairnd still running after SIGTERM"
	sleep 0.05
done
pid=""
echo "PASS: detached start and stop"

# A detached start that fails (a pidfile it cannot write) exits 1.
sed -i "s|pidfile: .*|pidfile: $tmp/no/such/dir/pid|" "$tmp/cairn.conf"
if "$cairnd" -c "$tmp/cairn.conf" 2>"$tmp/log"; then
	fail "detached start with an unwritable pidfile exited 0"
fi

# As root, "username:" drops to that user after startup.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	cat >"$tmp/drop.conf" <<CONF
server:
	port: $port
	username: nobody
	cache-file: $tmp/dropstate/cache.mdb
CONF
	: >"$tmp/log"
	"$cairnd" -f -c "$tmp/drop.conf" 2>"$tmp/log" &
	pid=$!
	wait_log "started" || fail "cairnd with username did not start"
	uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$pid/status")
	want=$(id -u nobody)
	[ "$uid" = "$want$want$want$want" ] ||
		fail "uids are $uid, not all $want"
	[ "$(stat -c %U "$tmp/dropstate")" = nobody ] ||
		fail "cache directory not given to nobody"
	kill -TERM "$pid"
	wait "$pid" || fail "cairnd as nobody exited $? after SIGTERM"
	pid=""
	echo "PASS: privileges dropped to nobody"
fi
exit 0
