/*
 * fuzz_frame.c -- RFC 7766 framing under arbitrary streams.
 *
 * Input: byte 0 picks the maximum message size, byte 1 the chunk size
 * the stream is fed in; the rest is the stream. Every message the reader
 * returns is queued in a writer and drained, in odd-sized pieces, into a
 * second reader, which must return the same messages: reassembly,
 * limits and the write queue checked against each other.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* Moves everything queued in w into r2, chunk bytes at a time, and
 * checks the messages against the expected one. */
static void
drain(struct frame_writer *w, struct frame_reader *r2, const uint8_t *want,
      size_t want_len, size_t chunk)
{
	struct iovec iov[4];
	const uint8_t *msg;
	size_t len, n, k;
	int got = 0, rc;

	while (frame_writer_pending(w) > 0) {
		n = frame_writer_iov(w, iov, 4);
		check(n > 0);
		k = iov[0].iov_len < chunk ? iov[0].iov_len : chunk;
		k = frame_reader_feed(r2, iov[0].iov_base, k);
		check(k > 0);
		frame_writer_advance(w, k);
		while ((rc = frame_reader_next(r2, &msg, &len)) == 1) {
			check(len == want_len);
			check(memcmp(msg, want, len) == 0);
			got++;
		}
		check(rc == 0);
	}
	check(got == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_reader r, r2;
	struct frame_writer w;
	const uint8_t *msg;
	size_t max_msg, chunk, off = 2, len;
	int rc = 0;

	if (size < 2)
		return 0;
	max_msg = data[0] < 128 ? (size_t)data[0] * 4 + 1 : FRAME_MAX_MSG;
	chunk = (size_t)data[1] + 1;
	frame_reader_init(&r, max_msg);
	frame_reader_init(&r2, max_msg);
	frame_writer_init(&w, 3 * 65537);
	while (off < size && rc >= 0) {
		size_t take = size - off < chunk ? size - off : chunk;
		size_t used = frame_reader_feed(&r, data + off, take);

		off += used;
		while ((rc = frame_reader_next(&r, &msg, &len)) == 1) {
			check(len >= 1 && len <= max_msg);
			check(frame_writer_push(&w, msg, len) == 0);
			drain(&w, &r2, msg, len, chunk);
		}
		check(rc == 0 || rc == -EPROTO || rc == -EMSGSIZE);
		/* memory never exceeds one maximal frame */
		check(r.size <= max_msg + 2);
		if (rc == 0)
			check(used > 0);
	}
	frame_reader_clear(&r);
	frame_reader_clear(&r2);
	frame_writer_clear(&w);
	return 0;
}
