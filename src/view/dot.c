/*
 * dot.c: the observed state diagram of dot.h. The transitions come from the
 * database one by one (results_transitions), counted per host and (from,
 * to, cause), then per role (client or server); this file sorts them into
 * the diagram's order and writes DOT: nodes in RFC 9293's order, one edge
 * per (from, to, role) with its causes one per line, the most frequent
 * first, the pen width growing with the log of the count, and with
 * all_states RFC 9293 Figure 5 in grey underneath. Counting record by
 * record costs a pass over the transitions (a 12 000-connection run takes a
 * fraction of a second) but needs no SQL outside results/.
 */
#include "dot.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

enum { MAX_HOSTS = 8 };        /* hosts with a colour of their own; the rest share one */

/* How often one host made one (from, to, cause). */
struct host_edge {
    int host;                  /* index into edges.hosts */
    enum tcp_state from, to;
    enum tcp_cause cause;
    int64_t count;
};

struct edges {
    struct host_edge *items;
    size_t count, cap;
    char *hosts[MAX_HOSTS + 1]; /* the last: every other host */
    int host_count;
    int role[MAX_HOSTS + 1];    /* each host's enum role */
    bool oom;
};

/* The host's index; hosts past MAX_HOSTS share the last one. */
static int host_index(struct edges *e, const char *name)
{
    for (int i = 0; i < e->host_count; i++)
        if (i == MAX_HOSTS || strcmp(e->hosts[i], name) == 0)
            return i;
    char *copy = strdup(e->host_count == MAX_HOSTS ? "others" : name);
    if (!copy) {
        e->oom = true;
        return -1;
    }
    e->hosts[e->host_count] = copy;
    return e->host_count++;
}

static int take_transition(void *context, const struct results_transition *t)
{
    struct edges *e = context;
    int host = host_index(e, t->tr.host);
    if (host < 0)
        return 1;
    for (size_t i = 0; i < e->count; i++) {
        struct host_edge *h = &e->items[i];
        if (h->host == host && h->from == t->tr.from_state && h->to == t->tr.to_state &&
            h->cause == t->tr.cause) {
            h->count++;
            return 0;
        }
    }
    if (e->count == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 32;
        struct host_edge *items = realloc(e->items, cap * sizeof *items);
        if (!items) {
            e->oom = true;
            return 1;
        }
        e->items = items;
        e->cap = cap;
    }
    e->items[e->count++] =
        (struct host_edge){host, t->tr.from_state, t->tr.to_state, t->tr.cause, 1};
    return 0;
}

/* A cause as an edge label writes it: "" for none. */
static const char *cause_label(enum tcp_cause cause)
{
    const char *name = tcp_cause_name(cause);
    return name ? name : "";
}

/* In the diagram's order: by from-state, to-state (the enum is RFC 9293's
 * order), role, then the most frequent cause first. */
static int compare_edges(const void *a, const void *b)
{
    const struct host_edge *x = a, *y = b;
    if (x->from != y->from)
        return (int)x->from - (int)y->from;
    if (x->to != y->to)
        return (int)x->to - (int)y->to;
    if (x->host != y->host)
        return x->host - y->host;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(cause_label(x->cause), cause_label(y->cause));
}

enum role { ROLE_ACTIVE, ROLE_PASSIVE, ROLE_COUNT };

/* A host that ever did a passive OPEN (CLOSED -> LISTEN) is drawn as a
 * server, every other as a client: two colours, whatever the hosts are
 * called (alice and bob of a simultaneous open are both clients). The
 * counts of the hosts of one role are added up. */
static void count_by_role(struct edges *e)
{
    bool passive[MAX_HOSTS + 1] = {false};
    for (size_t i = 0; i < e->count; i++)
        if (e->items[i].from == TCP_CLOSED && e->items[i].to == TCP_LISTEN)
            passive[e->items[i].host] = true;
    for (int h = 0; h < e->host_count; h++)
        e->role[h] = passive[h] ? ROLE_PASSIVE : ROLE_ACTIVE;
    for (size_t i = 0; i < e->count; i++)
        e->items[i].host = (int)e->role[e->items[i].host];
}

/* Adds up the items that count the same (from, to, role, cause); they are
 * neighbours once sorted. */
static void merge_equal(struct edges *e)
{
    size_t kept = 0;
    for (size_t i = 0; i < e->count; i++) {
        struct host_edge *last = kept ? &e->items[kept - 1] : NULL;
        const struct host_edge *h = &e->items[i];
        if (last && last->from == h->from && last->to == h->to && last->host == h->host &&
            last->cause == h->cause)
            last->count += h->count;
        else
            e->items[kept++] = *h;
    }
    e->count = kept;
}

static void free_edges(struct edges *e)
{
    for (int i = 0; i < e->host_count; i++)
        free(e->hosts[i]);
    free(e->items);
}

/* The run (or every run) that exists: *run_id settled, *runs counted. */
static int find_runs(struct results_db *db, const struct dot_options *o, int64_t *run_id,
                     int64_t *runs, char *err, size_t errlen)
{
    struct results_run run;
    *run_id = o->run_id;
    if (o->all_runs) {
        if (results_run_count(db, runs) != 0)
            goto failed;
    } else {
        int found = 0;
        if ((*run_id == 0 && results_latest_run(db, run_id) != 0) ||
            (*run_id > 0 && (found = results_run(db, *run_id, &run)) < 0))
            goto failed;
        *runs = found;
    }
    if (*runs == 0) {
        if (o->all_runs || *run_id == 0)
            snprintf(err, errlen, "the database holds no runs");
        else
            snprintf(err, errlen, "no run %" PRId64, *run_id);
        return -1;
    }
    return 0;
failed:
    snprintf(err, errlen, "%s", results_error(db));
    return -1;
}

/* Every transition of the run (run_id), or of every run (run_id 0), counted
 * per host. */
static int load_edges(struct results_db *db, int64_t run_id, struct edges *e, char *err,
                      size_t errlen)
{
    int64_t first = run_id, last = run_id;
    if (run_id == RESULTS_ALL_RUNS) {
        first = 1;
        if (results_latest_run(db, &last) != 0)
            goto failed;
    }
    for (int64_t id = first; id <= last && !e->oom; id++) {
        struct results_run run;
        int found = run_id == RESULTS_ALL_RUNS ? results_run(db, id, &run) : 1;
        if (found < 0 || (found && results_transitions(db, id, 0, take_transition, e) != 0))
            goto failed;
    }
    if (e->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    count_by_role(e);
    if (e->count == 0)
        return 0; /* a run without transitions; and qsort must not see items NULL */
    qsort(e->items, e->count, sizeof *e->items, compare_edges);
    merge_equal(e);
    qsort(e->items, e->count, sizeof *e->items, compare_edges); /* most frequent cause first */
    return 0;
failed:
    snprintf(err, errlen, "%s", results_error(db));
    return -1;
}

/* Inside a DOT double-quoted string: escape quotes and backslashes. */
static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

/* RFC 9293's Figure 5, the backdrop of --all-states: its edges with its
 * words, drawn grey where no run went. */
static const struct rfc_edge {
    enum tcp_state from, to;
    const char *label;
} rfc_edges[] = {
    {TCP_CLOSED, TCP_LISTEN, "passive OPEN"},
    {TCP_CLOSED, TCP_SYN_SENT, "active OPEN\\nsnd SYN"},
    {TCP_LISTEN, TCP_SYN_RECEIVED, "rcv SYN\\nsnd SYN,ACK"},
    {TCP_LISTEN, TCP_SYN_SENT, "SEND\\nsnd SYN"},
    {TCP_LISTEN, TCP_CLOSED, "CLOSE"},
    {TCP_SYN_SENT, TCP_SYN_RECEIVED, "rcv SYN\\nsnd ACK"},
    {TCP_SYN_SENT, TCP_ESTABLISHED, "rcv SYN,ACK\\nsnd ACK"},
    {TCP_SYN_SENT, TCP_CLOSED, "CLOSE"},
    {TCP_SYN_RECEIVED, TCP_LISTEN, "rcv RST"},
    {TCP_SYN_RECEIVED, TCP_ESTABLISHED, "rcv ACK of SYN"},
    {TCP_SYN_RECEIVED, TCP_FIN_WAIT_1, "CLOSE\\nsnd FIN"},
    {TCP_ESTABLISHED, TCP_FIN_WAIT_1, "CLOSE\\nsnd FIN"},
    {TCP_ESTABLISHED, TCP_CLOSE_WAIT, "rcv FIN\\nsnd ACK"},
    {TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, "rcv ACK of FIN"},
    {TCP_FIN_WAIT_1, TCP_CLOSING, "rcv FIN\\nsnd ACK"},
    {TCP_FIN_WAIT_2, TCP_TIME_WAIT, "rcv FIN\\nsnd ACK"},
    {TCP_CLOSING, TCP_TIME_WAIT, "rcv ACK of FIN"},
    {TCP_CLOSE_WAIT, TCP_LAST_ACK, "CLOSE\\nsnd FIN"},
    {TCP_LAST_ACK, TCP_CLOSED, "rcv ACK of FIN"},
    {TCP_TIME_WAIT, TCP_CLOSED, "Timeout=2MSL\\ndelete TCB"},
};

/* A colour per role: clients blue, servers orange (told apart also by
 * people who do not see red and green apart). */
static const char *const role_colors[ROLE_COUNT] = {"#1f77b4", "#d95f02"};
static const char *const role_names[ROLE_COUNT] = {"clients (active open)",
                                                   "servers (passive open)"};

static bool observed(const struct edges *e, enum tcp_state from, enum tcp_state to)
{
    for (size_t i = 0; i < e->count; i++)
        if (e->items[i].from == from && e->items[i].to == to)
            return true;
    return false;
}

static void print_nodes(const struct edges *e, bool all_states, FILE *out)
{
    bool visited[TCP_STATE_COUNT] = {false};
    for (size_t i = 0; i < e->count; i++)
        visited[e->items[i].from] = visited[e->items[i].to] = true;
    for (int i = 0; i < TCP_STATE_COUNT; i++) {
        const char *name = tcp_state_name((enum tcp_state)i);
        if (visited[i])
            fprintf(out, "  %s;\n", name);
        else if (all_states)
            fprintf(out, "  %s [color=grey70, fontcolor=grey60, style=\"rounded,dashed\"];\n",
                    name);
    }
}

/* The RFC's edges no run took, grey and dashed, under its words. */
static void print_backdrop(const struct edges *e, FILE *out)
{
    for (size_t i = 0; i < sizeof rfc_edges / sizeof rfc_edges[0]; i++) {
        const struct rfc_edge *r = &rfc_edges[i];
        if (!observed(e, r->from, r->to))
            fprintf(out, "  %s -> %s [label=\"%s\", color=grey75, fontcolor=grey55, "
                         "style=dashed];\n", tcp_state_name(r->from), tcp_state_name(r->to),
                    r->label);
    }
}

/* One edge per (from, to, role) in the role's colour: its causes one per
 * line, most frequent first. */
static void print_edges(const struct edges *e, FILE *out)
{
    for (size_t i = 0; i < e->count;) {
        const struct host_edge *first = &e->items[i];
        size_t j = i;
        int64_t total = 0;
        fprintf(out, "  %s -> %s [label=\"", tcp_state_name(first->from),
                tcp_state_name(first->to));
        for (; j < e->count && e->items[j].from == first->from && e->items[j].to == first->to &&
               e->items[j].host == first->host;
             j++) {
            fprintf(out, "%s", j > i ? "\\n" : "");
            put_escaped(out, cause_label(e->items[j].cause));
            fprintf(out, " \u00d7%" PRId64, e->items[j].count);
            total += e->items[j].count;
        }
        const char *color = role_colors[first->host];
        fprintf(out, "\", color=\"%s\", fontcolor=\"%s\", penwidth=%.1f];\n", color, color,
                1.0 + log10((double)total));
        i = j;
    }
}

static void put_html(FILE *out, const char *s)
{
    for (; *s; s++)
        if (*s == '<' || *s == '>' || *s == '&')
            fprintf(out, "&#%d;", *s);
        else
            fputc(*s, out);
}

/* Which colour is which role, and its hosts, as a line of the title. */
static void print_legend(const struct edges *e, FILE *out)
{
    for (int r = 0; r < ROLE_COUNT; r++) {
        fprintf(out, "%s<font color=\"%s\">%s:", r ? "; " : "", role_colors[r], role_names[r]);
        for (int h = 0, n = 0; h < e->host_count; h++)
            if (e->role[h] == r) {
                fputs(n++ ? ", " : " ", out);
                put_html(out, e->hosts[h]);
            }
        fputs("</font>", out);
    }
}

static void print_dot(const struct dot_options *o, int64_t run_id, const struct edges *e,
                      int64_t runs, FILE *out)
{
    char title[512];
    if (o->all_runs)
        snprintf(title, sizeof title, "TCP state transitions observed in %" PRId64 " run%s",
                 runs, runs == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "TCP state transitions observed in run %" PRId64, run_id);
    fprintf(out, "digraph tcp_states {\n  label=<");
    put_html(out, title);
    fputs("<br/>", out);
    print_legend(e, out);
    if (o->all_states)
        fputs("<br/><font color=\"grey55\">grey, dashed: RFC 9293 Figure 5, not taken</font>",
              out);
    fprintf(out, ">;\n  labelloc=t;\n  fontname=\"Helvetica\";\n  pad=0.4;\n  nodesep=0.5;\n"
                 "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
                 "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    print_nodes(e, o->all_states, out);
    if (o->all_states)
        print_backdrop(e, out);
    print_edges(e, out);
    fprintf(out, "}\n");
}

static enum dot_status write_graph(const struct dot_options *o, int64_t run_id,
                                   const struct edges *e, int64_t runs, char *err,
                                   size_t errlen)
{
    const char *name = o->out_path ? o->out_path : "standard output";
    FILE *out = o->out_path ? fopen(o->out_path, "w") : stdout;
    if (!out) {
        snprintf(err, errlen, "cannot write %s", name);
        return DOT_WRITE_FAILED;
    }
    print_dot(o, run_id, e, runs, out);
    if ((out != stdout ? fclose(out) : fflush(out)) != 0) {
        snprintf(err, errlen, "writing %s failed", name);
        return DOT_WRITE_FAILED;
    }
    return DOT_OK;
}

enum dot_status dot_write(struct results_db *db, const struct dot_options *o, char *err,
                          size_t errlen)
{
    struct edges e = {0};
    int64_t run_id, runs;
    enum dot_status status = DOT_BAD_INPUT;
    if (find_runs(db, o, &run_id, &runs, err, errlen) == 0 &&
        load_edges(db, o->all_runs ? RESULTS_ALL_RUNS : run_id, &e, err, errlen) == 0)
        status = write_graph(o, run_id, &e, runs, err, errlen);
    free_edges(&e);
    return status;
}
