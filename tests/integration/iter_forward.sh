#!/bin/sh
# Forward zones: a second cairnd on NET.254.2 is the forwarder. Queries at
# or below a forward zone go to it with RD=1 and its recursive answers are
# taken as-is; the longest forward zone wins; a name outside every forward
# zone is resolved by iteration; a forward zone for "." forwards every lab
# case.
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
dump=$top_builddir/cairn-dump
FWD=$LAB_NET.254.2
fwd=$LAB_RUN/fwd
mkdir -p "$fwd"

fwd_stop() {
	[ -s "$fwd/pid" ] || return 0
	kill -TERM "$(cat "$fwd/pid")" 2>/dev/null
	_i=0
	while kill -0 "$(cat "$fwd/pid")" 2>/dev/null && [ $_i -lt 50 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	kill -KILL "$(cat "$fwd/pid")" 2>/dev/null
	rm -f "$fwd/pid"
}
trap 'st=$?; fwd_stop; lab_cleanup; exit $st' EXIT

cat >"$fwd/cairnd.conf" <<C
server:
	interface: $FWD@53
	root-hints: $LAB_RUN/root.hints
	cache-file: $fwd/cache.mdb
	do-not-query-localhost: no
	resolve-special-use: test.
	access-control: 127.0.0.0/8 allow
C
"$top_builddir/cairnd" -f -c "$fwd/cairnd.conf" >"$fwd/log" 2>&1 &
echo $! >"$fwd/pid"
i=0
until dig @"$FWD" +time=1 +tries=1 . NS >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { fail "forwarder did not start"; lab_finish; }
	sleep 0.1
done

# 1. test. to a dead address, example.test. to the forwarder.
cairnd_start "forward-zone:
	name: test.
	forward-addr: $LAB_NET.3.2
forward-zone:
	name: example.test.
	forward-addr: $FWD@53" || lab_finish
expect_case www.example.test. A NOERROR \
	"www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
expect_case nx.example.test. A NXDOMAIN -
expect_case www.example.test. MX NOERROR -
expect_rcode www.glueless.test. A SERVFAIL
expect_case a.root-servers.lab. A NOERROR "a.root-servers.lab. A $LAB_NET.0.1"
"$dump" -n www.example.test. -t A "$fwd/cache.mdb" 2>&1 |
	grep -q '192\.0\.2\.1' || fail "the forwarder's cache lacks www.example.test."
"$dump" -n www.example.test. -t A "$LAB_RUN/cairnd/cache.mdb" 2>&1 |
	grep -q '192\.0\.2\.1' || fail "the forwarded answer is not cached"
"$dump" -n example.test. -t NS "$LAB_RUN/cairnd/cache.mdb" 2>&1 |
	grep -q 'NS' && fail "example.test. was resolved by iteration"
cairnd_stop

# 2. Everything through the forwarder.
cairnd_start "forward-zone:
	name: .
	forward-addr: $FWD@53" || lab_finish
"$top_srcdir/tests/lab/run-cases" "$LAB_RUN" "$top_srcdir/tests/lab/cases" \
	"$SERVER@$PORT" >"$LAB_RUN/pass" 2>&1 ||
	fail "forwarded cases: $(grep -A2 FAIL "$LAB_RUN/pass")"
tail -1 "$LAB_RUN/pass"
cairnd_stop
grep -q 'upstream udp: [1-9]' "$LAB_RUN/cairnd/cairnd.log" ||
	fail "nothing sent upstream: $(grep 'upstream udp' "$LAB_RUN/cairnd/cairnd.log")"
fwd_stop
lab_finish
