#!/bin/sh
# fakeauth: every fault it offers, and the counters tests rely on.
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_tmp
pipe=$top_builddir/tests/lab/tcpipe
zone=$LAB_RUN/fa.zone
cat >"$zone" <<Z
\$TTL 300
fa.test. IN SOA ns.fa.test. hostmaster.fa.test. 1 3600 600 86400 300
fa.test. IN NS ns.fa.test.
ns.fa.test. IN A $LAB_NET.5.1
www.fa.test. IN A 192.0.2.7
Z
A=$LAB_NET.5.1
SERVER=$A
DIG_TIME=1
P=5301
next_port() {
	P=$((P + 1))
	PORT=$P
}
names() { # names N -> q1.fa.test. ... qN.fa.test.
	i=1
	while [ "$i" -le "$1" ]; do
		printf 'q%d.fa.test. ' "$i"
		i=$((i + 1))
	done
}

# Zone answers, UDP and TCP, and the UDP counter.
next_port
fakeauth_start plain -l "$A@$PORT" -z "$zone"
expect_case www.fa.test. A NOERROR "www.fa.test. A 192.0.2.7"
expect_case nope.fa.test. A NXDOMAIN -
expect_case www.fa.test. MX NOERROR -
expect_rcode www.example.test. A REFUSED
expect_case www.fa.test. A NOERROR "www.fa.test. A 192.0.2.7" tcp
expect_eq "plain udp_queries" "$(fa_stat plain udp_queries)" 4

# 10 pipelined queries on one connection: 1 connection, 10 queries.
# shellcheck disable=SC2046
"$pipe" "$A" "$PORT" A $(names 10) >"$LAB_RUN/out" ||
	fail "tcpipe: $(cat "$LAB_RUN/out")"
expect_eq "pipelined answers" "$(grep -c ' NXDOMAIN ' "$LAB_RUN/out")" 10
expect_eq "tcp_connections" "$(fa_stat plain tcp_connections)" 2
expect_eq "tcp_queries" "$(fa_stat plain tcp_queries)" 11
expect_eq "tcp_queries_per_conn" "$(fa_stat plain tcp_queries_per_conn)" "1 10"
fakeauth_stop plain
[ -e "$LAB_RUN/fakeauth/plain.pid" ] && fail "plain: pid file left behind"
expect_eq "stats kept at exit" "$(fa_stat plain tcp_max_queries_per_conn)" 10

# Answers in reverse order of a batch of 5.
next_port
fakeauth_start rev -l "$A@$PORT" -r 5
# shellcheck disable=SC2046
"$pipe" "$A" "$PORT" A $(names 5) >"$LAB_RUN/out"
expect_eq "reverse batch IDs" "$(cut -d' ' -f1 "$LAB_RUN/out" | tr '\n' ' ')" \
	"5 4 3 2 1 "

# Per-name delay: slow* answered last, the others go past it.
next_port
fakeauth_start slow -l "$A@$PORT" -S 300
"$pipe" "$A" "$PORT" A slow1.fa.test. q2.fa.test. q3.fa.test. >"$LAB_RUN/out"
expect_eq "out of order" "$(cut -d' ' -f2 "$LAB_RUN/out" | tr '\n' ' ')" \
	"q2.fa.test. q3.fa.test. slow1.fa.test. "

# Close after K answers; close in the middle of a message.
next_port
fakeauth_start close -l "$A@$PORT" -k 3
# shellcheck disable=SC2046
"$pipe" "$A" "$PORT" A $(names 5) >"$LAB_RUN/out" && fail "close-after: no close"
expect_eq "close after 3" "$(tail -n 1 "$LAB_RUN/out")" "closed after 3"
expect_eq "close tcp_answers" "$(fa_stat close tcp_answers)" 3
next_port
fakeauth_start mid -l "$A@$PORT" -m
"$pipe" "$A" "$PORT" A www.fa.test. >"$LAB_RUN/out"
expect_eq "close mid-message" "$(cat "$LAB_RUN/out")" "closed after 0"

# Accept TCP, read, never answer.
next_port
fakeauth_start silent -l "$A@$PORT" -n
"$pipe" "$A" "$PORT" A q1.fa.test. q2.fa.test. >"$LAB_RUN/out"
expect_eq "silent" "$(cat "$LAB_RUN/out")" "timeout after 0"
expect_eq "silent tcp_queries" "$(fa_stat silent tcp_queries)" 2

# Wrong ID and wrong question (seen over TCP, refused by dig over UDP).
next_port
fakeauth_start wid -l "$A@$PORT" -i
"$pipe" "$A" "$PORT" A www.fa.test. >"$LAB_RUN/out"
expect_eq "wrong id" "$(cut -d' ' -f1 "$LAB_RUN/out")" 65534
query www.fa.test. A && fail "dig accepted a reply with a wrong ID"
expect_eq "wrong id udp_answers" "$(fa_stat wid udp_answers)" 1
next_port
fakeauth_start wq -l "$A@$PORT" -q
"$pipe" "$A" "$PORT" A www.fa.test. >"$LAB_RUN/out"
expect_eq "wrong question" "$(cut -d' ' -f2 "$LAB_RUN/out")" wrong-question.invalid.

# Reply from a wrong source port: dig waits for the right one in vain.
next_port
fakeauth_start wport -l "$A@$PORT" -P
query www.fa.test. A && fail "dig accepted a reply from a wrong port"
expect_eq "wrong port udp_answers" "$(fa_stat wport udp_answers)" 1

# Delay: the answer takes at least 400 ms.
next_port
fakeauth_start delay -l "$A@$PORT" -d 400
t0=$(date +%s%N)
expect_answer www.fa.test. A "www.fa.test. A 192.0.2.1"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$ms" -ge 400 ] && pass "delay $ms ms" || fail "delay only $ms ms"

# Drop the first 2 UDP queries; the third is answered.
next_port
fakeauth_start drop -l "$A@$PORT" -D 2
dig @"$A" -p "$PORT" +time=1 +tries=3 +short www.fa.test. A |
	grep -v "^;;" >"$LAB_RUN/out"
expect_eq "drop: answer" "$(cat "$LAB_RUN/out")" 192.0.2.1
expect_eq "drop: udp_dropped" "$(fa_stat drop udp_dropped)" 2
expect_eq "drop: udp_queries" "$(fa_stat drop udp_queries)" 3

# Always TC over UDP: empty TC=1 reply, then the answer over TCP.
next_port
fakeauth_start tc -l "$A@$PORT" -t -z "$zone"
expect_flag www.fa.test. A tc
expect_answer www.fa.test. A -
dig @"$A" -p "$PORT" +time=2 +tries=1 +short www.fa.test. A >"$LAB_RUN/out"
expect_eq "tc: answer over tcp" "$(cat "$LAB_RUN/out")" 192.0.2.7
expect_eq "tc: tcp_queries" "$(fa_stat tc tcp_queries)" 1

# Out-of-bailiwick records added to the answer (poisoning attempt).
next_port
fakeauth_start poison -l "$A@$PORT" -z "$zone" -o www.victim.example.
expect_answer www.fa.test. A \
	"www.fa.test. A 192.0.2.7 | www.victim.example. A 192.0.2.66"
expect_section www.fa.test. A AUTHORITY \
	"www.victim.example. NS ns.poison.invalid."

# Malformed replies of each kind; malformed queries do not hurt fakeauth.
for m in short cut counts garbage; do
	next_port
	fakeauth_start "mal$m" -l "$A@$PORT" -M "$m" -z "$zone"
	"$pipe" "$A" "$PORT" A www.fa.test. >"$LAB_RUN/out"
	case $(cat "$LAB_RUN/out") in
	malformed*) pass "malformed $m" ;;
	*) fail "malformed $m: $(cat "$LAB_RUN/out")" ;;
	esac
done
next_port
fakeauth_start junk -l "$A@$PORT" -z "$zone"
bash -c "printf 'junk' >/dev/udp/$A/$PORT;
	printf '\\000\\014\\001\\002\\000\\000\\000\\001\\000\\000\\000\\000\\000\\000' >/dev/udp/$A/$PORT;
	printf '\\000\\003abc\\000\\040\\377\\377' >/dev/tcp/$A/$PORT;
	printf '\\000' >/dev/tcp/$A/$PORT" 2>/dev/null
sleep 0.2
expect_case www.fa.test. A NOERROR "www.fa.test. A 192.0.2.7"
expect_eq "junk: malformed" "$(fa_stat junk malformed)" 3

for n in plain rev slow close mid silent wid wq wport delay drop tc poison \
	malshort malcut malcounts malgarbage junk; do
	fakeauth_stop "$n"
done
lab_finish
