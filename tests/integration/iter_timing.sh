#!/bin/sh
# Iteration against unreachable servers: a dead server of a zone is
# skipped well within the budget (halfdead.test.), a zone whose servers
# are all dead is answered SERVFAIL with EDE 22 within resolve-timeout
# (dead.test.), and an NXNS-style delegation (nxns.test.: 50 glueless NS
# names under fake.test.) costs no more upstream queries than the budget.
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
cairnd_start "	resolve-timeout: 3000
	serve-expired: no" || lab_finish

# timed NAME TYPE: query; $elapsed is dig's own query time in ms (from
# send to reply, without the start-up of dig itself)
timed() {
	dig @"$SERVER" -p "$PORT" +rec +time=6 +tries=1 +bufsize=1232 +ignore \
		+nocmd "$1" "$2" >"$LAB_RUN/last" 2>&1
	elapsed=$(sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' "$LAB_RUN/last")
	elapsed=${elapsed:-99999}
}

# dead_cases WHAT: halfdead and dead, timed.
dead_cases() {
	timed www.halfdead.test. A
	check_rcode "halfdead $1" NOERROR
	check_answer "halfdead $1" "www.halfdead.test. A 192.0.2.40"
	echo "figure: www.halfdead.test. A cold, $1: $elapsed ms (resolve-timeout 3000 ms)"
	[ "$elapsed" -lt 2000 ] || fail "halfdead $1 took $elapsed ms"

	timed www.dead.test. A
	check_rcode "all dead $1" SERVFAIL
	grep -q 'EDE: 22' "$LAB_RUN/last" ||
		fail "all dead $1: no EDE 22: $(cat "$LAB_RUN/last")"
	echo "figure: www.dead.test. A, $1: SERVFAIL in $elapsed ms (resolve-timeout 3000 ms)"
	[ "$elapsed" -lt 3500 ] || fail "all dead $1 took $elapsed ms"
}

# Nothing listens on the dead addresses: the kernel refuses at once.
dead_cases refused
# Dead servers that swallow every query: real timeouts.
cairnd_stop
cairnd_start "	resolve-timeout: 3000
	serve-expired: no" || lab_finish
for a in 3.1 3.2 3.3; do
	fakeauth_start "silent$a" -l "$LAB_NET.$a@53" -D 1000000 || lab_finish
done
dead_cases silent
for a in 3.1 3.2 3.3; do
	fakeauth_stop "silent$a"
done

# NXNS: every glueless name is NXDOMAIN at fakeauth, which counts.
zone=$LAB_RUN/fake.zone
cat >"$zone" <<Z
\$TTL 300
fake.test. IN SOA ns1.fake.test. hostmaster.fake.test. 1 3600 600 86400 300
fake.test. IN NS ns1.fake.test.
ns1.fake.test. IN A $LAB_NET.5.1
Z
fakeauth_start sink -l "$LAB_NET.5.1@53" -z "$zone" || lab_finish
timed www.nxns.test. A
check_rcode "nxns" SERVFAIL
n=$(fa_stat sink udp_queries)
echo "figure: www.nxns.test. A: $n queries at the NS names' server" \
	"($elapsed ms; max-ns-names 12, max-queries-per-request 64)"
[ "${n:-999}" -le 24 ] || fail "nxns: $n queries for 50 glueless names"
fakeauth_stop sink
cairnd_stop
lab_finish
