/*
 * compare.c: `tcpsim compare`'s logic (compare.h says what is compared and
 * why): read both runs through the typed reader into streams per
 * connection, align the connections, compare the streams and find the
 * first divergence. Printing is compare_print.c's.
 *
 * Trade-offs: a stream is compared only up to its first divergence; after
 * it, events no longer correspond one to one and their times would only
 * repeat the divergence. Windows are compared only between runs of the same
 * stack: Linux scales its windows and the database keeps no window-scale
 * option, so a kernel's raw field means nothing to the simulator's. PSH is
 * also compared only within a stack: it is a sender's hint that receivers
 * ignore, and Linux sets it per buffer it writes (every second full segment
 * of a long send), which the simulator does not model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compare_model.h"

/* ---- options ---- */

static int parse_number(const char *text, const char *unit, double *out, const char **end)
{
    char *rest;
    errno = 0;
    *out = strtod(text, &rest);
    if (rest == text || errno != 0 || *out < 0 || *out > 1e9)
        return -1;
    size_t n = strlen(unit);
    if (strncmp(rest, unit, n) == 0)
        rest += n;
    *end = rest;
    return 0;
}

int compare_parse_tolerance(const char *text, struct compare_options *o, char *err, size_t errlen)
{
    double ms, percent = o->tolerance_fraction * 100;
    const char *rest;
    int bad = parse_number(text, "ms", &ms, &rest);
    if (!bad && *rest == ',')
        bad = parse_number(rest + 1, "%", &percent, &rest) || percent > 100;
    if (bad || *rest != '\0') {
        snprintf(err, errlen, "--tolerance: '%s' is not MS[,PERCENT] (e.g. 5,12.5)", text);
        return -1;
    }
    o->tolerance_ns = (sim_time)(ms * SIM_MS + 0.5);
    o->tolerance_fraction = percent / 100;
    return 0;
}

/* "FILE.db:RUN" -> FILE.db and RUN; "FILE.db" -> run 0 (the latest). */
static int parse_spec(const char *spec, struct cmp_run *run, char *err, size_t errlen)
{
    const char *colon = strrchr(spec, ':');
    size_t path_len = strlen(spec);
    run->run_id = 0;
    if (colon && colon[1] != '\0' && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        path_len = (size_t)(colon - spec);
        run->run_id = strtoll(colon + 1, NULL, 10);
        if (run->run_id <= 0) {
            snprintf(err, errlen, "%s: run numbers start at 1", spec);
            return -1;
        }
    }
    if (path_len == 0 || path_len >= sizeof run->path) {
        snprintf(err, errlen, "'%s' is not FILE.db[:RUN]", spec);
        return -1;
    }
    memcpy(run->path, spec, path_len);
    run->path[path_len] = '\0';
    return 0;
}

/* ---- reading a run into streams ---- */

/* items (count of *capacity, each size bytes) with room for one more:
 * the same block, or a block twice the size. NULL when out of memory
 * (items is then still valid). */
static void *make_room(void *items, size_t *capacity, size_t count, size_t size)
{
    if (count < *capacity)
        return items;
    size_t more = *capacity ? 2 * *capacity : 16;
    void *grown = realloc(items, more * size);
    if (grown)
        *capacity = more;
    return grown;
}

static int take_connection(void *context, const struct trace_connection *tc)
{
    struct cmp_run *run = context;
    struct cmp_conn *conns = make_room(run->conns, &run->capacity, run->count, sizeof *conns);
    if (!conns)
        return run->out_of_memory = true;
    run->conns = conns;
    struct cmp_conn *c = &run->conns[run->count++];
    memset(c, 0, sizeof *c);
    c->c = *tc;
    snprintf(c->client, sizeof c->client, "%s", tc->client);
    snprintf(c->server, sizeof c->server, "%s", tc->server);
    c->c.client = c->client;
    c->c.server = c->server;
    return 0;
}

static int by_conn_id(const void *key, const void *element)
{
    uint64_t id = *(const uint64_t *)key, other = ((const struct cmp_conn *)element)->c.conn_id;
    return id < other ? -1 : id > other;
}

static struct cmp_conn *find_conn(struct cmp_run *run, uint64_t conn_id)
{
    if (run->count == 0)
        return NULL; /* a run without connections: bsearch must not see conns NULL */
    return bsearch(&conn_id, run->conns, run->count, sizeof *run->conns, by_conn_id);
}

/* A segment of no connection (a RST answering a stray segment) belongs to
 * the connection of its 4-tuple, either way round. */
static struct cmp_conn *find_by_tuple(struct cmp_run *run, const struct segment *s)
{
    for (size_t i = 0; i < run->count; i++) {
        const struct trace_connection *c = &run->conns[i].c;
        bool forward = s->src_addr == c->client_addr && s->src_port == c->client_port &&
                       s->dst_addr == c->server_addr && s->dst_port == c->server_port;
        bool back = s->src_addr == c->server_addr && s->src_port == c->server_port &&
                    s->dst_addr == c->client_addr && s->dst_port == c->client_port;
        if (forward || back)
            return &run->conns[i];
    }
    return NULL;
}

static int append(struct cmp_run *run, struct cmp_conn *c, enum cmp_stream stream,
                  struct cmp_event e, sim_time t_ns)
{
    struct cmp_events *s = &c->streams[stream];
    struct cmp_event *at = make_room(s->at, &s->capacity, s->count, sizeof *at);
    if (!at)
        return run->out_of_memory = true;
    s->at = at;
    e.t_ns = t_ns;
    e.at_ns = t_ns - c->c.opened_ns;
    e.gap_ns = s->count ? t_ns - s->at[s->count - 1].t_ns : e.at_ns;
    s->at[s->count++] = e;
    return 0;
}

static int take_transition(void *context, const struct results_transition *t)
{
    struct cmp_conn *c = t->tr.conn_id ? find_conn(context, t->tr.conn_id) : NULL;
    if (!c)
        return 0;            /* a listener's: not compared (docs/tcpsim.1) */
    enum cmp_stream stream = strcmp(t->tr.host, c->client) == 0   ? CMP_CLIENT_PATH
                             : strcmp(t->tr.host, c->server) == 0 ? CMP_SERVER_PATH
                                                                  : CMP_STREAMS;
    if (stream == CMP_STREAMS)
        return 0;
    struct cmp_event e = {.from = t->tr.from_state, .to = t->tr.to_state};
    return append(context, c, stream, e, t->tr.t_ns);
}

static int take_segment(void *context, const struct results_segment *s)
{
    const struct segment *seg = &s->seg;
    struct cmp_conn *c = seg->conn_id ? find_conn(context, seg->conn_id) : NULL;
    if (!c)
        c = find_by_tuple(context, seg);
    if (!c)
        return 0;
    bool from_client = seg->src_addr == c->c.client_addr && seg->src_port == c->c.client_port;
    uint32_t own_isn = from_client ? c->c.client_isn : c->c.server_isn;
    uint32_t peer_isn = from_client ? c->c.server_isn : c->c.client_isn;
    int has_own = from_client ? c->c.has_client_isn : c->c.has_server_isn;
    int has_peer = from_client ? c->c.has_server_isn : c->c.has_client_isn;
    struct cmp_event e = {
        .flags = seg->flags, .seq = seg->seq - (has_own ? own_isn : 0),
        .ack = seg->ack - (has_peer ? peer_isn : 0), .len = seg->len, .wnd = seg->wnd,
        .fate = s->fate,
    };
    return append(context, c, from_client ? CMP_CLIENT_SEGMENTS : CMP_SERVER_SEGMENTS, e,
                  s->sent_ns);
}

static int read_records(struct results_db *db, struct cmp_run *run)
{
    if (results_connections(db, run->run_id, 0, take_connection, run) != 0 ||
        results_transitions(db, run->run_id, 0, take_transition, run) != 0 ||
        results_segments(db, run->run_id, 0, take_segment, run) != 0)
        return -1;
    return 0;
}

static int resolve_run(struct results_db *db, struct cmp_run *run, char *err, size_t errlen)
{
    if (run->run_id == 0 && results_latest_run(db, &run->run_id) != 0)
        return -1;
    if (run->run_id == 0) {
        snprintf(err, errlen, "%s: no runs in this database", run->path);
        return 1;
    }
    int found = results_run(db, run->run_id, &run->info);
    if (found == 0)
        snprintf(err, errlen, "%s: no run %lld", run->path, (long long)run->run_id);
    return found < 0 ? -1 : !found;
}

static int load_run(const char *spec, struct cmp_run *run, char *err, size_t errlen)
{
    if (parse_spec(spec, run, err, errlen) != 0)
        return -1;
    struct results_db *db = results_open(run->path, err, errlen);
    if (!db)
        return -1;
    int rc = resolve_run(db, run, err, errlen);
    if (rc == 0 && read_records(db, run) != 0)
        rc = -1;
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", run->path, results_error(db));
    else if (rc == 0 && run->out_of_memory)
        snprintf(err, errlen, "%s: out of memory reading run %lld", run->path,
                 (long long)run->run_id);
    results_close(db);
    return rc == 0 && !run->out_of_memory ? 0 : -1;
}

static void free_run(struct cmp_run *run)
{
    for (size_t i = 0; i < run->count; i++)
        for (int s = 0; s < CMP_STREAMS; s++)
            free(run->conns[i].streams[s].at);
    free(run->conns);
}

/* ---- alignment ---- */

static bool same_roles(const struct cmp_conn *x, const struct cmp_conn *y)
{
    return strcmp(x->client, y->client) == 0 && strcmp(x->server, y->server) == 0;
}

/* The n-th connection of run with x's roles, n = x's place among its own. */
static size_t counterpart(const struct cmp_run *own, size_t i, const struct cmp_run *other)
{
    size_t n = 0;
    for (size_t k = 0; k < i; k++)
        n += same_roles(&own->conns[k], &own->conns[i]);
    for (size_t k = 0; k < other->count; k++)
        if (same_roles(&other->conns[k], &own->conns[i]) && n-- == 0)
            return k;
    return SIZE_MAX;
}

static int align(struct cmp_report *r)
{
    r->pairs = calloc(r->a.count + r->b.count + 1, sizeof *r->pairs);
    bool *taken = calloc(r->b.count + 1, sizeof *taken);
    if (!r->pairs || !taken) {
        free(taken);
        return -1;
    }
    for (size_t i = 0; i < r->a.count; i++) {
        size_t k = counterpart(&r->a, i, &r->b);
        r->pairs[r->pair_count++] = (struct cmp_pair){&r->a.conns[i],
                                                      k == SIZE_MAX ? NULL : &r->b.conns[k]};
        if (k != SIZE_MAX)
            taken[k] = true;
    }
    for (size_t k = 0; k < r->b.count; k++)
        if (!taken[k])
            r->pairs[r->pair_count++] = (struct cmp_pair){NULL, &r->b.conns[k]};
    free(taken);
    return 0;
}

/* ---- comparison ---- */

static int add_difference(struct cmp_report *r, struct cmp_difference d)
{
    struct cmp_difference *diffs = make_room(r->diffs, &r->diff_capacity, r->diff_count,
                                             sizeof *diffs);
    if (!diffs)
        return -1;
    r->diffs = diffs;
    r->diffs[r->diff_count++] = d;
    return 0;
}

static enum cmp_kind event_difference(const struct cmp_event *a, const struct cmp_event *b,
                                      bool path, bool same_stack)
{
    if (path)
        return a->from != b->from || a->to != b->to ? CMP_PATH : CMP_NONE;
    uint8_t compared = same_stack ? 0xff : (uint8_t)~TCP_FLAG_PSH;
    if ((a->flags & compared) != (b->flags & compared))
        return CMP_FLAGS;
    if (a->seq != b->seq)
        return CMP_SEQ;
    if ((a->flags & TCP_FLAG_ACK) && a->ack != b->ack)
        return CMP_ACK;
    if (a->len != b->len)
        return CMP_LEN;
    if (same_stack && a->wnd != b->wnd)
        return CMP_WINDOW;
    return a->fate != b->fate ? CMP_FATE : CMP_NONE;
}

/* max(tolerance, fraction of the longer interval), packetdrill's rule. */
static sim_time allowed(const struct compare_options *o, sim_time gap_a, sim_time gap_b)
{
    double longer = (double)(gap_a > gap_b ? gap_a : gap_b);
    sim_time relative = (sim_time)(o->tolerance_fraction * longer);
    return relative > o->tolerance_ns ? relative : o->tolerance_ns;
}

static int compare_stream(struct cmp_report *r, size_t pair, enum cmp_stream stream)
{
    const struct cmp_events *a = &r->pairs[pair].a->streams[stream];
    const struct cmp_events *b = &r->pairs[pair].b->streams[stream];
    bool path = stream == CMP_CLIENT_PATH || stream == CMP_SERVER_PATH;
    size_t common = a->count < b->count ? a->count : b->count;
    for (size_t i = 0; i < common; i++) {
        struct cmp_difference d = {pair, stream, i, CMP_NONE, a->at[i].t_ns, 0};
        d.kind = event_difference(&a->at[i], &b->at[i], path, r->windows_compared);
        if (d.kind != CMP_NONE)
            return add_difference(r, d);
        sim_time gap_a = a->at[i].gap_ns, gap_b = b->at[i].gap_ns;
        d.allowed_ns = allowed(&r->options, gap_a, gap_b);
        d.kind = CMP_TIMING;
        if ((gap_a > gap_b ? gap_a - gap_b : gap_b - gap_a) > d.allowed_ns &&
            add_difference(r, d) != 0)
            return -1;
    }
    if (a->count == b->count)
        return 0;
    bool in_a = a->count > b->count;
    struct cmp_difference d = {pair, stream, common, in_a ? CMP_ONLY_A : CMP_ONLY_B,
                               in_a ? a->at[common].t_ns : b->at[common].t_ns, 0};
    return add_difference(r, d);
}

static int compare_pairs(struct cmp_report *r)
{
    for (size_t p = 0; p < r->pair_count; p++) {
        const struct cmp_pair *pair = &r->pairs[p];
        if (!pair->a || !pair->b) {
            const struct cmp_conn *only = pair->a ? pair->a : pair->b;
            struct cmp_difference d = {p, CMP_CLIENT_PATH, 0, CMP_CONNECTION, only->c.opened_ns, 0};
            if (add_difference(r, d) != 0)
                return -1;
            continue;
        }
        for (int s = 0; s < CMP_STREAMS; s++)
            if (compare_stream(r, p, (enum cmp_stream)s) != 0)
                return -1;
    }
    return 0;
}

static void find_first(struct cmp_report *r)
{
    for (size_t i = 0; i < r->diff_count; i++) {
        const struct cmp_difference *d = &r->diffs[i];
        if (d->kind != CMP_TIMING && (!r->first || d->t_ns < r->first->t_ns))
            r->first = d;
    }
}

/* "tcpsim 0.4" and "tcpsim 0.5" are one stack; "linux 6.18" another. */
static bool same_stack(const char *x, const char *y)
{
    size_t n = strcspn(x, " ");
    return n == strcspn(y, " ") && strncmp(x, y, n) == 0;
}

static void free_report(struct cmp_report *r)
{
    free_run(&r->a);
    free_run(&r->b);
    free(r->pairs);
    free(r->diffs);
}

enum compare_result compare_runs(const char *spec_a, const char *spec_b,
                                 const struct compare_options *o, FILE *out, char *err,
                                 size_t errlen)
{
    struct cmp_report r;
    memset(&r, 0, sizeof r);
    r.options = *o;
    if (load_run(spec_a, &r.a, err, errlen) != 0 || load_run(spec_b, &r.b, err, errlen) != 0) {
        free_report(&r);
        return COMPARE_BAD_INPUT;
    }
    r.windows_compared = same_stack(r.a.info.stack, r.b.info.stack);
    if (align(&r) != 0 || compare_pairs(&r) != 0) {
        snprintf(err, errlen, "out of memory comparing %s and %s", r.a.path, r.b.path);
        free_report(&r);
        return COMPARE_BAD_INPUT;
    }
    find_first(&r);
    if (o->format == COMPARE_JSON)
        cmp_print_json(&r, out);
    else
        cmp_print_text(&r, out);
    enum compare_result result = r.diff_count ? COMPARE_DIFFERENT : COMPARE_EQUIVALENT;
    free_report(&r);
    return result;
}
