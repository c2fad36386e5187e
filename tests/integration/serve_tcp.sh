#!/bin/sh
# cairnd serving clients over TCP (RFC 7766) and truncating over UDP:
# 100 queries pipelined on one connection, cached and slow ones mixed,
# all answered and out of order; a query sent one byte at a time; a
# client that never reads does not hold up the others; an answer over
# 512 bytes to a client without EDNS has TC=1 and comes whole over TCP.
set -u
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/integration/serve_lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
# fake.test. is delegated to NET.5.1: names starting with "slow" are
# answered 400 ms late, the others at once.
fake_zone "$LAB_RUN/fake.zone" $(seq -f 'slow%g' 0 49)
fakeauth_start fa -l "$LAB_NET.5.1@53" -z "$LAB_RUN/fake.zone" -S 400 ||
	lab_finish
# The slow answers must not time out: the retransmission timeout learnt
# from the fast ones would be far below 400 ms.
cairnd_start "upstream-timeout-min: 1000" || lab_finish

# -- pipelining: 50 cached names (bulk.test.) and 50 slow uncached ones
cached= slow= mixed=
i=0
while [ $i -lt 50 ]; do
	n=$(printf 'n%05d.bulk.test.' $i)
	cached="$cached $n"
	mixed="$mixed slow$i.fake.test. $n"
	i=$((i + 1))
done
# shellcheck disable=SC2086
"$LAB_BIN/tcpipe" -r "$SERVER" "$PORT" A $cached >"$LAB_RUN/warm" 2>&1 ||
	fail "warming the cache: $(tail -3 "$LAB_RUN/warm")"
# shellcheck disable=SC2086
"$LAB_BIN/tcpipe" -r "$SERVER" "$PORT" A $mixed >"$LAB_RUN/pipe" 2>&1 ||
	fail "pipelined queries: $(tail -3 "$LAB_RUN/pipe")"
expect_eq "pipelined answers" "$(grep -c ' NOERROR 1$' "$LAB_RUN/pipe")" 100
expect_eq "distinct IDs answered" \
	"$(awk '{ print $1 }' "$LAB_RUN/pipe" | sort -u | grep -c .)" 100
# Sent as slow, cached, slow, cached...: the cached ones (even IDs) are
# answered while the slow ones resolve, so they all come first.
first_half=$(head -50 "$LAB_RUN/pipe" | awk '$1 % 2 == 0' | grep -c .)
expect_eq "cached answers ahead of slow ones" "$first_half" 50
order=$(awk '{ print $1 }' "$LAB_RUN/pipe" | tr '\n' ' ')
[ "$order" != "$(seq 1 100 | tr '\n' ' ')" ] ||
	fail "answers came in send order"

# -- one byte per write, 5 ms apart
q=$(qhex 4660 0100 1 0 0 0 "$(question www.example.test. 1)")
rawq_expect "query one byte at a time" "id=4660 rcode=0 tc=0 qd=1 an=2 *" \
	tcp1 "$SERVER" "$PORT" "$q"

# -- a client that never reads: 2,000 queries for a 1.6 KB answer
expect_flag many.tc.test. A tc
expect_case many.tc.test. A NOERROR "#100" tcp
# the same 20 queries without the stalled client, for comparison
base_start=$(date +%s%N)
i=0
while [ $i -lt 20 ]; do
	proto=udp
	[ $((i % 2)) -eq 1 ] && proto=tcp
	query "n$(printf %05d $i).bulk.test." A $proto
	i=$((i + 1))
done
base_ms=$((($(date +%s%N) - base_start) / 1000000))
q=$(qhex 1 0100 1 0 0 0 "$(question many.tc.test. 1)")
"$RAWQ" stall "$SERVER" "$PORT" "$q" 2000 60 >"$LAB_RUN/stall" 2>&1 &
stall_pid=$!
sleep 0.5
start=$(date +%s%N)
i=0 slow_n=0
while [ $i -lt 20 ]; do
	proto=udp
	[ $((i % 2)) -eq 1 ] && proto=tcp
	query "n$(printf %05d $i).bulk.test." A $proto
	[ "$(rcode_of)" = NOERROR ] || fail "query $i ($proto) during the stall: $(rcode_of)"
	i=$((i + 1))
done
ms=$((($(date +%s%N) - start) / 1000000))
echo "20 queries: $base_ms ms alone, $ms ms beside the stalled client"
# generous: the machine may be busy with other builds
[ "$ms" -lt $((base_ms * 4 + 2000)) ] ||
	fail "other clients were slowed down: $ms ms for 20 queries"
kill -0 $stall_pid 2>/dev/null || fail "the stalled client ended early: $(cat "$LAB_RUN/stall")"
kill $stall_pid
wait $stall_pid 2>/dev/null
echo "stalled client: $(cat "$LAB_RUN/stall")"

# -- over 512 bytes without EDNS: TC=1 over UDP, whole over TCP
dig @"$SERVER" -p "$PORT" +noedns +ignore +time=2 +tries=1 many.tc.test. A \
	>"$LAB_RUN/last" 2>&1
case " $(flags_of) " in
*" tc "*) pass "no EDNS, 1.6 KB answer: TC=1" ;;
*) fail "no EDNS, 1.6 KB answer: flags '$(flags_of)' lack tc" ;;
esac
grep -q 'OPT PSEUDOSECTION' "$LAB_RUN/last" && fail "OPT sent to a client without EDNS"
sz=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' "$LAB_RUN/last")
[ "${sz:-9999}" -le 512 ] || fail "UDP answer without EDNS is $sz bytes"
dig @"$SERVER" -p "$PORT" +noedns +tcp +time=2 +tries=1 many.tc.test. A \
	>"$LAB_RUN/last" 2>&1
expect_eq "no EDNS over TCP: records" "$(answer_count)" 100
case " $(flags_of) " in
*" tc "*) fail "TC=1 over TCP" ;;
esac
q=$(qhex 77 0100 1 0 0 0 "$(question big07.tc.test. 16)")
rawq_expect "large TXT, no EDNS, UDP" "id=77 rcode=0 tc=1 *" udp "$SERVER" "$PORT" "$q"
rawq_expect "large TXT, no EDNS, TCP" "id=77 rcode=0 tc=0 qd=1 an=1 *" tcp "$SERVER" "$PORT" "$q"

kill -0 "$(cat "$LAB_RUN/cairnd/cairnd.pid")" || fail "cairnd is gone"
expect_case www.example.test. A NOERROR \
	"www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
cairnd_stop
fakeauth_stop fa
lab_finish
