/*
 * stats_report.h: the statistics of a results database per parameter point
 * (the runs that share the values of the --by keys): runs, connections,
 * completion, handshake latency (stats.h summary), retransmissions, stays in
 * TIME_WAIT and CLOSE_WAIT and their populations over a window; the CSA
 * model (stats.h) per point, and the whole latency distribution against
 * it. `tcpsim stats` is stats_report_load(), stats_report_print() and, for
 * --plot, --plot-cdf and --plot-histogram, stats_report_chart() and its
 * siblings.
 *
 *   struct stats_request q = {.db_path = "x.db", .by = {"link.loss"}, .by_count = 1};
 *   struct stats_report r;
 *   if (stats_report_load(&q, &r, err, sizeof err) == 0)
 *       stats_report_print(stdout, &r, &(struct stats_print_options){0});
 *   stats_report_free(&r);
 *
 * Files: stats_report.c loads and groups, stats_model.c compares with the
 * model, stats_print.c writes tables, stats_chart.c lays out the plots.
 */
#ifndef TCPSIM_STATS_REPORT_H
#define TCPSIM_STATS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "stats.h"

#define STATS_MAX_BY 16
#define STATS_CONFIDENCE 0.95   /* of the latency's interval */

enum stats_model { STATS_MODEL_NONE, STATS_MODEL_CSA };

struct stats_request {
    const char *db_path;
    const char *by[STATS_MAX_BY];   /* none: every key whose value differs between runs */
    size_t by_count;
    enum stats_model model;
    int64_t rtt_ns, ts_ns;          /* the model's RTT and initial SYN timeout */
    bool has_window;                /* populations over [window_from_ns, window_to_ns) */
    int64_t window_from_ns, window_to_ns;
};

/* The loss settings the CSA model reads from a point's runs. */
enum stats_loss_key { STATS_LOSS_BOTH, STATS_LOSS_FORWARD, STATS_LOSS_REVERSE, STATS_LOSS_KEYS };

struct stats_point {
    char **values;                  /* one per --by key; "" when a run lacks the key */
    uint64_t runs, connections, established, retransmissions;
    int64_t *latency_ns;            /* of the established connections, in run order */
    size_t latency_count, latency_capacity;
    uint64_t tw_stays, cw_stays;
    double tw_ms, cw_ms;            /* total time of the stays */
    double tw_window_ms, cw_window_ms; /* time of the stays within the window */
    char *loss[STATS_LOSS_KEYS];    /* the runs' loss settings; NULL: not set */
    bool loss_conflict;             /* the runs of the point disagree on one */
    struct stats_summary latency;   /* in ms */
};

struct stats_report {
    struct stats_request request;   /* as asked */
    const char *by[STATS_MAX_BY];   /* the keys of the points: request's or default */
    size_t by_count;
    char *by_owned[STATS_MAX_BY];   /* keys found in the database (default by) */
    size_t run_count;               /* runs with status ok or failed */
    struct stats_point *points;     /* ordered by the by keys' values (stats_compare_values) */
    size_t point_count;
    char client[SCENARIO_NAME_MAX], server[SCENARIO_NAME_MAX]; /* first connection's hosts */
};

/* Reads the database. Returns 0, or -1 with a message in err; free the
 * report in both cases. */
int stats_report_load(const struct stats_request *request, struct stats_report *report,
                      char *err, size_t errlen);
void stats_report_free(struct stats_report *report);

/* ---- the model (stats_model.c) ---- */

/* The point's model: its loss rates (a direction's own key wins over
 * link.loss) with the request's RTT and Ts. False when the runs disagree or
 * a value is not a plain probability. */
bool stats_point_csa_params(const struct stats_report *report, const struct stats_point *point,
                            struct csa_params *model);

struct stats_model_result {
    bool known;                     /* the point's loss rates are known */
    double mean_ms;
    bool finite_variance;
    bool in_ci;                     /* the model mean is within the 95% CI */
};
struct stats_model_result stats_point_model(const struct stats_report *report,
                                            const struct stats_point *point);

/* One count of --distribution: a latency value the model expects at least
 * STATS_MIN_EXPECTED times (or "rest": the others pooled, latency NAN). */
#define STATS_MIN_EXPECTED 5.0
#define STATS_BIN_LEVEL 0.99        /* of the binomial bounds */
struct stats_count_test {
    char label[32];                 /* "i=3" (one lossy direction), "k=6", "rest" */
    double latency_ms, probability, expected;
    uint64_t observed, low, high;   /* low, high: the 99% binomial bounds */
    bool inside;
};

struct stats_distribution {
    bool known;                     /* false: no model for the point */
    struct csa_params model;
    struct stats_count_test *tests;
    size_t test_count;
    size_t dof;                     /* 0: too few counts for a chi-square test */
    double chi_square, p_value;
    uint64_t unmatched;             /* latencies that are no model value */
};

/* The point's latencies against the model's distribution. Returns 0, or
 * -1 when out of memory; free with stats_distribution_free either way. */
int stats_point_distribution(const struct stats_report *report, const struct stats_point *point,
                             struct stats_distribution *out);
void stats_distribution_free(struct stats_distribution *d);

/* ---- tables (stats_print.c) ---- */

struct stats_print_options {
    bool csv;                       /* else a table for people */
    bool distribution;              /* the distribution tests after the table */
    bool check;                     /* a last line "check passed" or "check FAILED" */
};

/* Writes the report; returns the failed checks: model means outside their
 * CI (where the variance is finite), counts outside their bounds and
 * latencies that are no model value. */
int stats_report_print(FILE *out, const struct stats_report *report,
                       const struct stats_print_options *options);

/* ---- the plots (stats_chart.c) ---- */

struct stats_chart_point {
    double x, y, y_low, y_high;     /* y_low, y_high: error bar; NAN: none */
    uint64_t n;                     /* connections behind a mean; 0: not a mean */
};
enum stats_chart_kind {
    STATS_CHART_MEANS,              /* measured means with their CIs */
    STATS_CHART_MODEL,              /* the model's mean along x */
    STATS_CHART_CDF,                /* a point's empirical CDF */
    STATS_CHART_MODEL_CDF,          /* the model's CDF for that point */
    STATS_CHART_BARS,               /* a point's histogram: one point per non-empty bin */
};
struct stats_chart_series {
    char *label;
    size_t first, count;            /* of the chart's points */
    enum stats_chart_kind kind;
};
struct stats_chart {
    char title[256], x_label[160], y_label[160]; /* labels with units */
    char note[240];                 /* the legend's last lines: what the marks are */
    const char *x_key;              /* the means' x key; NULL for CDF and histogram */
    struct stats_chart_series *series;
    size_t series_count;
    struct stats_chart_point *points;
    size_t point_count;
    double bin_ms;                  /* the histogram's bin width */
    double last_bin;                /* its last bin (index), which holds the tail beyond */
    bool x_log;                     /* x on a log scale: the CDF, whose latencies span decades */
};

enum stats_chart_status {
    STATS_CHART_OK,
    STATS_CHART_X_NOT_BY,           /* x_key is not one of the by keys */
    STATS_CHART_NOTHING_VARIES,     /* no x_key given and no by keys */
    STATS_CHART_NO_LATENCY,         /* no connection was established: no distribution */
    STATS_CHART_NO_MEMORY,
};

/* The mean latency with its CI against x_key (NULL: the first by key), one
 * series per combination of the other keys, each with the model's curve
 * when the request has a model and x_key is a loss rate. */
enum stats_chart_status stats_report_chart(const struct stats_report *report, const char *x_key,
                                           struct stats_chart *chart);
/* The empirical CDF of the handshake latency per point, over all of the
 * point's connections (so a plateau below 1 is the share never
 * established), with the model's CDF when the request has a model; x on
 * a log scale (RTT + Ts (2^i - 1) spreads over decades). */
enum stats_chart_status stats_report_cdf_chart(const struct stats_report *report,
                                               struct stats_chart *chart);
/* The handshake latency's histogram per point: round bins (at most
 * STATS_HISTOGRAM_BINS up to the STATS_HISTOGRAM_QUANTILE of all
 * latencies, so a heavy tail does not make one bin of the body), then one
 * bin for every latency beyond; each bar the share of the point's
 * connections in percent. */
#define STATS_HISTOGRAM_BINS 40
#define STATS_HISTOGRAM_QUANTILE 0.99
enum stats_chart_status stats_report_histogram_chart(const struct stats_report *report,
                                                     struct stats_chart *chart);
void stats_chart_free(struct stats_chart *chart);

#endif
