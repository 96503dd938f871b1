/*
 * stats_chart.c: the plot of a stats report (stats_report.h): the mean
 * handshake latency with its 95% CI against one key, one series per
 * combination of the other keys, and the CSA model's mean along the axis
 * when that key is a loss rate. Only the layout: view/plot.c draws it.
 */
#include "stats_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHART_MODEL_SAMPLES 200  /* points of a model curve */

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
            out[n++] = (struct stats_chart_point){p, mean, NAN, NAN};
    }
    return n;
}

static int add_series(struct stats_chart *c, const char *label, size_t first_point, size_t count,
                      bool model)
{
    char *copy = malloc(strlen(label) + 1);
    if (!copy)
        return -1;
    strcpy(copy, label);
    c->series[c->series_count++] = (struct stats_chart_series){copy, first_point, count, model};
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
    for (size_t i = 0; i < groups; i++) {
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
            c->points[c->point_count++] = (struct stats_chart_point){xv, y, y - h, y + h};
            lo = xv < lo ? xv : lo;
            hi = xv > hi ? xv : hi;
        }
        char label[256];
        series_label(d, &d->points[i], x, label, sizeof label);
        if (add_series(c, label, first, c->point_count - first, false) != 0)
            break;
        size_t model_first = c->point_count;
        size_t n = model_curve(d, &d->points[i], axis, lo, hi, c->points + model_first);
        c->point_count += n;
        if (n && add_series(c, "model (Cardwell, Savage, Anderson)", model_first, n, true) != 0)
            break;
    }
    free(done);
    return 0;
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
    return build_chart(d, (size_t)x, c) == 0 ? STATS_CHART_OK : STATS_CHART_NO_MEMORY;
}
