/*
 * tcp_buffer.c: a connection's bytes. The send queue (what the application
 * handed over and the peer has not acknowledged, starting at snd_base), the
 * receive queue (in order, not yet read) and the out-of-order list of
 * tcp_input.c. Buffers exist only while a connection carries data: a
 * listener has none and TIME_WAIT keeps only unread bytes, so 10^6 idle
 * TCBs cost no queue memory.
 */
#include "tcp_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- byte queues ---- */

/* Room for len more bytes after the queued ones: first slide the queue to
 * the front, then double. Start at 1 KiB: glibc serves up to 1032 bytes
 * from its per-thread cache, larger requests consolidate the heap (4 KiB
 * here cost 3% of a short connection's time). */
static int bytes_reserve(struct tcp_bytes *q, uint32_t len)
{
    if (q->head + q->len + len <= q->cap)
        return 0;
    if (q->head) {
        memmove(q->data, q->data + q->head, q->len);
        q->head = 0;
    }
    if (q->len + len <= q->cap)
        return 0;
    uint64_t cap = q->cap ? q->cap : 1024;
    while (cap < (uint64_t)q->len + len)
        cap *= 2;
    if (cap > UINT32_MAX)
        return -1;
    uint8_t *bigger = realloc(q->data, (size_t)cap);
    if (!bigger)
        return -1;
    q->data = bigger;
    q->cap = (uint32_t)cap;
    return 0;
}

int tcp_bytes_append(struct tcp_bytes *q, const uint8_t *data, uint32_t len)
{
    if (len == 0)
        return 0;
    if (bytes_reserve(q, len) != 0)
        return -1;
    if (data)
        memcpy(q->data + q->head + q->len, data, len);
    else
        memset(q->data + q->head + q->len, 0, len);
    q->len += len;
    return 0;
}

void tcp_bytes_consume(struct tcp_bytes *q, uint32_t n)
{
    q->head += n;
    q->len -= n;
    if (q->len == 0)
        q->head = 0;
}

static void bytes_free(struct tcp_bytes *q)
{
    free(q->data);
    memset(q, 0, sizeof *q);
}

/* ---- a connection's buffers ---- */

/* Empties a byte queue, keeping its array unless it grew large. */
static void bytes_empty(struct tcp_bytes *q)
{
    if (q->cap > TCP_SPARE_BYTES_MAX)
        bytes_free(q);
    q->head = q->len = 0;
}

/* A spare buffer set of the host's (empty, its arrays kept), else a new one. */
int tcp_alloc_buffers(struct tcp_conn *c)
{
    struct tcp_host *h = c->host;
    if (h->spare_buffer_count > 0) {
        c->buf = h->spare_buffers[--h->spare_buffer_count];
        return 0;
    }
    c->buf = calloc(1, sizeof *c->buf);
    return c->buf ? 0 : -1;
}

void tcp_free_spare_buffers(struct tcp_host *h)
{
    for (size_t i = 0; i < h->spare_buffer_count; i++) {
        bytes_free(&h->spare_buffers[i]->snd);
        bytes_free(&h->spare_buffers[i]->rcv);
        free(h->spare_buffers[i]);
    }
    h->spare_buffer_count = 0;
}

static void ooo_free(struct tcp_buffers *b)
{
    while (b->ooo) {
        struct tcp_ooo *o = b->ooo;
        b->ooo = o->next;
        free(o);
    }
}

void tcp_free_buffers(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    struct tcp_buffers *b = c->buf;
    struct tcp_host *h = c->host;
    c->buf = NULL;
    ooo_free(b);
    if (h->spare_buffer_count == TCP_SPARES) {
        bytes_free(&b->snd);
        bytes_free(&b->rcv);
        free(b);
        return;
    }
    bytes_empty(&b->snd);
    bytes_empty(&b->rcv);
    b->snd_base = 0;
    h->spare_buffers[h->spare_buffer_count++] = b;
}

void tcp_trim_buffers(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    if (c->buf->rcv.len == 0) {
        tcp_free_buffers(c);
        return;
    }
    bytes_free(&c->buf->snd);
    ooo_free(c->buf);
}

/* ---- the send queue against SND.UNA ---- */

uint32_t tcp_snd_data_end(const struct tcp_conn *c)
{
    return c->buf ? c->buf->snd_base + c->buf->snd.len : c->snd_nxt;
}

void tcp_snd_acked(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    uint32_t una = c->snd_una;
    if ((c->flags & TCPF_FIN_SENT) && seq_gt(una, c->fin_seq))
        una = c->fin_seq; /* the FIN takes a sequence number, not a byte */
    if (seq_gt(una, c->buf->snd_base)) {
        uint32_t n = una - c->buf->snd_base;
        tcp_bytes_consume(&c->buf->snd, n);
        c->buf->snd_base = una;
    }
}

bool tcp_fin_acked(const struct tcp_conn *c)
{
    return (c->flags & TCPF_FIN_SENT) && seq_gt(c->snd_una, c->fin_seq);
}
