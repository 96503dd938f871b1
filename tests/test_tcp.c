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
    S_ESTABLISHED_DATA, S_FIN_WAIT_1, S_FIN_WAIT_2, S_CLOSE_WAIT, S_CLOSING, S_LAST_ACK,
    S_TIME_WAIT,
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
