/*
 * test_frame.c -- RFC 7766 framing: reassembly from arbitrary chunks, the
 * error cases, bounded memory, and the write queue with partial writes.
 */
#include "config.h"
#include "resolver/frame.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

Suite *frame_suite(void);

/* Appends a frame of len bytes, each byte = fill, to out at *off. */
static void
put_frame(uint8_t *out, size_t *off, size_t len, uint8_t fill)
{
	out[(*off)++] = (uint8_t)(len >> 8);
	out[(*off)++] = (uint8_t)len;
	memset(out + *off, fill, len);
	*off += len;
}

/* Feeds data in chunks of chunk bytes, collecting message lengths and
 * checking each message's content. Returns the messages seen, or -1 on
 * an error from the reader. */
static int
feed_chunks(struct frame_reader *r, const uint8_t *data, size_t len,
            size_t chunk, size_t *lens, uint8_t *fills, int max)
{
	const uint8_t *msg;
	size_t off = 0, mlen;
	int n = 0, rc;

	while (off < len) {
		size_t take = chunk < len - off ? chunk : len - off;
		size_t used = frame_reader_feed(r, data + off, take);

		off += used;
		while ((rc = frame_reader_next(r, &msg, &mlen)) == 1) {
			ck_assert_int_lt(n, max);
			lens[n] = mlen;
			fills[n] = msg[0];
			ck_assert_uint_eq(msg[mlen - 1], msg[0]);
			n++;
		}
		if (rc < 0)
			return -1;
		ck_assert(used > 0);
	}
	return n;
}

START_TEST(one_byte_at_a_time_yields_every_message)
{
	uint8_t data[1024], fills[8];
	size_t off = 0, lens[8];
	struct frame_reader r;

	put_frame(data, &off, 12, 'a');
	put_frame(data, &off, 1, 'b');
	put_frame(data, &off, 300, 'c');
	frame_reader_init(&r, 512);
	ck_assert_int_eq(feed_chunks(&r, data, off, 1, lens, fills, 8), 3);
	ck_assert_uint_eq(lens[0], 12);
	ck_assert_uint_eq(fills[0], 'a');
	ck_assert_uint_eq(lens[1], 1);
	ck_assert_uint_eq(fills[1], 'b');
	ck_assert_uint_eq(lens[2], 300);
	ck_assert_uint_eq(fills[2], 'c');
	ck_assert(!frame_reader_has_partial(&r));
	frame_reader_clear(&r);
}
END_TEST

START_TEST(several_messages_in_one_chunk_and_splits_across_chunks)
{
	uint8_t data[4096], fills[16];
	size_t off = 0, lens[16], chunk;
	struct frame_reader r;
	int i;

	for (i = 0; i < 10; i++)
		put_frame(data, &off, 37u * (size_t)(i + 1),
		          (uint8_t)('a' + i));
	/* every chunk size from 1 to all at once, so each split point of
	 * header and body occurs */
	for (chunk = 1; chunk <= off; chunk += (chunk < 40 ? 1 : 97)) {
		frame_reader_init(&r, 1000);
		ck_assert_int_eq(
		    feed_chunks(&r, data, off, chunk, lens, fills, 16), 10);
		for (i = 0; i < 10; i++) {
			ck_assert_uint_eq(lens[i], 37u * (size_t)(i + 1));
			ck_assert_uint_eq(fills[i], 'a' + i);
		}
		frame_reader_clear(&r);
	}
}
END_TEST

START_TEST(header_split_from_body_waits_for_more)
{
	struct frame_reader r;
	const uint8_t *msg;
	size_t len;
	uint8_t one = 0, rest[3] = {2, 'x', 'y'};

	frame_reader_init(&r, 100);
	ck_assert_uint_eq(frame_reader_feed(&r, &one, 1), 1);
	ck_assert_int_eq(frame_reader_next(&r, &msg, &len), 0);
	ck_assert(frame_reader_has_partial(&r));
	ck_assert_uint_eq(frame_reader_feed(&r, rest, 2), 2);
	ck_assert_int_eq(frame_reader_next(&r, &msg, &len), 0);
	ck_assert_uint_eq(frame_reader_feed(&r, rest + 2, 1), 1);
	ck_assert_int_eq(frame_reader_next(&r, &msg, &len), 1);
	ck_assert_uint_eq(len, 2);
	ck_assert(memcmp(msg, "xy", 2) == 0);
	frame_reader_clear(&r);
}
END_TEST

START_TEST(zero_length_frame_is_an_error)
{
	struct frame_reader r;
	const uint8_t *msg;
	size_t len;
	uint8_t data[] = {0, 1, 'a', 0, 0, 0, 1, 'b'};

	frame_reader_init(&r, 100);
	ck_assert_uint_eq(frame_reader_feed(&r, data, sizeof(data)),
	                  sizeof(data));
	ck_assert_int_eq(frame_reader_next(&r, &msg, &len), 1);
	ck_assert_int_eq(frame_reader_next(&r, &msg, &len), -EPROTO);
	/* the stream cannot be resynchronised: no more room is offered */
	ck_assert_uint_eq(frame_reader_feed(&r, data, 1), 0);
	frame_reader_clear(&r);
}
END_TEST

START_TEST(frame_above_max_is_an_error_and_max_itself_is_not)
{
	struct frame_reader r;
	const uint8_t *msg;
	size_t len;
	uint8_t *data = calloc(1, 2 + 600);
	size_t off = 0;

	put_frame(data, &off, 512, 'm');
	frame_reader_init(&r, 512);
	ck_assert_uint_eq(frame_reader_feed(&r, data, off), off);
	ck_assert_int_eq(frame_reader_next(&r, &msg, &len), 1);
	ck_assert_uint_eq(len, 512);
	frame_reader_clear(&r);

	off = 0;
	put_frame(data, &off, 513, 'm');
	frame_reader_init(&r, 512);
	/* the error shows as soon as the header is in */
	ck_assert_uint_eq(frame_reader_feed(&r, data, 2), 2);
	ck_assert_int_eq(frame_reader_next(&r, &msg, &len), -EMSGSIZE);
	ck_assert_uint_eq(frame_reader_feed(&r, data + 2, 10), 0);
	frame_reader_clear(&r);
	free(data);
}
END_TEST

START_TEST(largest_frame_65535_reassembles)
{
	size_t total = 2 + 65535, off = 0, lens[2];
	uint8_t *data = malloc(total), fills[2];
	struct frame_reader r;

	put_frame(data, &off, 65535, 'z');
	frame_reader_init(&r, 100000); /* clamped to 65535 */
	ck_assert_uint_eq(r.max_msg, FRAME_MAX_MSG);
	ck_assert_int_eq(feed_chunks(&r, data, off, 1000, lens, fills, 2), 1);
	ck_assert_uint_eq(lens[0], 65535);
	ck_assert_uint_le(r.size, 2 + 65535);
	/* once consumed, the large buffer is given back */
	ck_assert_ptr_nonnull(frame_reader_space(&r, &off));
	ck_assert_uint_le(r.size, 2 + 512);
	frame_reader_clear(&r);
	free(data);
}
END_TEST

START_TEST(read_straight_into_space_without_copy)
{
	struct frame_reader r;
	const uint8_t *msg;
	size_t room, len;
	uint8_t *p;
	int i, got = 0;

	frame_reader_init(&r, 64);
	for (i = 0; i < 1000; i++) {
		/* as read(2) would: a 6-byte frame written in place */
		p = frame_reader_space(&r, &room);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_ge(room, 6);
		p[0] = 0;
		p[1] = 4;
		memcpy(p + 2, &i, 4);
		frame_reader_commit(&r, 6);
		while (frame_reader_next(&r, &msg, &len) == 1) {
			int v;

			ck_assert_uint_eq(len, 4);
			memcpy(&v, msg, 4);
			ck_assert_int_eq(v, got);
			got++;
		}
	}
	ck_assert_int_eq(got, 1000);
	/* memory stays bounded by the maximum frame */
	ck_assert_uint_le(r.size, 2 + 64);
	frame_reader_clear(&r);
}
END_TEST

START_TEST(writer_resumes_after_partial_writes)
{
	struct frame_writer w;
	struct iovec iov[4];
	uint8_t out[64];
	size_t n, i, got = 0;

	frame_writer_init(&w, 1024);
	ck_assert_int_eq(frame_writer_push(&w, (const uint8_t *)"abc", 3), 0);
	ck_assert_int_eq(frame_writer_push(&w, (const uint8_t *)"defgh", 5), 0);
	ck_assert_uint_eq(frame_writer_pending(&w), 5 + 7);
	/* a writer that manages 3 bytes per call */
	while (frame_writer_pending(&w) > 0) {
		size_t take;

		n = frame_writer_iov(&w, iov, 4);
		ck_assert_uint_ge(n, 1);
		take = iov[0].iov_len < 3 ? iov[0].iov_len : 3;
		for (i = 0; i < take; i++)
			out[got++] = ((uint8_t *)iov[0].iov_base)[i];
		frame_writer_advance(&w, take);
	}
	ck_assert_uint_eq(got, 12);
	ck_assert(memcmp(out, "\0\3abc\0\5defgh", 12) == 0);
	ck_assert_uint_eq(frame_writer_iov(&w, iov, 4), 0);
	frame_writer_clear(&w);
}
END_TEST

START_TEST(writer_advance_across_several_frames)
{
	struct frame_writer w;
	struct iovec iov[4];

	frame_writer_init(&w, 1024);
	ck_assert_int_eq(frame_writer_push(&w, (const uint8_t *)"a", 1), 0);
	ck_assert_int_eq(frame_writer_push(&w, (const uint8_t *)"bb", 2), 0);
	ck_assert_int_eq(frame_writer_push(&w, (const uint8_t *)"ccc", 3), 0);
	ck_assert_uint_eq(frame_writer_iov(&w, iov, 4), 3);
	ck_assert_uint_eq(frame_writer_iov(&w, iov, 2), 2);
	frame_writer_advance(&w, 3 + 4 + 1); /* two frames and a byte */
	ck_assert_uint_eq(frame_writer_iov(&w, iov, 4), 1);
	ck_assert_uint_eq(iov[0].iov_len, 4);
	ck_assert(memcmp(iov[0].iov_base, "\3ccc", 4) == 0);
	frame_writer_clear(&w);
}
END_TEST

START_TEST(writer_cap_refuses_a_peer_that_does_not_read)
{
	struct frame_writer w;
	uint8_t msg[100] = {0};
	int i;

	frame_writer_init(&w, 1020); /* ten 102-byte frames fit */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(frame_writer_push(&w, msg, sizeof(msg)), 0);
	ck_assert_int_eq(frame_writer_push(&w, msg, sizeof(msg)), -ENOBUFS);
	ck_assert_uint_eq(frame_writer_pending(&w), 1020);
	frame_writer_advance(&w, 102);
	ck_assert_int_eq(frame_writer_push(&w, msg, sizeof(msg)), 0);
	ck_assert_int_eq(frame_writer_push(&w, msg, 0), -EINVAL);
	frame_writer_clear(&w);
	ck_assert_uint_eq(frame_writer_pending(&w), 0);
}
END_TEST

START_TEST(writer_rejects_messages_framing_cannot_carry)
{
	struct frame_writer w;
	uint8_t *big = calloc(1, 65536);

	frame_writer_init(&w, 1 << 20);
	ck_assert_int_eq(frame_writer_push(&w, big, 65536), -EINVAL);
	ck_assert_int_eq(frame_writer_push(&w, big, 65535), 0);
	frame_writer_clear(&w);
	free(big);
}
END_TEST

START_TEST(writer_output_reassembles_in_reader)
{
	struct frame_writer w;
	struct frame_reader r;
	struct iovec iov[8];
	uint8_t msg[200];
	const uint8_t *m;
	size_t len, n, k;
	int i, got = 0;

	frame_writer_init(&w, 1 << 16);
	frame_reader_init(&r, 200);
	for (i = 1; i <= 50; i++) {
		memset(msg, i, sizeof(msg));
		ck_assert_int_eq(frame_writer_push(&w, msg, (size_t)i * 4), 0);
	}
	while (frame_writer_pending(&w) > 0) {
		n = frame_writer_iov(&w, iov, 8);
		ck_assert_uint_ge(n, 1);
		/* odd-sized pieces, as a congested socket takes them */
		k = frame_reader_feed(&r, iov[0].iov_base,
		                      iov[0].iov_len < 7 ? iov[0].iov_len : 7);
		frame_writer_advance(&w, k);
		while (frame_reader_next(&r, &m, &len) == 1) {
			got++;
			ck_assert_uint_eq(len, (size_t)got * 4);
			ck_assert_uint_eq(m[0], got);
		}
	}
	ck_assert_int_eq(got, 50);
	frame_writer_clear(&w);
	frame_reader_clear(&r);
}
END_TEST

Suite *
frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("reader");
	TCase *tw = tcase_create("writer");

	tcase_add_test(tc, one_byte_at_a_time_yields_every_message);
	tcase_add_test(tc,
	               several_messages_in_one_chunk_and_splits_across_chunks);
	tcase_add_test(tc, header_split_from_body_waits_for_more);
	tcase_add_test(tc, zero_length_frame_is_an_error);
	tcase_add_test(tc, frame_above_max_is_an_error_and_max_itself_is_not);
	tcase_add_test(tc, largest_frame_65535_reassembles);
	tcase_add_test(tc, read_straight_into_space_without_copy);
	tcase_add_test(tw, writer_resumes_after_partial_writes);
	tcase_add_test(tw, writer_advance_across_several_frames);
	tcase_add_test(tw, writer_cap_refuses_a_peer_that_does_not_read);
	tcase_add_test(tw, writer_rejects_messages_framing_cannot_carry);
	tcase_add_test(tw, writer_output_reassembles_in_reader);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tw);
	return s;
}
