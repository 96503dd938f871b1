/*
 * cmd_stats.c: `tcpsim stats DB`: per parameter point (the runs that share
 * the values of the --by keys): runs, connections, completion ratio,
 * handshake latency (mean with a Student-t 95% confidence interval, sd,
 * median, p95, p99), retransmissions per connection, mean stays in
 * TIME_WAIT and CLOSE_WAIT, optionally their mean populations over a window
 * of simulated time. A table for people or CSV; an SVG/PNG plot of the
 * latency against a key; and the CSA model (docs/validation.md) to compare
 * the mean and the whole latency distribution against.
 *
 * Reads the database only through sink_sqlite.h.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


#include "cli.h"
#include "plot.h"
#include "scenario.h"
#include "sink_sqlite.h"
#include "stats.h"

#define MAX_BY 16
#define CONFIDENCE 0.95
#define BIN_LEVEL 0.99       /* binomial bounds of --distribution */
#define BIN_MIN_EXPECTED 5.0 /* bins expected fewer times are pooled */
#define MODEL_SAMPLES 200    /* points of a model curve */

enum model_kind { MODEL_NONE, MODEL_CSA };

struct stats_options {
    const char *db_path;
    const char *by[MAX_BY];
    size_t by_count;
    bool csv, check, distribution, has_window;
    const char *plot_path, *x_key;
    enum model_kind model;
    int64_t rtt_ns, ts_ns;
    int64_t window_from_ns, window_to_ns;
};

/* Loss keys that the CSA model reads from a run's settings. */
enum loss_key { LOSS_BOTH, LOSS_FORWARD, LOSS_REVERSE, LOSS_KEYS };

struct group {
    char **values;              /* one per --by key; "" when a run lacks the key */
    uint64_t runs, connections, established, retransmissions;
    int64_t *latency_ns;        /* established connections */
    size_t latency_count, latency_capacity;
    uint64_t tw_stays, cw_stays;
    double tw_ms, cw_ms;        /* total time of the stays */
    double tw_window_ms, cw_window_ms; /* time of the stays within the window */
    char *loss[LOSS_KEYS];      /* the runs' loss settings for the model; NULL: not set */
    bool loss_conflict;
    struct stats_summary latency; /* in ms, filled after loading */
};

struct param_row {
    size_t run;                 /* index into runs */
    char *key, *value;
};

struct dataset {
    struct trace_sink *db;
    int64_t *run_ids;           /* runs with status ok or failed, ascending */
    size_t run_count, run_capacity;
    size_t *run_group;          /* group of each run */
    struct param_row *params;
    size_t param_count, param_capacity;
    const char *by[MAX_BY];
    char *by_owned[MAX_BY];     /* keys found in the database (default --by) */
    size_t by_count;
    struct group *groups;
    size_t group_count;
    char client[SCENARIO_NAME_MAX], server[SCENARIO_NAME_MAX];
    char error[512];
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim stats DB [OPTION]...\n"
            "Summarize a results database per parameter point: runs, connections, completion ratio,\n"
            "handshake latency (mean, 95%% CI, sd, median, p95, p99), retransmissions per connection,\n"
            "mean time in TIME_WAIT and CLOSE_WAIT.\n\n"
            "  -b, --by KEY           group by this run parameter (repeatable; default: every key\n"
            "                         whose value differs between runs)\n"
            "      --csv              comma-separated values with a header line, for programs\n"
            "      --window FROM:TO   also the mean number of TCBs in TIME_WAIT and CLOSE_WAIT over\n"
            "                         simulated time [FROM, TO), e.g. 70s:120s\n"
            "      --plot FILE        plot the mean handshake latency with its 95%% CI against a key,\n"
            "                         as SVG (FILE.svg) or PNG (FILE.png, needs rsvg-convert)\n"
            "      --x KEY            the key on the plot's x axis (default: the first --by key)\n"
            "      --model csa        compare with Cardwell, Savage and Anderson's handshake model;\n"
            "                         loss rates come from each point's link.loss,\n"
            "                         link.CLIENT->SERVER.loss and link.SERVER->CLIENT.loss\n"
            "      --rtt DURATION     the model's round-trip time, e.g. 100ms (with --model)\n"
            "      --ts DURATION      the model's initial SYN timeout, e.g. 1s (with --model)\n"
            "      --distribution     with --model: the whole latency distribution against the\n"
            "                         model's, each value's count within its 99%% binomial bounds\n"
            "      --check            exit 1 unless every 95%% CI with finite model variance holds\n"
            "                         the model mean (and, with --distribution, every count is\n"
            "                         within its bounds and every latency is a model value)\n"
            "  -h, --help             this help\n\n"
            "Exit status: 0 ok, 1 a --check failed, 2 usage or input error.\n");
}

/* ---- options ---- */

static int parse_duration_option(const char *name, const char *text, int64_t *out)
{
    sim_time t;
    if (scenario_parse_duration(text, &t) != 0) {
        cli_error("%s: '%s' is not a duration such as 100ms or 1s", name, text);
        return -1;
    }
    *out = t;
    return 0;
}

static int parse_window(const char *text, struct stats_options *o)
{
    const char *colon = strchr(text, ':');
    char from[64];
    if (!colon || (size_t)(colon - text) >= sizeof from) {
        cli_error("--window: '%s' is not FROM:TO, e.g. 70s:120s", text);
        return -1;
    }
    memcpy(from, text, (size_t)(colon - text));
    from[colon - text] = '\0';
    if (parse_duration_option("--window", from, &o->window_from_ns) != 0 ||
        parse_duration_option("--window", colon + 1, &o->window_to_ns) != 0)
        return -1;
    if (o->window_to_ns <= o->window_from_ns) {
        cli_error("--window: '%s' ends before it starts", text);
        return -1;
    }
    o->has_window = true;
    return 0;
}

static int check_option_combinations(const struct stats_options *o)
{
    if (o->model == MODEL_CSA && (o->rtt_ns <= 0 || o->ts_ns <= 0)) {
        cli_error("--model csa needs --rtt and --ts (e.g. --rtt 100ms --ts 1s)");
        return -1;
    }
    if (o->distribution && o->model == MODEL_NONE) {
        cli_error("--distribution needs --model csa");
        return -1;
    }
    if (o->check && o->model == MODEL_NONE) {
        cli_error("--check needs --model csa");
        return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct stats_options *o)
{
    static const struct option options[] = {
        {"by", required_argument, NULL, 'b'},   {"csv", no_argument, NULL, 'c'},
        {"plot", required_argument, NULL, 'p'}, {"x", required_argument, NULL, 'x'},
        {"model", required_argument, NULL, 'm'}, {"rtt", required_argument, NULL, 'r'},
        {"ts", required_argument, NULL, 't'},   {"distribution", no_argument, NULL, 'd'},
        {"check", no_argument, NULL, 'k'},      {"window", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "b:h", options, NULL)) != -1) {
        switch (opt) {
        case 'b':
            if (o->by_count == MAX_BY) {
                cli_error("--by: at most %d keys", MAX_BY);
                return -1;
            }
            o->by[o->by_count++] = optarg;
            break;
        case 'c': o->csv = true; break;
        case 'p': o->plot_path = optarg; break;
        case 'x': o->x_key = optarg; break;
        case 'd': o->distribution = true; break;
        case 'k': o->check = true; break;
        case 'm':
            if (strcmp(optarg, "csa") != 0) {
                cli_error("--model: '%s' is not a model I know (csa)", optarg);
                return -1;
            }
            o->model = MODEL_CSA;
            break;
        case 'r':
            if (parse_duration_option("--rtt", optarg, &o->rtt_ns) != 0)
                return -1;
            break;
        case 't':
            if (parse_duration_option("--ts", optarg, &o->ts_ns) != 0)
                return -1;
            break;
        case 'w':
            if (parse_window(optarg, o) != 0)
                return -1;
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
        cli_error(optind < argc ? "stats takes one database" : "stats needs a database");
        return -1;
    }
    o->db_path = argv[optind];
    return check_option_combinations(o);
}

/* ---- small helpers ---- */

static char *dup_string(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

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
static long run_index(const struct dataset *d, int64_t run_id)
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

static int64_t parse_i64(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static int query(struct dataset *d, const char *sql, const int64_t *params, size_t count,
                 sink_sqlite_row_fn *row, void *context)
{
    return sink_sqlite_query(d->db, sql, params, count, row, context, d->error, sizeof d->error);
}

/* ---- loading: runs and their parameters ---- */

static int on_run(void *context, int n, const char *const *values, const char *const *names)
{
    struct dataset *d = context;
    (void)n;
    (void)names;
    if (!grow((void **)&d->run_ids, &d->run_capacity, d->run_count + 1, sizeof *d->run_ids))
        return 1;
    d->run_ids[d->run_count++] = parse_i64(values[0]);
    return 0;
}

static int on_param(void *context, int n, const char *const *values, const char *const *names)
{
    struct dataset *d = context;
    (void)n;
    (void)names;
    long run = run_index(d, parse_i64(values[0]));
    if (run < 0)
        return 0;
    if (!grow((void **)&d->params, &d->param_capacity, d->param_count + 1, sizeof *d->params))
        return 1;
    struct param_row *p = &d->params[d->param_count];
    p->run = (size_t)run;
    p->key = dup_string(values[1]);
    p->value = dup_string(values[2]);
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return 1;
    }
    d->param_count++;
    return 0;
}

static int on_endpoints(void *context, int n, const char *const *values, const char *const *names)
{
    struct dataset *d = context;
    (void)n;
    (void)names;
    snprintf(d->client, sizeof d->client, "%s", values[0] ? values[0] : "");
    snprintf(d->server, sizeof d->server, "%s", values[1] ? values[1] : "");
    return 1; /* one row is enough */
}

static int load_runs(struct dataset *d)
{
    if (query(d, "SELECT run_id FROM runs WHERE status IN ('ok', 'failed') ORDER BY run_id", NULL,
              0, on_run, d) != 0 ||
        query(d, "SELECT run_id, key, value FROM run_params ORDER BY run_id, key", NULL, 0,
              on_param, d) != 0 ||
        query(d, "SELECT client, server FROM connections LIMIT 1", NULL, 0, on_endpoints, d) != 0)
        return -1;
    return 0;
}

/* The value of key for run, or NULL. */
static const char *run_param(const struct dataset *d, size_t run, const char *key)
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
static bool key_varies(const struct dataset *d, const char *key)
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
static int default_by_keys(struct dataset *d)
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
    for (size_t i = 0; i < seen_count && d->by_count < MAX_BY; i++) {
        if (!key_varies(d, seen[i]))
            continue;
        if (!(d->by_owned[d->by_count] = dup_string(seen[i])))
            return -1;
        d->by[d->by_count] = d->by_owned[d->by_count];
        d->by_count++;
    }
    return 0;
}

/* ---- grouping ---- */

struct run_order {
    const struct dataset *d;
    size_t run;
};

static int compare_runs_by_key(const struct dataset *d, size_t a, size_t b)
{
    for (size_t k = 0; k < d->by_count; k++) {
        int c = stats_compare_values(run_param(d, a, d->by[k]), run_param(d, b, d->by[k]));
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

static int new_group(struct dataset *d, size_t run)
{
    struct group *g = &d->groups[d->group_count];
    *g = (struct group){0};
    g->values = calloc(d->by_count + 1, sizeof *g->values);
    if (!g->values)
        return -1;
    for (size_t k = 0; k < d->by_count; k++) {
        const char *v = run_param(d, run, d->by[k]);
        if (!(g->values[k] = dup_string(v ? v : "")))
            return -1;
    }
    d->group_count++;
    return 0;
}

/* The loss settings the model reads, from each run of the group. */
static void note_losses(struct dataset *d, struct group *g, size_t run, bool first)
{
    char keys[LOSS_KEYS][2 * SCENARIO_NAME_MAX + 16];
    snprintf(keys[LOSS_BOTH], sizeof keys[0], "link.loss");
    snprintf(keys[LOSS_FORWARD], sizeof keys[0], "link.%s->%s.loss", d->client, d->server);
    snprintf(keys[LOSS_REVERSE], sizeof keys[0], "link.%s->%s.loss", d->server, d->client);
    for (int k = 0; k < LOSS_KEYS; k++) {
        const char *v = run_param(d, run, keys[k]);
        if (first)
            g->loss[k] = v ? dup_string(v) : NULL;
        else if ((v == NULL) != (g->loss[k] == NULL) || (v && strcmp(v, g->loss[k]) != 0))
            g->loss_conflict = true;
    }
}

static int group_runs(struct dataset *d)
{
    struct run_order *order = malloc((d->run_count + 1) * sizeof *order);
    d->run_group = malloc((d->run_count + 1) * sizeof *d->run_group);
    d->groups = calloc(d->run_count + 1, sizeof *d->groups);
    if (!order || !d->run_group || !d->groups) {
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
        struct group *g = &d->groups[d->group_count - 1];
        d->run_group[order[i].run] = d->group_count - 1;
        g->runs++;
        note_losses(d, g, order[i].run, first);
    }
    free(order);
    return rc;
}

/* ---- loading: what happened in the runs ---- */

static struct group *group_of_row(struct dataset *d, const char *run_id)
{
    long run = run_index(d, parse_i64(run_id));
    return run < 0 ? NULL : &d->groups[d->run_group[run]];
}

static int on_connection(void *context, int n, const char *const *values, const char *const *names)
{
    struct dataset *d = context;
    (void)n;
    (void)names;
    struct group *g = group_of_row(d, values[0]);
    if (!g)
        return 0;
    g->connections++;
    if (!values[1])
        return 0;
    if (!grow((void **)&g->latency_ns, &g->latency_capacity, g->latency_count + 1,
              sizeof *g->latency_ns))
        return 1;
    g->latency_ns[g->latency_count++] = parse_i64(values[1]);
    g->established++;
    return 0;
}

static int on_retransmissions(void *context, int n, const char *const *values,
                              const char *const *names)
{
    struct dataset *d = context;
    (void)n;
    (void)names;
    struct group *g = group_of_row(d, values[0]);
    if (g)
        g->retransmissions += (uint64_t)parse_i64(values[1]);
    return 0;
}

static int on_stays(void *context, int n, const char *const *values, const char *const *names)
{
    struct dataset *d = context;
    (void)n;
    (void)names;
    struct group *g = group_of_row(d, values[0]);
    if (!g || !values[1])
        return 0;
    bool time_wait = strcmp(values[1], "TIME_WAIT") == 0;
    *(time_wait ? &g->tw_stays : &g->cw_stays) += (uint64_t)parse_i64(values[2]);
    *(time_wait ? &g->tw_ms : &g->cw_ms) += values[3] ? strtod(values[3], NULL) : 0;
    *(time_wait ? &g->tw_window_ms : &g->cw_window_ms) += values[4] ? strtod(values[4], NULL) : 0;
    return 0;
}

static int load_records(struct dataset *d, const struct stats_options *o)
{
    /* The latency is handshake_latency.latency_ms, read in exact ns. */
    static const char connections_sql[] =
        "SELECT run_id, established_ns - opened_ns FROM connections ORDER BY run_id, conn_id";
    static const char retransmissions_sql[] =
        "SELECT run_id, count(*) FROM segments WHERE retransmission = 1 AND fate <> 'duplicated'"
        " GROUP BY run_id";
    static const char stays_sql[] =
        "SELECT run_id, state, count(*), sum(duration_ms),"
        " sum(max(0.0, min(left_ms, ?2 / 1e6) - max(entered_ms, ?1 / 1e6)))"
        " FROM state_durations WHERE state IN ('TIME_WAIT', 'CLOSE_WAIT') GROUP BY run_id, state";
    int64_t window[2] = {o->window_from_ns, o->window_to_ns};
    if (query(d, connections_sql, NULL, 0, on_connection, d) != 0 ||
        query(d, retransmissions_sql, NULL, 0, on_retransmissions, d) != 0 ||
        query(d, stays_sql, window, 2, on_stays, d) != 0)
        return -1;
    return 0;
}

static int summarize_groups(struct dataset *d)
{
    for (size_t i = 0; i < d->group_count; i++) {
        struct group *g = &d->groups[i];
        double *ms = malloc((g->latency_count + 1) * sizeof *ms);
        if (!ms)
            return -1;
        for (size_t j = 0; j < g->latency_count; j++)
            ms[j] = (double)g->latency_ns[j] / 1e6;
        stats_summarize(ms, g->latency_count, CONFIDENCE, &g->latency);
        free(ms);
    }
    return 0;
}

static void dataset_free(struct dataset *d)
{
    if (d->db)
        d->db->ops->destroy(d->db);
    for (size_t i = 0; i < d->param_count; i++) {
        free(d->params[i].key);
        free(d->params[i].value);
    }
    for (size_t i = 0; i < d->group_count; i++) {
        struct group *g = &d->groups[i];
        for (size_t k = 0; g->values && k < d->by_count; k++)
            free(g->values[k]);
        free(g->values);
        free(g->latency_ns);
        for (int k = 0; k < LOSS_KEYS; k++)
            free(g->loss[k]);
    }
    for (size_t k = 0; k < MAX_BY; k++)
        free(d->by_owned[k]);
    free(d->groups);
    free(d->params);
    free(d->run_ids);
    free(d->run_group);
}

static int load_dataset(struct dataset *d, const struct stats_options *o)
{
    d->db = sink_sqlite_open_read(o->db_path, d->error, sizeof d->error);
    if (!d->db || load_runs(d) != 0)
        return -1;
    for (size_t k = 0; k < o->by_count; k++)
        d->by[d->by_count++] = o->by[k];
    if (o->by_count == 0 && default_by_keys(d) != 0)
        return -1;
    if (group_runs(d) != 0 || load_records(d, o) != 0 || summarize_groups(d) != 0) {
        if (!d->error[0])
            snprintf(d->error, sizeof d->error, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- the model ---- */

static bool parse_loss(const char *text, double *p)
{
    return text && scenario_parse_probability(text, p) == 0;
}

/* The group's loss rates: a direction's own key wins over link.loss.
 * False when the runs disagree or a value is not a plain probability. */
static bool group_csa_params(const struct stats_options *o, const struct group *g,
                             struct csa_params *m)
{
    double both = 0;
    *m = (struct csa_params){o->rtt_ns, o->ts_ns, 0, 0};
    if (g->loss_conflict || (g->loss[LOSS_BOTH] && !parse_loss(g->loss[LOSS_BOTH], &both)))
        return false;
    m->p_forward = m->p_reverse = both;
    if (g->loss[LOSS_FORWARD] && !parse_loss(g->loss[LOSS_FORWARD], &m->p_forward))
        return false;
    if (g->loss[LOSS_REVERSE] && !parse_loss(g->loss[LOSS_REVERSE], &m->p_reverse))
        return false;
    return true;
}

struct model_result {
    bool known;                 /* the group's loss rates are known */
    double mean_ms;
    bool finite_variance;
    bool in_ci;
};

static struct model_result model_for(const struct stats_options *o, const struct group *g)
{
    struct model_result r = {0};
    struct csa_params m;
    if (o->model != MODEL_CSA || !group_csa_params(o, g, &m))
        return r;
    r.known = true;
    r.mean_ms = csa_mean_ns(&m) / 1e6;
    r.finite_variance = isfinite(csa_variance_ns2(&m));
    double half = g->latency.ci_half;
    r.in_ci = isfinite(half) && fabs(g->latency.mean - r.mean_ms) <= half;
    return r;
}

/* ---- output: the table ---- */

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

static double window_ms(const struct stats_options *o)
{
    return (double)(o->window_to_ns - o->window_from_ns) / 1e6;
}

/* Mean population over the window, per run. */
static double population(const struct stats_options *o, const struct group *g, double total_ms)
{
    return ratio(total_ms, window_ms(o) * (double)g->runs);
}

static void print_number(double v, const char *format, int width)
{
    char text[64];
    if (isnan(v))
        snprintf(text, sizeof text, "-");
    else if (isinf(v))
        snprintf(text, sizeof text, "inf");
    else
        snprintf(text, sizeof text, format, v);
    printf(" %*s", width, text);
}

static int key_width(const struct dataset *d, size_t k)
{
    int w = (int)strlen(d->by[k]);
    for (size_t i = 0; i < d->group_count; i++) {
        int n = (int)strlen(d->groups[i].values[k]);
        w = n > w ? n : w;
    }
    return w;
}

static void print_table_header(const struct dataset *d, const struct stats_options *o)
{
    for (size_t k = 0; k < d->by_count; k++)
        printf("%-*s ", key_width(d, k), d->by[k]);
    printf("%6s %8s %7s %10s %9s %10s %10s %10s %10s %8s %9s %9s", "runs", "conns", "done%",
           "mean_ms", "ci95_ms", "sd_ms", "median_ms", "p95_ms", "p99_ms", "rexmit", "tw_s",
           "cw_s");
    if (o->model != MODEL_NONE)
        printf(" %10s %6s %6s %5s", "model_ms", "diff%", "ci%", "in_ci");
    if (o->has_window)
        printf(" %10s %10s", "tw_pop", "cw_pop");
    printf("\n");
}

static void print_table_row(const struct dataset *d, const struct stats_options *o,
                            const struct group *g)
{
    const struct stats_summary *s = &g->latency;
    for (size_t k = 0; k < d->by_count; k++)
        printf("%-*s ", key_width(d, k), g->values[k]);
    printf("%6" PRIu64 " %8" PRIu64, g->runs, g->connections);
    print_number(100 * ratio((double)g->established, (double)g->connections), "%.2f", 7);
    print_number(s->mean, "%.3f", 10);
    print_number(s->ci_half, "%.3f", 9);
    print_number(s->sd, "%.3f", 10);
    print_number(s->median, "%.3f", 10);
    print_number(s->p95, "%.3f", 10);
    print_number(s->p99, "%.3f", 10);
    print_number(ratio((double)g->retransmissions, (double)g->connections), "%.4f", 8);
    print_number(ratio(g->tw_ms, (double)g->tw_stays) / 1e3, "%.3f", 9);
    print_number(ratio(g->cw_ms, (double)g->cw_stays) / 1e3, "%.3f", 9);
    if (o->model != MODEL_NONE) {
        struct model_result m = model_for(o, g);
        print_number(m.known ? m.mean_ms : NAN, "%.3f", 10);
        print_number(m.known ? 100 * (s->mean - m.mean_ms) / m.mean_ms : NAN, "%+.2f", 6);
        print_number(100 * s->ci_half / s->mean, "%.2f", 6);
        printf(" %5s", !m.known ? "-" : !m.finite_variance ? "n/a" : m.in_ci ? "yes" : "NO");
    }
    if (o->has_window) {
        print_number(population(o, g, g->tw_window_ms), "%.2f", 10);
        print_number(population(o, g, g->cw_window_ms), "%.2f", 10);
    }
    printf("\n");
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void csv_number(double v)
{
    if (isfinite(v))
        printf(",%.10g", v);
    else
        printf(",%s", isinf(v) ? "inf" : "");
}

static void print_csv(const struct dataset *d, const struct stats_options *o)
{
    for (size_t k = 0; k < d->by_count; k++) {
        csv_field(d->by[k]);
        putchar(',');
    }
    printf("runs,connections,established,completion,latency_mean_ms,latency_ci95_low_ms,"
           "latency_ci95_high_ms,latency_sd_ms,latency_median_ms,latency_p95_ms,latency_p99_ms,"
           "retransmissions_per_connection,time_wait_mean_s,close_wait_mean_s");
    if (o->model != MODEL_NONE)
        printf(",model_mean_ms,model_in_ci");
    if (o->has_window)
        printf(",time_wait_population,close_wait_population");
    printf("\n");
    for (size_t i = 0; i < d->group_count; i++) {
        const struct group *g = &d->groups[i];
        const struct stats_summary *s = &g->latency;
        for (size_t k = 0; k < d->by_count; k++) {
            csv_field(g->values[k]);
            putchar(',');
        }
        printf("%" PRIu64 ",%" PRIu64 ",%" PRIu64, g->runs, g->connections, g->established);
        csv_number(ratio((double)g->established, (double)g->connections));
        csv_number(s->mean);
        csv_number(s->mean - s->ci_half);
        csv_number(s->mean + s->ci_half);
        csv_number(s->sd);
        csv_number(s->median);
        csv_number(s->p95);
        csv_number(s->p99);
        csv_number(ratio((double)g->retransmissions, (double)g->connections));
        csv_number(ratio(g->tw_ms, (double)g->tw_stays) / 1e3);
        csv_number(ratio(g->cw_ms, (double)g->cw_stays) / 1e3);
        if (o->model != MODEL_NONE) {
            struct model_result m = model_for(o, g);
            csv_number(m.known ? m.mean_ms : NAN);
            printf(",%s", !m.known || !m.finite_variance ? "" : m.in_ci ? "1" : "0");
        }
        if (o->has_window) {
            csv_number(population(o, g, g->tw_window_ms));
            csv_number(population(o, g, g->cw_window_ms));
        }
        printf("\n");
    }
}

/* ---- output: the distribution against the model ---- */

struct bin_count {
    uint64_t observed;
    bool pooled;                /* expected fewer than BIN_MIN_EXPECTED times */
};

static long find_bin(const struct csa_bin *bins, long n, int64_t latency_ns)
{
    long lo = 0, hi = n;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (bins[mid].latency_ns < latency_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && bins[lo].latency_ns == latency_ns ? lo : -1;
}

struct distribution_check {
    uint64_t bins_tested, bins_outside, unmatched;
};

/* "i=3" for one lossy direction (units = 2^i - 1), else "k=6". */
static void bin_label(const struct csa_params *m, uint64_t units, char *buf, size_t size)
{
    int i = 0;
    while (i < 63 && ((1ULL << i) - 1) < units)
        i++;
    if (m->p_reverse == 0 || m->p_forward == 0)
        snprintf(buf, size, "i=%d", i);
    else
        snprintf(buf, size, "k=%" PRIu64, units);
}

static bool print_bin(const char *label, double latency_ms, double probability, uint64_t n,
                      uint64_t observed)
{
    uint64_t lo, hi;
    stats_binomial_bounds(n, probability, BIN_LEVEL, &lo, &hi);
    bool inside = observed >= lo && observed <= hi;
    printf("  %-10s", label);
    print_number(latency_ms, "%.3f", 14);
    printf(" %12.4e %12.1f %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %4s\n", probability,
           probability * (double)n, observed, lo, hi, inside ? "ok" : "OUT");
    return inside;
}

static void print_group_title(const struct dataset *d, const struct group *g)
{
    printf("\n");
    for (size_t k = 0; k < d->by_count; k++)
        printf("%s%s=%s", k ? " " : "", d->by[k], g->values[k]);
    if (d->by_count == 0)
        printf("all runs");
}

/* Pearson's chi-square over the tested counts; a last count expected
 * fewer than BIN_MIN_EXPECTED times joins the one before it. */
static void print_chi_square(const double *observed, const double *expected, size_t n)
{
    double chi2 = 0;
    size_t cells = n;
    if (cells > 1 && expected[cells - 1] < BIN_MIN_EXPECTED)
        cells--;
    for (size_t i = 0; i < cells; i++) {
        double o = observed[i] + (i + 1 == cells && cells < n ? observed[n - 1] : 0);
        double e = expected[i] + (i + 1 == cells && cells < n ? expected[n - 1] : 0);
        chi2 += (o - e) * (o - e) / e;
    }
    if (cells > 1)
        printf("  chi-square %.2f on %zu degrees of freedom: p = %.3f\n", chi2, cells - 1,
               stats_chisq_p_value(chi2, (double)(cells - 1)));
}

struct tested {
    double *observed, *expected;
    size_t count;
};

static void test_count(struct tested *t, const char *label, double latency_ms, double probability,
                       uint64_t n, uint64_t observed, struct distribution_check *c)
{
    c->bins_tested++;
    if (!print_bin(label, latency_ms, probability, n, observed))
        c->bins_outside++;
    t->observed[t->count] = (double)observed;
    t->expected[t->count++] = probability * (double)n;
}

/* One group's latencies against the model's distribution: each value the
 * model expects at least BIN_MIN_EXPECTED times on its own, the others
 * (and connections never established) pooled as "rest". */
static void compare_counts(const struct group *g, const struct csa_params *m,
                           const struct csa_bin *bins, long n, double tail,
                           const uint64_t *observed, struct distribution_check *c)
{
    struct tested t = {calloc((size_t)n + 2, sizeof(double)), calloc((size_t)n + 2, sizeof(double)), 0};
    uint64_t pooled_observed = g->connections - g->established;
    double pooled_p = tail;
    for (long b = 0; t.observed && t.expected && b < n; b++) {
        if (bins[b].probability * (double)g->connections < BIN_MIN_EXPECTED) {
            pooled_p += bins[b].probability;
            pooled_observed += observed[b];
            continue;
        }
        char label[32];
        bin_label(m, bins[b].units, label, sizeof label);
        test_count(&t, label, (double)bins[b].latency_ns / 1e6, bins[b].probability,
                   g->connections, observed[b], c);
    }
    if (t.observed && t.expected && pooled_p > 0)
        test_count(&t, "rest", NAN, pooled_p, g->connections, pooled_observed, c);
    if (t.observed && t.expected)
        print_chi_square(t.observed, t.expected, t.count);
    free(t.observed);
    free(t.expected);
}

static void check_group_distribution(const struct dataset *d, const struct stats_options *o,
                                     const struct group *g, struct distribution_check *c)
{
    struct csa_params m;
    struct csa_bin *bins = NULL;
    double tail = 0;
    print_group_title(d, g);
    long n = group_csa_params(o, g, &m) ? csa_distribution(&m, &bins, &tail) : -1;
    uint64_t *observed = n >= 0 ? calloc((size_t)n + 1, sizeof *observed) : NULL;
    if (!observed) {
        printf(": no model (loss rates unknown or differing between runs)\n");
        free(bins);
        return;
    }
    printf(": %" PRIu64 " connections, P(lost SYN) %g, P(lost SYN-ACK) %g, RTT %g ms, Ts %g ms\n",
           g->connections, m.p_forward, m.p_reverse, (double)o->rtt_ns / 1e6, (double)o->ts_ns / 1e6);
    printf("  %-10s %14s %12s %12s %10s %10s %10s %4s\n", "lost", "latency_ms", "model_p",
           "expected", "observed", "99%_low", "99%_high", "");
    uint64_t unmatched = 0;
    for (size_t i = 0; i < g->latency_count; i++) {
        long b = find_bin(bins, n, g->latency_ns[i]);
        if (b < 0)
            unmatched++;
        else
            observed[b]++;
    }
    compare_counts(g, &m, bins, n, tail, observed, c);
    printf("  latencies that are no model value: %" PRIu64 "\n", unmatched);
    c->unmatched += unmatched;
    free(observed);
    free(bins);
}

/* ---- output: the plot ---- */

/* The number a parameter value stands for on an axis: plain numbers,
 * percentages as fractions, durations in seconds, else the leading number. */
static double axis_value(const char *text)
{
    char *end;
    double v = strtod(text, &end);
    sim_time t;
    if (end != text && *end == '\0')
        return v;
    if (end != text && strcmp(end, "%") == 0)
        return v / 100;
    if (scenario_parse_duration(text, &t) == 0)
        return (double)t / 1e9;
    return end != text ? v : NAN;
}

static long key_index(const struct dataset *d, const char *key)
{
    for (size_t k = 0; k < d->by_count; k++)
        if (strcmp(d->by[k], key) == 0)
            return (long)k;
    return -1;
}

/* Two groups are on one curve when they agree on every key but x. */
static bool same_series(const struct dataset *d, const struct group *a, const struct group *b,
                        size_t x)
{
    for (size_t k = 0; k < d->by_count; k++)
        if (k != x && strcmp(a->values[k], b->values[k]) != 0)
            return false;
    return true;
}

struct chart {
    struct plot_series *series;
    struct plot_point *points;      /* all series' points, back to back */
    char **labels;
    size_t series_count, point_count;
};

static void series_label(const struct dataset *d, const struct group *g, size_t x, char *buf,
                         size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < d->by_count && used < size; k++)
        if (k != x)
            used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "",
                                     d->by[k], g->values[k]);
    if (!buf[0])
        snprintf(buf, size, "measured mean, 95%% CI");
}

/* Which loss rates move with x: 1 forward, 2 reverse, 3 both, 0 none. */
static int loss_axis(const struct dataset *d, const char *key)
{
    char forward[2 * SCENARIO_NAME_MAX + 16], reverse[sizeof forward];
    snprintf(forward, sizeof forward, "link.%s->%s.loss", d->client, d->server);
    snprintf(reverse, sizeof reverse, "link.%s->%s.loss", d->server, d->client);
    return strcmp(key, "link.loss") == 0 ? 3 : strcmp(key, forward) == 0 ? 1
           : strcmp(key, reverse) == 0 ? 2 : 0;
}

/* The model along x for the series that starts at group g. */
static size_t model_curve(const struct dataset *d, const struct stats_options *o,
                          const struct group *g, int axis, double x_lo, double x_hi,
                          struct plot_point *out)
{
    struct csa_params m;
    if (!group_csa_params(o, g, &m) || axis == 0)
        return 0;
    size_t n = 0;
    (void)d;
    for (size_t i = 0; i < MODEL_SAMPLES; i++) {
        double p = x_lo + (x_hi - x_lo) * (double)i / (MODEL_SAMPLES - 1);
        if (axis & 1)
            m.p_forward = p;
        if (axis & 2)
            m.p_reverse = p;
        double mean = csa_mean_ns(&m) / 1e6;
        if (isfinite(mean))
            out[n++] = (struct plot_point){p, mean, NAN, NAN};
    }
    return n;
}

static int add_series(struct chart *c, const char *label, size_t first_point, size_t count,
                      enum plot_style style)
{
    if (!(c->labels[c->series_count] = dup_string(label)))
        return -1;
    c->series[c->series_count] = (struct plot_series){c->labels[c->series_count],
                                                      c->points + first_point, count, style};
    c->series_count++;
    return 0;
}

static int build_chart(const struct dataset *d, const struct stats_options *o, size_t x,
                       struct chart *c)
{
    size_t groups = d->group_count, max_series = 2 * groups + 1;
    c->series = calloc(max_series, sizeof *c->series);
    c->labels = calloc(max_series, sizeof *c->labels);
    c->points = calloc(groups * (MODEL_SAMPLES + 1) + 1, sizeof *c->points);
    bool *done = calloc(groups + 1, sizeof *done);
    if (!c->series || !c->labels || !c->points || !done) {
        free(done);
        return -1;
    }
    int axis = o->model == MODEL_CSA ? loss_axis(d, d->by[x]) : 0;
    for (size_t i = 0; i < groups; i++) {
        if (done[i])
            continue;
        size_t first = c->point_count;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t j = i; j < groups; j++) {
            const struct group *g = &d->groups[j];
            if (done[j] || !same_series(d, &d->groups[i], g, x))
                continue;
            done[j] = true;
            double xv = axis_value(g->values[x]), y = g->latency.mean, h = g->latency.ci_half;
            c->points[c->point_count++] = (struct plot_point){xv, y, y - h, y + h};
            lo = xv < lo ? xv : lo;
            hi = xv > hi ? xv : hi;
        }
        char label[256];
        series_label(d, &d->groups[i], x, label, sizeof label);
        if (add_series(c, label, first, c->point_count - first, PLOT_MARKERS) != 0)
            break;
        size_t model_first = c->point_count;
        size_t n = model_curve(d, o, &d->groups[i], axis, lo, hi, c->points + model_first);
        c->point_count += n;
        if (n && add_series(c, "model (Cardwell, Savage, Anderson)", model_first, n, PLOT_LINE) != 0)
            break;
    }
    free(done);
    return 0;
}

static void free_chart(struct chart *c)
{
    for (size_t i = 0; c->labels && i < c->series_count; i++)
        free(c->labels[i]);
    free(c->labels);
    free(c->series);
    free(c->points);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* rsvg-convert -o PNG SVG; 0 when it worked. */
static int convert_to_png(const char *svg, const char *png)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execlp("rsvg-convert", "rsvg-convert", "-o", png, svg, (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    if (WEXITSTATUS(status) == 127)
        cli_error("--plot %s: a PNG needs rsvg-convert (Debian: apt-get install librsvg2-bin); "
                  "or name an .svg file", png);
    return WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int write_svg_file(const char *path, const struct plot_spec *spec)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("--plot: cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = plot_write_svg(f, spec);
    if (fclose(f) != 0 || rc != 0) {
        cli_error("--plot: writing %s failed (nothing to plot, or a write error)", path);
        return -1;
    }
    return 0;
}

static int write_plot(const struct dataset *d, const struct stats_options *o)
{
    const char *x_key = o->x_key ? o->x_key : d->by_count ? d->by[0] : NULL;
    long x = x_key ? key_index(d, x_key) : -1;
    if (x < 0) {
        cli_error("--plot: %s", x_key ? "the --x key must be one of the --by keys"
                                      : "no key varies between the runs: nothing to plot against");
        return -1;
    }
    struct chart c = {0};
    int rc = build_chart(d, o, (size_t)x, &c);
    char title[256];
    snprintf(title, sizeof title, "Handshake latency against %s", x_key);
    struct plot_spec spec = {title, x_key, "connect to ESTABLISHED at the client (ms)", c.series,
                             c.series_count};
    if (rc == 0 && ends_with(o->plot_path, ".png")) {
        char svg[4096];
        snprintf(svg, sizeof svg, "%s.svg.tmp", o->plot_path);
        rc = write_svg_file(svg, &spec);
        if (rc == 0)
            rc = convert_to_png(svg, o->plot_path);
        remove(svg);
    } else if (rc == 0) {
        rc = write_svg_file(o->plot_path, &spec);
    }
    free_chart(&c);
    return rc;
}

/* ---- the command ---- */

static int print_results(const struct dataset *d, const struct stats_options *o)
{
    int failures = 0;
    if (o->csv) {
        print_csv(d, o);
    } else {
        print_table_header(d, o);
        for (size_t i = 0; i < d->group_count; i++)
            print_table_row(d, o, &d->groups[i]);
    }
    for (size_t i = 0; o->model != MODEL_NONE && i < d->group_count; i++) {
        struct model_result m = model_for(o, &d->groups[i]);
        failures += m.known && m.finite_variance && !m.in_ci;
    }
    if (o->distribution) {
        struct distribution_check c = {0};
        for (size_t i = 0; i < d->group_count; i++)
            check_group_distribution(d, o, &d->groups[i], &c);
        printf("\n%" PRIu64 " of %" PRIu64 " counts within their 99%% bounds; %" PRIu64
               " latencies no model value\n",
               c.bins_tested - c.bins_outside, c.bins_tested, c.unmatched);
        failures += (int)(c.bins_outside + c.unmatched);
    }
    if (o->check)
        printf("\ncheck %s\n", failures ? "FAILED" : "passed");
    return failures;
}

int cmd_stats(int argc, char **argv)
{
    struct stats_options o = {0};
    if (parse_options(argc, argv, &o) != 0)
        return EXIT_USAGE;
    struct dataset d = {0};
    if (load_dataset(&d, &o) != 0) {
        cli_error("%s", d.error);
        dataset_free(&d);
        return EXIT_USAGE;
    }
    if (d.run_count == 0) {
        cli_error("%s: no completed runs", o.db_path);
        dataset_free(&d);
        return EXIT_USAGE;
    }
    int failures = print_results(&d, &o);
    int status = (o.check && failures) ? EXIT_FAILED : EXIT_OK;
    if (o.plot_path && write_plot(&d, &o) != 0)
        status = EXIT_USAGE;
    dataset_free(&d);
    return status;
}
