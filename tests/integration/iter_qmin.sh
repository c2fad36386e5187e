#!/bin/sh
# Every lab case resolves with QNAME minimisation on (the default) and off,
# each from a cold cache; the upstream queries per case of each run are
# printed (from the upstream figures cairnd logs at exit).
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
cases=$top_srcdir/tests/lab/cases

# run MODE: a cold cairnd with qname-minimisation MODE over every case
run() {
	rm -f "$LAB_RUN/cairnd/cairnd.log"
	cairnd_start "	qname-minimisation: $1" || lab_finish
	"$top_srcdir/tests/lab/run-cases" "$LAB_RUN" "$cases" "$SERVER@$PORT" \
		>"$LAB_RUN/pass.$1" 2>&1 ||
		fail "qname-minimisation $1: $(grep -A2 FAIL "$LAB_RUN/pass.$1")"
	cairnd_stop
	n=$(sed -n 's/^run-cases: \([0-9]*\) cases.*/\1/p' "$LAB_RUN/pass.$1")
	udp=$(sed -n 's/.*upstream udp: \([0-9]*\) sent.*/\1/p' "$LAB_RUN/cairnd/cairnd.log")
	tcp=$(sed -n 's/.*upstream tcp: \([0-9]*\) sent.*/\1/p' "$LAB_RUN/cairnd/cairnd.log")
	[ -n "$n" ] && [ -n "$udp" ] && [ -n "$tcp" ] ||
		{ fail "no figures for qname-minimisation $1"; return; }
	echo "figure: qname-minimisation $1: $n cases, cold cache:" \
		"$udp UDP + $tcp TCP upstream queries," \
		"$(awk -v q=$((udp + tcp)) -v n="$n" 'BEGIN { printf "%.2f", q / n }') per case"
}
run yes
run no
lab_finish
