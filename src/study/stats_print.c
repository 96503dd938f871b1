/*
 * stats_print.c: a stats report as text (stats_report.h): the table for
 * people (aligned columns, "-" for no value), CSV for programs, and the
 * distribution tests of --distribution, one block per point.
 */
#include "stats_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- the table ---- */

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

static double window_ms(const struct stats_report *d)
{
    return (double)(d->request.window_to_ns - d->request.window_from_ns) / 1e6;
}

/* Mean population over the window, per run. */
static double population(const struct stats_report *d, const struct stats_point *g, double total_ms)
{
    return ratio(total_ms, window_ms(d) * (double)g->runs);
}

static void print_number(FILE *out, double v, const char *format, int width)
{
    char text[64];
    if (isnan(v))
        snprintf(text, sizeof text, "-");
    else if (isinf(v))
        snprintf(text, sizeof text, "inf");
    else
        snprintf(text, sizeof text, format, v);
    fprintf(out, " %*s", width, text);
}

static int key_width(const struct stats_report *d, size_t k)
{
    int w = (int)strlen(d->by[k]);
    for (size_t i = 0; i < d->point_count; i++) {
        int n = (int)strlen(d->points[i].values[k]);
        w = n > w ? n : w;
    }
    return w;
}

static void print_table_header(FILE *out, const struct stats_report *d)
{
    for (size_t k = 0; k < d->by_count; k++)
        fprintf(out, "%-*s ", key_width(d, k), d->by[k]);
    fprintf(out, "%6s %8s %7s %10s %9s %10s %10s %10s %10s %8s %9s %9s", "runs", "conns", "done%",
           "mean_ms", "ci95_ms", "sd_ms", "median_ms", "p95_ms", "p99_ms", "rexmit", "tw_s",
           "cw_s");
    if (d->request.model != STATS_MODEL_NONE)
        fprintf(out, " %10s %6s %6s %5s", "model_ms", "diff%", "ci%", "in_ci");
    if (d->request.has_window)
        fprintf(out, " %10s %10s", "tw_pop", "cw_pop");
    fprintf(out, "\n");
}

static void print_table_row(FILE *out, const struct stats_report *d,
                            const struct stats_point *g)
{
    const struct stats_summary *s = &g->latency;
    for (size_t k = 0; k < d->by_count; k++)
        fprintf(out, "%-*s ", key_width(d, k), g->values[k]);
    fprintf(out, "%6" PRIu64 " %8" PRIu64, g->runs, g->connections);
    print_number(out, 100 * ratio((double)g->established, (double)g->connections), "%.2f", 7);
    print_number(out, s->mean, "%.3f", 10);
    print_number(out, s->ci_half, "%.3f", 9);
    print_number(out, s->sd, "%.3f", 10);
    print_number(out, s->median, "%.3f", 10);
    print_number(out, s->p95, "%.3f", 10);
    print_number(out, s->p99, "%.3f", 10);
    print_number(out, ratio((double)g->retransmissions, (double)g->connections), "%.4f", 8);
    print_number(out, ratio(g->tw_ms, (double)g->tw_stays) / 1e3, "%.3f", 9);
    print_number(out, ratio(g->cw_ms, (double)g->cw_stays) / 1e3, "%.3f", 9);
    if (d->request.model != STATS_MODEL_NONE) {
        struct stats_model_result m = stats_point_model(d, g);
        print_number(out, m.known ? m.mean_ms : NAN, "%.3f", 10);
        print_number(out, m.known ? 100 * (s->mean - m.mean_ms) / m.mean_ms : NAN, "%+.2f", 6);
        print_number(out, 100 * s->ci_half / s->mean, "%.2f", 6);
        fprintf(out, " %5s", !m.known ? "-" : !m.finite_variance ? "n/a" : m.in_ci ? "yes" : "NO");
    }
    if (d->request.has_window) {
        print_number(out, population(d, g, g->tw_window_ms), "%.2f", 10);
        print_number(out, population(d, g, g->cw_window_ms), "%.2f", 10);
    }
    fprintf(out, "\n");
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_number(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, ",%.10g", v);
    else
        fprintf(out, ",%s", isinf(v) ? "inf" : "");
}

static void print_csv(FILE *out, const struct stats_report *d)
{
    for (size_t k = 0; k < d->by_count; k++) {
        csv_field(out, d->by[k]);
        fputc(',', out);
    }
    fprintf(out, "runs,connections,established,completion,latency_mean_ms,latency_ci95_low_ms,"
           "latency_ci95_high_ms,latency_sd_ms,latency_median_ms,latency_p95_ms,latency_p99_ms,"
           "retransmissions_per_connection,time_wait_mean_s,close_wait_mean_s");
    if (d->request.model != STATS_MODEL_NONE)
        fprintf(out, ",model_mean_ms,model_in_ci");
    if (d->request.has_window)
        fprintf(out, ",time_wait_population,close_wait_population");
    fprintf(out, "\n");
    for (size_t i = 0; i < d->point_count; i++) {
        const struct stats_point *g = &d->points[i];
        const struct stats_summary *s = &g->latency;
        for (size_t k = 0; k < d->by_count; k++) {
            csv_field(out, g->values[k]);
            fputc(',', out);
        }
        fprintf(out, "%" PRIu64 ",%" PRIu64 ",%" PRIu64, g->runs, g->connections, g->established);
        csv_number(out, ratio((double)g->established, (double)g->connections));
        csv_number(out, s->mean);
        csv_number(out, s->mean - s->ci_half);
        csv_number(out, s->mean + s->ci_half);
        csv_number(out, s->sd);
        csv_number(out, s->median);
        csv_number(out, s->p95);
        csv_number(out, s->p99);
        csv_number(out, ratio((double)g->retransmissions, (double)g->connections));
        csv_number(out, ratio(g->tw_ms, (double)g->tw_stays) / 1e3);
        csv_number(out, ratio(g->cw_ms, (double)g->cw_stays) / 1e3);
        if (d->request.model != STATS_MODEL_NONE) {
            struct stats_model_result m = stats_point_model(d, g);
            csv_number(out, m.known ? m.mean_ms : NAN);
            fprintf(out, ",%s", !m.known || !m.finite_variance ? "" : m.in_ci ? "1" : "0");
        }
        if (d->request.has_window) {
            csv_number(out, population(d, g, g->tw_window_ms));
            csv_number(out, population(d, g, g->cw_window_ms));
        }
        fprintf(out, "\n");
    }
}

/* ---- the distribution against the model ---- */

static void print_group_title(FILE *out, const struct stats_report *d, const struct stats_point *g)
{
    fprintf(out, "\n");
    for (size_t k = 0; k < d->by_count; k++)
        fprintf(out, "%s%s=%s", k ? " " : "", d->by[k], g->values[k]);
    if (d->by_count == 0)
        fprintf(out, "all runs");
}

static void print_count_test(FILE *out, const struct stats_count_test *t)
{
    fprintf(out, "  %-10s", t->label);
    print_number(out, t->latency_ms, "%.3f", 14);
    fprintf(out, " %12.4e %12.1f %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %4s\n",
            t->probability, t->expected, t->observed, t->low, t->high, t->inside ? "ok" : "OUT");
}

struct distribution_totals {
    uint64_t tested, outside, unmatched;
};

static void print_distribution(FILE *out, const struct stats_report *d, const struct stats_point *g,
                               struct distribution_totals *totals)
{
    const struct stats_request *q = &d->request;
    struct stats_distribution dist;
    print_group_title(out, d, g);
    if (stats_point_distribution(d, g, &dist) != 0 || !dist.known) {
        fprintf(out, ": no model (loss rates unknown or differing between runs)\n");
        stats_distribution_free(&dist);
        return;
    }
    fprintf(out, ": %" PRIu64 " connections, P(lost SYN) %g, P(lost SYN-ACK) %g, RTT %g ms, Ts %g ms\n",
            g->connections, dist.model.p_forward, dist.model.p_reverse, (double)q->rtt_ns / 1e6,
            (double)q->ts_ns / 1e6);
    fprintf(out, "  %-10s %14s %12s %12s %10s %10s %10s %4s\n", "lost", "latency_ms", "model_p",
            "expected", "observed", "99%_low", "99%_high", "");
    for (size_t i = 0; i < dist.test_count; i++) {
        print_count_test(out, &dist.tests[i]);
        totals->tested++;
        totals->outside += !dist.tests[i].inside;
    }
    if (dist.dof > 0)
        fprintf(out, "  chi-square %.2f on %zu degrees of freedom: p = %.3f\n", dist.chi_square,
                dist.dof, dist.p_value);
    fprintf(out, "  latencies that are no model value: %" PRIu64 "\n", dist.unmatched);
    totals->unmatched += dist.unmatched;
    stats_distribution_free(&dist);
}

/* ---- the report ---- */

int stats_report_print(FILE *out, const struct stats_report *d,
                       const struct stats_print_options *o)
{
    int failures = 0;
    if (o->csv) {
        print_csv(out, d);
    } else {
        print_table_header(out, d);
        for (size_t i = 0; i < d->point_count; i++)
            print_table_row(out, d, &d->points[i]);
    }
    for (size_t i = 0; d->request.model != STATS_MODEL_NONE && i < d->point_count; i++) {
        struct stats_model_result m = stats_point_model(d, &d->points[i]);
        failures += m.known && m.finite_variance && !m.in_ci;
    }
    if (o->distribution) {
        struct distribution_totals c = {0};
        for (size_t i = 0; i < d->point_count; i++)
            print_distribution(out, d, &d->points[i], &c);
        fprintf(out, "\n%" PRIu64 " of %" PRIu64 " counts within their 99%% bounds; %" PRIu64
                " latencies no model value\n",
                c.tested - c.outside, c.tested, c.unmatched);
        failures += (int)(c.outside + c.unmatched);
    }
    if (o->check)
        fprintf(out, "\ncheck %s\n", failures ? "FAILED" : "passed");
    return failures;
}
