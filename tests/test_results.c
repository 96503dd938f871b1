/*
 * test_results.c: the typed reader of results.h. Records written through
 * the SQLite sink come back as the same typed records (states, causes,
 * fates, flags, addresses, NULLs as "none"), the conn filter keeps a
 * connection's records and those of no connection, rows that do not parse
 * are refused with a message naming run and row, and a replay into the
 * text sink prints exactly what the live run printed. The views on a
 * database whose rows were deleted (findings of tests/fuzz/fuzz_db.c):
 * dot, compare and the ladder read a run without transitions, connections
 * or segments, and a replay ends when two tables share a record number.
 */
#include <CUnit/Basic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "dot.h"
#include "ladder.h"
#include "results.h"
#include "scenario.h"
#include "sink_sqlite.h"
#include "sink_text.h"
#include "trace.h"
#include "world.h"

#define MS(x) ((sim_time)(x) * SIM_MS)
#define CLIENT_ADDR 0x0a000001u
#define SERVER_ADDR 0x0a000002u

static char db_path[64];

/* ---- a small run written record by record ---- */

static void put_transition(struct trace *t, sim_time at, const char *host, uint64_t conn,
                           enum tcp_state from, enum tcp_state to, enum tcp_cause cause,
                           uint64_t seg_id)
{
    struct trace_transition tr = {at, host, conn, from, to, cause, seg_id};
    trace_transition(t, &tr);
}

static void put_segment(struct trace *t, uint64_t id, uint64_t conn, uint8_t flags, uint16_t mss,
                        sim_time sent, sim_time arrived, enum segment_fate fate, bool rexmit)
{
    struct segment seg = {
        .src_addr = CLIENT_ADDR, .dst_addr = SERVER_ADDR, .src_port = 40000, .dst_port = 80,
        .seq = 4000000000u, .ack = 7, .flags = flags, .wnd = 65535, .mss = mss, .len = 0,
        .id = id, .conn_id = conn, .retransmission = rexmit,
    };
    struct trace_segment ts = {.seg = &seg, .sender = "client", .receiver = "server",
                               .sent_ns = sent, .arrived_ns = arrived, .fate = fate};
    trace_segment(t, &ts);
}

/* Records 1..5: a listener's transition, a connection's, a lost SYN with
 * MSS, its retransmission (duplicated on the way), a RST of no connection. */
static void write_run(struct trace_sink *sink)
{
    struct trace t;
    trace_init(&t);
    trace_add_sink(&t, sink);
    struct trace_run_info info = {.scenario = "typed", .scenario_sha256 = "ab", .seed = 9, .rep = 3};
    CU_ASSERT_EQUAL_FATAL(trace_run_start(&t, &info, NULL), 0);
    put_transition(&t, 0, "server", 0, TCP_CLOSED, TCP_LISTEN, TCP_CAUSE_APP_LISTEN, 0);
    put_transition(&t, MS(10), "client", 1, TCP_CLOSED, TCP_SYN_SENT, TCP_CAUSE_APP_CONNECT, 0);
    put_segment(&t, 1, 1, TCP_FLAG_SYN, 1460, MS(10), -1, FATE_LOST, false);
    put_segment(&t, 2, 1, TCP_FLAG_SYN | TCP_FLAG_ACK, 0, MS(1010), MS(1060), FATE_DUPLICATED,
                true);
    put_segment(&t, 3, 0, TCP_FLAG_RST, 0, MS(2000), MS(2050), FATE_DELIVERED, false);
    struct trace_connection c = {
        .conn_id = 1, .client = "client", .server = "server", .client_addr = CLIENT_ADDR,
        .server_addr = SERVER_ADDR, .client_port = 40000, .server_port = 80,
        .client_isn = 1000, .has_client_isn = 1, .opened_ns = MS(10), .established_ns = -1,
        .closed_ns = MS(3000),
    };
    trace_connection(&t, &c);
    struct trace_run_result result = {.status = "ok", .sim_end_ns = MS(5000), .events = 42,
                                     .wall_s = 0.5};
    CU_ASSERT_EQUAL_FATAL(trace_run_end(&t, &result, NULL), 0);
}

static struct results_db *write_file_and_open(void)
{
    char err[512];
    unlink(db_path);
    struct trace_sink *sink = sink_sqlite_open(db_path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    write_run(sink);
    sink->ops->destroy(sink);
    struct results_db *db = results_open(db_path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    return db;
}

/* ---- collecting what the reader yields ---- */

struct collected {
    struct results_transition tr[8];
    struct results_segment seg[8];
    struct trace_connection conn[4];
    size_t ntr, nseg, nconn;
};

static int take_transition(void *context, const struct results_transition *t)
{
    struct collected *c = context;
    if (c->ntr < 8) {
        c->tr[c->ntr] = *t;
        c->tr[c->ntr].tr.host = NULL; /* the text lives only during the call */
        c->ntr++;
    }
    return 0;
}

static int take_segment(void *context, const struct results_segment *s)
{
    struct collected *c = context;
    if (c->nseg < 8) {
        CU_ASSERT_STRING_EQUAL(s->sender, "client");
        CU_ASSERT_STRING_EQUAL(s->receiver, "server");
        c->seg[c->nseg] = *s;
        c->seg[c->nseg].sender = c->seg[c->nseg].receiver = NULL;
        c->nseg++;
    }
    return 0;
}

static int take_connection(void *context, const struct trace_connection *tc)
{
    struct collected *c = context;
    CU_ASSERT_STRING_EQUAL(tc->client, "client");
    CU_ASSERT_STRING_EQUAL(tc->server, "server");
    if (c->nconn < 4)
        c->conn[c->nconn++] = *tc;
    return 0;
}

static void test_records_as_written(void)
{
    struct results_db *db = write_file_and_open();
    struct results_run run;
    int64_t latest = -1;
    CU_ASSERT_EQUAL(results_latest_run(db, &latest), 0);
    CU_ASSERT_EQUAL(latest, 1);
    CU_ASSERT_EQUAL(results_run(db, 2, &run), 0);
    CU_ASSERT_EQUAL_FATAL(results_run(db, 1, &run), 1);
    CU_ASSERT_STRING_EQUAL(run.scenario, "typed");
    CU_ASSERT_STRING_EQUAL(run.scenario_sha256, "ab");
    CU_ASSERT_STRING_EQUAL(run.status, "ok");
    CU_ASSERT(run.seed == 9 && run.rep == 3 && run.events == 42);
    CU_ASSERT(run.sim_end_ns == MS(5000) && run.wall_s == 0.5 && run.connection_count == 1);

    struct collected c = {0};
    CU_ASSERT_EQUAL(results_transitions(db, 1, 0, take_transition, &c), 0);
    CU_ASSERT_EQUAL_FATAL(c.ntr, 2);
    CU_ASSERT(c.tr[0].record == 1 && c.tr[0].tr.conn_id == 0 && c.tr[0].tr.to_state == TCP_LISTEN);
    CU_ASSERT(c.tr[1].record == 2 && c.tr[1].tr.t_ns == MS(10) && c.tr[1].tr.conn_id == 1);
    CU_ASSERT(c.tr[1].tr.from_state == TCP_CLOSED && c.tr[1].tr.to_state == TCP_SYN_SENT);
    CU_ASSERT(c.tr[1].tr.cause == TCP_CAUSE_APP_CONNECT && c.tr[1].tr.seg_id == 0);

    CU_ASSERT_EQUAL(results_segments(db, 1, 0, take_segment, &c), 0);
    CU_ASSERT_EQUAL_FATAL(c.nseg, 3);
    const struct results_segment *syn = &c.seg[0], *synack = &c.seg[1], *rst = &c.seg[2];
    CU_ASSERT(syn->record == 3 && syn->seg.id == 1 && syn->seg.conn_id == 1);
    CU_ASSERT(syn->seg.flags == TCP_FLAG_SYN && syn->seg.mss == 1460 && syn->fate == FATE_LOST);
    CU_ASSERT(syn->sent_ns == MS(10) && syn->arrived_ns == -1 && !syn->seg.retransmission);
    CU_ASSERT(syn->seg.src_addr == CLIENT_ADDR && syn->seg.src_port == 40000);
    CU_ASSERT(syn->seg.dst_addr == SERVER_ADDR && syn->seg.dst_port == 80);
    CU_ASSERT(syn->seg.seq == 4000000000u && syn->seg.ack == 7 && syn->seg.wnd == 65535);
    CU_ASSERT(syn->seg.data == NULL && syn->seg.len == 0);
    CU_ASSERT(synack->seg.flags == (TCP_FLAG_SYN | TCP_FLAG_ACK) && synack->seg.mss == 0);
    CU_ASSERT(synack->fate == FATE_DUPLICATED && synack->seg.retransmission);
    CU_ASSERT(synack->arrived_ns == MS(1060));
    CU_ASSERT(rst->record == 5 && rst->seg.conn_id == 0 && rst->seg.flags == TCP_FLAG_RST);

    CU_ASSERT_EQUAL(results_connections(db, 1, 0, take_connection, &c), 0);
    CU_ASSERT_EQUAL_FATAL(c.nconn, 1);
    CU_ASSERT(c.conn[0].conn_id == 1 && c.conn[0].client_addr == CLIENT_ADDR);
    CU_ASSERT(c.conn[0].server_port == 80 && c.conn[0].has_client_isn && !c.conn[0].has_server_isn);
    CU_ASSERT(c.conn[0].client_isn == 1000 && c.conn[0].established_ns == -1);
    CU_ASSERT(c.conn[0].closed_ns == MS(3000));
    CU_ASSERT_EQUAL(results_run_has_host(db, 1, "server"), 1);
    CU_ASSERT_EQUAL(results_run_has_host(db, 1, "nobody"), 0);
    results_close(db);
}

/* conn_id > 0: that connection's records and those of no connection. */
static void test_connection_filter(void)
{
    struct results_db *db = write_file_and_open();
    struct collected c = {0};
    CU_ASSERT_EQUAL(results_transitions(db, 1, 2, take_transition, &c), 0);
    CU_ASSERT_EQUAL(c.ntr, 1); /* the listener's */
    CU_ASSERT_EQUAL(results_segments(db, 1, 2, take_segment, &c), 0);
    CU_ASSERT_EQUAL_FATAL(c.nseg, 1); /* the RST of no connection */
    CU_ASSERT_EQUAL(c.seg[0].seg.id, 3);
    c.ntr = c.nseg = 0;
    CU_ASSERT_EQUAL(results_transitions(db, 1, 1, take_transition, &c), 0);
    CU_ASSERT_EQUAL(c.ntr, 2);
    CU_ASSERT(c.ntr == 2 && c.tr[0].record < c.tr[1].record);
    CU_ASSERT_EQUAL(results_segments(db, 1, 1, take_segment, &c), 0);
    CU_ASSERT_EQUAL(c.nseg, 3);
    results_close(db);
}

/* ---- rows that do not parse ---- */

static void corrupt(const char *sql)
{
    sqlite3 *raw = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(db_path, &raw), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
}

/* Writes the run, applies sql, and expects the segment read to fail with
 * message (or the transition read, when transitions). */
static void expect_refused(const char *sql, bool transitions, const char *message)
{
    struct results_db *db = write_file_and_open();
    results_close(db);
    corrupt(sql);
    char err[512];
    db = results_open(db_path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    struct collected c = {0};
    int rc = transitions ? results_transitions(db, 1, 0, take_transition, &c)
                         : results_segments(db, 1, 0, take_segment, &c);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_STRING_EQUAL(results_error(db), message);
    struct trace trace;
    trace_init(&trace);
    CU_ASSERT_EQUAL(results_replay(db, 1, &trace), -1);
    CU_ASSERT_STRING_EQUAL(results_error(db), message);
    results_close(db);
}

/* Codes no lookup table names show as '?CODE' in the views (schema
 * version 2 stores integers) and are refused like bad text. */
static void test_bad_rows_refused(void)
{
    expect_refused("UPDATE segment_rows SET fate = 9 WHERE seg_id = 2", false,
                   "run 1, segment 2: fate '?9' is not a segment fate");
    expect_refused("UPDATE segment_rows SET flags = 64 WHERE seg_id = 1", false,
                   "run 1, segment 1: flags '?64' are not TCP flags");
    expect_refused("UPDATE endpoints SET addr = 4294967296"
                   " WHERE endpoint_id = (SELECT src_end FROM segment_rows WHERE seg_id = 3)", false,
                   /* segments share their endpoints: the run's first one is refused */
                   "run 1, segment 1: endpoint '256.0.0.0:40000' or '10.0.0.2:80' is not "
                   "a.b.c.d:port");
    expect_refused("UPDATE segment_rows SET wnd = 70000 WHERE seg_id = 1", false,
                   "run 1, segment 1: seq, ack, len, wnd, mss or conn_id is out of range");
    expect_refused("UPDATE stays SET state = 99 WHERE seq = 2", true,
                   "run 1, transition 2: 'CLOSED -> ?99' is not a pair of TCP states");
    expect_refused("UPDATE stays SET cause = 99 WHERE seq = 1", true,
                   "run 1, transition 1: cause '?99' is not a cause");
}

/* ---- replay ---- */

static const char *lost_syn_scenario =
    "scenario replayed \"a lost SYN, some data, a close\"\n"
    "link delay=20ms\n"
    "host client addr=10.0.0.7 isn=300 profile=linux\n"
    "host server addr=10.0.0.8 isn=7000 profile=rfc9293\n"
    "at 0s server listen 8080\n"
    "at 10ms client connect server:8080 port=41000\n"
    "at 2s client send 3000B\n"
    "at 3s client close\n"
    "at 3.5s server close\n"
    "drop client SYN #1\n"
    "expect client path CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED\n"
    "expect at 1.5s client state SYN_SENT\n"
    "run until=10min\n";

/* The live --log of a run equals the log of its replay from the database. */
static void test_replay_equals_live_log(void)
{
    struct scenario_error serr;
    char err[512], *live = NULL, *replayed = NULL;
    size_t live_size = 0, replayed_size = 0;
    struct scenario *sc = scenario_parse_string(lost_syn_scenario, strlen(lost_syn_scenario),
                                                "test.tcpsim", &serr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    FILE *live_out = open_memstream(&live, &live_size);
    struct trace_sink *db = sink_sqlite_open(":memory:", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, sink_text_create(live_out));
    trace_add_sink(&trace, db);
    struct world_options options = {.seed = 1};
    struct world_report report;
    CU_ASSERT_EQUAL_FATAL(world_run(sc, &options, &trace, &report), 0);
    fclose(live_out);

    struct results_db *reader = sink_sqlite_reader(db, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reader);
    FILE *replay_out = open_memstream(&replayed, &replayed_size);
    struct trace replay;
    trace_init(&replay);
    trace_add_sink(&replay, sink_text_create(replay_out));
    CU_ASSERT_EQUAL(results_replay(reader, sink_sqlite_last_run_id(db), &replay), 0);
    fclose(replay_out);
    CU_ASSERT(live_size > 500); /* transitions, segments and expectations were logged */
    CU_ASSERT_PTR_NOT_NULL(strstr(live, ": passed ("));
    CU_ASSERT_STRING_EQUAL(replayed, live);
    CU_ASSERT_EQUAL(results_replay(reader, 99, &replay), -1);
    CU_ASSERT_STRING_EQUAL(results_error(reader), "no run 99");

    results_close(reader);
    trace_destroy_sinks(&replay);
    trace_destroy_sinks(&trace);
    scenario_free(sc);
    free(live);
    free(replayed);
}

/* ---- views on rows deleted (fuzz_db findings; the sanitizer build sees
 * qsort and bsearch given NULL) ---- */

static void test_dot_of_a_run_without_transitions(void)
{
    results_close(write_file_and_open());
    corrupt("DELETE FROM stays");
    char err[512] = "";
    struct results_db *db = results_open(db_path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    char *out_path = "/tmp/test_results_dot.dot";
    struct dot_options o = {.run_id = 1, .out_path = out_path};
    CU_ASSERT_EQUAL(dot_write(db, &o, err, sizeof err), DOT_OK);
    o.all_states = true;
    CU_ASSERT_EQUAL(dot_write(db, &o, err, sizeof err), DOT_OK);
    FILE *dot = fopen(out_path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, dot);
    text[n] = '\0';
    fclose(dot);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "digraph")); /* the RFC's diagram, every state grey */
    unlink(out_path);
    results_close(db);
}

static void test_compare_of_a_run_without_connections(void)
{
    results_close(write_file_and_open());
    corrupt("DELETE FROM connection_rows");
    char err[512] = "", *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    enum compare_result r = compare_runs(db_path, db_path, &o, out, err, sizeof err);
    fclose(out);
    /* Its segments name a connection the run no longer lists: nothing to align. */
    CU_ASSERT_EQUAL(r, COMPARE_EQUIVALENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "run 1: scenario typed, stack tcpsim"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "0 connection(s)"));
    CU_ASSERT_STRING_EQUAL(err, "");
    free(text);
}

/* Two tables claiming one record number (a damaged file): the replay
 * still takes every row once and ends (it looped forever: fuzz_db). */
static void test_replay_of_a_tied_record_number_ends(void)
{
    results_close(write_file_and_open());
    corrupt("UPDATE segment_rows SET trace_seq = 2 WHERE seg_id = 3");
    char err[512] = "", *text = NULL;
    size_t size = 0;
    struct results_db *db = results_open(db_path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    FILE *out = open_memstream(&text, &size);
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, sink_text_create(out));
    CU_ASSERT_EQUAL(results_replay(db, 1, &trace), 0);
    trace_destroy_sinks(&trace);
    fclose(out);
    const char *rst = strstr(text, " RST ");
    CU_ASSERT_PTR_NOT_NULL(rst);
    CU_ASSERT_PTR_NULL(rst ? strstr(rst + 1, " RST ") : NULL); /* once */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "CLOSED -> LISTEN"));
    free(text);
    results_close(db);
}

/* A run of transitions only (fuzz_run: `time_wait` at the maximum and no
 * segment sent): the ladder draws the states and no arrow. */
static void test_ladder_of_a_run_without_segments(void)
{
    results_close(write_file_and_open());
    corrupt("DELETE FROM segment_rows");
    char err[512] = "", *text = NULL;
    size_t size = 0;
    struct results_db *db = results_open(db_path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    FILE *out = open_memstream(&text, &size);
    struct ladder_options o = LADDER_OPTIONS_DEFAULT;
    o.conn_id = LADDER_ALL_CONNECTIONS;
    CU_ASSERT_EQUAL(ladder_render(db, &o, out, err, sizeof err), 0);
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "SYN_SENT"));
    free(text);
    results_close(db);
}

int main(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/test_results.%ld.db", (long)getpid());
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite s = CU_add_suite("results", NULL, NULL);
    CU_add_test(s, "typed records are what was written", test_records_as_written);
    CU_add_test(s, "a connection's records and those of none", test_connection_filter);
    CU_add_test(s, "rows that do not parse are refused", test_bad_rows_refused);
    CU_add_test(s, "a replay logs what the live run logged", test_replay_equals_live_log);
    CU_add_test(s, "dot of a run without transitions", test_dot_of_a_run_without_transitions);
    CU_add_test(s, "compare of a run without connections", test_compare_of_a_run_without_connections);
    CU_add_test(s, "a replay of a tied record number ends", test_replay_of_a_tied_record_number_ends);
    CU_add_test(s, "ladder of a run without segments", test_ladder_of_a_run_without_segments);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    unlink(db_path);
    return failures ? 1 : 0;
}
