/*
 * test_ladder.c: the ladder diagram drawn from a run recorded in an
 * in-memory database (the path `tcpsim run --ladder --no-db` takes): the
 * seed note's numbers on the arrows, a lost SYN ending at a cross, the
 * retransmission marked, relative numbering from the ISNs, the width kept;
 * the --explain table covering every transition the TCP can make (the
 * table of src/tcp/tcp_state.c, which tcp_set_state enforces); and the
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
#include "tcp_internal.h"
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

/* Each line starts with the state it leaves, names the state it enters and
 * cites a section in parentheses. */
static void assert_explained(enum tcp_state from, enum tcp_state to, enum tcp_cause cause)
{
    char line[512];
    const char *from_name = tcp_state_name(from);
    CU_ASSERT(explain_is_known(from, to, cause));
    if (!explain_is_known(from, to, cause))
        fprintf(stderr, "no --explain line for %s -> %s (%s)\n", from_name, tcp_state_name(to),
                tcp_cause_name(cause));
    explain_transition(from, to, cause, line, sizeof line);
    CU_ASSERT_EQUAL(strncmp(line, from_name, strlen(from_name)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, tcp_state_name(to)));
    CU_ASSERT_EQUAL(line[strlen(line) - 1], ')');
}

/* Every (from, to, cause) the TCP can record: the table tcp_set_state
 * checks each transition against (src/tcp/tcp_state.c). */
static void test_explain_covers_every_transition_the_tcp_makes(void)
{
    int legal = 0;
    for (int from = 0; from < TCP_STATE_COUNT; from++)
        for (int to = 0; to < TCP_STATE_COUNT; to++)
            for (int cause = 0; cause < TCP_CAUSE_COUNT; cause++)
                if (tcp_transition_is_legal(from, to, cause)) {
                    assert_explained(from, to, cause);
                    legal++;
                }
    CU_ASSERT(legal > 0);
}

/* A cause added to tcp_base.h but not to the TCP's table would escape the
 * test above: every cause the simulator's TCP uses (all but NONE, and
 * KERNEL, which only the real stack records) ends some transition. */
static bool cause_is_used(enum tcp_cause cause)
{
    for (int from = 0; from < TCP_STATE_COUNT; from++)
        for (int to = 0; to < TCP_STATE_COUNT; to++)
            if (tcp_transition_is_legal(from, to, cause))
                return true;
    return false;
}

static void test_every_cause_is_in_the_tcp_table(void)
{
    for (int cause = 0; cause < TCP_CAUSE_COUNT; cause++) {
        bool used = cause_is_used(cause);
        CU_ASSERT(used == (cause != TCP_CAUSE_NONE && cause != TCP_CAUSE_KERNEL));
        if (used != (cause != TCP_CAUSE_NONE && cause != TCP_CAUSE_KERNEL))
            fprintf(stderr, "cause %d (%s) and the TCP's table disagree\n", cause,
                    tcp_cause_name(cause) ? tcp_cause_name(cause) : "none");
    }
}

static void test_unknown_transition_gets_a_true_generic_line(void)
{
    char line[256];
    CU_ASSERT_FALSE(explain_is_known(TCP_CLOSING, TCP_LISTEN, TCP_CAUSE_KERNEL));
    explain_transition(TCP_CLOSING, TCP_LISTEN, TCP_CAUSE_KERNEL, line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, "CLOSING: kernel -> LISTEN (see 3.10.8 for this event)");
    explain_transition(TCP_CLOSING, TCP_LISTEN, TCP_CAUSE_RCV_FIN, line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, "CLOSING: rcv FIN -> LISTEN (see 3.10.7 for this event)");
    explain_transition(TCP_CLOSING, TCP_LISTEN, TCP_CAUSE_NONE, line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, "CLOSING: an event -> LISTEN (see 3.10 for this event)");
}

/* Four segments sent at once each way and a 5% loss (lossy-link's
 * workload): at every width, with and without --explain and --compact,
 * no arrow meets a label or an explanation and no label is written over
 * another. */
static const char *burst_scenario =
    "scenario burst \"data and FIN in flight together\"\n"
    "link delay=50ms loss=5%\n"
    "host client addr=10.0.0.1 profile=linux\n"
    "host server addr=10.0.0.2 profile=linux\n"
    "workload client->server:80 count=20 interval=1s arrivals=fixed size=2000B"
    " server_close=after-fin\n"
    "run until=10min\n";

static void test_no_text_meets_an_arrow(void)
{
    static const int widths[] = {LADDER_MIN_WIDTH, 80, 100, 160};
    char err[256];
    struct trace_sink *db = record(burst_scenario);
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
        for (int variant = 0; variant < 8; variant++) {
            long collisions = -1;
            struct ladder_options o = ascii_options(widths[w]);
            o.explain = variant & 1;
            o.conn_id = variant & 2 ? LADDER_ALL_CONNECTIONS : 19;
            o.compact = variant & 4;
            o.collisions = &collisions;
            char *text = render(db, o, err, sizeof err);
            CU_ASSERT_PTR_NOT_NULL_FATAL(text);
            CU_ASSERT_EQUAL(collisions, 0);
            if (collisions != 0)
                fprintf(stderr, "width %d, variant %d: %ld collisions\n%s", widths[w], variant,
                        collisions, text);
            free(text);
        }
    db->ops->destroy(db);
}

/* The lines for segments that change no state, from the pattern on the
 * wire; ordinary segments get none. */
static void test_explain_segments_that_change_no_state(void)
{
    char why[512];
    struct explain_segment re_ack = {.state = TCP_TIME_WAIT, .flags = TCP_FLAG_ACK,
                                     .answers = true, .answered_flags = TCP_FLAG_FIN | TCP_FLAG_ACK};
    CU_ASSERT(explain_segment_sent(&re_ack, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "TIME_WAIT: the peer's FIN came again"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "restart the 2MSL timer"));
    re_ack.answered_changed_state = true; /* the first FIN: the transition explains it */
    CU_ASSERT_FALSE(explain_segment_sent(&re_ack, why, sizeof why));

    struct explain_segment challenge = {.state = TCP_ESTABLISHED, .flags = TCP_FLAG_ACK,
                                        .answers = true, .answered_flags = TCP_FLAG_SYN};
    CU_ASSERT(explain_segment_sent(&challenge, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "challenge ACK"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "RFC 5961 4.2"));
    challenge.answered_flags = TCP_FLAG_RST;
    CU_ASSERT(explain_segment_sent(&challenge, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "RFC 5961 3.2"));

    struct explain_segment dup_syn = {.state = TCP_SYN_RECEIVED,
                                      .flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .answers = true,
                                      .answered_flags = TCP_FLAG_SYN};
    CU_ASSERT(explain_segment_sent(&dup_syn, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "SYN_RECEIVED: the peer's SYN came again"));

    struct explain_segment probe = {.state = TCP_ESTABLISHED, .flags = TCP_FLAG_ACK, .len = 1,
                                    .peer_window_zero = true};
    CU_ASSERT(explain_segment_sent(&probe, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "window probe"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "3.8.6.1"));

    struct explain_segment data = {.state = TCP_ESTABLISHED, .flags = TCP_FLAG_ACK, .len = 1460};
    CU_ASSERT_FALSE(explain_segment_sent(&data, why, sizeof why));

    struct explain_segment rst = {.state = TCP_ESTABLISHED, .flags = TCP_FLAG_RST};
    CU_ASSERT(explain_segment_arrived(&rst, why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "ESTABLISHED: the RST changes nothing"));
    rst.answered_changed_state = true; /* it reset the connection */
    CU_ASSERT_FALSE(explain_segment_arrived(&rst, why, sizeof why));
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
    CU_add_test(drawing, "no text meets an arrow", test_no_text_meets_an_arrow);
    CU_add_test(explain, "segments that change no state are explained",
                test_explain_segments_that_change_no_state);
    CU_add_test(explain, "every transition the TCP makes is explained",
                test_explain_covers_every_transition_the_tcp_makes);
    CU_add_test(explain, "every cause is in the TCP's table of transitions",
                test_every_cause_is_in_the_tcp_table);
    CU_add_test(explain, "an unknown transition gets a true generic line",
                test_unknown_transition_gets_a_true_generic_line);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
