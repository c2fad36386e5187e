#!/bin/sh
# Upstream TCP against misbehaving authorities, end to end: cairnd asks
# fakeauth (fake.test. on NET.5.1, fake2.test. on NET.5.2 and NET.5.3),
# which truncates every UDP reply, and then over TCP closes after every 3
# answers, answers out of order, never answers, sends answers too large
# for TCP, or has no UDP at all. Every query is answered correctly or
# fails with SERVFAIL within the resolution budget; nothing hangs.
set -u
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/integration/tcp_common.sh"
lab_up
DIG_TIME=8
FA=$LAB_FAKE
set -- $LAB_FAKE2
F2A=$1
F2B=$2
BUDGET_MS=5000 # resolve-timeout's default
NOPREF="	upstream-tcp-after-tc: 0"
zone=$LAB_RUN/fake.zone
fake_zone "$zone" fake.test. "$FA"
fake_names "$zone" fake.test. a 20
fake_names "$zone" fake.test. slow 10
fake_txt "$zone" big.fake.test. 240
fake_txt "$zone" huge.fake.test. 300
A=$(names a 20 fake.test.)
zone2=$LAB_RUN/fake2.zone
fake_zone "$zone2" fake2.test. "$F2A" "$F2B"
fake_names "$zone2" fake2.test. c 10
fake_names "$zone2" fake2.test. d 4
C=$(names c 10 fake2.test.)
D=$(names d 4 fake2.test.)

# --- the server closes after every 3 answers: ceil(20 / 3) = 7 conns ------
fakeauth_start k3 -l "$FA@53" -t -k 3 -z "$zone" || lab_finish
cairnd_fresh "$NOPREF" || lab_finish
# shellcheck disable=SC2086
ask_each $A
expect_eq "close after 3, one at a time: fakeauth tcp_connections" \
	"$(fa_stat k3 tcp_connections)" 7
expect_eq "close after 3, one at a time: fakeauth tcp_answers" \
	"$(fa_stat k3 tcp_answers)" 20
expect_eq "close after 3, one at a time: cairnd tcp connections" \
	"$(cairnd_tcp_opened "$FA")" 7
fakeauth_stop k3
fakeauth_start k3p -l "$FA@53" -t -k 3 -z "$zone" || lab_finish
cairnd_fresh "$NOPREF" || lab_finish
# shellcheck disable=SC2086
ask_all $A
expect_eq "close after 3, all at once: fakeauth tcp_connections" \
	"$(fa_stat k3p tcp_connections)" 7
# 20, or 21: fakeauth closes with pipelined queries still unread, which
# is a reset (RFC 1122 s4.2.2.13) that can discard an answer it had
# written but not yet sent; cairnd then asks that query again on the
# next connection (7 connections hold 21)
n=$(fa_stat k3p tcp_answers)
[ "$n" = 20 ] || [ "$n" = 21 ] ||
	fail "close after 3, all at once: fakeauth tcp_answers: got '$n', expected 20 or 21"
expect_eq "close after 3, all at once: cairnd tcp connections" \
	"$(cairnd_tcp_opened "$FA")" 7
fakeauth_stop k3p

# --- pipelined answers out of order --------------------------------------
# -r 2: each pair of answers in reverse order
fakeauth_start rev -l "$FA@53" -t -r 2 -z "$zone" || lab_finish
cairnd_fresh "$NOPREF" || lab_finish
# shellcheck disable=SC2086
ask_all $A
expect_eq "reversed pairs: fakeauth tcp_connections" \
	"$(fa_stat rev tcp_connections)" 1
expect_eq "reversed pairs: fakeauth tcp_answers" "$(fa_stat rev tcp_answers)" 20
cairnd_stop
fakeauth_stop rev
# -S 300: slow* names answered 300 ms late, the others overtake them
fakeauth_start slow -l "$FA@53" -t -S 300 -z "$zone" || lab_finish
cairnd_fresh "$NOPREF" || lab_finish
# shellcheck disable=SC2086
ask_all $(names slow 10 fake.test.) $(names a 10 fake.test.)
expect_eq "slow and fast mixed: fakeauth tcp_connections" \
	"$(fa_stat slow tcp_connections)" 1
expect_eq "slow and fast mixed: fakeauth tcp_answers" \
	"$(fa_stat slow tcp_answers)" 20

# --- answers of 63 KB over TCP, and above 65535 bytes ---------------------
cairnd_stop
fakeauth_stop slow
fakeauth_start big -l "$FA@53" -z "$zone" || lab_finish
cairnd_fresh "" || lab_finish
query big.fake.test. TXT tcp
check_rcode "big.fake.test. TXT (63 KB) over TCP" NOERROR &&
	check_answer "big.fake.test. TXT (63 KB) over TCP" "#240"
t0=$(now_ns)
query huge.fake.test. TXT tcp
check_rcode "huge.fake.test. TXT (above 64 KiB)" SERVFAIL
el=$(ms_since "$t0")
[ "$el" -lt $BUDGET_MS ] && pass "huge answer failed in $el ms" ||
	fail "huge answer took $el ms"
expect_eq "huge: fakeauth tcp_queries (no loop)" \
	"$(fa_stat big tcp_queries)" 2
grep -q "upstream tcp: .* 1 truncated" "$LAB_RUN/cairnd/cairnd.log" ||
	cairnd_stop
grep -q "upstream tcp: .* 1 truncated" "$LAB_RUN/cairnd/cairnd.log" &&
	pass "cairnd counted the TC=1 TCP reply" ||
	fail "cairnd did not count the TC=1 TCP reply"
fakeauth_stop big

# --- no UDP at all (closed port): SERVFAIL promptly ------------------------
fakeauth_start noudp -l "$FA@53" -U -z "$zone" || lab_finish
cairnd_fresh "" || lab_finish
t0=$(now_ns)
expect_rcode a1.fake.test. A SERVFAIL
el=$(ms_since "$t0")
[ "$el" -lt $BUDGET_MS ] && pass "closed UDP port failed in $el ms" ||
	fail "closed UDP port took $el ms"
cairnd_stop
fakeauth_stop noudp

# --- one of two servers accepts TCP and never answers ----------------------
fakeauth_start silent -l "$F2A@53" -t -n -z "$zone2" || lab_finish
fakeauth_start good -l "$F2B@53" -t -z "$zone2" || lab_finish
cairnd_fresh "" || lab_finish
# shellcheck disable=SC2086
ask_all $C
for q in $C; do
	ms=$(query_time_of "$LAB_RUN/par/$q")
	if [ -n "$ms" ] && [ "$ms" -lt $BUDGET_MS ]; then
		pass "$q answered in $ms ms"
	else
		fail "$q: query time '${ms:-none}' ms, budget $BUDGET_MS"
	fi
done
n=$(fa_stat silent tcp_queries)
[ "${n:-0}" -gt 0 ] && pass "the silent server was asked $n times" ||
	fail "the silent server was never asked: nothing tested"
cairnd_stop
fakeauth_stop silent
fakeauth_stop good

# --- both servers silent over TCP: SERVFAIL within the budget --------------
fakeauth_start silent1 -l "$F2A@53" -t -n -z "$zone2" || lab_finish
fakeauth_start silent2 -l "$F2B@53" -t -n -z "$zone2" || lab_finish
cairnd_fresh "" || lab_finish
for q in $D; do
	query_timed "$q" A
	check_rcode "$q A (both servers silent)" SERVFAIL
	ms=$(query_time_of "$LAB_RUN/last")
	if [ -n "$ms" ] && [ "$ms" -le $((BUDGET_MS + 500)) ]; then
		pass "$q failed in $ms ms"
	else
		fail "$q: query time '${ms:-none}' ms, budget $BUDGET_MS"
	fi
done
cairnd_stop
fakeauth_stop silent1
fakeauth_stop silent2
lab_finish
