/*
 * test_html.c: the structure of the HTML page (src/view/html.c) for whole
 * runs of small scenarios, checked against the records the run reported
 * (a counting sink beside the page sink): one element with data-seg-id per
 * segment, one state label per transition with its state, host and time,
 * nothing fetched from anywhere, and the JSON island intact. The browser's
 * view of the same pages is tests/html.sh.
 */
#include <CUnit/Basic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "scenario.h"
#include "trace.h"
#include "world.h"

/* What the run reported, for comparison: segments, and each transition as
 * the page's label attributes would write it. */
struct counting_sink {
    struct trace_sink base;
    size_t segments;
    char labels[64][96];
    size_t label_count;
};

static int count_run_start(struct trace_sink *s, const struct trace_run_info *r) { (void)s; (void)r; return 0; }
static void count_connection(struct trace_sink *s, const struct trace_connection *c) { (void)s; (void)c; }
static void count_expectation(struct trace_sink *s, const struct trace_expectation *e) { (void)s; (void)e; }
static int count_run_end(struct trace_sink *s, const struct trace_run_result *r) { (void)s; (void)r; return 0; }
static void count_run_abort(struct trace_sink *s) { (void)s; }
static void count_destroy(struct trace_sink *s) { (void)s; }

static void count_segment(struct trace_sink *sink, const struct trace_segment *seg)
{
    (void)seg;
    ((struct counting_sink *)sink)->segments++;
}

static void count_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct counting_sink *c = (struct counting_sink *)sink;
    if (c->label_count < 64)
        snprintf(c->labels[c->label_count++], 96,
                 "data-state=\"%s\" data-time-ns=\"%" PRId64 "\" data-host=\"%s\"",
                 tcp_state_name(tr->to_state), (int64_t)tr->t_ns, tr->host);
}

static const struct trace_sink_ops counting_ops = {
    .run_start = count_run_start, .connection = count_connection, .transition = count_transition,
    .segment = count_segment, .expectation = count_expectation, .run_end = count_run_end,
    .run_abort = count_run_abort, .destroy = count_destroy,
};

static const char *lost_ack_scenario =
    "scenario lost-ack \"the last ACK is lost\"\n"
    "link delay=50ms\n"
    "host client addr=10.0.0.1 isn=1000 profile=rfc9293\n"
    "host server addr=10.0.0.2 isn=5000 profile=rfc9293\n"
    "at 0s server listen 80\n"
    "at 0s client connect server:80\n"
    "at 1s client close\n"
    "at 2s server close\n"
    "drop client ACK #2\n"
    "run until=10min\n";

static const char *workload_scenario =
    "scenario lossy \"a small workload under loss\"\n"
    "link delay=20ms loss=10%\n"
    "host client addr=10.0.0.1 profile=linux\n"
    "host server addr=10.0.0.2 profile=linux\n"
    "workload client->server:80 count=4 interval=1s arrivals=fixed size=2000B server_close=after-fin\n"
    "run until=10min seed=3\n";

/* Runs text once with the page sink writing to a temporary file; returns
 * the page (caller frees). */
static char *run_page(const char *text, struct counting_sink *count, bool quiz)
{
    struct scenario_error err;
    struct scenario *sc = scenario_parse_string(text, strlen(text), "test.tcpsim", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    char path[] = "/tmp/test_html_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    char error[256];
    struct html_options options = {.quiz = quiz, .conn_id = 0};
    struct trace_sink *page = html_sink_open(path, &options, error, sizeof error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(page);
    *count = (struct counting_sink){.base = {.ops = &counting_ops}};
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, &count->base);
    trace_add_sink(&trace, page);
    struct world_report report;
    struct world_options run = {.seed = 1, .skip_expectations = true};
    CU_ASSERT_EQUAL(world_run(sc, &run, &trace, &report), 0);
    trace_remove_sink(&trace, &count->base);
    trace_destroy_sinks(&trace);
    scenario_free(sc);
    FILE *in = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    char *html = calloc(1 << 22, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT(fread(html, 1, (1 << 22) - 1, in) > 0);
    fclose(in);
    close(fd);
    remove(path);
    return html;
}

static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Every transition has exactly one label with its state, time and host;
 * there are no other non-initial labels. */
static void check_labels(const char *html, const struct counting_sink *count)
{
    size_t labels = occurrences(html, "data-state=\"") - occurrences(html, "data-initial=\"1\"");
    CU_ASSERT_EQUAL(labels, count->label_count);
    for (size_t i = 0; i < count->label_count; i++) {
        size_t same = 0;
        for (size_t j = 0; j < count->label_count; j++)
            same += strcmp(count->labels[i], count->labels[j]) == 0;
        CU_ASSERT_EQUAL(occurrences(html, count->labels[i]), same);
    }
}

static void test_one_arrow_per_segment_one_label_per_transition(void)
{
    struct counting_sink count;
    char *html = run_page(lost_ack_scenario, &count, false);
    CU_ASSERT_EQUAL(count.segments, 9);
    CU_ASSERT_EQUAL(occurrences(html, "data-seg-id=\""), count.segments);
    CU_ASSERT_EQUAL(occurrences(html, "data-fate=\"dropped\""), 1);
    CU_ASSERT_EQUAL(occurrences(html, "class=\"seg s0 bad gone\""), 1); /* the cross */
    CU_ASSERT_EQUAL(count.label_count, 12);
    check_labels(html, &count);
    CU_ASSERT_EQUAL(occurrences(html, "data-timer=\"2MSL\""), 1);
    CU_ASSERT_EQUAL(occurrences(html, "data-timer=\"RTO\""), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "\"quiz\":false"));
    free(html);
}

static void test_workload_page_has_every_connection(void)
{
    struct counting_sink count;
    char *html = run_page(workload_scenario, &count, true);
    CU_ASSERT(count.segments > 4 * 9);
    CU_ASSERT_EQUAL(occurrences(html, "data-seg-id=\""), count.segments);
    CU_ASSERT_EQUAL(occurrences(html, "<section class=\"ladder\""), 4);
    check_labels(html, &count);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "\"quiz\":true"));
    free(html);
}

/* Self-contained: nothing to fetch (the SVG namespace is a name, not a fetch). */
static void test_page_fetches_nothing(void)
{
    struct counting_sink count;
    char *html = run_page(lost_ack_scenario, &count, false);
    CU_ASSERT_EQUAL(occurrences(html, " src="), 0);
    CU_ASSERT_EQUAL(occurrences(html, " href="), 0);
    CU_ASSERT_EQUAL(occurrences(html, "@import"), 0);
    CU_ASSERT_EQUAL(occurrences(html, "://"), occurrences(html, "xmlns=\"http://www.w3.org/2000/svg\""));
    CU_ASSERT_EQUAL(occurrences(html, "<script"), 2); /* the JSON island and the script */
    CU_ASSERT_EQUAL(occurrences(html, "</script>"), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "</html>\n"));
    free(html);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite("html", NULL, NULL);
    CU_add_test(suite, "one arrow per segment, one label per transition",
                test_one_arrow_per_segment_one_label_per_transition);
    CU_add_test(suite, "a workload's page has every connection", test_workload_page_has_every_connection);
    CU_add_test(suite, "the page fetches nothing", test_page_fetches_nothing);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
