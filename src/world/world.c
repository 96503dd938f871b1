/*
 * world.c: one run of a scenario. Wires the engine, the link and the two
 * hosts' TCP together, plays the scenario's timeline and workloads as the
 * applications on each host, watches the trace to check the expectations,
 * reports the run through the trace (which the sinks record) and returns
 * its results in a struct world_report; printing them is the caller's.
 *
 * The pieces:
 *   recorder   a trace sink that keeps what expectations and the results
 *              need: each host's first connections' paths, counters, and
 *              how many TCBs are in each state now;
 *   timeline   scenario actions (listen, connect, send, shutdown, close,
 *              abort, read off|on, setsockopt) at their times, each call's
 *              outcome reported through the trace (the calls table) and,
 *              when it failed, in the report's notes;
 *   workloads  many connections with fixed or Poisson arrivals, and the
 *              server behaviour (close after the client's FIN, later, never).
 */
#include "world.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "link.h"
#include "rng.h"
#include "tcp.h"

#define RECORDED_CONNS 4096   /* per host: connections whose paths are kept */

/* ------------------------------------------------------------------ */
/* The recorder                                                        */
/* ------------------------------------------------------------------ */

struct recorded_step {
    sim_time t;
    uint8_t state;
};

struct recorded_conn {
    uint64_t conn_id;
    uint8_t first_state;          /* the state it was created from: CLOSED or LISTEN */
    uint32_t step_count, step_capacity;
    struct recorded_step *steps;
    uint64_t segments_sent, retransmissions, lost;
    uint32_t local_addr;
    uint16_t local_port;
};

struct host_record {
    const char *name;
    const char *alias;            /* another pointer to the same name (the link's copy) */
    struct recorded_conn *conns;  /* in order of first appearance at this host */
    size_t conn_count;
    uint64_t *slot_of;            /* open addressing: conn_id -> index+1 */
    size_t slot_mask;
    uint64_t max_conn_id;         /* the largest conn_id in conns */
    size_t limit;                 /* conns kept: RECORDED_CONNS or fewer (records_needed) */
    int64_t in_state[TCP_STATE_COUNT];
    uint64_t connections, established;
    uint64_t segments_sent, retransmissions, lost, resets_sent;
    uint64_t bytes_received;
};

/* What an `expect HOST sends` expectation has seen so far. */
struct sent_segment {
    sim_time t;
    uint8_t flags;
    uint32_t seq, ack, len;
    bool tcb;                     /* the sender's TCB was there to evaluate seq= and ack= */
    uint32_t want_seq, want_ack;  /* seq= and ack= evaluated as it was sent */
};

struct sends_watch {
    uint64_t seen;                /* segments with the expected flags */
    bool done;                    /* EXPECT_SENDS: one matched; EXPECT_SENDS_NO: one was sent */
    bool have_nearest;
    int nearest_rank;             /* 0 = same flags, 1 = other flags */
    sim_time nearest_distance;
    struct sent_segment nearest;  /* the match, the offender, or the closest miss */
};

struct world;

struct recorded_call {
    int host;
    uint64_t conn_id;
    enum tcp_call call;
    enum tcp_call_result result;
};

struct recorder {
    struct trace_sink sink;
    struct host_record host[SCENARIO_HOSTS];
    int host_count;
    uint64_t segments, retransmissions, lost;
    const struct scenario *scenario;
    struct sends_watch *watch;    /* per expectation */
    struct world *world;          /* to read the sender's TCB; NULL when observing another backend */
    struct recorded_call *calls;  /* the timeline's calls, for expect HOST CALL result= */
    size_t call_count, call_capacity;
    bool out_of_memory;  /* a path could not grow: the run must not say ok */
    bool watches_sends[SCENARIO_HOSTS]; /* the host has an `expect HOST sends`: watch_sends() */
};

static bool world_sender_tcb(struct world *w, int host, const struct segment *seg, struct tcp_conn_info *info);

/* The recorder sees every transition and segment of the run, so host names
 * are matched by pointer first: the TCP reports the scenario's host names,
 * the link its own copies of them. */

static int recorder_host(struct recorder *rec, const char *name)
{
    for (int h = 0; h < rec->host_count; h++)
        if (rec->host[h].name == name || rec->host[h].alias == name)
            return h;
    for (int h = 0; h < rec->host_count; h++) {
        if (strcmp(rec->host[h].name, name) == 0) {
            rec->host[h].alias = name; /* the next record with this pointer matches at once */
            return h;
        }
    }
    return -1;
}

static size_t conn_hash(uint64_t conn_id, size_t mask)
{
    return (size_t)((conn_id * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static struct recorded_conn *find_recorded(struct host_record *hr, uint64_t conn_id)
{
    /* Once the table is full nothing is added: a later connection is not in
     * it, and the probe (a miss that walks a cluster) is skipped. */
    if (hr->conn_count == hr->limit && conn_id > hr->max_conn_id)
        return NULL;
    for (size_t i = conn_hash(conn_id, hr->slot_mask);; i = (i + 1) & hr->slot_mask) {
        uint64_t slot = hr->slot_of[i];
        if (slot == 0)
            return NULL;
        if (hr->conns[slot - 1].conn_id == conn_id)
            return &hr->conns[slot - 1];
    }
}

static struct recorded_conn *add_recorded(struct host_record *hr, uint64_t conn_id, int first_state)
{
    if (hr->conn_count == hr->limit)
        return NULL;
    struct recorded_conn *rc = &hr->conns[hr->conn_count++];
    memset(rc, 0, sizeof *rc);
    rc->conn_id = conn_id;
    rc->first_state = (uint8_t)first_state;
    if (conn_id > hr->max_conn_id)
        hr->max_conn_id = conn_id;
    size_t i = conn_hash(conn_id, hr->slot_mask);
    while (hr->slot_of[i] != 0)
        i = (i + 1) & hr->slot_mask;
    hr->slot_of[i] = hr->conn_count;
    return rc;
}

/* Room for one more of an array that doubles (from `first`): the array,
 * moved if it had to grow, or NULL (the old one untouched) without memory. */
static void *grow(void *array, size_t *capacity, size_t count, size_t size, size_t first)
{
    if (count < *capacity)
        return array;
    size_t n = *capacity ? *capacity * 2 : first;
    void *grown = realloc(array, n * size);
    if (grown)
        *capacity = n;
    return grown;
}

static int record_step(struct recorded_conn *rc, sim_time t, int state)
{
    if (rc->step_count == rc->step_capacity) {
        uint32_t capacity = rc->step_capacity ? rc->step_capacity * 2 : 8;
        struct recorded_step *steps = realloc(rc->steps, capacity * sizeof *steps);
        if (!steps)
            return -1; /* the path is cut short; counters stay right */
        rc->steps = steps;
        rc->step_capacity = capacity;
    }
    rc->steps[rc->step_count++] = (struct recorded_step){t, (uint8_t)state};
    return 0;
}

static void recorder_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct recorder *rec = (struct recorder *)sink;
    int h = recorder_host(rec, tr->host);
    enum tcp_state from = tr->from_state, to = tr->to_state;
    if (h < 0)
        return;
    struct host_record *hr = &rec->host[h];
    bool child = tr->conn_id != 0;
    /* A listener's child leaves LISTEN without the listener leaving it. */
    if (from != TCP_CLOSED && !(child && from == TCP_LISTEN))
        hr->in_state[from]--;
    if (to != TCP_CLOSED && !(child && to == TCP_LISTEN))
        hr->in_state[to]++;
    if (!child)
        return;
    struct recorded_conn *rc = find_recorded(hr, tr->conn_id);
    if (!rc && (from == TCP_CLOSED || from == TCP_LISTEN) && to != TCP_CLOSED) {
        hr->connections++;
        rc = add_recorded(hr, tr->conn_id, from);
    }
    if (to == TCP_ESTABLISHED)
        hr->established++;
    if (rc && record_step(rc, tr->t_ns, to) != 0)
        rec->out_of_memory = true;
}

/* An expression's value for a segment sent by a TCB described by info
 * (NULL: no TCB, so only plain numbers have a value). */
static bool seq_value(const struct seq_expr *e, const struct tcp_conn_info *info, uint32_t *out)
{
    uint32_t base = 0;
    if (e->base != SEQ_NUMBER && !info)
        return false;
    switch (e->base) {
    case SEQ_NUMBER: base = 0; break;
    case SEQ_SND_NXT: base = info->snd_nxt; break;
    case SEQ_SND_UNA: base = info->snd_una; break;
    case SEQ_ISS: base = info->iss; break;
    case SEQ_RCV_NXT: base = info->rcv_nxt; break;
    case SEQ_IRS: base = info->irs; break;
    case SEQ_RCV_WND: base = info->rcv_wnd; break;
    }
    *out = base + (uint32_t)e->offset;
    return true;
}

static bool expected_conn_id(const struct recorder *rec, int host, uint32_t conn, uint64_t conn_id)
{
    const struct host_record *hr = &rec->host[host];
    return conn == 0 || (conn <= hr->conn_count && hr->conns[conn - 1].conn_id == conn_id);
}

static bool sent_matches(const struct scenario_expect *e, const struct sent_segment *s)
{
    const struct scenario_sends *want = &e->sends;
    sim_time off = e->at >= 0 ? s->t - e->at : 0;
    return s->flags == want->flags && (!want->seq.given || (s->tcb && s->seq == s->want_seq)) &&
           (!want->ack.given || (s->tcb && s->ack == s->want_ack)) &&
           (want->len < 0 || s->len == (uint32_t)want->len) && off <= want->tolerance && -off <= want->tolerance;
}

/* Keeps the segment closest to what was expected: same flags first, then
 * nearest the expected time (or the #N-th), else the first seen. */
static void keep_nearest(struct sends_watch *wch, const struct scenario_expect *e, const struct sent_segment *s)
{
    int rank = s->flags == e->sends.flags ? 0 : 1;
    sim_time distance = e->at >= 0 ? (s->t > e->at ? s->t - e->at : e->at - s->t)
                        : e->sends.nth && !rank ? (sim_time)(wch->seen > e->sends.nth ? wch->seen - e->sends.nth
                                                                                     : e->sends.nth - wch->seen)
                                                : 0;
    if (wch->have_nearest && (rank > wch->nearest_rank ||
                              (rank == wch->nearest_rank && distance >= wch->nearest_distance)))
        return;
    wch->have_nearest = true;
    wch->nearest_rank = rank;
    wch->nearest_distance = distance;
    wch->nearest = *s;
}

static void watch_one(struct recorder *rec, size_t i, const struct trace_segment *ts,
                      const struct tcp_conn_info *info)
{
    const struct scenario_expect *e = &rec->scenario->expects[i];
    struct sends_watch *wch = &rec->watch[i];
    const struct segment *seg = ts->seg;
    struct sent_segment s = {ts->sent_ns, seg->flags, seg->seq, seg->ack, seg->len, info != NULL, 0, 0};
    if (wch->done || !expected_conn_id(rec, e->host, e->conn, seg->conn_id))
        return;
    bool tcb_seq = seq_value(&e->sends.seq, info, &s.want_seq), tcb_ack = seq_value(&e->sends.ack, info, &s.want_ack);
    s.tcb = (tcb_seq || !e->sends.seq.given) && (tcb_ack || !e->sends.ack.given);
    if (e->kind == EXPECT_SENDS_NO) {
        if (seg->flags == e->sends.flags && s.t >= e->sends.from && s.t < e->sends.until) {
            wch->done = wch->have_nearest = true;
            wch->nearest = s;
        }
        return;
    }
    wch->seen += seg->flags == e->sends.flags;
    if ((e->sends.nth == 0 || wch->seen == e->sends.nth) && sent_matches(e, &s)) {
        wch->done = wch->have_nearest = true;
        wch->nearest = s;
        return;
    }
    keep_nearest(wch, e, &s);
}

/* Each `expect HOST sends` of the sending host looks at the segment, with
 * the sender's TCB as it is when the segment goes out. */
static void watch_sends(struct recorder *rec, int host, const struct trace_segment *ts)
{
    struct tcp_conn_info info;
    bool read = false, have_tcb = false;
    for (size_t i = 0; rec->watch && i < rec->scenario->expect_count; i++) {
        const struct scenario_expect *e = &rec->scenario->expects[i];
        if ((e->kind != EXPECT_SENDS && e->kind != EXPECT_SENDS_NO) || e->host != host)
            continue;
        if (!read) {
            have_tcb = rec->world && world_sender_tcb(rec->world, host, ts->seg, &info);
            read = true;
        }
        watch_one(rec, i, ts, have_tcb ? &info : NULL);
    }
}

static void recorder_segment(struct trace_sink *sink, const struct trace_segment *ts)
{
    struct recorder *rec = (struct recorder *)sink;
    int h = recorder_host(rec, ts->sender);
    if (h < 0)
        return;
    struct host_record *hr = &rec->host[h];
    bool lost = ts->fate != FATE_DELIVERED && ts->fate != FATE_DUPLICATED;
    bool copy = ts->fate == FATE_DUPLICATED;
    if (copy || ts->seg->injected)
        return; /* the link's extra copy and an injected segment are not what the host's TCB sent */
    if (rec->watches_sends[h])
        watch_sends(rec, h, ts);
    hr->segments_sent++;
    rec->segments++;
    hr->retransmissions += ts->seg->retransmission;
    rec->retransmissions += ts->seg->retransmission;
    hr->lost += lost;
    rec->lost += lost;
    hr->resets_sent += (ts->seg->flags & TCP_FLAG_RST) != 0;
    struct recorded_conn *rc = ts->seg->conn_id ? find_recorded(hr, ts->seg->conn_id) : NULL;
    if (rc) {
        rc->segments_sent++;
        rc->retransmissions += ts->seg->retransmission;
        rc->lost += lost;
        if (!rc->local_port) {
            rc->local_addr = ts->seg->src_addr;
            rc->local_port = ts->seg->src_port;
        }
    }
}

static void recorder_call(struct trace_sink *sink, const struct trace_call *tc)
{
    struct recorder *rec = (struct recorder *)sink;
    int h = recorder_host(rec, tc->host);
    if (h < 0)
        return;
    struct recorded_call *calls = grow(rec->calls, &rec->call_capacity, rec->call_count, sizeof *calls, 16);
    if (!calls)
        return;
    rec->calls = calls;
    rec->calls[rec->call_count++] = (struct recorded_call){h, tc->conn_id, tc->call, tc->result};
}

static const struct trace_sink_ops recorder_ops = {
    .transition = recorder_transition,
    .segment = recorder_segment,
    .call = recorder_call,
};

/* How many connections per host need their paths kept: all RECORDED_CONNS
 * for the details (which also look up each one's peer), else only as many
 * as the expectations and actions name by conn=N -- none for a quiet
 * workload run, which then skips the recording (a sixth of the time of a
 * quiet 10^4-connection run). */
static size_t records_needed(const struct scenario *sc, bool details)
{
    if (details)
        return RECORDED_CONNS;
    size_t needed = 0;
    for (size_t i = 0; i < sc->action_count; i++)
        if (sc->actions[i].conn > needed)
            needed = sc->actions[i].conn;
    for (size_t i = 0; i < sc->expect_count; i++) {
        const struct scenario_expect *e = &sc->expects[i];
        size_t n = e->conn ? e->conn : 1;
        if ((e->kind == EXPECT_PATH || e->kind == EXPECT_STATE_AT || e->kind == EXPECT_CALL) && n > needed)
            needed = n;
        if ((e->kind == EXPECT_SENDS || e->kind == EXPECT_SENDS_NO) && e->conn > needed)
            needed = e->conn;
    }
    return needed < RECORDED_CONNS ? needed : RECORDED_CONNS;
}

static int recorder_init(struct recorder *rec, const struct scenario *sc, size_t limit)
{
    memset(rec, 0, sizeof *rec);
    rec->sink.ops = &recorder_ops;
    rec->host_count = sc->host_count;
    rec->scenario = sc;
    rec->watch = calloc(sc->expect_count + 1, sizeof *rec->watch);
    if (!rec->watch)
        return -1;
    for (size_t i = 0; i < sc->expect_count; i++) {
        const struct scenario_expect *e = &sc->expects[i];
        if ((e->kind == EXPECT_SENDS || e->kind == EXPECT_SENDS_NO) && e->host >= 0 &&
            e->host < SCENARIO_HOSTS)
            rec->watches_sends[e->host] = true;
    }
    for (int h = 0; h < sc->host_count; h++) {
        struct host_record *hr = &rec->host[h];
        hr->name = sc->hosts[h].name;
        hr->limit = limit;
        hr->slot_mask = 2 * RECORDED_CONNS - 1;
        hr->slot_of = calloc(2 * RECORDED_CONNS, sizeof *hr->slot_of);
        hr->conns = calloc(RECORDED_CONNS, sizeof *hr->conns);
        if (!hr->slot_of || !hr->conns)
            return -1;
    }
    return 0;
}

static void recorder_free(struct recorder *rec)
{
    free(rec->watch);
    for (int h = 0; h < rec->host_count; h++) {
        struct host_record *hr = &rec->host[h];
        for (size_t i = 0; i < hr->conn_count; i++)
            free(hr->conns[i].steps);
        free(hr->conns);
        free(hr->slot_of);
    }
    free(rec->calls);
}

/* The state of a recorded connection at time t (CLOSED before it existed). */
static int recorded_state_at(const struct recorded_conn *rc, sim_time t)
{
    int state = TCP_CLOSED;
    if (rc->step_count > 0 && rc->steps[0].t <= t)
        state = rc->first_state;
    for (uint32_t i = 0; i < rc->step_count && rc->steps[i].t <= t; i++)
        state = rc->steps[i].state;
    return state;
}

/* ------------------------------------------------------------------ */
/* The world                                                           */
/* ------------------------------------------------------------------ */

struct live_conn {            /* a timeline connection the applications can name */
    uint64_t conn_id;
    struct tcp_conn *conn;
    bool connecting;          /* an active OPEN whose outcome is still to be recorded */
    bool not_reading;         /* read off: data stays in the receive buffer */
    bool closed_by_app;       /* close() or abort was called */
    bool peer_closed;         /* the peer's FIN was read (CLOSE_WAIT) */
    uint32_t sends_blocked;   /* send calls waiting for send buffer: recorded when written */
};

/* A timeline connection whose TCB is gone: what its socket still says. */
struct ended_conn {
    uint64_t conn_id;
    enum tcp_error why;       /* why it ended; a reset or timeout is reported once */
    bool closed_by_app;       /* close() or abort was called: the descriptor is gone */
};

struct world;

struct listener {
    uint16_t port;
    struct tcp_conn *conn;
};

struct host_app {
    struct world *world;
    int index;
    struct tcp_host *tcp;
    struct rng *isn_rng;
    struct live_conn *live;   /* timeline connections with a TCB, in creation order */
    size_t live_count, live_capacity;
    struct listener *listeners; /* timeline listeners, for unlisten */
    size_t listener_count;
    struct ended_conn *ended;   /* timeline connections whose TCB is gone */
    size_t ended_count;
};

struct workload_run {
    struct world *world;
    const struct scenario_workload *spec;
    struct rng *arrivals;
    uint64_t started, failed_to_start;
};

/* What the application remembers of one workload connection (the TCB's
 * app data; a listener's app data is its struct workload_run). Records come
 * from a pool the world frees as a whole. */
struct workload_conn {
    struct workload_run *run;
    struct tcp_conn *conn;
    sim_event_id close_event;     /* SERVER_CLOSE_AFTER_DELAY: the close still to come */
    struct workload_conn *next_free;
};

struct conn_pool {
    struct workload_conn **chunks;
    size_t chunk_count;
    struct workload_conn *free;
};

struct count_snapshot {       /* COUNT_IN_STATE at a time: taken by an event */
    struct world *world;
    size_t expect_index;
};

struct world {
    const struct scenario *scenario;
    struct sim *sim;
    struct trace *trace;
    struct tcp_network *network;
    struct link *link;
    struct host_app app[SCENARIO_HOSTS];
    struct workload_run *workloads;
    struct conn_pool conn_pool;
    struct recorder recorder;
    double *snapshot;         /* per expectation: COUNT_IN_STATE value at its time */
    struct count_snapshot *snapshot_events;
    uint8_t *send_pattern;    /* bytes the applications send */
    size_t send_pattern_size;
    struct world_report *report; /* notes go here when details or notes are kept */
    bool details;
    bool keep_notes;
};

static struct world *world_of(struct host_app *app) { return app->world; }

/* Every allocation failure of the world stops the run the engine's way, and
 * world_conclude then reports it failed: a run never says ok with fewer
 * connections or rows than it simulated. */
static void world_out_of_memory(struct world *w)
{
    if (w->sim)
        sim_fail_out_of_memory(w->sim);
}

#define POOL_CHUNK 4096

static struct workload_conn *workload_conn_new(struct world *w, struct workload_run *run,
                                               struct tcp_conn *conn)
{
    struct conn_pool *pool = &w->conn_pool;
    if (!pool->free) {
        struct workload_conn *chunk = calloc(POOL_CHUNK, sizeof *chunk);
        struct workload_conn **chunks =
            chunk ? realloc(pool->chunks, (pool->chunk_count + 1) * sizeof *chunks) : NULL;
        if (!chunks) {
            free(chunk);
            world_out_of_memory(w);
            return NULL;
        }
        pool->chunks = chunks;
        pool->chunks[pool->chunk_count++] = chunk;
        sim_memory_charge(w->sim, POOL_CHUNK * sizeof *chunk); /* kept to the end of the run */
        for (size_t i = POOL_CHUNK; i-- > 0;) {
            chunk[i].next_free = pool->free;
            pool->free = &chunk[i];
        }
    }
    struct workload_conn *wc = pool->free;
    pool->free = wc->next_free;
    *wc = (struct workload_conn){.run = run, .conn = conn};
    tcp_conn_set_app_data(conn, wc);
    return wc;
}

static void workload_conn_free(struct world *w, struct workload_conn *wc)
{
    sim_cancel(w->sim, wc->close_event);
    wc->next_free = w->conn_pool.free;
    w->conn_pool.free = wc;
}

static void live_add(struct host_app *app, struct tcp_conn *conn)
{
    struct live_conn *live = grow(app->live, &app->live_capacity, app->live_count, sizeof *live, 8);
    if (!live) {
        world_out_of_memory(app->world);
        return;
    }
    app->live = live;
    app->live[app->live_count++] = (struct live_conn){.conn_id = tcp_conn_id(conn), .conn = conn};
}

static void live_remove(struct host_app *app, struct tcp_conn *conn)
{
    for (size_t i = 0; i < app->live_count; i++)
        if (app->live[i].conn == conn) {
            memmove(&app->live[i], &app->live[i + 1], (app->live_count - i - 1) * sizeof *app->live);
            app->live_count--;
            return;
        }
}

static void listener_add(struct host_app *app, uint16_t port, struct tcp_conn *conn)
{
    struct listener *grown = realloc(app->listeners, (app->listener_count + 1) * sizeof *grown);
    if (!grown) {
        world_out_of_memory(app->world);
        return;
    }
    app->listeners = grown;
    app->listeners[app->listener_count++] = (struct listener){port, conn};
}

static struct tcp_conn *listener_take(struct host_app *app, uint16_t port)
{
    for (size_t i = 0; i < app->listener_count; i++)
        if (app->listeners[i].port == port) {
            struct tcp_conn *conn = app->listeners[i].conn;
            app->listeners[i] = app->listeners[--app->listener_count];
            return conn;
        }
    return NULL;
}

/* The connection an action names: conn=N (the host's N-th connection, by
 * first appearance), or the most recent one still alive. */
static struct tcp_conn *named_conn(struct host_app *app, uint32_t n)
{
    if (n == 0)
        return app->live_count ? app->live[app->live_count - 1].conn : NULL;
    struct host_record *hr = &world_of(app)->recorder.host[app->index];
    if (n > hr->conn_count)
        return NULL;
    uint64_t conn_id = hr->conns[n - 1].conn_id;
    for (size_t i = 0; i < app->live_count; i++)
        if (app->live[i].conn_id == conn_id)
            return app->live[i].conn;
    return NULL;
}

/* An application call's outcome: recorded through the trace (the calls
 * table, the recorder's list for expect HOST CALL), and a failed one in
 * the report's notes, kept with or without details: a failing call is
 * never silent. Calls are the timeline's (a few per action), so the notes
 * grow by one; workload connections record none. */
static void record_call(struct world *w, int host, uint64_t conn_id, enum tcp_call call,
                        enum tcp_call_result result)
{
    struct trace_call tc = {sim_now(w->sim), w->scenario->hosts[host].name, conn_id, call, result};
    trace_call(w->trace, &tc);
    if (result == TCP_RESULT_OK || !w->keep_notes)
        return;
    struct world_report *r = w->report;
    struct world_note *grown = realloc(r->notes, (r->note_count + 1) * sizeof *grown);
    if (!grown) {
        world_out_of_memory(w);
        return;
    }
    r->notes = grown;
    r->notes[r->note_count++] = (struct world_note){sim_now(w->sim), host, call, result};
}

/* A call refused for want of memory voids the run. */
static void note(struct world *w, int host, enum tcp_call call, uint64_t conn_id, enum tcp_error error)
{
    if (error == TCP_ERR_NO_MEMORY)
        world_out_of_memory(w);
    record_call(w, host, conn_id, call, tcp_error_result(error));
}

static struct live_conn *live_find(struct host_app *app, const struct tcp_conn *conn)
{
    for (size_t i = 0; i < app->live_count; i++)
        if (app->live[i].conn == conn)
            return &app->live[i];
    return NULL;
}

/* Linux's tcp_reset reports EPIPE, not ECONNRESET, for a reset that comes
 * after the peer's FIN (CLOSE_WAIT): a later send then says EPIPE only. */
static void ended_add(struct host_app *app, const struct live_conn *live, enum tcp_error why)
{
    if (why == TCP_ERR_RESET && live->peer_closed)
        why = TCP_ERR_CLOSING;
    struct ended_conn *grown = realloc(app->ended, (app->ended_count + 1) * sizeof *grown);
    if (!grown)
        return;
    app->ended = grown;
    app->ended[app->ended_count++] = (struct ended_conn){live->conn_id, why, live->closed_by_app};
}

/* The ended connection an action names (conn=N, or the most recent). */
static struct ended_conn *named_ended(struct host_app *app, uint32_t n)
{
    if (app->ended_count == 0)
        return NULL;
    if (n == 0)
        return &app->ended[app->ended_count - 1];
    struct host_record *hr = &world_of(app)->recorder.host[app->index];
    if (n > hr->conn_count)
        return NULL;
    for (size_t i = 0; i < app->ended_count; i++)
        if (app->ended[i].conn_id == hr->conns[n - 1].conn_id)
            return &app->ended[i];
    return NULL;
}

/* What a call on a socket whose connection is gone returns, as Linux does:
 * the pending error of a reset or timeout once (send, read), then EPIPE
 * for send; close succeeds once; shutdown says ENOTCONN. */
static enum tcp_call_result call_on_ended(struct ended_conn *e, enum tcp_call call)
{
    if (!e || e->closed_by_app)
        return TCP_RESULT_ENOTCONN; /* no such socket (EBADF in Linux) */
    if (call == TCP_CALL_CLOSE || call == TCP_CALL_ABORT) {
        e->closed_by_app = true;
        return TCP_RESULT_OK;
    }
    if (call == TCP_CALL_SHUTDOWN)
        return TCP_RESULT_ENOTCONN;
    if (e->why == TCP_ERR_RESET || e->why == TCP_ERR_TIMEOUT) {
        enum tcp_call_result pending = tcp_error_result(e->why);
        e->why = TCP_OK;
        return pending;
    }
    return call == TCP_CALL_SEND ? TCP_RESULT_EPIPE : TCP_RESULT_OK;
}

/* A workload's send: a blocking write of the pattern; nobody waits for it. */
static void send_bytes(struct world *w, struct tcp_conn *conn, uint64_t bytes)
{
    if (tcp_write(conn, w->send_pattern, w->send_pattern_size, bytes) == TCP_ERR_NO_MEMORY)
        world_out_of_memory(w);
}

/* ---- applications: what the TCP tells them ---- */

static void app_connected(void *data, struct tcp_conn *conn)
{
    struct host_app *app = data;
    struct workload_conn *wc = tcp_conn_app_data(conn);
    if (!wc) {
        struct live_conn *live = live_find(app, conn);
        if (live && live->connecting) {
            live->connecting = false;
            record_call(app->world, app->index, live->conn_id, TCP_CALL_CONNECT, TCP_RESULT_OK);
        }
        return;
    }
    const struct workload_run *wl = wc->run;
    send_bytes(app->world, conn, wl->spec->size);
    if (wl->spec->client_close == CLIENT_CLOSE_AFTER_SEND)
        tcp_close(conn);
}

static void on_delayed_close(struct sim *sim, void *context, void *argument)
{
    struct workload_conn *wc = argument;
    (void)sim;
    (void)context;
    wc->close_event = SIM_NO_EVENT;
    tcp_close(wc->conn);
}

static void app_accepted(void *data, struct tcp_conn *listener, struct tcp_conn *conn)
{
    struct host_app *app = data;
    /* A child can finish its handshake after its listener was closed. */
    struct workload_run *wl = listener ? tcp_conn_app_data(listener) : NULL;
    struct workload_conn *wc = wl ? workload_conn_new(app->world, wl, conn) : NULL;
    if (!wc) {
        live_add(app, conn);
        return;
    }
    if (wl->spec->response > 0)
        send_bytes(app->world, conn, wl->spec->response);
    if (wl->spec->server_close == SERVER_CLOSE_AFTER_DELAY)
        wc->close_event = sim_schedule(app->world->sim, wl->spec->server_close_delay,
                                       on_delayed_close, NULL, wc);
}

static void app_readable(void *data, struct tcp_conn *conn, size_t bytes)
{
    struct host_app *app = data;
    uint8_t buf[16384];
    (void)bytes;
    size_t n;
    if (!tcp_conn_app_data(conn)) {
        const struct live_conn *live = live_find(app, conn);
        if (live && live->not_reading)
            return; /* read off: the window closes as the buffer fills */
    }
    while ((n = tcp_receive(conn, buf, sizeof buf)) > 0)
        app->world->recorder.host[app->index].bytes_received += n;
}

/* Blocked send calls return: each is recorded now, when its last byte
 * went into the send buffer. */
static void app_written(void *data, struct tcp_conn *conn)
{
    struct host_app *app = data;
    struct live_conn *live = tcp_conn_app_data(conn) ? NULL : live_find(app, conn);
    if (!live)
        return;
    for (; live->sends_blocked > 0; live->sends_blocked--)
        record_call(app->world, app->index, live->conn_id, TCP_CALL_SEND, TCP_RESULT_OK);
}

/* Send calls still blocked when the connection ends fail: the first
 * with the reset or timeout (ECONNRESET after a reset, EPIPE when the
 * peer had closed, as ended_add maps it), the others with EPIPE. The
 * error is then taken, as the socket's pending error is read once.
 * Returns the reason a later call on the socket still sees. */
static enum tcp_error fail_blocked_sends(struct host_app *app, struct live_conn *live, enum tcp_error why)
{
    if (live->sends_blocked == 0)
        return why;
    if (why == TCP_ERR_RESET && live->peer_closed)
        why = TCP_ERR_CLOSING;
    bool pending = why == TCP_ERR_RESET || why == TCP_ERR_TIMEOUT;
    for (; live->sends_blocked > 0; live->sends_blocked--, pending = false)
        record_call(app->world, app->index, live->conn_id, TCP_CALL_SEND,
                    pending ? tcp_error_result(why) : TCP_RESULT_EPIPE);
    return TCP_OK;
}

static void app_peer_closed(void *data, struct tcp_conn *conn)
{
    struct host_app *app = data;
    struct workload_conn *wc = tcp_conn_app_data(conn);
    if (!wc) {
        struct live_conn *live = live_find(app, conn);
        if (live)
            live->peer_closed = true;
        return;
    }
    const struct workload_run *wl = wc->run;
    bool is_server = app->index == wl->spec->server;
    if (is_server && wl->spec->server_close == SERVER_CLOSE_AFTER_FIN)
        tcp_close(conn);
    if (!is_server && wl->spec->client_close == CLIENT_CLOSE_AFTER_SERVER)
        tcp_close(conn);
}

static void app_closed(void *data, struct tcp_conn *conn, enum tcp_error why)
{
    struct host_app *app = data;
    if (tcp_conn_is_listener(conn))
        return;
    struct workload_conn *wc = tcp_conn_app_data(conn);
    if (wc) {
        workload_conn_free(app->world, wc); /* cancels a close still to come */
        return;
    }
    struct live_conn *live = live_find(app, conn);
    if (live && live->connecting && why != TCP_OK)
        record_call(app->world, app->index, live->conn_id, TCP_CALL_CONNECT, tcp_error_result(why));
    if (live)
        ended_add(app, live, live->connecting ? TCP_OK : fail_blocked_sends(app, live, why));
    /* connect reported its failure already */
    live_remove(app, conn);
}

static const struct tcp_app_ops app_ops = {
    .connected = app_connected,
    .accepted = app_accepted,
    .readable = app_readable,
    .written = app_written,
    .peer_closed = app_peer_closed,
    .closed = app_closed,
};

/* ---- the timeline ---- */

static bool world_sender_tcb(struct world *w, int host, const struct segment *seg, struct tcp_conn_info *info)
{
    struct tcp_conn *conn = tcp_conn_find(w->app[host].tcp, seg->src_addr, seg->src_port, seg->dst_addr,
                                          seg->dst_port);
    if (conn)
        tcp_conn_info(conn, info);
    return conn != NULL;
}

/* The addresses and ports of an injected segment: the named connection's,
 * or with none the host's first address and ephemeral port toward the other
 * host; to= and port= replace the ports. */
static void inject_endpoints(struct world *w, int host, struct tcp_conn *conn, const struct scenario_inject *in,
                             struct segment *seg, struct tcp_conn_info *info)
{
    const struct tcp_host_config *own = &w->scenario->hosts[host].config;
    if (conn) {
        tcp_conn_info(conn, info);
        *seg = (struct segment){.src_addr = info->local_addr, .dst_addr = info->remote_addr,
                                .src_port = info->local_port, .dst_port = info->remote_port,
                                .conn_id = tcp_conn_id(conn)};
    } else {
        *seg = (struct segment){.src_addr = own->addr, .dst_addr = w->scenario->hosts[1 - host].config.addr,
                                .src_port = own->ephemeral_low};
    }
    if (in->to_port)
        seg->dst_port = in->to_port;
    if (in->local_port)
        seg->src_port = in->local_port;
}

/* at T HOST inject ...: a segment built here, not by HOST's TCB, sent
 * through the link like the TCB's own. seq= and ack= name the TCB's
 * variables now; without a connection only numbers (and to=) make sense. */
static void inject(struct world *w, const struct scenario_action *a)
{
    const struct scenario_inject *in = &a->inject;
    struct tcp_conn *conn = named_conn(&w->app[a->host], a->conn);
    struct tcp_conn_info info;
    struct segment seg;
    static const struct seq_expr snd_nxt = {true, SEQ_SND_NXT, 0}, rcv_nxt = {true, SEQ_RCV_NXT, 0};
    const struct seq_expr zero = {true, SEQ_NUMBER, 0};
    inject_endpoints(w, a->host, conn, in, &seg, &info);
    const struct seq_expr *seq = in->seq.given ? &in->seq : conn ? &snd_nxt : &zero;
    const struct seq_expr *ack = in->ack.given ? &in->ack : conn && (in->flags & TCP_FLAG_ACK) ? &rcv_nxt : &zero;
    if ((!conn && !in->to_port) || !seq_value(seq, conn ? &info : NULL, &seg.seq) ||
        !seq_value(ack, conn ? &info : NULL, &seg.ack)) {
        note(w, a->host, TCP_CALL_INJECT, 0, TCP_ERR_NO_CONNECTION);
        return;
    }
    seg.flags = in->flags;
    seg.len = in->len;
    seg.data = in->len ? w->send_pattern : NULL;
    seg.wnd = (uint16_t)(in->wnd >= 0 ? (uint32_t)in->wnd : !conn ? 65535 : info.rcv_wnd > 65535 ? 65535 : info.rcv_wnd);
    seg.injected = true;
    link_transmit(w->link, a->host, &seg);
}

/* The socket options an action wrote, on a TCB. linger=TIME (not 0) and
 * nodelay change nothing tcpsim models: its calls never block, so close()
 * has nothing to wait for, and it has no Nagle algorithm to turn off. */
static void apply_sockopts(struct tcp_conn *conn, const struct scenario_sockopts *o)
{
    if (o->has_linger)
        tcp_set_linger_abort(conn, o->linger == 0);
    if (o->has_user_timeout)
        tcp_set_user_timeout(conn, o->user_timeout);
    if (o->rcvbuf)
        tcp_set_rcv_buf(conn, o->rcvbuf);
    if (o->sndbuf)
        tcp_set_snd_buf(conn, o->sndbuf);
}

/* send, shutdown, close, abort, read, setsockopt on a live connection. */
static enum tcp_error call_on_conn(struct world *w, struct host_app *app, const struct scenario_action *a,
                                   struct live_conn *live, bool *blocked)
{
    struct tcp_conn *conn = live->conn;
    enum tcp_error error = TCP_OK;
    switch (a->kind) {
    case ACTION_SEND:
        error = tcp_write(conn, w->send_pattern, w->send_pattern_size, a->bytes);
        if (error == TCP_OK && tcp_write_pending(conn) > 0) {
            live->sends_blocked++;
            *blocked = true;
        }
        return error;
    case ACTION_SHUTDOWN:
        return tcp_shutdown(conn, a->how != SHUTDOWN_WR, a->how != SHUTDOWN_RD);
    case ACTION_CLOSE:
    case ACTION_ABORT:
        if (live->closed_by_app)
            return TCP_ERR_NO_CONNECTION; /* the descriptor is gone (EBADF) */
        live->closed_by_app = true;
        return a->kind == ACTION_CLOSE ? tcp_close(conn) : tcp_abort(conn);
    case ACTION_READ:
        live->not_reading = !a->on;
        if (a->on)
            app_readable(app, conn, 0); /* drains what waited: the window reopens */
        return TCP_OK;
    case ACTION_SETSOCKOPT:
        apply_sockopts(conn, &a->opts);
        return TCP_OK;
    case ACTION_LISTEN:
    case ACTION_CONNECT:
    case ACTION_UNLISTEN:
    case ACTION_INJECT:
        break;
    }
    return TCP_OK;
}

static void on_action(struct sim *sim, void *context, void *argument)
{
    struct world *w = context;
    const struct scenario_action *a = argument;
    struct host_app *app = &w->app[a->host];
    enum tcp_call call = scenario_action_call(a->kind);
    enum tcp_error error = TCP_OK;
    struct tcp_conn *conn;
    (void)sim;

    switch (a->kind) {
    case ACTION_INJECT:
        inject(w, a);
        break;
    case ACTION_LISTEN:
        conn = tcp_listen(app->tcp, a->port, a->backlog, &error);
        if (conn) {
            apply_sockopts(conn, &a->opts); /* the connections it accepts inherit them */
            listener_add(app, a->port, conn);
        }
        note(w, a->host, call, 0, error);
        break;
    case ACTION_UNLISTEN:
        conn = listener_take(app, a->port);
        error = conn ? tcp_close(conn) : TCP_ERR_NO_CONNECTION;
        note(w, a->host, call, 0, error);
        break;
    case ACTION_CONNECT: {
        const struct scenario_host *peer = &w->scenario->hosts[a->peer];
        conn = tcp_connect(app->tcp, 0, a->local_port, peer->config.addr, a->port, &error);
        if (!conn) {
            note(w, a->host, call, 0, error); /* a started one's outcome comes later */
            break;
        }
        apply_sockopts(conn, &a->opts);
        live_add(app, conn);
        struct live_conn *live = live_find(app, conn);
        if (live)
            live->connecting = true;
        break;
    }
    default: {
        struct tcp_conn *named = named_conn(app, a->conn);
        struct live_conn *live = named ? live_find(app, named) : NULL;
        if (!live) {
            struct ended_conn *ended = named_ended(app, a->conn);
            record_call(w, a->host, ended ? ended->conn_id : 0, call, call_on_ended(ended, call));
            break;
        }
        uint64_t conn_id = live->conn_id; /* live may be gone once the call returns */
        bool blocked = false; /* a send waiting for buffer is recorded when written */
        error = call_on_conn(w, app, a, live, &blocked);
        if (!blocked)
            note(w, a->host, call, conn_id, error);
        break;
    }
    }
}

/* ---- workloads ---- */

static void on_arrival(struct sim *sim, void *context, void *argument)
{
    struct workload_run *wl = context;
    struct world *w = wl->world;
    const struct scenario_workload *spec = wl->spec;
    (void)argument;
    enum tcp_error error = TCP_OK;
    struct tcp_conn *conn = tcp_connect(w->app[spec->client].tcp, 0, 0,
                                        w->scenario->hosts[spec->server].config.addr, spec->port,
                                        &error);
    if (!conn && error == TCP_ERR_NO_MEMORY)
        world_out_of_memory(w);
    if (!conn || !workload_conn_new(w, wl, conn))
        wl->failed_to_start++;
    if (++wl->started >= spec->count)
        return;
    sim_time gap = spec->interval;
    if (spec->arrivals == ARRIVALS_POISSON) {
        struct distribution exp = {DIST_EXPONENTIAL, (double)spec->interval, 0};
        gap = (sim_time)dist_sample(&exp, wl->arrivals);
    }
    sim_schedule(sim, gap, on_arrival, wl, NULL);
}

static void on_workload_start(struct sim *sim, void *context, void *argument)
{
    struct workload_run *wl = context;
    struct world *w = wl->world;
    enum tcp_error error = TCP_OK;
    (void)argument;
    struct tcp_conn *listener = tcp_listen(w->app[wl->spec->server].tcp, wl->spec->port, 0, &error);
    if (listener)
        tcp_conn_set_app_data(listener, wl);
    if (wl->spec->count > 0)
        on_arrival(sim, wl, NULL);
}

/* ---- expectations ---- */

static void on_count_snapshot(struct sim *sim, void *context, void *argument)
{
    struct count_snapshot *snap = context;
    struct world *w = snap->world;
    const struct scenario_expect *e = &w->scenario->expects[snap->expect_index];
    (void)sim;
    (void)argument;
    w->snapshot[snap->expect_index] = (double)w->recorder.host[e->host].in_state[e->state];
}

static double counter_value(struct world *w, size_t index)
{
    const struct scenario_expect *e = &w->scenario->expects[index];
    const struct host_record *hr = &w->recorder.host[e->host];
    switch (e->counter) {
    case COUNT_SEGMENTS_SENT: return (double)hr->segments_sent;
    case COUNT_RETRANSMISSIONS: return (double)hr->retransmissions;
    case COUNT_SEGMENTS_LOST: return (double)hr->lost;
    case COUNT_CONNECTIONS: return (double)hr->connections;
    case COUNT_ESTABLISHED: return (double)hr->established;
    case COUNT_RESETS_SENT: return (double)hr->resets_sent;
    case COUNT_BYTES_RECEIVED: return (double)hr->bytes_received;
    case COUNT_IN_STATE:
        return e->at >= 0 ? w->snapshot[index] : (double)hr->in_state[e->state];
    }
    return 0;
}

static bool compare(enum expect_op op, double actual, double expected, double tolerance)
{
    switch (op) {
    case OP_EQ: return actual >= expected - tolerance && actual <= expected + tolerance;
    case OP_NE: return actual != expected;
    case OP_LT: return actual < expected;
    case OP_LE: return actual <= expected;
    case OP_GT: return actual > expected;
    case OP_GE: return actual >= expected;
    }
    return false;
}

static const struct recorded_conn *expected_conn(struct world *w, const struct scenario_expect *e)
{
    const struct host_record *hr = &w->recorder.host[e->host];
    size_t n = e->conn ? e->conn : 1;
    return n <= hr->conn_count ? &hr->conns[n - 1] : NULL;
}

static void append(char *buf, size_t size, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 < size)
        snprintf(buf + used, size - used, "%s", text);
}

static void states_text(int first, const struct recorded_step *steps, size_t step_count,
                        const enum tcp_state *path, char *buf, size_t size)
{
    append(buf, size, tcp_state_name(first));
    for (size_t i = 0; i < step_count; i++) {
        append(buf, size, " ");
        append(buf, size, tcp_state_name(steps ? steps[i].state : path[i]));
    }
}

static void path_text(const struct recorded_conn *rc, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!rc)
        append(buf, size, "(no such connection)");
    else
        states_text(rc->first_state, rc->steps, rc->step_count, NULL, buf, size);
}

void world_path_format(const struct world_conn_side *side, char *buf, size_t size)
{
    buf[0] = '\0';
    if (side->path_length > 0)
        states_text(side->path[0], NULL, side->path_length - 1, side->path + 1, buf, size);
}

static void sent_text(const struct sent_segment *s, const struct scenario_expect *e, char *buf, size_t size)
{
    char flags[32], wanted[96] = "";
    if (e->sends.seq.given && s->tcb && s->seq != s->want_seq)
        snprintf(wanted, sizeof wanted, "; seq= wanted %" PRIu32, s->want_seq);
    if (e->sends.ack.given && s->tcb && s->ack != s->want_ack)
        snprintf(wanted + strlen(wanted), sizeof wanted - strlen(wanted), "; ack= wanted %" PRIu32, s->want_ack);
    if ((e->sends.seq.given || e->sends.ack.given) && !s->tcb)
        snprintf(wanted, sizeof wanted, "; no TCB to read %s from", e->sends.seq.given ? "seq=" : "ack=");
    snprintf(buf, size, "%s seq=%" PRIu32 " ack=%" PRIu32 " len=%" PRIu32 " at %.6fs%s",
             segment_flags_string(s->flags, flags), s->seq, s->ack, s->len, (double)s->t / 1e9, wanted);
}

static bool sends_outcome(const struct scenario_expect *e, const struct sends_watch *wch, char *detail,
                          size_t size)
{
    char sent[256];
    if (wch->have_nearest)
        sent_text(&wch->nearest, e, sent, sizeof sent);
    if (e->kind == EXPECT_SENDS_NO) {
        snprintf(detail, size, wch->done ? "sent %s" : "none sent", wch->done ? sent : "");
        return !wch->done;
    }
    if (wch->done)
        snprintf(detail, size, "sent %s", sent);
    else if (wch->have_nearest)
        snprintf(detail, size, "not sent; nearest sent instead: %s", sent);
    else
        snprintf(detail, size, "not sent; the host sent nothing that could match");
    return wch->done;
}

/* expect HOST CALL result=R [conn=N]: some such call had result R; the
 * detail lists the results the calls had. */
static bool check_call(struct world *w, const struct scenario_expect *e, char *detail, size_t size)
{
    const struct recorded_conn *rc = e->conn ? expected_conn(w, e) : NULL;
    const struct recorder *rec = &w->recorder;
    bool found = false;
    char seen[512] = "";
    for (size_t i = 0; i < rec->call_count; i++) {
        const struct recorded_call *c = &rec->calls[i];
        if (c->host != e->host || c->call != e->call || (e->conn && (!rc || c->conn_id != rc->conn_id)))
            continue;
        found |= c->result == e->result;
        append(seen, sizeof seen, seen[0] ? ", " : "");
        append(seen, sizeof seen, tcp_call_result_name(c->result));
    }
    snprintf(detail, size, "expected %s, actual %s", tcp_call_result_name(e->result),
             seen[0] ? seen : "no such call");
    return found;
}

static bool check_expectation(struct world *w, size_t index, char *detail, size_t size)
{
    const struct scenario_expect *e = &w->scenario->expects[index];
    const struct recorded_conn *rc;
    char actual[1024];

    switch (e->kind) {
    case EXPECT_PATH: {
        rc = expected_conn(w, e);
        bool same = rc && rc->step_count + 1 == (uint32_t)e->state_count &&
                    rc->first_state == e->states[0];
        for (int i = 1; same && i < e->state_count; i++)
            same = rc->steps[i - 1].state == e->states[i];
        path_text(rc, actual, sizeof actual);
        snprintf(detail, size, "actual path: %s", actual);
        return same;
    }
    case EXPECT_STATE_AT: {
        rc = expected_conn(w, e);
        int state = rc ? recorded_state_at(rc, e->at) : TCP_CLOSED;
        snprintf(detail, size, "expected %s, actual %s", tcp_state_name(e->state),
                 tcp_state_name(state));
        return state == e->state;
    }
    case EXPECT_COUNT: {
        double value = counter_value(w, index);
        snprintf(detail, size, "expected %g, actual %g", e->value, value);
        return compare(e->op, value, e->value, e->tolerance);
    }
    case EXPECT_SENDS:
    case EXPECT_SENDS_NO:
        return sends_outcome(e, &w->recorder.watch[index], detail, size);
    case EXPECT_CALL:
        return check_call(w, e, detail, size);
    }
    return false;
}

/* ---- the results ---- */

static sim_time time_of_state(const struct recorded_conn *rc, int state)
{
    for (uint32_t i = 0; i < rc->step_count; i++)
        if (rc->steps[i].state == state)
            return rc->steps[i].t;
    return -1;
}

static int side_fill(struct world_conn_side *side, const struct recorded_conn *rc)
{
    side->path = malloc((rc->step_count + 1) * sizeof *side->path);
    if (!side->path)
        return -1;
    side->present = true;
    side->path_length = rc->step_count + 1;
    side->path[0] = rc->first_state;
    for (uint32_t i = 0; i < rc->step_count; i++)
        side->path[i + 1] = rc->steps[i].state;
    side->segments_sent = rc->segments_sent;
    side->retransmissions = rc->retransmissions;
    side->lost = rc->lost;
    return 0;
}

/* The active side of a recorded connection and its peer's records. */
static int connection_fill(struct world *w, int client, const struct recorded_conn *rc,
                           struct world_connection *c)
{
    sim_time opened = rc->step_count ? rc->steps[0].t : 0;
    sim_time established = time_of_state(rc, TCP_ESTABLISHED);
    *c = (struct world_connection){
        .conn_id = rc->conn_id,
        .client = client,
        .client_addr = rc->local_addr,
        .client_port = rc->local_port,
        .handshake_ns = established >= 0 ? established - opened : -1,
    };
    for (int h = 0; h < w->scenario->host_count; h++) {
        const struct recorded_conn *side = h == client ? rc : find_recorded(&w->recorder.host[h], rc->conn_id);
        if (side && side_fill(&c->side[h], side) != 0)
            return -1;
    }
    return 0;
}

/* Each host's first WORLD_LISTED_CONNS connections that it opened actively
 * (a passive side is listed with its active peer). */
static void list_connections(struct world *w, struct world_report *r)
{
    const struct scenario *sc = w->scenario;
    r->listed = calloc((size_t)sc->host_count * WORLD_LISTED_CONNS + 1, sizeof *r->listed);
    if (!r->listed)
        return;
    for (int h = 0; h < sc->host_count; h++) {
        const struct host_record *hr = &w->recorder.host[h];
        for (size_t i = 0; i < hr->conn_count && i < WORLD_LISTED_CONNS; i++) {
            if (hr->conns[i].first_state != TCP_CLOSED)
                continue;
            if (connection_fill(w, h, &hr->conns[i], &r->listed[r->listed_count++]) != 0)
                return;
        }
    }
}

/* Checks every expectation once: the counts, the trace records and, with
 * details, the report's list. */
static void check_expectations(struct world *w, size_t count, struct trace *trace, struct world_report *r)
{
    if (w->details && count > 0)
        r->expectations = calloc(count, sizeof *r->expectations);
    for (size_t i = 0; i < count; i++) {
        char detail[WORLD_DETAIL_MAX];
        bool passed = check_expectation(w, i, detail, sizeof detail);
        if (passed)
            r->expectations_passed++;
        else
            r->expectations_failed++;
        if (r->expectations) {
            struct world_expectation *e = &r->expectations[r->expectation_count++];
            e->text = w->scenario->expects[i].text;
            e->passed = passed;
            snprintf(e->detail, sizeof e->detail, "%s", detail);
        }
        struct trace_expectation exp = {w->scenario->expects[i].text, passed, detail};
        trace_expectation(trace, &exp);
    }
}

size_t world_connection_footprint(void)
{
    return tcp_connection_footprint() + sizeof(struct workload_conn);
}

static uint64_t add_saturating(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* One workload's connections alive at once: a rough bound, not a
 * simulation. A connection lives from its start through the server's close
 * (never, or a delay) and the longer TIME_WAIT; the handshake and the
 * round trips of the close are left out, which errs low by a few RTTs. */
static uint64_t workload_live(const struct scenario *sc, const struct scenario_workload *wl)
{
    if (wl->server_close == SERVER_CLOSE_NEVER || wl->interval <= 0)
        return wl->count;
    sim_time lifetime = 0;
    for (int h = 0; h < sc->host_count; h++)
        if (sc->hosts[h].config.profile.time_wait > lifetime)
            lifetime = sc->hosts[h].config.profile.time_wait;
    if (wl->server_close == SERVER_CLOSE_AFTER_DELAY)
        lifetime = wl->server_close_delay > SIM_TIME_MAX - lifetime ? SIM_TIME_MAX
                                                                   : lifetime + wl->server_close_delay;
    uint64_t live = (uint64_t)(lifetime / wl->interval) + 1;
    return live < wl->count ? live : wl->count;
}

uint64_t world_projected_live_connections(const struct scenario *sc)
{
    uint64_t live = 0;
    for (size_t i = 0; i < sc->workload_count; i++)
        live = add_saturating(live, workload_live(sc, &sc->workloads[i]));
    return live;
}

void world_report_free(struct world_report *report)
{
    for (size_t i = 0; i < report->listed_count; i++)
        for (int h = 0; h < SCENARIO_HOSTS; h++)
            free(report->listed[i].side[h].path);
    free(report->listed);
    free(report->expectations);
    free(report->notes);
    report->listed = NULL;
    report->expectations = NULL;
    report->notes = NULL;
    report->listed_count = report->expectation_count = report->note_count = 0;
}

/* ---- building and running ---- */

static void deliver_to_host(void *context, const struct segment *seg)
{
    struct host_app *app = context;
    tcp_on_segment(app->tcp, seg);
}

static void output_to_link(void *context, struct segment *seg)
{
    struct host_app *app = context;
    link_transmit(app->world->link, app->index, seg);
}

struct link *world_link_create(const struct scenario *sc, struct sim *sim, uint64_t seed,
                               struct trace *trace)
{
    struct link_config config = {.fault = fault_create()};
    if (!config.fault)
        return NULL;
    for (size_t i = 0; i < sc->drop_count; i++)
        if (fault_add_rule(config.fault, &sc->drops[i].rule) != 0) {
            fault_destroy(config.fault);
            return NULL;
        }
    for (int d = 0; d < SCENARIO_HOSTS; d++)
        config.direction[d] = sc->link[d];
    return link_create(sim, &config, seed, trace); /* the link owns the fault, also on failure */
}

/* Settings only the kernel backend can run: refused here, by name. */
static int refuse_kernel_only(const struct scenario *sc, char *error, size_t size)
{
    for (int h = 0; h < sc->host_count; h++)
        if (sc->hosts[h].config.profile.congestion == TCP_CC_BBR) {
            snprintf(error, size, "%s.congestion=bbr: the simulator has no model of BBR (its "
                     "start-up paces the first window); use reno or cubic, or run it on the "
                     "kernel with `tcpsim kernel`", sc->hosts[h].name);
            return -1;
        }
    return 0;
}

/* The bytes applications send: byte i is (i * 131 + 7) mod 256, which
 * repeats every 256 bytes, so one period is computed and then copied
 * (a byte-by-byte loop cost 260 000 instructions of every run's start). */
static void fill_send_pattern(uint8_t *pattern, size_t size)
{
    size_t filled = size < 256 ? size : 256;
    for (size_t i = 0; i < filled; i++)
        pattern[i] = (uint8_t)(i * 131 + 7);
    while (filled < size) {
        size_t n = filled < size - filled ? filled : size - filled;
        memcpy(pattern + filled, pattern, n);
        filled += n;
    }
}

static int world_build(struct world *w, const struct scenario *sc, uint64_t seed, char *error,
                       size_t size)
{
    if (refuse_kernel_only(sc, error, size) != 0)
        return -1;
    w->sim = sim_create();
    w->network = w->sim ? tcp_network_create(w->sim, w->trace) : NULL;
    if (!w->network)
        goto out_of_memory;

    w->link = world_link_create(sc, w->sim, seed, w->trace);
    if (!w->link)
        goto out_of_memory;

    for (int h = 0; h < sc->host_count; h++) {
        struct host_app *app = &w->app[h];
        char stream[SCENARIO_NAME_MAX + 8];
        app->world = w;
        app->index = h;
        snprintf(stream, sizeof stream, "isn %s", sc->hosts[h].name);
        app->isn_rng = rng_create(seed, stream);
        app->tcp = app->isn_rng ? tcp_host_create(w->network, &sc->hosts[h].config, app->isn_rng,
                                                  output_to_link, app, &app_ops, app)
                                : NULL;
        if (!app->tcp)
            goto out_of_memory;
        link_attach(w->link, h, sc->hosts[h].name, deliver_to_host, app);
    }

    w->send_pattern_size = 65536;
    w->send_pattern = malloc(w->send_pattern_size);
    w->workloads = calloc(sc->workload_count + 1, sizeof *w->workloads);
    w->snapshot = calloc(sc->expect_count + 1, sizeof *w->snapshot);
    w->snapshot_events = calloc(sc->expect_count + 1, sizeof *w->snapshot_events);
    if (!w->send_pattern || !w->workloads || !w->snapshot || !w->snapshot_events)
        goto out_of_memory;
    fill_send_pattern(w->send_pattern, w->send_pattern_size);
    return 0;

out_of_memory:
    snprintf(error, size, "out of memory building the simulation");
    return -1;
}

static void world_schedule(struct world *w, uint64_t seed)
{
    const struct scenario *sc = w->scenario;
    for (size_t i = 0; i < sc->action_count; i++)
        sim_schedule_at(w->sim, sc->actions[i].at, on_action, w, &sc->actions[i]);
    for (size_t i = 0; i < sc->workload_count; i++) {
        struct workload_run *wl = &w->workloads[i];
        char stream[64];
        wl->world = w;
        wl->spec = &sc->workloads[i];
        snprintf(stream, sizeof stream, "workload %zu arrivals", i + 1);
        wl->arrivals = rng_create(seed, stream);
        sim_schedule_at(w->sim, wl->spec->start, on_workload_start, wl, NULL);
    }
    for (size_t i = 0; i < sc->expect_count; i++) {
        const struct scenario_expect *e = &sc->expects[i];
        if (e->kind == EXPECT_COUNT && e->counter == COUNT_IN_STATE && e->at >= 0) {
            w->snapshot_events[i] = (struct count_snapshot){w, i};
            sim_schedule_at(w->sim, e->at, on_count_snapshot, &w->snapshot_events[i], NULL);
        }
    }
}

static void world_free(struct world *w)
{
    for (size_t i = 0; w->workloads && i < w->scenario->workload_count; i++)
        if (w->workloads[i].arrivals)
            rng_destroy(w->workloads[i].arrivals);
    for (int h = 0; h < w->scenario->host_count; h++) {
        if (w->app[h].tcp)
            tcp_host_destroy(w->app[h].tcp);
        if (w->app[h].isn_rng)
            rng_destroy(w->app[h].isn_rng);
        free(w->app[h].live);
        free(w->app[h].listeners);
        free(w->app[h].ended);
    }
    if (w->network)
        tcp_network_destroy(w->network);
    if (w->link)
        link_destroy(w->link);
    if (w->sim)
        sim_destroy(w->sim);
    recorder_free(&w->recorder);
    for (size_t i = 0; i < w->conn_pool.chunk_count; i++)
        free(w->conn_pool.chunks[i]);
    free(w->conn_pool.chunks);
    free(w->workloads);
    free(w->snapshot);
    free(w->snapshot_events);
    free(w->send_pattern);
}

static double wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_run_info(const struct scenario *sc, uint64_t seed, uint32_t rep,
                          struct trace_param *params, struct trace_run_info *info)
{
    for (size_t i = 0; i < sc->param_count; i++)
        params[i] = (struct trace_param){sc->params[i].key, sc->params[i].value};
    *info = (struct trace_run_info){
        .scenario = sc->name,
        .scenario_sha256 = sc->sha256,
        .seed = seed,
        .rep = rep,
        .params = params,
        .param_count = sc->param_count,
    };
}

/* The end of a run, whichever backend made it: the counters of the
 * report, the expectations checked once against the recorder (and reported
 * to the trace), and with details the connections' paths. The caller has
 * set sim_end_ns and events; the CLI prints the report. */
static void world_conclude(struct world *w, bool skip_expectations, struct trace *observed,
                           struct world_report *report)
{
    const struct scenario *sc = w->scenario;
    report->connections = w->recorder.host[0].connections;
    report->established = w->recorder.host[0].established;
    report->segments = w->recorder.segments;
    report->retransmissions = w->recorder.retransmissions;
    report->lost = w->recorder.lost;
    report->until_ns = sc->run.until;
    for (int h = 0; h < sc->host_count; h++)
        for (int state = 0; state < TCP_STATE_COUNT; state++)
            if (state != TCP_LISTEN && state != TCP_CLOSED && w->recorder.host[h].in_state[state] > 0)
                report->open_at_until += (uint64_t)w->recorder.host[h].in_state[state];
    check_expectations(w, skip_expectations ? 0 : sc->expect_count, observed, report);
    report->status = report->expectations_failed ? "failed" : "ok";
    if (w->recorder.out_of_memory || (w->sim && sim_out_of_memory(w->sim))) {
        report->status = "failed";
        snprintf(report->error, sizeof report->error,
                 "out of memory at %.3f s simulated: the run stopped there, its results are "
                 "incomplete", (double)report->sim_end_ns / SIM_S);
    }
    if (w->sim && sim_memory_limit_reached(w->sim) && !report->error[0]) {
        report->status = "failed";
        report->memory_limit_reached = true;
        snprintf(report->error, sizeof report->error,
                 "the memory limit of %" PRIu64 " MiB was reached at %.3f s simulated, with %" PRIu64
                 " connections open: the run stopped there, its results are incomplete",
                 sim_memory_limit(w->sim) >> 20, (double)report->sim_end_ns / SIM_S,
                 report->open_at_until);
    }
    if (w->details)
        list_connections(w, report); /* out of memory cuts the list short */
}

int world_run(const struct scenario *sc, const struct world_options *options, struct trace *trace,
              struct world_report *report)
{
    struct world w = {.scenario = sc, .report = report, .details = options->details,
                      .keep_notes = options->details || options->notes};
    struct trace_param *params = calloc(sc->param_count + 1, sizeof *params);
    struct trace_run_info info;
    struct trace_sink *failed = NULL;
    uint64_t seed = options->seed;
    double started = wall_clock();

    memset(report, 0, sizeof *report);
    report->status = "error";
    /* The simulation reports to the caller's sinks and to the recorder. */
    struct trace observed = *trace;
    w.trace = &observed;
    if (!params || recorder_init(&w.recorder, sc, records_needed(sc, options->details)) != 0 ||
        trace_add_sink(&observed, &w.recorder.sink) != 0 ||
        world_build(&w, sc, seed, report->error, sizeof report->error) != 0) {
        if (!report->error[0])
            snprintf(report->error, sizeof report->error, "out of memory or too many trace sinks");
        world_free(&w);
        free(params);
        return -1;
    }
    w.recorder.world = &w;   /* `expect HOST sends` reads the sender's TCB */
    fill_run_info(sc, seed, options->rep, params, &info);
    if (trace_run_start(&observed, &info, &failed) != 0) {
        snprintf(report->error, sizeof report->error, "%s", failed ? failed->error : "cannot start run");
        world_free(&w);
        free(params);
        return -1;
    }
    world_schedule(&w, seed);
    sim_set_event_limit(w.sim, options->max_events);
    sim_set_memory_limit(w.sim, options->max_memory);
    sim_run(w.sim, sc->run.until);
    tcp_network_finish(w.network);

    /* The run ends when nothing is left to happen, or at `run until`. */
    report->sim_end_ns = sim_pending_count(w.sim) ? sim_now(w.sim) : sim_last_event_time(w.sim);
    report->events = sim_events_executed(w.sim);
    world_conclude(&w, options->skip_expectations, &observed, report);
    if (sim_event_limit_reached(w.sim) && !report->error[0]) {
        report->status = "failed";
        snprintf(report->error, sizeof report->error,
                 "stopped by the cap of %" PRIu64 " events at %.3f s simulated: its results are "
                 "incomplete", options->max_events, (double)report->sim_end_ns / SIM_S);
    }
    report->wall_s = wall_clock() - started;
    for (int h = 0; h < sc->host_count; h++)
        report->unlisted_transitions += tcp_host_stats(w.app[h].tcp)->unlisted_transitions;

    struct trace_run_result result = {report->status, report->sim_end_ns, report->events,
                                      report->wall_s, sc->run.until};
    int status = 0;
    if (trace_run_end(&observed, &result, &failed) != 0) {
        snprintf(report->error, sizeof report->error, "%s", failed ? failed->error : "cannot record run");
        report->status = "error";
        status = -1;
    }
    world_free(&w);
    free(params);
    return status;
}

/* ---- an observer of a run made elsewhere (the kernel backend) ---- */

/* A world with no engine, link or TCP: its recorder watches the other
 * backend's trace, and world_conclude checks the same expectations. */
struct world_observer {
    struct world world;
    bool *snapshot_taken;
};

struct world_observer *world_observer_create(const struct scenario *sc, bool details)
{
    struct world_observer *obs = calloc(1, sizeof *obs);
    if (!obs)
        return NULL;
    obs->world.scenario = sc;
    obs->world.details = details;
    obs->world.snapshot = calloc(sc->expect_count + 1, sizeof *obs->world.snapshot);
    obs->snapshot_taken = calloc(sc->expect_count + 1, sizeof *obs->snapshot_taken);
    if (!obs->world.snapshot || !obs->snapshot_taken ||
        recorder_init(&obs->world.recorder, sc, records_needed(sc, details)) != 0) {
        world_observer_destroy(obs);
        return NULL;
    }
    return obs;
}

struct trace_sink *world_observer_sink(struct world_observer *obs)
{
    return &obs->world.recorder.sink;
}

void world_observer_advance(struct world_observer *obs, sim_time now)
{
    const struct scenario *sc = obs->world.scenario;
    for (size_t i = 0; i < sc->expect_count; i++) {
        const struct scenario_expect *e = &sc->expects[i];
        if (e->kind == EXPECT_COUNT && e->counter == COUNT_IN_STATE && e->at >= 0 &&
            e->at <= now && !obs->snapshot_taken[i]) {
            struct count_snapshot snap = {&obs->world, i};
            on_count_snapshot(NULL, &snap, NULL);
            obs->snapshot_taken[i] = true;
        }
    }
}

void world_observer_add_bytes_received(struct world_observer *obs, int host, uint64_t bytes)
{
    obs->world.recorder.host[host].bytes_received += bytes;
}

void world_observer_conclude(struct world_observer *obs, bool skip_expectations,
                             struct trace *trace, struct world_report *report)
{
    obs->world.report = report;
    world_conclude(&obs->world, skip_expectations, trace, report);
}

void world_observer_destroy(struct world_observer *obs)
{
    if (!obs)
        return;
    world_free(&obs->world);
    free(obs->snapshot_taken);
    free(obs);
}
