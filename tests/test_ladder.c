/*
 * test_ladder.c: the ladder diagram drawn from a run recorded in an
 * in-memory database (the path `tcpsim run --ladder --no-db` takes): the
 * seed note's numbers on the arrows, a lost SYN ending at a cross, the
 * retransmission marked, relative numbering from the ISNs, the width kept;
 * the --explain table covering every transition the TCP records; and the
 * checks on the ladder's options. Byte-for-byte pictures of the shipped
 * scenarios are in tests/golden/ (tests/ladder.sh).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "ladder.h"
#include "results.h"
#include "scenario.h"
#include "sink_sqlite.h"
#include "trace.h"
#include "world.h"

static const char *lost_syn_scenario =
    "scenario lost-syn \"the first SYN is lost\"\n"
    "link delay=50ms\n"
    "host client addr=10.0.0.1 isn=1000 profile=rfc9293\n"
    "host server addr=10.0.0.2 isn=5000 profile=rfc9293\n"
    "at 0s server listen 80\n"
    "at 10ms client connect server:80 port=40000\n"
    "at 3s client close\n"
    "at 3.5s server close\n"
    "drop client SYN #1\n"
    "run until=10min\n";

/* Runs the scenario into a fresh in-memory database; returns the sink. */
static struct trace_sink *record(const char *text)
{
    struct scenario_error err;
    char message[256];
    struct scenario *sc = scenario_parse_string(text, strlen(text), "test.tcpsim", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    struct trace_sink *db = sink_sqlite_open(":memory:", message, sizeof message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, db);
    struct world_options options = {.seed = 1};
    struct world_report report;
    CU_ASSERT_EQUAL(world_run(sc, &options, &trace, &report), 0);
    trace_remove_sink(&trace, db);
    scenario_free(sc);
    return db;
}

/* Renders into a string (caller frees); NULL when ladder_render failed. */
static char *render(struct trace_sink *db, struct ladder_options o, char *err, size_t errlen)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    struct results_db *reader = sink_sqlite_reader(db, err, errlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reader);
    int rc = ladder_render(reader, &o, out, err, errlen);
    results_close(reader);
    fclose(out);
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static struct ladder_options ascii_options(int width)
{
    struct ladder_options o = LADDER_OPTIONS_DEFAULT;
    o.ascii = true;
    o.width = width;
    o.color = LADDER_COLOR_NEVER;
    return o;
}

static int longest_line(const char *text)
{
    int longest = 0;
    for (const char *line = text; *line;) {
        int n = (int)strcspn(line, "\n");
        longest = n > longest ? n : longest;
        line += n + (line[n] == '\n');
    }
    return longest;
}

static void test_arrows_carry_the_seed_note_numbers(void)
{
    char err[256];
    struct trace_sink *db = record(lost_syn_scenario);
    char *text = render(db, ascii_options(100), err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "client 10.0.0.1:40000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "server 10.0.0.2:80"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "+-. SYN seq=1000 win=65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "SYN|ACK seq=5000 ack=1001 win=65535 .-+"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "+-. ACK seq=1001 ack=5001 win=65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "SYN_SENT |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "| SYN_RECEIVED"));
    free(text);
    db->ops->destroy(db);
}

static void test_lost_segment_stops_at_a_cross_and_retransmission_is_marked(void)
{
    char err[256];
    struct trace_sink *db = record(lost_syn_scenario);
    char *text = render(db, ascii_options(100), err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "X dropped"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "SYN seq=1000 win=65535 (retransmission)"));
    /* The idle second before the retransmission is one marked break. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "... 1.000 s later ..."));
    /* TIME_WAIT's 2*MSL wait is visible, and its end. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "TIME_WAIT |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "CLOSED | (2MSL timeout)"));
    CU_ASSERT(longest_line(text) <= 100);
    free(text);
    db->ops->destroy(db);
}

static void test_relative_numbers_count_from_each_isn(void)
{
    char err[256];
    struct trace_sink *db = record(lost_syn_scenario);
    struct ladder_options o = ascii_options(100);
    o.relative = true;
    char *text = render(db, o, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "SYN seq=0 win=65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "SYN|ACK seq=0 ack=1 win=65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "FIN|ACK seq=1 ack=1 win=65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "ACK seq=2 ack=2 win=65535"));
    CU_ASSERT_PTR_NULL(strstr(text, "seq=1000"));
    free(text);
    db->ops->destroy(db);
}

static void test_unicode_and_colour_are_options(void)
{
    char err[256];
    struct trace_sink *db = record(lost_syn_scenario);
    struct ladder_options o = ascii_options(80);
    o.ascii = false;
    o.color = LADDER_COLOR_ALWAYS;
    char *text = render(db, o, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\u251c\u2500\u256e")); /* the send stub */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\u2715"));             /* the lost SYN's cross */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\033["));
    free(text);
    o.color = LADDER_COLOR_NEVER;
    text = render(db, o, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NULL(strchr(text, '\033'));
    free(text);
    db->ops->destroy(db);
}

static void test_explain_lines_under_transitions(void)
{
    char err[256];
    struct trace_sink *db = record(lost_syn_scenario);
    struct ladder_options o = ascii_options(200);
    o.explain = true;
    char *text = render(db, o, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "SYN_SENT: our SYN is ACKed and the peer's SYN is set "
                                        "-> ESTABLISHED, send ACK (3.10.7.3)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "TIME_WAIT: the 2*MSL timer expired"));
    free(text);
    db->ops->destroy(db);
}

static void test_missing_run_or_connection_is_an_error(void)
{
    char err[256] = "";
    struct trace_sink *db = record(lost_syn_scenario);
    struct ladder_options o = ascii_options(100);
    o.conn_id = 7;
    CU_ASSERT_PTR_NULL(render(db, o, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no connection 7"));
    o.conn_id = 0;
    o.run_id = 9;
    CU_ASSERT_PTR_NULL(render(db, o, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no run 9"));
    db->ops->destroy(db);
}

/* Every (from, to, cause) that src/tcp*.c records. */
static void test_explain_covers_every_transition_the_tcp_records(void)
{
    static const char *const recorded[][3] = {
        {"CLOSED", "LISTEN", "app LISTEN"},
        {"CLOSED", "SYN_SENT", "app CONNECT"},
        {"LISTEN", "SYN_RECEIVED", "rcv SYN"},
        {"LISTEN", "CLOSED", "app CLOSE"},
        {"LISTEN", "CLOSED", "app ABORT"},
        {"SYN_SENT", "ESTABLISHED", "rcv SYN|ACK"},
        {"SYN_SENT", "SYN_RECEIVED", "rcv SYN"},
        {"SYN_SENT", "CLOSED", "rcv RST"},
        {"SYN_SENT", "CLOSED", "SYN retries exhausted"},
        {"SYN_SENT", "CLOSED", "app CLOSE"},
        {"SYN_RECEIVED", "ESTABLISHED", "rcv ACK of SYN"},
        {"SYN_RECEIVED", "LISTEN", "rcv RST"},
        {"SYN_RECEIVED", "CLOSED", "rcv RST"},
        {"SYN_RECEIVED", "LISTEN", "rcv SYN"},
        {"SYN_RECEIVED", "CLOSED", "SYN-ACK retries exhausted"},
        {"SYN_RECEIVED", "CLOSED", "app ABORT"},
        {"ESTABLISHED", "FIN_WAIT_1", "app CLOSE"},
        {"ESTABLISHED", "CLOSE_WAIT", "rcv FIN"},
        {"ESTABLISHED", "CLOSED", "rcv RST"},
        {"ESTABLISHED", "CLOSED", "rcv SYN"},
        {"ESTABLISHED", "CLOSED", "app ABORT"},
        {"ESTABLISHED", "CLOSED", "retransmissions exhausted"},
        {"FIN_WAIT_1", "FIN_WAIT_2", "rcv ACK of FIN"},
        {"FIN_WAIT_1", "CLOSING", "rcv FIN"},
        {"FIN_WAIT_1", "TIME_WAIT", "rcv FIN|ACK"},
        {"FIN_WAIT_1", "CLOSED", "retransmissions exhausted"},
        {"FIN_WAIT_2", "TIME_WAIT", "rcv FIN"},
        {"FIN_WAIT_2", "CLOSED", "FIN_WAIT_2 timeout"},
        {"CLOSE_WAIT", "LAST_ACK", "app CLOSE"},
        {"CLOSE_WAIT", "CLOSED", "rcv RST"},
        {"CLOSING", "TIME_WAIT", "rcv ACK of FIN"},
        {"CLOSING", "CLOSED", "retransmissions exhausted"},
        {"LAST_ACK", "CLOSED", "rcv ACK of FIN"},
        {"LAST_ACK", "CLOSED", "retransmissions exhausted"},
        {"TIME_WAIT", "CLOSED", "2MSL timeout"},
        {"TIME_WAIT", "CLOSED", "rcv RST"},
    };
    char line[512];
    for (size_t i = 0; i < sizeof recorded / sizeof recorded[0]; i++) {
        const char *const *r = recorded[i];
        CU_ASSERT(explain_is_known(r[0], r[1], r[2]));
        explain_transition(r[0], r[1], r[2], line, sizeof line);
        /* Each line starts with the state it leaves, names the state it
         * enters and cites a section in parentheses. */
        CU_ASSERT_EQUAL(strncmp(line, r[0], strlen(r[0])), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(line, r[1]));
        CU_ASSERT_EQUAL(line[strlen(line) - 1], ')');
    }
}

static void test_unknown_transition_gets_a_true_generic_line(void)
{
    char line[256];
    CU_ASSERT_FALSE(explain_is_known("CLOSING", "LISTEN", "cosmic ray"));
    explain_transition("CLOSING", "LISTEN", "cosmic ray", line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, "CLOSING: cosmic ray -> LISTEN (see 3.10.8 for this event)");
    explain_transition("CLOSING", "LISTEN", "rcv URG", line, sizeof line);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "3.10.7"));
}

static void test_options_are_checked(void)
{
    struct ladder_options o = LADDER_OPTIONS_DEFAULT;
    char err[256];
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_WIDTH, "10", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_WIDTH, "wide", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_WIDTH, "120", err, sizeof err), 0);
    CU_ASSERT_EQUAL(o.width, 120);
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_CONN, "all", err, sizeof err), 0);
    CU_ASSERT_EQUAL(o.conn_id, LADDER_ALL_CONNECTIONS);
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_CONN, "0", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_RUN, "-3", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_COLOR, "sometimes", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ladder_set_option(&o, LADDER_OPT_COLOR, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(o.color, LADDER_COLOR_ALWAYS);
    /* A resolved width and colour stay as given. */
    ladder_resolve_output(&o, stdout);
    CU_ASSERT_EQUAL(o.width, 120);
    CU_ASSERT_EQUAL(o.color, LADDER_COLOR_ALWAYS);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite drawing = CU_add_suite("ladder", NULL, NULL);
    CU_pSuite explain = CU_add_suite("explain", NULL, NULL);
    CU_add_test(drawing, "arrows carry the seed note's numbers",
                test_arrows_carry_the_seed_note_numbers);
    CU_add_test(drawing, "a lost segment stops at a cross; the retransmission is marked",
                test_lost_segment_stops_at_a_cross_and_retransmission_is_marked);
    CU_add_test(drawing, "--relative counts from each side's ISN",
                test_relative_numbers_count_from_each_isn);
    CU_add_test(drawing, "Unicode and colour are options", test_unicode_and_colour_are_options);
    CU_add_test(drawing, "--explain lines under transitions", test_explain_lines_under_transitions);
    CU_add_test(drawing, "a missing run or connection is an error",
                test_missing_run_or_connection_is_an_error);
    CU_add_test(drawing, "options are checked", test_options_are_checked);
    CU_add_test(explain, "every transition the TCP records is explained",
                test_explain_covers_every_transition_the_tcp_records);
    CU_add_test(explain, "an unknown transition gets a true generic line",
                test_unknown_transition_gets_a_true_generic_line);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
