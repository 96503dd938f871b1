/*
 * stats_model.c: a stats report's points against the handshake model of
 * Cardwell, Savage and Anderson (stats.h): the model mean against the
 * measured mean's confidence interval, and the whole measured latency
 * distribution against the model's, count by count within binomial bounds
 * and with Pearson's chi-square (docs/validation.md).
 */
#include "stats_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static bool parse_loss(const char *text, double *p)
{
    return text && scenario_parse_probability(text, p) == 0;
}

bool stats_point_csa_params(const struct stats_report *r, const struct stats_point *g,
                            struct csa_params *m)
{
    double both = 0;
    *m = (struct csa_params){r->request.rtt_ns, r->request.ts_ns, 0, 0};
    if (g->loss_conflict ||
        (g->loss[STATS_LOSS_BOTH] && !parse_loss(g->loss[STATS_LOSS_BOTH], &both)))
        return false;
    m->p_forward = m->p_reverse = both;
    if (g->loss[STATS_LOSS_FORWARD] && !parse_loss(g->loss[STATS_LOSS_FORWARD], &m->p_forward))
        return false;
    if (g->loss[STATS_LOSS_REVERSE] && !parse_loss(g->loss[STATS_LOSS_REVERSE], &m->p_reverse))
        return false;
    return true;
}

struct stats_model_result stats_point_model(const struct stats_report *r,
                                            const struct stats_point *g)
{
    struct stats_model_result result = {0};
    struct csa_params m;
    if (r->request.model != STATS_MODEL_CSA || !stats_point_csa_params(r, g, &m))
        return result;
    result.known = true;
    result.mean_ms = csa_mean_ns(&m) / 1e6;
    result.finite_variance = isfinite(csa_variance_ns2(&m));
    double half = g->latency.ci_half;
    result.in_ci = isfinite(half) && fabs(g->latency.mean - result.mean_ms) <= half;
    return result;
}

/* ---- the distribution ---- */

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

static void add_test(struct stats_distribution *d, const char *label, double latency_ms,
                     double probability, uint64_t n, uint64_t observed)
{
    struct stats_count_test *t = &d->tests[d->test_count++];
    snprintf(t->label, sizeof t->label, "%s", label);
    t->latency_ms = latency_ms;
    t->probability = probability;
    t->expected = probability * (double)n;
    t->observed = observed;
    stats_binomial_bounds(n, probability, STATS_BIN_LEVEL, &t->low, &t->high);
    t->inside = observed >= t->low && observed <= t->high;
}

/* Pearson's chi-square over the tested counts; a last count expected
 * fewer than STATS_MIN_EXPECTED times joins the one before it. */
static void chi_square(struct stats_distribution *d)
{
    size_t n = d->test_count, cells = n;
    const struct stats_count_test *t = d->tests;
    double chi2 = 0;
    if (cells > 1 && t[cells - 1].expected < STATS_MIN_EXPECTED)
        cells--;
    for (size_t i = 0; i < cells; i++) {
        bool joins = i + 1 == cells && cells < n;
        double o = (double)t[i].observed + (joins ? (double)t[n - 1].observed : 0);
        double e = t[i].expected + (joins ? t[n - 1].expected : 0);
        chi2 += (o - e) * (o - e) / e;
    }
    if (cells > 1) {
        d->dof = cells - 1;
        d->chi_square = chi2;
        d->p_value = stats_chisq_p_value(chi2, (double)(cells - 1));
    }
}

/* Each value the model expects at least STATS_MIN_EXPECTED times on its
 * own, the others (and connections never established) pooled as "rest". */
static void test_counts(struct stats_distribution *d, const struct stats_point *g,
                        const struct csa_bin *bins, long n, double tail, const uint64_t *observed)
{
    uint64_t pooled_observed = g->connections - g->established;
    double pooled_p = tail;
    for (long b = 0; b < n; b++) {
        if (bins[b].probability * (double)g->connections < STATS_MIN_EXPECTED) {
            pooled_p += bins[b].probability;
            pooled_observed += observed[b];
            continue;
        }
        char label[32];
        bin_label(&d->model, bins[b].units, label, sizeof label);
        add_test(d, label, (double)bins[b].latency_ns / 1e6, bins[b].probability, g->connections,
                 observed[b]);
    }
    if (pooled_p > 0)
        add_test(d, "rest", NAN, pooled_p, g->connections, pooled_observed);
    chi_square(d);
}

int stats_point_distribution(const struct stats_report *r, const struct stats_point *g,
                             struct stats_distribution *d)
{
    struct csa_bin *bins = NULL;
    double tail = 0;
    *d = (struct stats_distribution){0};
    long n = stats_point_csa_params(r, g, &d->model) ? csa_distribution(&d->model, &bins, &tail)
                                                     : -1;
    if (n < 0) {
        free(bins);
        return 0;
    }
    uint64_t *observed = calloc((size_t)n + 1, sizeof *observed);
    d->tests = calloc((size_t)n + 2, sizeof *d->tests);
    int rc = observed && d->tests ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < g->latency_count; i++) {
        long b = find_bin(bins, n, g->latency_ns[i]);
        if (b < 0)
            d->unmatched++;
        else
            observed[b]++;
    }
    if (rc == 0) {
        d->known = true;
        test_counts(d, g, bins, n, tail, observed);
    }
    free(observed);
    free(bins);
    return rc;
}

void stats_distribution_free(struct stats_distribution *d)
{
    free(d->tests);
    d->tests = NULL;
    d->test_count = 0;
}
