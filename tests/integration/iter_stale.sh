#!/bin/sh
# Serve-stale (RFC 8767) and prefetch, with fakeauth serving fake.test.:
#  - servers stopped after expiry: the expired answer comes back at once
#    with the stale TTL and EDE 3;
#  - a slow server (2.5 s): two clients get the stale answer at the client
#    response timer (1.8 s), share one upstream query, and the query goes
#    on in the background and refreshes the cache;
#  - prefetch: a hit in the last 10% of the TTL refreshes the entry.
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
FA=$LAB_NET.5.1@53

# qtime FILE: dig's own query time in ms (without its start-up)
qtime() {
	_q=$(sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' "$1")
	echo "${_q:-99999}"
}
# dig_stats NAME TYPE OUT: like query, with dig's statistics kept
dig_stats() {
	dig @"$SERVER" -p "$PORT" +rec +time=5 +tries=1 +bufsize=1232 +ignore \
		+nocmd "$1" "$2" >"$3" 2>&1
}
ttl_of_last() {
	awk '$1 !~ /^;/ && NF >= 5 { print $2; exit }' "$LAB_RUN/last"
}
# zone FILE TTL ADDR: fake.test. with www A ADDR of that TTL
zone() {
	cat >"$1" <<Z
\$TTL 3600
fake.test. IN SOA ns1.fake.test. hostmaster.fake.test. 1 3600 600 86400 300
fake.test. IN NS ns1.fake.test.
ns1.fake.test. IN A $LAB_NET.5.1
www.fake.test. $2 IN A $3
Z
}
zone "$LAB_RUN/z1" 2 192.0.2.55
zone "$LAB_RUN/z2" 300 192.0.2.56
zone "$LAB_RUN/z3" 10 192.0.2.57

# check_stale WHAT: the last reply is the stale 192.0.2.55 with EDE 3 and
# the stale TTL: 30 s (RFC 8767 s4) but never above the stored TTL, 2 s
# here (cache/entry.h, entry_ttl_left)
check_stale() {
	check_rcode "$1" NOERROR
	check_answer "$1" "www.fake.test. A 192.0.2.55"
	_t=$(ttl_of_last)
	if [ "$_t" != 2 ]; then
		fail "$1: TTL ${_t:-none}, expected min(30, 2)"
		sed 's/^/  | /' "$LAB_RUN/last" >&2
	fi
	grep -q 'EDE: 3 (Stale Answer)' "$LAB_RUN/last" ||
		fail "$1: no EDE 3: $(cat "$LAB_RUN/last")"
}

cairnd_start "	upstream-timeout-min: 3000
	upstream-timeout: 4000
	resolve-timeout: 6000" || lab_finish
fakeauth_start fresh -l "$FA" -z "$LAB_RUN/z1" || lab_finish
expect_case www.fake.test. A NOERROR "www.fake.test. A 192.0.2.55"
fakeauth_stop fresh

# 1. Servers gone after expiry.
sleep 3
dig_stats www.fake.test. A "$LAB_RUN/last"
elapsed=$(qtime "$LAB_RUN/last")
check_stale "server stopped"
echo "figure: stale answer, server stopped: $elapsed ms"
[ "$elapsed" -lt 2000 ] || fail "stale answer took $elapsed ms"
cairnd_stop

# 2. A slow server: stale at the client timer, one shared query, refresh.
cairnd_start "	upstream-timeout-min: 3000
	upstream-timeout: 4000
	resolve-timeout: 6000" || lab_finish
fakeauth_start fresh -l "$FA" -z "$LAB_RUN/z1" || lab_finish
expect_case www.fake.test. A NOERROR "www.fake.test. A 192.0.2.55"
fakeauth_stop fresh
fakeauth_start slow -l "$FA" -z "$LAB_RUN/z2" -d 2500 || lab_finish
sleep 3
dig_stats www.fake.test. A "$LAB_RUN/first" &
first=$!
sleep 0.5
dig_stats www.fake.test. A "$LAB_RUN/last"
wait $first
check_stale "second client"
echo "figure: stale answers, slow server: first client $(qtime "$LAB_RUN/first") ms," \
	"second (0.5 s later) $(qtime "$LAB_RUN/last") ms"
# the fresh answer arrives after 2.5 s: a stale one must come first
[ "$(qtime "$LAB_RUN/first")" -lt 2400 ] ||
	fail "first stale answer took $(qtime "$LAB_RUN/first") ms"
cp "$LAB_RUN/first" "$LAB_RUN/last"
check_stale "first client"
sleep 2.5
dig_stats www.fake.test. A "$LAB_RUN/last"
check_answer "refreshed in the background" "www.fake.test. A 192.0.2.56"
elapsed=$(qtime "$LAB_RUN/last")
[ "$elapsed" -lt 500 ] || fail "refreshed answer took $elapsed ms"
expect_eq "upstream queries for two clients" "$(fa_stat slow udp_queries)" 1
fakeauth_stop slow
cairnd_stop

# 3. Prefetch: TTL 10, a hit when 1 s is left starts a refresh.
cairnd_start "	prefetch: yes" || lab_finish
fakeauth_start pf -l "$FA" -z "$LAB_RUN/z3" || lab_finish
expect_case www.fake.test. A NOERROR "www.fake.test. A 192.0.2.57"
i=0
while [ $i -lt 30 ]; do
	before=$(fa_stat pf udp_queries)
	query www.fake.test. A
	[ "$(ttl_of_last)" -le 1 ] && break
	i=$((i + 1))
	sleep 0.5
done
check_answer "hit near expiry" "www.fake.test. A 192.0.2.57"
sleep 0.5
expect_eq "prefetch queries" "$(fa_stat pf udp_queries)" $((before + 1))
sleep 1.5
query www.fake.test. A
t=$(ttl_of_last)
[ "${t:-0}" -ge 5 ] || fail "prefetched entry has TTL ${t:-none}"
fakeauth_stop pf
cairnd_stop
lab_finish
