#!/bin/sh
# up is idempotent and quick, down stops every NSD it started (by PID),
# and nothing is left behind.
set -u
. "$top_srcdir/tests/lab/lib.sh"
t0=$(date +%s)
lab_up
t1=$(date +%s)
pass "lab up in $((t1 - t0)) s"
[ $((t1 - t0)) -le 20 ] || fail "lab up took $((t1 - t0)) s"

pids() {
	cat "$LAB_RUN"/srv/*/nsd.pid 2>/dev/null | sort -n | tr '\n' ' '
}
n=$(wc -l <"$LAB_RUN/servers")
before=$(pids)
expect_eq "one pid per server" "$(echo "$before" | wc -w)" "$n"
"$LAB_SRC/up" "$LAB_RUN" || fail "second up"
expect_eq "up again keeps the same servers" "$(pids)" "$before"

# Every server answers for its first zone.
while read -r name addr zones; do
	SERVER=$addr
	expect_flag "${zones%% *}" SOA aa
done <"$LAB_RUN/servers"

# down: every recorded process and its children are gone.
children=""
for p in $before; do
	children="$children $(pgrep -P "$p" | tr '\n' ' ')"
done
"$LAB_SRC/down" "$LAB_RUN"
for p in $before $children; do
	kill -0 "$p" 2>/dev/null && fail "process $p still runs after down"
done
"$LAB_SRC/down" "$LAB_RUN" || fail "second down"
SERVER=$(lab_addr root1)
dig @"$SERVER" +time=1 +tries=1 . SOA >/dev/null 2>&1 &&
	fail "root1 still answers after down"
pass "down"
lab_finish
