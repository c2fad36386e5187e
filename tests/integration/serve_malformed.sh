#!/bin/sh
# Every class of malformed or unwanted client input against a running
# cairnd, each answered or dropped as specified while another client keeps
# being served (RFC 1035 s4.1.1, RFC 6891 s6.1.1/s6.1.3, RFC 8482, RFC
# 7766 s8); cairnd still answers at the end.
set -u
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/integration/serve_lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
cairnd_start || lab_finish
www="www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
expect_case www.example.test. A NOERROR "$www"

# still_served WHAT: the well-behaved client is answered, over UDP and TCP.
still_served() {
	query www.example.test. A
	[ "$(rcode_of)" = NOERROR ] && [ "$(answer_count)" = 2 ] ||
		fail "after $1: UDP client not served"
	query www.example.test. A tcp
	[ "$(rcode_of)" = NOERROR ] && [ "$(answer_count)" = 2 ] ||
		fail "after $1: TCP client not served"
}

# malformed WHAT WANT-GLOB HEX: over UDP and over TCP.
malformed() {
	rawq_expect "$1 (udp)" "$2" udp "$SERVER" "$PORT" "$3"
	rawq_expect "$1 (tcp)" "$2" tcp "$SERVER" "$PORT" "$3"
	still_served "$1"
}

q1=$(question www.example.test. 1)
malformed "short packet" noreply 00010100000100
malformed "QR=1" noreply "$(qhex 2 8100 1 0 0 0 "$q1")"
malformed "QDCOUNT=2" "id=3 rcode=1 *" "$(qhex 3 0100 2 0 0 0 "$q1$q1")"
malformed "QDCOUNT=0" "id=4 rcode=1 *" "$(qhex 4 0100 0 0 0 0 "")"
# opcode 2 (STATUS) with RD: byte 2 is 0x11
malformed "opcode STATUS" "id=5 rcode=4 *" "$(qhex 5 1100 1 0 0 0 "$q1")"
malformed "EDNS version 1" "id=6 rcode=16 *" \
	"$(qhex 6 0100 1 0 0 1 "$q1$(opt_hex 1)")"
malformed "two OPT records" "id=7 rcode=1 *" \
	"$(qhex 7 0100 1 0 0 2 "$q1$(opt_hex 0)$(opt_hex 0)")"
# a compression pointer to itself, a label running past the end
malformed "pointer loop name" "id=8 rcode=1 *" "$(qhex 8 0100 1 0 0 0 c00c00010001)"
malformed "cut label" "id=9 rcode=1 *" "$(qhex 9 0100 1 0 0 0 3f777777)"
malformed "question type OPT" "id=10 rcode=1 *" \
	"$(qhex 10 0100 1 0 0 0 "$(question www.example.test. 41)")"
malformed "AXFR" "id=11 rcode=[45] *" \
	"$(qhex 11 0000 1 0 0 0 "$(question example.test. 252)")"
malformed "IXFR" "id=12 rcode=[45] *" \
	"$(qhex 12 0000 1 0 0 0 "$(question example.test. 251)")"
# RFC 8482 s4.2: ANY gets one synthesised HINFO record
malformed "ANY" "id=13 rcode=0 tc=0 qd=1 an=1 *" \
	"$(qhex 13 0100 1 0 0 0 "$(question example.test. 255)")"
query example.test. ANY
expect_eq "ANY answer type" "$(answer_set | awk '{ print $2 }')" HINFO

# A zero-length frame closes that connection only: a client sending a
# query one byte per 40 ms stays connected meanwhile.
q=$(qhex 14 0100 1 0 0 0 "$q1")
"$RAWQ" tcp1 "$SERVER" "$PORT" "$q" 40 >"$LAB_RUN/slowq" 2>&1 &
slowq=$!
sleep 0.3
rawq_expect "zero-length frame" closed tcpraw "$SERVER" "$PORT" 0000
rawq_expect "frame then zero-length frame" "id=15 rcode=0 *" tcpraw "$SERVER" "$PORT" \
	"$(printf '%04x' $((${#q} / 2)))$(qhex 15 0100 1 0 0 0 "$q1")0000"
wait $slowq
case $(cat "$LAB_RUN/slowq") in
"id=14 rcode=0 tc=0 qd=1 an=2 "*) pass "the other TCP client was answered" ;;
*) fail "the other TCP client: $(cat "$LAB_RUN/slowq")" ;;
esac
still_served "zero-length frame"

kill -0 "$(cat "$LAB_RUN/cairnd/cairnd.pid")" || fail "cairnd is gone"
expect_case www.example.test. A NOERROR "$www"
expect_case www.example.test. A NOERROR "$www" tcp
cairnd_stop
lab_finish
