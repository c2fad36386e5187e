#!/bin/sh
# Queries that would send the same upstream question at once share one
# exchange (resolver/query_share.c), with fakeauth serving fake.test.:
#  - 50 different names under one cold zone at once: the minimised
#    question slowsub.fake.test. (answered late) reaches fakeauth once,
#    then each full name once, and every client gets its own answer;
#  - the query that sent the shared question is gone (its deadline) and
#    the one that joined it still gets the reply and its answer.
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
FA=$LAB_NET.5.1@53
N=50

# fa_count NAME: fakeauth NAME's UDP queries so far
fa_count() {
	kill -USR1 "$(cat "$LAB_RUN/fakeauth/$1.pid")"
	sleep 0.2
	fa_stat "$1" udp_queries
}
# ask NAME OUT [SECONDS]: one client query, answer in OUT
ask() {
	dig @"$SERVER" -p "$PORT" +rec +time="${3:-6}" +tries=1 +bufsize=1232 \
		+noall +answer +comments "$1" A >"$2" 2>&1
}

# fake.test. with nNN.slowsub A 192.0.2.NN and a.slowb, b.slowb; the
# empty-looking parents hold a TXT so a minimised A query gets NODATA.
{
	cat <<Z
\$TTL 3600
fake.test. IN SOA ns1.fake.test. hostmaster.fake.test. 1 3600 600 86400 300
fake.test. IN NS ns1.fake.test.
ns1.fake.test. IN A $LAB_NET.5.1
slowsub.fake.test. IN TXT "parent"
slowb.fake.test. IN TXT "parent"
a.slowb.fake.test. IN A 192.0.2.201
b.slowb.fake.test. IN A 192.0.2.202
Z
	i=1
	while [ $i -le $N ]; do
		echo "n$i.slowsub.fake.test. IN A 192.0.2.$i"
		i=$((i + 1))
	done
} >"$LAB_RUN/zone"

# 1. N names at once under a cold zone: slowsub.fake.test. is answered
# after 3 s, long enough for every client (N dig processes take a while
# to start on a busy machine) to ask it while it is in flight.
cairnd_start "	upstream-timeout-min: 5000
	upstream-timeout: 6000
	resolve-timeout: 8000" || lab_finish
fakeauth_start fa -l "$FA" -z "$LAB_RUN/zone" -S 3000 || lab_finish
pids=
i=1
while [ $i -le $N ]; do
	# cairnd must answer by its resolve-timeout (8 s); 20 s leaves a
	# sanitizer build on a loaded machine room, and a lost waiter still
	# shows as a timeout
	ask "n$i.slowsub.fake.test." "$LAB_RUN/n.$i" 20 &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
i=1 ok=0
while [ $i -le $N ]; do
	if grep -q "status: NOERROR" "$LAB_RUN/n.$i" &&
		[ "$(awk '$4 == "A" { print $1, $5 }' "$LAB_RUN/n.$i")" = \
			"n$i.slowsub.fake.test. 192.0.2.$i" ]; then
		ok=$((ok + 1))
	else
		fail "n$i.slowsub.fake.test.: $(cat "$LAB_RUN/n.$i")"
	fi
	i=$((i + 1))
done
expect_eq "clients answered with their own name's address" $ok $N
sent=$(fa_count fa)
echo "figure: $N names under one cold zone: $sent queries at its server" \
	"($N full names + the shared minimised ones)"
# N full names, and slowsub.fake.test. once (a second time at most,
# for a client that started after the first exchange ended)
[ "${sent:-0}" -ge $N ] && [ "$sent" -le $((N + 2)) ] ||
	fail "$sent queries at fake.test.'s server, expected $N + 1"
# The shared replies' records are written to the cache once per reply,
# not once per waiter: the full names' answers, the shared minimised
# questions' few records, not N times those.
puts=$(cairnd_stat cache.puts)
echo "figure: $N names under one cold zone: ${puts:-none} cache writes"
[ "${puts:-0}" -ge $N ] && [ "$puts" -le $((N + 20)) ] ||
	fail "cache.puts=${puts:-none}, expected $N to $((N + 20))"
shared=$(cairnd_stat resolver.upstream.shared)
[ "${shared:-0}" -ge $((N - 2)) ] ||
	fail "resolver.upstream.shared=${shared:-none}, expected >= $((N - 2))"
fakeauth_stop fa
cairnd_stop

# 2. The first query gives up (resolve-timeout 2 s) while slowb.fake.test.
# takes 2.4 s; the second, started 1 s later, joined that exchange and
# is answered from it at 2.4 s, before its own deadline (3 s). Had it
# sent its own question, the reply would come at 3.4 s: too late.
cairnd_start "	upstream-timeout-min: 4000
	upstream-timeout: 5000
	resolve-timeout: 2000" || lab_finish
fakeauth_start fb -l "$FA" -z "$LAB_RUN/zone" -S 2400 || lab_finish
ask a.slowb.fake.test. "$LAB_RUN/a" &
pa=$!
sleep 1
ask b.slowb.fake.test. "$LAB_RUN/b" &
pb=$!
wait $pa $pb
grep -q "status: SERVFAIL" "$LAB_RUN/a" ||
	fail "the first query outlived its deadline: $(cat "$LAB_RUN/a")"
grep -q "status: NOERROR" "$LAB_RUN/b" &&
	[ "$(awk '$4 == "A" { print $5 }' "$LAB_RUN/b")" = 192.0.2.202 ] ||
	fail "the query that joined lost the exchange: $(cat "$LAB_RUN/b")"
expect_eq "queries at fake.test.'s server (slowb once, b.slowb)" \
	"$(fa_count fb)" 2
fakeauth_stop fb
cairnd_stop
lab_finish
