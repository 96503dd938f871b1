/*
 * dot.c: the observed state diagram of dot.h. The transition counts per
 * (from, to, cause) come from the database (results_transition_counts);
 * this file sorts them into the diagram's order and writes DOT: nodes in
 * RFC 9293's order, one edge per (from, to) with its causes one per line,
 * the most frequent first, the pen width growing with the log of the count.
 */
#include "dot.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

struct edges {
    struct results_transition_count *items;
    size_t count, cap;
    bool oom;
};

static int take_edge(void *context, const struct results_transition_count *n)
{
    struct edges *e = context;
    if (e->count == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 32;
        struct results_transition_count *items = realloc(e->items, cap * sizeof *items);
        if (!items) {
            e->oom = true;
            return 1;
        }
        e->items = items;
        e->cap = cap;
    }
    e->items[e->count++] = *n;
    return 0;
}

/* A cause as an edge label writes it: "" for none. */
static const char *cause_label(enum tcp_cause cause)
{
    const char *name = tcp_cause_name(cause);
    return name ? name : "";
}

/* In the diagram's order: by from-state, to-state (the enum is RFC 9293's
 * order), then the most frequent cause first. */
static int compare_edges(const void *a, const void *b)
{
    const struct results_transition_count *x = a, *y = b;
    if (x->from != y->from)
        return (int)x->from - (int)y->from;
    if (x->to != y->to)
        return (int)x->to - (int)y->to;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(cause_label(x->cause), cause_label(y->cause));
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

static int load_edges(struct results_db *db, int64_t run_id, struct edges *e, char *err,
                      size_t errlen)
{
    if (results_transition_counts(db, run_id, take_edge, e) != 0) {
        snprintf(err, errlen, "%s", results_error(db));
        return -1;
    }
    if (e->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    qsort(e->items, e->count, sizeof *e->items, compare_edges);
    return 0;
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

/* One edge per (from, to): its causes one per line, most frequent first. */
static void print_edges(const struct edges *e, FILE *out)
{
    for (size_t i = 0; i < e->count;) {
        const struct results_transition_count *first = &e->items[i];
        size_t j = i;
        int64_t total = 0;
        fprintf(out, "  %s -> %s [label=\"", tcp_state_name(first->from),
                tcp_state_name(first->to));
        for (; j < e->count && e->items[j].from == first->from && e->items[j].to == first->to;
             j++) {
            fprintf(out, "%s", j > i ? "\\n" : "");
            put_escaped(out, cause_label(e->items[j].cause));
            fprintf(out, " \u00d7%" PRId64, e->items[j].count);
            total += e->items[j].count;
        }
        fprintf(out, "\", penwidth=%.1f];\n", 1.0 + log10((double)total));
        i = j;
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
    fprintf(out, "digraph tcp_states {\n  label=\"");
    put_escaped(out, title);
    fprintf(out, "\";\n  labelloc=t;\n  fontname=\"Helvetica\";\n"
                 "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
                 "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    print_nodes(e, o->all_states, out);
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
    free(e.items);
    return status;
}
