#!/bin/sh
# cairn-control against a cairnd resolving the lab: stats count the
# queries sent and the cache hits of a repeat; servers lists the root
# servers asked with an RTT; flush removes a name (cairn-dump no longer
# shows it, the next query still answers); dump prints what cairn-dump
# prints; reload applies; an unknown command exits 1; a missing socket
# exits 2 naming the path.
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
trap 'st=$?; cairnd_stop; lab_cleanup; exit $st' EXIT
ctl_path=$LAB_RUN/ctl
cairnd_start "	control-socket: $ctl_path" || lab_finish
ctl=$top_builddir/cairn-control
dump=$top_builddir/cairn-dump
cache=$LAB_RUN/cairnd/cache.mdb
out=$LAB_RUN/ctl.out

stat_of() { # stat_of NAME -> its value in a fresh "stats"
	"$ctl" -s "$ctl_path" stats >"$out" 2>&1 ||
		{ fail "stats exited $?: $(cat "$out")"; return; }
	sed -n "s/^$1=//p" "$out"
}

# The config file names the socket: -c finds it.
"$ctl" -c "$LAB_RUN/cairnd/cairnd.conf" stats >"$out" 2>&1 ||
	fail "stats via -c exited $?: $(cat "$out")"
grep -q '^time\.up=[0-9]' "$out" || fail "no time.up in stats: $(cat "$out")"

# Queries sent over UDP are counted, one each.
q0=$(stat_of num.queries.udp)
expect_case www.example.test. A NOERROR \
	"www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
expect_case nx.example.test. A NXDOMAIN -
expect_case www.example.test. AAAA NOERROR "www.example.test. AAAA 2001:db8::1"
q1=$(stat_of num.queries.udp)
expect_eq "num.queries.udp after 3 queries" "$((q0 + 3))" "$q1"

# A repeat is a cache hit.
h0=$(stat_of num.cachehits)
expect_case www.example.test. A NOERROR \
	"www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
h1=$(stat_of num.cachehits)
expect_eq "num.cachehits after a repeat" "$((h0 + 1))" "$h1"
for k in upstream.udp.sent upstream.udp.truncated upstream.tcp.conns.opened \
	upstream.tcp.queries_per_conn.mean resolver.servfail cache.entries \
	num.answer.rcode.NOERROR num.answer.rcode.NXDOMAIN tcp.clients.open; do
	[ -n "$(stat_of $k)" ] || fail "stats lacks $k"
done
[ "$(stat_of upstream.udp.sent)" -gt 0 ] || fail "upstream.udp.sent is 0"
[ "$(stat_of num.answer.rcode.NXDOMAIN)" -ge 1 ] ||
	fail "num.answer.rcode.NXDOMAIN did not count the NXDOMAIN"

# servers: the root servers asked, and example.test.'s server, with RTTs.
"$ctl" -s "$ctl_path" servers >"$out" 2>&1 || fail "servers exited $?"
root_re="^server ($(lab_addr root1)|$(lab_addr root2))#53 srtt_ms=[0-9]+ "
grep -Eq "$root_re" "$out" || fail "servers lists no root server: $(cat "$out")"
grep -Eq "^server $(lab_addr extest)#53 srtt_ms=[0-9]+ .* replies=[1-9]" "$out" ||
	fail "servers lacks extest with replies: $(cat "$out")"

# dump -n prints what cairn-dump prints (TTLs may tick between the two
# reads: try a few times).
same=no
for _ in 1 2 3; do
	"$ctl" -s "$ctl_path" dump -n www.example.test. >"$LAB_RUN/ctl.dump" 2>&1 ||
		fail "dump exited $?"
	"$dump" -n www.example.test. "$cache" >"$LAB_RUN/cd.dump" 2>&1 ||
		fail "cairn-dump exited $?"
	if cmp -s "$LAB_RUN/ctl.dump" "$LAB_RUN/cd.dump"; then
		same=yes
		break
	fi
done
[ "$same" = yes ] || fail "dump differs from cairn-dump: $(diff "$LAB_RUN/ctl.dump" "$LAB_RUN/cd.dump")"
grep -q '^www\.example\.test\..*192\.0\.2\.1' "$LAB_RUN/ctl.dump" ||
	fail "dump lacks www.example.test A: $(cat "$LAB_RUN/ctl.dump")"

# flush removes www.example.test. (A and AAAA); the next query resolves.
"$ctl" -s "$ctl_path" flush www.example.test. >"$out" 2>&1 ||
	fail "flush exited $?: $(cat "$out")"
grep -q '^removed 2$' "$out" || fail "flush did not remove 2 entries: $(cat "$out")"
"$dump" -n www.example.test. "$cache" >"$LAB_RUN/cd.dump" 2>&1
[ -s "$LAB_RUN/cd.dump" ] && fail "cairn-dump still shows it: $(cat "$LAB_RUN/cd.dump")"
h0=$(stat_of num.cachehits)
expect_case www.example.test. A NOERROR \
	"www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
expect_eq "cache hits after flush" "$h0" "$(stat_of num.cachehits)"

# reload rereads the file: a changed verbosity is applied.
r0=$(stat_of num.reloads)
sed -i 's/verbosity: .*/verbosity: 2/' "$LAB_RUN/cairnd/cairnd.conf"
"$ctl" -s "$ctl_path" reload >"$out" 2>&1 || fail "reload exited $?: $(cat "$out")"
expect_eq "num.reloads" "$((r0 + 1))" "$(stat_of num.reloads)"
grep -q 'reload: verbosity changed: applied' "$LAB_RUN/cairnd/cairnd.log" ||
	fail "reload not logged: $(tail -5 "$LAB_RUN/cairnd/cairnd.log")"
# A broken file: exit 1 and the running configuration kept.
echo "	not-a-key: 1" >>"$LAB_RUN/cairnd/cairnd.conf"
"$ctl" -s "$ctl_path" reload >"$out" 2>&1
expect_eq "reload of a bad file exits" 1 $?
grep -q 'error: reload failed' "$out" || fail "bad reload message: $(cat "$out")"

# An unknown command exits 1 with the reason.
"$ctl" -s "$ctl_path" frobnicate >"$out" 2>&1
expect_eq "unknown command exits" 1 $?
grep -q "error: unknown command 'frobnicate'" "$out" ||
	fail "unknown command message: $(cat "$out")"

# No socket: exit 2, the message names the path.
"$ctl" -s "$LAB_RUN/no-such.ctl" stats >"$out" 2>&1
expect_eq "missing socket exits" 2 $?
grep -q "$LAB_RUN/no-such.ctl" "$out" || fail "message lacks the path: $(cat "$out")"
# No command: usage, exit 2.
"$ctl" -s "$ctl_path" >"$out" 2>&1
expect_eq "no command exits" 2 $?

# Stopping removes the socket; the exit log has the TCP reuse figures.
cairnd_stop
[ -e "$ctl_path" ] && fail "socket left behind at $ctl_path"
grep -q 'upstream tcp connections: .* opened, .* closed, .* failed, queries per connection mean' \
	"$LAB_RUN/cairnd/cairnd.log" || fail "no upstream TCP figures logged at exit"
lab_finish
