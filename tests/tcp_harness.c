/*
 * tcp_harness.c: two TCP hosts joined directly through the engine, with
 * drop rules, an injector and a recording trace sink (see tcp_harness.h).
 * No link module: the harness is the wire.
 */
#include "tcp_harness.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A segment on its way, owning a copy of its payload. */
struct h_flight {
    struct h_flight *prev, *next;
    struct harness *h;
    int to;
    bool injected;          /* logged when it arrives, marked [injected] */
    struct segment seg;
    uint8_t data[];
};

static void *grow(void *array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return array;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *bigger = realloc(array, c * elem);
    if (!bigger) {
        fputs("tcp_harness: out of memory\n", stderr);
        abort();
    }
    *cap = c;
    return bigger;
}

static void log_line(struct harness *h, const char *fmt, ...)
{
    if (!h->record)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    h->log = grow(h->log, &h->log_cap, h->log_len + (size_t)n + 2, 1);
    memcpy(h->log + h->log_len, line, (size_t)n);
    h->log_len += (size_t)n;
    h->log[h->log_len++] = '\n';
    h->log[h->log_len] = '\0';
}

static double secs(sim_time t) { return (double)t / SIM_S; }

static int host_of_addr(const struct harness *h, uint32_t addr)
{
    for (int i = 0; i < H_HOSTS; i++)
        if (addr - h->cfg.host[i].addr < (h->cfg.host[i].addr_count ? h->cfg.host[i].addr_count : 1))
            return i;
    return -1;
}

static const char *addr_name(const struct harness *h, uint32_t addr)
{
    int i = host_of_addr(h, addr);
    return i < 0 ? "peer" : h->cfg.host[i].name;
}

/* ---- the recording sink ---- */

static int host_index(const struct harness *h, const char *name)
{
    for (int i = 0; i < H_HOSTS; i++)
        if (strcmp(h->cfg.host[i].name, name) == 0)
            return i;
    return -1;
}

static void sink_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct harness *h = ((struct h_sink *)sink)->h;
    log_line(h, "%.9f %s %s -> %s (%s)", secs(tr->t_ns), tr->host, tcp_state_name(tr->from_state),
             tcp_state_name(tr->to_state), tcp_cause_name(tr->cause));
    if (!h->record)
        return;
    h->tr = grow(h->tr, &h->tr_cap, h->tr_count + 1, sizeof *h->tr);
    struct h_transition *t = &h->tr[h->tr_count++];
    t->t = tr->t_ns;
    t->host = host_index(h, tr->host);
    t->conn_id = tr->conn_id;
    t->from = tr->from_state;
    t->to = tr->to_state;
    t->cause = tr->cause;
    t->seg_id = tr->seg_id;
}

static void sink_connection(struct trace_sink *sink, const struct trace_connection *conn)
{
    struct harness *h = ((struct h_sink *)sink)->h;
    h->conns = grow(h->conns, &h->conn_cap, h->conn_count + 1, sizeof *h->conns);
    h->conns[h->conn_count++] = *conn;
}

static const struct trace_sink_ops recording_ops = {
    .transition = sink_transition,
    .connection = sink_connection,
};

/* ---- the wire ---- */

static bool kind_matches(enum h_kind kind, const struct segment *s)
{
    bool syn = s->flags & TCP_FLAG_SYN, ack = s->flags & TCP_FLAG_ACK;
    switch (kind) {
    case HK_ANY: return true;
    case HK_SYN: return syn && !ack;
    case HK_SYN_ACK: return syn && ack;
    case HK_ACK:
        return ack && s->len == 0 && !(s->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST));
    case HK_DATA: return s->len > 0;
    case HK_FIN: return (s->flags & TCP_FLAG_FIN) != 0;
    case HK_RST: return (s->flags & TCP_FLAG_RST) != 0;
    case HK_COUNT: break;
    }
    return false;
}

static bool should_drop(struct harness *h, int from, const struct segment *s)
{
    bool drop = h->cut;
    for (int k = 0; k < HK_COUNT; k++)
        if (kind_matches((enum h_kind)k, s))
            h->kind_count[from][k]++;
    for (size_t i = 0; i < h->drop_count; i++) {
        const struct h_drop *d = &h->drops[i];
        if (d->from != from || !kind_matches(d->kind, s))
            continue;
        uint64_t n = h->kind_count[from][d->kind];
        if ((d->every && n % d->every == 0) || (!d->every && n == d->nth))
            drop = true;
    }
    return drop;
}

static void record_segment(struct harness *h, int from, const struct segment *s, bool dropped)
{
    char flags[32];
    segment_flags_string(s->flags, flags);
    log_line(h, "%.9f %s:%u > %s:%u %s seq=%u ack=%u len=%u win=%u%s%s%s", secs(sim_now(h->sim)),
             from == H_INJECTED ? addr_name(h, s->src_addr) : h->cfg.host[from].name,
             s->src_port, addr_name(h, s->dst_addr), s->dst_port, flags, s->seq, s->ack, s->len,
             s->wnd, s->retransmission ? " [rexmit]" : "", dropped ? " [dropped]" : "",
             from == H_INJECTED ? " [injected]" : "");
    if (!h->record)
        return;
    h->sent = grow(h->sent, &h->sent_cap, h->sent_count + 1, sizeof *h->sent);
    struct h_segment *r = &h->sent[h->sent_count++];
    r->t = sim_now(h->sim);
    r->from = from;
    r->seg = *s;
    r->seg.data = NULL;
    r->dropped = dropped;
}

static void on_deliver(struct sim *sim, void *context, void *argument)
{
    struct h_flight *f = context;
    struct harness *h = f->h;
    (void)sim;
    (void)argument;
    if (f->prev)
        f->prev->next = f->next;
    else
        h->flight = f->next;
    if (f->next)
        f->next->prev = f->prev;
    if (f->injected)
        record_segment(h, H_INJECTED, &f->seg, false);
    tcp_on_segment(h->host[f->to], &f->seg);
    free(f);
}

static void schedule_delivery(struct harness *h, int to, sim_time at, const struct segment *s,
                              bool injected)
{
    struct h_flight *f = malloc(sizeof *f + s->len);
    if (!f)
        abort();
    f->h = h;
    f->to = to;
    f->seg = *s;
    f->injected = injected;
    if (s->len && s->data)
        memcpy(f->data, s->data, s->len);
    else if (s->len)
        memset(f->data, 0, s->len);
    f->seg.data = s->len ? f->data : NULL;
    f->prev = NULL;
    f->next = h->flight;
    if (h->flight)
        h->flight->prev = f;
    h->flight = f;
    sim_schedule_at(h->sim, at, on_deliver, f, NULL);
}

static void output(struct harness *h, int from, struct segment *s)
{
    s->id = ++h->next_seg_id;
    bool dropped = should_drop(h, from, s);
    record_segment(h, from, s, dropped);
    if (!dropped)
        schedule_delivery(h, 1 - from, sim_now(h->sim) + h->delay[from], s, false);
}

static void output_client(void *context, struct segment *s) { output(context, H_CLIENT, s); }
static void output_server(void *context, struct segment *s) { output(context, H_SERVER, s); }

void harness_inject(struct harness *h, int to, sim_time at, const struct segment *seg)
{
    struct segment s = *seg;
    s.id = ++h->next_seg_id;
    schedule_delivery(h, to, at, &s, true);
}

/* ---- the applications ---- */

static void app_connected(void *data, struct tcp_conn *conn)
{
    struct h_app *a = data;
    a->connected++;
    a->last_conn = conn;
}

static void app_accepted(void *data, struct tcp_conn *listener, struct tcp_conn *conn)
{
    struct h_app *a = data;
    (void)listener;
    a->accepted++;
    a->last_conn = conn;
}

static void app_readable(void *data, struct tcp_conn *conn, size_t bytes)
{
    struct h_app *a = data;
    (void)bytes;
    a->readable++;
    if (!a->auto_read)
        return;
    uint8_t buf[4096];
    size_t n;
    while ((n = tcp_receive(conn, buf, sizeof buf)) > 0) {
        if (!a->h->record)
            continue;
        a->received = grow(a->received, &a->received_cap, a->received_len + n, 1);
        memcpy(a->received + a->received_len, buf, n);
        a->received_len += n;
    }
    if (a->abort_on_readable)
        tcp_abort(conn);
    else if (a->close_on_readable)
        tcp_close(conn);
}

static void app_peer_closed(void *data, struct tcp_conn *conn)
{
    struct h_app *a = data;
    a->peer_closed++;
    if (a->close_on_peer_closed)
        tcp_close(conn);
}

static void app_closed(void *data, struct tcp_conn *conn, enum tcp_error why)
{
    struct h_app *a = data;
    a->closed++;
    a->last_error = why;
    if (a->last_conn == conn)
        a->last_conn = NULL;
}

static const struct tcp_app_ops app_ops = {
    .connected = app_connected,
    .accepted = app_accepted,
    .readable = app_readable,
    .peer_closed = app_peer_closed,
    .closed = app_closed,
};

/* ---- life ---- */

void harness_config_defaults(struct harness_config *cfg, const char *profile)
{
    memset(cfg, 0, sizeof *cfg);
    static const char *const names[H_HOSTS] = {"client", "server"};
    static const uint32_t addrs[H_HOSTS] = {H_CLIENT_ADDR, H_SERVER_ADDR};
    static const uint32_t isns[H_HOSTS] = {1000, 5000};
    for (int i = 0; i < H_HOSTS; i++) {
        struct tcp_host_config *c = &cfg->host[i];
        c->name = names[i];
        c->addr = addrs[i];
        c->addr_count = 1;
        c->ephemeral_low = 40000;
        c->ephemeral_high = 40099;
        tcp_profile_by_name(profile, &c->profile);
        c->isn_mode = TCP_ISN_FIXED;
        c->isn = isns[i];
    }
    cfg->delay = 10 * SIM_MS;
}

struct harness *harness_create(const struct harness_config *cfg)
{
    struct harness *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->cfg = *cfg;
    h->record = true;
    h->sim = sim_create();
    trace_init(&h->trace);
    h->sink.sink.ops = &recording_ops;
    h->sink.h = h;
    trace_add_sink(&h->trace, &h->sink.sink);
    h->net = tcp_network_create(h->sim, &h->trace);
    tcp_output_fn *outputs[H_HOSTS] = {output_client, output_server};
    for (int i = 0; i < H_HOSTS; i++) {
        h->delay[i] = cfg->delay;
        h->app[i] = (struct h_app){.h = h, .index = i, .auto_read = true};
        h->host[i] = tcp_host_create(h->net, &cfg->host[i], NULL, outputs[i], h, &app_ops,
                                     &h->app[i]);
        if (!h->host[i])
            abort();
    }
    return h;
}

void harness_destroy(struct harness *h)
{
    for (int i = 0; i < H_HOSTS; i++) {
        /* Every transition a test makes must be one tcp_state.c declares. */
        if (tcp_host_stats(h->host[i])->unlisted_transitions != 0) {
            fprintf(stderr, "harness: host %d made %" PRIu64 " transitions outside the table\n", i,
                    tcp_host_stats(h->host[i])->unlisted_transitions);
            abort();
        }
        tcp_host_destroy(h->host[i]);
    }
    tcp_network_destroy(h->net);
    while (h->flight) {
        struct h_flight *f = h->flight;
        h->flight = f->next;
        free(f);
    }
    sim_destroy(h->sim);
    for (int i = 0; i < H_HOSTS; i++)
        free(h->app[i].received);
    free(h->log);
    free(h->sent);
    free(h->tr);
    free(h->conns);
    free(h);
}

void harness_run_until(struct harness *h, sim_time t) { sim_run(h->sim, t); }

static void add_drop(struct harness *h, int from, enum h_kind kind, uint64_t nth, uint64_t every)
{
    if (h->drop_count == sizeof h->drops / sizeof h->drops[0])
        abort();
    h->drops[h->drop_count++] = (struct h_drop){from, kind, nth, every};
}

void harness_drop(struct harness *h, int from, enum h_kind kind, uint64_t nth)
{
    add_drop(h, from, kind, nth, 0);
}

void harness_drop_every(struct harness *h, int from, enum h_kind kind, uint64_t every)
{
    add_drop(h, from, kind, 0, every);
}

/* ---- looking at what happened ---- */

const char *harness_log(const struct harness *h) { return h->log ? h->log : ""; }

bool harness_log_has(const struct harness *h, const char *text)
{
    return h->log && strstr(h->log, text) != NULL;
}

size_t harness_sent_since(const struct harness *h, int from, sim_time since)
{
    size_t n = 0;
    for (size_t i = 0; i < h->sent_count; i++)
        if (h->sent[i].from == from && h->sent[i].t >= since)
            n++;
    return n;
}

const struct h_segment *harness_sent_nth(const struct harness *h, int from, sim_time since,
                                         size_t nth)
{
    for (size_t i = 0; i < h->sent_count; i++)
        if (h->sent[i].from == from && h->sent[i].t >= since && nth-- == 0)
            return &h->sent[i];
    return NULL;
}

size_t harness_path(const struct harness *h, int host, uint64_t conn_id, enum tcp_state *states,
                    size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < h->tr_count && n < max; i++) {
        const struct h_transition *t = &h->tr[i];
        if (t->host != host || t->conn_id != conn_id)
            continue;
        if (n == 0)
            states[n++] = t->from;
        if (n < max)
            states[n++] = t->to;
    }
    return n;
}

char *harness_path_string(const struct harness *h, int host, uint64_t conn_id, char *buf,
                          size_t size)
{
    enum tcp_state states[64];
    size_t n = harness_path(h, host, conn_id, states, 64);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "",
                                 tcp_state_name(states[i]));
    return buf;
}

sim_time harness_transition_time(const struct harness *h, int host, uint64_t conn_id,
                                 enum tcp_state to, int nth)
{
    for (size_t i = 0; i < h->tr_count; i++) {
        const struct h_transition *t = &h->tr[i];
        if (t->host == host && t->conn_id == conn_id && t->to == to && --nth == 0)
            return t->t;
    }
    return -1;
}

const struct h_transition *harness_last_transition(const struct harness *h, int host,
                                                   uint64_t conn_id)
{
    for (size_t i = h->tr_count; i-- > 0;)
        if (h->tr[i].host == host && h->tr[i].conn_id == conn_id)
            return &h->tr[i];
    return NULL;
}

void harness_pattern(uint8_t *buf, size_t offset, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t k = offset + i;
        buf[i] = (uint8_t)(k * 131 + (k >> 8) * 7 + 3);
    }
}
