/*
 * tcp_buffer.c: a connection's bytes. The send queue (what the application
 * handed over and the peer has not acknowledged, starting at snd_base), the
 * receive queue (in order, not yet read) and the out-of-order list of
 * tcp_input.c, and the application's write blocked for want of send
 * buffer (a counter, refilled as ACKs free room). Buffers exist only while a connection carries data: a
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

/* Empties a byte queue, keeping its array unless it grew large. */
static void bytes_empty(struct sim *sim, struct tcp_bytes *q)
{
    if (q->cap > TCP_SPARE_BYTES_MAX)
        bytes_free(sim, q);
    q->head = q->len = 0;
}

/* A spare buffer set of the host's (empty, its arrays kept), else a new one. */
int tcp_alloc_buffers(struct tcp_conn *c)
{
    struct tcp_host *h = c->host;
    if (h->spare_buffer_count > 0) {
        c->buf = h->spare_buffers[--h->spare_buffer_count];
    } else {
        c->buf = calloc(1, sizeof *c->buf);
        if (!c->buf)
            return -1;
    }
    sim_memory_charge(h->sim, sizeof *c->buf);
    return 0;
}

void tcp_free_spare_buffers(struct tcp_host *h)
{
    for (size_t i = 0; i < h->spare_buffer_count; i++) {
        bytes_free(h->sim, &h->spare_buffers[i]->snd);
        bytes_free(h->sim, &h->spare_buffers[i]->rcv);
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
    sim_memory_release(h->sim, sizeof *b); /* arrays stay charged while kept */
    c->buf = NULL;
    ooo_free(b);
    if (h->spare_buffer_count == TCP_SPARES) {
        bytes_free(h->sim, &b->snd);
        bytes_free(h->sim, &b->rcv);
        free(b);
        return;
    }
    bytes_empty(h->sim, &b->snd);
    bytes_empty(h->sim, &b->rcv);
    /* Everything but the two arrays starts from zero, as calloc'd (the
     * pending write of a blocked send too). */
    struct tcp_bytes snd = b->snd, rcv = b->rcv;
    memset(b, 0, sizeof *b);
    b->snd = snd;
    b->rcv = rcv;
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

/* ---- the send buffer and the application's blocked write ---- */

/* Linux's autotuning (tcp_sndbuf_expand, tcp_new_space), in payload
 * octets: once synchronized, unless SO_SNDBUF locked it, the buffer grows
 * to 2 x max(TCP_INIT_CWND, cwnd) segments, up to tcp_wmem[2], and never
 * shrinks. Linux counts skb truesize (about 1.6 times the payload) and
 * stops growing while cwnd is full; tcpsim keeps the rule's shape: the
 * buffer stays twice the congestion window, so a bulk sender is limited
 * by the windows, not by the buffer (docs/fidelity.md). */
static void snd_buf_autotune(struct tcp_conn *c)
{
    const struct tcp_profile *p = tcp_prof(c);
    if (p->snd_buf_max == 0 || c->snd_buf_locked || !(c->flags & TCPF_WAS_ESTABLISHED))
        return;
    uint64_t segments = c->cwnd / c->snd_mss;
    if (segments < 10)
        segments = 10;
    uint64_t want = 2 * segments * c->snd_mss;
    if (want > p->snd_buf_max)
        want = p->snd_buf_max;
    if (want > c->snd_buf)
        c->snd_buf = (uint32_t)want;
}

uint32_t tcp_snd_space(struct tcp_conn *c)
{
    snd_buf_autotune(c);
    uint32_t queued = c->buf ? c->buf->snd.len : 0;
    return queued >= c->snd_buf ? 0 : c->snd_buf - queued;
}

/* n octets of the write into the queue, the pattern wrapping at period. */
static int write_take(struct sim *sim, struct tcp_bytes *q, struct tcp_write *w, uint32_t n)
{
    while (n > 0) {
        uint64_t at = w->offset % w->period, piece = w->period - at;
        uint32_t len = piece < n ? (uint32_t)piece : n;
        if (tcp_bytes_append(sim, q, w->data ? w->data + at : NULL, len) != 0)
            return -1;
        w->offset += len;
        w->left -= len;
        n -= len;
    }
    return 0;
}

/* A queue that cannot grow (out of memory) takes nothing more: the write
 * stays blocked, as Linux's under memory pressure, and is reported as
 * failed if the connection ends first. */
bool tcp_snd_refill(struct tcp_conn *c)
{
    if (!tcp_write_blocked(c))
        return false;
    struct tcp_write *w = &c->buf->write;
    uint32_t space = tcp_snd_space(c);
    uint32_t n = w->left < space ? (uint32_t)w->left : space;
    uint64_t before = w->left;
    (void)write_take(c->host->sim, &c->buf->snd, w, n);
    c->bytes_sent += before - w->left;
    return w->left == 0;
}
