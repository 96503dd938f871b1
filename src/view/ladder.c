/*
 * ladder.c: the ladder diagram of `tcpsim ladder` and `tcpsim run --ladder`.
 *
 * Four steps. (1) Load one run's transitions and segments (one connection,
 * or all) as typed records (results.h). (2) Merge them into events in the
 * timeline view's order: by time, then by position in the run's record
 * stream, an arrival right after its own send. (3) Lay the events out as
 * rows: one row per event, a transition on its triggering arrival's row,
 * spacer rows in proportion to the time between events while segments are
 * in flight (so an arrow's slope shows its delay: a segment of the run's
 * typical delay climbs ARROW_STEPS rows), and one marked break row for a
 * long idle gap. (4) Draw lifelines, arrows and text into a window of
 * cells and print it, a window at a time so memory stays bounded.
 *
 * Arrow geometry, left to right over rows r0..r1 (m = r1 - r0 rows after
 * the send row): the send row holds a short stub "├─╮" and the label; row
 * r0+k covers the columns from a + (b-a)(k-1)/m to a + (b-a)k/m, joined by
 * corners, and the last row ends in the arrowhead (or the cross of a lost
 * segment, which aims at the middle of the gap).
 */
#include "ladder.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "explain.h"
#include "results.h"

enum {
    ARROW_STEPS = 3,       /* rows a segment of typical delay climbs after its send row */
    MAX_BUSY_SPACERS = 8,  /* spacer rows at most between two events while segments fly */
    MAX_IDLE_SPACERS = 3,  /* a longer idle gap becomes one break row */
    MIN_GAP = 24,          /* columns between the lifelines at least */
    TEXT_SLACK = 96,       /* columns past the width an overlong label may use */
    WINDOW_ROWS = 256,     /* rows drawn at a time */
    LABEL_LEN = 48,
    ENDPOINT_LEN = 48,
    NAME_LEN = 64,
};
#define DEFAULT_DELAY_NS (100 * SIM_MS) /* when no segment arrived at all */

enum side { LEFT = 0, RIGHT = 1 };

/* ---- options ---- */

static int parse_positive(const char *arg, int64_t max, int64_t *out)
{
    char *end;
    if (!arg || !*arg || *arg == '-')
        return -1;
    long long v = strtoll(arg, &end, 10);
    if (*end || v <= 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

int ladder_set_option(struct ladder_options *o, int code, const char *arg, char *err,
                      size_t errlen)
{
    int64_t v;
    switch (code) {
    case LADDER_OPT_RUN:
        if (parse_positive(arg, INT64_MAX, &v) != 0)
            goto bad;
        o->run_id = v;
        return 0;
    case LADDER_OPT_CONN:
        if (arg && strcmp(arg, "all") == 0)
            v = LADDER_ALL_CONNECTIONS;
        else if (parse_positive(arg, INT64_MAX, &v) != 0)
            goto bad;
        o->conn_id = v;
        return 0;
    case LADDER_OPT_RELATIVE: o->relative = true; return 0;
    case LADDER_OPT_ASCII: o->ascii = true; return 0;
    case LADDER_OPT_EXPLAIN: o->explain = true; return 0;
    case LADDER_OPT_WIDTH:
        if (parse_positive(arg, LADDER_MAX_WIDTH, &v) != 0 || v < LADDER_MIN_WIDTH) {
            snprintf(err, errlen, "--width: '%s' is not a number of columns from %d to %d",
                     arg ? arg : "", LADDER_MIN_WIDTH, LADDER_MAX_WIDTH);
            return -1;
        }
        o->width = (int)v;
        return 0;
    case LADDER_OPT_COLOR:
        if (!arg || strcmp(arg, "always") == 0)
            o->color = LADDER_COLOR_ALWAYS;
        else if (strcmp(arg, "never") == 0)
            o->color = LADDER_COLOR_NEVER;
        else if (strcmp(arg, "auto") == 0)
            o->color = LADDER_COLOR_AUTO;
        else {
            snprintf(err, errlen, "--color: '%s' is not auto, always or never", arg);
            return -1;
        }
        return 0;
    default:
        snprintf(err, errlen, "unknown ladder option");
        return -1;
    }
bad:
    snprintf(err, errlen, "%s: '%s' is not a positive integer%s",
             code == LADDER_OPT_RUN ? "--run" : "--conn", arg ? arg : "",
             code == LADDER_OPT_CONN ? " or 'all'" : "");
    return -1;
}

void ladder_options_help(FILE *out, bool run_option)
{
    if (run_option)
        fprintf(out,
                "      --run ID           the run to draw (default: the latest in the database)\n");
    fprintf(out,
            "      --conn ID|all      the connection to draw (default 1); 'all' draws every\n"
            "                         connection of the run, states marked #ID\n"
            "      --relative         sequence numbers from each side's ISN (x = 0, y = 0), as\n"
            "                         Wireshark shows them; absolute by default\n"
            "      --explain          under each state change, why, in RFC 9293's terms\n"
            "      --ascii            plain ASCII instead of Unicode box drawing\n"
            "      --width N          columns (default: the terminal's width, else $COLUMNS,\n"
            "                         else 80)\n"
            "      --color[=WHEN]     colour: auto (only on a terminal; the default), always,\n"
            "                         never\n");
}

static int terminal_width(FILE *out)
{
    struct winsize ws;
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *columns = getenv("COLUMNS");
    int64_t v;
    if (columns && parse_positive(columns, LADDER_MAX_WIDTH, &v) == 0)
        return (int)v;
    return 80;
}

void ladder_resolve_output(struct ladder_options *o, FILE *out)
{
    if (o->width == 0) {
        int w = terminal_width(out);
        o->width = w < LADDER_MIN_WIDTH ? LADDER_MIN_WIDTH : w;
    }
    if (o->color == LADDER_COLOR_AUTO) {
        const char *no_color = getenv("NO_COLOR");
        bool tty = isatty(fileno(out));
        o->color = tty && !(no_color && *no_color) ? LADDER_COLOR_ALWAYS : LADDER_COLOR_NEVER;
    }
}

/* ---- the model: one run as the database has it ---- */

struct lconn {
    int64_t conn_id;
    char host[2][NAME_LEN];       /* [client, server] as recorded */
    char endpoint[2][ENDPOINT_LEN];
    uint32_t addr[2];
    uint16_t port[2];
    int64_t isn[2];               /* -1: never chosen */
};

struct ltrans {
    int64_t seq, conn_id, seg_id; /* conn_id 0: the listener; seg_id 0: none */
    sim_time t;
    int side;
    enum tcp_state from, to;
    enum tcp_cause cause;
};

/* A call that failed: a note line beside its host's lifeline (calls that
 * succeeded are not drawn, so a run without failures draws as before). */
struct lcall {
    int64_t seq, conn_id;
    sim_time t;
    int side;
    enum tcp_call call;
    enum tcp_call_result result;
};

struct lseg {
    int64_t seg_id, conn_id, trace_seq;
    int side;                     /* the sender's */
    sim_time sent, arrived;       /* arrived -1: never */
    uint8_t flags;
    enum segment_fate fate;
    uint32_t seq, ack, len, wnd;
    bool rexmit;
    bool folded;                  /* --compact: delivered in a burst, drawn by its lead */
    long start_row, end_row;      /* laid out; -1 until then */
};

struct view {
    int64_t run_id, conn_id;      /* conn_id LADDER_ALL_CONNECTIONS or 0: everything */
    sim_time from, to;            /* the window (to -1: no end) */
    enum tcp_state state_at_from[2]; /* each side's state when the window opens */
    bool has_state_at_from[2];
    int64_t conn_count;
    char scenario[sizeof ((struct results_run *)0)->scenario], status[16];
    uint64_t seed;
    int64_t rep;
    sim_time sim_end;
    char host[2][NAME_LEN];
    char endpoint[2][ENDPOINT_LEN];
    char settings[512];           /* "--set k=v k=v": what the run changed from its file */
    struct lconn *conns;
    size_t nconns, capconns;
    struct ltrans *trans;
    size_t ntrans, captrans;
    struct lseg *segs;
    size_t nsegs, capsegs;
    struct lcall *calls;
    size_t ncalls, capcalls;
    bool oom;
};

/* Room for one more element: returns the array, moved if it had to grow,
 * or NULL (the old array untouched) when memory ran out. */
static void *grow(void *array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return array;
    size_t n = *cap ? *cap * 2 : 64;
    void *p = realloc(array, n * size);
    if (p)
        *cap = n;
    return p;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* A cause as the ladder writes it: "" for none. */
static const char *cause_text(enum tcp_cause cause)
{
    const char *name = tcp_cause_name(cause);
    return name ? name : "";
}

/* Which lifeline a host is on: the first connection's client on the left. */
static int side_of(struct view *v, const char *host)
{
    if (!host)
        return RIGHT;
    if (!v->host[LEFT][0])
        copy_text(v->host[LEFT], NAME_LEN, host);
    if (strcmp(host, v->host[LEFT]) == 0)
        return LEFT;
    if (!v->host[RIGHT][0])
        copy_text(v->host[RIGHT], NAME_LEN, host);
    return RIGHT;
}

static int take_conn(void *context, const struct trace_connection *tc)
{
    struct view *v = context;
    struct lconn *conns = grow(v->conns, &v->capconns, v->nconns, sizeof *conns);
    if (!conns) {
        v->oom = true;
        return 1;
    }
    v->conns = conns;
    struct lconn *c = &v->conns[v->nconns++];
    c->conn_id = (int64_t)tc->conn_id;
    copy_text(c->host[0], NAME_LEN, tc->client);
    copy_text(c->host[1], NAME_LEN, tc->server);
    c->addr[0] = tc->client_addr;
    c->port[0] = tc->client_port;
    c->addr[1] = tc->server_addr;
    c->port[1] = tc->server_port;
    for (int i = 0; i < 2; i++)
        results_endpoint_string(c->addr[i], c->port[i], c->endpoint[i]);
    c->isn[0] = tc->has_client_isn ? (int64_t)tc->client_isn : -1;
    c->isn[1] = tc->has_server_isn ? (int64_t)tc->server_isn : -1;
    return 0;
}

static bool showing_one_connection(const struct view *v)
{
    return v->conn_id > 0;
}

static bool in_window(const struct view *v, sim_time t)
{
    return t >= v->from && (v->to < 0 || t <= v->to);
}

static int take_transition(void *context, const struct results_transition *rt)
{
    struct view *v = context;
    const struct trace_transition *t = &rt->tr;
    /* A listener's transitions belong to no connection: show the server's. */
    if (showing_one_connection(v) && t->conn_id == 0 && strcmp(t->host, v->host[RIGHT]) != 0)
        return 0;
    if (!in_window(v, t->t_ns)) {
        if (t->t_ns < v->from) { /* the state the window opens with */
            int side = side_of(v, t->host);
            v->state_at_from[side] = t->to_state;
            v->has_state_at_from[side] = true;
        }
        return 0;
    }
    struct ltrans *trans = grow(v->trans, &v->captrans, v->ntrans, sizeof *trans);
    if (!trans) {
        v->oom = true;
        return 1;
    }
    v->trans = trans;
    struct ltrans *tr = &v->trans[v->ntrans++];
    tr->seq = rt->record;
    tr->t = t->t_ns;
    tr->side = side_of(v, t->host);
    tr->conn_id = (int64_t)t->conn_id;
    tr->from = t->from_state;
    tr->to = t->to_state;
    tr->cause = t->cause;
    tr->seg_id = (int64_t)t->seg_id;
    return 0;
}

/* A segment of no connection (a RST answering a stray segment) belongs to
 * the connection shown when its endpoints are that connection's. */
static bool segment_in_view(const struct view *v, const struct segment *seg)
{
    if (!showing_one_connection(v) || seg->conn_id != 0)
        return true;
    const struct lconn *c = &v->conns[0];
    for (int from = 0; from < 2; from++)
        if (seg->src_addr == c->addr[from] && seg->src_port == c->port[from] &&
            seg->dst_addr == c->addr[!from] && seg->dst_port == c->port[!from])
            return true;
    return false;
}

static int take_segment(void *context, const struct results_segment *rs)
{
    struct view *v = context;
    if (!segment_in_view(v, &rs->seg) || !in_window(v, rs->sent_ns))
        return 0;
    struct lseg *segs = grow(v->segs, &v->capsegs, v->nsegs, sizeof *segs);
    if (!segs) {
        v->oom = true;
        return 1;
    }
    v->segs = segs;
    struct lseg *s = &v->segs[v->nsegs++];
    s->seg_id = (int64_t)rs->seg.id;
    s->conn_id = (int64_t)rs->seg.conn_id;
    s->side = side_of(v, rs->sender);
    s->sent = rs->sent_ns;
    s->arrived = rs->arrived_ns;
    s->flags = rs->seg.flags;
    s->seq = rs->seg.seq;
    s->ack = rs->seg.ack;
    s->len = rs->seg.len;
    s->wnd = rs->seg.wnd;
    s->fate = rs->fate;
    s->rexmit = rs->seg.retransmission;
    s->trace_seq = rs->record;
    s->start_row = s->end_row = -1;
    s->folded = false;
    return 0;
}

/* Appends " key=value" to the settings (cut with "..." when they are too
 * many for the title). */
static int take_param(void *context, const struct trace_param *param)
{
    struct view *v = context;
    size_t n = strlen(v->settings), size = sizeof v->settings;
    int wrote = snprintf(v->settings + n, size - n, "%s%s=%s", n ? " " : "--set ", param->key,
                         param->value);
    if (wrote < 0 || (size_t)wrote >= size - n) {
        snprintf(v->settings + (n < size - 5 ? n : size - 5), 5, " ...");
        return 1;
    }
    return 0;
}

static int load_run(struct results_db *db, struct view *v, int64_t run_id, char *err,
                    size_t errlen)
{
    int64_t id = run_id;
    struct results_run run;
    if (id == 0 && results_latest_run(db, &id) != 0)
        goto failed;
    if (id == 0) {
        snprintf(err, errlen, "the database holds no runs");
        return -1;
    }
    int found = results_run(db, id, &run);
    if (found < 0)
        goto failed;
    if (found == 0) {
        snprintf(err, errlen, "the database has no run %" PRId64, id);
        return -1;
    }
    v->run_id = id;
    copy_text(v->scenario, sizeof v->scenario, run.scenario);
    copy_text(v->status, sizeof v->status, run.status);
    v->seed = run.seed;
    v->rep = run.rep;
    v->sim_end = run.sim_end_ns;
    v->conn_count = run.connection_count;
    if (results_params(db, id, take_param, v) != 0)
        goto failed;
    return 0;
failed:
    snprintf(err, errlen, "%s", results_error(db));
    return -1;
}

static int load_connections(struct results_db *db, struct view *v, int64_t wanted, char *err,
                            size_t errlen)
{
    v->conn_id = wanted == 0 ? (v->conn_count > 0 ? 1 : 0) : wanted;
    bool one = showing_one_connection(v);
    if (results_connections(db, v->run_id, one ? v->conn_id : 0, take_conn, v) != 0) {
        snprintf(err, errlen, "%s", results_error(db));
        return -1;
    }
    if (one && v->nconns == 0) {
        snprintf(err, errlen, "run %" PRId64 " has no connection %" PRId64 " (it has %" PRId64 ")",
                 v->run_id, v->conn_id, v->conn_count);
        return -1;
    }
    if (v->nconns > 0) {
        const struct lconn *c = &v->conns[0];
        copy_text(v->host[LEFT], NAME_LEN, c->host[0]);
        copy_text(v->host[RIGHT], NAME_LEN, c->host[1]);
        for (int i = 0; i < 2; i++) {
            if (one)
                copy_text(v->endpoint[i], ENDPOINT_LEN, c->endpoint[i]);
            else /* ports differ between connections: the address alone */
                snprintf(v->endpoint[i], ENDPOINT_LEN, "%.*s",
                         (int)strcspn(c->endpoint[i], ":"), c->endpoint[i]);
        }
    }
    return 0;
}

static int take_call(void *context, const struct results_call *rc)
{
    struct view *v = context;
    const struct trace_call *c = &rc->call;
    if (c->result == TCP_RESULT_OK)
        return 0;
    if (showing_one_connection(v) && c->conn_id != 0 && (int64_t)c->conn_id != v->conn_id)
        return 0;
    struct lcall *calls = grow(v->calls, &v->capcalls, v->ncalls, sizeof *calls);
    if (!calls) {
        v->oom = true;
        return 1;
    }
    v->calls = calls;
    v->calls[v->ncalls++] = (struct lcall){rc->record, (int64_t)c->conn_id, c->t_ns,
                                           side_of(v, c->host), c->call, c->result};
    return 0;
}

static int load_records(struct results_db *db, struct view *v, char *err, size_t errlen)
{
    int64_t conn_id = showing_one_connection(v) ? v->conn_id : 0;
    if (results_transitions(db, v->run_id, conn_id, take_transition, v) != 0 ||
        results_segments(db, v->run_id, conn_id, take_segment, v) != 0 ||
        results_calls(db, v->run_id, take_call, v) != 0) {
        snprintf(err, errlen, "%s", results_error(db));
        return -1;
    }
    if (v->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void free_view(struct view *v)
{
    free(v->conns);
    free(v->trans);
    free(v->segs);
    free(v->calls);
}

/* ---- sequence numbers and labels ---- */

static const struct lconn *find_conn(const struct view *v, int64_t conn_id)
{
    if (conn_id == 0 && showing_one_connection(v))
        conn_id = v->conn_id;
    size_t lo = 0, hi = v->nconns; /* conns are sorted by conn_id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->conns[mid].conn_id < conn_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->nconns && v->conns[lo].conn_id == conn_id ? &v->conns[lo] : NULL;
}

/* The number a side's sequence numbers count from under --relative: its
 * ISN, or when it never chose one, the first seq it sent (Wireshark's
 * rule). Returns false when there is none (absolute numbers then). */
static bool relative_base(const struct view *v, const struct lseg *upto, int64_t conn_id,
                          int side, uint32_t *base)
{
    const struct lconn *c = find_conn(v, conn_id);
    if (c) {
        int index = strcmp(c->host[0], v->host[side]) == 0 ? 0 : 1;
        if (c->isn[index] >= 0) {
            *base = (uint32_t)c->isn[index];
            return true;
        }
    }
    for (const struct lseg *s = v->segs; s < upto; s++)
        if (s->conn_id == conn_id && s->side == side) {
            *base = s->seq;
            return true;
        }
    return false;
}

static bool has_ack(const struct lseg *s)
{
    return (s->flags & TCP_FLAG_ACK) != 0;
}

static void segment_label(const struct view *v, const struct lseg *s, bool relative, char *buf,
                          size_t size)
{
    uint32_t seq = s->seq, ack = s->ack, base;
    const struct lseg *upto = s + 1;
    char flags[32];
    if (relative && relative_base(v, upto, s->conn_id, s->side, &base))
        seq -= base;
    if (relative && relative_base(v, upto, s->conn_id, !s->side, &base))
        ack -= base;
    size_t n = 0;
    if (!showing_one_connection(v) && s->conn_id)
        n += (size_t)snprintf(buf + n, size - n, "#%" PRId64 " ", s->conn_id);
    n += (size_t)snprintf(buf + n, size - n, "%s seq=%" PRIu32,
                          segment_flags_string(s->flags, flags), seq);
    if (n < size && has_ack(s))
        n += (size_t)snprintf(buf + n, size - n, " ack=%" PRIu32, ack);
    if (n < size && s->len > 0)
        n += (size_t)snprintf(buf + n, size - n, " len=%" PRIu32, s->len);
    if (n < size)
        snprintf(buf + n, size - n, " win=%" PRIu32, s->wnd);
}

static void state_label(const struct view *v, int64_t conn_id, const char *state, char *buf,
                        size_t size)
{
    if (!showing_one_connection(v) && conn_id)
        snprintf(buf, size, "#%" PRId64 " %s", conn_id, state);
    else
        snprintf(buf, size, "%s", state);
}

static bool never_arrived(const struct lseg *s)
{
    return s->arrived < 0;
}

/* ---- events ---- */

enum event_kind { EV_TRANSITION, EV_SEND, EV_COPY, EV_ARRIVE, EV_LOST, EV_CALL };

struct event {
    sim_time t;
    int64_t order;       /* position in the record stream: 2*seq, 2*trace_seq(+1) */
    enum event_kind kind;
    size_t index;        /* into trans, segs or calls */
};

static int compare_events(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->kind > y->kind) - (x->kind < y->kind);
}

static int compare_times(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;
    return (x > y) - (x < y);
}

/* The median one-way delay of the segments that arrived: the yardstick
 * of the rows' time scale. */
static sim_time typical_delay(const struct view *v)
{
    sim_time *delays = malloc((v->nsegs ? v->nsegs : 1) * sizeof *delays);
    size_t n = 0;
    if (!delays)
        return DEFAULT_DELAY_NS;
    for (size_t i = 0; i < v->nsegs; i++)
        if (!never_arrived(&v->segs[i]))
            delays[n++] = v->segs[i].arrived - v->segs[i].sent;
    sim_time typical = DEFAULT_DELAY_NS;
    if (n > 0) {
        qsort(delays, n, sizeof *delays, compare_times);
        typical = delays[n / 2];
    }
    free(delays);
    return typical;
}

static struct event *build_events(const struct view *v, sim_time lost_span, size_t *count)
{
    size_t n = 0, cap = v->ntrans + 2 * v->nsegs + v->ncalls;
    struct event *ev = malloc((cap ? cap : 1) * sizeof *ev);
    if (!ev)
        return NULL;
    for (size_t i = 0; i < v->ntrans; i++)
        ev[n++] = (struct event){v->trans[i].t, 2 * v->trans[i].seq, EV_TRANSITION, i};
    for (size_t i = 0; i < v->ncalls; i++)
        ev[n++] = (struct event){v->calls[i].t, 2 * v->calls[i].seq, EV_CALL, i};
    for (size_t i = 0; i < v->nsegs; i++) {
        const struct lseg *s = &v->segs[i];
        bool copy = s->fate == FATE_DUPLICATED;
        ev[n++] = (struct event){s->sent, 2 * s->trace_seq, copy ? EV_COPY : EV_SEND, i};
        if (never_arrived(s))
            ev[n++] = (struct event){s->sent + lost_span, 2 * s->trace_seq + 1, EV_LOST, i};
        else
            ev[n++] = (struct event){s->arrived, 2 * s->trace_seq + 1, EV_ARRIVE, i};
    }
    qsort(ev, n, sizeof *ev, compare_events);
    *count = n;
    return ev;
}

/* ---- layout: rows and the text on them ---- */

enum attr { A_PLAIN, A_LEFT, A_RIGHT, A_LOST, A_STATE, A_NOTE, A_REXMIT, A_HOST };

enum row_kind { ROW_EVENT, ROW_SPACER, ROW_LOST, ROW_NOTE, ROW_BREAK, ROW_END };

struct row {
    enum row_kind kind;
    sim_time t;
    char label[2][LABEL_LEN];  /* beside each lifeline: a state, "corrupted" */
    uint8_t label_attr[2];
    bool waiting[2];           /* the host sits in TIME_WAIT: dotted lifeline */
    int arrive_side;           /* the lifeline an arrow reached on this row; -1 none */
    int64_t arrive_seg;
};

struct overlay {
    long row;
    int col;                   /* first column */
    uint8_t attr;
    int width;                 /* columns */
    char *text;                /* UTF-8 */
};

struct geometry {
    int width, time_w, margin[2];
    int left, right, gap;      /* lifeline columns; gap = right - left - 1 */
    int canvas_w;
    int precision;             /* decimals of seconds: 3, 6 or 9 */
};

struct layout {
    const struct ladder_options *o;
    struct view *v;
    struct geometry g;
    sim_time unit;             /* simulated time per row */
    struct row *rows;
    size_t nrows, caprows;
    struct overlay *overlays;
    size_t noverlays, capoverlays;
    int in_flight;
    sim_time last_shown;       /* the time on the latest row that shows one */
    bool waiting[2];
    char state[2][LABEL_LEN];  /* each host's latest state (one connection shown) */
    enum tcp_state current[2]; /* the same as an enum, for --explain */
    const struct lseg *last_arrival[2]; /* the latest segment to reach each host */
    bool oom;
};

/* UTF-8 characters in s (the display width of our texts). */
static int text_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static long new_row(struct layout *l, enum row_kind kind, sim_time t)
{
    struct row *rows = grow(l->rows, &l->caprows, l->nrows, sizeof *rows);
    if (!rows) {
        l->oom = true;
        return -1;
    }
    l->rows = rows;
    struct row *r = &l->rows[l->nrows];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->t = t;
    r->arrive_side = -1;
    r->waiting[LEFT] = l->waiting[LEFT];
    r->waiting[RIGHT] = l->waiting[RIGHT];
    if (kind == ROW_EVENT || kind == ROW_END)
        l->last_shown = t;
    return (long)l->nrows++;
}

/* Text at a row: starting at col, or ending at col when right-aligned. */
static void add_text(struct layout *l, long row, int col, bool align_right, const char *text,
                     uint8_t attr)
{
    if (row < 0 || !*text)
        return;
    struct overlay *overlays = grow(l->overlays, &l->capoverlays, l->noverlays, sizeof *overlays);
    if (!overlays) {
        l->oom = true;
        return;
    }
    l->overlays = overlays;
    char *copy = malloc(strlen(text) + 1);
    if (!copy) {
        l->oom = true;
        return;
    }
    strcpy(copy, text);
    int width = text_width(text);
    if (align_right)
        col -= width - 1;
    l->overlays[l->noverlays++] = (struct overlay){row, col < 0 ? 0 : col, attr, width, copy};
}

/* Seconds with precision (3, 6 or 9) decimals: "242.050". */
static void format_seconds(sim_time t, int precision, char *buf, size_t size)
{
    char fraction[16];
    sim_time a = t < 0 ? -t : t;
    snprintf(fraction, sizeof fraction, "%09" PRId64, a % SIM_S);
    fraction[precision < 9 ? precision : 9] = '\0';
    snprintf(buf, size, "%s%" PRId64 ".%s", t < 0 ? "-" : "", a / SIM_S, fraction);
}

static void set_label(struct layout *l, long row, int side, const char *text, uint8_t attr)
{
    if (row < 0)
        return;
    copy_text(l->rows[row].label[side], LABEL_LEN, text);
    l->rows[row].label_attr[side] = attr;
}

/* A break row, or spacer rows in proportion to dt (clamped while segments
 * are in flight so their arrows keep going). */
static void add_gap(struct layout *l, sim_time from, sim_time to)
{
    sim_time dt = to - from;
    sim_time steps = (dt + l->unit / 2) / l->unit;
    sim_time spacers = steps > 0 ? steps - 1 : 0;
    if (l->in_flight > 0) {
        if (spacers > MAX_BUSY_SPACERS)
            spacers = MAX_BUSY_SPACERS;
    } else if (spacers > MAX_IDLE_SPACERS) {
        char span[48], text[96];
        /* Counted from the last time printed, not from a lost segment's end. */
        format_seconds(to - l->last_shown, l->g.precision, span, sizeof span);
        snprintf(text, sizeof text, l->o->ascii ? "... %s s later ..." : "\u22ee %s s later \u22ee",
                 span);
        long row = new_row(l, ROW_BREAK, to);
        add_text(l, row, l->g.left + 1 + (l->g.gap - text_width(text)) / 2, false, text,
                 A_NOTE);
        return;
    }
    for (sim_time i = 0; i < spacers; i++)
        new_row(l, ROW_SPACER, from);
}

/* Where the next line of text wraps: at most width columns, at a space. */
static int wrap_at(const char *p, int width)
{
    int len = (int)strlen(p), cut = len;
    if (len > width) {
        cut = width;
        while (cut > 0 && p[cut] != ' ')
            cut--;
        if (cut == 0)
            cut = width;
    }
    return cut;
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* Word-wraps text into a paragraph in the gap beside a host's lifeline:
 * flush left against the left lifeline, or ending at the right one. */
static void add_explanation(struct layout *l, int side, const char *text)
{
    int width = l->g.gap - 3, widest = 0;
    for (const char *p = text; *p; p = skip_spaces(p)) {
        int cut = wrap_at(p, width);
        widest = cut > widest ? cut : widest;
        p += cut;
    }
    int col = side == LEFT ? l->g.left + 2 : l->g.right - 1 - widest;
    for (const char *p = text; *p; p = skip_spaces(p)) {
        char line[LADDER_MAX_WIDTH + 1];
        int cut = wrap_at(p, width);
        snprintf(line, sizeof line, "%.*s", cut, p);
        add_text(l, new_row(l, ROW_NOTE, 0), col, false, line, A_NOTE);
        p += cut;
    }
}

static void on_transition(struct layout *l, const struct ltrans *tr)
{
    char label[LABEL_LEN];
    struct row *last = l->nrows ? &l->rows[l->nrows - 1] : NULL;
    bool merge = last && last->kind == ROW_EVENT && last->t == tr->t && tr->seg_id != 0 &&
                 last->arrive_side == tr->side && last->arrive_seg == tr->seg_id &&
                 !last->label[tr->side][0];
    state_label(l->v, tr->conn_id, tcp_state_name(tr->to), label, sizeof label);
    if (showing_one_connection(l->v)) {
        l->current[tr->side] = tr->to;
        copy_text(l->state[tr->side], LABEL_LEN, label);
        l->waiting[tr->side] = tr->to == TCP_TIME_WAIT;
    }
    long row = merge ? (long)l->nrows - 1 : new_row(l, ROW_EVENT, tr->t);
    set_label(l, row, tr->side, label, A_STATE);
    if (!merge) {
        char note[LABEL_LEN + 4];
        snprintf(note, sizeof note, "(%s)", cause_text(tr->cause));
        if (tr->side == LEFT)
            add_text(l, row, l->g.left + 2, false, note, A_NOTE);
        else
            add_text(l, row, l->g.right - 2, true, note, A_NOTE);
    }
    if (l->o->explain) {
        char why[512];
        explain_transition(tr->from, tr->to, tr->cause, why, sizeof why);
        add_explanation(l, tr->side, why);
    }
}

/* The retransmission mark: in words when the label still fits between
 * the lifelines beside the send stub, else a short sign. */
static const char *retransmission_mark(const struct layout *l, const char *label)
{
    const char *words = " (retransmission)";
    if (text_width(label) + text_width(words) <= l->g.gap - 5)
        return words;
    return l->o->ascii ? " (re)" : " \u21bb";
}

/* Whether a transition names seg_id as its trigger. */
static bool changed_state(const struct view *v, int64_t seg_id)
{
    for (size_t i = 0; i < v->ntrans; i++)
        if (v->trans[i].seg_id == seg_id)
            return true;
    return false;
}

/* --explain under a segment that changes no state (explain.c says which):
 * only with one connection shown, where each host's state is known. */
static void explain_send(struct layout *l, const struct lseg *s)
{
    if (!l->o->explain || !showing_one_connection(l->v))
        return;
    const struct lseg *in = l->last_arrival[s->side];
    struct explain_segment e = {
        .state = l->current[s->side], .flags = s->flags, .len = s->len,
        .answers = in && in->arrived == s->sent,
        .peer_window_zero = in && has_ack(in) && in->wnd == 0,
    };
    if (e.answers) {
        e.answered_flags = in->flags;
        e.answered_changed_state = changed_state(l->v, in->seg_id);
    }
    char why[512];
    if (explain_segment_sent(&e, why, sizeof why))
        add_explanation(l, s->side, why);
}

static void explain_arrival(struct layout *l, const struct lseg *s)
{
    if (!l->o->explain || !showing_one_connection(l->v) || !(s->flags & TCP_FLAG_RST))
        return;
    struct explain_segment e = {
        .state = l->current[!s->side], .flags = s->flags, .len = s->len,
        .answered_changed_state = changed_state(l->v, s->seg_id),
    };
    char why[512];
    if (explain_segment_arrived(&e, why, sizeof why))
        add_explanation(l, !s->side, why);
}

/* Where a segment's label starts: a few columns from the sender's lifeline,
 * pulled in so it ends inside the gap. */
static int label_column(const struct layout *l, int side, int len)
{
    int col;
    if (side == LEFT) {
        col = l->g.left + 4;
        if (col + len > l->g.right - 1)
            col = l->g.right - 1 - len;
    } else {
        col = l->g.right - 4 - len + 1;
    }
    return col < l->g.left + 2 ? l->g.left + 2 : col;
}

/* The label on the send row; one that is wider than the gap wraps at its
 * spaces onto rows of its own below, so it never runs over the other
 * lifeline (the arrow leaves after the last of them). */
static void on_send(struct layout *l, struct lseg *s, const char *burst)
{
    char label[512];
    long row = new_row(l, ROW_EVENT, s->sent);
    s->start_row = row;
    l->in_flight++;
    segment_label(l->v, s, l->o->relative, label, sizeof label);
    size_t n = strlen(label);
    snprintf(label + n, sizeof label - n, "%s", burst);
    const char *rexmit = s->rexmit ? retransmission_mark(l, label) : "";
    uint8_t attr = s->side == LEFT ? A_LEFT : A_RIGHT;
    int room = l->g.gap - 2;
    for (const char *p = label; *p; p = skip_spaces(p)) {
        int cut = wrap_at(p, room);
        bool last = !p[cut] || !*skip_spaces(p + cut);
        char line[sizeof label];
        snprintf(line, sizeof line, "%.*s", cut, p);
        if (last && text_width(line) + text_width(rexmit) > room)
            last = false; /* the mark goes on a row of its own */
        int len = text_width(line) + (last ? text_width(rexmit) : 0);
        int col = label_column(l, s->side, len);
        if (p != label)
            row = new_row(l, ROW_NOTE, 0);
        add_text(l, row, col, false, line, attr);
        if (last)
            add_text(l, row, col + text_width(line), false, rexmit, A_REXMIT);
        p += cut;
        if (!*skip_spaces(p) && !last && *rexmit)
            add_text(l, new_row(l, ROW_NOTE, 0), label_column(l, s->side, text_width(rexmit)),
                     false, skip_spaces(rexmit), A_REXMIT);
    }
    explain_send(l, s);
}

/* The link's extra copy starts where its original did. */
static void on_copy(struct layout *l, struct lseg *s)
{
    for (size_t i = (size_t)(s - l->v->segs); i-- > 0;)
        if (l->v->segs[i].seg_id == s->seg_id && l->v->segs[i].start_row >= 0) {
            s->start_row = l->v->segs[i].start_row;
            break;
        }
    if (s->start_row < 0)
        s->start_row = l->nrows ? (long)l->nrows - 1 : new_row(l, ROW_EVENT, s->sent);
    l->in_flight++;
}

static void on_arrive(struct layout *l, struct lseg *s)
{
    long row = new_row(l, ROW_EVENT, s->arrived);
    if (row < 0)
        return;
    s->end_row = row;
    l->in_flight--;
    int receiver = !s->side;
    l->rows[row].arrive_side = receiver;
    l->rows[row].arrive_seg = s->seg_id;
    if (s->fate == FATE_CORRUPTED)
        set_label(l, row, receiver, "corrupted", A_LOST);
    else if (s->fate == FATE_DUPLICATED)
        set_label(l, row, receiver, "duplicate", A_NOTE);
    if (s->fate != FATE_CORRUPTED) { /* a corrupted segment is discarded unread */
        l->last_arrival[receiver] = s;
        explain_arrival(l, s);
    }
}

static void on_lost(struct layout *l, struct lseg *s, sim_time t)
{
    long row = new_row(l, ROW_LOST, t);
    s->end_row = row;
    l->in_flight--;
    int mid = l->g.left + 1 + l->g.gap / 2;
    const char *fate = s->fate == FATE_QUEUE_FULL ? "queue full" : segment_fate_name(s->fate);
    if (s->side == LEFT)
        add_text(l, row, mid + 2, false, fate, A_LOST);
    else
        add_text(l, row, mid - 2, true, fate, A_LOST);
}

/* "connect: ECONNREFUSED" on its own row, against the caller's lifeline. */
static void on_call(struct layout *l, const struct lcall *c)
{
    char note[LABEL_LEN + 32];
    snprintf(note, sizeof note, "%s: %s", tcp_call_name(c->call), tcp_call_result_name(c->result));
    long row = new_row(l, ROW_EVENT, c->t);
    if (c->side == LEFT)
        add_text(l, row, l->g.left + 2, false, note, A_NOTE);
    else
        add_text(l, row, l->g.right - 2, true, note, A_NOTE);
}

static void place_event(struct layout *l, const struct event *e)
{
    switch (e->kind) {
    case EV_TRANSITION: on_transition(l, &l->v->trans[e->index]); break;
    case EV_SEND: on_send(l, &l->v->segs[e->index], ""); break;
    case EV_COPY: on_copy(l, &l->v->segs[e->index]); break;
    case EV_ARRIVE: on_arrive(l, &l->v->segs[e->index]); break;
    case EV_LOST: on_lost(l, &l->v->segs[e->index], e->t); break;
    case EV_CALL: on_call(l, &l->v->calls[e->index]); break;
    }
}

/* The row a window opens on: each host's state at that moment. */
static void place_start(struct layout *l)
{
    const struct view *v = l->v;
    if (v->from <= 0)
        return;
    long row = new_row(l, ROW_EVENT, v->from);
    const char *text = "from here";
    add_text(l, row, l->g.left + 1 + (l->g.gap - (int)strlen(text)) / 2, false, text, A_NOTE);
    for (int side = 0; side < 2; side++)
        if (v->has_state_at_from[side]) {
            char label[LABEL_LEN];
            state_label(v, 0, tcp_state_name(v->state_at_from[side]), label, sizeof label);
            set_label(l, row, side, label, A_NOTE);
            if (showing_one_connection(v)) {
                l->current[side] = v->state_at_from[side];
                copy_text(l->state[side], LABEL_LEN, label);
                l->waiting[side] = v->state_at_from[side] == TCP_TIME_WAIT;
                l->rows[row].waiting[side] = l->waiting[side];
            }
        }
}

static void place_end(struct layout *l, sim_time last)
{
    sim_time sim_end = l->v->to >= 0 && l->v->to < l->v->sim_end ? l->v->to : l->v->sim_end;
    sim_time end = sim_end > last ? sim_end : last;
    if (end > last)
        add_gap(l, last, end);
    long row = new_row(l, ROW_END, end);
    char text[64], at[32];
    format_seconds(sim_end, l->g.precision, at, sizeof at);
    /* After --to only arrows still in flight go on: the states are those at --to. */
    snprintf(text, sizeof text, sim_end < l->v->sim_end ? "end of window (states at %s s)" :
             "end of run", at);
    add_text(l, row, l->g.left + 1 + (l->g.gap - (int)strlen(text)) / 2, false, text, A_NOTE);
    for (int side = 0; side < 2; side++)
        if (l->state[side][0])
            set_label(l, row, side, l->state[side], A_NOTE);
}

/* --compact: how many sends from ev[i] on are one burst, the segments a
 * host sends at one instant on one connection with nothing between. */
static size_t burst_length(const struct layout *l, const struct event *ev, size_t count, size_t i)
{
    const struct lseg *lead = &l->v->segs[ev[i].index];
    size_t n = 1;
    while (i + n < count && ev[i + n].kind == EV_SEND && ev[i + n].t == ev[i].t &&
           l->v->segs[ev[i + n].index].side == lead->side &&
           l->v->segs[ev[i + n].index].conn_id == lead->conn_id)
        n++;
    return n;
}

enum { BURST_LISTED = 4 }; /* members named in a burst's label; the rest are counted */

/* One label for a burst ("... + ACK len=1460 + FIN|ACK"), one start for
 * its arrows, which fan out to their own arrivals (a lost one still ends
 * at its cross). */
static void place_burst(struct layout *l, const struct event *ev, size_t n)
{
    char burst[256] = "", flags[32];
    size_t used = 0;
    uint32_t more_len = 0;
    for (size_t k = 1; k < n; k++) {
        const struct lseg *m = &l->v->segs[ev[k].index];
        if (k > BURST_LISTED) {
            more_len += m->len;
            continue;
        }
        used += (size_t)snprintf(burst + used, sizeof burst - used, " + %s",
                                 segment_flags_string(m->flags, flags));
        if (used < sizeof burst && m->len)
            used += (size_t)snprintf(burst + used, sizeof burst - used, " len=%" PRIu32, m->len);
        if (used < sizeof burst && m->rexmit)
            used += (size_t)snprintf(burst + used, sizeof burst - used, " (re)");
        if (used >= sizeof burst)
            break;
    }
    if (n - 1 > BURST_LISTED && used < sizeof burst)
        snprintf(burst + used, sizeof burst - used, " + %zu more (len=%" PRIu32 ")",
                 n - 1 - BURST_LISTED, more_len);
    struct lseg *lead = &l->v->segs[ev[0].index];
    on_send(l, lead, burst);
    for (size_t k = 1; k < n; k++) {
        struct lseg *m = &l->v->segs[ev[k].index];
        m->start_row = lead->start_row;
        m->folded = m->fate == FATE_DELIVERED;
        l->in_flight++;
    }
}

/* A folded member's arrival: no row and no arrow of its own. */
static bool place_folded_arrival(struct layout *l, const struct event *e)
{
    if (e->kind != EV_ARRIVE)
        return false; /* e->index is no segment's: a run of transitions only has segs NULL */
    struct lseg *s = &l->v->segs[e->index];
    if (!s->folded)
        return false;
    l->in_flight--;
    l->last_arrival[!s->side] = s;
    return true;
}

static void lay_out(struct layout *l, const struct event *ev, size_t count)
{
    sim_time prev = l->v->from;
    place_start(l);
    for (size_t i = 0; i < count && !l->oom; i++) {
        if (place_folded_arrival(l, &ev[i]))
            continue;
        if (l->nrows > 0 && ev[i].t > prev)
            add_gap(l, prev, ev[i].t);
        size_t n = l->o->compact && ev[i].kind == EV_SEND ? burst_length(l, ev, count, i) : 1;
        if (n > 1)
            place_burst(l, &ev[i], n);
        else
            place_event(l, &ev[i]);
        prev = ev[i].t;
        i += n - 1;
    }
    place_end(l, prev);
}

/* ---- geometry ---- */

static int decimals_for(sim_time t)
{
    return t % SIM_MS == 0 ? 3 : t % SIM_US == 0 ? 6 : 9;
}

static void measure(struct layout *l, const struct event *ev, size_t count)
{
    struct geometry *g = &l->g;
    struct view *v = l->v;
    char buf[64];
    g->width = l->o->width > 0 ? l->o->width : 80;
    g->precision = decimals_for(v->sim_end);
    for (size_t i = 0; i < count; i++)
        if (decimals_for(ev[i].t) > g->precision)
            g->precision = decimals_for(ev[i].t);
    sim_time last = count ? ev[count - 1].t : 0;
    format_seconds(last > v->sim_end ? last : v->sim_end, g->precision, buf, sizeof buf);
    g->time_w = (int)strlen(buf) > 8 ? (int)strlen(buf) : 8; /* "time (s)" */
    g->margin[LEFT] = g->margin[RIGHT] = (int)strlen("CLOSED");
    for (size_t i = 0; i < v->ntrans; i++) {
        state_label(v, v->trans[i].conn_id, tcp_state_name(v->trans[i].to), buf, sizeof buf);
        int *m = &g->margin[v->trans[i].side];
        if ((int)strlen(buf) > *m)
            *m = (int)strlen(buf);
    }
    for (int side = 0; side < 2; side++)
        if (v->has_state_at_from[side] && (int)strlen(tcp_state_name(v->state_at_from[side])) >
                                              g->margin[side])
            g->margin[side] = (int)strlen(tcp_state_name(v->state_at_from[side]));
    for (size_t i = 0; i < v->nsegs; i++) {
        int *m = &g->margin[!v->segs[i].side];
        if ((v->segs[i].fate == FATE_CORRUPTED || v->segs[i].fate == FATE_DUPLICATED) && *m < 9)
            *m = 9;
    }
    g->left = g->time_w + 2 + g->margin[LEFT] + 1;
    g->right = g->width - 2 - g->margin[RIGHT];
    if (g->right - g->left - 1 < MIN_GAP)
        g->right = g->left + 1 + MIN_GAP;
    g->gap = g->right - g->left - 1;
    int used = g->right + 2 + g->margin[RIGHT];
    g->canvas_w = (used > g->width ? used : g->width) + TEXT_SLACK;
}

/* ---- drawing ---- */

enum glyph {
    G_LIFE, G_WAIT, G_TEE_LEFT, G_TEE_RIGHT, G_LINE, G_CORNER_DOWN_R, G_CORNER_UP_R,
    G_CORNER_DOWN_L, G_CORNER_UP_L, G_VERTICAL, G_HEAD_R, G_HEAD_L, G_CROSS, G_COUNT
};

/* Box drawing, and its ASCII stand-ins. */
static const uint32_t unicode_glyphs[G_COUNT] = {
    0x2502, 0x250a, 0x251c, 0x2524, 0x2500, 0x256e, 0x2570, 0x256d, 0x256f, 0x2502,
    0x25b6, 0x25c0, 0x2715,
};
static const uint32_t ascii_glyphs[G_COUNT] = {
    '|', ':', '+', '+', '-', '.', '`', '.', '\'', '|', '>', '<', 'X',
};

static const char *const attr_sgr[] = {
    [A_PLAIN] = "", [A_LEFT] = "36", [A_RIGHT] = "35", [A_LOST] = "1;31",
    [A_STATE] = "1", [A_NOTE] = "2", [A_REXMIT] = "33", [A_HOST] = "1",
};

enum { PRIO_LIFELINE = 1, PRIO_ARROW = 2, PRIO_END = 3, PRIO_TEXT = 4 };

struct cell {
    uint32_t ch;
    uint8_t attr, prio;
};

struct canvas {
    const struct layout *l;
    const uint32_t *glyphs;
    long first;                /* the window's first row */
    long count;                /* rows in the window */
    struct cell *cells;        /* WINDOW_ROWS x canvas_w */
    long collisions;           /* cells where text met an arrow or other text */
};

static void put(struct canvas *c, long row, int col, uint32_t ch, uint8_t attr, uint8_t prio)
{
    if (row < c->first || row >= c->first + c->count || col < 0 || col >= c->l->g.canvas_w)
        return;
    struct cell *cell = &c->cells[(size_t)(row - c->first) * (size_t)c->l->g.canvas_w +
                                  (size_t)col];
    /* Text on an arrow or on text, or an arrow on text: the layout failed
     * to keep them apart (counted for the tests; the text stays readable). */
    if ((prio == PRIO_TEXT && cell->prio >= PRIO_ARROW) ||
        (prio >= PRIO_ARROW && cell->prio == PRIO_TEXT))
        c->collisions++;
    if (prio >= cell->prio)
        *cell = (struct cell){ch, attr, prio};
}

static void put_glyph(struct canvas *c, long row, int col, enum glyph g, uint8_t attr,
                      uint8_t prio)
{
    put(c, row, col, c->glyphs[g], attr, prio);
}

/* Decodes UTF-8 text into cells from col on. */
static void put_text(struct canvas *c, long row, int col, const char *text, uint8_t attr)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        uint32_t ch = *p++;
        int more = ch >= 0xf0 ? 3 : ch >= 0xe0 ? 2 : ch >= 0xc0 ? 1 : 0;
        if (more)
            ch &= 0x3fu >> more;
        for (; more > 0 && (*p & 0xc0) == 0x80; more--)
            ch = ch << 6 | (*p++ & 0x3fu);
        put(c, row, col++, ch, attr, PRIO_TEXT);
    }
}

/* One row of an arrow's climb, from column xs to xe in direction dir. */
static void draw_climb_row(struct canvas *c, long row, int xs, int xe, int dir, bool last,
                           enum glyph end, uint8_t attr, uint8_t end_attr)
{
    enum glyph up = dir > 0 ? G_CORNER_UP_R : G_CORNER_UP_L;
    enum glyph down = dir > 0 ? G_CORNER_DOWN_R : G_CORNER_DOWN_L;
    if (xs == xe) {
        put_glyph(c, row, xs, last ? end : G_VERTICAL, last ? end_attr : attr,
                  last ? PRIO_END : PRIO_ARROW);
        return;
    }
    put_glyph(c, row, xs, up, attr, PRIO_ARROW);
    for (int x = xs + dir; x != xe; x += dir)
        put_glyph(c, row, x, G_LINE, attr, PRIO_ARROW);
    put_glyph(c, row, xe, last ? end : down, last ? end_attr : attr, last ? PRIO_END : PRIO_ARROW);
}

/* ---- arrows around the text ---- */

/* The first overlay of row or a later one: the overlays are in row order. */
static size_t first_overlay(const struct layout *l, long row)
{
    size_t lo = 0, hi = l->noverlays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->overlays[mid].row < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool row_has_text(const struct layout *l, long row)
{
    size_t i = first_overlay(l, row);
    return i < l->noverlays && l->overlays[i].row == row;
}

/* Whether text in the gap covers column col of row. */
static bool text_covers(const struct layout *l, long row, int col)
{
    for (size_t i = first_overlay(l, row); i < l->noverlays && l->overlays[i].row == row; i++)
        if (col >= l->overlays[i].col && col < l->overlays[i].col + l->overlays[i].width)
            return true;
    return false;
}

/* Whether text covers col on any of the rows of text that follow row
 * without a break, before row end (an arrow must pass them all in one
 * column, as it can move only on a row where nothing is written). */
static bool covered_ahead(const struct layout *l, long row, long end, int col)
{
    for (long r = row + 1; r < end && row_has_text(l, r); r++)
        if (text_covers(l, r, col))
            return true;
    return false;
}

/* Whether the cells from..to of row are free of text. */
static bool run_free(const struct layout *l, long row, int from, int to, int dir)
{
    for (int x = from;; x += dir) {
        if (text_covers(l, row, x))
            return false;
        if (x == to)
            return true;
    }
}

/* One pass of route_arrow below, with the arrow held beside its own
 * lifeline (c0) to the end of row r0+hold. Returns 0 when it got through,
 * else the first row k after which it stands in a column that text on the
 * rows ahead covers, with no free column it can reach (pos is then left
 * unfinished). */
static long route_pass(const struct layout *l, long r0, long m, int c0, int a, int target,
                       int dir, long hold, int *pos)
{
    long r1 = r0 + m;
    int p = a, base = a;
    long base_k = 0;
    if (hold > 0 || text_covers(l, r0, a) || covered_ahead(l, r0, r1, a))
        p = base = c0;
    pos[0] = p;
    for (long k = 1; k < m; k++) {
        long row = r0 + k;
        if (k <= hold) {
            pos[k] = c0;
            base_k = k;
            continue;
        }
        int ideal = base + (int)((long)(target - base) * (k - base_k) / (m - base_k)), q = ideal;
        while (q != p && !run_free(l, row, p + dir, q, dir))
            q -= dir;
        if (covered_ahead(l, row, r1, q)) {
            int past = q;
            while (past != target && covered_ahead(l, row, r1, past))
                past += dir;
            if (!covered_ahead(l, row, r1, past) && run_free(l, row, p, past, dir))
                q = past;
            else
                while (q != p && covered_ahead(l, row, r1, q))
                    q -= dir;
            if (covered_ahead(l, row, r1, q))
                return k;
        }
        if (q != ideal) {
            base = q;
            base_k = k;
        }
        pos[k] = p = q;
    }
    pos[m] = target;
    return 0;
}

/* Where an arrow is at the end of each row of its climb: pos[0] the corner
 * it leaves from on its send row, pos[k] the column where row r0+k ends
 * (pos[m] the target). It climbs in a straight line, as the rows' time
 * scale says, until text is in the way: it moves only over free cells, and
 * before rows of text it takes a column that is free on all of them, past
 * the text when it can get there, else behind it, and from there heads for
 * the target again. Where neither is free (a lost segment's target, the
 * middle of the gap, stops it short of the text's far end, and it has
 * already left its lifeline) it routes again, held beside its own
 * lifeline, where no text is written, until that row. The trade-off: where
 * text sits among arrows in flight an arrow's slope bends, but no arrow
 * runs through a label. */
static void route_arrow(const struct layout *l, long r0, long m, int c0, int a, int target,
                        int dir, int *pos)
{
    long hold = 0, stuck;
    while ((stuck = route_pass(l, r0, m, c0, a, target, dir, hold, pos)) > hold)
        hold = stuck;
}

static void draw_arrow(struct canvas *c, const struct lseg *s)
{
    const struct geometry *g = &c->l->g;
    long r0 = s->start_row, r1 = s->end_row;
    if (r0 < 0 || r1 <= r0 || r1 < c->first || r0 >= c->first + c->count)
        return;
    int dir = s->side == LEFT ? 1 : -1;
    int c0 = s->side == LEFT ? g->left + 1 : g->right - 1;
    bool lost = never_arrived(s);
    int target = lost ? g->left + 1 + g->gap / 2 : (s->side == LEFT ? g->right - 1 : g->left + 1);
    bool crossed = lost || s->fate == FATE_CORRUPTED;
    enum glyph end = crossed ? G_CROSS : (dir > 0 ? G_HEAD_R : G_HEAD_L);
    uint8_t attr = s->side == LEFT ? A_LEFT : A_RIGHT;
    long m = r1 - r0;
    int *pos = malloc((size_t)(m + 1) * sizeof *pos);
    if (!pos)
        return; /* the picture lacks this arrow; drawing goes on */
    route_arrow(c->l, r0, m, c0, c0 + dir, target, dir, pos);

    put_glyph(c, r0, s->side == LEFT ? g->left : g->right,
              s->side == LEFT ? G_TEE_LEFT : G_TEE_RIGHT, attr, PRIO_END);
    if (pos[0] != c0)
        put_glyph(c, r0, c0, G_LINE, attr, PRIO_ARROW);
    put_glyph(c, r0, pos[0], dir > 0 ? G_CORNER_DOWN_R : G_CORNER_DOWN_L, attr, PRIO_ARROW);
    for (long k = 1; k <= m; k++)
        draw_climb_row(c, r0 + k, pos[k - 1], pos[k], dir, k == m, end, attr,
                       crossed ? A_LOST : attr);
    free(pos);
}

static void draw_row_frame(struct canvas *c, long index)
{
    const struct layout *l = c->l;
    const struct row *r = &l->rows[index];
    const struct geometry *g = &l->g;
    /* A break cuts the lifelines, but for a host waiting out TIME_WAIT. */
    for (int side = 0; side < 2; side++)
        if (r->kind != ROW_BREAK || r->waiting[side])
            put_glyph(c, index, side == LEFT ? g->left : g->right,
                      r->waiting[side] ? G_WAIT : G_LIFE, A_PLAIN, PRIO_LIFELINE);
    if (r->kind == ROW_EVENT || r->kind == ROW_END) {
        char t[48];
        format_seconds(r->t, g->precision, t, sizeof t);
        put_text(c, index, g->time_w - (int)strlen(t), t, A_PLAIN);
    }
    if (r->label[LEFT][0])
        put_text(c, index, g->left - 1 - text_width(r->label[LEFT]), r->label[LEFT],
                 r->label_attr[LEFT]);
    if (r->label[RIGHT][0])
        put_text(c, index, g->right + 2, r->label[RIGHT], r->label_attr[RIGHT]);
}

static void put_utf8(uint32_t ch, FILE *out)
{
    if (ch < 0x80) {
        fputc((int)ch, out);
    } else if (ch < 0x800) {
        fputc((int)(0xc0 | ch >> 6), out);
        fputc((int)(0x80 | (ch & 0x3f)), out);
    } else if (ch < 0x10000) {
        fputc((int)(0xe0 | ch >> 12), out);
        fputc((int)(0x80 | (ch >> 6 & 0x3f)), out);
        fputc((int)(0x80 | (ch & 0x3f)), out);
    } else {
        fputc((int)(0xf0 | ch >> 18), out);
        fputc((int)(0x80 | (ch >> 12 & 0x3f)), out);
        fputc((int)(0x80 | (ch >> 6 & 0x3f)), out);
        fputc((int)(0x80 | (ch & 0x3f)), out);
    }
}

/* Prints cells up to the last non-blank one; SGR codes only with colour. */
static void print_cells(const struct cell *cells, int width, bool color, FILE *out)
{
    int end = width;
    while (end > 0 && (cells[end - 1].ch == ' ' || cells[end - 1].ch == 0))
        end--;
    uint8_t attr = A_PLAIN;
    for (int x = 0; x < end; x++) {
        uint32_t ch = cells[x].ch ? cells[x].ch : ' ';
        uint8_t want = cells[x].attr;
        if (color && want != attr && ch != ' ') { /* a blank looks the same in any colour */
            fprintf(out, "\033[0m");
            if (want != A_PLAIN)
                fprintf(out, "\033[%sm", attr_sgr[want]);
            attr = want;
        }
        put_utf8(ch, out);
    }
    if (color && attr != A_PLAIN)
        fprintf(out, "\033[0m");
    fputc('\n', out);
}

static void clear_cells(struct cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cells[i] = (struct cell){' ', A_PLAIN, 0};
}

/* Draws and prints every row, WINDOW_ROWS at a time. Arrows are taken in
 * order of their send rows and kept while they may still reach a window. */
static int draw_rows(struct layout *l, FILE *out)
{
    size_t w = (size_t)l->g.canvas_w;
    struct canvas c = {l, l->o->ascii ? ascii_glyphs : unicode_glyphs, 0, 0,
                       malloc(WINDOW_ROWS * w * sizeof(struct cell)), 0};
    size_t *active = malloc((l->v->nsegs ? l->v->nsegs : 1) * sizeof *active);
    size_t nactive = 0, next_seg = 0, next_text = 0;
    bool color = l->o->color == LADDER_COLOR_ALWAYS;
    if (!c.cells || !active) {
        free(c.cells);
        free(active);
        return -1;
    }
    for (c.first = 0; c.first < (long)l->nrows; c.first += WINDOW_ROWS) {
        long end = c.first + WINDOW_ROWS;
        c.count = end > (long)l->nrows ? (long)l->nrows - c.first : WINDOW_ROWS;
        clear_cells(c.cells, (size_t)c.count * w);
        for (long r = c.first; r < c.first + c.count; r++)
            draw_row_frame(&c, r);
        while (next_seg < l->v->nsegs && l->v->segs[next_seg].start_row < end)
            active[nactive++] = next_seg++;
        size_t kept = 0;
        for (size_t i = 0; i < nactive; i++) {
            draw_arrow(&c, &l->v->segs[active[i]]);
            if (l->v->segs[active[i]].end_row >= end)
                active[kept++] = active[i];
        }
        nactive = kept;
        for (; next_text < l->noverlays && l->overlays[next_text].row < end; next_text++) {
            const struct overlay *o = &l->overlays[next_text];
            put_text(&c, o->row, o->col, o->text, o->attr);
        }
        for (long r = 0; r < c.count; r++)
            print_cells(&c.cells[(size_t)r * w], l->g.canvas_w, color, out);
    }
    free(c.cells);
    free(active);
    if (l->o->collisions)
        *l->o->collisions = c.collisions;
    return 0;
}

/* ---- the heading ---- */

static void print_heading(const struct layout *l, FILE *out)
{
    const struct view *v = l->v;
    const struct geometry *g = &l->g;
    char what[128];
    if (showing_one_connection(v))
        snprintf(what, sizeof what, "connection %" PRId64 " of %" PRId64, v->conn_id,
                 v->conn_count);
    else if (v->conn_count > 0)
        snprintf(what, sizeof what, "all %" PRId64 " connections", v->conn_count);
    else
        snprintf(what, sizeof what, "no connections");
    char title[1024];
    snprintf(title, sizeof title, "%s: run %" PRId64 " (seed %" PRIu64 ", rep %" PRId64
             ", %s), %s, %s%s%s", v->scenario, v->run_id, v->seed, v->rep, v->status, what,
             l->o->relative ? "seq/ack relative to each ISN" : "absolute seq/ack",
             v->settings[0] ? "; " : "", v->settings);
    for (const char *p = title; *p; p = skip_spaces(p)) {
        int cut = wrap_at(p, g->width);
        fprintf(out, "%.*s\n", cut, p);
        p += cut;
    }

    size_t w = (size_t)g->canvas_w;
    struct cell *cells = malloc(w * sizeof *cells);
    if (!cells)
        return;
    clear_cells(cells, w);
    struct canvas c = {l, unicode_glyphs, 0, 1, cells, 0};
    put_text(&c, 0, g->time_w - 8, "time (s)", A_PLAIN);
    char name[2][NAME_LEN + ENDPOINT_LEN + 2];
    int start[2];
    for (int side = 0; side < 2; side++) {
        snprintf(name[side], sizeof name[side], "%s%s%s", v->host[side][0] ? v->host[side] : "?",
                 v->endpoint[side][0] ? " " : "", v->endpoint[side]);
        start[side] = (side == LEFT ? g->left : g->right) - text_width(name[side]) / 2;
    }
    if (start[LEFT] < g->time_w + 2)
        start[LEFT] = g->time_w + 2;
    if (start[RIGHT] + text_width(name[RIGHT]) > g->width)
        start[RIGHT] = g->width - text_width(name[RIGHT]);
    if (start[RIGHT] < start[LEFT] + text_width(name[LEFT]) + 2)
        start[RIGHT] = start[LEFT] + text_width(name[LEFT]) + 2;
    for (int side = 0; side < 2; side++)
        put_text(&c, 0, start[side], name[side], A_HOST);
    print_cells(cells, g->canvas_w, l->o->color == LADDER_COLOR_ALWAYS, out);
    free(cells);
}

/* ---- the whole ---- */

static void free_layout(struct layout *l)
{
    for (size_t i = 0; i < l->noverlays; i++)
        free(l->overlays[i].text);
    free(l->overlays);
    free(l->rows);
}

static int render_view(struct view *v, const struct ladder_options *o, FILE *out)
{
    struct layout l = {.o = o, .v = v};
    sim_time typical = typical_delay(v);
    size_t count;
    struct event *ev = build_events(v, typical / 2, &count);
    if (!ev)
        return -1;
    l.unit = typical / ARROW_STEPS > 0 ? typical / ARROW_STEPS : 1;
    measure(&l, ev, count);
    lay_out(&l, ev, count);
    int rc = l.oom ? -1 : 0;
    if (rc == 0) {
        print_heading(&l, out);
        rc = draw_rows(&l, out);
    }
    free(ev);
    free_layout(&l);
    return rc;
}

int ladder_render(struct results_db *db, const struct ladder_options *o, FILE *out, char *err,
                  size_t errlen)
{
    struct view v;
    memset(&v, 0, sizeof v);
    v.from = o->from;
    v.to = o->to;
    int rc = load_run(db, &v, o->run_id, err, errlen);
    if (rc == 0)
        rc = load_connections(db, &v, o->conn_id == LADDER_ALL_CONNECTIONS ? -1 : o->conn_id,
                              err, errlen);
    if (rc == 0)
        rc = load_records(db, &v, err, errlen);
    if (rc == 0 && render_view(&v, o, out) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    free_view(&v);
    return rc;
}
