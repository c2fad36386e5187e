# serve_lib.sh -- hand-made DNS messages in hex for the serve_*.sh tests,
# sent with tests/lab/rawq. Source after tests/lab/lib.sh.

RAWQ=$top_builddir/tests/lab/rawq

# name_hex NAME: NAME in wire format (RFC 1035 s3.1), hex.
name_hex() {
	for _l in $(printf '%s' "$1" | tr . ' '); do
		printf '%02x' ${#_l}
		printf '%s' "$_l" | od -An -tx1 | tr -d ' \n'
	done
	printf 00
}

# qhex ID FLAGS QD AN NS AR BODY: header (ID and counts decimal, FLAGS four
# hex digits: 0100 is RD) followed by BODY hex.
qhex() {
	printf '%04x%s%04x%04x%04x%04x%s' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
}

# question NAME TYPE: one question of class IN, hex.
question() {
	printf '%s%04x0001' "$(name_hex "$1")" "$2"
}

# OPT record (RFC 6891 s6.1.2), payload 1232, VERSION $1, DO if $2 = do.
opt_hex() {
	_f=0000
	[ "${2:-}" = do ] && _f=8000
	printf '00002904d000%02x%s0000' "$1" "$_f"
}

# rawq_expect WHAT WANT-GLOB RAWQ-ARGS...: run rawq against the resolver,
# the output line must match WANT-GLOB (a shell pattern).
rawq_expect() {
	_what=$1
	_want=$2
	shift 2
	_got=$("$RAWQ" "$@" 2>&1)
	case $_got in
	$_want) pass "$_what: $_got" ;;
	*) fail "$_what: got '$_got', expected '$_want'" ;;
	esac
}

# fake_zone FILE NAME...: a zone file for fake.test. (delegated to the
# lab's fakeauth address) with "NAME.fake.test. A 192.0.2.1" for each NAME;
# fakeauth answers authoritatively only from a zone file.
fake_zone() {
	_z=$1
	shift
	{
		echo "\$TTL 300"
		echo "fake.test. IN SOA ns1.fake.test. hostmaster.fake.test. 1 3600 600 86400 300"
		echo "fake.test. IN NS ns1.fake.test."
		echo "ns1.fake.test. IN A $LAB_NET.5.1"
		for _n in "$@"; do
			echo "$_n.fake.test. IN A 192.0.2.1"
		done
	} >"$_z"
}
