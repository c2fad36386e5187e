/*
 * frame.c -- RFC 7766 s8 message framing: reassembly and write queue.
 */
#include "config.h"
#include "resolver/frame.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Room offered before a frame's length is known: one typical message. */
#define FRAME_MIN_ROOM 512u
/* An empty buffer above this size is released, so an idle connection
 * that once carried a large message holds little memory. */
#define FRAME_SHRINK_AT 4096u

struct frame_out {
	struct frame_out *next;
	size_t len; /* bytes in data: prefix and message */
	uint8_t data[];
};

void
frame_reader_init(struct frame_reader *r, size_t max_msg)
{
	memset(r, 0, sizeof(*r));
	r->max_msg = MIN(max_msg, (size_t)FRAME_MAX_MSG);
}

void
frame_reader_clear(struct frame_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = r->start = r->end = 0;
}

static size_t
buffered(const struct frame_reader *r)
{
	return r->end - r->start;
}

/* The announced length of the pending frame, or -1 if not yet known. */
static long
pending_len(const struct frame_reader *r)
{
	if (buffered(r) < 2)
		return -1;
	return (long)r->buf[r->start] << 8 | r->buf[r->start + 1];
}

static bool
pending_is_invalid(const struct frame_reader *r)
{
	long n = pending_len(r);

	return n == 0 || (n > 0 && (size_t)n > r->max_msg);
}

/* Moves unconsumed bytes to the front so the room is contiguous. */
static void
compact(struct frame_reader *r)
{
	size_t n = buffered(r);

	if (r->start == 0)
		return;
	if (n > 0)
		memmove(r->buf, r->buf + r->start, n);
	r->start = 0;
	r->end = n;
}

/* Bytes the buffer must hold for the pending frame to complete. */
static size_t
wanted_size(const struct frame_reader *r)
{
	long n = pending_len(r);

	if (n < 0)
		return MIN((size_t)FRAME_MIN_ROOM, r->max_msg) + 2;
	return (size_t)n + 2;
}

uint8_t *
frame_reader_space(struct frame_reader *r, size_t *len)
{
	size_t want;
	uint8_t *nb;

	*len = 0;
	if (pending_is_invalid(r))
		return NULL;
	if (buffered(r) == 0 && r->size > FRAME_SHRINK_AT)
		frame_reader_clear(r);
	compact(r);
	want = wanted_size(r);
	if (want > r->size) {
		if ((nb = realloc(r->buf, want)) == NULL)
			return NULL;
		r->buf = nb;
		r->size = want;
	}
	*len = r->size - r->end;
	return *len > 0 ? r->buf + r->end : NULL;
}

void
frame_reader_commit(struct frame_reader *r, size_t n)
{
	assert(n <= r->size - r->end);
	r->end += n;
}

size_t
frame_reader_feed(struct frame_reader *r, const uint8_t *data, size_t len)
{
	size_t room;
	uint8_t *p = frame_reader_space(r, &room);

	if (p == NULL || len == 0)
		return 0;
	room = MIN(room, len);
	memcpy(p, data, room);
	frame_reader_commit(r, room);
	return room;
}

int
frame_reader_next(struct frame_reader *r, const uint8_t **msg, size_t *len)
{
	long n = pending_len(r);

	if (n < 0)
		return 0;
	if (n == 0)
		return -EPROTO; /* RFC 7766 s8: a message has a header */
	if ((size_t)n > r->max_msg)
		return -EMSGSIZE;
	if (buffered(r) < (size_t)n + 2)
		return 0;
	*msg = r->buf + r->start + 2;
	*len = (size_t)n;
	r->start += (size_t)n + 2;
	if (r->start == r->end)
		r->start = r->end = 0; /* next read lands at the front */
	return 1;
}

bool
frame_reader_has_partial(const struct frame_reader *r)
{
	return buffered(r) > 0;
}

void
frame_writer_init(struct frame_writer *w, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->cap = cap;
}

void
frame_writer_clear(struct frame_writer *w)
{
	struct frame_out *f, *next;

	for (f = w->head; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	w->head = w->tail = NULL;
	w->off = w->pending = 0;
}

int
frame_writer_push(struct frame_writer *w, const uint8_t *msg, size_t len)
{
	struct frame_out *f;

	if (len == 0 || len > FRAME_MAX_MSG)
		return -EINVAL;
	if (len + 2 > w->cap || w->pending > w->cap - (len + 2))
		return -ENOBUFS;
	if ((f = malloc(sizeof(*f) + len + 2)) == NULL)
		return -ENOMEM;
	f->next = NULL;
	f->len = len + 2;
	f->data[0] = (uint8_t)(len >> 8);
	f->data[1] = (uint8_t)len;
	memcpy(f->data + 2, msg, len);
	if (w->tail != NULL)
		w->tail->next = f;
	else
		w->head = f;
	w->tail = f;
	w->pending += len + 2;
	return 0;
}

size_t
frame_writer_iov(const struct frame_writer *w, struct iovec *iov,
                 size_t max_iov)
{
	const struct frame_out *f;
	size_t n = 0, off = w->off;

	for (f = w->head; f != NULL && n < max_iov; f = f->next) {
		iov[n].iov_base = (void *)(f->data + off);
		iov[n].iov_len = f->len - off;
		n++;
		off = 0;
	}
	return n;
}

void
frame_writer_advance(struct frame_writer *w, size_t n)
{
	struct frame_out *f;

	assert(n <= w->pending);
	w->pending -= n;
	while (n > 0 && (f = w->head) != NULL) {
		size_t left = f->len - w->off;

		if (n < left) {
			w->off += n;
			return;
		}
		n -= left;
		w->off = 0;
		w->head = f->next;
		if (w->head == NULL)
			w->tail = NULL;
		free(f);
	}
}

size_t
frame_writer_pending(const struct frame_writer *w)
{
	return w->pending;
}
