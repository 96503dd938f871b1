/*
 * stats.c: sample summaries, binomial bounds and the CSA handshake model.
 * See stats.h; the model's derivation is in docs/validation.md.
 */
#include "stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#define CSA_MIN_PROBABILITY 1e-16

/* ---- samples ---- */

double stats_t_half_width(double sd, size_t n, double level)
{
    if (n < 2 || !isfinite(sd))
        return NAN;
    double t = gsl_cdf_tdist_Pinv(1 - (1 - level) / 2, (double)(n - 1));
    return t * sd / sqrt((double)n);
}

void stats_summarize(double *data, size_t n, double level, struct stats_summary *out)
{
    *out = (struct stats_summary){.n = n, .mean = NAN, .sd = NAN, .ci_half = NAN, .min = NAN,
                                  .median = NAN, .p95 = NAN, .p99 = NAN, .max = NAN};
    if (n == 0)
        return;
    gsl_sort(data, 1, n);
    out->mean = gsl_stats_mean(data, 1, n);
    if (n >= 2) {
        out->sd = gsl_stats_sd_m(data, 1, n, out->mean);
        out->ci_half = stats_t_half_width(out->sd, n, level);
    }
    out->min = data[0];
    out->max = data[n - 1];
    out->median = gsl_stats_quantile_from_sorted_data(data, 1, n, 0.5);
    out->p95 = gsl_stats_quantile_from_sorted_data(data, 1, n, 0.95);
    out->p99 = gsl_stats_quantile_from_sorted_data(data, 1, n, 0.99);
}

/* Smallest k in [0, n] with P(X <= k) >= target (bisection on the CDF). */
static uint64_t binomial_quantile(uint64_t n, double p, double target)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (gsl_cdf_binomial_P((unsigned)mid, p, (unsigned)n) >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void stats_binomial_bounds(uint64_t n, double p, double level, uint64_t *lo, uint64_t *hi)
{
    double tail = (1 - level) / 2;
    if (p <= 0 || n == 0) {
        *lo = *hi = 0;
        return;
    }
    if (p >= 1) {
        *lo = *hi = n;
        return;
    }
    *lo = binomial_quantile(n, p, tail);
    *hi = binomial_quantile(n, p, 1 - tail);
}

static bool leading_number(const char *s, double *value, const char **rest)
{
    char *end;
    if (!((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9')))
        return false;
    *value = strtod(s, &end);
    *rest = end;
    return true;
}

int stats_compare_values(const char *a, const char *b)
{
    double x, y;
    const char *ra, *rb;
    if (a && b && leading_number(a, &x, &ra) && leading_number(b, &y, &rb)) {
        int units = strcmp(ra, rb);
        if (units == 0 && x != y)
            return x < y ? -1 : 1;
        if (units != 0)
            return units;
    }
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    return strcmp(a, b);
}

/* ---- the CSA model ---- */

/* E[2^I] with P(I = i) = (1-p) p^i. */
static double mean_doubling(double p)
{
    return p >= 0.5 ? INFINITY : (1 - p) / (1 - 2 * p);
}

/* E[4^I]. */
static double mean_quadrupling(double p)
{
    return p >= 0.25 ? INFINITY : (1 - p) / (1 - 4 * p);
}

double csa_mean_ns(const struct csa_params *m)
{
    double units = mean_doubling(m->p_forward) + mean_doubling(m->p_reverse) - 2;
    return (double)m->rtt_ns + (double)m->ts_ns * units;
}

double csa_variance_ns2(const struct csa_params *m)
{
    double ts = (double)m->ts_ns, var = 0;
    double p[2] = {m->p_forward, m->p_reverse};
    for (int d = 0; d < 2; d++) {
        double e2 = mean_doubling(p[d]), e4 = mean_quadrupling(p[d]);
        if (!isfinite(e4))
            return INFINITY;
        var += e4 - e2 * e2; /* I and J are independent: variances add */
    }
    return ts * ts * var;
}

/* Losses 0..*count-1 of one direction whose probability and cost still
 * count; prob[i] = (1-p) p^i. */
static int lost_counts(double p, int64_t ts_ns, int64_t room_ns, double prob[64])
{
    int count = 0;
    for (; count < 63; count++) {
        prob[count] = (1 - p) * pow(p, count);
        if (count > 0 && (prob[count] < CSA_MIN_PROBABILITY ||
                          ((1ULL << count) - 1) > (uint64_t)(room_ns / ts_ns)))
            break;
    }
    return count;
}

static int compare_bins(const void *a, const void *b)
{
    const struct csa_bin *x = a, *y = b;
    return (x->units > y->units) - (x->units < y->units);
}

/* Sorts by units and adds up bins of equal units. Returns the new count. */
static long merge_bins(struct csa_bin *bins, long n)
{
    qsort(bins, (size_t)n, sizeof *bins, compare_bins);
    long out = 0;
    for (long i = 0; i < n; i++) {
        if (out > 0 && bins[out - 1].units == bins[i].units)
            bins[out - 1].probability += bins[i].probability;
        else
            bins[out++] = bins[i];
    }
    return out;
}

long csa_distribution(const struct csa_params *m, struct csa_bin **bins, double *tail)
{
    double pf[64], pr[64];
    int64_t room = INT64_MAX - m->rtt_ns;
    int nf = lost_counts(m->p_forward, m->ts_ns, room / 2, pf);
    int nr = lost_counts(m->p_reverse, m->ts_ns, room / 2, pr);
    struct csa_bin *b = malloc((size_t)nf * (size_t)nr * sizeof *b);
    if (!b)
        return -1;
    long n = 0;
    double mass = 0;
    for (int i = 0; i < nf; i++) {
        for (int j = 0; j < nr; j++) {
            double probability = pf[i] * pr[j];
            if (probability < CSA_MIN_PROBABILITY && !(i == 0 && j == 0))
                continue;
            uint64_t units = (1ULL << i) + (1ULL << j) - 2;
            b[n++] = (struct csa_bin){m->rtt_ns + m->ts_ns * (int64_t)units, units, probability};
            mass += probability;
        }
    }
    n = merge_bins(b, n);
    if (tail)
        *tail = mass < 1 ? 1 - mass : 0;
    *bins = b;
    return n;
}

double stats_chisq_p_value(double chi2, double dof)
{
    return gsl_cdf_chisq_Q(chi2, dof);
}

/* ---- the two-sample Kolmogorov-Smirnov test ---- */

double stats_kolmogorov_q(double lambda)
{
    if (lambda <= 0.0)
        return 1.0;
    /* The series converges fast for lambda above ~0.3; below that Q is 1
     * to double precision and the alternating terms only add rounding. */
    if (lambda < 0.2)
        return 1.0;
    double sum = 0.0, sign = 1.0;
    for (int j = 1; j <= 100; j++) {
        double term = exp(-2.0 * j * j * lambda * lambda);
        sum += sign * term;
        if (term < 1e-16 * fabs(sum))
            break;
        sign = -sign;
    }
    double q = 2.0 * sum;
    return q < 0.0 ? 0.0 : q > 1.0 ? 1.0 : q;
}

void stats_ks_two_sample(const double *a, size_t na, const double *b, size_t nb, struct stats_ks *out)
{
    if (na == 0 || nb == 0) {
        out->d = out->p_value = NAN;
        return;
    }
    size_t i = 0, j = 0;
    double d = 0.0;
    while (i < na && j < nb) {
        double x = a[i] <= b[j] ? a[i] : b[j];
        while (i < na && a[i] <= x)
            i++;
        while (j < nb && b[j] <= x)
            j++;
        double gap = fabs((double)i / (double)na - (double)j / (double)nb);
        if (gap > d)
            d = gap;
    }
    double ne = (double)na * (double)nb / ((double)na + (double)nb);
    double root = sqrt(ne);
    out->d = d;
    out->p_value = stats_kolmogorov_q((root + 0.12 + 0.11 / root) * d);
}

double stats_quantile_sorted(const double *sorted, size_t n, double q)
{
    return n == 0 ? NAN : gsl_stats_quantile_from_sorted_data(sorted, 1, n, q);
}
