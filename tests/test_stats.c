/*
 * test_stats.c: the pieces behind `tcpsim sweep`, `stats` and `merge`: the
 * sweep grid (exact decimal ranges, lists, point order, shards, run
 * identity), the statistics (summary, Student-t interval, binomial bounds),
 * the CSA handshake model against the numbers of the reference tables, the
 * plots (cairo: SVG, PDF, PNG), and copying runs between databases.
 */
#include <CUnit/Basic.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "plot.h"
#include "sink_sqlite.h"
#include "stats.h"
#include "sweep.h"
#include "trace.h"

#define MS 1000000LL
#define S 1000000000LL

static char tmpdir[64];

static const char *tmp_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

/* ---- sweep: values ---- */

static void expect_values(const char *text, const char *const *want, size_t count)
{
    char **values, err[256];
    long n = sweep_expand_values(text, &values, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(n, (long)count);
    for (size_t i = 0; i < count; i++)
        CU_ASSERT_STRING_EQUAL(values[i], want[i]);
    sweep_free_values(values, (size_t)n);
}

static void test_range_is_exact_in_decimal(void)
{
    static const char *const want[] = {"0", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3"};
    expect_values("0:0.3:0.05", want, 7);
    static const char *const tenths[] = {"0.1", "0.2", "0.3"};
    expect_values("0.1:0.3:0.1", tenths, 3);
}

static void test_range_keeps_its_unit(void)
{
    static const char *const ms[] = {"10ms", "30ms", "50ms"};
    expect_values("10ms:50ms:20ms", ms, 3);
    static const char *const pct[] = {"1%", "1.5%", "2%"};
    expect_values("1%:2%:0.5%", pct, 3);
}

static void test_range_stops_before_passing_the_end(void)
{
    static const char *const want[] = {"0", "0.3", "0.6", "0.9"};
    expect_values("0:1:0.3", want, 4);
}

static void test_list_splits_outside_parentheses_only(void)
{
    static const char *const want[] = {"gilbert(1%,30%,0,50%)", "0.1", "20ms"};
    expect_values("gilbert(1%,30%,0,50%),0.1,20ms", want, 3);
    static const char *const one[] = {"0.25"};
    expect_values("0.25", one, 1);
}

static void test_bad_values_are_refused(void)
{
    static const char *const bad[] = {"0:1:0", "1:0:0.1", "1ms:2s:1ms", "a:b:c", "0:1",
                                      "1,,2", "", "0:1:0.1:2", "1.:2:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char **values, err[256] = "";
        CU_ASSERT_EQUAL(sweep_expand_values(bad[i], &values, err, sizeof err), -1);
        CU_ASSERT(err[0] != '\0');
    }
}

/* ---- sweep: the grid ---- */

static void test_grid_orders_points_first_axis_slowest(void)
{
    struct sweep_grid g;
    char err[256];
    sweep_grid_init(&g);
    CU_ASSERT_EQUAL(g.point_count, 1);
    CU_ASSERT_EQUAL(sweep_grid_add_axis(&g, "link.loss=0:0.2:0.1", err, sizeof err), 0);
    CU_ASSERT_EQUAL(sweep_grid_add_axis(&g, "client.rto_initial=1s,3s", err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(g.point_count, 6);
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 0, 0), "0");
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 0, 1), "1s");
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 1, 0), "0");
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 1, 1), "3s");
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 5, 0), "0.2");
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 5, 1), "3s");
    CU_ASSERT_EQUAL(sweep_grid_add_axis(&g, "link.loss=0.5", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
    CU_ASSERT_EQUAL(sweep_grid_add_axis(&g, "nokey", err, sizeof err), -1);
    CU_ASSERT_EQUAL(g.point_count, 6);
    sweep_grid_free(&g);
}

/* Issue 14: values that say the same give one point, not repeated runs. */
static void test_grid_keeps_one_point_per_distinct_value(void)
{
    struct sweep_grid g;
    char err[256];
    sweep_grid_init(&g);
    CU_ASSERT_EQUAL(sweep_grid_add_axis(&g, "link.loss=0,0,0", err, sizeof err), 0);
    CU_ASSERT_EQUAL(g.point_count, 1);
    CU_ASSERT_EQUAL(sweep_grid_add_axis(&g, "link.duplicate=0,0.00,0%,5%,0.05", err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(g.point_count, 2);
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 0, 1), "0");
    CU_ASSERT_STRING_EQUAL(sweep_point_value(&g, 1, 1), "5%");
    CU_ASSERT_EQUAL(sweep_grid_add_axis(&g, "client.rto_initial=1s,1000ms,3s,1", err, sizeof err), 0);
    CU_ASSERT_EQUAL(g.point_count, 6); /* "1" is not "1s": the setting says which it means */
    sweep_grid_free(&g);
}

static void test_shards_split_the_grid_exactly(void)
{
    uint32_t k, n;
    CU_ASSERT_EQUAL(sweep_parse_shard("2/3", &k, &n), 0);
    CU_ASSERT_EQUAL(k, 2);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(sweep_parse_shard("0/3", &k, &n), -1);
    CU_ASSERT_EQUAL(sweep_parse_shard("4/3", &k, &n), -1);
    CU_ASSERT_EQUAL(sweep_parse_shard("1/", &k, &n), -1);
    CU_ASSERT_EQUAL(sweep_parse_shard("-1/3", &k, &n), -1);
    for (uint64_t p = 0; p < 30; p++) {
        int owners = 0;
        for (uint32_t s = 1; s <= 3; s++)
            owners += sweep_point_in_shard(p, s, 3);
        CU_ASSERT_EQUAL(owners, 1);
    }
    CU_ASSERT(sweep_point_in_shard(4, 2, 3));
}

static void test_identity_is_last_value_sorted(void)
{
    struct sweep_pair a[] = {{"link.loss", "0.1"}, {"client.rto_initial", "1s"}, {"link.loss", "0.2"}};
    struct sweep_pair b[] = {{"client.rto_initial", "1s"}, {"link.loss", "0.2"}};
    struct sweep_pair c[] = {{"client.rto_initial", "1s"}, {"link.loss", "0.1"}};
    char *ia = sweep_identity("abc", a, 3), *ib = sweep_identity("abc", b, 2);
    char *ic = sweep_identity("abc", c, 2), *id = sweep_identity("abd", b, 2);
    CU_ASSERT_STRING_EQUAL(ia, ib);
    CU_ASSERT(strcmp(ib, ic) != 0);
    CU_ASSERT(strcmp(ib, id) != 0);
    free(ia);
    free(ib);
    free(ic);
    free(id);
}

/* ---- statistics ---- */

static void test_summary_of_one_to_five(void)
{
    double data[] = {5, 3, 1, 4, 2};
    struct stats_summary s;
    stats_summarize(data, 5, 0.95, &s);
    CU_ASSERT_EQUAL(s.n, 5);
    CU_ASSERT_DOUBLE_EQUAL(s.mean, 3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(s.sd, sqrt(2.5), 1e-12);
    /* t(0.975, 4) = 2.776445 */
    CU_ASSERT_DOUBLE_EQUAL(s.ci_half, 2.776445 * sqrt(2.5) / sqrt(5), 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(s.median, 3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(s.p95, 4.8, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(s.min, 1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(s.max, 5, 1e-12);
}

static void test_summary_of_little_data(void)
{
    double one[] = {7};
    struct stats_summary s;
    stats_summarize(one, 1, 0.95, &s);
    CU_ASSERT_DOUBLE_EQUAL(s.mean, 7, 1e-12);
    CU_ASSERT(isnan(s.sd));
    CU_ASSERT(isnan(s.ci_half));
    stats_summarize(one, 0, 0.95, &s);
    CU_ASSERT(isnan(s.mean));
}

static void test_binomial_bounds_leave_at_most_half_a_percent_each_side(void)
{
    const uint64_t n[] = {100, 1000, 4000};
    const double p[] = {0.5, 0.09, 0.0016};
    for (size_t i = 0; i < 3; i++) {
        uint64_t lo, hi;
        stats_binomial_bounds(n[i], p[i], 0.99, &lo, &hi);
        CU_ASSERT(lo <= hi);
        CU_ASSERT(lo <= n[i] * p[i] && n[i] * p[i] <= hi);
        if (lo > 0) {
            CU_ASSERT(gsl_cdf_binomial_P((unsigned)lo - 1, p[i], (unsigned)n[i]) < 0.005);
        }
        CU_ASSERT(gsl_cdf_binomial_P((unsigned)lo, p[i], (unsigned)n[i]) >= 0.005);
        CU_ASSERT(gsl_cdf_binomial_Q((unsigned)hi, p[i], (unsigned)n[i]) <= 0.005);
        CU_ASSERT(gsl_cdf_binomial_Q((unsigned)hi - 1, p[i], (unsigned)n[i]) > 0.005);
    }
    uint64_t lo, hi;
    stats_binomial_bounds(1000, 0, 0.99, &lo, &hi);
    CU_ASSERT(lo == 0 && hi == 0);
}

static void test_values_compare_by_number_first(void)
{
    CU_ASSERT(stats_compare_values("20ms", "100ms") < 0);
    CU_ASSERT(stats_compare_values("0.05", "0.1") < 0);
    CU_ASSERT(stats_compare_values("0.1", "0.1") == 0);
    CU_ASSERT(stats_compare_values("abc", "abd") < 0);
    CU_ASSERT(stats_compare_values(NULL, "1") < 0);
}

/* ---- the CSA model against shared/reference/tcp-reference.md 4.4 ---- */

/* Kolmogorov's limiting distribution: Q(1) = 0.26999967 (Smirnov's
 * table), and the textbook critical values 1.36 (5%) and 1.63 (1%). */
static void test_kolmogorov_q_matches_known_values(void)
{
    CU_ASSERT_DOUBLE_EQUAL(stats_kolmogorov_q(1.0), 0.26999967, 1e-8);
    CU_ASSERT_DOUBLE_EQUAL(stats_kolmogorov_q(0.5), 0.96394524, 1e-8);
    CU_ASSERT_DOUBLE_EQUAL(stats_kolmogorov_q(1.36), 0.05, 1e-3);
    CU_ASSERT_DOUBLE_EQUAL(stats_kolmogorov_q(1.63), 0.01, 3e-4);
    CU_ASSERT_DOUBLE_EQUAL(stats_kolmogorov_q(0.0), 1.0, 0.0);
    CU_ASSERT(stats_kolmogorov_q(5.0) < 1e-20);
}

/* D by hand: F_a - F_b is 1/4, 1/2, 3/4 - 1/5, 1 - 2/5 after 1, 2, 3, 4;
 * the ties at 3 and 4 step both samples at once (else D would be 3/4). */
static void test_ks_two_sample_steps_over_ties(void)
{
    const double a[] = {1, 2, 3, 4}, b[] = {3, 4, 5, 6, 7};
    struct stats_ks ks;
    stats_ks_two_sample(a, 4, b, 5, &ks);
    CU_ASSERT_DOUBLE_EQUAL(ks.d, 0.6, 1e-12);
    double root = sqrt(20.0 / 9.0);
    CU_ASSERT_DOUBLE_EQUAL(ks.p_value, stats_kolmogorov_q((root + 0.12 + 0.11 / root) * 0.6), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ks.p_value, 0.2587047, 1e-6);
    stats_ks_two_sample(a, 4, a, 4, &ks);
    CU_ASSERT_DOUBLE_EQUAL(ks.d, 0.0, 0.0);
    CU_ASSERT_DOUBLE_EQUAL(ks.p_value, 1.0, 0.0);
    stats_ks_two_sample(a, 0, b, 5, &ks);
    CU_ASSERT(isnan(ks.d) && isnan(ks.p_value));
}

/* Disjoint samples of 300 each: D = 1 and p far below 1%. */
static void test_ks_two_sample_rejects_disjoint_samples(void)
{
    double a[300], b[300];
    for (int i = 0; i < 300; i++) {
        a[i] = i;
        b[i] = 1000 + i;
    }
    struct stats_ks ks;
    stats_ks_two_sample(a, 300, b, 300, &ks);
    CU_ASSERT_DOUBLE_EQUAL(ks.d, 1.0, 0.0);
    CU_ASSERT(ks.p_value < 1e-50);
}

static void test_csa_mean_matches_reference_table(void)
{
    struct csa_params m = {100 * MS, 1 * S, 0.1, 0.1};
    CU_ASSERT_DOUBLE_EQUAL(csa_mean_ns(&m) / 1e9, 0.35, 1e-9);
    m.p_forward = m.p_reverse = 0.2;
    CU_ASSERT_DOUBLE_EQUAL(csa_mean_ns(&m) / 1e9, 0.7667, 1e-4);
    m.ts_ns = 3 * S;
    m.p_forward = m.p_reverse = 0.3;
    CU_ASSERT_DOUBLE_EQUAL(csa_mean_ns(&m) / 1e9, 4.6, 1e-9);
    m = (struct csa_params){100 * MS, 1 * S, 0.1, 0.2};
    CU_ASSERT_DOUBLE_EQUAL(csa_mean_ns(&m) / 1e9, 0.558, 1e-3);
    m = (struct csa_params){100 * MS, 1 * S, 0.1, 0};
    CU_ASSERT_DOUBLE_EQUAL(csa_mean_ns(&m) / 1e9, 0.225, 1e-9);
    m.p_forward = 0.5;
    CU_ASSERT(isinf(csa_mean_ns(&m)));
}

static void test_csa_variance_finite_below_a_quarter(void)
{
    struct csa_params m = {100 * MS, 1 * S, 0.1, 0.1};
    CU_ASSERT_DOUBLE_EQUAL(sqrt(csa_variance_ns2(&m)) / 1e9, 0.685, 1e-3);
    m.p_forward = m.p_reverse = 0.05;
    CU_ASSERT_DOUBLE_EQUAL(sqrt(csa_variance_ns2(&m)) / 1e9, 0.383, 1e-3);
    m.p_forward = 0.25;
    CU_ASSERT(isinf(csa_variance_ns2(&m)));
}

static void test_csa_distribution_matches_reference_pmf(void)
{
    struct csa_params m = {100 * MS, 1 * S, 0.1, 0.1};
    struct csa_bin *bins;
    double tail;
    long n = csa_distribution(&m, &bins, &tail);
    CU_ASSERT_FATAL(n > 8);
    static const struct { int64_t ms; double p; } want[] = {
        {100, 0.81}, {1100, 0.162}, {2100, 0.0081}, {3100, 0.0162}, {4100, 0.00162},
        {6100, 0.000081}, {7100, 0.00162}, {8100, 0.000162}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CU_ASSERT_EQUAL(bins[i].latency_ns, want[i].ms * MS);
        CU_ASSERT_DOUBLE_EQUAL(bins[i].probability, want[i].p, 1e-12);
    }
    double total = tail;
    for (long i = 0; i < n; i++)
        total += bins[i].probability;
    CU_ASSERT_DOUBLE_EQUAL(total, 1, 1e-12);
    free(bins);
}

static void test_csa_distribution_of_one_direction(void)
{
    struct csa_params m = {100 * MS, 1 * S, 0.45, 0};
    struct csa_bin *bins;
    long n = csa_distribution(&m, &bins, NULL);
    CU_ASSERT_FATAL(n > 20);
    for (long i = 0; i < 20; i++) {
        CU_ASSERT_EQUAL(bins[i].units, (1ULL << i) - 1);
        CU_ASSERT_DOUBLE_EQUAL(bins[i].probability, 0.55 * pow(0.45, (double)i), 1e-15);
    }
    free(bins);
}

/* ---- plot ---- */

static void test_ticks_are_round(void)
{
    double t[16];
    size_t n = plot_ticks(0, 0.3, 8, t);
    CU_ASSERT_EQUAL_FATAL(n, 7);
    CU_ASSERT_DOUBLE_EQUAL(t[0], 0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(t[1], 0.05, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(t[6], 0.3, 1e-12);
    n = plot_ticks(-10, 1234, 8, t);
    CU_ASSERT_EQUAL_FATAL(n, 7);
    CU_ASSERT_DOUBLE_EQUAL(t[0], 0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(t[6], 1200, 1e-9);
    CU_ASSERT_EQUAL(plot_ticks(1, 1, 8, t), 0);
}

static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* The chart drawn into memory in one format; its bytes in *size. */
static char *draw(enum plot_format format, const struct plot_spec *spec, size_t *size)
{
    char *bytes = NULL;
    FILE *f = open_memstream(&bytes, size);
    int rc = plot_write(f, format, spec);
    fclose(f);
    if (rc != 0) {
        free(bytes);
        return NULL;
    }
    return bytes;
}

/* cairo's SVG writes every filled path with "fill-rule" and its colour; the
 * first series is palette[0], #1f77b4. */
#define FIRST_COLOUR "rgb(12.156863%,46.666667%,70.588235%)"

static void test_svg_has_points_bars_model_and_legend(void)
{
    struct plot_point measured[] = {{0.1, 220, 200, 240, 36}, {0.2, 430, 400, 460, 36},
                                    {0.3, 900, 700, 1100, 12}};
    struct plot_point model[] = {{0.1, 225, NAN, NAN, 0}, {0.2, 433, NAN, NAN, 0},
                                 {0.3, 850, NAN, NAN, 0}};
    struct plot_series series[] = {{"measured <mean>", measured, 3, PLOT_MARKERS, false},
                                   {"model", model, 3, PLOT_LINE, true}};
    struct plot_spec spec = {.title = "Latency & loss", .x_label = "link.loss (probability)",
                             .y_label = "latency (ms)", .note = "error bars: 95% CI",
                             .series = series, .series_count = 2};
    size_t size;
    char *text = draw(PLOT_SVG, &spec, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT(strncmp(text, "<?xml", 5) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "</svg>"));
    /* three markers and the legend's; three error bars and the legend's
     * (solid, 1.5 wide); the model line and its legend line (dashed) */
    CU_ASSERT_EQUAL(count(text, "fill-rule:nonzero;fill:" FIRST_COLOUR ";fill-opacity:1;"), 3 + 1);
    CU_ASSERT_EQUAL(count(text, "stroke-width:1.5;stroke-linecap:butt;stroke-linejoin:miter;"
                                "stroke:" FIRST_COLOUR ";stroke-opacity:1;stroke-miterlimit"), 3 + 1);
    CU_ASSERT_EQUAL(count(text, "stroke-dasharray:6,4"), 1 + 1);
    free(text);
    struct plot_spec empty = {.title = "t", .x_label = "x", .y_label = "y"};
    CU_ASSERT_PTR_NULL(draw(PLOT_SVG, &empty, &size));
}

static void test_bars_and_steps_are_drawn_per_point(void)
{
    struct plot_point bins[] = {{0, 60, NAN, NAN, 6}, {100, 30, NAN, NAN, 3}, {300, 10, NAN, NAN, 1}};
    struct plot_point cdf[] = {{100, 0.6, NAN, NAN, 0}, {1100, 0.9, NAN, NAN, 0},
                               {3100, 1, NAN, NAN, 0}};
    struct plot_series bars[] = {{"loss=0.1, n=10", bins, 3, PLOT_BARS, false}};
    struct plot_spec spec = {.title = "h", .x_label = "ms", .y_label = "%", .series = bars,
                             .series_count = 1, .bar_width = 100, .legend = PLOT_LEGEND_TOP_RIGHT};
    size_t size;
    char *text = draw(PLOT_SVG, &spec, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(count(text, "fill:" FIRST_COLOUR ";fill-opacity:0.6;"), 3 + 1); /* and legend */
    free(text);
    struct plot_series steps[] = {{"loss=0.1, n=10", cdf, 3, PLOT_STEPS, false}};
    spec.series = steps;
    text = draw(PLOT_SVG, &spec, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    /* one path: from 0 at the left edge, up and across per point, to the right edge */
    const char *path = strstr(text, "stroke:" FIRST_COLOUR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    const char *d = strstr(path, " d=\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    const char *d_end = strchr(d + 4, '"');
    size_t lines = 0;
    for (const char *c = d; c < d_end; c++)
        lines += *c == 'L';
    CU_ASSERT_EQUAL(lines, 2 * 3 + 1);
    free(text);
}

/* PDF and PNG: their signatures; every format twice gives the same bytes. */
static void test_every_format_is_deterministic(void)
{
    struct plot_point points[] = {{1, 2, 1, 3, 5}, {2, 4, 3, 5, 5}};
    struct plot_series series[] = {{"a", points, 2, PLOT_MARKERS, false}};
    struct plot_spec spec = {.title = "t", .x_label = "x (s)", .y_label = "y (ms)",
                             .series = series, .series_count = 1};
    static const char png_signature[] = "\x89PNG\r\n\x1a\n";
    for (enum plot_format format = PLOT_SVG; format <= PLOT_PNG; format++) {
        size_t size1, size2;
        char *first = draw(format, &spec, &size1);
        sleep(format == PLOT_PDF); /* a PDF date of "now" would change with the second */
        char *second = draw(format, &spec, &size2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(first);
        CU_ASSERT_PTR_NOT_NULL_FATAL(second);
        CU_ASSERT_EQUAL(size1, size2);
        CU_ASSERT(size1 == size2 && memcmp(first, second, size1) == 0);
        if (format == PLOT_PDF)
            CU_ASSERT(strncmp(first, "%PDF-", 5) == 0);
        if (format == PLOT_PNG)
            CU_ASSERT(memcmp(first, png_signature, 8) == 0);
        free(first);
        free(second);
    }
}

static void test_format_comes_from_the_suffix(void)
{
    enum plot_format format;
    char err[256];
    CU_ASSERT(plot_format_of("a.svg", &format, "--plot", err, sizeof err) == 0 && format == PLOT_SVG);
    CU_ASSERT(plot_format_of("b.PDF", &format, "--plot", err, sizeof err) == 0 && format == PLOT_PDF);
    CU_ASSERT(plot_format_of("dir/c.png", &format, "--plot", err, sizeof err) == 0 &&
              format == PLOT_PNG);
    CU_ASSERT_EQUAL(plot_format_of("d.jpg", &format, "--plot-cdf", err, sizeof err), -1);
    CU_ASSERT(strncmp(err, "--plot-cdf d.jpg: ", 18) == 0);
    CU_ASSERT_EQUAL(plot_format_of(".svg", &format, "--plot", err, sizeof err), -1);
}

/* ---- copying runs ---- */

static int record_run(struct trace_sink *db, uint64_t seed, const char *loss, int connections)
{
    struct trace_param params[] = {{"link.loss", loss}};
    struct trace_run_info info = {"copy-test", "0123", seed, (uint32_t)seed, params, 1, NULL};
    if (db->ops->run_start(db, &info) != 0)
        return -1;
    for (int c = 1; c <= connections; c++) {
        struct trace_connection conn = {.conn_id = (uint64_t)c, .client = "client",
                                        .server = "server", .client_addr = 0x0a000001,
                                        .server_addr = 0x0a000002, .client_port = (uint16_t)(40000 + c),
                                        .server_port = 80, .opened_ns = 0,
                                        .established_ns = 100 * MS, .closed_ns = -1};
        struct trace_transition tr = {0, "client", (uint64_t)c, TCP_CLOSED, TCP_SYN_SENT,
                                       TCP_CAUSE_APP_CONNECT, 0};
        db->ops->connection(db, &conn);
        db->ops->transition(db, &tr);
    }
    struct trace_run_result result = {.status = "ok", .sim_end_ns = 1 * S, .events = 10,
                                     .wall_s = 0.5};
    return db->ops->run_end(db, &result);
}

struct counter {
    char text[256];
};

static int on_row(void *context, int n, const char *const *values, const char *const *names)
{
    struct counter *c = context;
    (void)names;
    size_t used = strlen(c->text);
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(c->text + used, sizeof c->text - used, "%s%s", i ? "," : "",
                                 values[i] ? values[i] : "NULL");
    snprintf(c->text + used, sizeof c->text - used, ";");
    return 0;
}

static void query_text(struct trace_sink *db, const char *sql, char *out, size_t size)
{
    struct counter c = {""};
    char err[256];
    CU_ASSERT_EQUAL(sink_sqlite_query(db, sql, NULL, 0, on_row, &c, err, sizeof err), 0);
    snprintf(out, size, "%s", c.text);
}

static void test_copy_runs_renumbers_and_copies_every_row(void)
{
    char src_path[128], dst_path[128], err[256], text[256];
    struct trace_sink *src = sink_sqlite_open(tmp_path("src.db", src_path, sizeof src_path), err, sizeof err);
    struct trace_sink *dst = sink_sqlite_open(tmp_path("dst.db", dst_path, sizeof dst_path), err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dst);
    CU_ASSERT_EQUAL(record_run(src, 1, "0.1", 2), 0);
    CU_ASSERT_EQUAL(record_run(src, 2, "0.2", 3), 0);
    CU_ASSERT_EQUAL(record_run(dst, 9, "0.9", 1), 0);
    src->ops->destroy(src);

    /* Everything, after the last run. */
    CU_ASSERT_EQUAL(sink_sqlite_copy_runs(dst, src_path, NULL, 0, err, sizeof err), 2);
    query_text(dst, "SELECT run_id, seed, (SELECT count(*) FROM connections c WHERE c.run_id = r.run_id),"
                    " (SELECT value FROM run_params p WHERE p.run_id = r.run_id) FROM runs r ORDER BY run_id",
               text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "1,9,1,0.9;2,1,2,0.1;3,2,3,0.2;");
    query_text(dst, "SELECT count(*) FROM transitions", text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "6;");

    /* A map chooses the ids, in any order. */
    struct sink_sqlite_run_map map[] = {{2, 11}, {1, 10}};
    CU_ASSERT_EQUAL(sink_sqlite_copy_runs(dst, src_path, map, 2, err, sizeof err), 2);
    query_text(dst, "SELECT run_id, seed FROM runs WHERE run_id >= 10 ORDER BY run_id", text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "10,1;11,2;");

    /* All or nothing: a taken id or a missing source run copies nothing. */
    struct sink_sqlite_run_map taken[] = {{1, 20}, {2, 11}};
    CU_ASSERT_EQUAL(sink_sqlite_copy_runs(dst, src_path, taken, 2, err, sizeof err), -1);
    struct sink_sqlite_run_map missing[] = {{1, 30}, {7, 31}};
    CU_ASSERT_EQUAL(sink_sqlite_copy_runs(dst, src_path, missing, 2, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not there"));
    query_text(dst, "SELECT count(*) FROM runs", text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "5;");

    /* Not a tcpsim database: refused, the output unchanged. */
    char junk[128];
    FILE *f = fopen(tmp_path("junk.txt", junk, sizeof junk), "w");
    fputs("not a database\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(sink_sqlite_copy_runs(dst, junk, NULL, 0, err, sizeof err), -1);
    CU_ASSERT_EQUAL(sink_sqlite_copy_runs(dst, tmp_path("none.db", junk, sizeof junk), NULL, 0, err, sizeof err), -1);
    CU_ASSERT_EQUAL(record_run(dst, 12, "0.5", 1), 0); /* the sink still records */
    query_text(dst, "SELECT max(run_id) FROM runs", text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "12;");
    dst->ops->destroy(dst);
}

/* ---- main ---- */

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_stats.XXXXXX");
    if (!mkdtemp(tmpdir) || CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite sweep = CU_add_suite("sweep grid", NULL, NULL);
    CU_add_test(sweep, "range exact in decimal", test_range_is_exact_in_decimal);
    CU_add_test(sweep, "range keeps its unit", test_range_keeps_its_unit);
    CU_add_test(sweep, "range stops before the end", test_range_stops_before_passing_the_end);
    CU_add_test(sweep, "list splits outside parentheses", test_list_splits_outside_parentheses_only);
    CU_add_test(sweep, "bad values refused", test_bad_values_are_refused);
    CU_add_test(sweep, "points: first axis slowest", test_grid_orders_points_first_axis_slowest);
    CU_add_test(sweep, "one point per distinct value", test_grid_keeps_one_point_per_distinct_value);
    CU_add_test(sweep, "shards split the grid", test_shards_split_the_grid_exactly);
    CU_add_test(sweep, "identity: last value, sorted", test_identity_is_last_value_sorted);
    CU_pSuite stats = CU_add_suite("statistics", NULL, NULL);
    CU_add_test(stats, "summary of 1..5", test_summary_of_one_to_five);
    CU_add_test(stats, "summary of little data", test_summary_of_little_data);
    CU_add_test(stats, "binomial bounds", test_binomial_bounds_leave_at_most_half_a_percent_each_side);
    CU_add_test(stats, "values compare by number", test_values_compare_by_number_first);
    CU_add_test(stats, "Kolmogorov Q known values", test_kolmogorov_q_matches_known_values);
    CU_add_test(stats, "KS two-sample steps over ties", test_ks_two_sample_steps_over_ties);
    CU_add_test(stats, "KS two-sample rejects disjoint", test_ks_two_sample_rejects_disjoint_samples);
    CU_pSuite csa = CU_add_suite("CSA model", NULL, NULL);
    CU_add_test(csa, "mean matches reference", test_csa_mean_matches_reference_table);
    CU_add_test(csa, "variance finite below 1/4", test_csa_variance_finite_below_a_quarter);
    CU_add_test(csa, "pmf matches reference", test_csa_distribution_matches_reference_pmf);
    CU_add_test(csa, "one lossy direction", test_csa_distribution_of_one_direction);
    CU_pSuite plot = CU_add_suite("plot", NULL, NULL);
    CU_add_test(plot, "round ticks", test_ticks_are_round);
    CU_add_test(plot, "svg content", test_svg_has_points_bars_model_and_legend);
    CU_add_test(plot, "bars and steps", test_bars_and_steps_are_drawn_per_point);
    CU_add_test(plot, "deterministic formats", test_every_format_is_deterministic);
    CU_add_test(plot, "format by suffix", test_format_comes_from_the_suffix);
    CU_pSuite copy = CU_add_suite("copy runs", NULL, NULL);
    CU_add_test(copy, "renumbers and copies every row", test_copy_runs_renumbers_and_copies_every_row);

    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    remove_tmpdir();
    return failed;
}
