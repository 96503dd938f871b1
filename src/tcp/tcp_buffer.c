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

int tcp_bytes_append(struct sim *sim, struct tcp_bytes *q, const uint8_t *data, uint32_t len)
{
    if (len == 0)
        return 0;
    uint32_t cap = q->cap;
    if (bytes_reserve(q, len) != 0)
        return -1;
    sim_memory_charge(sim, q->cap - cap);
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

static void bytes_free(struct sim *sim, struct tcp_bytes *q)
{
    sim_memory_release(sim, q->cap);
    free(q->data);
    memset(q, 0, sizeof *q);
}

/* ---- a connection's buffers ---- */

int tcp_alloc_buffers(struct tcp_conn *c)
{
    c->buf = calloc(1, sizeof *c->buf);
    if (!c->buf)
        return -1;
    sim_memory_charge(c->host->sim, sizeof *c->buf);
    return 0;
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
    bytes_free(c->host->sim, &c->buf->snd);
    bytes_free(c->host->sim, &c->buf->rcv);
    ooo_free(c->buf);
    sim_memory_release(c->host->sim, sizeof *c->buf);
    free(c->buf);
    c->buf = NULL;
}

void tcp_trim_buffers(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    if (c->buf->rcv.len == 0) {
        tcp_free_buffers(c);
        return;
    }
    bytes_free(c->host->sim, &c->buf->snd);
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
