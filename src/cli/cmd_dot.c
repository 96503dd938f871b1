/*
 * cmd_dot.c: `tcpsim dot DB [--run ID | --all-runs] [--all-states]`: the
 * state diagram that the recorded runs actually went through, as Graphviz
 * DOT: a node per state, an edge per (from, to) labelled with each cause
 * and how often it happened ("rcv FIN ×3"). With --all-states the states
 * never visited are drawn too, in grey, so the picture is RFC 9293's whole
 * diagram with the unused parts faded. Render with `dot -Tsvg`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sink_sqlite.h"

/* RFC 9293 3.3.2, in the order of its diagram. */
static const char *const states[] = {
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT",
};
enum { STATE_COUNT = sizeof states / sizeof states[0], UNKNOWN_STATE = STATE_COUNT };

struct dot_options {
    const char *db_path, *out_path;
    int64_t run_id;            /* 0: the latest */
    bool all_runs, all_states;
};

struct edge {
    int from, to;
    char cause[64];
    int64_t count;
};

struct edges {
    struct edge *items;
    size_t count, cap;
    bool oom;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim dot DB [OPTION]...\n"
            "Print the state transitions recorded in DB as a Graphviz DOT graph: a node per\n"
            "state, an edge per transition labelled with its causes and counts.\n"
            "Render it with e.g. `tcpsim dot DB | dot -Tsvg -o states.svg`.\n\n"
            "      --run ID           the run (default: the latest in the database)\n"
            "      --all-runs         every run of the database, counts added up\n"
            "      --all-states       also the states never visited, in grey\n"
            "  -o, --output FILE      write to FILE instead of standard output\n"
            "  -h, --help             this help\n\n"
            "Exit status: 0 ok, 1 the output could not be written, 2 usage or input error.\n");
}

static int parse_options(int argc, char **argv, struct dot_options *o)
{
    static const struct option options[] = {
        {"run", required_argument, NULL, 'r'},   {"all-runs", no_argument, NULL, 'a'},
        {"all-states", no_argument, NULL, 's'},  {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int opt;
    uint64_t run_id;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'a': o->all_runs = true; break;
        case 's': o->all_states = true; break;
        case 'o': o->out_path = optarg; break;
        case 'r':
            if (cli_parse_integer("--run", optarg, 1, INT64_MAX, &run_id) != 0)
                return -1;
            o->run_id = (int64_t)run_id;
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind < argc ? "dot takes one database" : "dot needs a database");
        usage(stderr);
        return -1;
    }
    if (o->all_runs && o->run_id) {
        cli_error("--run and --all-runs contradict each other");
        return -1;
    }
    o->db_path = argv[optind];
    return 0;
}

static int state_index(const char *name)
{
    for (int i = 0; i < STATE_COUNT; i++)
        if (name && strcmp(name, states[i]) == 0)
            return i;
    return UNKNOWN_STATE;
}

static int take_edge(void *context, int n, const char *const *values, const char *const *names)
{
    struct edges *e = context;
    (void)n;
    (void)names;
    if (e->count == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 32;
        struct edge *items = realloc(e->items, cap * sizeof *items);
        if (!items) {
            e->oom = true;
            return 1;
        }
        e->items = items;
        e->cap = cap;
    }
    struct edge *edge = &e->items[e->count++];
    edge->from = state_index(values[0]);
    edge->to = state_index(values[1]);
    snprintf(edge->cause, sizeof edge->cause, "%s", values[2] ? values[2] : "");
    edge->count = values[3] ? strtoll(values[3], NULL, 10) : 0;
    return 0;
}

static int take_int(void *context, int n, const char *const *values, const char *const *names)
{
    (void)names;
    *(int64_t *)context = n > 0 && values[0] ? strtoll(values[0], NULL, 10) : 0;
    return 1;
}

/* In the diagram's order: by from-state, to-state, then the most frequent
 * cause first. */
static int compare_edges(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from - y->from;
    if (x->to != y->to)
        return x->to - y->to;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->cause, y->cause);
}

static int load_edges(struct trace_sink *db, struct dot_options *o, struct edges *e,
                      int64_t *runs, char *err, size_t errlen)
{
    if (!o->all_runs && o->run_id == 0 &&
        sink_sqlite_query(db, "SELECT max(run_id) FROM runs", NULL, 0, take_int, &o->run_id,
                          err, errlen) != 0)
        return -1;
    const char *where = o->all_runs ? "" : " WHERE run_id = ?1";
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs%s", where);
    if (sink_sqlite_query(db, sql, &o->run_id, o->all_runs ? 0 : 1, take_int, runs, err,
                          errlen) != 0)
        return -1;
    if (*runs == 0) {
        if (o->all_runs || o->run_id == 0)
            snprintf(err, errlen, "the database holds no runs");
        else
            snprintf(err, errlen, "no run %" PRId64, o->run_id);
        return -1;
    }
    snprintf(sql, sizeof sql,
             "SELECT from_state, to_state, cause, count(*) FROM transitions%s"
             " GROUP BY from_state, to_state, cause", where);
    if (sink_sqlite_query(db, sql, &o->run_id, o->all_runs ? 0 : 1, take_edge, e, err,
                          errlen) != 0)
        return -1;
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

static const char *state_name(int index)
{
    return index < STATE_COUNT ? states[index] : "?";
}

static void print_nodes(const struct edges *e, bool all_states, FILE *out)
{
    bool visited[STATE_COUNT + 1] = {false};
    for (size_t i = 0; i < e->count; i++)
        visited[e->items[i].from] = visited[e->items[i].to] = true;
    for (int i = 0; i < STATE_COUNT; i++) {
        if (visited[i])
            fprintf(out, "  %s;\n", states[i]);
        else if (all_states)
            fprintf(out, "  %s [color=grey70, fontcolor=grey60, style=\"rounded,dashed\"];\n",
                    states[i]);
    }
}

/* One edge per (from, to): its causes one per line, most frequent first. */
static void print_edges(const struct edges *e, FILE *out)
{
    for (size_t i = 0; i < e->count;) {
        size_t j = i;
        int64_t total = 0;
        fprintf(out, "  %s -> %s [label=\"", state_name(e->items[i].from),
                state_name(e->items[i].to));
        for (; j < e->count && e->items[j].from == e->items[i].from &&
               e->items[j].to == e->items[i].to;
             j++) {
            fprintf(out, "%s", j > i ? "\\n" : "");
            put_escaped(out, e->items[j].cause);
            fprintf(out, " \u00d7%" PRId64, e->items[j].count);
            total += e->items[j].count;
        }
        fprintf(out, "\", penwidth=%.1f];\n", 1.0 + log10((double)total));
        i = j;
    }
}

static void print_dot(const struct dot_options *o, const struct edges *e, int64_t runs,
                      FILE *out)
{
    char title[512];
    if (o->all_runs)
        snprintf(title, sizeof title, "TCP state transitions observed in %" PRId64 " run%s",
                 runs, runs == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "TCP state transitions observed in run %" PRId64,
                 o->run_id);
    fprintf(out, "digraph tcp_states {\n  label=\"");
    put_escaped(out, title);
    fprintf(out, "\";\n  labelloc=t;\n  fontname=\"Helvetica\";\n"
                 "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
                 "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    print_nodes(e, o->all_states, out);
    print_edges(e, out);
    fprintf(out, "}\n");
}

int cmd_dot(int argc, char **argv)
{
    struct dot_options o = {0};
    struct edges e = {0};
    int64_t runs = 0;
    char err[512];
    if (parse_options(argc, argv, &o) != 0)
        return EXIT_USAGE;
    struct trace_sink *db = sink_sqlite_open_read(o.db_path, err, sizeof err);
    if (!db) {
        cli_error("%s", err);
        return EXIT_USAGE;
    }
    int status = EXIT_OK;
    if (load_edges(db, &o, &e, &runs, err, sizeof err) != 0) {
        cli_error("%s: %s", o.db_path, err);
        status = EXIT_USAGE;
    } else {
        FILE *out = o.out_path ? fopen(o.out_path, "w") : stdout;
        if (!out) {
            cli_error("cannot write %s", o.out_path);
            status = EXIT_FAILED;
        } else {
            print_dot(&o, &e, runs, out);
            if ((out != stdout ? fclose(out) : fflush(out)) != 0) {
                cli_error("writing %s failed", o.out_path ? o.out_path : "standard output");
                status = EXIT_FAILED;
            }
        }
    }
    free(e.items);
    db->ops->destroy(db);
    return status;
}
