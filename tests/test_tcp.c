/*
 * test_tcp.c: the TCP endpoint. Three parts:
 *  1. the transition grid of docs/transitions.md, one CUnit test per row
 *     (state x arriving segment or event -> next state, segment sent, what
 *     the application is told), driven by injected segments;
 *  2. whole exchanges between two hosts: the teaching note's handshake and
 *     teardown, the rare transitions, retransmission schedules, TIME-WAIT
 *     restart, data integrity under loss, zero window, half-close,
 *     sequence wraparound, RFC 6298 numbers, many connections;
 *  3. bookkeeping: conn_ids, connection records, ISN modes, determinism.
 * The harness (tcp_harness.c) wires two hosts through the engine.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "tcp_harness.h"
#include "tcp_internal.h"

#define MS SIM_MS
#define S SIM_S

enum { SYN = TCP_FLAG_SYN, ACK = TCP_FLAG_ACK, FIN = TCP_FLAG_FIN, RST = TCP_FLAG_RST };

/* ======================================================================
 * Part 1: the grid
 * ====================================================================== */

enum setup {
    S_NO_TCB, S_LISTEN, S_SYN_SENT, S_SYN_RECEIVED, S_SYN_RECEIVED_ACTIVE, S_ESTABLISHED,
    S_ESTABLISHED_DATA, S_FIN_WAIT_1, S_FIN_WAIT_1_UNSENT, S_FIN_WAIT_2, S_CLOSE_WAIT, S_CLOSING,
    S_LAST_ACK, S_TIME_WAIT,
};
enum prof { P_RFC9293, P_LINUX, P_NO_RFC5961, P_RFC1337 };
enum event { EV_SEGMENT, EV_CLOSE, EV_ABORT, EV_SEND, EV_WAIT };
/* Where the crafted segment's SEG.SEQ lies: against RCV.NXT. */
enum seqk { Q_RCV_NXT, Q_IN_WINDOW, Q_OLD, Q_BEYOND, Q_IRS, Q_FIXED };
/* What its SEG.ACK says: against SND.UNA / SND.NXT. */
enum ackk { A_SND_NXT, A_SND_UNA, A_BEFORE_FIN, A_UNSENT, A_TOO_OLD, A_ISS, A_FIXED };
/* The reply's SEQ and ACK fields. */
enum rseqk { RS_ANY, RS_SND_NXT, RS_SND_UNA, RS_SEG_ACK, RS_ZERO, RS_ISS, RS_FIN };
enum rackk { RA_ANY, RA_RCV_NXT, RA_SEG_END, RA_ZERO };
/* What the application is told. */
enum {
    T_CONNECTED = 1, T_ACCEPTED = 2, T_READABLE = 4, T_PEER_CLOSED = 8, T_CLOSED = 16,
};

#define FIXED_SEQ 7777u
#define FIXED_ACK 3333u

struct row {
    const char *name;
    enum setup setup;
    enum prof prof;
    enum event ev;
    uint8_t flags;
    enum seqk seq;
    enum ackk ack;
    uint32_t len;
    sim_time wait;
    enum tcp_state expect;   /* state afterwards (CLOSED: the TCB is gone) */
    enum tcp_error ret;      /* user calls: the result */
    const char *reply;       /* flags of the one segment sent in reply; NULL: nothing */
    enum rseqk rseq;
    enum rackk rack;
    uint32_t advance;        /* RA_RCV_NXT: how far RCV.NXT moved */
    unsigned told;           /* T_* bits */
    enum tcp_error why;      /* with T_CLOSED */
    bool check_una;          /* SND.UNA moved to SEG.ACK */
};

/* The TCB a row talks to. */
struct subject {
    struct harness *h;
    int host;
    struct tcp_conn *conn;   /* NULL: no TCB */
    bool listener;
    uint64_t conn_id;
    struct tcp_conn_info info;
};

static struct harness *make_harness(enum prof prof)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, prof == P_LINUX ? "linux" : "rfc9293");
    for (int i = 0; i < H_HOSTS; i++) {
        if (prof == P_NO_RFC5961)
            cfg.host[i].profile.rfc5961 = false;
        if (prof == P_RFC1337)
            cfg.host[i].profile.rfc1337 = true;
    }
    return harness_create(&cfg);
}

static struct segment craft(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                            uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
    static uint8_t payload[2000];
    harness_pattern(payload, 0, sizeof payload);
    return (struct segment){
        .src_addr = src, .dst_addr = dst, .src_port = sport, .dst_port = dport,
        .seq = seq, .ack = (flags & ACK) ? ack : 0, .flags = flags, .wnd = 65535,
        .mss = (flags & SYN) ? 1460 : 0, .len = len, .data = len ? payload : NULL,
    };
}

/* Listener on server:80, client connects at 10 ms; the handshake is done by
 * 50 ms. Returns the client's TCB; *server gets the accepted one. */
static struct tcp_conn *establish(struct harness *h, struct tcp_conn **server)
{
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    harness_run_until(h, 10 * MS);
    struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    harness_run_until(h, 100 * MS);
    if (server)
        *server = h->app[H_SERVER].last_conn;
    return c;
}

static sim_time now(const struct harness *h) { return sim_now(h->sim); }

static void advance_by(struct harness *h, sim_time d) { harness_run_until(h, now(h) + d); }

static void inject_to(struct harness *h, int to, uint8_t flags, uint32_t seq, uint32_t ack,
                      uint32_t len, sim_time at)
{
    struct tcp_conn_info i;
    struct tcp_conn *c = h->app[to].last_conn;
    tcp_conn_info(c, &i);
    struct segment s = craft(i.remote_addr, i.remote_port, i.local_addr, i.local_port, flags, seq,
                             ack, len);
    harness_inject(h, to, at, &s);
}

static struct subject subject_of(struct harness *h, int host, struct tcp_conn *c)
{
    struct subject s = {.h = h, .host = host, .conn = c};
    if (c) {
        s.listener = tcp_conn_is_listener(c);
        s.conn_id = tcp_conn_id(c);
        tcp_conn_info(c, &s.info);
    }
    return s;
}

static struct subject setup(enum setup kind, enum prof prof)
{
    struct harness *h = make_harness(prof);
    struct tcp_conn *client = NULL, *server = NULL;
    struct segment syn;
    switch (kind) {
    case S_NO_TCB:
        harness_run_until(h, 10 * MS);
        return subject_of(h, H_SERVER, NULL);
    case S_LISTEN:
        server = tcp_listen(h->host[H_SERVER], 80, 0, NULL);
        harness_run_until(h, 10 * MS);
        return subject_of(h, H_SERVER, server);
    case S_SYN_SENT:
        h->cut = true;
        harness_run_until(h, 10 * MS);
        client = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
        harness_run_until(h, 20 * MS);
        return subject_of(h, H_CLIENT, client);
    case S_SYN_RECEIVED:
        tcp_listen(h->host[H_SERVER], 80, 0, NULL);
        h->cut = true;
        syn = craft(H_CLIENT_ADDR, 40000, H_SERVER_ADDR, 80, SYN, 1000, 0, 0);
        harness_inject(h, H_SERVER, 10 * MS, &syn);
        harness_run_until(h, 20 * MS);
        server = tcp_lookup(h->host[H_SERVER], H_SERVER_ADDR, 80, H_CLIENT_ADDR, 40000);
        return subject_of(h, H_SERVER, server);
    case S_SYN_RECEIVED_ACTIVE:
        h->cut = true;
        harness_run_until(h, 10 * MS);
        client = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
        syn = craft(H_SERVER_ADDR, 80, H_CLIENT_ADDR, 40000, SYN, 5000, 0, 0);
        harness_inject(h, H_CLIENT, 15 * MS, &syn);
        harness_run_until(h, 20 * MS);
        return subject_of(h, H_CLIENT, client);
    case S_ESTABLISHED:
        client = establish(h, NULL);
        h->cut = true;
        return subject_of(h, H_CLIENT, client);
    case S_ESTABLISHED_DATA:
        client = establish(h, NULL);
        h->cut = true;
        tcp_send(client, NULL, 100);
        advance_by(h, 1 * MS);
        return subject_of(h, H_CLIENT, client);
    case S_FIN_WAIT_1:
        client = establish(h, NULL);
        h->cut = true;
        tcp_close(client);
        advance_by(h, 1 * MS);
        return subject_of(h, H_CLIENT, client);
    case S_FIN_WAIT_1_UNSENT: { /* the peer shut its window: 100 bytes and the FIN wait */
        client = establish(h, NULL);
        h->cut = true;
        struct tcp_conn_info i;
        tcp_conn_info(client, &i);
        struct segment shut = craft(i.remote_addr, i.remote_port, i.local_addr, i.local_port, ACK,
                                    i.rcv_nxt, i.snd_nxt, 0);
        shut.wnd = 0;
        harness_inject(h, H_CLIENT, now(h) + 1 * MS, &shut);
        advance_by(h, 2 * MS);
        tcp_send(client, NULL, 100);
        tcp_close(client);
        advance_by(h, 1 * MS);
        return subject_of(h, H_CLIENT, client);
    }
    case S_FIN_WAIT_2:
    case S_CLOSE_WAIT:
    case S_LAST_ACK:
        client = establish(h, &server);
        tcp_close(client);
        advance_by(h, 100 * MS);
        h->cut = true;
        if (kind == S_LAST_ACK) {
            tcp_close(server);
            advance_by(h, 1 * MS);
        }
        return kind == S_FIN_WAIT_2 ? subject_of(h, H_CLIENT, client)
                                    : subject_of(h, H_SERVER, server);
    case S_CLOSING: {
        client = establish(h, NULL);
        h->cut = true;
        tcp_close(client);
        struct tcp_conn_info i;
        tcp_conn_info(client, &i);
        inject_to(h, H_CLIENT, FIN | ACK, i.rcv_nxt, i.snd_nxt - 1, 0, now(h) + 1 * MS);
        advance_by(h, 5 * MS);
        return subject_of(h, H_CLIENT, client);
    }
    case S_TIME_WAIT:
        h->app[H_SERVER].close_on_peer_closed = true;
        client = establish(h, NULL);
        tcp_close(client);
        advance_by(h, 100 * MS);
        h->cut = true;
        return subject_of(h, H_CLIENT, client);
    }
    return subject_of(h, H_CLIENT, NULL);
}

static uint32_t row_seq(const struct row *r, const struct subject *s)
{
    uint32_t nxt = s->info.rcv_nxt;
    switch (r->seq) {
    case Q_RCV_NXT: return nxt;
    case Q_IN_WINDOW: return nxt + 100;
    case Q_OLD: return nxt - (r->len ? r->len : 1);
    case Q_BEYOND: return nxt + 100000;
    case Q_IRS: return s->info.irs;
    case Q_FIXED: return FIXED_SEQ;
    }
    return 0;
}

static uint32_t row_ack(const struct row *r, const struct subject *s)
{
    switch (r->ack) {
    case A_SND_NXT: return s->conn && !s->listener ? s->info.snd_nxt : FIXED_ACK;
    case A_SND_UNA: return s->info.snd_una;
    case A_BEFORE_FIN: return s->info.snd_nxt - 1;
    case A_UNSENT: return s->info.snd_nxt + 1000;
    case A_TOO_OLD: return s->info.snd_una - 70000;
    case A_ISS: return s->info.iss;
    case A_FIXED: return FIXED_ACK;
    }
    return 0;
}

static struct segment row_segment(const struct row *r, const struct subject *s)
{
    if (!s->conn || s->listener)
        return craft(H_CLIENT_ADDR, 40000, H_SERVER_ADDR, 80, r->flags, row_seq(r, s),
                     row_ack(r, s), r->len);
    return craft(s->info.remote_addr, s->info.remote_port, s->info.local_addr, s->info.local_port,
                 r->flags, row_seq(r, s), row_ack(r, s), r->len);
}

struct told { int connected, accepted, readable, peer_closed, closed; };

static struct told told_now(const struct h_app *a)
{
    return (struct told){a->connected, a->accepted, a->readable, a->peer_closed, a->closed};
}

/* The state of the subject after the event. */
static enum tcp_state state_after(const struct subject *s, const struct tcp_host_stats *before)
{
    const struct tcp_host_stats *st = tcp_host_stats(s->h->host[s->host]);
    if (!s->conn) /* no TCB: still none */
        return st->tcbs == before->tcbs ? TCP_CLOSED : TCP_SYN_RECEIVED;
    if (s->listener) {
        if (st->in_state[TCP_SYN_RECEIVED] > before->in_state[TCP_SYN_RECEIVED])
            return TCP_SYN_RECEIVED; /* a child was born */
        const struct h_transition *t = harness_last_transition(s->h, s->host, 0);
        return t ? t->to : TCP_CLOSED;
    }
    const struct h_transition *t = harness_last_transition(s->h, s->host, s->conn_id);
    return t ? t->to : TCP_CLOSED;
}

static void check_reply(const struct row *r, const struct subject *s, const struct segment *in,
                        sim_time since)
{
    size_t n = harness_sent_since(s->h, s->host, since);
    if (!r->reply) {
        CU_ASSERT_EQUAL(n, 0);
        return;
    }
    CU_ASSERT_EQUAL(n, 1);
    const struct h_segment *out = harness_sent_nth(s->h, s->host, since, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    char flags[32];
    CU_ASSERT_STRING_EQUAL(segment_flags_string(out->seg.flags, flags), r->reply);
    switch (r->rseq) {
    case RS_ANY: break;
    case RS_SND_NXT: CU_ASSERT_EQUAL(out->seg.seq, s->info.snd_nxt); break;
    case RS_SND_UNA: CU_ASSERT_EQUAL(out->seg.seq, s->info.snd_una); break;
    case RS_SEG_ACK: CU_ASSERT_EQUAL(out->seg.seq, in->ack); break;
    case RS_ZERO: CU_ASSERT_EQUAL(out->seg.seq, 0); break;
    case RS_ISS: CU_ASSERT_EQUAL(out->seg.seq, s->info.iss); break;
    case RS_FIN: CU_ASSERT_EQUAL(out->seg.seq, s->info.snd_nxt - 1); break;
    }
    switch (r->rack) {
    case RA_ANY: break;
    case RA_RCV_NXT: CU_ASSERT_EQUAL(out->seg.ack, s->info.rcv_nxt + r->advance); break;
    case RA_SEG_END: CU_ASSERT_EQUAL(out->seg.ack, in->seq + segment_seq_len(in)); break;
    case RA_ZERO: CU_ASSERT_EQUAL(out->seg.ack, 0); break;
    }
}

static void check_told(const struct row *r, const struct subject *s, struct told b)
{
    const struct h_app *a = &s->h->app[s->host];
    CU_ASSERT_EQUAL(a->connected - b.connected, (r->told & T_CONNECTED) ? 1 : 0);
    CU_ASSERT_EQUAL(a->accepted - b.accepted, (r->told & T_ACCEPTED) ? 1 : 0);
    CU_ASSERT_EQUAL(a->readable > b.readable, (r->told & T_READABLE) != 0);
    CU_ASSERT_EQUAL(a->peer_closed - b.peer_closed, (r->told & T_PEER_CLOSED) ? 1 : 0);
    CU_ASSERT_EQUAL(a->closed - b.closed, (r->told & T_CLOSED) ? 1 : 0);
    if (r->told & T_CLOSED)
        CU_ASSERT_EQUAL(a->last_error, r->why);
}

static void run_row(const struct row *r)
{
    struct subject s = setup(r->setup, r->prof);
    struct harness *h = s.h;
    struct tcp_host_stats before = *tcp_host_stats(h->host[s.host]);
    struct told b = told_now(&h->app[s.host]);
    sim_time at = now(h) + 1 * MS;
    struct segment in = row_segment(r, &s);
    enum tcp_error ret = TCP_OK;
    switch (r->ev) {
    case EV_SEGMENT:
        harness_inject(h, s.host, at, &in);
        harness_run_until(h, at + 5 * MS);
        break;
    case EV_WAIT:
        harness_run_until(h, at + r->wait);
        break;
    case EV_CLOSE:
    case EV_ABORT:
    case EV_SEND:
        harness_run_until(h, at);
        ret = r->ev == EV_CLOSE   ? tcp_close(s.conn)
              : r->ev == EV_ABORT ? tcp_abort(s.conn)
                                  : tcp_send(s.conn, NULL, 100);
        harness_run_until(h, at + 5 * MS);
        break;
    }
    CU_ASSERT_EQUAL(ret, r->ret);
    enum tcp_state got = state_after(&s, &before);
    if (got != r->expect)
        fprintf(stderr, "\n%s: state %s, expected %s\n%s", r->name, tcp_state_name(got),
                tcp_state_name(r->expect), harness_log(h));
    CU_ASSERT_EQUAL(got, r->expect);
    check_reply(r, &s, &in, at);
    check_told(r, &s, b);
    if (r->check_una && got != TCP_CLOSED) {
        struct tcp_conn_info i;
        tcp_conn_info(s.conn, &i);
        CU_ASSERT_EQUAL(i.snd_una, in.ack);
    }
    harness_destroy(h);
}

/* One line per row of docs/transitions.md. */
#define GRID(X)                                                                                  \
    /* ---- no TCB (CLOSED) ---- */                                                              \
    X(CLOSED_rcv_SYN_sends_RST_ACK, .setup = S_NO_TCB, .flags = SYN, .seq = Q_FIXED,             \
      .expect = TCP_CLOSED, .reply = "RST|ACK", .rseq = RS_ZERO, .rack = RA_SEG_END)             \
    X(CLOSED_rcv_SYN_ACK_sends_RST, .setup = S_NO_TCB, .flags = SYN | ACK, .seq = Q_FIXED,       \
      .ack = A_FIXED, .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SEG_ACK, .rack = RA_ZERO) \
    X(CLOSED_rcv_ACK_sends_RST, .setup = S_NO_TCB, .flags = ACK, .seq = Q_FIXED, .ack = A_FIXED, \
      .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SEG_ACK, .rack = RA_ZERO)                 \
    X(CLOSED_rcv_data_sends_RST, .setup = S_NO_TCB, .flags = ACK, .seq = Q_FIXED,                \
      .ack = A_FIXED, .len = 100, .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SEG_ACK)      \
    X(CLOSED_rcv_FIN_sends_RST_ACK, .setup = S_NO_TCB, .flags = FIN, .seq = Q_FIXED,             \
      .expect = TCP_CLOSED, .reply = "RST|ACK", .rseq = RS_ZERO, .rack = RA_SEG_END)             \
    X(CLOSED_rcv_FIN_ACK_sends_RST, .setup = S_NO_TCB, .flags = FIN | ACK, .seq = Q_FIXED,       \
      .ack = A_FIXED, .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SEG_ACK)                  \
    X(CLOSED_rcv_SYN_FIN_sends_RST_ACK, .setup = S_NO_TCB, .flags = SYN | FIN, .seq = Q_FIXED,   \
      .expect = TCP_CLOSED, .reply = "RST|ACK", .rseq = RS_ZERO, .rack = RA_SEG_END)             \
    X(CLOSED_rcv_RST_is_dropped, .setup = S_NO_TCB, .flags = RST, .seq = Q_FIXED,                \
      .expect = TCP_CLOSED)                                                                      \
    /* ---- LISTEN ---- */                                                                       \
    X(LISTEN_rcv_SYN_goes_SYN_RECEIVED, .setup = S_LISTEN, .flags = SYN, .seq = Q_FIXED,         \
      .expect = TCP_SYN_RECEIVED, .reply = "SYN|ACK", .rack = RA_SEG_END)                        \
    X(LISTEN_rcv_ACK_sends_RST, .setup = S_LISTEN, .flags = ACK, .seq = Q_FIXED, .ack = A_FIXED, \
      .expect = TCP_LISTEN, .reply = "RST", .rseq = RS_SEG_ACK, .rack = RA_ZERO)                 \
    X(LISTEN_rcv_SYN_ACK_sends_RST, .setup = S_LISTEN, .flags = SYN | ACK, .seq = Q_FIXED,       \
      .ack = A_FIXED, .expect = TCP_LISTEN, .reply = "RST", .rseq = RS_SEG_ACK)                  \
    X(LISTEN_rcv_FIN_ACK_sends_RST, .setup = S_LISTEN, .flags = FIN | ACK, .seq = Q_FIXED,       \
      .ack = A_FIXED, .expect = TCP_LISTEN, .reply = "RST", .rseq = RS_SEG_ACK)                  \
    X(LISTEN_rcv_RST_is_ignored, .setup = S_LISTEN, .flags = RST, .seq = Q_FIXED,                \
      .expect = TCP_LISTEN)                                                                      \
    X(LISTEN_rcv_FIN_is_dropped, .setup = S_LISTEN, .flags = FIN, .seq = Q_FIXED,                \
      .expect = TCP_LISTEN)                                                                      \
    X(LISTEN_rcv_data_without_ACK_is_dropped, .setup = S_LISTEN, .flags = 0, .seq = Q_FIXED,     \
      .len = 100, .expect = TCP_LISTEN)                                                          \
    X(LISTEN_rcv_SYN_FIN_is_dropped, .setup = S_LISTEN, .flags = SYN | FIN, .seq = Q_FIXED,      \
      .expect = TCP_LISTEN)                                                                      \
    X(LISTEN_app_CLOSE_goes_CLOSED, .setup = S_LISTEN, .ev = EV_CLOSE, .expect = TCP_CLOSED,     \
      .told = T_CLOSED, .why = TCP_OK)                                                           \
    X(LISTEN_app_ABORT_goes_CLOSED, .setup = S_LISTEN, .ev = EV_ABORT, .expect = TCP_CLOSED,     \
      .told = T_CLOSED, .why = TCP_ERR_ABORTED)                                                  \
    /* ---- SYN_SENT ---- */                                                                     \
    X(SYN_SENT_rcv_SYN_ACK_goes_ESTABLISHED, .setup = S_SYN_SENT, .flags = SYN | ACK,            \
      .seq = Q_FIXED, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,             \
      .rack = RA_SEG_END, .told = T_CONNECTED)                                                   \
    X(SYN_SENT_rcv_SYN_ACK_with_data_delivers_it, .setup = S_SYN_SENT, .flags = SYN | ACK,       \
      .seq = Q_FIXED, .len = 100, .expect = TCP_ESTABLISHED, .reply = "ACK",                     \
      .rseq = RS_SND_NXT, .rack = RA_SEG_END, .told = T_CONNECTED | T_READABLE)                  \
    X(SYN_SENT_rcv_SYN_ACK_FIN_goes_CLOSE_WAIT, .setup = S_SYN_SENT, .flags = SYN | ACK | FIN,   \
      .seq = Q_FIXED, .expect = TCP_CLOSE_WAIT, .reply = "ACK", .rseq = RS_SND_NXT,              \
      .rack = RA_SEG_END, .told = T_CONNECTED | T_PEER_CLOSED)                                   \
    X(SYN_SENT_rcv_SYN_ACK_bad_ack_sends_RST, .setup = S_SYN_SENT, .flags = SYN | ACK,           \
      .seq = Q_FIXED, .ack = A_ISS, .expect = TCP_SYN_SENT, .reply = "RST", .rseq = RS_SEG_ACK,  \
      .rack = RA_ZERO)                                                                           \
    X(SYN_SENT_rcv_ACK_of_unsent_sends_RST, .setup = S_SYN_SENT, .flags = ACK, .seq = Q_FIXED,   \
      .ack = A_UNSENT, .expect = TCP_SYN_SENT, .reply = "RST", .rseq = RS_SEG_ACK)               \
    X(SYN_SENT_rcv_ACK_without_SYN_is_dropped, .setup = S_SYN_SENT, .flags = ACK,                \
      .seq = Q_FIXED, .expect = TCP_SYN_SENT)                                                    \
    X(SYN_SENT_rcv_SYN_goes_SYN_RECEIVED, .setup = S_SYN_SENT, .flags = SYN, .seq = Q_FIXED,     \
      .expect = TCP_SYN_RECEIVED, .reply = "SYN|ACK", .rseq = RS_ISS, .rack = RA_SEG_END)        \
    X(SYN_SENT_rcv_RST_ACK_goes_CLOSED, .setup = S_SYN_SENT, .flags = RST | ACK, .seq = Q_FIXED, \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_REFUSED)                            \
    X(SYN_SENT_rcv_RST_without_ACK_is_dropped, .setup = S_SYN_SENT, .flags = RST,                \
      .seq = Q_FIXED, .expect = TCP_SYN_SENT)                                                    \
    X(SYN_SENT_rcv_RST_bad_ack_is_dropped, .setup = S_SYN_SENT, .flags = RST | ACK,              \
      .seq = Q_FIXED, .ack = A_ISS, .expect = TCP_SYN_SENT)                                      \
    X(SYN_SENT_rcv_FIN_is_dropped, .setup = S_SYN_SENT, .flags = FIN, .seq = Q_FIXED,            \
      .expect = TCP_SYN_SENT)                                                                    \
    X(SYN_SENT_app_CLOSE_goes_CLOSED, .setup = S_SYN_SENT, .ev = EV_CLOSE, .expect = TCP_CLOSED, \
      .told = T_CLOSED, .why = TCP_OK)                                                           \
    X(SYN_SENT_app_ABORT_goes_CLOSED_without_RST, .setup = S_SYN_SENT, .ev = EV_ABORT,           \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_ABORTED)                            \
    X(SYN_SENT_timeout_resends_SYN, .setup = S_SYN_SENT, .ev = EV_WAIT, .wait = 1 * S,           \
      .expect = TCP_SYN_SENT, .reply = "SYN", .rseq = RS_ISS)                                    \
    /* ---- SYN_RECEIVED (passive) ---- */                                                       \
    X(SYN_RECEIVED_rcv_ACK_goes_ESTABLISHED, .setup = S_SYN_RECEIVED, .flags = ACK,              \
      .expect = TCP_ESTABLISHED, .told = T_ACCEPTED)                                             \
    X(SYN_RECEIVED_rcv_data_ACK_goes_ESTABLISHED_and_delivers, .setup = S_SYN_RECEIVED,          \
      .flags = ACK, .len = 100, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,   \
      .rack = RA_RCV_NXT, .advance = 100, .told = T_ACCEPTED | T_READABLE)                       \
    X(SYN_RECEIVED_rcv_FIN_ACK_goes_CLOSE_WAIT, .setup = S_SYN_RECEIVED, .flags = FIN | ACK,     \
      .expect = TCP_CLOSE_WAIT, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT,          \
      .advance = 1, .told = T_ACCEPTED | T_PEER_CLOSED)                                          \
    X(SYN_RECEIVED_rcv_FIN_without_ACK_is_dropped, .setup = S_SYN_RECEIVED, .flags = FIN,        \
      .expect = TCP_SYN_RECEIVED)                                                                \
    X(SYN_RECEIVED_rcv_ACK_of_unsent_sends_RST, .setup = S_SYN_RECEIVED, .flags = ACK,           \
      .ack = A_UNSENT, .expect = TCP_SYN_RECEIVED, .reply = "RST", .rseq = RS_SEG_ACK,           \
      .rack = RA_ZERO)                                                                           \
    X(SYN_RECEIVED_rcv_ACK_of_ISS_sends_RST, .setup = S_SYN_RECEIVED, .flags = ACK,              \
      .ack = A_ISS, .expect = TCP_SYN_RECEIVED, .reply = "RST", .rseq = RS_SEG_ACK)              \
    X(SYN_RECEIVED_rcv_old_segment_sends_ACK, .setup = S_SYN_RECEIVED, .flags = ACK,             \
      .seq = Q_OLD, .expect = TCP_SYN_RECEIVED, .reply = "ACK", .rseq = RS_SND_NXT,              \
      .rack = RA_RCV_NXT)                                                                        \
    X(SYN_RECEIVED_rcv_duplicate_SYN_sends_ACK, .setup = S_SYN_RECEIVED, .flags = SYN,           \
      .seq = Q_IRS, .expect = TCP_SYN_RECEIVED, .reply = "ACK", .rseq = RS_SND_NXT,              \
      .rack = RA_RCV_NXT)                                                                        \
    X(SYN_RECEIVED_rcv_duplicate_SYN_resends_SYN_ACK_linux, .setup = S_SYN_RECEIVED,             \
      .prof = P_LINUX, .flags = SYN, .seq = Q_IRS, .expect = TCP_SYN_RECEIVED,                   \
      .reply = "SYN|ACK", .rseq = RS_ISS, .rack = RA_RCV_NXT)                                    \
    X(SYN_RECEIVED_rcv_SYN_in_window_goes_LISTEN, .setup = S_SYN_RECEIVED, .flags = SYN,         \
      .seq = Q_IN_WINDOW, .expect = TCP_LISTEN)                                                  \
    X(SYN_RECEIVED_rcv_RST_goes_LISTEN, .setup = S_SYN_RECEIVED, .flags = RST,                   \
      .expect = TCP_LISTEN)                                                                      \
    X(SYN_RECEIVED_rcv_RST_in_window_sends_challenge_ACK, .setup = S_SYN_RECEIVED,               \
      .flags = RST, .seq = Q_IN_WINDOW, .expect = TCP_SYN_RECEIVED, .reply = "ACK",              \
      .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)                                                    \
    X(SYN_RECEIVED_rcv_RST_in_window_legacy_goes_LISTEN, .setup = S_SYN_RECEIVED,                \
      .prof = P_NO_RFC5961, .flags = RST, .seq = Q_IN_WINDOW, .expect = TCP_LISTEN)              \
    X(SYN_RECEIVED_rcv_RST_outside_window_is_dropped, .setup = S_SYN_RECEIVED, .flags = RST,     \
      .seq = Q_BEYOND, .expect = TCP_SYN_RECEIVED)                                               \
    X(SYN_RECEIVED_timeout_resends_SYN_ACK, .setup = S_SYN_RECEIVED, .ev = EV_WAIT,              \
      .wait = 1 * S, .expect = TCP_SYN_RECEIVED, .reply = "SYN|ACK", .rseq = RS_ISS,             \
      .rack = RA_RCV_NXT)                                                                        \
    /* ---- SYN_RECEIVED (active: simultaneous open) ---- */                                     \
    X(SYN_RECEIVED_active_rcv_ACK_goes_ESTABLISHED, .setup = S_SYN_RECEIVED_ACTIVE,              \
      .flags = ACK, .expect = TCP_ESTABLISHED, .told = T_CONNECTED)                              \
    X(SYN_RECEIVED_active_rcv_SYN_ACK_sends_ACK, .setup = S_SYN_RECEIVED_ACTIVE,                 \
      .flags = SYN | ACK, .seq = Q_IRS, .expect = TCP_SYN_RECEIVED, .reply = "ACK",              \
      .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)                                                    \
    X(SYN_RECEIVED_active_rcv_SYN_in_window_sends_challenge_ACK,                                 \
      .setup = S_SYN_RECEIVED_ACTIVE, .flags = SYN, .seq = Q_IN_WINDOW,                          \
      .expect = TCP_SYN_RECEIVED, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)        \
    X(SYN_RECEIVED_active_rcv_RST_goes_CLOSED, .setup = S_SYN_RECEIVED_ACTIVE, .flags = RST,     \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_REFUSED)                            \
    X(SYN_RECEIVED_active_app_ABORT_sends_RST, .setup = S_SYN_RECEIVED_ACTIVE, .ev = EV_ABORT,   \
      .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SND_NXT, .rack = RA_ZERO,                 \
      .told = T_CLOSED, .why = TCP_ERR_ABORTED)                                                  \
    X(SYN_RECEIVED_active_app_CLOSE_is_queued, .setup = S_SYN_RECEIVED_ACTIVE, .ev = EV_CLOSE,   \
      .expect = TCP_SYN_RECEIVED)                                                                \
    /* ---- ESTABLISHED ---- */                                                                  \
    X(ESTABLISHED_rcv_data_delivers_and_ACKs, .setup = S_ESTABLISHED, .flags = ACK, .len = 100,  \
      .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT,         \
      .advance = 100, .told = T_READABLE)                                                        \
    X(ESTABLISHED_rcv_data_out_of_order_sends_duplicate_ACK, .setup = S_ESTABLISHED,             \
      .flags = ACK, .seq = Q_IN_WINDOW, .len = 100, .expect = TCP_ESTABLISHED, .reply = "ACK",   \
      .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)                                                    \
    X(ESTABLISHED_rcv_old_data_sends_ACK, .setup = S_ESTABLISHED, .flags = ACK, .seq = Q_OLD,    \
      .len = 100, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,                 \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_data_beyond_window_sends_ACK, .setup = S_ESTABLISHED, .flags = ACK,        \
      .seq = Q_BEYOND, .len = 100, .expect = TCP_ESTABLISHED, .reply = "ACK",                    \
      .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)                                                    \
    X(ESTABLISHED_rcv_duplicate_ACK_is_ignored, .setup = S_ESTABLISHED, .flags = ACK,            \
      .ack = A_SND_UNA, .expect = TCP_ESTABLISHED)                                               \
    X(ESTABLISHED_rcv_ACK_of_data_advances_SND_UNA, .setup = S_ESTABLISHED_DATA, .flags = ACK,   \
      .expect = TCP_ESTABLISHED, .check_una = true)                                              \
    X(ESTABLISHED_rcv_ACK_of_unsent_data_sends_ACK, .setup = S_ESTABLISHED, .flags = ACK,        \
      .ack = A_UNSENT, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,            \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_ACK_too_old_sends_ACK, .setup = S_ESTABLISHED, .flags = ACK,               \
      .ack = A_TOO_OLD, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,           \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_FIN_goes_CLOSE_WAIT, .setup = S_ESTABLISHED, .flags = FIN | ACK,           \
      .expect = TCP_CLOSE_WAIT, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT,          \
      .advance = 1, .told = T_PEER_CLOSED)                                                       \
    X(ESTABLISHED_rcv_data_FIN_goes_CLOSE_WAIT, .setup = S_ESTABLISHED, .flags = FIN | ACK,      \
      .len = 100, .expect = TCP_CLOSE_WAIT, .reply = "ACK", .rseq = RS_SND_NXT,                  \
      .rack = RA_RCV_NXT, .advance = 101, .told = T_READABLE | T_PEER_CLOSED)                    \
    X(ESTABLISHED_rcv_FIN_out_of_order_is_held, .setup = S_ESTABLISHED, .flags = FIN | ACK,      \
      .seq = Q_IN_WINDOW, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,         \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_FIN_without_ACK_is_dropped, .setup = S_ESTABLISHED, .flags = FIN,          \
      .expect = TCP_ESTABLISHED)                                                                 \
    X(ESTABLISHED_rcv_SYN_sends_challenge_ACK, .setup = S_ESTABLISHED, .flags = SYN,             \
      .seq = Q_IN_WINDOW, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,         \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_SYN_outside_window_sends_ACK, .setup = S_ESTABLISHED, .flags = SYN,        \
      .seq = Q_BEYOND, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,            \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_SYN_legacy_sends_RST_goes_CLOSED, .setup = S_ESTABLISHED,                  \
      .prof = P_NO_RFC5961, .flags = SYN, .seq = Q_IN_WINDOW, .expect = TCP_CLOSED,              \
      .reply = "RST|ACK", .rseq = RS_ZERO, .rack = RA_SEG_END, .told = T_CLOSED,                 \
      .why = TCP_ERR_RESET)                                                                      \
    X(ESTABLISHED_rcv_SYN_FIN_sends_challenge_ACK, .setup = S_ESTABLISHED, .flags = SYN | FIN,   \
      .seq = Q_IN_WINDOW, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,         \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_old_SYN_ACK_sends_ACK, .setup = S_ESTABLISHED, .flags = SYN | ACK,         \
      .seq = Q_IRS, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,               \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_RST_goes_CLOSED, .setup = S_ESTABLISHED, .flags = RST,                     \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_RESET)                              \
    X(ESTABLISHED_rcv_RST_ACK_goes_CLOSED, .setup = S_ESTABLISHED, .flags = RST | ACK,           \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_RESET)                              \
    X(ESTABLISHED_rcv_RST_in_window_sends_challenge_ACK, .setup = S_ESTABLISHED, .flags = RST,   \
      .seq = Q_IN_WINDOW, .expect = TCP_ESTABLISHED, .reply = "ACK", .rseq = RS_SND_NXT,         \
      .rack = RA_RCV_NXT)                                                                        \
    X(ESTABLISHED_rcv_RST_in_window_legacy_goes_CLOSED, .setup = S_ESTABLISHED,                  \
      .prof = P_NO_RFC5961, .flags = RST, .seq = Q_IN_WINDOW, .expect = TCP_CLOSED,              \
      .told = T_CLOSED, .why = TCP_ERR_RESET)                                                    \
    X(ESTABLISHED_rcv_RST_outside_window_is_dropped, .setup = S_ESTABLISHED, .flags = RST,       \
      .seq = Q_BEYOND, .expect = TCP_ESTABLISHED)                                                \
    X(ESTABLISHED_rcv_RST_below_window_is_dropped, .setup = S_ESTABLISHED, .flags = RST,         \
      .seq = Q_OLD, .expect = TCP_ESTABLISHED)                                                   \
    X(ESTABLISHED_app_SEND_sends_data, .setup = S_ESTABLISHED, .ev = EV_SEND,                    \
      .expect = TCP_ESTABLISHED, .reply = "PSH|ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)     \
    X(ESTABLISHED_app_CLOSE_goes_FIN_WAIT_1, .setup = S_ESTABLISHED, .ev = EV_CLOSE,             \
      .expect = TCP_FIN_WAIT_1, .reply = "FIN|ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)      \
    X(ESTABLISHED_app_ABORT_sends_RST_goes_CLOSED, .setup = S_ESTABLISHED, .ev = EV_ABORT,       \
      .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SND_NXT, .rack = RA_ZERO,                 \
      .told = T_CLOSED, .why = TCP_ERR_ABORTED)                                                  \
    X(ESTABLISHED_app_ABORT_sends_RST_ACK_linux, .setup = S_ESTABLISHED, .prof = P_LINUX,        \
      .ev = EV_ABORT, .expect = TCP_CLOSED, .reply = "RST|ACK", .rseq = RS_SND_NXT,              \
      .rack = RA_RCV_NXT, .told = T_CLOSED, .why = TCP_ERR_ABORTED)                              \
    X(ESTABLISHED_timeout_retransmits_data, .setup = S_ESTABLISHED_DATA, .ev = EV_WAIT,          \
      .wait = 1500 * MS, .expect = TCP_ESTABLISHED, .reply = "PSH|ACK", .rseq = RS_SND_UNA)      \
    /* ---- FIN_WAIT_1 ---- */                                                                   \
    X(FIN_WAIT_1_rcv_ACK_of_FIN_goes_FIN_WAIT_2, .setup = S_FIN_WAIT_1, .flags = ACK,            \
      .expect = TCP_FIN_WAIT_2)                                                                  \
    X(FIN_WAIT_1_rcv_ACK_not_of_FIN_stays, .setup = S_FIN_WAIT_1, .flags = ACK,                  \
      .ack = A_BEFORE_FIN, .expect = TCP_FIN_WAIT_1)                                             \
    X(FIN_WAIT_1_rcv_FIN_goes_CLOSING, .setup = S_FIN_WAIT_1, .flags = FIN | ACK,                \
      .ack = A_BEFORE_FIN, .expect = TCP_CLOSING, .reply = "ACK", .rseq = RS_SND_NXT,            \
      .rack = RA_RCV_NXT, .advance = 1, .told = T_PEER_CLOSED)                                   \
    X(FIN_WAIT_1_rcv_FIN_ACK_goes_TIME_WAIT, .setup = S_FIN_WAIT_1, .flags = FIN | ACK,          \
      .expect = TCP_TIME_WAIT, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT,           \
      .advance = 1, .told = T_PEER_CLOSED)                                                       \
    X(FIN_WAIT_1_with_unsent_data_rcv_FIN_goes_CLOSING_and_keeps_sending,                        \
      .setup = S_FIN_WAIT_1_UNSENT, .flags = FIN | ACK, .expect = TCP_CLOSING,                   \
      .reply = "FIN|PSH|ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT, .advance = 1,              \
      .told = T_PEER_CLOSED)                                                                     \
    X(FIN_WAIT_1_rcv_data_delivers, .setup = S_FIN_WAIT_1, .flags = ACK, .ack = A_BEFORE_FIN,    \
      .len = 100, .expect = TCP_FIN_WAIT_1, .reply = "ACK", .rseq = RS_SND_NXT,                  \
      .rack = RA_RCV_NXT, .advance = 100, .told = T_READABLE)                                    \
    X(FIN_WAIT_1_rcv_SYN_sends_challenge_ACK, .setup = S_FIN_WAIT_1, .flags = SYN,               \
      .seq = Q_IN_WINDOW, .expect = TCP_FIN_WAIT_1, .reply = "ACK", .rseq = RS_SND_NXT,          \
      .rack = RA_RCV_NXT)                                                                        \
    X(FIN_WAIT_1_rcv_RST_goes_CLOSED, .setup = S_FIN_WAIT_1, .flags = RST, .expect = TCP_CLOSED, \
      .told = T_CLOSED, .why = TCP_ERR_RESET)                                                    \
    X(FIN_WAIT_1_app_CLOSE_is_an_error, .setup = S_FIN_WAIT_1, .ev = EV_CLOSE,                   \
      .ret = TCP_ERR_CLOSING, .expect = TCP_FIN_WAIT_1)                                          \
    X(FIN_WAIT_1_app_SEND_is_an_error, .setup = S_FIN_WAIT_1, .ev = EV_SEND,                     \
      .ret = TCP_ERR_CLOSING, .expect = TCP_FIN_WAIT_1)                                          \
    X(FIN_WAIT_1_app_ABORT_sends_RST, .setup = S_FIN_WAIT_1, .ev = EV_ABORT,                     \
      .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SND_NXT, .told = T_CLOSED,                \
      .why = TCP_ERR_ABORTED)                                                                    \
    X(FIN_WAIT_1_timeout_retransmits_FIN_same_seq, .setup = S_FIN_WAIT_1, .ev = EV_WAIT,         \
      .wait = 1500 * MS, .expect = TCP_FIN_WAIT_1, .reply = "FIN|ACK", .rseq = RS_FIN,           \
      .rack = RA_RCV_NXT)                                                                        \
    /* ---- FIN_WAIT_2 ---- */                                                                   \
    X(FIN_WAIT_2_rcv_FIN_goes_TIME_WAIT, .setup = S_FIN_WAIT_2, .flags = FIN | ACK,              \
      .expect = TCP_TIME_WAIT, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT,           \
      .advance = 1, .told = T_PEER_CLOSED)                                                       \
    X(FIN_WAIT_2_rcv_data_delivers, .setup = S_FIN_WAIT_2, .flags = ACK, .len = 100,             \
      .expect = TCP_FIN_WAIT_2, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT,          \
      .advance = 100, .told = T_READABLE)                                                        \
    X(FIN_WAIT_2_rcv_duplicate_ACK_is_ignored, .setup = S_FIN_WAIT_2, .flags = ACK,              \
      .expect = TCP_FIN_WAIT_2)                                                                  \
    X(FIN_WAIT_2_rcv_SYN_sends_challenge_ACK, .setup = S_FIN_WAIT_2, .flags = SYN,               \
      .seq = Q_IN_WINDOW, .expect = TCP_FIN_WAIT_2, .reply = "ACK", .rseq = RS_SND_NXT,          \
      .rack = RA_RCV_NXT)                                                                        \
    X(FIN_WAIT_2_rcv_RST_goes_CLOSED, .setup = S_FIN_WAIT_2, .flags = RST, .expect = TCP_CLOSED, \
      .told = T_CLOSED, .why = TCP_ERR_RESET)                                                    \
    X(FIN_WAIT_2_timeout_goes_CLOSED_linux, .setup = S_FIN_WAIT_2, .prof = P_LINUX,              \
      .ev = EV_WAIT, .wait = 61 * S, .expect = TCP_CLOSED, .told = T_CLOSED,                     \
      .why = TCP_ERR_TIMEOUT)                                                                    \
    X(FIN_WAIT_2_waits_indefinitely_rfc9293, .setup = S_FIN_WAIT_2, .ev = EV_WAIT,               \
      .wait = 600 * S, .expect = TCP_FIN_WAIT_2)                                                 \
    /* ---- CLOSE_WAIT ---- */                                                                   \
    X(CLOSE_WAIT_rcv_retransmitted_FIN_sends_ACK, .setup = S_CLOSE_WAIT, .flags = FIN | ACK,     \
      .seq = Q_OLD, .expect = TCP_CLOSE_WAIT, .reply = "ACK", .rseq = RS_SND_NXT,                \
      .rack = RA_RCV_NXT)                                                                        \
    X(CLOSE_WAIT_rcv_data_is_ignored, .setup = S_CLOSE_WAIT, .flags = ACK, .len = 100,           \
      .expect = TCP_CLOSE_WAIT)                                                                  \
    X(CLOSE_WAIT_rcv_SYN_sends_challenge_ACK, .setup = S_CLOSE_WAIT, .flags = SYN,               \
      .seq = Q_IN_WINDOW, .expect = TCP_CLOSE_WAIT, .reply = "ACK", .rseq = RS_SND_NXT,          \
      .rack = RA_RCV_NXT)                                                                        \
    X(CLOSE_WAIT_rcv_RST_goes_CLOSED, .setup = S_CLOSE_WAIT, .flags = RST, .expect = TCP_CLOSED, \
      .told = T_CLOSED, .why = TCP_ERR_RESET)                                                    \
    X(CLOSE_WAIT_app_SEND_sends_data, .setup = S_CLOSE_WAIT, .ev = EV_SEND,                      \
      .expect = TCP_CLOSE_WAIT, .reply = "PSH|ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)      \
    X(CLOSE_WAIT_app_CLOSE_goes_LAST_ACK, .setup = S_CLOSE_WAIT, .ev = EV_CLOSE,                 \
      .expect = TCP_LAST_ACK, .reply = "FIN|ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)        \
    X(CLOSE_WAIT_app_ABORT_sends_RST, .setup = S_CLOSE_WAIT, .ev = EV_ABORT,                     \
      .expect = TCP_CLOSED, .reply = "RST", .rseq = RS_SND_NXT, .told = T_CLOSED,                \
      .why = TCP_ERR_ABORTED)                                                                    \
    /* ---- CLOSING ---- */                                                                      \
    X(CLOSING_rcv_ACK_of_FIN_goes_TIME_WAIT, .setup = S_CLOSING, .flags = ACK,                   \
      .expect = TCP_TIME_WAIT)                                                                   \
    X(CLOSING_rcv_ACK_not_of_FIN_stays, .setup = S_CLOSING, .flags = ACK, .ack = A_BEFORE_FIN,   \
      .expect = TCP_CLOSING)                                                                     \
    X(CLOSING_rcv_retransmitted_FIN_sends_ACK_stays, .setup = S_CLOSING, .flags = FIN | ACK,     \
      .seq = Q_OLD, .ack = A_BEFORE_FIN, .expect = TCP_CLOSING, .reply = "ACK",                  \
      .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)                                                    \
    X(CLOSING_rcv_SYN_sends_challenge_ACK, .setup = S_CLOSING, .flags = SYN, .seq = Q_IN_WINDOW, \
      .expect = TCP_CLOSING, .reply = "ACK", .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)             \
    X(CLOSING_rcv_RST_goes_CLOSED, .setup = S_CLOSING, .flags = RST, .expect = TCP_CLOSED,       \
      .told = T_CLOSED, .why = TCP_ERR_RESET)                                                    \
    X(CLOSING_app_ABORT_goes_CLOSED_without_RST, .setup = S_CLOSING, .ev = EV_ABORT,             \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_ABORTED)                            \
    X(CLOSING_timeout_retransmits_FIN_same_seq, .setup = S_CLOSING, .ev = EV_WAIT,               \
      .wait = 1500 * MS, .expect = TCP_CLOSING, .reply = "FIN|ACK", .rseq = RS_FIN,              \
      .rack = RA_RCV_NXT)                                                                        \
    /* ---- LAST_ACK ---- */                                                                     \
    X(LAST_ACK_rcv_ACK_of_FIN_goes_CLOSED, .setup = S_LAST_ACK, .flags = ACK,                    \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_OK)                                     \
    X(LAST_ACK_rcv_ACK_not_of_FIN_stays, .setup = S_LAST_ACK, .flags = ACK, .ack = A_BEFORE_FIN, \
      .expect = TCP_LAST_ACK)                                                                    \
    X(LAST_ACK_rcv_retransmitted_FIN_sends_ACK, .setup = S_LAST_ACK, .flags = FIN | ACK,         \
      .seq = Q_OLD, .ack = A_BEFORE_FIN, .expect = TCP_LAST_ACK, .reply = "ACK",                 \
      .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)                                                    \
    X(LAST_ACK_rcv_SYN_sends_challenge_ACK, .setup = S_LAST_ACK, .flags = SYN,                   \
      .seq = Q_IN_WINDOW, .expect = TCP_LAST_ACK, .reply = "ACK", .rseq = RS_SND_NXT,            \
      .rack = RA_RCV_NXT)                                                                        \
    X(LAST_ACK_rcv_RST_goes_CLOSED, .setup = S_LAST_ACK, .flags = RST, .expect = TCP_CLOSED,     \
      .told = T_CLOSED, .why = TCP_ERR_RESET)                                                    \
    X(LAST_ACK_app_ABORT_goes_CLOSED_without_RST, .setup = S_LAST_ACK, .ev = EV_ABORT,           \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_ABORTED)                            \
    X(LAST_ACK_timeout_retransmits_FIN_same_seq, .setup = S_LAST_ACK, .ev = EV_WAIT,             \
      .wait = 1500 * MS, .expect = TCP_LAST_ACK, .reply = "FIN|ACK", .rseq = RS_FIN,             \
      .rack = RA_RCV_NXT)                                                                        \
    /* ---- TIME_WAIT ---- */                                                                    \
    X(TIME_WAIT_rcv_retransmitted_FIN_sends_ACK, .setup = S_TIME_WAIT, .flags = FIN | ACK,       \
      .seq = Q_OLD, .expect = TCP_TIME_WAIT, .reply = "ACK", .rseq = RS_SND_NXT,                 \
      .rack = RA_RCV_NXT)                                                                        \
    X(TIME_WAIT_rcv_ACK_is_ignored, .setup = S_TIME_WAIT, .flags = ACK,                          \
      .expect = TCP_TIME_WAIT)                                                                   \
    X(TIME_WAIT_rcv_SYN_sends_challenge_ACK, .setup = S_TIME_WAIT, .flags = SYN,                 \
      .seq = Q_IN_WINDOW, .expect = TCP_TIME_WAIT, .reply = "ACK", .rseq = RS_SND_NXT,           \
      .rack = RA_RCV_NXT)                                                                        \
    X(TIME_WAIT_rcv_SYN_legacy_sends_challenge_ACK, .setup = S_TIME_WAIT, .prof = P_NO_RFC5961,  \
      .flags = SYN, .seq = Q_IN_WINDOW, .expect = TCP_TIME_WAIT, .reply = "ACK",                 \
      .rseq = RS_SND_NXT, .rack = RA_RCV_NXT)                                                    \
    X(TIME_WAIT_rcv_RST_goes_CLOSED, .setup = S_TIME_WAIT, .flags = RST, .expect = TCP_CLOSED,   \
      .told = T_CLOSED, .why = TCP_ERR_RESET)                                                    \
    X(TIME_WAIT_rcv_RST_ignored_with_rfc1337, .setup = S_TIME_WAIT, .prof = P_RFC1337,           \
      .flags = RST, .expect = TCP_TIME_WAIT)                                                     \
    X(TIME_WAIT_timeout_goes_CLOSED, .setup = S_TIME_WAIT, .ev = EV_WAIT, .wait = 241 * S,       \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_OK)                                     \
    X(TIME_WAIT_app_CLOSE_is_an_error, .setup = S_TIME_WAIT, .ev = EV_CLOSE,                     \
      .ret = TCP_ERR_CLOSING, .expect = TCP_TIME_WAIT)                                           \
    X(TIME_WAIT_app_ABORT_goes_CLOSED_without_RST, .setup = S_TIME_WAIT, .ev = EV_ABORT,         \
      .expect = TCP_CLOSED, .told = T_CLOSED, .why = TCP_ERR_ABORTED)

#define DEFINE_ROW(name, ...)                                                                    \
    static void test_##name(void)                                                                \
    {                                                                                            \
        static const struct row r = {#name, __VA_ARGS__};                                        \
        run_row(&r);                                                                             \
    }
GRID(DEFINE_ROW)

#define REGISTER_ROW(name, ...) {"test_" #name, test_##name},
static const struct {
    const char *name;
    CU_TestFunc fn;
} grid_tests[] = {GRID(REGISTER_ROW)};

/* ======================================================================
 * Part 2: whole exchanges
 * ====================================================================== */

static struct harness *make_profile(const char *profile)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, profile);
    return harness_create(&cfg);
}

/* The profile with its retransmission timers on a wheel of `hz` (0: exact). */
static struct harness *make_profile_hz(const char *profile, int hz)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, profile);
    for (int i = 0; i < 2; i++)
        cfg.host[i].profile.timer_hz = hz;
    return harness_create(&cfg);
}

static void dump_on_failure(const struct harness *h, bool ok)
{
    if (!ok)
        fprintf(stderr, "\n---- log ----\n%s", harness_log(h));
}

static bool log_has(const struct harness *h, const char *text)
{
    bool ok = harness_log_has(h, text);
    if (!ok)
        fprintf(stderr, "\nmissing log line: %s\n", text);
    return ok;
}

static void path_is(const struct harness *h, int host, uint64_t conn_id, const char *expected)
{
    char buf[512];
    harness_path_string(h, host, conn_id, buf, sizeof buf);
    if (strcmp(buf, expected) != 0)
        fprintf(stderr, "\npath of %s conn %llu: \"%s\", expected \"%s\"\n",
                host == H_CLIENT ? "client" : "server", (unsigned long long)conn_id, buf, expected);
    CU_ASSERT_STRING_EQUAL(buf, expected);
}

/* The teaching note: SYN seq=x; SYN-ACK seq=y ack=x+1; ACK seq=x+1 ack=y+1;
 * FIN seq=u; ACK ack=u+1; FIN seq=w ack=u+1; ACK seq=u+1 ack=w+1. (The
 * note's own slip: the third segment carries seq=x+1, not 1.) */
static void test_note_handshake_and_teardown(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].close_on_peer_closed = true;
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    CU_ASSERT_EQUAL(id, tcp_conn_id(server));
    harness_run_until(h, 1 * S);
    tcp_close(client);
    harness_run_until(h, 300 * S);

    bool ok = true;
    ok &= log_has(h, "0.000000000 server CLOSED -> LISTEN (app LISTEN)");
    ok &= log_has(h, "0.010000000 client CLOSED -> SYN_SENT (app CONNECT)\n"
                     "0.010000000 client:40000 > server:80 SYN seq=1000 ack=0 len=0 win=65535\n");
    ok &= log_has(h, "0.020000000 server LISTEN -> SYN_RECEIVED (rcv SYN)\n"
                     "0.020000000 server:80 > client:40000 SYN|ACK seq=5000 ack=1001 len=0 win=65535\n");
    ok &= log_has(h, "0.030000000 client SYN_SENT -> ESTABLISHED (rcv SYN|ACK)\n"
                     "0.030000000 client:40000 > server:80 ACK seq=1001 ack=5001 len=0 win=65535\n");
    ok &= log_has(h, "0.040000000 server SYN_RECEIVED -> ESTABLISHED (rcv ACK of SYN)");
    ok &= log_has(h, "1.000000000 client ESTABLISHED -> FIN_WAIT_1 (app CLOSE)\n"
                     "1.000000000 client:40000 > server:80 FIN|ACK seq=1001 ack=5001 len=0");
    ok &= log_has(h, "1.010000000 server ESTABLISHED -> CLOSE_WAIT (rcv FIN)\n"
                     "1.010000000 server:80 > client:40000 ACK seq=5001 ack=1002 len=0");
    ok &= log_has(h, "1.010000000 server CLOSE_WAIT -> LAST_ACK (app CLOSE)\n"
                     "1.010000000 server:80 > client:40000 FIN|ACK seq=5001 ack=1002 len=0");
    ok &= log_has(h, "1.020000000 client FIN_WAIT_1 -> FIN_WAIT_2 (rcv ACK of FIN)");
    ok &= log_has(h, "1.020000000 client FIN_WAIT_2 -> TIME_WAIT (rcv FIN)\n"
                     "1.020000000 client:40000 > server:80 ACK seq=1002 ack=5002 len=0");
    ok &= log_has(h, "1.030000000 server LAST_ACK -> CLOSED (rcv ACK of FIN)");
    ok &= log_has(h, "241.020000000 client TIME_WAIT -> CLOSED (2MSL timeout)");
    CU_ASSERT(ok);
    dump_on_failure(h, ok);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    path_is(h, H_SERVER, 0, "CLOSED LISTEN");
    harness_destroy(h);
}

static void time_wait_lasts(const char *profile, sim_time expected)
{
    struct harness *h = make_profile(profile);
    h->app[H_SERVER].close_on_peer_closed = true;
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    tcp_close(client);
    harness_run_until(h, 1000 * S);
    sim_time entered = harness_transition_time(h, H_CLIENT, id, TCP_TIME_WAIT, 1);
    sim_time left = harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1);
    CU_ASSERT(entered > 0);
    CU_ASSERT_EQUAL(left - entered, expected);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_CLIENT])->tcbs, 0);
    harness_destroy(h);
}

static void test_TIME_WAIT_lasts_exactly_2MSL_rfc9293(void) { time_wait_lasts("rfc9293", 240 * S); }
static void test_TIME_WAIT_lasts_exactly_60s_linux(void) { time_wait_lasts("linux", 60 * S); }

/* Both ends' TCBs are gone: one record, both ISNs, the client's times. */
static void test_connection_record_reports_both_ends(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].close_on_peer_closed = true;
    struct tcp_conn *client = establish(h, NULL);
    tcp_close(client);
    harness_run_until(h, 1000 * S);
    CU_ASSERT_EQUAL_FATAL(h->conn_count, 1);
    const struct trace_connection *c = &h->conns[0];
    CU_ASSERT_EQUAL(c->conn_id, 1);
    CU_ASSERT_STRING_EQUAL(c->client, "client");
    CU_ASSERT_STRING_EQUAL(c->server, "server");
    CU_ASSERT_EQUAL(c->client_addr, H_CLIENT_ADDR);
    CU_ASSERT_EQUAL(c->server_addr, H_SERVER_ADDR);
    CU_ASSERT_EQUAL(c->client_port, 40000);
    CU_ASSERT_EQUAL(c->server_port, 80);
    CU_ASSERT(c->has_client_isn && c->has_server_isn);
    CU_ASSERT_EQUAL(c->client_isn, 1000);
    CU_ASSERT_EQUAL(c->server_isn, 5000);
    CU_ASSERT_EQUAL(c->opened_ns, 10 * MS);
    CU_ASSERT_EQUAL(c->established_ns, 30 * MS);
    CU_ASSERT_EQUAL(c->closed_ns, 100 * MS + 20 * MS + 240 * S);
    harness_destroy(h);
}

/* A connection still open at the end is reported with closed_ns = -1. */
static void test_network_finish_reports_open_connections(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *client = establish(h, NULL);
    (void)client;
    tcp_network_finish(h->net);
    CU_ASSERT_EQUAL_FATAL(h->conn_count, 1);
    CU_ASSERT_EQUAL(h->conns[0].closed_ns, -1);
    CU_ASSERT_EQUAL(h->conns[0].established_ns, 30 * MS);
    harness_destroy(h); /* hosts torn down after finish: nothing reported twice */
    }

/* MUST-10: both ends active. Each SYN_SENT gets the other's SYN ->
 * SYN_RECEIVED, sends SYN-ACK; the peer's SYN-ACK fails the sequence test
 * and draws an ACK; that ACK completes each side (reference 1.9). */
static void test_simultaneous_open_reaches_ESTABLISHED_on_both_sides(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *a = tcp_connect(h->host[H_CLIENT], 0, 40000, H_SERVER_ADDR, 6000, NULL);
    struct tcp_conn *b = tcp_connect(h->host[H_SERVER], 0, 6000, H_CLIENT_ADDR, 40000, NULL);
    harness_run_until(h, 1 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(a), TCP_ESTABLISHED);
    CU_ASSERT_EQUAL(tcp_conn_state(b), TCP_ESTABLISHED);
    CU_ASSERT_EQUAL(tcp_conn_id(a), tcp_conn_id(b));
    path_is(h, H_CLIENT, tcp_conn_id(a), "CLOSED SYN_SENT SYN_RECEIVED ESTABLISHED");
    path_is(h, H_SERVER, tcp_conn_id(b), "CLOSED SYN_SENT SYN_RECEIVED ESTABLISHED");
    CU_ASSERT_EQUAL(h->app[H_CLIENT].connected, 1);
    CU_ASSERT_EQUAL(h->app[H_SERVER].connected, 1);
    /* Data flows both ways afterwards. */
    tcp_send(a, NULL, 3000);
    tcp_send(b, NULL, 2000);
    harness_run_until(h, 2 * S);
    CU_ASSERT_EQUAL(h->app[H_SERVER].received_len, 3000);
    CU_ASSERT_EQUAL(h->app[H_CLIENT].received_len, 2000);
    harness_destroy(h);
}

/* Fig. 13: both FIN_WAIT_1, each FIN not acking the other's -> CLOSING,
 * then the ACKs -> TIME_WAIT on both sides. */
static void test_simultaneous_close_both_CLOSING_then_TIME_WAIT(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    harness_run_until(h, 1 * S);
    tcp_close(client);
    tcp_close(server);
    harness_run_until(h, 1000 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
    CU_ASSERT_EQUAL(harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1) -
                        harness_transition_time(h, H_CLIENT, id, TCP_TIME_WAIT, 1),
                    240 * S);
    CU_ASSERT(harness_log_has(h, "client FIN_WAIT_1 -> CLOSING (rcv FIN)"));
    CU_ASSERT(harness_log_has(h, "client CLOSING -> TIME_WAIT (rcv ACK of FIN)"));
    harness_destroy(h);
}

/* The server's bare ACK of the FIN is lost; its FIN|ACK acks our FIN and
 * carries its own: FIN_WAIT_1 -> TIME_WAIT directly (Fig. 5 note 2). */
static void test_FIN_ACK_in_FIN_WAIT_1_goes_straight_to_TIME_WAIT(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].close_on_peer_closed = true;
    harness_drop(h, H_SERVER, HK_ACK, 1);
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    tcp_close(client);
    harness_run_until(h, 1000 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 TIME_WAIT CLOSED");
    CU_ASSERT(harness_log_has(h, "client FIN_WAIT_1 -> TIME_WAIT (rcv FIN|ACK)"));
    harness_destroy(h);
}

/* RFC 9293 Fig. 8: an old duplicate SYN reaches the listener; the client
 * (no such connection) answers the SYN-ACK with <SEQ=SEG.ACK><CTL=RST>,
 * which matches RCV.NXT: the child goes back to LISTEN. */
static void test_RST_in_SYN_RECEIVED_returns_to_LISTEN(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *listener = tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    struct segment old = craft(H_CLIENT_ADDR, 40123, H_SERVER_ADDR, 80, SYN, 90000, 0, 0);
    harness_inject(h, H_SERVER, 10 * MS, &old);
    harness_run_until(h, 1 * S);
    CU_ASSERT(harness_log_has(h, "server LISTEN -> SYN_RECEIVED (rcv SYN)"));
    CU_ASSERT(harness_log_has(h, "client:40123 > server:80 RST seq=90001 ack=0"));
    CU_ASSERT(harness_log_has(h, "server SYN_RECEIVED -> LISTEN (rcv RST)"));
    path_is(h, H_SERVER, 1, "LISTEN SYN_RECEIVED LISTEN");
    CU_ASSERT_EQUAL(tcp_conn_state(listener), TCP_LISTEN);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_SERVER])->tcbs, 1);
    CU_ASSERT_EQUAL(h->app[H_SERVER].accepted, 0);
    CU_ASSERT_EQUAL(h->app[H_SERVER].closed, 0);
    harness_destroy(h);
}

/* SYN to a port with no listener: RST|ACK seq 0 ack SYN+1, and the client
 * is told "refused". */
static void test_connection_refused_by_RST_ACK(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 81, NULL);
    uint64_t id = tcp_conn_id(c);
    harness_run_until(h, 1 * S);
    CU_ASSERT(harness_log_has(h, "server:81 > client:40000 RST|ACK seq=0 ack=1001 len=0 win=0"));
    CU_ASSERT(harness_log_has(h, "client SYN_SENT -> CLOSED (rcv RST)"));
    CU_ASSERT_EQUAL(h->app[H_CLIENT].closed, 1);
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_REFUSED);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_CLIENT])->connections_failed, 1);
    /* The RST from CLOSED carries the triggering segment's conn_id. */
    const struct h_segment *rst = harness_sent_nth(h, H_SERVER, 0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rst);
    CU_ASSERT_EQUAL(rst->seg.conn_id, id);
    CU_ASSERT_EQUAL_FATAL(h->conn_count, 1);
    CU_ASSERT_EQUAL(h->conns[0].established_ns, -1);
    CU_ASSERT_FALSE(h->conns[0].has_server_isn);
    harness_destroy(h);
}

/* ABORT in ESTABLISHED: <SEQ=SND.NXT><CTL=RST> -> CLOSED (3.10.5); the peer
 * takes the exact RST and is told "reset". */
static void test_abort_resets_the_peer(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    CU_ASSERT_EQUAL(tcp_abort(client), TCP_OK);
    harness_run_until(h, 1 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSED");
    CU_ASSERT(harness_log_has(h, "client ESTABLISHED -> CLOSED (app ABORT)"));
    CU_ASSERT(harness_log_has(h, "server ESTABLISHED -> CLOSED (rcv RST)"));
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_ABORTED);
    CU_ASSERT_EQUAL(h->app[H_SERVER].last_error, TCP_ERR_RESET);
    CU_ASSERT_EQUAL(h->conn_count, 1);
    harness_destroy(h);
}

/* linux: the SYN offers MSS, SACK-permitted, timestamps and window scale
 * 10 in a window of 44 x 1460; the SYN-ACK echoes the SYN's TSval in a
 * window of 45 x 1448; later windows are scaled and full segments carry
 * 1448 bytes (the 12-byte timestamp option takes the rest). */
static void test_linux_options_on_the_wire(void)
{
    struct harness *h = make_profile("linux");
    struct tcp_conn *client = establish(h, NULL);
    const struct segment *syn = &harness_sent_nth(h, H_CLIENT, 0, 0)->seg;
    const struct segment *synack = &harness_sent_nth(h, H_SERVER, 0, 0)->seg;
    const struct segment *ack = &harness_sent_nth(h, H_CLIENT, 0, 1)->seg;
    CU_ASSERT_EQUAL(syn->mss, 1460);
    CU_ASSERT_EQUAL(syn->options, TCP_OPT_SACK_PERM | TCP_OPT_TIMESTAMPS | TCP_OPT_WSCALE);
    CU_ASSERT_EQUAL(syn->wscale, 10);
    CU_ASSERT_EQUAL(syn->tsecr, 0);
    CU_ASSERT_EQUAL(syn->wnd, 64240);
    CU_ASSERT_EQUAL(synack->options, syn->options);
    CU_ASSERT_EQUAL(synack->tsecr, syn->tsval);
    CU_ASSERT_EQUAL(synack->wnd, 65160);
    CU_ASSERT_EQUAL(ack->options, TCP_OPT_TIMESTAMPS);
    CU_ASSERT_EQUAL(ack->tsecr, synack->tsval);
    CU_ASSERT_EQUAL(ack->wnd, 65535 >> 10);
    sim_time t = now(h);
    tcp_send(client, NULL, 3000);
    advance_by(h, 100 * MS);
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_CLIENT, t, 0)->seg.len, 1448);
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_CLIENT, t, 2)->seg.len, 104);
    CU_ASSERT_EQUAL(h->app[H_SERVER].received_len, 3000);
    harness_destroy(h);
}

/* rfc9293 sends the MSS and nothing else, in unscaled 65535 windows. */
static void test_rfc9293_sends_only_MSS(void)
{
    struct harness *h = make_profile("rfc9293");
    establish(h, NULL);
    const struct segment *syn = &harness_sent_nth(h, H_CLIENT, 0, 0)->seg;
    CU_ASSERT_EQUAL(syn->mss, 1460);
    CU_ASSERT_EQUAL(syn->options, 0);
    CU_ASSERT_EQUAL(syn->wnd, 65535);
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_CLIENT, 0, 1)->seg.wnd, 65535);
    harness_destroy(h);
}

/* After a lost SYN and a lost first data segment, the data is resent after
 * an RTO from the SYN-ACK's TSecr sample (20 ms RTT: 20 + 200 ms, rounded
 * by the wheel), not RFC 6298 5.7's 3 s, which timestamps=no restores. */
static sim_time data_resend_delay(bool timestamps)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "linux");
    for (int i = 0; i < 2; i++)
        cfg.host[i].profile.timestamps = timestamps;
    struct harness *h = harness_create(&cfg);
    harness_drop(h, H_CLIENT, HK_SYN, 1);
    harness_drop(h, H_CLIENT, HK_DATA, 1);
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    harness_run_until(h, 2 * S);
    tcp_send(c, NULL, 100);
    harness_run_until(h, 10 * S);
    sim_time resent = -1;
    for (size_t i = 0; i < h->sent_count; i++)
        if (h->sent[i].from == H_CLIENT && h->sent[i].seg.len && h->sent[i].seg.retransmission)
            resent = h->sent[i].t;
    CU_ASSERT_EQUAL(h->app[H_SERVER].received_len, 100);
    harness_destroy(h);
    return resent - 2 * S;
}

static void test_RTO_after_lost_SYN_from_timestamps(void)
{
    sim_time with = data_resend_delay(true), without = data_resend_delay(false);
    CU_ASSERT(with >= 220 * MS && with <= 220 * MS + 36 * MS);
    CU_ASSERT(without >= 3 * S && without <= 3 * S + 300 * MS);
}

/* A SYN above RCV.NXT to a TIME_WAIT end that has a listener: linux ends
 * TIME_WAIT and the listener answers at once (no challenge ACK, no RST,
 * no SYN retransmission); without time_wait_syn_reopens the challenge ACK
 * draws the client's RST and the SYN goes again after 1 s. */
static int reconnect_from_time_wait(bool reopens, sim_time *established)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "linux");
    for (int i = 0; i < 2; i++)
        cfg.host[i].profile.time_wait_syn_reopens = reopens;
    struct harness *h = harness_create(&cfg);
    h->app[H_CLIENT].close_on_peer_closed = true;
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    tcp_connect(h->host[H_CLIENT], 0, 40000, H_SERVER_ADDR, 80, NULL);
    harness_run_until(h, 100 * MS);
    tcp_close(h->app[H_SERVER].last_conn);
    harness_run_until(h, 1 * S);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_SERVER])->in_state[TCP_TIME_WAIT], 1);
    struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 40000, H_SERVER_ADDR, 80, NULL);
    uint64_t id = tcp_conn_id(c);
    harness_run_until(h, 5 * S);
    *established = harness_transition_time(h, H_CLIENT, id, TCP_ESTABLISHED, 1) - 1 * S;
    int reopened = harness_log_has(h, "server TIME_WAIT -> CLOSED (rcv SYN)");
    CU_ASSERT_EQUAL(h->app[H_CLIENT].connected, 2);
    harness_destroy(h);
    return reopened;
}

static void test_TIME_WAIT_newer_SYN_reopens_linux(void)
{
    sim_time t;
    CU_ASSERT_TRUE(reconnect_from_time_wait(true, &t));
    CU_ASSERT_EQUAL(t, 20 * MS);
    CU_ASSERT_FALSE(reconnect_from_time_wait(false, &t));
    CU_ASSERT(t > 1 * S);
}

/* The times of the SYNs the client sent, in ms. */
static size_t syn_times(const struct harness *h, sim_time *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < h->sent_count && n < max; i++)
        if (h->sent[i].from == H_CLIENT && (h->sent[i].seg.flags & SYN))
            out[n++] = h->sent[i].t;
    return n;
}

static void syn_schedule(const char *profile, int hz, const double *expected, size_t count,
                         double fails_at)
{
    struct harness *h = make_profile_hz(profile, hz);
    h->cut = true;
    struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    uint64_t id = tcp_conn_id(c);
    harness_run_until(h, 1000 * S);
    sim_time t[32];
    size_t n = syn_times(h, t, 32);
    CU_ASSERT_EQUAL(n, count);
    for (size_t i = 0; i < n && i < count; i++)
        CU_ASSERT_EQUAL(t[i], (sim_time)(expected[i] * S));
    CU_ASSERT_EQUAL(harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1), (sim_time)(fails_at * S));
    CU_ASSERT(harness_log_has(h, "client SYN_SENT -> CLOSED (SYN retries exhausted)"));
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_TIMEOUT);
    harness_destroy(h);
}

static void test_SYN_retransmission_schedule_linux(void)
{
    static const double t[] = {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67};
    syn_schedule("linux", 0, t, 11, 131);
}

/* The same on Linux's timer wheel at HZ = 250 (the profile's default):
 * each timeout ends at the next boundary of its level's buckets, 8 jiffies
 * (32 ms) for 1 s and 2 s, 64 (256 ms) for 4 s to 16 s, 512 (2.048 s)
 * for 32 s and 64 s. The kernel measured 1.042 ... 68.306 s and 133.8 s
 * (docs/fidelity.md): its jiffies start at another phase. */
static void test_SYN_retransmission_schedule_linux_timer_wheel(void)
{
    static const double t[] = {0, 1.024, 2.048, 3.072, 4.096, 5.120, 7.136, 11.264, 19.456, 35.584,
                               69.632};
    syn_schedule("linux", 250, t, 11, 135.168);
}

static void test_SYN_retransmission_schedule_rfc9293(void)
{
    /* Doubling from 1 s, each interval clamped by rto_max = 60 s (RFC 6298
     * 2.5): still past the 3 minutes of MUST-23. */
    static const double t[] = {0, 1, 3, 7, 15, 31, 63, 123};
    syn_schedule("rfc9293", 0, t, 8, 183);
}

/* The server's SYN-ACKs when no ACK ever comes: linux 0,1,3,7,15,31 s and
 * the child leaves quietly at 63 s. */
static void test_SYN_ACK_retransmission_schedule_linux(void)
{
    struct harness *h = make_profile_hz("linux", 0);
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    h->cut = true;
    struct segment syn = craft(H_CLIENT_ADDR, 40000, H_SERVER_ADDR, 80, SYN, 1000, 0, 0);
    harness_inject(h, H_SERVER, 0, &syn);
    harness_run_until(h, 1000 * S);
    static const int expected[] = {0, 1, 3, 7, 15, 31};
    CU_ASSERT_EQUAL(harness_sent_since(h, H_SERVER, 0), 6);
    for (size_t i = 0; i < 6; i++) {
        const struct h_segment *s = harness_sent_nth(h, H_SERVER, 0, i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(s->t, expected[i] * S);
        CU_ASSERT_EQUAL(s->seg.flags, SYN | ACK);
        CU_ASSERT_EQUAL(s->seg.retransmission, i > 0);
    }
    CU_ASSERT_EQUAL(harness_transition_time(h, H_SERVER, 1, TCP_CLOSED, 1), 63 * S);
    CU_ASSERT(harness_log_has(h, "server SYN_RECEIVED -> CLOSED (SYN-ACK retries exhausted)"));
    CU_ASSERT_EQUAL(h->app[H_SERVER].closed, 0); /* the application never knew it */
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_SERVER])->tcbs, 1);
    harness_destroy(h);
}

/* rfc9293: synack_retries 7, doubling from 1 s, clamped at rto_max 60 s. */
static void test_SYN_ACK_retransmission_schedule_rfc9293(void)
{
    struct harness *h = make_profile("rfc9293");
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    h->cut = true;
    struct segment syn = craft(H_CLIENT_ADDR, 40000, H_SERVER_ADDR, 80, SYN, 1000, 0, 0);
    harness_inject(h, H_SERVER, 0, &syn);
    harness_run_until(h, 1000 * S);
    static const int expected[] = {0, 1, 3, 7, 15, 31, 63, 123};
    CU_ASSERT_EQUAL(harness_sent_since(h, H_SERVER, 0), 8);
    for (size_t i = 0; i < 8; i++) {
        const struct h_segment *s = harness_sent_nth(h, H_SERVER, 0, i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(s->t, expected[i] * S);
    }
    CU_ASSERT_EQUAL(harness_transition_time(h, H_SERVER, 1, TCP_CLOSED, 1), 183 * S);
    harness_destroy(h);
}

/* ---- congestion control, tail loss probe, delayed ACKs (linux profile) ---- */

static size_t data_segments_since(const struct harness *h, int from, sim_time since, sim_time until)
{
    size_t n = 0;
    for (size_t i = 0; i < harness_sent_since(h, from, since); i++) {
        const struct h_segment *s = harness_sent_nth(h, from, since, i);
        if (s->seg.len > 0 && s->t < until)
            n++;
    }
    return n;
}

/* RFC 6928: 10 segments leave at once, the other 4 of 20000 bytes when the
 * first ACKs come back (one RTT, 20 ms); without congestion control all 14. */
static void test_initial_window_is_10_segments_linux(void)
{
    struct harness *h = make_profile("linux");
    struct tcp_conn *server = NULL;
    establish(h, &server);
    sim_time start = now(h);
    tcp_send(server, NULL, 20000);
    advance_by(h, 5 * MS);
    CU_ASSERT_EQUAL(data_segments_since(h, H_SERVER, start, now(h)), 10);
    advance_by(h, 30 * MS);
    CU_ASSERT_EQUAL(data_segments_since(h, H_SERVER, start, now(h)), 14);
    CU_ASSERT_EQUAL(h->app[H_CLIENT].received_len, 20000);
    harness_destroy(h);

    struct harness_config cfg;
    harness_config_defaults(&cfg, "linux");
    cfg.host[H_SERVER].profile.congestion = TCP_CC_NONE;
    h = harness_create(&cfg);
    establish(h, &server);
    start = now(h);
    tcp_send(server, NULL, 20000);
    advance_by(h, 5 * MS);
    CU_ASSERT_EQUAL(data_segments_since(h, H_SERVER, start, now(h)), 14);
    harness_destroy(h);
}

/* RFC 5681 3.1: an RTO sets ssthresh (reno: FlightSize/2, at least 2 MSS;
 * cubic: 0.7 cwnd) and the loss window of one segment; the retransmission
 * leaves alone and slow start grows the window again from there. */
static void test_loss_window_after_RTO_cubic_and_reno(void)
{
    for (int cc = TCP_CC_RENO; cc <= TCP_CC_CUBIC; cc++) {
        struct harness_config cfg;
        harness_config_defaults(&cfg, "linux");
        cfg.host[H_SERVER].profile.congestion = (enum tcp_congestion)cc;
        cfg.host[H_SERVER].profile.tail_loss_probe = false;
        struct harness *h = harness_create(&cfg);
        struct tcp_conn *server = NULL;
        establish(h, &server);
        h->cut = true;
        sim_time start = now(h);
        tcp_send(server, NULL, 5000);
        advance_by(h, 1 * MS);
        CU_ASSERT_EQUAL(data_segments_since(h, H_SERVER, start, now(h)), 4);
        CU_ASSERT_EQUAL(server->cwnd, 10u * server->snd_mss);
        h->cut = false; /* the four are lost (the cut applies when sent) */
        sim_time before_rto = now(h);
        while (harness_sent_since(h, H_SERVER, before_rto) == 0)
            advance_by(h, 1 * MS);
        const struct h_segment *first = harness_sent_nth(h, H_SERVER, before_rto, 0);
        CU_ASSERT_TRUE(first->seg.retransmission);
        CU_ASSERT_EQUAL(server->cwnd, server->snd_mss);
        CU_ASSERT_EQUAL(server->cc.ssthresh, cc == TCP_CC_RENO ? 2u * server->snd_mss
                                                               : (uint32_t)(0.7 * 10 * server->snd_mss));
        advance_by(h, 25 * MS); /* its ACK: slow start, cwnd 2 MSS */
        CU_ASSERT_EQUAL(server->cwnd, 2u * server->snd_mss);
        advance_by(h, 100 * MS);
        CU_ASSERT_EQUAL(h->app[H_CLIENT].received_len, 5000);
        harness_destroy(h);
    }
}

/* RFC 8985: a lost FIN is probed at min(2 SRTT + rto_min, RTO) without
 * backoff, then the RTO runs in full: gaps RTO, RTO, 2 RTO (each late by
 * up to one bucket of the linux profile's timer wheel: 32 ms at HZ 250). */
static void test_tail_loss_probe_resends_FIN_before_backoff(void)
{
    struct harness *h = make_profile("linux");
    struct tcp_conn *client = establish(h, NULL);
    harness_drop(h, H_CLIENT, HK_FIN, 1);
    harness_drop(h, H_CLIENT, HK_FIN, 2);
    harness_drop(h, H_CLIENT, HK_FIN, 3);
    sim_time start = now(h);
    tcp_close(client);
    advance_by(h, 3 * S);
    sim_time fin[4];
    size_t n = 0;
    for (size_t i = 0; i < harness_sent_since(h, H_CLIENT, start) && n < 4; i++) {
        const struct h_segment *s = harness_sent_nth(h, H_CLIENT, start, i);
        if (s->seg.flags & FIN)
            fin[n++] = s->t;
    }
    CU_ASSERT_EQUAL_FATAL(n, 4);
    sim_time rto = fin[1] - fin[0];
    CU_ASSERT_TRUE(rto >= 200 * MS && rto <= 260 * MS);
    CU_ASSERT_TRUE(llabs((fin[2] - fin[1]) - rto) <= 32 * MS);
    CU_ASSERT_TRUE(llabs((fin[3] - fin[2]) - 2 * rto) <= 32 * MS);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_FIN_WAIT_2);
    harness_destroy(h);
}

/* Quick-ack first; once the server answered within 40 ms it is
 * interactive, and the ACK of the client's next data waits 40 ms. */
static void test_delayed_ack_after_quickack_linux(void)
{
    struct harness *h = make_profile("linux");
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    sim_time start = now(h);
    tcp_send(client, NULL, 100);
    advance_by(h, 15 * MS);
    CU_ASSERT_EQUAL(harness_sent_since(h, H_SERVER, start), 1); /* the quick ACK, at 10 ms */
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_SERVER, start, 0)->t, start + 10 * MS);
    tcp_send(server, NULL, 100); /* an answer 5 ms after the request: interactive */
    advance_by(h, 100 * MS);
    sim_time second = now(h);
    tcp_send(client, NULL, 100);
    advance_by(h, 100 * MS);
    CU_ASSERT_EQUAL(harness_sent_since(h, H_SERVER, second), 1);
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_SERVER, second, 0)->t, second + 10 * MS + 40 * MS);
    harness_destroy(h);
}

/* The server's FIN is never acknowledged. LAST_ACK probes it once (the tail
 * loss probe, which does not count as a retry), then retransmits it:
 * shutdown(SHUT_WR) keeps the socket, tcp_retries2 (15) retransmissions;
 * close() orphans it, Linux's tcp_orphan_retries, whose 0 means 8. */
static void FIN_retransmissions_in_LAST_ACK(bool orphan, size_t fins)
{
    struct harness *h = make_profile("linux");
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    tcp_shutdown(client, false, true);
    harness_run_until(h, 500 * MS);
    h->cut = true;
    sim_time start = now(h);
    if (orphan)
        tcp_close(server);
    else
        tcp_shutdown(server, false, true);
    harness_run_until(h, 5000 * S);
    CU_ASSERT_EQUAL(harness_sent_since(h, H_SERVER, start), fins);
    for (size_t k = 1; k < fins && k < harness_sent_since(h, H_SERVER, start); k++) {
        const struct h_segment *f = harness_sent_nth(h, H_SERVER, start, k);
        CU_ASSERT_EQUAL(f->seg.flags, FIN | ACK);
        CU_ASSERT_EQUAL(f->seg.seq, harness_sent_nth(h, H_SERVER, start, 0)->seg.seq);
    }
    CU_ASSERT(harness_log_has(h, "server LAST_ACK -> CLOSED (retransmissions exhausted)"));
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    CU_ASSERT_EQUAL(h->app[H_SERVER].last_error, TCP_ERR_TIMEOUT);
    harness_destroy(h);
}

static void test_FIN_retransmissions_exhausted_in_LAST_ACK(void)
{
    FIN_retransmissions_in_LAST_ACK(false, 1 + 1 + 15);
}

static void test_FIN_retransmissions_of_an_orphan_are_tcp_orphan_retries(void)
{
    FIN_retransmissions_in_LAST_ACK(true, 1 + 1 + 8);
}

/* RFC 6298 (5.7): the SYN was lost, so the first data RTO is 3 s. */
static void test_RTO_is_3s_for_data_after_lost_SYN(void)
{
    struct harness *h = make_profile("rfc9293");
    harness_drop(h, H_CLIENT, HK_SYN, 1);
    harness_drop(h, H_CLIENT, HK_DATA, 1);
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    harness_run_until(h, 2 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(c), TCP_ESTABLISHED);
    struct tcp_conn_info i;
    tcp_conn_info(c, &i);
    CU_ASSERT_EQUAL(i.rto, 3 * S);
    CU_ASSERT_EQUAL(i.srtt, 0); /* Karn: no sample from the retransmitted SYN */
    tcp_send(c, NULL, 100);
    harness_run_until(h, 10 * S);
    const struct h_segment *first = harness_sent_nth(h, H_CLIENT, 2 * S, 0);
    const struct h_segment *again = harness_sent_nth(h, H_CLIENT, 2 * S, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(again);
    CU_ASSERT_EQUAL(first->seg.len, 100);
    CU_ASSERT_EQUAL(again->seg.len, 100);
    CU_ASSERT(again->seg.retransmission);
    CU_ASSERT_EQUAL(again->t - first->t, 3 * S);
    CU_ASSERT_EQUAL(h->app[H_SERVER].received_len, 100);
    harness_destroy(h);
}

/* Same for the server whose SYN-ACK was lost. */
static void test_RTO_is_3s_for_server_data_after_lost_SYN_ACK(void)
{
    struct harness *h = make_profile("rfc9293");
    harness_drop(h, H_SERVER, HK_SYN_ACK, 1);
    struct tcp_conn *server = NULL;
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    harness_run_until(h, 2 * S);
    server = h->app[H_SERVER].last_conn;
    CU_ASSERT_PTR_NOT_NULL_FATAL(server);
    struct tcp_conn_info i;
    tcp_conn_info(server, &i);
    CU_ASSERT_EQUAL(i.rto, 3 * S);
    harness_destroy(h);
}

/* The final ACK is lost: the server retransmits its FIN (same seq), the
 * client re-ACKs and restarts 2MSL, ending time_wait after the LAST FIN. */
static void test_TIME_WAIT_restarted_by_retransmitted_FIN(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].close_on_peer_closed = true;
    harness_drop(h, H_CLIENT, HK_ACK, 2); /* #1 is the handshake's third segment */
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    tcp_close(client);
    harness_run_until(h, 1000 * S);
    /* The server's two FINs carry the same sequence number. */
    const struct h_segment *fins[2] = {NULL, NULL};
    for (size_t i = 0, n = 0; i < h->sent_count && n < 2; i++)
        if (h->sent[i].from == H_SERVER && (h->sent[i].seg.flags & FIN))
            fins[n++] = &h->sent[i];
    CU_ASSERT_PTR_NOT_NULL_FATAL(fins[1]);
    CU_ASSERT_EQUAL(fins[0]->seg.seq, fins[1]->seg.seq);
    CU_ASSERT(fins[1]->seg.retransmission);
    sim_time last_fin_arrival = fins[1]->t + 10 * MS;
    CU_ASSERT_EQUAL(harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1),
                    last_fin_arrival + 240 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    CU_ASSERT(harness_log_has(h, "server LAST_ACK -> CLOSED (rcv ACK of FIN)"));
    harness_destroy(h);
}

/* LAST_ACK must not close on an ACK that does not cover our FIN. */
static void test_LAST_ACK_closes_only_on_ACK_of_our_FIN(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    tcp_close(client);
    harness_run_until(h, 500 * MS);
    h->cut = true;
    tcp_close(server); /* FIN lost */
    struct tcp_conn_info i;
    tcp_conn_info(server, &i);
    /* An ACK of everything before the FIN, then the real ACK of the FIN. */
    inject_to(h, H_SERVER, ACK, i.rcv_nxt, i.snd_nxt - 1, 0, now(h) + 1 * MS);
    harness_run_until(h, now(h) + 10 * MS);
    CU_ASSERT_EQUAL_FATAL(harness_last_transition(h, H_SERVER, id)->to, TCP_LAST_ACK);
    inject_to(h, H_SERVER, ACK, i.rcv_nxt, i.snd_nxt, 0, now(h) + 1 * MS);
    harness_run_until(h, now(h) + 10 * MS);
    CU_ASSERT_EQUAL(harness_last_transition(h, H_SERVER, id)->to, TCP_CLOSED);
    harness_destroy(h);
}

/* Data and FIN retransmissions back off exponentially (capped at rto_max)
 * and give up after data_retries: "retransmissions exhausted". */
static void test_data_retransmissions_back_off_and_give_up(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    h->cut = true;
    sim_time start = now(h);
    tcp_send(client, NULL, 500);
    harness_run_until(h, 5000 * S);
    size_t n = harness_sent_since(h, H_CLIENT, start);
    CU_ASSERT_EQUAL(n, 16); /* the original and 15 retransmissions */
    sim_time expected = start, interval = 1 * S;
    for (size_t k = 0; k < n; k++) {
        CU_ASSERT_EQUAL(harness_sent_nth(h, H_CLIENT, start, k)->t, expected);
        expected += interval;
        interval = interval * 2 > 60 * S ? 60 * S : interval * 2;
    }
    CU_ASSERT_EQUAL(harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1), expected);
    CU_ASSERT(harness_log_has(h, "client ESTABLISHED -> CLOSED (retransmissions exhausted)"));
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_TIMEOUT);
    harness_destroy(h);
}

static bool received_is_pattern(const struct h_app *a, size_t len)
{
    if (a->received_len != len)
        return false;
    uint8_t *expected = malloc(len ? len : 1);
    harness_pattern(expected, 0, len);
    bool same = len == 0 || memcmp(expected, a->received, len) == 0; /* no buffer when 0 */
    free(expected);
    return same;
}

static void send_pattern(struct tcp_conn *c, size_t offset, size_t len)
{
    uint8_t *buf = malloc(len);
    harness_pattern(buf, offset, len);
    CU_ASSERT_EQUAL(tcp_send(c, buf, len), TCP_OK);
    free(buf);
}

static size_t count_log(const struct harness *h, const char *text)
{
    size_t n = 0;
    for (const char *p = harness_log(h); (p = strstr(p, text)) != NULL; p++)
        n++;
    return n;
}

/* 200 KB with every 7th data segment dropped (retransmissions included):
 * out-of-order holding, fast retransmit, RTO; bytes arrive intact. */
static void test_data_integrity_200KB_every_7th_data_segment_dropped(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].close_on_peer_closed = true;
    harness_drop_every(h, H_CLIENT, HK_DATA, 7);
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    send_pattern(client, 0, 200000);
    tcp_close(client);
    harness_run_until(h, 2000 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 200000));
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    CU_ASSERT(count_log(h, "[rexmit]") > 10);
    CU_ASSERT(tcp_host_stats(h->host[H_CLIENT])->retransmissions > 10);
    CU_ASSERT_EQUAL(h->app[H_SERVER].peer_closed, 1);
    harness_destroy(h);
}

/* One lost segment in a burst: the rest are held out of order, three
 * duplicate ACKs trigger a fast retransmit long before the RTO. */
static void test_fast_retransmit_on_three_duplicate_ACKs(void)
{
    struct harness *h = make_profile("rfc9293");
    harness_drop(h, H_CLIENT, HK_DATA, 2);
    struct tcp_conn *client = establish(h, NULL);
    sim_time start = now(h);
    send_pattern(client, 0, 10 * 1460);
    harness_run_until(h, start + 200 * MS);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 10 * 1460));
    /* The retransmission left one RTT after the burst, not one RTO. */
    const struct h_segment *r = NULL;
    for (size_t i = 0; i < h->sent_count; i++)
        if (h->sent[i].from == H_CLIENT && h->sent[i].seg.retransmission)
            r = &h->sent[i];
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->t, start + 20 * MS);
    CU_ASSERT_EQUAL(r->seg.seq, 1001 + 1460);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_CLIENT])->retransmissions, 1);
    harness_destroy(h);
}

/* The receiver does not read: the window closes, the sender probes with
 * one byte at backed-off intervals without timing out; reading reopens it. */
static void test_zero_window_persist_probes_then_reopen(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].auto_read = false;
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    send_pattern(client, 0, 100000);
    harness_run_until(h, 200 * S);
    struct tcp_conn_info ci;
    tcp_conn_info(client, &ci);
    CU_ASSERT_EQUAL(ci.snd_wnd, 0);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_ESTABLISHED);
    struct tcp_conn_info si;
    tcp_conn_info(server, &si);
    CU_ASSERT_EQUAL(si.rcv_wnd, 0);
    CU_ASSERT(count_log(h, "len=1 win=") >= 4); /* probes */
    /* Probes back off: 1 s after the window closed, then 2, 4, 8 ... s,
     * capped at rto_max (60 s). */
    sim_time probe[8];
    size_t np = 0;
    for (size_t i = 0; i < h->sent_count && np < 8; i++)
        if (h->sent[i].from == H_CLIENT && h->sent[i].seg.len == 1)
            probe[np++] = h->sent[i].t;
    CU_ASSERT_FATAL(np == 8);
    sim_time gap = 2 * S;
    for (size_t i = 1; i < np; i++, gap = gap * 2 > 60 * S ? 60 * S : gap * 2)
        CU_ASSERT_EQUAL(probe[i] - probe[i - 1], gap);
    /* The application reads: window update, the rest flows. */
    h->app[H_SERVER].auto_read = true;
    uint8_t *buf = malloc(100000);
    size_t got = 0, n;
    while ((n = tcp_receive(server, buf + got, 100000 - got)) > 0)
        got += n;
    harness_run_until(h, 400 * S);
    while ((n = tcp_receive(server, buf + got, 100000 - got)) > 0)
        got += n;
    got += h->app[H_SERVER].received_len;
    CU_ASSERT_EQUAL(got, 100000);
    uint8_t *expected = malloc(100000);
    harness_pattern(expected, 0, 100000);
    size_t first = got - h->app[H_SERVER].received_len;
    CU_ASSERT(memcmp(buf, expected, first) == 0);
    CU_ASSERT(memcmp(h->app[H_SERVER].received, expected + first,
                     h->app[H_SERVER].received_len) == 0);
    free(buf);
    free(expected);
    harness_destroy(h);
}

/* Half-close: the client sends and closes; the server keeps sending in
 * CLOSE_WAIT, the client receives it in FIN_WAIT_2, then the server closes. */
static void test_half_close_server_sends_after_client_FIN(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    send_pattern(client, 0, 1000);
    tcp_close(client);
    harness_run_until(h, 1 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_FIN_WAIT_2);
    CU_ASSERT_EQUAL(tcp_conn_state(server), TCP_CLOSE_WAIT);
    send_pattern(server, 0, 50000);
    harness_run_until(h, 2 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_CLIENT], 50000));
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 1000));
    tcp_close(server);
    harness_run_until(h, 1000 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    harness_destroy(h);
}

/* The other way round, and CLOSE with data still queued: the FIN goes
 * after the data. */
static void test_half_close_client_sends_after_server_FIN(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    send_pattern(server, 0, 30000);
    tcp_close(server); /* FIN queued behind 30000 bytes */
    harness_run_until(h, 1 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_CLIENT], 30000));
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_CLOSE_WAIT);
    const struct h_segment *fin = NULL;
    for (size_t i = 0; i < h->sent_count; i++)
        if (h->sent[i].from == H_SERVER && (h->sent[i].seg.flags & FIN))
            fin = &h->sent[i];
    CU_ASSERT_PTR_NOT_NULL_FATAL(fin);
    CU_ASSERT_EQUAL(fin->seg.seq + fin->seg.len, 5001 + 30000);
    send_pattern(client, 0, 20000);
    harness_run_until(h, 2 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 20000));
    tcp_close(client);
    harness_run_until(h, 1000 * S);
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    harness_destroy(h);
}

/* The application reads what is waiting now, as auto_read would have. */
static void app_read_now(struct harness *h, int host, struct tcp_conn *c)
{
    struct h_app *a = &h->app[host];
    uint8_t buf[4096];
    size_t n;
    while ((n = tcp_receive(c, buf, sizeof buf)) > 0) {
        uint8_t *more = realloc(a->received, a->received_len + n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(more);
        a->received = more;
        memcpy(a->received + a->received_len, buf, n);
        a->received_len += n;
        a->received_cap = a->received_len;
    }
}

/* Segments carrying FIN that `host` sent before `until`. */
static size_t fins_before(const struct harness *h, int host, sim_time until)
{
    size_t n = 0;
    for (size_t i = 0; i < h->sent_count; i++)
        if (h->sent[i].from == host && h->sent[i].t < until && (h->sent[i].seg.flags & FIN))
            n++;
    return n;
}

/* A bare ACK to `to` from its peer, advertising window `wnd`. */
static void inject_ack_window(struct harness *h, int to, uint32_t seq, uint32_t ack, uint16_t wnd,
                              sim_time at)
{
    struct tcp_conn_info i;
    tcp_conn_info(h->app[to].last_conn, &i);
    struct segment s = craft(i.remote_addr, i.remote_port, i.local_addr, i.local_port, ACK, seq,
                             ack, 0);
    s.wnd = wnd;
    harness_inject(h, to, at, &s);
}

/* FIN in FIN_WAIT_1 goes to CLOSING even when our FIN still waits behind
 * data (RFC 9293 3.10.7.4; 3.10.4 queues the FIN "until all preceding SENDs
 * have been segmentized"). The client closes with 4465 bytes held back by
 * the server's full window; the server closes, its FIN takes the client to
 * CLOSING; the server reads, and the rest and the FIN go out from CLOSING. */
static void test_CLOSING_sends_the_data_and_FIN_still_queued(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].auto_read = false;
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    send_pattern(client, 0, 70000);
    tcp_close(client);
    harness_run_until(h, 1 * S);
    tcp_close(server);
    harness_run_until(h, 2 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_CLOSING);
    CU_ASSERT_EQUAL(tcp_conn_state(server), TCP_FIN_WAIT_2);
    CU_ASSERT_EQUAL(fins_before(h, H_CLIENT, 2 * S), 0);
    h->app[H_SERVER].auto_read = true;
    app_read_now(h, H_SERVER, server);
    harness_run_until(h, 1000 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 70000));
    CU_ASSERT_EQUAL(h->app[H_SERVER].peer_closed, 1);
    CU_ASSERT_EQUAL(h->app[H_CLIENT].peer_closed, 1);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id,
            "LISTEN SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_OK);
    harness_destroy(h);
}

/* The last byte goes as a zero-window probe, then CLOSE: the FIN waits for
 * window like data (it is never sent while the persist timer probes), so
 * reopening the window sends the byte and the FIN, and nothing is lost. */
static void test_FIN_after_a_zero_window_probe_is_not_lost(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].auto_read = false;
    h->app[H_SERVER].close_on_peer_closed = true;
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    send_pattern(client, 0, 65536); /* one byte more than the window */
    harness_run_until(h, 1 * S);
    tcp_close(client);
    harness_run_until(h, 5 * S);
    CU_ASSERT_EQUAL(count_log(h, "client:40000 > server:80 ACK seq=66536 ack=5001 len=1"), 2);
    CU_ASSERT_EQUAL(fins_before(h, H_CLIENT, 5 * S), 0);
    h->app[H_SERVER].auto_read = true;
    app_read_now(h, H_SERVER, server);
    harness_run_until(h, 1000 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 65536));
    CU_ASSERT_EQUAL(h->app[H_SERVER].peer_closed, 1);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    harness_destroy(h);
}

/* 65535 bytes fill the window exactly, then CLOSE; the receiver reads only
 * at 1000 s. The FIN waits through persist (probes every rto_max, each
 * answered with win=0) and the live peer is never timed out (RFC 9293
 * 3.8.6.1 MUST-37); both ends then finish normally. */
static void test_FIN_waits_out_a_1000s_zero_window(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].auto_read = false;
    h->app[H_SERVER].close_on_peer_closed = true;
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    send_pattern(client, 0, 65535);
    tcp_close(client);
    harness_run_until(h, 1000 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_FIN_WAIT_1);
    CU_ASSERT_EQUAL(fins_before(h, H_CLIENT, 1000 * S), 0);
    size_t probes = harness_sent_since(h, H_CLIENT, 1 * S);
    CU_ASSERT(probes > 15); /* more than data_retries: answered probes do not count */
    for (size_t i = 0; i < probes; i++)
        CU_ASSERT_EQUAL(harness_sent_nth(h, H_CLIENT, 1 * S, i)->seg.len, 0);
    h->app[H_SERVER].auto_read = true;
    app_read_now(h, H_SERVER, server);
    harness_run_until(h, 2000 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 65535));
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_OK);
    CU_ASSERT_EQUAL(h->app[H_SERVER].last_error, TCP_OK);
    CU_ASSERT(!harness_log_has(h, "retransmissions exhausted"));
    harness_destroy(h);
}

/* A peer that shrinks its window to zero under data in flight (tcpsim's
 * receivers never do) and keeps ACKing with win=0: the retransmissions it
 * refuses act as probes and do not count towards giving up (MUST-37). */
static void test_zero_window_ACKs_keep_a_retransmitting_sender_alive(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *client = establish(h, NULL);
    h->cut = true;
    send_pattern(client, 0, 1000);
    struct tcp_conn_info i;
    tcp_conn_info(client, &i);
    for (int k = 1; k <= 60; k++)
        inject_ack_window(h, H_CLIENT, i.rcv_nxt, i.snd_una, 0, now(h) + k * 30 * S);
    harness_run_until(h, 1800 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_ESTABLISHED);
    tcp_conn_info(client, &i);
    CU_ASSERT(i.retransmissions > 15);
    harness_destroy(h);
}

/* linux: the client half-closes (shutdown(SHUT_WR)) or closes (close(),
 * an orphan), then the server sends `chunks` of 1000 bytes, one every
 * 10 s, into the client's FIN_WAIT_2; the client's id is returned. (The
 * server's TCB is taken from last_conn each time: NULL once deleted.) */
static uint64_t half_close_trickle(struct harness *h, int chunks, bool orphan)
{
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    CU_ASSERT_EQUAL(orphan ? tcp_close(client) : tcp_shutdown(client, false, true), TCP_OK);
    harness_run_until(h, 1 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_FIN_WAIT_2);
    for (int k = 0; k < chunks && h->app[H_SERVER].last_conn; k++) {
        send_pattern(h->app[H_SERVER].last_conn, (size_t)k * 1000, 1000);
        advance_by(h, 10 * S);
    }
    return id;
}

/* The server sends `chunks` into the client's FIN_WAIT_2, then closes: all
 * of it arrives and both ends close normally. */
static void trickle_then_close_arrives(const char *profile, int chunks, bool orphan)
{
    struct harness *h = make_profile(profile);
    uint64_t id = half_close_trickle(h, chunks, orphan);
    CU_ASSERT_EQUAL(tcp_close(h->app[H_SERVER].last_conn), TCP_OK);
    harness_run_until(h, 400 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_CLIENT], (size_t)chunks * 1000));
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    harness_destroy(h);
}

/* shutdown(SHUT_WR) keeps the socket: FIN_WAIT_2 lasts as long as the peer
 * wants (tcp_fin_timeout is for orphans only). 150 s of data all arrive. */
static void test_FIN_WAIT_2_after_shutdown_receives_as_long_as_the_peer_sends_linux(void)
{
    trickle_then_close_arrives("linux", 15, false);
}

/* ... and a silent peer leaves it in FIN_WAIT_2 for good. */
static void test_FIN_WAIT_2_after_shutdown_has_no_timeout_linux(void)
{
    struct harness *h = make_profile("linux");
    uint64_t id = half_close_trickle(h, 0, false);
    harness_run_until(h, 400 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2");
    harness_destroy(h);
}

/* close() orphans the socket: an orphan's FIN_WAIT_2 ends after
 * tcp_fin_timeout (60 s) ... */
static void test_orphan_FIN_WAIT_2_times_out_after_60s_linux(void)
{
    struct harness *h = make_profile("linux");
    uint64_t id = half_close_trickle(h, 0, true);
    sim_time entered = harness_transition_time(h, H_CLIENT, id, TCP_FIN_WAIT_2, 1);
    harness_run_until(h, 400 * S);
    CU_ASSERT_EQUAL(harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1), entered + 60 * S);
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_TIMEOUT);
    CU_ASSERT(log_has(h, "FIN_WAIT_2 -> CLOSED (FIN_WAIT_2 timeout)"));
    harness_destroy(h);
}

/* ... and data arriving at it is answered with RST (nobody can read it). */
static void test_data_to_an_orphan_draws_RST_linux(void)
{
    struct harness *h = make_profile("linux");
    uint64_t id = half_close_trickle(h, 1, true);
    harness_run_until(h, 400 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSED");
    path_is(h, H_SERVER, id, "LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT CLOSED");
    CU_ASSERT(log_has(h, "FIN_WAIT_2 -> CLOSED (rcv data after close"));
    CU_ASSERT_EQUAL(h->app[H_SERVER].last_error, TCP_ERR_RESET);
    CU_ASSERT(received_is_pattern(&h->app[H_CLIENT], 0));
    harness_destroy(h);
}

/* rfc9293: CLOSE is the half-close, with or without an "orphan". */
static void test_data_after_close_is_received_rfc9293(void)
{
    trickle_then_close_arrives("rfc9293", 3, true);
}

/* close() with unread data: RST|ACK in linux (RFC 2525 2.17), FIN in rfc9293. */
static void close_with_unread_data(const char *profile, const char *server_path, uint8_t last_flags)
{
    struct harness *h = make_profile(profile);
    h->app[H_SERVER].auto_read = false;
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    send_pattern(client, 0, 1000);
    advance_by(h, 100 * MS);
    sim_time start = now(h);
    CU_ASSERT_EQUAL(tcp_close(server), TCP_OK);
    advance_by(h, 1 * MS);
    CU_ASSERT_EQUAL_FATAL(harness_sent_since(h, H_SERVER, start), 1);
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_SERVER, start, 0)->seg.flags, last_flags);
    path_is(h, H_SERVER, id, server_path);
    harness_destroy(h);
}

static void test_close_with_unread_data_sends_RST_linux(void)
{
    /* Linux's tcp_close sends it through tcp_send_active_reset: RST|ACK. */
    close_with_unread_data("linux", "LISTEN SYN_RECEIVED ESTABLISHED CLOSED", RST | ACK);
}

static void test_close_with_unread_data_sends_FIN_rfc9293(void)
{
    close_with_unread_data("rfc9293", "LISTEN SYN_RECEIVED ESTABLISHED FIN_WAIT_1", FIN | ACK);
}

/* SO_LINGER {1, 0}: close() is ABORT, whatever the profile. */
static void test_close_with_linger_zero_is_an_abort(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    sim_time start = now(h);
    tcp_set_linger_abort(client, true);
    CU_ASSERT_EQUAL(tcp_close(client), TCP_OK);
    advance_by(h, 100 * MS);
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_CLIENT, start, 0)->seg.flags, RST);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED CLOSED");
    CU_ASSERT_EQUAL(h->app[H_SERVER].last_error, TCP_ERR_RESET);
    harness_destroy(h);
}

/* TCP_USER_TIMEOUT: the path goes dark with data in flight; the
 * connection ends exactly 5 s after the data was sent (the timer is
 * clamped to the deadline, on an exact clock), not after data_retries. */
static void test_user_timeout_aborts_unacknowledged_data(void)
{
    struct harness *h = make_profile_hz("linux", 0);
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    uint8_t data[100] = {0};
    tcp_set_user_timeout(client, 5 * S);
    h->cut = true;
    sim_time sent = now(h);
    CU_ASSERT_EQUAL(tcp_send(client, data, sizeof data), TCP_OK);
    advance_by(h, 4900 * MS);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_ESTABLISHED);
    advance_by(h, 1 * S);
    CU_ASSERT_EQUAL(harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1), sent + 5 * S);
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_TIMEOUT);
    harness_destroy(h);
}

/* Linux tcp_probe_timer: with a user timeout, a window that stays shut
 * ends the connection although every probe is answered. */
static void test_user_timeout_ends_a_zero_window(void)
{
    struct harness *h = make_profile_hz("linux", 0);
    struct tcp_conn *client = establish(h, NULL);
    uint64_t id = tcp_conn_id(client);
    static uint8_t data[80000];
    h->app[H_SERVER].auto_read = false;
    tcp_set_user_timeout(client, 30 * S);
    CU_ASSERT_EQUAL(tcp_send(client, data, sizeof data), TCP_OK);
    advance_by(h, 20 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_ESTABLISHED);
    advance_by(h, 20 * S); /* the TCB is freed once closed: only the trace speaks of it */
    sim_time closed = harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1);
    CU_ASSERT_TRUE(closed > 30 * S && closed < 32 * S);
    CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_TIMEOUT);
    harness_destroy(h);
}

/* A pattern of `size` bytes, and a client of the rfc9293 profile with
 * SO_SNDBUF `sndbuf` (2 x sndbuf bytes of payload) on an established
 * connection. */
static struct tcp_conn *sndbuf_client(struct harness **h, uint8_t *pattern, size_t size, uint32_t sndbuf)
{
    harness_pattern(pattern, 0, size);
    *h = make_profile("rfc9293");
    struct tcp_conn *client = establish(*h, NULL);
    tcp_set_snd_buf(client, sndbuf);
    return client;
}

/* SO_SNDBUF 4096 holds 8192 bytes of payload (Linux's doubling): a 100000
 * byte write queues 8192 at once, the rest is a counter; in flight never
 * passes 8192, and every byte of the pattern arrives. */
static void test_blocked_write_is_written_as_ACKs_free_room(void)
{
    static uint8_t data[100000];
    struct harness *h;
    struct tcp_conn *client = sndbuf_client(&h, data, sizeof data, 4096);
    CU_ASSERT_EQUAL(tcp_write(client, data, sizeof data, sizeof data), TCP_OK);
    CU_ASSERT_EQUAL(tcp_write_pending(client), sizeof data - 8192);
    CU_ASSERT_EQUAL(tcp_send(client, data, 10), TCP_ERR_NO_MEMORY); /* behind a blocked write */
    struct tcp_conn_info info;
    uint32_t most = 0;
    for (int step = 0; step < 2000 && tcp_write_pending(client) > 0; step++) {
        advance_by(h, MS);
        tcp_conn_info(client, &info);
        if (info.snd_nxt - info.snd_una > most)
            most = info.snd_nxt - info.snd_una;
    }
    CU_ASSERT_EQUAL(tcp_write_pending(client), 0);
    CU_ASSERT(most <= 8192 && most >= 5 * 1460); /* a runt tail waits for the write's next bytes */
    advance_by(h, S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], sizeof data));
    tcp_conn_info(client, &info);
    CU_ASSERT_EQUAL(info.bytes_sent, sizeof data);
    harness_destroy(h);
}

/* The pattern of a write repeats every `period` bytes, a write behind a
 * blocked one continues it, and a CLOSE meanwhile sends its FIN after
 * the last byte of both. */
static void test_blocked_writes_continue_the_pattern_and_FIN_follows(void)
{
    static uint8_t period[1000];
    struct harness *h;
    struct tcp_conn *client = sndbuf_client(&h, period, sizeof period, 2048);
    CU_ASSERT_EQUAL(tcp_write(client, period, sizeof period, 7000), TCP_OK);
    CU_ASSERT_EQUAL(tcp_write(client, period, sizeof period, 3500), TCP_OK);
    CU_ASSERT_EQUAL(tcp_write_pending(client), 10500 - 4096);
    CU_ASSERT_EQUAL(tcp_close(client), TCP_OK);
    advance_by(h, 5 * S);
    const struct h_app *server = &h->app[H_SERVER];
    CU_ASSERT_EQUAL(server->received_len, 10500);
    bool same = server->received_len == 10500;
    for (size_t i = 0; same && i < 10500; i++)
        same = server->received[i] == period[i % sizeof period];
    CU_ASSERT(same);
    CU_ASSERT_EQUAL(server->peer_closed, 1);
    harness_destroy(h);
}

/* linux: 16384 bytes (tcp_wmem[1]) before the handshake, then autotuned
 * to 2 x max(10, cwnd) segments: the first flight is the initial window
 * of 10 segments whatever the buffer said in SYN_SENT. */
static void test_linux_send_buffer_starts_at_tcp_wmem_and_autotunes(void)
{
    static uint8_t data[200000];
    harness_pattern(data, 0, sizeof data);
    struct harness *h = make_profile("linux");
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    struct tcp_conn *client = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    CU_ASSERT_EQUAL(tcp_write(client, data, sizeof data, sizeof data), TCP_OK);
    CU_ASSERT_EQUAL(tcp_write_pending(client), sizeof data - 16384);
    harness_run_until(h, 21 * MS); /* the SYN-ACK is in: ESTABLISHED, autotuned */
    CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_ESTABLISHED);
    CU_ASSERT_EQUAL(tcp_write_pending(client), sizeof data - 2 * 10 * 1448);
    struct tcp_conn_info info;
    tcp_conn_info(client, &info);
    CU_ASSERT_EQUAL(info.snd_nxt - info.snd_una, 10 * 1448);
    harness_run_until(h, 10 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], sizeof data));
    harness_destroy(h);
}
/* SO_RCVBUF on the listener: the accepted connection inherits it, and its
 * SYN-ACK offers that window. */
static void test_rcvbuf_caps_the_window_and_is_inherited(void)
{
    struct harness *h = make_profile("linux");
    struct tcp_conn *listener = tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    tcp_set_rcv_buf(listener, 2896); /* 2 x 1448: the linux SYN-ACK offers multiples of the MSS less timestamps */
    tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    harness_run_until(h, 100 * MS);
    const struct h_segment *synack = harness_sent_nth(h, H_SERVER, 0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(synack);
    CU_ASSERT_EQUAL(synack->seg.flags, SYN | ACK);
    CU_ASSERT_EQUAL(synack->seg.wnd, 2896);
    struct tcp_conn_info info;
    tcp_conn_info(h->app[H_SERVER].last_conn, &info);
    CU_ASSERT_EQUAL(info.rcv_wnd, 2896);
    harness_destroy(h);
}

/* shutdown: before the handshake ENOTCONN; a second SHUT_WR is no error;
 * close() after it orphans the FIN_WAIT_2, whose timer then runs (linux). */
static void test_shutdown_then_close_linux(void)
{
    struct harness *h = make_profile("linux");
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    struct tcp_conn *early = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    CU_ASSERT_EQUAL(tcp_shutdown(early, false, true), TCP_ERR_NO_CONNECTION);
    harness_run_until(h, 100 * MS);
    uint64_t id = tcp_conn_id(early);
    CU_ASSERT_EQUAL(tcp_shutdown(early, false, true), TCP_OK);
    CU_ASSERT_EQUAL(tcp_shutdown(early, false, true), TCP_OK);
    advance_by(h, 10 * S);
    CU_ASSERT_EQUAL(tcp_conn_state(early), TCP_FIN_WAIT_2);
    sim_time closed_at = now(h);
    CU_ASSERT_EQUAL(tcp_close(early), TCP_OK);
    harness_run_until(h, 400 * S);
    CU_ASSERT_EQUAL(harness_transition_time(h, H_CLIENT, id, TCP_CLOSED, 1), closed_at + 60 * S);
    harness_destroy(h);
}

/* The receiving application reads before the ACK leaves, so each in-order
 * segment draws exactly one ACK, advertising the reopened window (no
 * separate window update). */
static void test_one_ACK_per_data_segment_to_a_reading_application(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *client = establish(h, NULL);
    sim_time start = now(h);
    send_pattern(client, 0, 10 * 1460);
    harness_run_until(h, start + 1 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 10 * 1460));
    CU_ASSERT_EQUAL_FATAL(harness_sent_since(h, H_SERVER, start), 10);
    for (size_t i = 0; i < 10; i++) {
        const struct h_segment *a = harness_sent_nth(h, H_SERVER, start, i);
        CU_ASSERT_EQUAL(a->seg.flags, ACK);
        CU_ASSERT_EQUAL(a->seg.len, 0);
        CU_ASSERT_EQUAL(a->seg.ack, 1001 + (i + 1) * 1460);
        CU_ASSERT_EQUAL(a->seg.wnd, 65535);
    }
    harness_destroy(h);
}

/* CLOSE from inside readable: the FIN carries the ACK of the data (one
 * segment); ABORT from inside readable: the RST and nothing after it. */
static void test_application_may_close_or_abort_inside_readable(void)
{
    for (int do_abort = 0; do_abort < 2; do_abort++) {
        struct harness *h = make_profile("rfc9293");
        h->app[H_SERVER].close_on_readable = !do_abort;
        h->app[H_SERVER].abort_on_readable = do_abort;
        struct tcp_conn *client = establish(h, NULL);
        sim_time start = now(h);
        send_pattern(client, 0, 1000);
        harness_run_until(h, start + 1 * S);
        CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 1000));
        CU_ASSERT_EQUAL_FATAL(harness_sent_since(h, H_SERVER, start), 1);
        const struct h_segment *r = harness_sent_nth(h, H_SERVER, start, 0);
        CU_ASSERT_EQUAL(r->seg.flags, do_abort ? RST : (FIN | ACK));
        if (!do_abort)
            CU_ASSERT_EQUAL(r->seg.ack, 1001 + 1000);
        CU_ASSERT_EQUAL(h->app[H_SERVER].closed, do_abort ? 1 : 0);
        if (do_abort) { /* the client's TCB is gone: only its application's record remains */
            CU_ASSERT_EQUAL(h->app[H_CLIENT].closed, 1);
            CU_ASSERT_EQUAL(h->app[H_CLIENT].last_error, TCP_ERR_RESET);
        } else {
            CU_ASSERT_EQUAL(tcp_conn_state(client), TCP_CLOSE_WAIT);
        }
        harness_destroy(h);
    }
}

/* ISNs just below 2^32: sequence numbers wrap during the transfer. */
static void test_sequence_wraparound_near_2_32(void)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "rfc9293");
    cfg.host[H_CLIENT].isn = 4294967295u;
    cfg.host[H_SERVER].isn = 4294966000u;
    struct harness *h = harness_create(&cfg);
    h->app[H_SERVER].close_on_peer_closed = true;
    harness_drop(h, H_CLIENT, HK_DATA, 3);
    harness_drop(h, H_SERVER, HK_DATA, 2);
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    CU_ASSERT(harness_log_has(h, "client:40000 > server:80 SYN seq=4294967295 ack=0"));
    CU_ASSERT(harness_log_has(h, "server:80 > client:40000 SYN|ACK seq=4294966000 ack=0 "));
    CU_ASSERT(harness_log_has(h, "client:40000 > server:80 ACK seq=0 ack=4294966001 "));
    send_pattern(client, 0, 20000);
    send_pattern(server, 0, 20000);
    harness_run_until(h, 5 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 20000));
    CU_ASSERT(received_is_pattern(&h->app[H_CLIENT], 20000));
    struct tcp_conn_info i;
    tcp_conn_info(client, &i);
    CU_ASSERT_EQUAL(i.snd_nxt, 20000u);
    CU_ASSERT_EQUAL(i.rcv_nxt, 4294966001u + 20000u);
    tcp_close(client);
    harness_run_until(h, 1000 * S);
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    harness_destroy(h);
}

/* RFC 6298 worked example (reference 2.1): R = 100 ms, then R' = 120 ms. */
static void rtt_example(const char *profile, sim_time rto1, sim_time rto2)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, profile);
    cfg.delay = 50 * MS;
    struct harness *h = harness_create(&cfg);
    struct tcp_conn *client = establish(h, NULL);
    harness_run_until(h, 1 * S);
    struct tcp_conn_info i;
    tcp_conn_info(client, &i);
    CU_ASSERT_EQUAL(i.srtt, 100 * MS);
    CU_ASSERT_EQUAL(i.rttvar, 50 * MS);
    CU_ASSERT_EQUAL(i.rto, rto1);
    h->delay[H_CLIENT] = h->delay[H_SERVER] = 60 * MS;
    tcp_send(client, NULL, 100);
    harness_run_until(h, 2 * S);
    tcp_conn_info(client, &i);
    CU_ASSERT_EQUAL(i.rttvar, 42500 * SIM_US);
    CU_ASSERT_EQUAL(i.srtt, 102500 * SIM_US);
    CU_ASSERT_EQUAL(i.rto, rto2);
    harness_destroy(h);
}

static void test_RFC6298_worked_example_rfc9293(void) { rtt_example("rfc9293", 1 * S, 1 * S); }

/* Linux: RTO = SRTT + max(200 ms, 4 RTTVAR): 300 ms, then 302.5 ms. */
static void test_RFC6298_worked_example_linux(void)
{
    rtt_example("linux", 300 * MS, 302500 * SIM_US);
}

/* Karn: the ACK of a retransmitted segment gives no sample; the next
 * segment sent once does. */
static void test_Karn_no_RTT_sample_from_retransmitted_segment(void)
{
    struct harness *h = make_profile("rfc9293");
    harness_drop(h, H_CLIENT, HK_DATA, 1);
    struct tcp_conn *client = establish(h, NULL);
    struct tcp_conn_info i;
    tcp_conn_info(client, &i);
    CU_ASSERT_EQUAL(i.srtt, 20 * MS);
    h->delay[H_CLIENT] = h->delay[H_SERVER] = 100 * MS;
    tcp_send(client, NULL, 100);
    harness_run_until(h, 5 * S);
    tcp_conn_info(client, &i);
    CU_ASSERT_EQUAL(i.retransmissions, 1);
    CU_ASSERT_EQUAL(i.srtt, 20 * MS); /* unchanged: the ACK was ambiguous */
    CU_ASSERT_EQUAL(i.rto, 2 * S);    /* so the backoff stays until a new sample */
    tcp_send(client, NULL, 100);
    harness_run_until(h, 10 * S);
    tcp_conn_info(client, &i);
    CU_ASSERT_EQUAL(i.srtt, (7 * 20 * MS + 200 * MS) / 8);
    CU_ASSERT_EQUAL(i.rto, 1 * S);
    harness_destroy(h);
}

/* The peer's MSS option bounds our segments. */
static void test_peer_MSS_option_limits_segment_size(void)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "rfc9293");
    cfg.host[H_SERVER].profile.mss = 536;
    struct harness *h = harness_create(&cfg);
    struct tcp_conn *client = establish(h, NULL);
    CU_ASSERT(harness_log_has(h, "server:80 > client:40000 SYN|ACK seq=5000 ack=1001"));
    sim_time start = now(h);
    send_pattern(client, 0, 2000);
    harness_run_until(h, 1 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_SERVER], 2000));
    for (size_t k = 0; k < harness_sent_since(h, H_CLIENT, start); k++)
        CU_ASSERT(harness_sent_nth(h, H_CLIENT, start, k)->seg.len <= 536);
    CU_ASSERT_EQUAL(harness_sent_nth(h, H_CLIENT, start, 0)->seg.len, 536);
    harness_destroy(h);
}

/* 10,000 connections at once through one listener: all established, all
 * closed again, one conn_id each, TCB counts back to the listener. */
static void test_ten_thousand_concurrent_connections_through_one_listener(void)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "linux");
    cfg.host[H_CLIENT].ephemeral_low = 20000;
    cfg.host[H_CLIENT].ephemeral_high = 39999;
    struct harness *h = harness_create(&cfg);
    h->record = false;
    h->app[H_SERVER].close_on_peer_closed = true;
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    enum { N = 10000 };
    struct tcp_conn **c = malloc(N * sizeof *c);
    for (int i = 0; i < N; i++) {
        enum tcp_error e;
        c[i] = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, &e);
        CU_ASSERT_EQUAL(e, TCP_OK);
    }
    harness_run_until(h, 1 * S);
    const struct tcp_host_stats *cs = tcp_host_stats(h->host[H_CLIENT]);
    const struct tcp_host_stats *ss = tcp_host_stats(h->host[H_SERVER]);
    CU_ASSERT_EQUAL(cs->in_state[TCP_ESTABLISHED], N);
    CU_ASSERT_EQUAL(ss->in_state[TCP_ESTABLISHED], N);
    CU_ASSERT_EQUAL(ss->tcbs, N + 1);
    CU_ASSERT_EQUAL(h->app[H_SERVER].accepted, N);
    CU_ASSERT_EQUAL(tcp_conn_id(c[N - 1]), N);
    for (int i = 0; i < N; i++)
        tcp_close(c[i]);
    harness_run_until(h, 2 * S);
    CU_ASSERT_EQUAL(cs->in_state[TCP_TIME_WAIT], N);
    CU_ASSERT_EQUAL(ss->tcbs, 1);
    harness_run_until(h, 100 * S);
    CU_ASSERT_EQUAL(cs->tcbs, 0);
    CU_ASSERT_EQUAL(h->conn_count, N);
    CU_ASSERT_EQUAL(cs->connections_opened, N);
    free(c);
    harness_destroy(h);
}

/* Ten ports: the eleventh connect to the same destination fails with
 * TCP_ERR_NO_PORTS; once TIME_WAIT ends the ports are free again. */
static void test_ephemeral_port_exhaustion(void)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "linux");
    cfg.host[H_CLIENT].ephemeral_low = 40000;
    cfg.host[H_CLIENT].ephemeral_high = 40009;
    struct harness *h = harness_create(&cfg);
    h->app[H_SERVER].close_on_peer_closed = true;
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    for (int i = 0; i < 10; i++) {
        struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        harness_run_until(h, now(h) + 100 * MS);
        tcp_close(c);
    }
    harness_run_until(h, now(h) + 1 * S);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_CLIENT])->in_state[TCP_TIME_WAIT], 10);
    enum tcp_error e = TCP_OK;
    CU_ASSERT_PTR_NULL(tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, &e));
    CU_ASSERT_EQUAL(e, TCP_ERR_NO_PORTS);
    /* Another destination port is another 4-tuple. */
    tcp_listen(h->host[H_SERVER], 81, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL(tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 81, &e));
    harness_run_until(h, now(h) + 61 * S);
    CU_ASSERT_PTR_NOT_NULL(tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, &e));
    CU_ASSERT_EQUAL(e, TCP_OK);
    harness_destroy(h);
}

/* A host with several addresses spreads connections over them. */
static void test_ephemeral_ports_use_all_host_addresses(void)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "linux");
    cfg.host[H_CLIENT].addr_count = 3;
    cfg.host[H_CLIENT].ephemeral_low = 40000;
    cfg.host[H_CLIENT].ephemeral_high = 40001;
    struct harness *h = harness_create(&cfg);
    tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    struct tcp_conn_info i;
    for (int k = 0; k < 6; k++) {
        struct tcp_conn *c = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        tcp_conn_info(c, &i);
        CU_ASSERT_EQUAL(i.local_addr, H_CLIENT_ADDR + (uint32_t)k / 2);
        CU_ASSERT_EQUAL(i.local_port, 40000 + k % 2);
    }
    enum tcp_error e;
    CU_ASSERT_PTR_NULL(tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, &e));
    CU_ASSERT_EQUAL(e, TCP_ERR_NO_PORTS);
    harness_run_until(h, 1 * S);
    CU_ASSERT_EQUAL(h->app[H_SERVER].accepted, 6);
    harness_destroy(h);
}

/* ======================================================================
 * Part 3: bookkeeping
 * ====================================================================== */

static void test_listener_has_conn_id_0_and_connections_count_from_1(void)
{
    struct harness *h = make_profile("rfc9293");
    struct tcp_conn *l = tcp_listen(h->host[H_SERVER], 80, 0, NULL);
    CU_ASSERT_EQUAL(tcp_conn_id(l), 0);
    CU_ASSERT(tcp_conn_is_listener(l));
    enum tcp_error e;
    CU_ASSERT_PTR_NULL(tcp_listen(h->host[H_SERVER], 80, 0, &e));
    CU_ASSERT_EQUAL(e, TCP_ERR_EXISTS);
    struct tcp_conn *a = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    struct tcp_conn *b = tcp_connect(h->host[H_CLIENT], 0, 0, H_SERVER_ADDR, 80, NULL);
    CU_ASSERT_EQUAL(tcp_conn_id(a), 1);
    CU_ASSERT_EQUAL(tcp_conn_id(b), 2);
    harness_run_until(h, 1 * S);
    /* Second connection's ISNs: isn + 64000 (TCP_ISN_FIXED, k-th connection). */
    CU_ASSERT(harness_log_has(h, "client:40001 > server:80 SYN seq=65000 ack=0"));
    CU_ASSERT(harness_log_has(h, "server:80 > client:40001 SYN|ACK seq=69000 ack=65001"));
    for (size_t i = 0; i < h->tr_count; i++)
        if (h->tr[i].host == H_SERVER && h->tr[i].to == TCP_SYN_RECEIVED)
            CU_ASSERT(h->tr[i].conn_id == 1 || h->tr[i].conn_id == 2);
    /* The transition names its trigger segment. */
    const struct h_transition *t = harness_last_transition(h, H_SERVER, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT(t->seg_id > 0);
    harness_destroy(h);
}

/* Listener backlog: SYNs beyond it are dropped silently. */
static void test_listener_backlog_drops_SYNs_when_full(void)
{
    struct harness *h = make_profile("rfc9293");
    tcp_listen(h->host[H_SERVER], 80, 2, NULL);
    h->cut = true;
    for (uint16_t p = 0; p < 3; p++) {
        struct segment syn = craft(H_CLIENT_ADDR, 50000 + p, H_SERVER_ADDR, 80, SYN, 100, 0, 0);
        harness_inject(h, H_SERVER, 10 * MS, &syn);
    }
    harness_run_until(h, 20 * MS);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_SERVER])->in_state[TCP_SYN_RECEIVED], 2);
    CU_ASSERT_EQUAL(harness_sent_since(h, H_SERVER, 0), 2);
    harness_destroy(h);
}

static void capture_output(void *context, struct segment *seg)
{
    struct segment *out = context;
    *out = *seg;
}

/* The SYN of a lone host's first connect at time `at` towards port rport. */
static uint32_t first_syn_seq(const struct tcp_host_config *config, sim_time at, uint16_t rport)
{
    struct sim *sim = sim_create();
    struct trace trace;
    trace_init(&trace);
    struct tcp_network *net = tcp_network_create(sim, &trace);
    struct rng *rng = rng_create(42, "isn client");
    struct segment captured = {0};
    struct tcp_host *host = tcp_host_create(net, config, rng, capture_output, &captured, NULL, NULL);
    sim_run(sim, at);
    tcp_connect(host, 0, 0, H_SERVER_ADDR, rport, NULL);
    tcp_host_destroy(host);
    tcp_network_destroy(net);
    rng_destroy(rng);
    sim_destroy(sim);
    return captured.seq;
}

/* RFC 6528: the same 4-tuple later gets a larger ISN (the 4 us clock);
 * another tuple gets an unrelated one; same seed, same numbers. */
static void test_ISN_rfc6528_clock_plus_keyed_hash(void)
{
    struct harness_config cfg;
    harness_config_defaults(&cfg, "rfc9293");
    struct tcp_host_config *c = &cfg.host[H_CLIENT];
    c->isn_mode = TCP_ISN_RFC6528;
    uint32_t a0 = first_syn_seq(c, 0, 80);
    uint32_t a1 = first_syn_seq(c, 1 * S, 80);
    uint32_t b0 = first_syn_seq(c, 0, 81);
    CU_ASSERT_EQUAL(a1 - a0, 250000u); /* 1 s / 4 us */
    CU_ASSERT_NOT_EQUAL(a0, b0);
    CU_ASSERT_EQUAL(first_syn_seq(c, 0, 80), a0);
    c->isn_mode = TCP_ISN_RANDOM;
    uint32_t r0 = first_syn_seq(c, 0, 80);
    CU_ASSERT_EQUAL(first_syn_seq(c, 5 * S, 80), r0); /* the stream's first draw */
}

/* Same inputs, same log, byte for byte. */
static void test_runs_are_deterministic(void)
{
    char *logs[2];
    for (int k = 0; k < 2; k++) {
        struct harness *h = make_profile("linux");
        h->app[H_SERVER].close_on_peer_closed = true;
        harness_drop_every(h, H_CLIENT, HK_DATA, 5);
        harness_drop(h, H_SERVER, HK_FIN, 1);
        struct tcp_conn *client = establish(h, NULL);
        send_pattern(client, 0, 60000);
        tcp_close(client);
        harness_run_until(h, 500 * S);
        logs[k] = strdup(harness_log(h));
        harness_destroy(h);
    }
    CU_ASSERT_STRING_EQUAL(logs[0], logs[1]);
    free(logs[0]);
    free(logs[1]);
}

/* An application may close or abort from inside a callback. */
static void test_application_may_close_inside_callbacks(void)
{
    struct harness *h = make_profile("rfc9293");
    h->app[H_SERVER].close_on_peer_closed = true;
    h->app[H_CLIENT].close_on_peer_closed = true;
    struct tcp_conn *server = NULL;
    struct tcp_conn *client = establish(h, &server);
    uint64_t id = tcp_conn_id(client);
    send_pattern(server, 0, 5000);
    tcp_close(server);
    harness_run_until(h, 1000 * S);
    CU_ASSERT(received_is_pattern(&h->app[H_CLIENT], 5000));
    path_is(h, H_CLIENT, id, "CLOSED SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_CLIENT])->tcbs, 0);
    CU_ASSERT_EQUAL(tcp_host_stats(h->host[H_SERVER])->tcbs, 1);
    harness_destroy(h);
}

static void test_state_names_round_trip(void)
{
    for (int s = 0; s < TCP_STATE_COUNT; s++)
        CU_ASSERT_EQUAL(tcp_state_from_name(tcp_state_name((enum tcp_state)s)), s);
    CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_SYN_RECEIVED), "SYN_RECEIVED");
    CU_ASSERT_EQUAL(tcp_state_from_name("SYN-RECEIVED"), -1);
}

#define TEST(fn) {#fn, fn}
static const struct {
    const char *name;
    CU_TestFunc fn;
} exchange_tests[] = {
    TEST(test_note_handshake_and_teardown),
    TEST(test_TIME_WAIT_lasts_exactly_2MSL_rfc9293),
    TEST(test_TIME_WAIT_lasts_exactly_60s_linux),
    TEST(test_connection_record_reports_both_ends),
    TEST(test_network_finish_reports_open_connections),
    TEST(test_simultaneous_open_reaches_ESTABLISHED_on_both_sides),
    TEST(test_simultaneous_close_both_CLOSING_then_TIME_WAIT),
    TEST(test_FIN_ACK_in_FIN_WAIT_1_goes_straight_to_TIME_WAIT),
    TEST(test_RST_in_SYN_RECEIVED_returns_to_LISTEN),
    TEST(test_connection_refused_by_RST_ACK),
    TEST(test_abort_resets_the_peer),
    TEST(test_SYN_retransmission_schedule_linux),
    TEST(test_linux_options_on_the_wire),
    TEST(test_rfc9293_sends_only_MSS),
    TEST(test_RTO_after_lost_SYN_from_timestamps),
    TEST(test_TIME_WAIT_newer_SYN_reopens_linux),
    TEST(test_SYN_retransmission_schedule_linux_timer_wheel),
    TEST(test_SYN_retransmission_schedule_rfc9293),
    TEST(test_SYN_ACK_retransmission_schedule_linux),
    TEST(test_SYN_ACK_retransmission_schedule_rfc9293),
    TEST(test_FIN_retransmissions_exhausted_in_LAST_ACK),
    TEST(test_initial_window_is_10_segments_linux),
    TEST(test_loss_window_after_RTO_cubic_and_reno),
    TEST(test_tail_loss_probe_resends_FIN_before_backoff),
    TEST(test_delayed_ack_after_quickack_linux),
    TEST(test_FIN_retransmissions_of_an_orphan_are_tcp_orphan_retries),
    TEST(test_RTO_is_3s_for_data_after_lost_SYN),
    TEST(test_RTO_is_3s_for_server_data_after_lost_SYN_ACK),
    TEST(test_TIME_WAIT_restarted_by_retransmitted_FIN),
    TEST(test_LAST_ACK_closes_only_on_ACK_of_our_FIN),
    TEST(test_data_retransmissions_back_off_and_give_up),
    TEST(test_data_integrity_200KB_every_7th_data_segment_dropped),
    TEST(test_fast_retransmit_on_three_duplicate_ACKs),
    TEST(test_zero_window_persist_probes_then_reopen),
    TEST(test_half_close_server_sends_after_client_FIN),
    TEST(test_half_close_client_sends_after_server_FIN),
    TEST(test_CLOSING_sends_the_data_and_FIN_still_queued),
    TEST(test_FIN_after_a_zero_window_probe_is_not_lost),
    TEST(test_FIN_waits_out_a_1000s_zero_window),
    TEST(test_zero_window_ACKs_keep_a_retransmitting_sender_alive),
    TEST(test_FIN_WAIT_2_after_shutdown_receives_as_long_as_the_peer_sends_linux),
    TEST(test_FIN_WAIT_2_after_shutdown_has_no_timeout_linux),
    TEST(test_orphan_FIN_WAIT_2_times_out_after_60s_linux),
    TEST(test_data_to_an_orphan_draws_RST_linux),
    TEST(test_data_after_close_is_received_rfc9293),
    TEST(test_close_with_unread_data_sends_RST_linux),
    TEST(test_close_with_unread_data_sends_FIN_rfc9293),
    TEST(test_close_with_linger_zero_is_an_abort),
    TEST(test_user_timeout_aborts_unacknowledged_data),
    TEST(test_user_timeout_ends_a_zero_window),
    TEST(test_rcvbuf_caps_the_window_and_is_inherited),
    TEST(test_blocked_write_is_written_as_ACKs_free_room),
    TEST(test_blocked_writes_continue_the_pattern_and_FIN_follows),
    TEST(test_linux_send_buffer_starts_at_tcp_wmem_and_autotunes),
    TEST(test_shutdown_then_close_linux),
    TEST(test_one_ACK_per_data_segment_to_a_reading_application),
    TEST(test_application_may_close_or_abort_inside_readable),
    TEST(test_sequence_wraparound_near_2_32),
    TEST(test_RFC6298_worked_example_rfc9293),
    TEST(test_RFC6298_worked_example_linux),
    TEST(test_Karn_no_RTT_sample_from_retransmitted_segment),
    TEST(test_peer_MSS_option_limits_segment_size),
    TEST(test_ten_thousand_concurrent_connections_through_one_listener),
    TEST(test_ephemeral_port_exhaustion),
    TEST(test_ephemeral_ports_use_all_host_addresses),
};

static const struct {
    const char *name;
    CU_TestFunc fn;
} bookkeeping_tests[] = {
    TEST(test_listener_has_conn_id_0_and_connections_count_from_1),
    TEST(test_listener_backlog_drops_SYNs_when_full),
    TEST(test_ISN_rfc6528_clock_plus_keyed_hash),
    TEST(test_runs_are_deterministic),
    TEST(test_application_may_close_inside_callbacks),
    TEST(test_state_names_round_trip),
};

#define ADD_ALL(suite, table)                                                                   \
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)                                 \
        if (!CU_add_test(suite, table[i].name, table[i].fn))                                    \
            return 1;

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite grid = CU_add_suite("transition grid (docs/transitions.md)", NULL, NULL);
    CU_pSuite exchanges = CU_add_suite("exchanges between two hosts", NULL, NULL);
    CU_pSuite books = CU_add_suite("bookkeeping", NULL, NULL);
    if (!grid || !exchanges || !books)
        return 1;
    ADD_ALL(grid, grid_tests)
    ADD_ALL(exchanges, exchange_tests)
    ADD_ALL(books, bookkeeping_tests)
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
