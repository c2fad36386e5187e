/*
 * frame.h -- RFC 7766 s8 length-prefixed DNS message framing over a byte
 * stream, for client TCP (listen.c) and upstream TCP (tcp_pool.c).
 *
 * Pure: no fd, no loop, no clock. The reader reassembles messages from
 * arbitrary chunks (one byte at a time, several messages per chunk, a
 * message split over chunks); the caller read()s straight into the space
 * it offers, so bytes are copied once. Its buffer grows lazily up to two
 * bytes plus the configured maximum message size, never beyond, and is
 * released when a large message has been consumed.
 * The writer queues outgoing framed messages, hands them out as an iovec
 * for writev() and resumes after partial writes; a byte cap stops a peer
 * that does not read from making us buffer without bound.
 */
#ifndef CAIRN_RESOLVER_FRAME_H
#define CAIRN_RESOLVER_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The largest message a two-byte length prefix can announce. */
#define FRAME_MAX_MSG 65535u

struct frame_reader {
	uint8_t *buf;   /* owned: received bytes, grown on demand */
	size_t size;    /* allocated bytes in buf */
	size_t start;   /* first byte not yet handed out */
	size_t end;     /* one past the last byte received */
	size_t max_msg; /* a frame announcing more is an error */
};

/*
 * Prepares r for messages of 1..max_msg bytes (max_msg at most
 * FRAME_MAX_MSG; larger values are clamped). Allocates nothing yet.
 */
void frame_reader_init(struct frame_reader *r, size_t max_msg);

/* Frees the buffer; r may be initialised again. */
void frame_reader_clear(struct frame_reader *r);

/*
 * Where the next received bytes go: returns a pointer and sets *len to
 * the room there, for read(fd, p, *len), then frame_reader_commit().
 * Invalidates messages returned by frame_reader_next() (the buffer may
 * move or be released when empty). Returns NULL with *len 0 when out of
 * memory, when the pending frame is invalid (frame_reader_next() says
 * which) or when complete messages fill the buffer: drain them with
 * frame_reader_next() before asking for space.
 */
uint8_t *frame_reader_space(struct frame_reader *r, size_t *len);

/* Records that n bytes were written into the space (n <= its *len). */
void frame_reader_commit(struct frame_reader *r, size_t n);

/*
 * Copies bytes from data into the reader, at most as many as fit now;
 * returns how many were taken (0 means: drain with frame_reader_next(),
 * or the pending frame is invalid, or out of memory).
 */
size_t frame_reader_feed(struct frame_reader *r, const uint8_t *data,
                         size_t len);

/*
 * The next complete message: returns 1 and points *msg and *len at it
 * (borrowed: valid until the next frame_reader_space, _feed or _clear),
 * 0 when more bytes are needed, -EPROTO for a zero-length frame and
 * -EMSGSIZE for a frame above max_msg. After an error the stream cannot
 * be resynchronised: the caller closes the connection.
 */
int frame_reader_next(struct frame_reader *r, const uint8_t **msg, size_t *len);

/* True if received bytes of an incomplete frame are buffered. */
bool frame_reader_has_partial(const struct frame_reader *r);

struct frame_out; /* one queued framed message, private to frame.c */

struct frame_writer {
	struct frame_out *head; /* owned: queue, oldest first */
	struct frame_out *tail; /* borrowed: last of the queue */
	size_t off;             /* bytes of head already written */
	size_t pending;         /* bytes queued and not yet written */
	size_t cap;             /* pending never exceeds this */
};

/* An empty queue holding at most cap bytes (prefixes included). */
void frame_writer_init(struct frame_writer *w, size_t cap);

/* Drops every queued message. */
void frame_writer_clear(struct frame_writer *w);

/*
 * Queues a copy of msg with its two-byte length prefix. Returns 0,
 * -EINVAL if len is 0 or above FRAME_MAX_MSG, -ENOBUFS if the queue
 * would exceed its cap (the peer is not reading), -ENOMEM.
 */
int frame_writer_push(struct frame_writer *w, const uint8_t *msg, size_t len);

/*
 * Fills at most max_iov entries of iov with the unwritten bytes, oldest
 * first, for writev(); returns the number of entries used (0: empty).
 * The entries are valid until the next push, advance or clear.
 */
size_t frame_writer_iov(const struct frame_writer *w, struct iovec *iov,
                        size_t max_iov);

/* Records that n bytes (n <= pending) were written; frees sent frames. */
void frame_writer_advance(struct frame_writer *w, size_t n);

/* Bytes queued and not yet written. */
size_t frame_writer_pending(const struct frame_writer *w);

#endif /* CAIRN_RESOLVER_FRAME_H */
