/*
 * stats_chart.c: the plots of a stats report (stats_report.h): the mean
 * handshake latency with its 95% CI and n against one key, one series per
 * combination of the other keys, and the CSA model's mean along the axis
 * when that key is a loss rate; the latency's CDF and histogram per point.
 * Only the layout (points, labels with units, the legend's note):
 * view/plot.c draws it, the CLI hands one to the other.
 */
#include "stats_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHART_MODEL_SAMPLES 200  /* points of a model curve */
#define LATENCY_LABEL "connect to ESTABLISHED at the client (ms)"
#define LATENCY_LABEL_LOG "connect to ESTABLISHED at the client (ms, log scale)"

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

/* The unit axis_value puts a value in, for the axis label: "" when none. */
static const char *axis_unit(const char *key, const char *text)
{
    char *end;
    sim_time t;
    (void)strtod(text, &end);
    size_t n = strlen(key);
    bool loss = n >= 5 && strcmp(key + n - 5, ".loss") == 0;
    if (end != text && (strcmp(end, "%") == 0 || (*end == '\0' && loss)))
        return " (probability)";
    if (end != text && *end == '\0')
        return "";
    if (scenario_parse_duration(text, &t) == 0)
        return " (s)";
    return end != text ? end : "";
}

static long key_index(const struct stats_report *d, const char *key)
{
    for (size_t k = 0; k < d->by_count; k++)
        if (strcmp(d->by[k], key) == 0)
            return (long)k;
    return -1;
}

/* Two points are on one curve when they agree on every key but x. */
static bool same_series(const struct stats_report *d, const struct stats_point *a,
                        const struct stats_point *b, size_t x)
{
    for (size_t k = 0; k < d->by_count; k++)
        if (k != x && strcmp(a->values[k], b->values[k]) != 0)
            return false;
    return true;
}

static void series_label(const struct stats_report *d, const struct stats_point *g, size_t x,
                         char *buf, size_t size)
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
static int loss_axis(const struct stats_report *d, const char *key)
{
    char forward[2 * SCENARIO_NAME_MAX + 16], reverse[sizeof forward];
    snprintf(forward, sizeof forward, "link.%s->%s.loss", d->client, d->server);
    snprintf(reverse, sizeof reverse, "link.%s->%s.loss", d->server, d->client);
    return strcmp(key, "link.loss") == 0 ? 3 : strcmp(key, forward) == 0 ? 1
           : strcmp(key, reverse) == 0 ? 2 : 0;
}

/* The model along x for the series that starts at point g. */
static size_t model_curve(const struct stats_report *d, const struct stats_point *g, int axis,
                          double x_lo, double x_hi, struct stats_chart_point *out)
{
    struct csa_params m;
    if (!stats_point_csa_params(d, g, &m) || axis == 0)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < CHART_MODEL_SAMPLES; i++) {
        double p = x_lo + (x_hi - x_lo) * (double)i / (CHART_MODEL_SAMPLES - 1);
        if (axis & 1)
            m.p_forward = p;
        if (axis & 2)
            m.p_reverse = p;
        double mean = csa_mean_ns(&m) / 1e6;
        if (isfinite(mean))
            out[n++] = (struct stats_chart_point){p, mean, NAN, NAN, 0};
    }
    return n;
}

static int add_series(struct stats_chart *c, const char *label, size_t first_point, size_t count,
                      enum stats_chart_kind kind)
{
    char *copy = malloc(strlen(label) + 1);
    if (!copy)
        return -1;
    strcpy(copy, label);
    c->series[c->series_count++] = (struct stats_chart_series){copy, first_point, count, kind};
    return 0;
}

static int build_chart(const struct stats_report *d, size_t x, struct stats_chart *c)
{
    size_t groups = d->point_count, max_series = 2 * groups + 1;
    c->series = calloc(max_series, sizeof *c->series);
    c->points = calloc(groups * (CHART_MODEL_SAMPLES + 1) + 1, sizeof *c->points);
    bool *done = calloc(groups + 1, sizeof *done);
    if (!c->series || !c->points || !done) {
        free(done);
        return -1;
    }
    int axis = d->request.model == STATS_MODEL_CSA ? loss_axis(d, d->by[x]) : 0;
    int rc = 0;
    for (size_t i = 0; i < groups && rc == 0; i++) {
        if (done[i])
            continue;
        size_t first = c->point_count;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t j = i; j < groups; j++) {
            const struct stats_point *g = &d->points[j];
            if (done[j] || !same_series(d, &d->points[i], g, x))
                continue;
            done[j] = true;
            double xv = axis_value(g->values[x]), y = g->latency.mean, h = g->latency.ci_half;
            c->points[c->point_count++] =
                (struct stats_chart_point){xv, y, y - h, y + h, g->latency.n};
            lo = xv < lo ? xv : lo;
            hi = xv > hi ? xv : hi;
        }
        char label[256];
        series_label(d, &d->points[i], x, label, sizeof label);
        rc = add_series(c, label, first, c->point_count - first, STATS_CHART_MEANS);
        size_t model_first = c->point_count;
        size_t n = model_curve(d, &d->points[i], axis, lo, hi, c->points + model_first);
        c->point_count += n;
        if (rc == 0 && n)
            rc = add_series(c, "model mean (Cardwell, Savage, Anderson)", model_first, n,
                            STATS_CHART_MODEL);
    }
    free(done);
    return rc;
}

/* ---- the distribution: CDF and histogram per point ---- */

/* Room for extra more points. */
static int reserve_points(struct stats_chart *c, size_t extra)
{
    size_t size = (c->point_count + extra + 1) * sizeof *c->points;
    struct stats_chart_point *grown = realloc(c->points, size);
    if (!grown)
        return -1;
    c->points = grown;
    return 0;
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The point's latencies, sorted; NULL when out of memory. */
static int64_t *sorted_latencies(const struct stats_point *g)
{
    int64_t *sorted = malloc((g->latency_count + 1) * sizeof *sorted);
    if (!sorted)
        return NULL;
    if (g->latency_count)
        memcpy(sorted, g->latency_ns, g->latency_count * sizeof *sorted);
    qsort(sorted, g->latency_count, sizeof *sorted, compare_int64);
    return sorted;
}

/* "link.loss=0.1 client.rto_initial=1s, n=800": every key and the sample. */
static void point_label(const struct stats_report *d, const struct stats_point *g, char *buf,
                        size_t size)
{
    series_label(d, g, d->by_count, buf, size);
    if (d->by_count == 0)
        snprintf(buf, size, "all runs");
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, ", n=%llu", (unsigned long long)g->connections);
}

/* One step per distinct latency, up to the share of all the point's
 * connections established by then. */
static int add_cdf(struct stats_chart *c, const struct stats_report *d, const struct stats_point *g)
{
    int64_t *sorted = sorted_latencies(g);
    if (!sorted || reserve_points(c, g->latency_count) != 0) {
        free(sorted);
        return -1;
    }
    size_t first = c->point_count, n = g->latency_count;
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || sorted[i + 1] != sorted[i])
            c->points[c->point_count++] = (struct stats_chart_point){
                (double)sorted[i] / 1e6, (double)(i + 1) / (double)g->connections, NAN, NAN, 0};
    free(sorted);
    char label[256];
    point_label(d, g, label, sizeof label);
    return add_series(c, label, first, c->point_count - first, STATS_CHART_CDF);
}

/* The model's CDF for the point up to its largest measured latency (the
 * model's bins reach far beyond any sample and would squash the axis). */
static int add_model_cdf(struct stats_chart *c, const struct stats_report *d,
                         const struct stats_point *g, double max_ms)
{
    struct csa_params m;
    struct csa_bin *bins;
    if (d->request.model != STATS_MODEL_CSA || !stats_point_csa_params(d, g, &m))
        return 0;
    long n = csa_distribution(&m, &bins, NULL);
    if (n < 0 || reserve_points(c, (size_t)n) != 0) {
        free(n < 0 ? NULL : bins);
        return -1;
    }
    size_t first = c->point_count;
    double cumulative = 0;
    for (long i = 0; i < n && (double)bins[i].latency_ns / 1e6 <= max_ms; i++) {
        cumulative += bins[i].probability;
        c->points[c->point_count++] =
            (struct stats_chart_point){(double)bins[i].latency_ns / 1e6, cumulative, NAN, NAN, 0};
    }
    free(bins);
    if (c->point_count == first)
        return 0;
    return add_series(c, "model CDF (Cardwell, Savage, Anderson)", first, c->point_count - first,
                      STATS_CHART_MODEL_CDF);
}

static double max_latency_ms(const struct stats_report *d)
{
    int64_t max = 0;
    for (size_t p = 0; p < d->point_count; p++)
        for (size_t i = 0; i < d->points[p].latency_count; i++)
            max = d->points[p].latency_ns[i] > max ? d->points[p].latency_ns[i] : max;
    return (double)max / 1e6;
}

static enum stats_chart_status start_distribution(const struct stats_report *d,
                                                  struct stats_chart *c)
{
    memset(c, 0, sizeof *c);
    bool any = false;
    for (size_t p = 0; p < d->point_count; p++)
        any |= d->points[p].latency_count > 0;
    if (!any)
        return STATS_CHART_NO_LATENCY;
    c->series = calloc(2 * d->point_count + 1, sizeof *c->series);
    if (!c->series)
        return STATS_CHART_NO_MEMORY;
    snprintf(c->x_label, sizeof c->x_label, LATENCY_LABEL);
    return STATS_CHART_OK;
}

enum stats_chart_status stats_report_cdf_chart(const struct stats_report *d, struct stats_chart *c)
{
    enum stats_chart_status status = start_distribution(d, c);
    if (status != STATS_CHART_OK)
        return status;
    snprintf(c->title, sizeof c->title, "Handshake latency: the CDF of each point");
    c->x_log = true;
    snprintf(c->x_label, sizeof c->x_label, "%s", LATENCY_LABEL_LOG);
    snprintf(c->y_label, sizeof c->y_label, "connections established by then (fraction of n)");
    snprintf(c->note, sizeof c->note, "n: the point's connections;\none step per distinct latency");
    double max_ms = max_latency_ms(d);
    for (size_t p = 0; p < d->point_count; p++) {
        const struct stats_point *g = &d->points[p];
        if (g->latency_count == 0)
            continue;
        if (add_cdf(c, d, g) != 0 || add_model_cdf(c, d, g, max_ms) != 0)
            return STATS_CHART_NO_MEMORY;
    }
    return STATS_CHART_OK;
}

/* The smallest bin width of 1, 2 or 5 times a power of ten (ms) that
 * covers [0, max_ms] in at most STATS_HISTOGRAM_BINS bins. */
static double bin_width_ms(double max_ms)
{
    static const double mantissa[] = {1, 2, 5};
    for (double power = 1e-3;; power *= 10)
        for (size_t i = 0; i < sizeof mantissa / sizeof mantissa[0]; i++)
            if (max_ms / (mantissa[i] * power) < STATS_HISTOGRAM_BINS)
                return mantissa[i] * power;
}

/* The q-quantile of every point's latencies pooled (ms); -1 when out of
 * memory. */
static double pooled_quantile_ms(const struct stats_report *d, double q)
{
    size_t n = 0, at = 0;
    for (size_t p = 0; p < d->point_count; p++)
        n += d->points[p].latency_count;
    int64_t *all = malloc((n + 1) * sizeof *all);
    if (!all)
        return -1;
    for (size_t p = 0; p < d->point_count; p++)
        for (size_t i = 0; i < d->points[p].latency_count; i++)
            all[at++] = d->points[p].latency_ns[i];
    qsort(all, n, sizeof *all, compare_int64);
    size_t k = (size_t)ceil(q * (double)n);
    double ms = (double)all[k ? k - 1 : 0] / 1e6;
    free(all);
    return ms;
}

/* A latency's bin: the last one holds every latency from its lower edge on. */
static double bin_of(const struct stats_chart *c, int64_t latency_ns)
{
    return fmin(floor((double)latency_ns / 1e6 / c->bin_ms), c->last_bin);
}

/* One bar per non-empty bin: its share of the point's connections (%). */
static int add_histogram(struct stats_chart *c, const struct stats_report *d,
                         const struct stats_point *g)
{
    int64_t *sorted = sorted_latencies(g);
    if (!sorted || reserve_points(c, g->latency_count) != 0) {
        free(sorted);
        return -1;
    }
    size_t first = c->point_count;
    for (size_t i = 0; i < g->latency_count;) {
        double bin = bin_of(c, sorted[i]);
        size_t end = i;
        while (end < g->latency_count && bin_of(c, sorted[end]) == bin)
            end++;
        c->points[c->point_count++] = (struct stats_chart_point){
            bin * c->bin_ms, 100.0 * (double)(end - i) / (double)g->connections, NAN, NAN, end - i};
        i = end;
    }
    free(sorted);
    char label[256];
    point_label(d, g, label, sizeof label);
    return add_series(c, label, first, c->point_count - first, STATS_CHART_BARS);
}

enum stats_chart_status stats_report_histogram_chart(const struct stats_report *d,
                                                     struct stats_chart *c)
{
    enum stats_chart_status status = start_distribution(d, c);
    if (status != STATS_CHART_OK)
        return status;
    double p99 = pooled_quantile_ms(d, STATS_HISTOGRAM_QUANTILE), max_ms = max_latency_ms(d);
    if (p99 < 0)
        return STATS_CHART_NO_MEMORY;
    c->bin_ms = bin_width_ms(p99);
    c->last_bin = floor(p99 / c->bin_ms) + 1;
    snprintf(c->title, sizeof c->title, "Handshake latency: the histogram of each point");
    snprintf(c->y_label, sizeof c->y_label, "connections in the bin (%% of n)");
    if (max_ms >= c->last_bin * c->bin_ms)
        snprintf(c->note, sizeof c->note, "bars: %g ms bins side by side,\nthe last one all from "
                 "%g ms on;\nn: the point's connections", c->bin_ms, c->last_bin * c->bin_ms);
    else
        snprintf(c->note, sizeof c->note,
                 "bars: %g ms bins side by side;\nn: the point's connections", c->bin_ms);
    for (size_t p = 0; p < d->point_count; p++)
        if (d->points[p].latency_count && add_histogram(c, d, &d->points[p]) != 0)
            return STATS_CHART_NO_MEMORY;
    return STATS_CHART_OK;
}

void stats_chart_free(struct stats_chart *c)
{
    for (size_t i = 0; c->series && i < c->series_count; i++)
        free(c->series[i].label);
    free(c->series);
    free(c->points);
    memset(c, 0, sizeof *c);
}

enum stats_chart_status stats_report_chart(const struct stats_report *d, const char *x_key,
                                           struct stats_chart *c)
{
    memset(c, 0, sizeof *c);
    if (!x_key && d->by_count)
        x_key = d->by[0];
    long x = x_key ? key_index(d, x_key) : -1;
    if (x < 0)
        return x_key ? STATS_CHART_X_NOT_BY : STATS_CHART_NOTHING_VARIES;
    c->x_key = x_key;
    snprintf(c->title, sizeof c->title, "Handshake latency against %s", x_key);
    snprintf(c->x_label, sizeof c->x_label, "%s%s", x_key,
             d->point_count ? axis_unit(x_key, d->points[0].values[x]) : "");
    snprintf(c->y_label, sizeof c->y_label, "mean " LATENCY_LABEL);
    snprintf(c->note, sizeof c->note,
             "error bars: 95%% CI of the mean; n: connections established");
    return build_chart(d, (size_t)x, c) == 0 ? STATS_CHART_OK : STATS_CHART_NO_MEMORY;
}
