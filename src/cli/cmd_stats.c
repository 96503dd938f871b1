/*
 * cmd_stats.c: `tcpsim stats DB`: parses the options into a stats request,
 * loads the report (study/stats_report.h: per parameter point, runs,
 * completion, handshake latency with its confidence interval, stays in
 * TIME_WAIT and CLOSE_WAIT, the CSA model), prints it, writes the plots
 * (the study's layout, stats_chart.c, drawn by view/plot.h) and maps a
 * failed --check to the exit status.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "scenario.h"
#include "stats_compare.h"
#include "stats_report.h"

struct stats_options {
    struct stats_request request;
    struct stats_print_options print;
    const char *plot_path, *x_key;
    const char *cdf_path, *histogram_path; /* --plot-cdf, --plot-histogram */
    const char *compare_path;   /* --compare: the other database */
    int64_t resolution_ns;      /* --resolution: 0 when not given */
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
            "      --plot FILE        plot the mean handshake latency with its 95%% CI and n against\n"
            "                         a key; FILE.svg, FILE.pdf or FILE.png (the suffix says which)\n"
            "      --x KEY            the key on the plot's x axis (default: the first --by key)\n"
            "      --plot-cdf FILE    plot the CDF of the handshake latency of each point (with\n"
            "                         --model, the model's too); .svg, .pdf or .png\n"
            "      --plot-histogram FILE  plot the histogram of the handshake latency of each\n"
            "                         point; .svg, .pdf or .png\n"
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
            "      --compare DB2      instead: the handshake-plus-first-data time of every\n"
            "                         connection of DB against DB2 (n, mean, quantiles) and the\n"
            "                         two-sample Kolmogorov-Smirnov test at the 1%% level; with\n"
            "                         --check, exit 1 when the distributions differ\n"
            "      --resolution DURATION  with --compare: test the times rounded down to\n"
            "                         multiples of DURATION, e.g. 10ms\n"
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
    if (parse_duration_option("--window", from, &o->request.window_from_ns) != 0 ||
        parse_duration_option("--window", colon + 1, &o->request.window_to_ns) != 0)
        return -1;
    if (o->request.window_to_ns <= o->request.window_from_ns) {
        cli_error("--window: '%s' ends before it starts", text);
        return -1;
    }
    o->request.has_window = true;
    return 0;
}

/* A plot's file names its format; an unknown suffix is a usage error found
 * before any work. */
static int check_plot_suffix(const char *option, const char *path)
{
    enum plot_format format;
    char err[4400];
    if (!path || plot_format_of(path, &format, option, err, sizeof err) == 0)
        return 0;
    cli_error("%s", err);
    return -1;
}

static int check_option_combinations(const struct stats_options *o)
{
    if (o->request.model == STATS_MODEL_CSA && (o->request.rtt_ns <= 0 || o->request.ts_ns <= 0)) {
        cli_error("--model csa needs --rtt and --ts (e.g. --rtt 100ms --ts 1s)");
        return -1;
    }
    if (o->print.distribution && o->request.model == STATS_MODEL_NONE) {
        cli_error("--distribution needs --model csa");
        return -1;
    }
    if (o->compare_path && (o->request.model != STATS_MODEL_NONE || o->request.by_count ||
                            o->plot_path || o->cdf_path || o->histogram_path ||
                            o->print.distribution)) {
        cli_error("--compare takes no --model, --by, --plot, --plot-cdf, --plot-histogram or "
                  "--distribution");
        return -1;
    }
    if (check_plot_suffix("--plot", o->plot_path) != 0 ||
        check_plot_suffix("--plot-cdf", o->cdf_path) != 0 ||
        check_plot_suffix("--plot-histogram", o->histogram_path) != 0)
        return -1;
    if (o->resolution_ns && !o->compare_path) {
        cli_error("--resolution needs --compare");
        return -1;
    }
    if (o->print.check && o->request.model == STATS_MODEL_NONE && !o->compare_path) {
        cli_error("--check needs --model csa or --compare");
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
        {"compare", required_argument, NULL, 'C'}, {"resolution", required_argument, NULL, 'R'},
        {"plot-cdf", required_argument, NULL, 'F'},
        {"plot-histogram", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "b:h", options, NULL)) != -1) {
        switch (opt) {
        case 'b':
            if (o->request.by_count == STATS_MAX_BY) {
                cli_error("--by: at most %d keys", STATS_MAX_BY);
                return -1;
            }
            o->request.by[o->request.by_count++] = optarg;
            break;
        case 'c': o->print.csv = true; break;
        case 'C': o->compare_path = optarg; break;
        case 'R':
            if (parse_duration_option("--resolution", optarg, &o->resolution_ns) != 0)
                return -1;
            break;
        case 'p': o->plot_path = optarg; break;
        case 'F': o->cdf_path = optarg; break;
        case 'H': o->histogram_path = optarg; break;
        case 'x': o->x_key = optarg; break;
        case 'd': o->print.distribution = true; break;
        case 'k': o->print.check = true; break;
        case 'm':
            if (strcmp(optarg, "csa") != 0) {
                cli_error("--model: '%s' is not a model I know (csa)", optarg);
                return -1;
            }
            o->request.model = STATS_MODEL_CSA;
            break;
        case 'r':
            if (parse_duration_option("--rtt", optarg, &o->request.rtt_ns) != 0)
                return -1;
            break;
        case 't':
            if (parse_duration_option("--ts", optarg, &o->request.ts_ns) != 0)
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
            cli_try_help("stats");
            return -1;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind < argc ? "stats takes one database" : "stats needs a database");
        return -1;
    }
    o->request.db_path = argv[optind];
    return check_option_combinations(o);
}

/* ---- the plots ---- */

static const char *chart_problem(enum stats_chart_status status)
{
    switch (status) {
    case STATS_CHART_X_NOT_BY: return "the --x key must be one of the --by keys";
    case STATS_CHART_NOTHING_VARIES: return "no key varies between the runs: nothing to plot against";
    case STATS_CHART_NO_LATENCY: return "no connection was established: no latency to plot";
    default: return "out of memory";
    }
}

static enum plot_style chart_style(enum stats_chart_kind kind)
{
    switch (kind) {
    case STATS_CHART_MEANS: return PLOT_MARKERS;
    case STATS_CHART_MODEL: return PLOT_LINE;
    case STATS_CHART_CDF:
    case STATS_CHART_MODEL_CDF: return PLOT_STEPS;
    case STATS_CHART_BARS: break;
    }
    return PLOT_BARS;
}

/* The study's chart in the plot writer's terms, written to path. */
static int draw_chart(const struct stats_chart *c, const char *path, const char *option,
                      enum plot_legend_corner legend, char *err, size_t errlen)
{
    struct plot_point *points = calloc(c->point_count + 1, sizeof *points);
    struct plot_series *series = calloc(c->series_count + 1, sizeof *series);
    int rc = -1;
    if (points && series) {
        for (size_t i = 0; i < c->point_count; i++)
            points[i] = (struct plot_point){c->points[i].x, c->points[i].y, c->points[i].y_low,
                                            c->points[i].y_high, c->points[i].n};
        for (size_t i = 0; i < c->series_count; i++) {
            enum stats_chart_kind kind = c->series[i].kind;
            series[i] = (struct plot_series){
                c->series[i].label, points + c->series[i].first, c->series[i].count,
                chart_style(kind), kind == STATS_CHART_MODEL || kind == STATS_CHART_MODEL_CDF};
        }
        struct plot_spec spec = {c->title, c->x_label, c->y_label, c->note, series,
                                 c->series_count, c->bin_ms, c->x_log, legend};
        rc = plot_write_file(path, &spec, option, err, errlen);
    } else
        snprintf(err, errlen, "%s: out of memory", option);
    free(points);
    free(series);
    return rc;
}

enum chart_type { CHART_MEANS, CHART_CDF, CHART_HISTOGRAM };

/* The chart of one --plot option, laid out by the study and drawn. */
static int write_plot(const struct stats_report *report, const struct stats_options *o,
                      enum chart_type type, const char *path, const char *option)
{
    struct stats_chart c;
    enum stats_chart_status status;
    enum plot_legend_corner legend = PLOT_LEGEND_TOP_LEFT;
    switch (type) {
    case CHART_MEANS: status = stats_report_chart(report, o->x_key, &c); break;
    case CHART_CDF:
        status = stats_report_cdf_chart(report, &c);
        legend = PLOT_LEGEND_BOTTOM_RIGHT;
        break;
    default:
        status = stats_report_histogram_chart(report, &c);
        legend = PLOT_LEGEND_TOP_RIGHT;
        break;
    }
    char err[4400] = "";
    int rc = -1;
    if (status != STATS_CHART_OK)
        snprintf(err, sizeof err, "%s: %s", option, chart_problem(status));
    else
        rc = draw_chart(&c, path, option, legend, err, sizeof err);
    if (rc != 0)
        cli_error("%s", err);
    stats_chart_free(&c);
    return rc;
}

static int write_plots(const struct stats_report *report, const struct stats_options *o)
{
    int rc = 0;
    if (o->plot_path && write_plot(report, o, CHART_MEANS, o->plot_path, "--plot") != 0)
        rc = -1;
    if (o->cdf_path && write_plot(report, o, CHART_CDF, o->cdf_path, "--plot-cdf") != 0)
        rc = -1;
    if (o->histogram_path &&
        write_plot(report, o, CHART_HISTOGRAM, o->histogram_path, "--plot-histogram") != 0)
        rc = -1;
    return rc;
}

/* ---- the command ---- */

/* The significance level of --compare: 1%, as docs/validation.md asks. */
#define COMPARE_LEVEL 0.01

static int compare(const struct stats_options *o)
{
    char err[512];
    bool differ = false;
    if (stats_compare_first_data(o->request.db_path, o->compare_path, COMPARE_LEVEL,
                                 (double)o->resolution_ns / 1e6, o->print.csv, stdout, &differ, err,
                                 sizeof err) != 0) {
        cli_error("%s", err);
        return EXIT_USAGE;
    }
    return o->print.check && differ ? EXIT_FAILED : EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
    struct stats_options o = {0};
    if (parse_options(argc, argv, &o) != 0)
        return EXIT_USAGE;
    if (o.compare_path)
        return compare(&o);
    struct stats_report report;
    char err[512];
    if (stats_report_load(&o.request, &report, err, sizeof err) != 0) {
        cli_error("%s", err);
        stats_report_free(&report);
        return EXIT_USAGE;
    }
    if (report.run_count == 0) {
        cli_error("%s: no completed runs", o.request.db_path);
        stats_report_free(&report);
        return EXIT_USAGE;
    }
    int failures = stats_report_print(stdout, &report, &o.print);
    int status = (o.print.check && failures) ? EXIT_FAILED : EXIT_OK;
    if (write_plots(&report, &o) != 0)
        status = EXIT_USAGE;
    stats_report_free(&report);
    return status;
}
