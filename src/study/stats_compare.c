/*
 * stats_compare.c: two databases' handshake-plus-first-data times side by
 * side and the two-sample Kolmogorov-Smirnov test (stats.h). A connection
 * whose first data never arrived is counted in n and placed above every
 * delivered time in the test (it is censored at the run's end on both
 * backends alike); the mean and quantiles are of the delivered ones.
 * Kolmogorov-Smirnov rather than Mann-Whitney because the question is the
 * whole distribution (the 1 s and 3 s steps of lost SYNs), not a shift.
 */
#include "stats_compare.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "results_study.h"
#include "sink_sqlite.h"
#include "stats.h"

struct sample {
    double *ms;             /* delivered first, then INFINITY for the undelivered */
    size_t n, capacity, undelivered;
};

static int on_first_data(void *context, const struct results_first_data *first)
{
    struct sample *s = context;
    if (s->n == s->capacity) {
        size_t capacity = s->capacity ? 2 * s->capacity : 256;
        double *ms = realloc(s->ms, capacity * sizeof *ms);
        if (!ms)
            return 1;
        s->ms = ms;
        s->capacity = capacity;
    }
    s->ms[s->n++] = first->delivered ? (double)first->latency_ns / 1e6 : INFINITY;
    s->undelivered += !first->delivered;
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int load(const char *path, struct sample *s, char *err, size_t errlen)
{
    err[0] = '\0';
    struct trace_sink *db = sink_sqlite_open_read(path, err, errlen);
    if (!db)
        return -1;
    int status = results_first_data(db, on_first_data, s, err, errlen);
    db->ops->destroy(db);
    if (status != 0) {
        if (!err[0])
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (s->n == 0) {
        snprintf(err, errlen, "%s: no connections", path);
        return -1;
    }
    qsort(s->ms, s->n, sizeof *s->ms, compare_doubles);
    return 0;
}

static const double quantiles[] = {0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};
#define QUANTILE_COUNT (sizeof quantiles / sizeof quantiles[0])

static double delivered_mean(const struct sample *s)
{
    size_t delivered = s->n - s->undelivered;
    double sum = 0.0;
    for (size_t i = 0; i < delivered; i++)
        sum += s->ms[i];
    return delivered ? sum / (double)delivered : NAN;
}

static void print_row(FILE *out, const char *path, const struct sample *s,
                      const struct stats_ks *ks, bool csv)
{
    size_t delivered = s->n - s->undelivered;
    fprintf(out, csv ? "%s,%zu,%zu,%.3f" : "%-28s %6zu %6zu %10.3f", path, s->n, s->undelivered,
            delivered_mean(s));
    for (size_t q = 0; q < QUANTILE_COUNT; q++)
        fprintf(out, csv ? ",%.3f" : " %9.3f", stats_quantile_sorted(s->ms, delivered, quantiles[q]));
    if (csv)
        fprintf(out, ",%.6f,%.6g", ks->d, ks->p_value);
    fputc('\n', out);
}

static void print_table(FILE *out, const char *path_a, const struct sample *a, const char *path_b,
                        const struct sample *b, const struct stats_ks *ks, bool csv)
{
    if (csv)
        fputs("db,n,undelivered,mean_ms,p10_ms,p25_ms,median_ms,p75_ms,p90_ms,p95_ms,p99_ms,ks_d,ks_p\n", out);
    else
        fprintf(out, "handshake plus first data (ms), from the active OPEN\n%-28s %6s %6s %10s %9s %9s "
                     "%9s %9s %9s %9s %9s\n",
                "database", "n", "undlv", "mean", "p10", "p25", "median", "p75", "p90", "p95", "p99");
    print_row(out, path_a, a, ks, csv);
    print_row(out, path_b, b, ks, csv);
}

/* The test on copies of the samples rounded down to multiples of
 * resolution_ms (0: as measured); the copies keep the order, so they stay
 * sorted. Returns -1 when out of memory. */
static int test(const struct sample *a, const struct sample *b, double resolution_ms,
                struct stats_ks *ks)
{
    double *ra = malloc(a->n * sizeof *ra), *rb = malloc(b->n * sizeof *rb);
    if (!ra || !rb) {
        free(ra);
        free(rb);
        return -1;
    }
    for (size_t i = 0; i < a->n; i++)
        ra[i] = resolution_ms > 0.0 ? floor(a->ms[i] / resolution_ms) * resolution_ms : a->ms[i];
    for (size_t i = 0; i < b->n; i++)
        rb[i] = resolution_ms > 0.0 ? floor(b->ms[i] / resolution_ms) * resolution_ms : b->ms[i];
    stats_ks_two_sample(ra, a->n, rb, b->n, ks);
    free(ra);
    free(rb);
    return 0;
}

int stats_compare_first_data(const char *path_a, const char *path_b, double level,
                             double resolution_ms, bool csv, FILE *out, bool *differ, char *err,
                             size_t errlen)
{
    struct sample a = {0}, b = {0};
    struct stats_ks ks;
    int status = -1;
    if (load(path_a, &a, err, errlen) == 0 && load(path_b, &b, err, errlen) == 0) {
        if (test(&a, &b, resolution_ms, &ks) != 0) {
            snprintf(err, errlen, "out of memory");
        } else {
            *differ = ks.p_value < level;
            print_table(out, path_a, &a, path_b, &b, &ks, csv);
            if (!csv)
                fprintf(out, "Kolmogorov-Smirnov%s: D = %.4f, p = %.3g: %s at the %g%% level\n",
                        resolution_ms > 0.0 ? " on times rounded down to the resolution" : "",
                        ks.d, ks.p_value,
                        *differ ? "the distributions differ" : "no difference", 100.0 * level);
            status = 0;
        }
    }
    free(a.ms);
    free(b.ms);
    return status;
}
