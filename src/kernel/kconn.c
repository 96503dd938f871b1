/*
 * kconn.c: the wire and the state of the kernel's connections (krun.h).
 *
 * Packets: an IP packet read from host h's TUN is parsed into a struct
 * segment (its bytes kept unchanged, options included), given to tcpsim's
 * link as end h's transmission, and written to the peer's TUN when the link
 * delivers it. The link reports every fate to the trace, as in the
 * simulator.
 *
 * States: the tracepoint gives each socket's changes; three things it does
 * not show come from elsewhere. A passive open's SYN_RECEIVED (Linux keeps a
 * request mini-socket until the handshake's ACK) is taken at the SYN's
 * delivery; TIME_WAIT (a timewait mini-socket) at the change to CLOSE of an
 * end that had received the peer's FIN; its end from sock_diag. An orphan
 * (close(2)d) in FIN_WAIT_2 also becomes a timewait mini-socket, in its
 * FIN_WAIT2 substate: it stays FIN_WAIT_2 in the record until the peer's
 * FIN reaches it (TIME_WAIT) or it leaves the sock_diag dump (CLOSED:
 * tcp_fin_timeout, or a RST it sent on data). Causes are
 * inferred from the state change and the segments last delivered to the
 * end, TCP_CAUSE_KERNEL where they cannot be.
 */
#define _GNU_SOURCE
#include "krun.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockdiag.h"

/* ---- the connection table ---- */

struct kconn *kconn_find(struct krun *r, uint32_t saddr, uint16_t sport, uint32_t daddr,
                         uint16_t dport, int *end)
{
    for (size_t i = 0; i < r->conn_count; i++) {
        struct kconn *c = r->conns[i];
        for (int h = 0; h < SCENARIO_HOSTS; h++) {
            if (c->addr[h] == saddr && c->port[h] == sport && c->addr[1 - h] == daddr &&
                c->port[1 - h] == dport) {
                *end = h;
                return c;
            }
        }
    }
    return NULL;
}

/* Connections are numbered in the order of their first connect(), which
 * is the order of the clients' first SYNs. */
struct kconn *kconn_open(struct krun *r, int client, uint32_t saddr, uint16_t sport,
                         uint32_t daddr, uint16_t dport)
{
    int end;
    struct kconn *c = kconn_find(r, saddr, sport, daddr, dport, &end);
    if (c)
        return c; /* a simultaneous open: the peer connected on this 4-tuple first */
    if (krun_reserve(&r->conns, &r->conn_capacity, r->conn_count) != 0)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->conn_id = r->conn_count + 1;
    c->client = client;
    c->addr[client] = saddr;
    c->port[client] = sport;
    c->addr[1 - client] = daddr;
    c->port[1 - client] = dport;
    c->opened = krun_now(r);
    c->established = c->closed = -1;
    r->conns[r->conn_count++] = c;
    return c;
}

void kconn_free(struct krun *r)
{
    for (size_t i = 0; i < r->conn_count; i++)
        free(r->conns[i]);
    free(r->conns);
    for (size_t i = 0; i < r->raw_capacity; i++)
        free(r->raw[i]);
    free(r->raw);
    free(r->raw_len);
}

void kconn_report_connections(struct krun *r)
{
    for (size_t i = 0; i < r->conn_count; i++) {
        const struct kconn *c = r->conns[i];
        int s = 1 - c->client;
        struct trace_connection rec = {
            .conn_id = c->conn_id,
            .client = r->host[c->client].name, .server = r->host[s].name,
            .client_addr = c->addr[c->client], .server_addr = c->addr[s],
            .client_port = c->port[c->client], .server_port = c->port[s],
            .client_isn = c->isn[c->client], .server_isn = c->isn[s],
            .has_client_isn = c->has_isn[c->client], .has_server_isn = c->has_isn[s],
            .opened_ns = c->opened, .established_ns = c->established, .closed_ns = c->closed,
        };
        trace_connection(r->trace, &rec);
    }
}

/* ---- transitions ---- */

static void note_record(struct krun *r, sim_time t)
{
    r->records++;
    if (t > r->last_record)
        r->last_record = t;
    r->last_activity = krun_now(r);
}

static void emit(struct krun *r, struct kconn *c, int h, enum tcp_state to, enum tcp_cause cause,
                 uint64_t seg_id, sim_time t)
{
    struct kend *e = &c->end[h];
    if (e->state == to)
        return;
    struct trace_transition tr = {t, r->host[h].name, c->conn_id, e->state, to, cause, seg_id};
    trace_transition(r->trace, &tr);
    note_record(r, t);
    e->state = to;
    e->exists = true;
    if (to == TCP_ESTABLISHED && h == c->client && c->established < 0)
        c->established = t;
    if (to == TCP_CLOSED && c->end[1 - h].state == TCP_CLOSED)
        c->closed = t;
}

void kconn_listener_transition(struct krun *r, int host, enum tcp_state from, enum tcp_state to,
                               enum tcp_cause cause)
{
    sim_time t = krun_now(r);
    struct trace_transition tr = {t, r->host[host].name, 0, from, to, cause, 0};
    trace_transition(r->trace, &tr);
    note_record(r, t);
}

/* The segment of a kind last delivered to the end, if it came by time t. */
static uint64_t seen_by(const struct kseen *seen, sim_time t)
{
    return seen->seg_id && seen->t <= t ? seen->seg_id : 0;
}

/* The cause of from -> to at time t, and the segment that triggered it. */
static enum tcp_cause infer_cause(const struct kend *e, enum tcp_state from, enum tcp_state to,
                                  sim_time t, uint64_t *seg)
{
    *seg = 0;
    if (to == TCP_CLOSED && e->aborted)
        return TCP_CAUSE_APP_ABORT;
    if (to == TCP_CLOSED && (*seg = seen_by(&e->rst, t)) != 0 &&
        (from != TCP_TIME_WAIT || e->rst.t >= e->time_wait_since))
        return TCP_CAUSE_RCV_RST;
    *seg = 0;
    switch (to) {
    case TCP_SYN_SENT: return TCP_CAUSE_APP_CONNECT;
    case TCP_SYN_RECEIVED:
        *seg = seen_by(&e->syn, t);
        return TCP_CAUSE_RCV_SYN;
    case TCP_ESTABLISHED:
        *seg = from == TCP_SYN_SENT ? seen_by(&e->syn_ack, t) : seen_by(&e->ack, t);
        return from == TCP_SYN_SENT ? TCP_CAUSE_RCV_SYN_ACK : TCP_CAUSE_RCV_ACK_OF_SYN;
    case TCP_FIN_WAIT_1: case TCP_LAST_ACK: return TCP_CAUSE_APP_CLOSE;
    case TCP_CLOSE_WAIT: case TCP_CLOSING:
        *seg = seen_by(&e->fin, t);
        return TCP_CAUSE_RCV_FIN;
    case TCP_FIN_WAIT_2:
        *seg = seen_by(&e->ack, t);
        return TCP_CAUSE_RCV_ACK_OF_FIN;
    case TCP_TIME_WAIT:
        *seg = from == TCP_CLOSING ? seen_by(&e->ack, t) : seen_by(&e->fin, t);
        return from == TCP_CLOSING ? TCP_CAUSE_RCV_ACK_OF_FIN
               : from == TCP_FIN_WAIT_1 ? TCP_CAUSE_RCV_FIN_ACK : TCP_CAUSE_RCV_FIN;
    case TCP_CLOSED:
        if (from == TCP_LAST_ACK) {
            *seg = seen_by(&e->ack, t);
            return TCP_CAUSE_RCV_ACK_OF_FIN;
        }
        return from == TCP_TIME_WAIT ? TCP_CAUSE_TIME_WAIT_TIMEOUT
               : from == TCP_SYN_SENT ? TCP_CAUSE_SYN_RETRIES
               : from == TCP_CLOSED ? TCP_CAUSE_APP_CLOSE : TCP_CAUSE_KERNEL;
    default: return TCP_CAUSE_KERNEL;
    }
}

static void transition(struct krun *r, struct kconn *c, int h, enum tcp_state to, sim_time t)
{
    uint64_t seg;
    enum tcp_cause cause = infer_cause(&c->end[h], c->end[h].state, to, t, &seg);
    emit(r, c, h, to, cause, seg, t);
}

void kconn_tracepoint_event(void *context, const struct tracepoint_event *ev)
{
    struct krun *r = context;
    int h;
    struct kconn *c = kconn_find(r, ev->saddr, ev->sport, ev->daddr, ev->dport, &h);
    if (!c)
        return; /* a listener (synthesized from the application), or not ours */
    struct kend *e = &c->end[h];
    sim_time t = ev->mono_ns - r->start_mono;
    enum tcp_state to = ev->new_state;
    r->last_activity = krun_now(r);
    if (ev->old_state == TCP_LISTEN && !e->exists)
        e->state = TCP_LISTEN; /* a passive open not seen at its SYN */
    bool closing = e->state == TCP_FIN_WAIT_1 || e->state == TCP_FIN_WAIT_2 ||
                   e->state == TCP_CLOSING;
    if (to == TCP_CLOSED && closing && !e->aborted && seen_by(&e->fin, t) &&
        !seen_by(&e->rst, t)) {
        to = TCP_TIME_WAIT; /* the socket went to a timewait mini-socket */
        e->time_wait = true;
        e->time_wait_since = t;
    } else if (to == TCP_CLOSED && e->state == TCP_FIN_WAIT_2 && !e->aborted &&
               !seen_by(&e->rst, t)) {
        e->orphan_fin_wait_2 = true; /* see the top of the file */
        e->time_wait_since = t;
        return;
    }
    transition(r, c, h, to, t);
}

/* ---- TIME_WAIT through sock_diag ---- */

bool kconn_any_time_wait(const struct krun *r)
{
    for (size_t i = 0; i < r->conn_count; i++)
        for (int h = 0; h < SCENARIO_HOSTS; h++)
            if (r->conns[i]->end[h].time_wait || r->conns[i]->end[h].orphan_fin_wait_2)
                return true;
    return false;
}

static bool in_dump(const struct sockdiag_tuple *tuples, int count, const struct kconn *c, int h)
{
    for (int i = 0; i < count; i++)
        if (tuples[i].saddr == c->addr[h] && tuples[i].sport == c->port[h] &&
            tuples[i].daddr == c->addr[1 - h] && tuples[i].dport == c->port[1 - h])
            return true;
    return false;
}

/* An end leaves TIME_WAIT when its timewait socket is gone from the dump
 * (after it was seen there once; if it never is, after a second). */
void kconn_poll_time_wait(struct krun *r)
{
    struct sockdiag_tuple tuples[256];
    for (int h = 0; h < SCENARIO_HOSTS; h++) {
        int count = -2;
        for (size_t i = 0; i < r->conn_count; i++) {
            struct kconn *c = r->conns[i];
            struct kend *e = &c->end[h];
            if (!e->time_wait && !e->orphan_fin_wait_2)
                continue;
            if (count == -2)
                count = sockdiag_time_wait(r->host[h].diag_fd, tuples, 256);
            if (count < 0)
                return;
            sim_time now = krun_now(r);
            if (in_dump(tuples, count < 256 ? count : 256, c, h)) {
                e->seen_in_diag = true;
            } else if (e->seen_in_diag || now - e->time_wait_since > SIM_S) {
                if (e->orphan_fin_wait_2 &&
                    now - e->time_wait_since >= r->sc->hosts[h].config.profile.fin_wait_2_timeout)
                    emit(r, c, h, TCP_CLOSED, TCP_CAUSE_FIN_WAIT_2_TIMEOUT, 0, now);
                else
                    transition(r, c, h, TCP_CLOSED, now);
                e->time_wait = e->orphan_fin_wait_2 = e->seen_in_diag = false;
            }
        }
    }
}

/* Nothing will happen by itself: every end in a state without a timer and
 * with all it sent acknowledged. The kernel's timers are not visible, so
 * this is judged from the states and the sequence numbers. */
bool kconn_all_quiet(const struct krun *r)
{
    for (size_t i = 0; i < r->conn_count; i++) {
        for (int h = 0; h < SCENARIO_HOSTS; h++) {
            const struct kend *e = &r->conns[i]->end[h];
            bool unacked = e->has_snd && (!e->has_ack || seq_lt(e->ack_max, e->snd_max));
            switch (e->state) {
            case TCP_CLOSED: case TCP_LISTEN: break;
            case TCP_ESTABLISHED: case TCP_CLOSE_WAIT: case TCP_FIN_WAIT_2:
                if (unacked)
                    return false;
                break;
            default: return false;
            }
        }
    }
    return true;
}

/* ---- packets ---- */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The options the simulator models (MSS, SACK-permitted, timestamps,
 * window scale) into seg; others are skipped. */
static void parse_options(const uint8_t *opt, size_t len, struct segment *seg)
{
    for (size_t i = 0; i < len;) {
        if (opt[i] == 0)
            break;
        if (opt[i] == 1 || i + 1 >= len || opt[i + 1] < 2) {
            i++;
            continue;
        }
        size_t olen = opt[i + 1];
        if (i + olen > len)
            break;
        if (opt[i] == 2 && olen == 4)
            seg->mss = be16(opt + i + 2);
        else if (opt[i] == 4 && olen == 2)
            seg->options |= TCP_OPT_SACK_PERM;
        else if (opt[i] == 8 && olen == 10) {
            seg->options |= TCP_OPT_TIMESTAMPS;
            seg->tsval = be32(opt + i + 2);
            seg->tsecr = be32(opt + i + 6);
        } else if (opt[i] == 3 && olen == 3) {
            seg->options |= TCP_OPT_WSCALE;
            seg->wscale = opt[i + 2];
        }
        i += olen;
    }
}

/* An IPv4 TCP packet into segment fields; -1 for anything else. */
static int parse_packet(const uint8_t *p, size_t n, struct segment *seg)
{
    if (n < 40 || p[0] >> 4 != 4 || p[9] != 6)
        return -1;
    size_t ihl = (size_t)(p[0] & 15) * 4, total = be16(p + 2);
    if (total > n || ihl < 20 || total < ihl + 20)
        return -1;
    const uint8_t *t = p + ihl;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || ihl + doff > total)
        return -1;
    memset(seg, 0, sizeof *seg);
    seg->src_addr = be32(p + 12);
    seg->dst_addr = be32(p + 16);
    seg->src_port = be16(t);
    seg->dst_port = be16(t + 2);
    seg->seq = be32(t + 4);
    seg->ack = be32(t + 8);
    seg->flags = t[13] & 0x3f;
    seg->wnd = be16(t + 14);
    parse_options(t + 20, doff - 20, seg);
    seg->len = (uint32_t)(total - ihl - doff);
    seg->data = seg->len ? t + doff : NULL;
    return 0;
}

/* What the sender's end learns from its own segment: ISN, retransmission. */
static void note_sent(struct kconn *c, int h, struct segment *seg)
{
    struct kend *e = &c->end[h];
    uint32_t seq_len = segment_seq_len(seg);
    if ((seg->flags & TCP_FLAG_SYN) && !c->has_isn[h]) {
        c->isn[h] = seg->seq;
        c->has_isn[h] = true;
    }
    seg->retransmission = seq_len > 0 && e->has_snd && seq_lt(seg->seq, e->snd_max);
    if (seq_len > 0 && (!e->has_snd || seq_gt(seg->seq + seq_len, e->snd_max))) {
        e->snd_max = seg->seq + seq_len;
        e->has_snd = true;
    }
}

/* What the receiving end has seen, for causes; a passive open's SYN. */
static void note_delivered(struct krun *r, struct kconn *c, int h, const struct segment *seg)
{
    struct kend *e = &c->end[h];
    struct kseen seen = {seg->id, krun_now(r)};
    uint8_t f = seg->flags;
    if (f & TCP_FLAG_RST)
        e->rst = seen;
    if ((f & TCP_FLAG_SYN) && (f & TCP_FLAG_ACK))
        e->syn_ack = seen;
    else if (f & TCP_FLAG_SYN)
        e->syn = seen;
    if (f & TCP_FLAG_FIN)
        e->fin = seen;
    if ((f & TCP_FLAG_FIN) && e->orphan_fin_wait_2 && !(f & TCP_FLAG_RST)) {
        e->orphan_fin_wait_2 = false; /* the mini-socket's FIN_WAIT2 -> TIME_WAIT */
        e->time_wait = true;
        e->time_wait_since = seen.t;
        transition(r, c, h, TCP_TIME_WAIT, seen.t);
    }
    if (f & TCP_FLAG_ACK) {
        e->ack = seen;
        if (!e->has_ack || seq_gt(seg->ack, e->ack_max))
            e->ack_max = seg->ack;
        e->has_ack = true;
    }
    bool listening = false;
    for (size_t i = 0; i < r->sock_count; i++)
        listening |= r->socks[i]->listener && r->socks[i]->host == h && r->socks[i]->fd >= 0 &&
                     r->socks[i]->port == seg->dst_port;
    if (f == TCP_FLAG_SYN && listening && !e->exists) {
        e->state = TCP_LISTEN;
        transition(r, c, h, TCP_SYN_RECEIVED, seen.t);
    }
}

/* The link delivers a segment to a host: its packet goes into the TUN. */
static void deliver(void *context, const struct segment *seg)
{
    struct khost *host = context;
    struct krun *r = host->run;
    int h;
    /* Noted before the write: the kernel may act on it within write(2). */
    struct kconn *c = kconn_find(r, seg->src_addr, seg->src_port, seg->dst_addr, seg->dst_port, &h);
    if (c)
        note_delivered(r, c, 1 - h, seg);
    if (seg->id < r->raw_capacity && r->raw[seg->id]) {
        ssize_t n = write(host->ns.tun_fd, r->raw[seg->id], r->raw_len[seg->id]);
        (void)n; /* a full TUN queue drops, as a NIC would */
    }
}

/* The trace sink that keeps each segment's packet under its id, the
 * duplicate copies' ids included: the link reports every segment while
 * link_transmit runs, and current_raw is that packet. */
static void raw_segment(struct trace_sink *sink, const struct trace_segment *ts)
{
    struct krun *r = (struct krun *)((char *)sink - offsetof(struct krun, raw_sink));
    uint64_t id = ts->seg->id;
    if (!r->current_raw)
        return;
    if (id >= r->raw_capacity) {
        size_t capacity = r->raw_capacity ? r->raw_capacity : 64;
        while (capacity <= id)
            capacity *= 2;
        uint8_t **raw = realloc(r->raw, capacity * sizeof *raw);
        if (raw)
            r->raw = raw;
        size_t *len = raw ? realloc(r->raw_len, capacity * sizeof *len) : NULL;
        if (!len)
            return;
        r->raw_len = len;
        memset(r->raw + r->raw_capacity, 0, (capacity - r->raw_capacity) * sizeof *r->raw);
        r->raw_capacity = capacity;
    }
    r->raw[id] = malloc(r->current_len);
    if (r->raw[id])
        memcpy(r->raw[id], r->current_raw, r->current_len);
    r->raw_len[id] = r->current_len;
    note_record(r, ts->sent_ns);
}

static const struct trace_sink_ops raw_sink_ops = {.segment = raw_segment};

int kconn_link_create(struct krun *r, uint64_t seed)
{
    const struct scenario *sc = r->sc;
    r->raw_sink.ops = &raw_sink_ops;
    if (trace_add_sink(r->trace, &r->raw_sink) == 0)
        r->link = world_link_create(sc, r->sim, seed, r->trace);
    if (!r->link)
        return -1;
    for (int h = 0; h < SCENARIO_HOSTS; h++)
        link_attach(r->link, h, sc->hosts[h].name, deliver, &r->host[h]);
    return 0;
}

/* ---- inject: a packet no kernel socket wrote ---- */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* The Internet checksum's running sum of n bytes (RFC 1071; an odd last
 * byte is padded with zero). */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint32_t checksum(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}

/* The IPv4 packet of a segment with both checksums right, as the kernel
 * that receives it from the TUN checks them. No options. Returns its
 * length; p has room for 40 + seg->len bytes. */
static size_t build_packet(const struct segment *seg, uint8_t *p)
{
    size_t total = 40 + seg->len;
    uint8_t *t = p + 20, pseudo[12];
    memset(p, 0, 40);
    p[0] = 0x45;                          /* IPv4, 20-byte header */
    put16(p + 2, (uint32_t)total);
    p[6] = 0x40;                          /* don't fragment */
    p[8] = 64;                            /* TTL */
    p[9] = 6;                             /* TCP */
    put32(p + 12, seg->src_addr);
    put32(p + 16, seg->dst_addr);
    put16(p + 10, checksum(sum16(p, 20, 0)));
    put16(t, seg->src_port);
    put16(t + 2, seg->dst_port);
    put32(t + 4, seg->seq);
    put32(t + 8, seg->ack);
    t[12] = 5 << 4;                       /* data offset: 20 bytes */
    t[13] = seg->flags;
    put16(t + 14, seg->wnd);
    if (seg->len)
        memcpy(t + 20, seg->data, seg->len);
    memcpy(pseudo, p + 12, 8);            /* the pseudo-header: addresses, 0, TCP, length */
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, (uint32_t)(20 + seg->len));
    put16(t + 16, checksum(sum16(t, 20 + seg->len, sum16(pseudo, sizeof pseudo, 0))));
    return total;
}

/* at T HOST inject on the kernel: the packet goes onto the link from
 * HOST's end like one its TUN gave, and the link writes it into the
 * peer's TUN. The kernel's TCB variables cannot be read here, so
 * kernel_check_scenario has made sure seq=, ack= (with ACK), to= and port=
 * are numbers. */
void kconn_inject(struct krun *r, const struct scenario_action *a)
{
    static uint8_t packet[40 + 65535];    /* one at a time; too large for the stack */
    const struct scenario_inject *in = &a->inject;
    int h = a->host, end;
    struct segment seg = {
        .src_addr = r->host[h].addr, .dst_addr = r->host[1 - h].addr,
        .src_port = in->local_port, .dst_port = in->to_port,
        .seq = (uint32_t)in->seq.offset, .ack = in->ack.given ? (uint32_t)in->ack.offset : 0,
        .flags = in->flags, .wnd = (uint16_t)(in->wnd >= 0 ? in->wnd : 65535),
        .len = in->len, .data = in->len ? r->pattern : NULL, .injected = true,
    };
    struct kconn *c = kconn_find(r, seg.src_addr, seg.src_port, seg.dst_addr, seg.dst_port, &end);
    if (c)
        seg.conn_id = c->conn_id;
    sim_run(r->sim, krun_now(r));
    r->current_raw = packet;
    r->current_len = build_packet(&seg, packet);
    link_transmit(r->link, h, &seg);
    r->current_raw = NULL;
}

/* Every packet waiting in host h's TUN goes onto the link now. */
void kconn_tun_readable(struct krun *r, int h)
{
    uint8_t packet[65536];
    for (;;) {
        ssize_t n = read(r->host[h].ns.tun_fd, packet, sizeof packet);
        if (n <= 0)
            return;
        struct segment seg;
        if (parse_packet(packet, (size_t)n, &seg) != 0)
            continue; /* not IPv4 TCP: not part of the scenario */
        int end;
        struct kconn *c = kconn_find(r, seg.src_addr, seg.src_port, seg.dst_addr, seg.dst_port,
                                     &end);
        if (c) {
            seg.conn_id = c->conn_id;
            note_sent(c, end, &seg);
        }
        sim_run(r->sim, krun_now(r)); /* the link's clock to now first */
        r->current_raw = packet;
        r->current_len = (size_t)n;
        link_transmit(r->link, h, &seg);
        r->current_raw = NULL;
    }
}
