#!/bin/sh
# The lab itself: each NSD answers its own zones and only those, referrals
# carry the glue the README promises, large answers truncate over UDP, dead
# addresses are dead, and every "auth"/"both" case of tests/lab/cases holds
# when asked directly at its authoritative server.
set -u
. "$top_srcdir/tests/lab/lib.sh"
lab_up

# Root: referral to test. with glue, never an answer for a name below.
lab_server root1
expect_no_flag www.example.test. A aa
expect_answer www.example.test. A -
expect_section www.example.test. A AUTHORITY \
	"test. NS ns1.nic.test. | test. NS ns2.nic.test."
expect_section www.example.test. A ADDITIONAL \
	"ns1.nic.test. A $LAB_NET.1.1 | ns2.nic.test. A $LAB_NET.1.2"
lab_server root2
expect_section www.v6only.lab. A AUTHORITY "lab. NS ns1.nic.lab."

# TLD test.: referral with glue; glueless referral; not authoritative for
# other TLDs.
for s in test1 test2; do
	lab_server $s
	expect_section www.example.test. A AUTHORITY \
		"example.test. NS ns1.example.test."
	expect_section www.example.test. A ADDITIONAL \
		"ns1.example.test. A $LAB_NET.2.1"
	expect_section www.glueless.test. A AUTHORITY \
		"glueless.test. NS ns1.hosts.lab. | glueless.test. NS ns2.hosts.lab."
	expect_section www.glueless.test. A ADDITIONAL -
	expect_rcode www.example.lab. A REFUSED
	expect_rcode . NS REFUSED
done

# TLD lab.: the v6only.lab. referral has only AAAA glue (::1).
lab_server lab
expect_section www.v6only.lab. A AUTHORITY "v6only.lab. NS ns.v6host.lab."
expect_section www.v6only.lab. A ADDITIONAL "ns.v6host.lab. AAAA ::1"
expect_rcode www.example.test. A REFUSED

# Second-level servers hold only their own zones.
lab_server extest
expect_flag www.example.test. A aa
expect_rcode www.glueless.test. A REFUSED
expect_rcode c3.hosts.lab. A REFUSED
lab_server hosts
expect_rcode c2.cross.example. A REFUSED

# Large answers: TC=1 over UDP with EDNS 1232, complete over TCP.
lab_server tc
for n in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
	expect_flag big$n.tc.test. TXT tc
done
expect_flag many.tc.test. A tc
expect_no_flag small.tc.test. A tc
query many.tc.test. A tcp
expect_eq "many.tc.test. A over TCP" "$(answer_count)" 100
query big07.tc.test. TXT tcp
expect_eq "big07.tc.test. TXT strings over TCP" \
	"$(answer_set | tr ' ' '\n' | grep -c '^"')" 12

# Dead addresses: nothing listens.
for a in $LAB_DEAD; do
	if dig @"$a" +time=1 +tries=1 +norec www.dead.test. A >/dev/null 2>&1; then
		fail "$a answers but should be dead"
	else
		pass "$a is dead"
	fi
done

# Every authoritative case of the cases file.
"$top_srcdir/tests/lab/run-cases" "$LAB_RUN" "$top_srcdir/tests/lab/cases" \
	>"$LAB_RUN/cases.out" 2>&1 || fail "cases file"
grep -v '^ok:' "$LAB_RUN/cases.out"
lab_finish
