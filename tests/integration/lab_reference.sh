#!/bin/sh
# The lab through a reference resolver: Unbound, started on the lab's root
# hints, must resolve every "res"/"both" line of tests/lab/cases as
# written. This proves the expectations cairnd will later be held to
# (CNAME chains across zones, glueless and AAAA-only-glue delegations, TCP
# fallback for large answers). The dead-server delegations are left out:
# Unbound retries dead addresses with backoff for tens of seconds.
set -u
. "$top_srcdir/tests/lab/lib.sh"
ub=/usr/sbin/unbound
[ -x "$ub" ] || { echo "skip: unbound missing" >&2; exit 77; }
lab_up
d=$LAB_RUN/unbound
mkdir -p "$d"
addr=$LAB_NET.254.2
cat >"$d/unbound.conf" <<C
server:
	interface: $addr@53
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	logfile: ""
	use-syslog: no
	verbosity: 0
	root-hints: "$LAB_RUN/root.hints"
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	local-zone: "test." nodefault
	module-config: "iterator"
	num-threads: 1
	outgoing-range: 64
	edns-buffer-size: 1232
	infra-host-ttl: 60
	harden-referral-path: no
	qname-minimisation: no
remote-control:
	control-enable: no
C
"$ub" -d -c "$d/unbound.conf" >"$d/log" 2>&1 &
echo $! >"$d/pid"
ub_stop() {
	p=$(cat "$d/pid")
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
trap 'st=$?; ub_stop; lab_cleanup; exit $st' EXIT
i=0
until dig @"$addr" +time=1 +tries=1 . SOA >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 50 ] && { cat "$d/log"; fail "unbound did not start"; lab_finish; }
	sleep 0.1
done
grep -v 'dead\.test\.' "$top_srcdir/tests/lab/cases" >"$LAB_RUN/cases.live"
DIG_TIME=5 "$top_srcdir/tests/lab/run-cases" "$LAB_RUN" "$LAB_RUN/cases.live" \
	"$addr@53" >"$LAB_RUN/cases.out" 2>&1 || fail "cases through unbound"
grep -v '^ok:' "$LAB_RUN/cases.out"
lab_finish
