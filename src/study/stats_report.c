/*
 * stats_report.c: loading a results database into a stats report
 * (stats_report.h): the completed runs and their settings, grouped into
 * points by the values of the --by keys, then each connection's handshake,
 * the retransmissions and the TIME_WAIT and CLOSE_WAIT stays added to the
 * point of their run, and each point's latency summarized.
 *
 * Trade-off: all of a point's latencies are kept (8 bytes per established
 * connection) because the median, the quantiles and the distribution test
 * need them; the other figures are running sums.
 */
#include "stats_report.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "results_study.h"
#include "sink_sqlite.h"

struct param_row {
    size_t run;                 /* index into run_ids */
    char *key, *value;
};

/* What loading needs beside the report: the runs and their settings. */
struct loader {
    struct stats_report *r;
    struct trace_sink *db;
    int64_t *run_ids;           /* runs with status ok or failed, ascending */
    size_t run_count, run_capacity;
    size_t *run_point;          /* point of each run */
    struct param_row *params;   /* sorted by run, then key */
    size_t param_count, param_capacity;
    char *error;
    size_t errlen;
};

static bool grow(void **array, size_t *capacity, size_t needed, size_t size)
{
    if (needed <= *capacity)
        return true;
    size_t capacity2 = *capacity ? *capacity * 2 : 64;
    while (capacity2 < needed)
        capacity2 *= 2;
    void *grown = realloc(*array, capacity2 * size);
    if (!grown)
        return false;
    *array = grown;
    *capacity = capacity2;
    return true;
}

/* Index of run_id in the dataset's runs, or -1 (a run with status error). */
static long run_index(const struct loader *d, int64_t run_id)
{
    size_t lo = 0, hi = d->run_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->run_ids[mid] < run_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->run_count && d->run_ids[lo] == run_id ? (long)lo : -1;
}

/* ---- loading: runs and their parameters ---- */

static int on_run(void *context, int64_t run_id)
{
    struct loader *d = context;
    if (!grow((void **)&d->run_ids, &d->run_capacity, d->run_count + 1, sizeof *d->run_ids))
        return 1;
    d->run_ids[d->run_count++] = run_id;
    return 0;
}

static int on_param(void *context, const struct results_run_param *param)
{
    struct loader *d = context;
    long run = run_index(d, param->run_id);
    if (run < 0)
        return 0;
    if (!grow((void **)&d->params, &d->param_capacity, d->param_count + 1, sizeof *d->params))
        return 1;
    struct param_row *p = &d->params[d->param_count];
    p->run = (size_t)run;
    p->key = strdup(param->key);
    p->value = strdup(param->value);
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return 1;
    }
    d->param_count++;
    return 0;
}

static int load_runs(struct loader *d)
{
    struct stats_report *r = d->r;
    if (results_completed_runs(d->db, on_run, d, d->error, d->errlen) != 0 ||
        results_run_params(d->db, on_param, d, d->error, d->errlen) != 0 ||
        results_first_endpoints(d->db, r->client, sizeof r->client, r->server, sizeof r->server,
                                d->error, d->errlen) != 0)
        return -1;
    return 0;
}

/* The value of key for run, or NULL. */
static const char *run_param(const struct loader *d, size_t run, const char *key)
{
    /* params are sorted by run: binary search for the run's first row */
    size_t lo = 0, hi = d->param_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->params[mid].run < run)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < d->param_count && d->params[lo].run == run; lo++)
        if (strcmp(d->params[lo].key, key) == 0)
            return d->params[lo].value;
    return NULL;
}

static bool key_listed(char *const *keys, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

/* A key varies when two runs have different values or some run lacks it. */
static bool key_varies(const struct loader *d, const char *key)
{
    const char *first = run_param(d, 0, key);
    for (size_t r = 1; r < d->run_count; r++) {
        const char *v = run_param(d, r, key);
        if (!first || !v || strcmp(first, v) != 0)
            return true;
    }
    return d->run_count > 1 && !first;
}

/* Default --by: every key that varies, in order of name. */
static int default_by_keys(struct loader *d)
{
    char *seen[256];
    size_t seen_count = 0;
    for (size_t i = 0; i < d->param_count && seen_count < 256; i++)
        if (!key_listed(seen, seen_count, d->params[i].key))
            seen[seen_count++] = d->params[i].key;
    for (size_t i = 0; i < seen_count; i++) {
        for (size_t j = i + 1; j < seen_count; j++)
            if (strcmp(seen[j], seen[i]) < 0) {
                char *t = seen[i];
                seen[i] = seen[j];
                seen[j] = t;
            }
    }
    for (size_t i = 0; i < seen_count && d->r->by_count < STATS_MAX_BY; i++) {
        if (!key_varies(d, seen[i]))
            continue;
        if (!(d->r->by_owned[d->r->by_count] = strdup(seen[i])))
            return -1;
        d->r->by[d->r->by_count] = d->r->by_owned[d->r->by_count];
        d->r->by_count++;
    }
    return 0;
}

/* A --by key no run has would make one empty group: refuse it and list the
 * keys the runs do have, in order of first appearance. */
static int check_by_keys(struct loader *d)
{
    for (size_t k = 0; k < d->r->by_count; k++) {
        const char *key = d->r->by[k];
        bool found = false;
        for (size_t i = 0; i < d->param_count && !found; i++)
            found = strcmp(d->params[i].key, key) == 0;
        if (found || d->run_count == 0)
            continue;
        char *seen[256];
        size_t seen_count = 0, used;
        used = (size_t)snprintf(d->error, d->errlen, "--by %s: no run has this key; the runs have:",
                                key);
        for (size_t i = 0; i < d->param_count && seen_count < 256; i++)
            if (!key_listed(seen, seen_count, d->params[i].key)) {
                seen[seen_count++] = d->params[i].key;
                if (used < d->errlen)
                    used += (size_t)snprintf(d->error + used, d->errlen - used, " %s",
                                             d->params[i].key);
            }
        if (seen_count == 0 && used < d->errlen)
            snprintf(d->error + used, d->errlen - used, " none (no --set or --vary)");
        return -1;
    }
    return 0;
}

/* ---- grouping ---- */

struct run_order {
    const struct loader *d;
    size_t run;
};

static int compare_runs_by_key(const struct loader *d, size_t a, size_t b)
{
    for (size_t k = 0; k < d->r->by_count; k++) {
        int c = stats_compare_values(run_param(d, a, d->r->by[k]), run_param(d, b, d->r->by[k]));
        if (c)
            return c;
    }
    return 0;
}

static int compare_run_order(const void *x, const void *y)
{
    const struct run_order *a = x, *b = y;
    int c = compare_runs_by_key(a->d, a->run, b->run);
    return c ? c : (a->run > b->run) - (a->run < b->run);
}

static int new_group(struct loader *d, size_t run)
{
    struct stats_point *g = &d->r->points[d->r->point_count];
    *g = (struct stats_point){0};
    g->values = calloc(d->r->by_count + 1, sizeof *g->values);
    if (!g->values)
        return -1;
    for (size_t k = 0; k < d->r->by_count; k++) {
        const char *v = run_param(d, run, d->r->by[k]);
        if (!(g->values[k] = strdup(v ? v : "")))
            return -1;
    }
    d->r->point_count++;
    return 0;
}

/* The loss settings the model reads, from each run of the group. */
static void note_losses(struct loader *d, struct stats_point *g, size_t run, bool first)
{
    char keys[STATS_LOSS_KEYS][2 * SCENARIO_NAME_MAX + 16];
    snprintf(keys[STATS_LOSS_BOTH], sizeof keys[0], "link.loss");
    const char *client = d->r->client, *server = d->r->server;
    snprintf(keys[STATS_LOSS_FORWARD], sizeof keys[0], "link.%s->%s.loss", client, server);
    snprintf(keys[STATS_LOSS_REVERSE], sizeof keys[0], "link.%s->%s.loss", server, client);
    for (int k = 0; k < STATS_LOSS_KEYS; k++) {
        const char *v = run_param(d, run, keys[k]);
        if (first)
            g->loss[k] = v ? strdup(v) : NULL;
        else if ((v == NULL) != (g->loss[k] == NULL) || (v && strcmp(v, g->loss[k]) != 0))
            g->loss_conflict = true;
    }
}

static int group_runs(struct loader *d)
{
    struct run_order *order = malloc((d->run_count + 1) * sizeof *order);
    d->run_point = malloc((d->run_count + 1) * sizeof *d->run_point);
    d->r->points = calloc(d->run_count + 1, sizeof *d->r->points);
    if (!order || !d->run_point || !d->r->points) {
        free(order);
        return -1;
    }
    for (size_t r = 0; r < d->run_count; r++)
        order[r] = (struct run_order){d, r};
    qsort(order, d->run_count, sizeof *order, compare_run_order);
    int rc = 0;
    for (size_t i = 0; i < d->run_count && rc == 0; i++) {
        bool first = i == 0 || compare_runs_by_key(d, order[i - 1].run, order[i].run) != 0;
        if (first)
            rc = new_group(d, order[i].run);
        struct stats_point *g = &d->r->points[d->r->point_count - 1];
        d->run_point[order[i].run] = d->r->point_count - 1;
        g->runs++;
        note_losses(d, g, order[i].run, first);
    }
    free(order);
    return rc;
}

/* ---- loading: what happened in the runs ---- */

static struct stats_point *point_of_run(struct loader *d, int64_t run_id)
{
    long run = run_index(d, run_id);
    return run < 0 ? NULL : &d->r->points[d->run_point[run]];
}

static int on_handshake(void *context, const struct results_handshake *h)
{
    struct loader *d = context;
    struct stats_point *g = point_of_run(d, h->run_id);
    if (!g)
        return 0;
    g->connections++;
    if (!h->established)
        return 0;
    if (!grow((void **)&g->latency_ns, &g->latency_capacity, g->latency_count + 1,
              sizeof *g->latency_ns))
        return 1;
    g->latency_ns[g->latency_count++] = h->latency_ns;
    g->established++;
    return 0;
}

static int on_retransmissions(void *context, const struct results_retransmissions *r)
{
    struct stats_point *g = point_of_run(context, r->run_id);
    if (g)
        g->retransmissions += r->count;
    return 0;
}

static int on_stays(void *context, const struct results_state_stays *s)
{
    struct stats_point *g = point_of_run(context, s->run_id);
    if (!g)
        return 0;
    bool time_wait = s->state == TCP_TIME_WAIT;
    *(time_wait ? &g->tw_stays : &g->cw_stays) += s->count;
    *(time_wait ? &g->tw_ms : &g->cw_ms) += s->total_ms;
    *(time_wait ? &g->tw_window_ms : &g->cw_window_ms) += s->window_ms;
    return 0;
}

static int load_records(struct loader *d)
{
    const struct stats_request *q = &d->r->request;
    if (results_handshakes(d->db, on_handshake, d, d->error, d->errlen) != 0 ||
        results_retransmissions(d->db, on_retransmissions, d, d->error, d->errlen) != 0 ||
        results_wait_state_stays(d->db, q->window_from_ns, q->window_to_ns, on_stays, d, d->error,
                                 d->errlen) != 0)
        return -1;
    return 0;
}

static int summarize_groups(struct loader *d)
{
    for (size_t i = 0; i < d->r->point_count; i++) {
        struct stats_point *g = &d->r->points[i];
        double *ms = malloc((g->latency_count + 1) * sizeof *ms);
        if (!ms)
            return -1;
        for (size_t j = 0; j < g->latency_count; j++)
            ms[j] = (double)g->latency_ns[j] / 1e6;
        stats_summarize(ms, g->latency_count, STATS_CONFIDENCE, &g->latency);
        free(ms);
    }
    return 0;
}

static void free_loader(struct loader *d)
{
    if (d->db)
        d->db->ops->destroy(d->db);
    for (size_t i = 0; i < d->param_count; i++) {
        free(d->params[i].key);
        free(d->params[i].value);
    }
    free(d->params);
    free(d->run_ids);
    free(d->run_point);
}

void stats_report_free(struct stats_report *r)
{
    for (size_t i = 0; i < r->point_count; i++) {
        struct stats_point *g = &r->points[i];
        for (size_t k = 0; g->values && k < r->by_count; k++)
            free(g->values[k]);
        free(g->values);
        free(g->latency_ns);
        for (int k = 0; k < STATS_LOSS_KEYS; k++)
            free(g->loss[k]);
    }
    for (size_t k = 0; k < STATS_MAX_BY; k++)
        free(r->by_owned[k]);
    free(r->points);
    memset(r, 0, sizeof *r);
}

/* The aggregates below are SQL over the rows: first every row goes through
 * the typed reader's checks, so a hand-edited database is refused (naming
 * the row) instead of summarised. It reads the file once more, which costs
 * about as much as the queries themselves. */
static int check_records(const char *path, char *err, size_t errlen)
{
    struct results_db *db = results_open(path, err, errlen);
    if (!db)
        return -1;
    int rc = results_check_runs(db);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, results_error(db));
    results_close(db);
    return rc;
}

int stats_report_load(const struct stats_request *request, struct stats_report *r, char *err,
                      size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->request = *request;
    err[0] = '\0';
    struct loader d = {.r = r, .error = err, .errlen = errlen};
    int rc = -1;
    if (check_records(request->db_path, err, errlen) != 0)
        return -1;
    d.db = sink_sqlite_open_read(request->db_path, err, errlen);
    if (!d.db || load_runs(&d) != 0)
        goto done;
    r->run_count = d.run_count;
    for (size_t k = 0; k < request->by_count; k++)
        r->by[r->by_count++] = request->by[k];
    if (request->by_count == 0 && default_by_keys(&d) != 0)
        goto done;
    if (check_by_keys(&d) != 0)
        goto done;
    if (group_runs(&d) != 0 || load_records(&d) != 0 || summarize_groups(&d) != 0) {
        if (!err[0])
            snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = 0;
done:
    free_loader(&d);
    return rc;
}
