/*
 * test_world.c: whole runs of small scenarios, read back through the text
 * sink's log: the seed note's handshake and teardown numbers, expectations
 * that pass and fail, workloads, and determinism (same seed, same bytes;
 * no state shared between runs in one process).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "sink_sqlite.h"
#include "sink_text.h"
#include "trace.h"
#include "world.h"

static const char *note_scenario =
    "scenario note \"the seed note\"\n"
    "link delay=50ms\n"
    "host client addr=10.0.0.1 isn=1000 profile=rfc9293\n"
    "host server addr=10.0.0.2 isn=5000 profile=rfc9293\n"
    "at 0s server listen 80\n"
    "at 10ms client connect server:80 port=40000\n"
    "at 1s client close\n"
    "at 2s server close\n"
    "expect client path CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED\n"
    "expect server path LISTEN SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED\n"
    "run until=10min\n";

/* Runs a scenario text once; returns the text log (caller frees) and the report. */
static char *run_text(const char *text, uint64_t seed, struct world_report *report,
                      const char *assignment)
{
    struct scenario_error err;
    struct scenario *sc = scenario_parse_string(text, strlen(text), "test.tcpsim", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    if (assignment)
        CU_ASSERT_EQUAL_FATAL(scenario_set_assignment(sc, assignment, &err), 0);
    char *log = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&log, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, sink_text_create(out));
    struct world_options options = {.seed = seed};
    CU_ASSERT_EQUAL(world_run(sc, &options, &trace, report), 0);
    trace_destroy_sinks(&trace);
    fclose(out);
    scenario_free(sc);
    return log;
}

static void test_note_handshake_and_teardown_numbers(void)
{
    struct world_report report;
    char *log = run_text(note_scenario, 1, &report, NULL);
    /* SYN seq=x; SYN-ACK seq=y ack=x+1; ACK seq=x+1 ack=y+1 (not seq=1). */
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "10.0.0.1:40000 > 10.0.0.2:80 SYN seq=1000 len=0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "10.0.0.2:80 > 10.0.0.1:40000 SYN|ACK seq=5000 ack=1001 len=0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "10.0.0.1:40000 > 10.0.0.2:80 ACK seq=1001 ack=5001 len=0"));
    /* FIN seq=u; ACK ack=u+1; FIN seq=w ack=u+1; ACK seq=u+1 ack=w+1. */
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "10.0.0.1:40000 > 10.0.0.2:80 FIN|ACK seq=1001 ack=5001"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "10.0.0.2:80 > 10.0.0.1:40000 ACK seq=5001 ack=1002"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "10.0.0.2:80 > 10.0.0.1:40000 FIN|ACK seq=5001 ack=1002"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "10.0.0.1:40000 > 10.0.0.2:80 ACK seq=1002 ack=5002"));
    /* The transitions, with causes a student can read. */
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "0.010000000 client conn 1 CLOSED -> SYN_SENT (app CONNECT)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "0.060000000 server conn 1 LISTEN -> SYN_RECEIVED (rcv SYN"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "0.110000000 client conn 1 SYN_SENT -> ESTABLISHED"));
    /* TIME_WAIT lasts 2*MSL = 240 s after the server's FIN arrived at 2.05 s. */
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "242.050000000 client conn 1 TIME_WAIT -> CLOSED (2MSL timeout)"));
    CU_ASSERT_STRING_EQUAL(report.status, "ok");
    CU_ASSERT_EQUAL(report.expectations_passed, 2);
    CU_ASSERT_EQUAL(report.expectations_failed, 0);
    free(log);
}

static void test_failed_expectation_reports_expected_and_actual(void)
{
    const char *text =
        "scenario wrong\n"
        "link delay=10ms\n"
        "host client addr=10.0.0.1 isn=1\n"
        "host server addr=10.0.0.2 isn=2\n"
        "at 0s server listen 80\n"
        "at 0s client connect server:80\n"
        "expect client path CLOSED SYN_SENT SYN_RECEIVED\n"
        "expect at 1s client state ESTABLISHED\n"
        "expect client segments = 99\n"
        "run until=2s\n";
    struct world_report report;
    char *log = run_text(text, 1, &report, NULL);
    CU_ASSERT_STRING_EQUAL(report.status, "failed");
    CU_ASSERT_EQUAL(report.expectations_passed, 1);
    CU_ASSERT_EQUAL(report.expectations_failed, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "actual path: CLOSED SYN_SENT ESTABLISHED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "expected 99, actual 2"));
    free(log);
}

/* An expected segment that was not sent: the message shows the nearest
 * one that was, with what seq= and ack= evaluated to as it left. A sends
 * no that fails names the offender. A data segment's delay reorders it. */
static void test_sends_failures_show_the_nearest_segment(void)
{
    const char *text =
        "link delay=50ms\n"
        "host client addr=10.0.0.1 isn=1000 profile=rfc9293\n"
        "host server addr=10.0.0.2 isn=5000 profile=rfc9293\n"
        "at 0s server listen 80\n"
        "at 10ms client connect server:80 port=40000\n"
        "at 1s client inject RST seq=snd.nxt+100\n"
        "at 1.5s client inject ACK seq=snd.nxt ack=rcv.nxt len=100B\n"
        "expect server sends ACK seq=snd.nxt ack=rcv.nxt+1 at 1.05s\n"
        "expect server sends SYN|ACK seq=iss ack=irs+1 #1\n"
        "expect server sends ACK ack=1101 at 1.55s\n"
        "expect server sends no ACK from=1s until=1.2s\n"
        "expect client sends RST\n"
        "expect server segments = 3\n"
        "run until=1.56s\n";
    struct world_report report;
    char *log = run_text(text, 1, &report, NULL);
    CU_ASSERT_STRING_EQUAL(report.status, "failed");
    CU_ASSERT_EQUAL(report.expectations_passed, 3);
    CU_ASSERT_EQUAL(report.expectations_failed, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "sends ACK seq=snd.nxt ack=rcv.nxt+1 at 1.05s: FAILED (not sent; nearest sent "
                                       "instead: ACK seq=5001 ack=1001 len=0 at 1.050000s; ack= wanted 1002)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "sends SYN|ACK seq=iss ack=irs+1 #1: passed (sent SYN|ACK seq=5000 ack=1001"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "sends ACK ack=1101 at 1.55s: passed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "sends no ACK from=1s until=1.2s: FAILED (sent ACK seq=5001 ack=1001"));
    /* The injected RST is not the client's TCB's: the nearest is its SYN. */
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "client sends RST: FAILED (not sent; nearest sent instead: SYN seq=1000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "RST seq=1101 len=0 win=65535 injected delivered"));
    free(log);
}

static void test_delay_rule_reorders_data(void)
{
    const char *text =
        "link delay=10ms\n"
        "host client addr=10.0.0.1 isn=1000 profile=rfc9293\n"
        "host server addr=10.0.0.2 isn=5000 profile=rfc9293 mss=100B\n"
        "at 0s server listen 80\n"
        "at 10ms client connect server:80 port=40000\n"
        "at 100ms client send 300B\n"
        "delay client DATA #1 by=50ms\n"
        "expect server bytes_received = 300\n"
        "run until=2s\n";
    struct world_report report;
    char *log = run_text(text, 1, &report, NULL);
    CU_ASSERT_STRING_EQUAL(report.status, "ok");
    /* The first data segment arrives 50 ms late, after the two behind it. */
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "0.100000000 #4 client 10.0.0.1:40000 > 10.0.0.2:80 ACK seq=1001 ack=5001 "
                                       "len=100 win=65535 delivered 0.160000000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "0.100000000 #5 client 10.0.0.1:40000 > 10.0.0.2:80 ACK seq=1101 ack=5001 "
                                       "len=100 win=65535 delivered 0.110000000"));
    free(log);
}

struct first_value {
    char text[64];
};

static int keep_first_value(void *context, int columns, const char *const *values, const char *const *names)
{
    struct first_value *v = context;
    (void)names;
    snprintf(v->text, sizeof v->text, "%s", columns > 0 && values[0] ? values[0] : "NULL");
    return 1;
}

/* `run until=` ends the run for every purpose: a connection still in
 * CLOSE_WAIT when nothing more happens stays there until `until`. */
static void test_open_stays_count_up_to_until(void)
{
    const char *text =
        "link delay=10ms\n"
        "host client addr=10.0.0.1 profile=rfc9293\n"
        "host server addr=10.0.0.2 profile=rfc9293\n"
        "at 0s server listen 80\n"
        "at 10ms client connect server:80\n"
        "at 1s client close\n"
        "run until=5s\n";
    struct scenario_error err;
    struct scenario *sc = scenario_parse_string(text, strlen(text), "until.tcpsim", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    char message[256];
    struct trace_sink *db = sink_sqlite_open(":memory:", message, sizeof message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, db);
    struct world_report report;
    struct world_options options = {.seed = 1};
    CU_ASSERT_EQUAL(world_run(sc, &options, &trace, &report), 0);
    CU_ASSERT(report.sim_end_ns < 2 * SIM_S);   /* the last event: the ACK of the FIN */
    CU_ASSERT_EQUAL(report.until_ns, 5 * SIM_S);
    CU_ASSERT_EQUAL(report.open_at_until, 2);   /* server CLOSE_WAIT, client FIN_WAIT_2 */
    struct first_value left = {""};
    CU_ASSERT_EQUAL(sink_sqlite_query(db, "SELECT left_ms FROM state_durations WHERE host = 'server'"
                                          " AND state = 'CLOSE_WAIT'", NULL, 0, keep_first_value, &left,
                                      message, sizeof message), 0);
    CU_ASSERT_STRING_EQUAL(left.text, "5000.0");
    trace_destroy_sinks(&trace);
    scenario_free(sc);
}

static const char *lossy_workload =
    "scenario lossy\n"
    "link delay=20ms loss=10% jitter=uniform(0ms,5ms)\n"
    "host client addr=10.0.0.1 profile=linux\n"
    "host server addr=10.0.0.2 profile=linux\n"
    "workload client->server:80 count=50 rate=20/s arrivals=poisson size=3000B server_close=after-fin\n"
    "expect client established = 50\n"
    "run until=10min\n";

static void test_same_seed_same_bytes(void)
{
    struct world_report a, b, c;
    char *first = run_text(lossy_workload, 7, &a, NULL);
    char *other = run_text(lossy_workload, 8, &c, NULL);
    char *again = run_text(lossy_workload, 7, &b, NULL);
    CU_ASSERT_STRING_EQUAL(first, again);
    CU_ASSERT_STRING_NOT_EQUAL(first, other);
    CU_ASSERT_EQUAL(a.events, b.events);
    CU_ASSERT_EQUAL(a.sim_end_ns, b.sim_end_ns);
    CU_ASSERT_TRUE(a.lost > 0);
    free(first);
    free(other);
    free(again);
}

static void test_workload_completes_under_loss(void)
{
    struct world_report report;
    char *log = run_text(lossy_workload, 3, &report, NULL);
    CU_ASSERT_STRING_EQUAL(report.status, "ok");
    CU_ASSERT_EQUAL(report.connections, 50);
    CU_ASSERT_EQUAL(report.established, 50);
    CU_ASSERT_TRUE(report.retransmissions > 0);
    free(log);
}

static void test_set_changes_the_run(void)
{
    struct world_report report;
    char *log = run_text(note_scenario, 1, &report, "link.delay=100ms");
    /* The SYN now arrives 100 ms after it was sent at 10 ms. */
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "0.110000000 server conn 1 LISTEN -> SYN_RECEIVED"));
    free(log);
    log = run_text(note_scenario, 1, &report, "client.isn=4294967295");
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "SYN seq=4294967295 len=0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "SYN|ACK seq=5000 ack=0 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "ACK seq=0 ack=5001"));
    CU_ASSERT_STRING_EQUAL(report.status, "ok");
    free(log);
}

/* A server that closes 5 s after accepting, on a connection that a reset
 * ended before then: the pending close must not touch the deleted TCB (a
 * use-after-free the sanitizer build catches). */
static void test_delayed_close_after_the_connection_is_gone(void)
{
    const char *text =
        "scenario gone\n"
        "link delay=10ms\n"
        "host client addr=10.0.0.1 isn=1 profile=linux\n"
        "host server addr=10.0.0.2 isn=2 profile=linux data_retries=1\n"
        "workload client->server:80 count=1 interval=1s size=0B response=1000B server_close=after=5s "
        "client_close=after-server\n"
        "drop client segment from=25ms\n"
        "run until=1min\n";
    struct world_report report;
    char *log = run_text(text, 1, &report, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "server conn 1 ESTABLISHED -> CLOSED (retransmissions exhausted)"));
    CU_ASSERT_STRING_EQUAL(report.status, "ok");
    free(log);
}

/* world_options.max_events: a run the cap stops is "failed", says why,
 * and ran exactly that many events; without the cap the same run is ok. */
static void test_event_cap_fails_the_run_and_says_so(void)
{
    struct scenario_error err;
    struct scenario *sc = scenario_parse_string(note_scenario, strlen(note_scenario), "cap.tcpsim", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    struct trace trace;
    trace_init(&trace);
    struct world_report report;
    struct world_options options = {.seed = 1, .max_events = 4};
    CU_ASSERT_EQUAL(world_run(sc, &options, &trace, &report), 0);
    CU_ASSERT_STRING_EQUAL(report.status, "failed");
    CU_ASSERT_EQUAL(report.events, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(report.error, "cap of 4 events"));
    options.max_events = 0;
    CU_ASSERT_EQUAL(world_run(sc, &options, &trace, &report), 0);
    CU_ASSERT_STRING_EQUAL(report.status, "ok");
    CU_ASSERT_TRUE(report.events > 4);
    options.max_events = report.events; /* exactly enough: the run ends on its own */
    CU_ASSERT_EQUAL(world_run(sc, &options, &trace, &report), 0);
    CU_ASSERT_STRING_EQUAL(report.status, "ok");
    scenario_free(sc);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite("world", NULL, NULL);
    CU_add_test(suite, "note handshake and teardown numbers", test_note_handshake_and_teardown_numbers);
    CU_add_test(suite, "failed expectation reports expected and actual",
                test_failed_expectation_reports_expected_and_actual);
    CU_add_test(suite, "same seed same bytes", test_same_seed_same_bytes);
    CU_add_test(suite, "workload completes under loss", test_workload_completes_under_loss);
    CU_add_test(suite, "--set changes the run", test_set_changes_the_run);
    CU_add_test(suite, "open stays count up to run until=", test_open_stays_count_up_to_until);
    CU_add_test(suite, "expect sends: the nearest segment on failure", test_sends_failures_show_the_nearest_segment);
    CU_add_test(suite, "delay by=: reordering on purpose", test_delay_rule_reorders_data);
    CU_add_test(suite, "delayed close after the connection is gone",
                test_delayed_close_after_the_connection_is_gone);
    CU_add_test(suite, "an event cap fails the run and says so", test_event_cap_fails_the_run_and_says_so);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
