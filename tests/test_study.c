/*
 * test_study.c: the study layer as a library, beyond the pieces of
 * test_stats.c: a sweep run through sweep_run() (run numbering in (point,
 * rep) order whatever the workers, resume, bad input), the per-point
 * statistics of stats_report_load() on a small database written record by
 * record, the model comparison and distribution test on points built by
 * hand, and the plot's series.
 */
#include <CUnit/Basic.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results_study.h"
#include "segment.h"
#include "sink_sqlite.h"
#include "stats_report.h"
#include "sweep.h"
#include "sweep_run.h"
#include "trace.h"

#define MS 1000000LL
#define S 1000000000LL

static char tmpdir[64];

static const char *tmp_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

/* ---- a database written record by record ---- */

struct fixture_connection {
    int64_t established_ns;     /* -1: never */
    int64_t time_wait_from_ns;  /* -1: no TIME_WAIT stay */
    int64_t time_wait_to_ns;
};

static void record_connection(struct trace_sink *db, uint64_t id, const struct fixture_connection *c)
{
    struct trace_connection conn = {.conn_id = id, .client = "client", .server = "server",
                                    .client_addr = 0x0a000001, .server_addr = 0x0a000002,
                                    .client_port = (uint16_t)(40000 + id), .server_port = 80,
                                    .opened_ns = 0, .established_ns = c->established_ns,
                                    .closed_ns = -1};
    db->ops->connection(db, &conn);
    struct trace_transition open = {0, "client", id, TCP_CLOSED, TCP_SYN_SENT,
                                    TCP_CAUSE_APP_CONNECT, 0};
    db->ops->transition(db, &open);
    if (c->time_wait_from_ns < 0)
        return;
    struct trace_transition in = {c->time_wait_from_ns, "client", id, TCP_FIN_WAIT_2,
                                  TCP_TIME_WAIT, TCP_CAUSE_RCV_FIN, 0};
    struct trace_transition out = {c->time_wait_to_ns, "client", id, TCP_TIME_WAIT, TCP_CLOSED,
                                   TCP_CAUSE_TIME_WAIT_TIMEOUT, 0};
    db->ops->transition(db, &in);
    db->ops->transition(db, &out);
}

static void record_retransmission(struct trace_sink *db, uint64_t id, enum segment_fate fate)
{
    struct segment seg = {.src_addr = 0x0a000001, .dst_addr = 0x0a000002, .src_port = 40001,
                          .dst_port = 80, .flags = TCP_FLAG_SYN, .id = id, .conn_id = 1,
                          .retransmission = true};
    struct trace_segment ts = {.seg = &seg, .sender = "client", .receiver = "server",
                               .sent_ns = 1 * S, .arrived_ns = 1 * S + 50 * MS, .fate = fate};
    db->ops->segment(db, &ts);
}

static int record_run(struct trace_sink *db, const char *loss, const char *status,
                      const struct fixture_connection *conns, size_t count)
{
    struct trace_param params[] = {{"link.loss", loss}, {"client.rto_initial", "1s"}};
    struct trace_run_info info = {.scenario = "study-test", .scenario_sha256 = "00", .seed = 1,
                                  .params = params, .param_count = 2};
    if (db->ops->run_start(db, &info) != 0)
        return -1;
    for (size_t i = 0; i < count; i++)
        record_connection(db, i + 1, &conns[i]);
    struct trace_run_result result = {.status = status, .sim_end_ns = 100 * S, .events = 10,
                                     .wall_s = 0.1};
    return db->ops->run_end(db, &result);
}

/* Runs 1 and 2 at link.loss=0.1, run 3 at 0.05, run 4 (status error) at 0.2. */
static const char *write_fixture(char *path, size_t size)
{
    static const struct fixture_connection run1[] = {{100 * MS, 2 * S, 62 * S},
                                                     {1100 * MS, -1, -1}};
    static const struct fixture_connection run2[] = {{-1, -1, -1}};
    static const struct fixture_connection run3[] = {{100 * MS, -1, -1}};
    char err[256];
    tmp_path("fixture.db", path, size);
    remove(path);
    struct trace_sink *db = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    struct trace_param params[] = {{"link.loss", "0.1"}, {"client.rto_initial", "1s"}};
    struct trace_run_info info = {.scenario = "study-test", .scenario_sha256 = "00", .seed = 1,
                                  .params = params, .param_count = 2};
    CU_ASSERT_EQUAL(db->ops->run_start(db, &info), 0);
    for (size_t i = 0; i < 2; i++)
        record_connection(db, i + 1, &run1[i]);
    record_retransmission(db, 1, FATE_LOST);
    record_retransmission(db, 2, FATE_DUPLICATED); /* a copy, not a send */
    struct trace_run_result ok = {.status = "ok", .sim_end_ns = 100 * S, .events = 10,
                                     .wall_s = 0.1};
    CU_ASSERT_EQUAL(db->ops->run_end(db, &ok), 0);
    CU_ASSERT_EQUAL(record_run(db, "0.1", "failed", run2, 1), 0);
    CU_ASSERT_EQUAL(record_run(db, "0.05", "ok", run3, 1), 0);
    CU_ASSERT_EQUAL(record_run(db, "0.2", "error", run3, 1), 0);
    db->ops->destroy(db);
    return path;
}

/* ---- stats: a report from the database ---- */

static void test_points_group_completed_runs_by_the_varying_key(void)
{
    char path[128], err[256];
    struct stats_request q = {.db_path = write_fixture(path, sizeof path)};
    struct stats_report r;
    CU_ASSERT_EQUAL_FATAL(stats_report_load(&q, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.run_count, 3);                    /* the error run is left out */
    CU_ASSERT_EQUAL_FATAL(r.by_count, 1);               /* client.rto_initial never varies */
    CU_ASSERT_STRING_EQUAL(r.by[0], "link.loss");
    CU_ASSERT_STRING_EQUAL(r.client, "client");
    CU_ASSERT_EQUAL_FATAL(r.point_count, 2);
    const struct stats_point *low = &r.points[0], *high = &r.points[1];
    CU_ASSERT_STRING_EQUAL(low->values[0], "0.05");     /* by number, not as text */
    CU_ASSERT_STRING_EQUAL(high->values[0], "0.1");
    CU_ASSERT_EQUAL(low->runs, 1);
    CU_ASSERT_EQUAL(low->connections, 1);
    CU_ASSERT_DOUBLE_EQUAL(low->latency.mean, 100.0, 1e-9);
    CU_ASSERT_EQUAL(high->runs, 2);
    CU_ASSERT_EQUAL(high->connections, 3);
    CU_ASSERT_EQUAL(high->established, 2);
    CU_ASSERT_EQUAL(high->latency_count, 2);
    CU_ASSERT_DOUBLE_EQUAL(high->latency.mean, 600.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(high->latency.median, 600.0, 1e-9);
    CU_ASSERT_EQUAL(high->retransmissions, 1);
    CU_ASSERT_EQUAL(high->tw_stays, 1);
    CU_ASSERT_DOUBLE_EQUAL(high->tw_ms, 60000.0, 1e-6);
    CU_ASSERT_EQUAL(high->cw_stays, 0);
    CU_ASSERT_STRING_EQUAL(high->loss[STATS_LOSS_BOTH], "0.1");
    CU_ASSERT_FALSE(high->loss_conflict);
    stats_report_free(&r);
}

static void test_window_counts_only_time_inside_it(void)
{
    char path[128], err[256];
    struct stats_request q = {.db_path = write_fixture(path, sizeof path), .by = {"link.loss"},
                              .by_count = 1, .has_window = true, .window_from_ns = 30 * S,
                              .window_to_ns = 50 * S};
    struct stats_report r;
    CU_ASSERT_EQUAL_FATAL(stats_report_load(&q, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(r.point_count, 2);
    CU_ASSERT_DOUBLE_EQUAL(r.points[1].tw_window_ms, 20000.0, 1e-6); /* 2s..62s within 30s..50s */
    CU_ASSERT_DOUBLE_EQUAL(r.points[1].tw_ms, 60000.0, 1e-6);
    stats_report_free(&r);
}

static void test_table_and_csv_show_the_points(void)
{
    char path[128], err[256];
    struct stats_request q = {.db_path = write_fixture(path, sizeof path)};
    struct stats_report r;
    CU_ASSERT_EQUAL_FATAL(stats_report_load(&q, &r, err, sizeof err), 0);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    struct stats_print_options csv = {.csv = true};
    CU_ASSERT_EQUAL(stats_report_print(f, &r, &csv), 0);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT(strncmp(text, "link.loss,runs,connections,established,", 39) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n0.05,1,1,1,1,100,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n0.1,2,3,2,0.6666666667,600,"));
    free(text);
    stats_report_free(&r);
}

static void test_missing_database_is_an_error(void)
{
    char path[128], err[256] = "";
    struct stats_request q = {.db_path = tmp_path("none.db", path, sizeof path)};
    struct stats_report r;
    CU_ASSERT_EQUAL(stats_report_load(&q, &r, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "none.db"));
    stats_report_free(&r);
}

/* ---- stats: the model on points built by hand ---- */

static struct stats_report model_report(void)
{
    struct stats_report r = {0};
    r.request.model = STATS_MODEL_CSA;
    r.request.rtt_ns = 100 * MS;
    r.request.ts_ns = 1 * S;
    return r;
}

static void test_model_mean_against_the_interval(void)
{
    struct stats_report r = model_report();
    char *values[] = {"0.1"};
    struct stats_point p = {.values = values, .loss = {"0.1", NULL, NULL}};
    p.latency.mean = 352.0;
    p.latency.ci_half = 13.0;
    struct stats_model_result m = stats_point_model(&r, &p);
    CU_ASSERT_TRUE(m.known);
    CU_ASSERT_DOUBLE_EQUAL(m.mean_ms, 350.0, 1e-9); /* 100 + 1000 (2 * 0.9/0.8 - 2) */
    CU_ASSERT_TRUE(m.finite_variance);
    CU_ASSERT_TRUE(m.in_ci);
    p.latency.mean = 400.0;
    CU_ASSERT_FALSE(stats_point_model(&r, &p).in_ci);
    p.loss_conflict = true; /* runs that disagree have no model */
    CU_ASSERT_FALSE(stats_point_model(&r, &p).known);
    r.request.model = STATS_MODEL_NONE;
    p.loss_conflict = false;
    CU_ASSERT_FALSE(stats_point_model(&r, &p).known);
}

static void test_distribution_counts_each_model_value(void)
{
    struct stats_report r = model_report();
    char *values[] = {"0.1"};
    int64_t latencies[100];
    for (int i = 0; i < 100; i++)
        latencies[i] = i < 88 ? 100 * MS : i < 99 ? 1100 * MS : 150 * MS;
    struct stats_point p = {.values = values, .connections = 100, .established = 100,
                            .latency_ns = latencies, .latency_count = 100,
                            .loss = {NULL, "0.1", NULL}}; /* SYNs lost, SYN-ACKs not */
    struct stats_distribution d;
    CU_ASSERT_EQUAL_FATAL(stats_point_distribution(&r, &p, &d), 0);
    CU_ASSERT_TRUE_FATAL(d.known);
    CU_ASSERT_DOUBLE_EQUAL(d.model.p_forward, 0.1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(d.model.p_reverse, 0.0, 1e-12);
    CU_ASSERT_EQUAL(d.unmatched, 1);                /* 150 ms is no model value */
    CU_ASSERT_FATAL(d.test_count >= 3);
    CU_ASSERT_STRING_EQUAL(d.tests[0].label, "i=0");
    CU_ASSERT_DOUBLE_EQUAL(d.tests[0].latency_ms, 100.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(d.tests[0].probability, 0.9, 1e-12);
    CU_ASSERT_EQUAL(d.tests[0].observed, 88);
    CU_ASSERT_TRUE(d.tests[0].inside);
    CU_ASSERT(d.tests[0].low <= 88 && d.tests[0].high >= 88 && d.tests[0].low > 75);
    CU_ASSERT_STRING_EQUAL(d.tests[1].label, "i=1");
    CU_ASSERT_EQUAL(d.tests[1].observed, 11);
    CU_ASSERT_DOUBLE_EQUAL(d.tests[1].expected, 9.0, 1e-9);   /* 100 x 0.1 x 0.9 */
    CU_ASSERT_STRING_EQUAL(d.tests[d.test_count - 1].label, "rest");
    CU_ASSERT(isnan(d.tests[d.test_count - 1].latency_ms));
    CU_ASSERT(d.dof >= 1);
    CU_ASSERT(d.p_value >= 0 && d.p_value <= 1);
    stats_distribution_free(&d);
    p.loss[STATS_LOSS_FORWARD] = "often"; /* not a probability: no model */
    CU_ASSERT_EQUAL(stats_point_distribution(&r, &p, &d), 0);
    CU_ASSERT_FALSE(d.known);
    stats_distribution_free(&d);
}

/* ---- stats: the plot's series ---- */

static void test_chart_has_one_series_per_other_key(void)
{
    struct stats_report r = model_report();
    r.by[0] = "link.loss";
    r.by[1] = "client.rto_initial";
    r.by_count = 2;
    char *v[3][2] = {{"0.1", "1s"}, {"0.2", "1s"}, {"0.1", "3s"}};
    struct stats_point points[3];
    for (int i = 0; i < 3; i++) {
        points[i] = (struct stats_point){.values = v[i], .loss = {v[i][0], NULL, NULL}};
        points[i].latency.mean = 300.0 + 100 * i;
        points[i].latency.ci_half = 10.0;
        points[i].latency.n = 36;
    }
    r.points = points;
    r.point_count = 3;
    struct stats_chart c;
    CU_ASSERT_EQUAL_FATAL(stats_report_chart(&r, NULL, &c), STATS_CHART_OK);
    CU_ASSERT_STRING_EQUAL(c.x_key, "link.loss");
    CU_ASSERT_STRING_EQUAL(c.title, "Handshake latency against link.loss");
    /* rto 1s: measured (2 points) and its model; rto 3s: measured (1 point) */
    CU_ASSERT_EQUAL_FATAL(c.series_count, 4);
    CU_ASSERT_STRING_EQUAL(c.series[0].label, "client.rto_initial=1s");
    CU_ASSERT_EQUAL(c.series[0].count, 2);
    CU_ASSERT_EQUAL(c.series[0].kind, STATS_CHART_MEANS);
    CU_ASSERT_EQUAL(c.series[1].kind, STATS_CHART_MODEL);
    CU_ASSERT_DOUBLE_EQUAL(c.points[c.series[1].first].x, 0.1, 1e-12);  /* model over 0.1..0.2 */
    CU_ASSERT_DOUBLE_EQUAL(c.points[c.series[1].first].y, 350.0, 1e-9);
    CU_ASSERT_STRING_EQUAL(c.series[2].label, "client.rto_initial=3s");
    CU_ASSERT_EQUAL(c.series[2].count, 1);
    const struct stats_chart_point *first = &c.points[c.series[0].first];
    CU_ASSERT_DOUBLE_EQUAL(first->y_low, 290.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(first->y_high, 310.0, 1e-9);
    CU_ASSERT_EQUAL(first->n, 36);
    CU_ASSERT_STRING_EQUAL(c.x_label, "link.loss (probability)");
    CU_ASSERT_STRING_EQUAL(c.y_label, "mean connect to ESTABLISHED at the client (ms)");
    stats_chart_free(&c);
    CU_ASSERT_EQUAL(stats_report_chart(&r, "link.delay", &c), STATS_CHART_X_NOT_BY);
    stats_chart_free(&c);
    r.by_count = 0;
    CU_ASSERT_EQUAL(stats_report_chart(&r, NULL, &c), STATS_CHART_NOTHING_VARIES);
    stats_chart_free(&c);
}

/* Two points: loss 0.1 with latencies 100, 100, 100, 1100 ms of 5
 * connections (one never established), loss 0.2 with 100 and 3100 ms. */
struct distribution_fixture {
    char *values[2][1];
    int64_t latencies[2][4];
    struct stats_point points[2];
    struct stats_report report;
};

static void distribution_fixture(struct distribution_fixture *f)
{
    *f = (struct distribution_fixture){.values = {{"0.1"}, {"0.2"}},
                                       .latencies = {{100 * MS, 1100 * MS, 100 * MS, 100 * MS},
                                                     {3100 * MS, 100 * MS}}};
    f->report = model_report();
    f->report.by[0] = "link.loss";
    f->report.by_count = 1;
    uint64_t connections[] = {5, 2};
    size_t counts[] = {4, 2};
    for (int i = 0; i < 2; i++)
        f->points[i] = (struct stats_point){.values = f->values[i], .connections = connections[i],
                                            .established = counts[i],
                                            .latency_ns = f->latencies[i],
                                            .latency_count = counts[i],
                                            .loss = {f->values[i][0], NULL, NULL}};
    f->report.points = f->points;
    f->report.point_count = 2;
}

static void test_cdf_has_one_step_per_distinct_latency(void)
{
    struct distribution_fixture f;
    distribution_fixture(&f);
    struct stats_chart c;
    CU_ASSERT_EQUAL_FATAL(stats_report_cdf_chart(&f.report, &c), STATS_CHART_OK);
    /* per point its CDF and the model's up to 3100 ms: link.loss is both
     * directions, so RTT + Ts (2^i + 2^j - 2): 100, 1100, 2100, 3100 ms */
    CU_ASSERT_EQUAL_FATAL(c.series_count, 4);
    CU_ASSERT_STRING_EQUAL(c.series[0].label, "link.loss=0.1, n=5");
    CU_ASSERT_EQUAL(c.series[0].kind, STATS_CHART_CDF);
    CU_ASSERT_EQUAL_FATAL(c.series[0].count, 2);
    const struct stats_chart_point *p = &c.points[c.series[0].first];
    CU_ASSERT_DOUBLE_EQUAL(p[0].x, 100.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(p[0].y, 0.6, 1e-12);   /* 3 of 5 */
    CU_ASSERT_DOUBLE_EQUAL(p[1].x, 1100.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(p[1].y, 0.8, 1e-12);   /* the fifth never established */
    CU_ASSERT_EQUAL(c.series[1].kind, STATS_CHART_MODEL_CDF);
    CU_ASSERT_EQUAL(c.series[1].count, 4);
    CU_ASSERT_DOUBLE_EQUAL(c.points[c.series[1].first].y, 0.81, 1e-12); /* neither lost */
    CU_ASSERT_STRING_EQUAL(c.series[2].label, "link.loss=0.2, n=2");
    CU_ASSERT_EQUAL(c.series[2].count, 2);
    CU_ASSERT_STRING_EQUAL(c.x_label, "connect to ESTABLISHED at the client (ms, log scale)");
    CU_ASSERT_TRUE(c.x_log);
    stats_chart_free(&c);
    f.report.request.model = STATS_MODEL_NONE;
    CU_ASSERT_EQUAL_FATAL(stats_report_cdf_chart(&f.report, &c), STATS_CHART_OK);
    CU_ASSERT_EQUAL(c.series_count, 2);
    stats_chart_free(&c);
    f.points[0].latency_count = f.points[1].latency_count = 0;
    CU_ASSERT_EQUAL(stats_report_cdf_chart(&f.report, &c), STATS_CHART_NO_LATENCY);
    stats_chart_free(&c);
}

static void test_histogram_has_one_bar_per_non_empty_bin(void)
{
    struct distribution_fixture f;
    distribution_fixture(&f);
    struct stats_chart c;
    CU_ASSERT_EQUAL_FATAL(stats_report_histogram_chart(&f.report, &c), STATS_CHART_OK);
    CU_ASSERT_DOUBLE_EQUAL(c.bin_ms, 100.0, 1e-9); /* 3100 / 100 < 40 bins; 50 ms would need 62 */
    CU_ASSERT_EQUAL_FATAL(c.series_count, 2);
    CU_ASSERT_EQUAL(c.series[0].kind, STATS_CHART_BARS);
    CU_ASSERT_EQUAL_FATAL(c.series[0].count, 2);  /* bins 100 and 1100 */
    const struct stats_chart_point *p = &c.points[c.series[0].first];
    CU_ASSERT_DOUBLE_EQUAL(p[0].x, 100.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(p[0].y, 60.0, 1e-9);   /* % of the point's 5 connections */
    CU_ASSERT_EQUAL(p[0].n, 3);
    CU_ASSERT_DOUBLE_EQUAL(p[1].x, 1100.0, 1e-9);
    CU_ASSERT_EQUAL(p[1].n, 1);
    CU_ASSERT_EQUAL(c.series[1].count, 2);        /* bins 100 and 3100 */
    CU_ASSERT_PTR_NOT_NULL(strstr(c.note, "100 ms bins"));
    stats_chart_free(&c);
    /* a tail beyond the 99th percentile goes into one last bin */
    int64_t tail[101];
    for (int i = 0; i < 101; i++)
        tail[i] = i < 100 ? 100 * MS : 60 * S;
    f.points[0].latency_ns = tail;
    f.points[0].latency_count = f.points[0].connections = 101;
    f.report.point_count = 1;
    CU_ASSERT_EQUAL_FATAL(stats_report_histogram_chart(&f.report, &c), STATS_CHART_OK);
    CU_ASSERT_DOUBLE_EQUAL(c.bin_ms, 5.0, 1e-9);   /* the 99th percentile is 100 ms */
    CU_ASSERT_EQUAL_FATAL(c.series[0].count, 2);
    CU_ASSERT_DOUBLE_EQUAL(c.points[c.series[0].first + 1].x, 105.0, 1e-9);
    CU_ASSERT_EQUAL(c.points[c.series[0].first + 1].n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.note, "the last one all from 105 ms on"));
    stats_chart_free(&c);
}

/* ---- sweep: runs through the library ---- */

static const char sweep_scenario[] =
    "scenario study-sweep \"one handshake and teardown\"\n"
    "link  delay=50ms\n"
    "host  client addr=10.0.0.1 isn=1000 profile=rfc9293\n"
    "host  server addr=10.0.0.2 isn=5000 profile=rfc9293\n"
    "at 0s    server listen 80\n"
    "at 10ms  client connect server:80 port=40000\n"
    "at 1s    client close\n"
    "at 2s    server close\n"
    "expect client path CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED\n"
    "run   until=10min seed=7\n";

struct sweep_setup {
    char scenario[128], db[128];
    struct sweep_grid grid;
    struct sweep_run_request request;
};

static void sweep_setup(struct sweep_setup *s, const char *vary, uint32_t reps)
{
    char err[256];
    memset(s, 0, sizeof *s);
    FILE *f = fopen(tmp_path("sweep.tcpsim", s->scenario, sizeof s->scenario), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(sweep_scenario, f);
    fclose(f);
    sweep_grid_init(&s->grid);
    CU_ASSERT_EQUAL_FATAL(sweep_grid_add_axis(&s->grid, vary, err, sizeof err), 0);
    s->request = (struct sweep_run_request){.scenario_path = s->scenario,
                                            .db_path = tmp_path("sweep.db", s->db, sizeof s->db),
                                            .grid = &s->grid, .has_reps = true, .reps = reps,
                                            .jobs = 2, .diagnostics = stderr};
}

struct identities {
    char text[512];
};

static int on_identity(void *context, const struct results_run_identity *run)
{
    struct identities *ids = context;
    size_t used = strlen(ids->text);
    snprintf(ids->text + used, sizeof ids->text - used, "%lld:%s,rep%llu,seed%llu;",
             (long long)run->run_id, run->setting_count ? run->settings[0].value : "-",
             (unsigned long long)run->rep, (unsigned long long)run->seed);
    return 0;
}

static void read_identities(const char *path, char *out, size_t size)
{
    char err[256];
    struct identities ids = {""};
    struct trace_sink *db = sink_sqlite_open_read(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    CU_ASSERT_EQUAL(results_run_identities(db, on_identity, &ids, err, sizeof err), 0);
    db->ops->destroy(db);
    snprintf(out, size, "%s", ids.text);
}

static void test_sweep_numbers_runs_by_point_then_rep(void)
{
    struct sweep_setup s;
    struct sweep_run_result r;
    char text[512], part[160];
    sweep_setup(&s, "link.delay=20ms,50ms", 2);
    remove(s.db);
    CU_ASSERT_EQUAL_FATAL(sweep_run(&s.request, &r), SWEEP_RUN_DONE);
    CU_ASSERT_STRING_EQUAL(r.scenario_name, "study-sweep");
    CU_ASSERT_EQUAL(r.points, 2);
    CU_ASSERT_EQUAL(r.runs_done, 4);
    CU_ASSERT_EQUAL(r.runs_present, 0);
    read_identities(s.db, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "1:20ms,rep0,seed7;2:20ms,rep1,seed8;"
                                 "3:50ms,rep0,seed7;4:50ms,rep1,seed8;");
    snprintf(part, sizeof part, "%s.part1", s.db);
    CU_ASSERT_NOT_EQUAL(access(part, F_OK), 0); /* merged and removed */

    /* One more rep: only the missing runs, numbered after the others. */
    s.request.reps = 3;
    CU_ASSERT_EQUAL_FATAL(sweep_run(&s.request, &r), SWEEP_RUN_DONE);
    CU_ASSERT_EQUAL(r.runs_present, 4);
    CU_ASSERT_EQUAL(r.runs_done, 2);
    read_identities(s.db, text, sizeof text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "4:50ms,rep1,seed8;5:20ms,rep2,seed9;6:50ms,rep2,seed9;"));
    char *summary = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&summary, &size);
    sweep_run_print_summary(f, &s.request, &r);
    fclose(f);
    char want[400];
    snprintf(want, sizeof want,
             "study-sweep: 2 points x 3 reps: 2 runs recorded, 4 already there\nrecorded in %s\n",
             s.db);
    CU_ASSERT_STRING_EQUAL(summary, want);
    free(summary);

    /* The handshake's latency is one round trip: 2 x link.delay. */
    char err[256];
    struct stats_request q = {.db_path = s.db};
    struct stats_report report;
    CU_ASSERT_EQUAL_FATAL(stats_report_load(&q, &report, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(report.point_count, 2);
    CU_ASSERT_STRING_EQUAL(report.by[0], "link.delay");
    CU_ASSERT_EQUAL(report.points[0].runs, 3);
    CU_ASSERT_DOUBLE_EQUAL(report.points[0].latency.mean, 40.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(report.points[1].latency.mean, 100.0, 1e-9);
    stats_report_free(&report);
    sweep_grid_free(&s.grid);
}

static void test_sweep_shard_runs_its_share_only(void)
{
    struct sweep_setup s;
    struct sweep_run_result r;
    char text[512];
    sweep_setup(&s, "link.delay=10ms,20ms,30ms", 1);
    remove(s.db);
    s.request.shard_k = 2;
    s.request.shard_n = 2;
    CU_ASSERT_EQUAL_FATAL(sweep_run(&s.request, &r), SWEEP_RUN_DONE);
    CU_ASSERT_EQUAL(r.points, 1);   /* point 1 of 0, 1, 2 */
    CU_ASSERT_EQUAL(r.runs_done, 1);
    read_identities(s.db, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "1:20ms,rep0,seed7;");
    sweep_grid_free(&s.grid);
}

static void test_sweep_bad_setting_runs_nothing(void)
{
    struct sweep_setup s;
    struct sweep_run_result r;
    sweep_setup(&s, "link.nokey=1,2", 1);
    remove(s.db);
    CU_ASSERT_EQUAL(sweep_run(&s.request, &r), SWEEP_RUN_BAD_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "link.nokey"));
    CU_ASSERT_NOT_EQUAL(access(s.db, F_OK), 0); /* no database made */
    sweep_grid_free(&s.grid);
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_study.XXXXXX");
    if (!mkdtemp(tmpdir) || CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite stats = CU_add_suite("stats report", NULL, NULL);
    CU_add_test(stats, "points group completed runs", test_points_group_completed_runs_by_the_varying_key);
    CU_add_test(stats, "window counts time inside it", test_window_counts_only_time_inside_it);
    CU_add_test(stats, "csv shows the points", test_table_and_csv_show_the_points);
    CU_add_test(stats, "missing database", test_missing_database_is_an_error);
    CU_pSuite model = CU_add_suite("stats model", NULL, NULL);
    CU_add_test(model, "model mean against the CI", test_model_mean_against_the_interval);
    CU_add_test(model, "distribution counts", test_distribution_counts_each_model_value);
    CU_add_test(model, "chart series", test_chart_has_one_series_per_other_key);
    CU_add_test(model, "cdf chart", test_cdf_has_one_step_per_distinct_latency);
    CU_add_test(model, "histogram chart", test_histogram_has_one_bar_per_non_empty_bin);
    CU_pSuite sweep = CU_add_suite("sweep run", NULL, NULL);
    CU_add_test(sweep, "runs numbered by point, then rep", test_sweep_numbers_runs_by_point_then_rep);
    CU_add_test(sweep, "a shard runs its share", test_sweep_shard_runs_its_share_only);
    CU_add_test(sweep, "bad setting runs nothing", test_sweep_bad_setting_runs_nothing);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    remove_tmpdir();
    return failures ? 1 : 0;
}
