#!/bin/sh
# cairnd's serving policy against the lab: access control (refuse gets
# REFUSED, deny gets nothing), RD=0 answered from the cache only (an
# uncached name, or a CNAME chain with a link not cached, is REFUSED
# rather than resolved), and aggregation: 50
# identical concurrent queries cost the authority one query and every
# client gets its own ID back.
#
# Not covered here: RRSIGs only to DO clients. The lab has no signed
# zone and fakeauth answers a query with records of its type only, so no
# RRSIG ever reaches cairnd here; tests/unit/test_answer.c
# (rrsigs_only_for_do_clients) covers the filter.
set -u
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/integration/serve_lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
fake_zone "$LAB_RUN/fake.zone" warm agg
# 2 s per answer: the 50 queries below all arrive while it is pending,
# even on a busy machine
fakeauth_start fa -l "$LAB_NET.5.1@53" -z "$LAB_RUN/fake.zone" -d 2000 ||
	lab_finish
# Loopback clients: 127.0.0.1 (dig's default source here) is allowed,
# the rest of 127.0.0.0/9 refused, 127.0.0.66 dropped.
cairnd_start "	access-control: 127.0.0.0/9 refuse
	access-control: 127.0.0.1/32 allow
	access-control: 127.0.0.66/32 deny
	upstream-timeout: 3000
	upstream-timeout-min: 3000" || lab_finish
www="www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
q=$(qhex 4321 0100 1 0 0 0 "$(question www.example.test. 1)")

# -- access control
rawq_expect "allowed client" "id=4321 rcode=0 tc=0 qd=1 an=2 *" \
	-b 127.0.0.1 udp "$SERVER" "$PORT" "$q"
rawq_expect "refused client, UDP" "id=4321 rcode=5 *" \
	-b 127.0.0.77 udp "$SERVER" "$PORT" "$q"
rawq_expect "refused client, TCP" "id=4321 rcode=5 *" \
	-b 127.0.0.78 tcp "$SERVER" "$PORT" "$q"
rawq_expect "denied client, UDP" noreply -b 127.0.0.66 udp "$SERVER" "$PORT" "$q"
rawq_expect "denied client, TCP" "noreply" -b 127.0.0.66 tcp "$SERVER" "$PORT" "$q"
DIG_OPTS="+rec -b 127.0.0.77" expect_rcode www.example.test. A REFUSED
expect_case www.example.test. A NOERROR "$www"

# -- RD=0: from the cache only (documented in serve.c, serve_query)
DIG_OPTS=+norec expect_case www.example.test. A NOERROR "$www"
DIG_OPTS=+norec expect_rcode www.glueless.test. A REFUSED
DIG_OPTS=+norec expect_rcode www.glueless.test. A REFUSED tcp
expect_case www.glueless.test. A NOERROR "www.glueless.test. A 192.0.2.30"
DIG_OPTS=+norec expect_case www.glueless.test. A NOERROR \
	"www.glueless.test. A 192.0.2.30"

# -- RD=0 and CNAME chains: answered from the cache when every link and
# the end are cached; a link missing from the cache is not resolved
chain="chain.example.test. CNAME c2.cross.example. | c2.cross.example. CNAME c3.hosts.lab. | c3.hosts.lab. CNAME final.example.test. | final.example.test. A 192.0.2.50"
DIG_OPTS=+norec expect_rcode chain.example.test. A REFUSED
expect_case chain.example.test. A NOERROR "$chain"
DIG_OPTS=+norec expect_case chain.example.test. A NOERROR "$chain"
"$top_builddir/cairn-control" -s "$LAB_RUN/cairnd/ctl" flush c3.hosts.lab. \
	>"$LAB_RUN/flush.out" 2>&1 || fail "flush: $(cat "$LAB_RUN/flush.out")"
DIG_OPTS=+norec expect_rcode chain.example.test. A REFUSED
expect_case chain.example.test. A NOERROR "$chain"
expect_case dangling.example.test. A NXDOMAIN \
	"dangling.example.test. CNAME nothere.hosts.lab."
DIG_OPTS=+norec expect_case dangling.example.test. A NXDOMAIN \
	"dangling.example.test. CNAME nothere.hosts.lab."

# -- max-cname-chain bounds a chain from the cache as it bounds one being
# resolved: with 2, the cached 3-link chain above fails (RD=0: refused,
# as the cache alone cannot answer it)
# set_max_cname N: applies max-cname-chain N with SIGHUP
applied=0
set_max_cname() {
	_c=$LAB_RUN/cairnd/cairnd.conf
	sed -i '/max-cname-chain:/d' "$_c"
	printf '\tmax-cname-chain: %s\n' "$1" >>"$_c"
	applied=$((applied + 1))
	kill -HUP "$(cat "$LAB_RUN/cairnd/cairnd.pid")"
	_i=0
	while [ "$(grep -c 'max-cname-chain changed: applied' \
		"$LAB_RUN/cairnd/cairnd.log")" -lt $applied ] && [ $_i -lt 50 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	[ $_i -lt 50 ] || fail "max-cname-chain $1 not applied on reload"
}
set_max_cname 2
expect_rcode chain.example.test. A SERVFAIL
DIG_OPTS=+norec expect_rcode chain.example.test. A REFUSED
expect_case dangling.example.test. A NXDOMAIN \
	"dangling.example.test. CNAME nothere.hosts.lab."
set_max_cname 12
expect_case chain.example.test. A NOERROR "$chain"

# -- aggregation: the delegation to fakeauth is cached first
DIG_TIME=4 expect_case warm.fake.test. A NOERROR "warm.fake.test. A 192.0.2.1"
kill -USR1 "$(cat "$LAB_RUN/fakeauth/fa.pid")"
sleep 0.2
before=$(fa_stat fa udp_queries)
pids=
i=1
while [ $i -le 50 ]; do
	RAWQ_WAIT_S=6 "$RAWQ" udp "$SERVER" "$PORT" \
		"$(qhex $((1000 + i)) 0100 1 0 0 0 "$(question agg.fake.test. 1)")" \
		>"$LAB_RUN/agg.$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
i=1 ok=0
while [ $i -le 50 ]; do
	case $(cat "$LAB_RUN/agg.$i") in
	"id=$((1000 + i)) rcode=0 tc=0 qd=1 an=1 "*) ok=$((ok + 1)) ;;
	*) fail "aggregated client $i: $(cat "$LAB_RUN/agg.$i")" ;;
	esac
	i=$((i + 1))
done
expect_eq "aggregated clients answered with their own ID" $ok 50
kill -USR1 "$(cat "$LAB_RUN/fakeauth/fa.pid")"
sleep 0.2
expect_eq "authority queries for 50 identical client queries" \
	$(($(fa_stat fa udp_queries) - before)) 1

kill -0 "$(cat "$LAB_RUN/cairnd/cairnd.pid")" || fail "cairnd is gone"
cairnd_stop
fakeauth_stop fa
lab_finish
