/*
 * test_sinks.c: the results database and the capture file, fed synthetic
 * runs through the trace interface and read back with the tools a user has
 * (the sqlite3 API, libpcap, and tshark when it is installed).
 */
#define _DEFAULT_SOURCE /* libpcap's headers use u_int and u_char */

#include <CUnit/Basic.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <sqlite3.h>

#include "segment.h"
#include "sink_pcap.h"
#include "sink_sqlite.h"
#include "trace.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define MS(x) ((sim_time)(x) * SIM_MS)
#define CLIENT_ADDR 0x0a000001u /* 10.0.0.1 */
#define SERVER_ADDR 0x0a000002u /* 10.0.0.2 */

static char tmpdir[64];

/* A path inside this run's private temporary directory. */
static const char *tmp_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

/* ---- files ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            char *grown = realloc(data, cap);
            if (!grown)
                break;
            data = grown;
        }
        size_t n = fread(data + *len, 1, cap - *len, f);
        if (n == 0)
            break;
        *len += n;
    }
    fclose(f);
    if (data && *len < cap)
        data[*len] = '\0'; /* always room: the loop grows before the read that ends it */
    return data;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
    fclose(f);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static bool same_file_contents(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *da = read_file(a, &la), *db = read_file(b, &lb);
    bool same = da && db && la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return same;
}

/* ---- a synthetic run fed through the trace ---- */

struct feed {
    struct trace trace;
    uint64_t next_seg_id;
};

static void feed_transition(struct feed *f, sim_time t, const char *host, uint64_t conn,
                            const char *from, const char *to, const char *cause, uint64_t seg_id)
{
    /* The test writes states and causes by name, as the database shows them. */
    struct trace_transition tr = {t,
                                  host,
                                  conn,
                                  (enum tcp_state)tcp_state_from_name(from),
                                  (enum tcp_state)tcp_state_from_name(to),
                                  cause ? (enum tcp_cause)tcp_cause_from_name(cause) : TCP_CAUSE_NONE,
                                  seg_id};
    trace_transition(&f->trace, &tr);
}

/* Reports one segment and returns its id. delay < 0: it never arrived. */
static uint64_t feed_segment_full(struct feed *f, bool from_client, sim_time sent, sim_time delay,
                                  uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len,
                                  const uint8_t *data, uint16_t mss, enum segment_fate fate,
                                  bool retransmission)
{
    struct segment seg = {0};
    seg.src_addr = from_client ? CLIENT_ADDR : SERVER_ADDR;
    seg.dst_addr = from_client ? SERVER_ADDR : CLIENT_ADDR;
    seg.src_port = from_client ? 40000 : 80;
    seg.dst_port = from_client ? 80 : 40000;
    seg.seq = seq;
    seg.ack = ack;
    seg.flags = flags;
    seg.wnd = 65535;
    seg.mss = mss;
    seg.len = len;
    seg.data = data;
    seg.id = fate == FATE_DUPLICATED ? f->next_seg_id - 1 : f->next_seg_id++;
    seg.conn_id = 1;
    seg.retransmission = retransmission;
    struct trace_segment ts = {&seg, from_client ? "client" : "server",
                               from_client ? "server" : "client", sent,
                               delay < 0 ? -1 : sent + delay, fate, 0};
    trace_segment(&f->trace, &ts);
    return seg.id;
}

static uint64_t feed_segment(struct feed *f, bool from_client, sim_time sent, sim_time delay,
                             uint8_t flags, uint32_t seq, uint32_t ack, enum segment_fate fate,
                             bool retransmission)
{
    uint16_t mss = (flags & TCP_FLAG_SYN) ? 1460 : 0;
    return feed_segment_full(f, from_client, sent, delay, flags, seq, ack, 0, NULL, mss, fate,
                             retransmission);
}

static void feed_connection(struct feed *f, sim_time opened, sim_time established, sim_time closed)
{
    struct trace_connection c = {
        .conn_id = 1, .client = "client", .server = "server",
        .client_addr = CLIENT_ADDR, .server_addr = SERVER_ADDR,
        .client_port = 40000, .server_port = 80,
        .client_isn = 1000, .server_isn = 5000, .has_client_isn = 1, .has_server_isn = 1,
        .opened_ns = opened, .established_ns = established, .closed_ns = closed,
    };
    trace_connection(&f->trace, &c);
}

static const struct trace_param sweep_params[] = {
    {"link.loss", "0.05"},
    {"client.rto_initial", "3s"},
};

static int feed_run_start(struct feed *f, const char *scenario, uint64_t seed, uint32_t rep,
                          const struct trace_param *params, size_t param_count)
{
    struct trace_run_info run = {scenario, "e3b0c44298fc1c149afbf4c8996fb924", seed, rep,
                                 params, param_count, NULL};
    f->next_seg_id = 1;
    return trace_run_start(&f->trace, &run, NULL);
}

/* The three-way handshake over a 50 ms link (RFC 9293 section 3.5, figure
 * 6), the connection record arriving after its transitions, as the world
 * reports it. Ends at 1 s. */
static void feed_handshake_records(struct feed *f)
{
    feed_transition(f, 0, "server", 0, "CLOSED", "LISTEN", "app LISTEN", 0);
    feed_transition(f, MS(10), "client", 1, "CLOSED", "SYN_SENT", "app CONNECT", 0);
    uint64_t syn = feed_segment(f, true, MS(10), MS(50), TCP_FLAG_SYN, 1000, 0, FATE_DELIVERED, false);
    feed_transition(f, MS(60), "server", 1, "LISTEN", "SYN_RECEIVED", "rcv SYN", syn);
    uint64_t synack = feed_segment(f, false, MS(60), MS(50), TCP_FLAG_SYN | TCP_FLAG_ACK, 5000,
                                   1001, FATE_DELIVERED, false);
    feed_transition(f, MS(110), "client", 1, "SYN_SENT", "ESTABLISHED", "rcv SYN|ACK", synack);
    uint64_t ack = feed_segment(f, true, MS(110), MS(50), TCP_FLAG_ACK, 1001, 5001,
                                FATE_DELIVERED, false);
    feed_transition(f, MS(160), "server", 1, "SYN_RECEIVED", "ESTABLISHED", "rcv ACK of SYN", ack);
    feed_connection(f, MS(10), MS(110), -1);
    struct trace_expectation pass = {"client path CLOSED SYN_SENT ESTABLISHED", 1, "as expected"};
    struct trace_expectation fail = {"at 0.5s client state CLOSED", 0,
                                     "expected CLOSED, was ESTABLISHED"};
    trace_expectation(&f->trace, &pass);
    trace_expectation(&f->trace, &fail);
}

static int feed_run_end(struct feed *f, sim_time end, double wall_s)
{
    struct trace_run_result result = {.status = "ok", .sim_end_ns = end, .events = 42,
                                     .wall_s = wall_s};
    return trace_run_end(&f->trace, &result, NULL);
}

/* A handshake whose first SYN is lost: the client retransmits it after
 * 1 s; the connection closes at 3 s and the client waits in TIME_WAIT. */
static void feed_lost_syn_records(struct feed *f)
{
    feed_transition(f, 0, "server", 0, "CLOSED", "LISTEN", "app LISTEN", 0);
    feed_transition(f, MS(10), "client", 1, "CLOSED", "SYN_SENT", "app CONNECT", 0);
    feed_segment(f, true, MS(10), -1, TCP_FLAG_SYN, 1000, 0, FATE_LOST, false);
    uint64_t syn = feed_segment(f, true, MS(1010), MS(50), TCP_FLAG_SYN, 1000, 0,
                                FATE_DELIVERED, true);
    feed_transition(f, MS(1060), "server", 1, "LISTEN", "SYN_RECEIVED", "rcv SYN", syn);
    uint64_t synack = feed_segment(f, false, MS(1060), MS(50), TCP_FLAG_SYN | TCP_FLAG_ACK, 5000,
                                   1001, FATE_DELIVERED, false);
    feed_transition(f, MS(1110), "client", 1, "SYN_SENT", "ESTABLISHED", "rcv SYN|ACK", synack);
    feed_segment(f, true, MS(1110), MS(50), TCP_FLAG_ACK, 1001, 5001, FATE_DELIVERED, false);
    feed_segment(f, true, MS(1110), MS(60), TCP_FLAG_ACK, 1001, 5001, FATE_DUPLICATED, false);
    feed_transition(f, MS(3000), "client", 1, "ESTABLISHED", "FIN_WAIT_1", "app CLOSE", 0);
    feed_segment(f, true, MS(3000), -1, TCP_FLAG_FIN | TCP_FLAG_ACK, 1001, 5001, FATE_DROPPED,
                 false);
    feed_connection(f, MS(10), MS(1110), -1);
}

static void feed_init(struct feed *f, struct trace_sink *sink)
{
    trace_init(&f->trace);
    CU_ASSERT_EQUAL_FATAL(trace_add_sink(&f->trace, sink), 0);
}

/* Opens path, records the handshake run, closes. Returns the run id. */
static int64_t record_handshake(const char *path, double wall_s)
{
    char err[256];
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "handshake", 7, 0, sweep_params, 2), 0);
    feed_handshake_records(&f);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, wall_s), 0);
    int64_t run_id = sink_sqlite_last_run_id(sink);
    trace_destroy_sinks(&f.trace);
    return run_id;
}

/* ---- reading a database back with the sqlite3 API ---- */

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

/* The first column of the first row as integer; -999 when there is none,
 * -998 when it is NULL. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t value = -999;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "\nSQL error: %s in %s\n", sqlite3_errmsg(db), sql);
        return value;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_type(st, 0) == SQLITE_NULL ? -998 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return value;
}

/* Every row of every column of a query as text, one line per row. */
static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    if (!out || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        free(out);
        return NULL;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "|" : "", v ? v : "NULL");
        }
        len += (size_t)snprintf(out + len, cap - len, "\n");
        if (len >= cap - 1024)
            break;
    }
    sqlite3_finalize(st);
    return out;
}

static void assert_query_text(sqlite3 *db, const char *sql, const char *expected)
{
    char *text = query_text(db, sql);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    if (strcmp(text, expected) != 0)
        fprintf(stderr, "\n%s\n got:\n%s expected:\n%s", sql, text, expected);
    CU_ASSERT_STRING_EQUAL(text, expected);
    free(text);
}

/* Collects rows of sink_sqlite_query as "name=value ..." lines. */
struct row_collector {
    char text[1024];
};

static int collect_row(void *context, int n, const char *const *values, const char *const *names)
{
    struct row_collector *c = context;
    size_t len = strlen(c->text);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(c->text + len, sizeof c->text - len, "%s%s=%s", i ? " " : "",
                                names[i], values[i] ? values[i] : "NULL");
    snprintf(c->text + len, sizeof c->text - len, "\n");
    return 0;
}

/* ---- SQLite sink: rows ---- */

static void test_sqlite_handshake_rows(void)
{
    char path[128];
    tmp_path("rows.db", path, sizeof path);
    CU_ASSERT_EQUAL(record_handshake(path, 0.25), 1);
    sqlite3 *db = open_db(path);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA application_id"), SINK_SQLITE_APPLICATION_ID);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA user_version"), SINK_SQLITE_SCHEMA_VERSION);
    assert_query_text(db,
                      "SELECT run_id, scenario, seed, rep, params, status, sim_end_ns, events,"
                      " wall_s FROM runs",
                      "1|handshake|7|0|{\"link.loss\":\"0.05\",\"client.rto_initial\":\"3s\"}|ok|"
                      "1000000000|42|0.25\n");
    assert_query_text(db, "SELECT key, value FROM run_params ORDER BY key",
                      "client.rto_initial|3s\nlink.loss|0.05\n");
    assert_query_text(db, "SELECT * FROM connections",
                      "1|1|client|10.0.0.1|40000|server|10.0.0.2|80|1000|5000|10000000|110000000|"
                      "NULL\n");
    assert_query_text(db, "SELECT * FROM transitions ORDER BY seq",
                      "1|1|0|server|NULL|CLOSED|LISTEN|app LISTEN|NULL\n"
                      "1|2|10000000|client|1|CLOSED|SYN_SENT|app CONNECT|NULL\n"
                      "1|4|60000000|server|1|LISTEN|SYN_RECEIVED|rcv SYN|1\n"
                      "1|6|110000000|client|1|SYN_SENT|ESTABLISHED|rcv SYN|ACK|2\n"
                      "1|8|160000000|server|1|SYN_RECEIVED|ESTABLISHED|rcv ACK of SYN|3\n");
    assert_query_text(db, "SELECT * FROM segments ORDER BY seg_id",
                      "1|1|1|client|server|10.0.0.1:40000|10.0.0.2:80|10000000|60000000|SYN|1000|0|"
                      "0|65535|1460|delivered|0|3|0|NULL|mss=1460\n"
                      "1|2|1|server|client|10.0.0.2:80|10.0.0.1:40000|60000000|110000000|SYN|ACK|"
                      "5000|1001|0|65535|1460|delivered|0|5|0|NULL|mss=1460\n"
                      "1|3|1|client|server|10.0.0.1:40000|10.0.0.2:80|110000000|160000000|ACK|1001|"
                      "5001|0|65535|NULL|delivered|0|7|0|NULL|NULL\n");
    assert_query_text(db, "SELECT * FROM expectations ORDER BY seq",
                      "1|1|client path CLOSED SYN_SENT ESTABLISHED|1|as expected\n"
                      "1|2|at 0.5s client state CLOSED|0|expected CLOSED, was ESTABLISHED\n");
    sqlite3_close(db);
}

/* NULL means "none": listener connection, no trigger, never arrived,
 * never established, never closed, no ISN. */
static void test_sqlite_nulls(void)
{
    char path[128], err[256];
    tmp_path("nulls.db", path, sizeof path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "nulls", 1, 0, NULL, 0), 0);
    feed_segment(&f, true, MS(10), -1, TCP_FLAG_SYN, 1000, 0, FATE_LOST, false);
    struct trace_connection c = {
        .conn_id = 1, .client = "client", .server = "server",
        .client_addr = CLIENT_ADDR, .server_addr = SERVER_ADDR,
        .client_port = 40000, .server_port = 80,
        .client_isn = 1000, .has_client_isn = 1, /* the server never answered */
        .opened_ns = MS(10), .established_ns = -1, .closed_ns = -1,
    };
    trace_connection(&f.trace, &c);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    trace_destroy_sinks(&f.trace);

    sqlite3 *db = open_db(path);
    CU_ASSERT_EQUAL(query_int(db, "SELECT arrived_ns FROM segments"), -998);
    CU_ASSERT_EQUAL(query_int(db, "SELECT fate = 'lost' FROM segments"), 1);
    CU_ASSERT_EQUAL(query_int(db, "SELECT server_isn FROM connections"), -998);
    CU_ASSERT_EQUAL(query_int(db, "SELECT established_ns FROM connections"), -998);
    CU_ASSERT_EQUAL(query_int(db, "SELECT closed_ns FROM connections"), -998);
    CU_ASSERT_EQUAL(query_int(db, "SELECT latency_ms FROM handshake_latency"), -998);
    CU_ASSERT_EQUAL(query_int(db, "SELECT params = '{}' FROM runs"), 1);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM run_params"), 0);
    sqlite3_close(db);
}

/* seq and ack are unsigned 32-bit: 4294967295 stays positive. */
static void test_sqlite_sequence_numbers_unsigned(void)
{
    char err[256];
    struct trace_sink *sink = sink_sqlite_open(":memory:", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "wrap", 1, 0, NULL, 0), 0);
    feed_segment(&f, true, 0, MS(1), TCP_FLAG_ACK, UINT32_MAX, 0x80000000u, FATE_DELIVERED, false);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    int64_t run = sink_sqlite_last_run_id(sink);
    CU_ASSERT_EQUAL(run, 1);
    struct row_collector rows = {""};
    CU_ASSERT_EQUAL(sink_sqlite_query(sink, "SELECT seq, ack FROM segments WHERE run_id = ?1", &run,
                                      1, collect_row, &rows, err, sizeof err),
                    0);
    CU_ASSERT_STRING_EQUAL(rows.text, "seq=4294967295 ack=2147483648\n");
    trace_destroy_sinks(&f.trace);
}

/* ---- SQLite sink: views ---- */

static void test_sqlite_view_handshake_latency(void)
{
    char path[128];
    tmp_path("latency.db", path, sizeof path);
    record_handshake(path, 0);
    sqlite3 *db = open_db(path);
    assert_query_text(db, "SELECT * FROM handshake_latency",
                      "1|1|client|server|10.0|110.0|100.0|0\n");
    sqlite3_close(db);
}

static void test_sqlite_view_state_durations(void)
{
    char path[128];
    tmp_path("durations.db", path, sizeof path);
    record_handshake(path, 0);
    sqlite3 *db = open_db(path);
    assert_query_text(db,
                      "SELECT host, conn_id, state, entered_ms, left_ms, duration_ms, open_at_end"
                      " FROM state_durations ORDER BY host, conn_id, entered_ms",
                      "client|1|SYN_SENT|10.0|110.0|100.0|0\n"
                      "client|1|ESTABLISHED|110.0|1000.0|890.0|1\n"
                      "server|NULL|LISTEN|0.0|1000.0|1000.0|1\n"
                      "server|1|SYN_RECEIVED|60.0|160.0|100.0|0\n"
                      "server|1|ESTABLISHED|160.0|1000.0|840.0|1\n");
    assert_query_text(db,
                      "SELECT host, state, visits, total_ms, mean_ms FROM time_in_state"
                      " ORDER BY host, state",
                      "client|ESTABLISHED|1|890.0|890.0\n"
                      "client|SYN_SENT|1|100.0|100.0\n"
                      "server|ESTABLISHED|1|840.0|840.0\n"
                      "server|LISTEN|1|1000.0|1000.0\n"
                      "server|SYN_RECEIVED|1|100.0|100.0\n");
    sqlite3_close(db);
}

/* A final CLOSED is no connection, not a stay; ties at equal times keep
 * the order in which the transitions were reported. */
static void test_sqlite_view_state_durations_ties_and_closed(void)
{
    char path[128], err[256];
    tmp_path("ties.db", path, sizeof path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "ties", 1, 0, NULL, 0), 0);
    feed_transition(&f, MS(5), "client", 2, "CLOSED", "SYN_SENT", "app CONNECT", 0);
    feed_transition(&f, MS(5), "client", 2, "SYN_SENT", "CLOSED", "app ABORT", 0);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    trace_destroy_sinks(&f.trace);
    sqlite3 *db = open_db(path);
    assert_query_text(db, "SELECT state, entered_ms, left_ms, duration_ms FROM state_durations",
                      "SYN_SENT|5.0|5.0|0.0\n");
    sqlite3_close(db);
}

static void test_sqlite_view_timeline_order(void)
{
    char path[128];
    tmp_path("timeline.db", path, sizeof path);
    record_handshake(path, 0);
    sqlite3 *db = open_db(path);
    assert_query_text(db, "SELECT step, t_ms, kind, host, conn_id, seg_id FROM timeline",
                      "1|0.0|transition|server|NULL|NULL\n"
                      "2|10.0|transition|client|1|NULL\n"
                      "3|10.0|send|client|1|1\n"
                      "4|60.0|arrive|server|1|1\n"
                      "5|60.0|transition|server|1|1\n"
                      "6|60.0|send|server|1|2\n"
                      "7|110.0|arrive|client|1|2\n"
                      "8|110.0|transition|client|1|2\n"
                      "9|110.0|send|client|1|3\n"
                      "10|160.0|arrive|server|1|3\n"
                      "11|160.0|transition|server|1|3\n");
    assert_query_text(db, "SELECT description FROM timeline WHERE step IN (3, 4, 5)",
                      "SYN seq=1000 ack=0 len=0 wnd=65535 to server [delivered]\n"
                      "SYN seq=1000 ack=0 len=0 wnd=65535 from client\n"
                      "LISTEN -> SYN_RECEIVED (rcv SYN)\n");
    sqlite3_close(db);
}

/* Over a zero-delay link a segment arrives at the instant it was sent:
 * still after its send, and before the transition it triggers. */
static void test_sqlite_view_timeline_zero_delay(void)
{
    char err[256];
    struct trace_sink *sink = sink_sqlite_open(":memory:", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "zero-delay", 1, 0, NULL, 0), 0);
    feed_transition(&f, MS(10), "client", 1, "CLOSED", "SYN_SENT", "app CONNECT", 0);
    uint64_t syn = feed_segment(&f, true, MS(10), 0, TCP_FLAG_SYN, 1000, 0, FATE_DELIVERED, false);
    feed_transition(&f, MS(10), "server", 1, "LISTEN", "SYN_RECEIVED", "rcv SYN", syn);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    struct row_collector rows = {""};
    CU_ASSERT_EQUAL(sink_sqlite_query(sink, "SELECT step, kind, host FROM timeline", NULL, 0,
                                      collect_row, &rows, err, sizeof err),
                    0);
    CU_ASSERT_STRING_EQUAL(rows.text, "step=1 kind=transition host=client\n"
                                      "step=2 kind=send host=client\n"
                                      "step=3 kind=arrive host=server\n"
                                      "step=4 kind=transition host=server\n");
    trace_destroy_sinks(&f.trace);
}

static void test_sqlite_views_loss_and_summary(void)
{
    char path[128], err[256];
    tmp_path("lost.db", path, sizeof path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "lost-syn", 3, 1, NULL, 0), 0);
    feed_lost_syn_records(&f);
    CU_ASSERT_EQUAL(feed_run_end(&f, MS(5000), 0), 0);
    trace_destroy_sinks(&f.trace);

    sqlite3 *db = open_db(path);
    assert_query_text(db, "SELECT latency_ms, syn_retransmissions FROM handshake_latency",
                      "1100.0|1\n");
    assert_query_text(db, "SELECT seg_id, flags, sent_ms, fate FROM lost_segments ORDER BY seg_id",
                      "1|SYN|10.0|lost\n5|FIN|ACK|3000.0|dropped\n");
    assert_query_text(db, "SELECT seg_id, flags, sent_ms, arrived_ms FROM retransmitted_segments",
                      "2|SYN|1010.0|1060.0\n");
    assert_query_text(db, "SELECT * FROM run_summary",
                      "1|lost-syn|3|1|ok|1|1|1100.0|5|1|2|{}\n");
    /* The client's ESTABLISHED stay ends at the CLOSE; FIN_WAIT_1 lasts to the end. */
    assert_query_text(db,
                      "SELECT state, duration_ms FROM state_durations WHERE host = 'client'"
                      " ORDER BY entered_ms",
                      "SYN_SENT|1100.0\nESTABLISHED|1890.0\nFIN_WAIT_1|2000.0\n");
    /* The link's extra copy of the ACK only arrives. */
    assert_query_text(db, "SELECT t_ms, kind, host, description FROM timeline WHERE seg_id = 4",
                      "1110.0|send|client|ACK seq=1001 ack=5001 len=0 wnd=65535 to server "
                      "[delivered]\n"
                      "1160.0|arrive|server|ACK seq=1001 ack=5001 len=0 wnd=65535 from client\n"
                      "1170.0|arrive|server|ACK seq=1001 ack=5001 len=0 wnd=65535 from client "
                      "[duplicate]\n");
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM segments WHERE seg_id = 4"), 2);
    sqlite3_close(db);
}

/* ---- SQLite sink: runs, transactions, files ---- */

static void test_sqlite_append_gives_run_ids_1_and_2(void)
{
    char path[128];
    tmp_path("append.db", path, sizeof path);
    CU_ASSERT_EQUAL(record_handshake(path, 0), 1);
    CU_ASSERT_EQUAL(record_handshake(path, 0), 2);
    sqlite3 *db = open_db(path);
    assert_query_text(db, "SELECT run_id, count(*) FROM transitions GROUP BY run_id",
                      "1|5\n2|5\n");
    assert_query_text(db, "SELECT run_id, latency_ms FROM handshake_latency ORDER BY run_id",
                      "1|100.0\n2|100.0\n");
    sqlite3_close(db);
}

static void assert_database_empty(const char *path)
{
    sqlite3 *db = open_db(path);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM runs"), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM run_params"), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM connections"), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM transitions"), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM segments"), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM expectations"), 0);
    sqlite3_close(db);
}

static void test_sqlite_abort_leaves_no_rows(void)
{
    char path[128], err[256];
    tmp_path("abort.db", path, sizeof path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "handshake", 7, 0, sweep_params, 2), 0);
    feed_handshake_records(&f);
    trace_run_abort(&f.trace);
    CU_ASSERT_EQUAL(sink_sqlite_last_run_id(sink), 0);
    assert_database_empty(path);

    /* The next run is recorded normally and takes the first id. */
    CU_ASSERT_EQUAL(feed_run_start(&f, "handshake", 7, 0, NULL, 0), 0);
    feed_handshake_records(&f);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    CU_ASSERT_EQUAL(sink_sqlite_last_run_id(sink), 1);
    trace_destroy_sinks(&f.trace);
}

/* A process killed in the middle of a run never commits: the next opener
 * rolls the journal back. */
static void test_sqlite_killed_run_leaves_no_rows(void)
{
    char path[128], err[256];
    tmp_path("killed.db", path, sizeof path);
    fflush(NULL);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
        struct feed f;
        trace_init(&f.trace);
        if (!sink || trace_add_sink(&f.trace, sink) != 0 ||
            feed_run_start(&f, "handshake", 7, 0, NULL, 0) != 0)
            _exit(1);
        for (int i = 0; i < 20000; i++)
            feed_handshake_records(&f);
        kill(getpid(), SIGKILL);
        _exit(2);
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char journal[160];
    snprintf(journal, sizeof journal, "%s-journal", path);
    CU_ASSERT_TRUE(file_exists(journal)); /* the uncommitted run's undo log */
    assert_database_empty(path);
    /* The database stays usable: the next run is recorded and the journal
     * of the killed one is gone once a transaction has committed. */
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    trace_init(&f.trace);
    CU_ASSERT_EQUAL_FATAL(trace_add_sink(&f.trace, sink), 0);
    CU_ASSERT_EQUAL(feed_run_start(&f, "handshake", 8, 0, NULL, 0), 0);
    feed_handshake_records(&f);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    CU_ASSERT_EQUAL(sink_sqlite_last_run_id(sink), 1);
    trace_destroy_sinks(&f.trace);
    CU_ASSERT_FALSE(file_exists(journal));
}

/* A record that cannot be stored fails the run at run_end; nothing stays. */
static void test_sqlite_failed_record_fails_run(void)
{
    char path[128], err[256];
    tmp_path("failed-record.db", path, sizeof path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "handshake", 7, 0, NULL, 0), 0);
    feed_handshake_records(&f);
    feed_transition(&f, MS(200), NULL, 1, "ESTABLISHED", "CLOSE_WAIT", "rcv FIN", 0);
    struct trace_sink *failed = NULL;
    struct trace_run_result result = {.status = "ok", .sim_end_ns = SIM_S, .events = 1,
                                     .wall_s = 0};
    CU_ASSERT_EQUAL(trace_run_end(&f.trace, &result, &failed), -1);
    CU_ASSERT_PTR_EQUAL(failed, sink);
    CU_ASSERT_PTR_NOT_NULL(strstr(sink->error, "transition"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sink->error, path));
    trace_destroy_sinks(&f.trace);
    assert_database_empty(path);
}

/* Many more rows than one INSERT batch holds, through the writer thread:
 * every row arrives, each table in the order it was reported; a query in
 * the middle of the run sees every segment reported so far (a transition
 * only once the stay it begins has ended: its row is written then). */
static void test_sqlite_many_rows_in_order(void)
{
    enum { N = 1000 };
    char path[128], err[256];
    tmp_path("many-rows.db", path, sizeof path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "many", 1, 0, NULL, 0), 0);
    for (int i = 0; i < N; i++) {
        if (i == N / 2) { /* a transition's row is written when its stay ends */
            struct row_collector rows = {""};
            CU_ASSERT_EQUAL(sink_sqlite_query(sink, "SELECT count(*) AS n FROM segments", NULL,
                                              0, collect_row, &rows, err, sizeof err),
                            0);
            CU_ASSERT_STRING_EQUAL(rows.text, "n=500\n");
        }
        feed_transition(&f, i * SIM_US, i % 2 ? "client" : "server", (uint64_t)i + 1, "CLOSED",
                        "SYN_SENT", "app CONNECT", 0);
        feed_segment(&f, i % 2, i * SIM_US, SIM_MS, TCP_FLAG_SYN, (uint32_t)i, 0, FATE_DELIVERED,
                     false);
    }
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    trace_destroy_sinks(&f.trace);
    sqlite3 *db = open_db(path);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM transitions"), N);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM segments"), N);
    /* Transition i has seq 2i+1 and segment i trace_seq 2i+2 (one counter). */
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM transitions"
                                  " WHERE t_ns <> (seq - 1) / 2 * 1000 OR conn_id <> (seq + 1) / 2"),
                    0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM segments"
                                  " WHERE sent_ns <> (trace_seq - 2) / 2 * 1000"
                                  " OR seq <> (trace_seq - 2) / 2 OR seg_id * 2 <> trace_seq"),
                    0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM transitions WHERE host = 'client'"), N / 2);
    sqlite3_close(db);
}

/* A bad row in the middle of a full batch fails the run like any other. */
static void test_sqlite_failure_inside_a_batch_fails_run(void)
{
    char path[128], err[256];
    tmp_path("failed-batch.db", path, sizeof path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "bad", 1, 0, NULL, 0), 0);
    for (int i = 0; i < 500; i++)
        feed_transition(&f, i * SIM_US, i == 130 ? NULL : "client", 1, "CLOSED", "SYN_SENT",
                        "app CONNECT", 0);
    struct trace_sink *failed = NULL;
    struct trace_run_result result = {.status = "ok", .sim_end_ns = SIM_S, .events = 1,
                                     .wall_s = 0};
    CU_ASSERT_EQUAL(trace_run_end(&f.trace, &result, &failed), -1);
    CU_ASSERT_PTR_EQUAL(failed, sink);
    CU_ASSERT_PTR_NOT_NULL(strstr(sink->error, "transition"));
    trace_destroy_sinks(&f.trace);
    assert_database_empty(path);
}

static void assert_refused_untouched(const char *path, const char *reason)
{
    char copy[160], err[256] = "";
    snprintf(copy, sizeof copy, "%s.before", path);
    size_t len = 0;
    char *before = read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    write_file(copy, before, len);
    free(before);

    CU_ASSERT_PTR_NULL(sink_sqlite_open(path, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, reason));
    CU_ASSERT_PTR_NULL(sink_sqlite_open_read(path, err, sizeof err));
    CU_ASSERT_TRUE(same_file_contents(path, copy));
    char journal[160];
    snprintf(journal, sizeof journal, "%s-journal", path);
    CU_ASSERT_FALSE(file_exists(journal));
    unlink(copy);
}

static void test_sqlite_refuses_other_sqlite_database(void)
{
    char path[128];
    tmp_path("other.sqlite", path, sizeof path);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER, name TEXT);"
                                     "INSERT INTO photos VALUES (1, 'cat.jpg');",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    assert_refused_untouched(path, "not a tcpsim");
}

static void test_sqlite_refuses_text_file(void)
{
    char path[128];
    tmp_path("notes.txt", path, sizeof path);
    static const char text[] = "my notes\nnot a database at all\n";
    write_file(path, text, sizeof text - 1);
    assert_refused_untouched(path, "not an SQLite database");
}

static void test_sqlite_refuses_other_schema_version(void)
{
    char path[128];
    tmp_path("future.db", path, sizeof path);
    record_handshake(path, 0);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_refused_untouched(path, "schema version 99");
}

/* A version 1 file (tests/data/v1-runs.sql, written by the last tcpsim
 * of that schema) is read but never appended to or merged from: the
 * refusal names the file and `tcpsim upgrade FILE`, and leaves it as it
 * was. */
static void test_sqlite_refuses_version_1(void)
{
    char path[128], fixture[256], merged[128], err[512];
    tmp_path("version-1.db", path, sizeof path);
    tmp_path("merged-from-1.db", merged, sizeof merged);
    unlink(path);
    unlink(merged);
    snprintf(fixture, sizeof fixture, "%s/tests/data/v1-runs.sql", TOP_SRCDIR);
    size_t len = 0;
    char *text = read_file(fixture, &len); /* NUL-terminated */
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    free(text);
    char hint[200];
    snprintf(hint, sizeof hint, "tcpsim upgrade %s", path);
    char copy[160];
    snprintf(copy, sizeof copy, "%s.before", path);
    char *before = read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    write_file(copy, before, len);
    free(before);
    CU_ASSERT_PTR_NULL(sink_sqlite_open(path, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, hint));
    struct trace_sink *sink = sink_sqlite_open(merged, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    CU_ASSERT_EQUAL(sink_sqlite_copy_runs(sink, path, NULL, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, hint));
    sink->ops->destroy(sink);
    struct trace_sink *reader = sink_sqlite_open_read(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(reader); /* readers read version 1 */
    if (reader)
        reader->ops->destroy(reader);
    CU_ASSERT_TRUE(same_file_contents(path, copy));
    unlink(copy);
    unlink(merged);
}

static void test_sqlite_empty_file_becomes_database(void)
{
    char path[128];
    tmp_path("empty.db", path, sizeof path);
    write_file(path, "", 0);
    CU_ASSERT_EQUAL(record_handshake(path, 0), 1);
    sqlite3 *db = open_db(path);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA application_id"), SINK_SQLITE_APPLICATION_ID);
    sqlite3_close(db);
}

/* ":memory:" works (run --ladder --no-db) and is read through the sink. */
static void test_sqlite_memory_database_and_query(void)
{
    char err[256];
    struct trace_sink *sink = sink_sqlite_open(":memory:", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    for (int run = 0; run < 2; run++) {
        CU_ASSERT_EQUAL(feed_run_start(&f, "handshake", 7, (uint32_t)run, NULL, 0), 0);
        feed_handshake_records(&f);
        CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    }
    CU_ASSERT_EQUAL(sink_sqlite_last_run_id(sink), 2);
    struct row_collector rows = {""};
    int64_t run = 2;
    CU_ASSERT_EQUAL(sink_sqlite_query(sink,
                                      "SELECT kind, host, seg_id FROM timeline"
                                      " WHERE run_id = ?1 AND step <= 3",
                                      &run, 1, collect_row, &rows, err, sizeof err),
                    0);
    CU_ASSERT_STRING_EQUAL(rows.text, "kind=transition host=server seg_id=NULL\n"
                                      "kind=transition host=client seg_id=NULL\n"
                                      "kind=send host=client seg_id=1\n");
    CU_ASSERT_EQUAL(sink_sqlite_query(sink, "SELECT * FROM no_such_table", NULL, 0, NULL, NULL,
                                      err, sizeof err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no_such_table"));
    trace_destroy_sinks(&f.trace);
}

static void test_sqlite_open_read(void)
{
    char path[128], err[256];
    tmp_path("read.db", path, sizeof path);
    record_handshake(path, 0);
    struct trace_sink *sink = sink_sqlite_open_read(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct row_collector rows = {""};
    CU_ASSERT_EQUAL(sink_sqlite_query(sink, "SELECT latency_ms FROM handshake_latency", NULL, 0,
                                      collect_row, &rows, err, sizeof err),
                    0);
    CU_ASSERT_STRING_EQUAL(rows.text, "latency_ms=100.0\n");
    struct trace_run_info run = {"x", NULL, 1, 0, NULL, 0, NULL};
    CU_ASSERT_EQUAL(sink->ops->run_start(sink, &run), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(sink->error, "read-only"));
    sink->ops->destroy(sink);

    tmp_path("missing.db", path, sizeof path);
    CU_ASSERT_PTR_NULL(sink_sqlite_open_read(path, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_FALSE(file_exists(path));
}

static void test_sqlite_params_json_escaped_last_wins(void)
{
    char err[256];
    struct trace_sink *sink = sink_sqlite_open(":memory:", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    static const struct trace_param params[] = {
        {"link.loss", "0.01"}, {"scenario.note", "say \"hi\"\\\n"}, {"link.loss", "0.02"}};
    CU_ASSERT_EQUAL(feed_run_start(&f, "p", 1, 0, params, 3), 0);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    struct row_collector rows = {""};
    CU_ASSERT_EQUAL(sink_sqlite_query(sink, "SELECT params FROM runs", NULL, 0, collect_row, &rows,
                                      err, sizeof err),
                    0);
    CU_ASSERT_STRING_EQUAL(rows.text,
                           "params={\"scenario.note\":\"say \\\"hi\\\"\\\\\\u000a\",\"link.loss\":\"0.02\"}\n");
    rows.text[0] = '\0';
    CU_ASSERT_EQUAL(sink_sqlite_query(sink, "SELECT value FROM run_params WHERE key = 'link.loss'",
                                      NULL, 0, collect_row, &rows, err, sizeof err),
                    0);
    CU_ASSERT_STRING_EQUAL(rows.text, "value=0.02\n");
    trace_destroy_sinks(&f.trace);
}

/* Same records, same rows; wall_s is the one column that measures the
 * machine. With the same wall_s the files are identical byte for byte. */
static char *dump_tables(const char *path)
{
    static const char *const queries[] = {
        "SELECT run_id, scenario, scenario_sha256, seed, rep, params, status, sim_end_ns, events,"
        " tcpsim_version FROM runs ORDER BY run_id",
        "SELECT * FROM run_params ORDER BY run_id, key",
        "SELECT * FROM connections ORDER BY run_id, conn_id",
        "SELECT * FROM transitions ORDER BY run_id, seq",
        "SELECT * FROM segments ORDER BY run_id, seg_id, trace_seq",
        "SELECT * FROM expectations ORDER BY run_id, seq",
    };
    sqlite3 *db = open_db(path);
    size_t cap = 1 << 18, len = 0;
    char *all = calloc(1, cap);
    for (size_t i = 0; i < sizeof queries / sizeof queries[0] && all; i++) {
        char *part = query_text(db, queries[i]);
        len += (size_t)snprintf(all + len, cap - len, "%s--\n", part ? part : "ERROR");
        free(part);
    }
    sqlite3_close(db);
    return all;
}

static void record_two_runs(const char *path, double wall_s)
{
    char err[256];
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "handshake", 7, 0, sweep_params, 2), 0);
    feed_handshake_records(&f);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, wall_s), 0);
    CU_ASSERT_EQUAL(feed_run_start(&f, "lost-syn", 7, 1, sweep_params, 1), 0);
    feed_lost_syn_records(&f);
    CU_ASSERT_EQUAL(feed_run_end(&f, MS(5000), wall_s * 2), 0);
    trace_destroy_sinks(&f.trace);
}

static void test_sqlite_deterministic(void)
{
    char a[128], b[128], c[128];
    tmp_path("det-a.db", a, sizeof a);
    tmp_path("det-b.db", b, sizeof b);
    tmp_path("det-c.db", c, sizeof c);
    record_two_runs(a, 0.5);
    record_two_runs(b, 0.75);
    record_two_runs(c, 0.5);
    char *da = dump_tables(a), *db = dump_tables(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(da);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    CU_ASSERT_TRUE(strlen(da) > 1000);
    CU_ASSERT_STRING_EQUAL(da, db);
    free(da);
    free(db);
    CU_ASSERT_FALSE(same_file_contents(a, b));
    CU_ASSERT_TRUE(same_file_contents(a, c));
}

/* Every ```sql block of docs/queries.md runs against a database of the
 * current schema. */
static void test_sqlite_documented_queries_run(void)
{
    char path[128], docs[256];
    tmp_path("docs.db", path, sizeof path);
    record_two_runs(path, 0.5);
    snprintf(docs, sizeof docs, "%s/docs/queries.md", TOP_SRCDIR);
    size_t len = 0;
    char *text = read_file(docs, &len); /* NUL-terminated */
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    sqlite3 *db = open_db(path);
    int blocks = 0;
    for (char *p = strstr(text, "```sql\n"); p; p = strstr(p, "```sql\n")) {
        char *sql = p + 7, *end = strstr(sql, "```");
        CU_ASSERT_PTR_NOT_NULL_FATAL(end);
        *end = '\0';
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK)
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        if (rc != SQLITE_DONE)
            fprintf(stderr, "\n%s: %s\n%s\n", docs, sqlite3_errmsg(db), sql);
        CU_ASSERT_EQUAL(rc, SQLITE_DONE);
        sqlite3_finalize(st);
        blocks++;
        p = end + 3;
    }
    CU_ASSERT_TRUE(blocks >= 8);
    sqlite3_close(db);
    free(text);
}

/* ---- pcap sink ---- */

/* RFC 1071, written again here so the test does not trust the sink's. */
static uint16_t internet_checksum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 0 when the checksum over the TCP pseudo-header, header and data holds. */
static uint16_t tcp_checksum_residue(const uint8_t *ip, size_t ip_len)
{
    uint8_t pseudo[12];
    size_t tcp_len = ip_len - 20;
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    pseudo[10] = (uint8_t)(tcp_len >> 8);
    pseudo[11] = (uint8_t)tcp_len;
    uint32_t sum = (uint16_t)~internet_checksum(pseudo, sizeof pseudo, 0);
    return internet_checksum(ip + 20, tcp_len, sum);
}

struct packet {
    int64_t t_ns;              /* after the epoch */
    uint32_t caplen, len;
    uint8_t bytes[2048];
};

static size_t read_capture(const char *path, struct packet *packets, size_t max)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(pcap_datalink(p), DLT_RAW);
    size_t n = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (n < max && pcap_next_ex(p, &h, &data) == 1) {
        packets[n].t_ns = ((int64_t)h->ts.tv_sec - SINK_PCAP_EPOCH_S) * SIM_S + h->ts.tv_usec;
        packets[n].caplen = h->caplen;
        packets[n].len = h->len;
        memcpy(packets[n].bytes, data, h->caplen < 2048 ? h->caplen : 2048);
        n++;
    }
    pcap_close(p);
    return n;
}

static const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};

/* Handshake with MSS options, an odd-length payload, 1000 zero bytes, a
 * lost segment, a duplicated and a corrupted one. */
static void feed_capture_run(struct feed *f)
{
    feed_segment(f, true, MS(10), MS(50), TCP_FLAG_SYN, 1000, 0, FATE_DELIVERED, false);
    feed_segment(f, false, MS(60), MS(50), TCP_FLAG_SYN | TCP_FLAG_ACK, 5000, 1001,
                 FATE_DELIVERED, false);
    feed_segment(f, true, MS(110), MS(50), TCP_FLAG_ACK, 1001, 5001, FATE_DELIVERED, false);
    feed_segment_full(f, true, MS(110), MS(50), TCP_FLAG_PSH | TCP_FLAG_ACK, 1001, 5001, 5, hello,
                      0, FATE_DELIVERED, false);
    feed_segment_full(f, true, MS(120), MS(50), TCP_FLAG_ACK, 1006, 5001, 1000, NULL, 0,
                      FATE_DELIVERED, false);
    feed_segment_full(f, true, MS(120), MS(52), TCP_FLAG_ACK, 1006, 5001, 1000, NULL, 0,
                      FATE_DUPLICATED, false);
    feed_segment_full(f, true, MS(130), -1, TCP_FLAG_ACK, 2006, 5001, 1000, NULL, 0, FATE_LOST,
                      false);
    feed_segment_full(f, true, MS(140), MS(55), TCP_FLAG_ACK, 2006, 5001, 1000, NULL, 0,
                      FATE_CORRUPTED, true);
    feed_segment(f, false, MS(160), MS(50), TCP_FLAG_ACK, 5001, 1006, FATE_DELIVERED, false);
}

static int record_capture(const char *path, const char *side)
{
    char err[256];
    struct trace_sink *sink = sink_pcap_open(path, side, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "capture", 1, 0, NULL, 0), 0);
    feed_capture_run(&f);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    int packets = (int)sink_pcap_packet_count(sink);
    trace_destroy_sinks(&f.trace);
    return packets;
}

struct expected_packet {
    int64_t t_ms;
    bool from_client;
    uint8_t flags;
    uint32_t seq, ack, payload;
    bool mss, good_checksum;
};

static void assert_packet(const struct packet *p, const struct expected_packet *e)
{
    const uint8_t *ip = p->bytes, *tcp = p->bytes + 20;
    uint32_t tcp_header = e->mss ? 24 : 20;
    CU_ASSERT_EQUAL(p->t_ns, e->t_ms * SIM_MS);
    CU_ASSERT_EQUAL(p->len, 20 + tcp_header + e->payload);
    CU_ASSERT_EQUAL(p->caplen, p->len);
    CU_ASSERT_EQUAL(ip[0], 0x45);
    CU_ASSERT_EQUAL(get16(ip + 2), p->len);
    CU_ASSERT_EQUAL(ip[9], 6);
    CU_ASSERT_EQUAL(internet_checksum(ip, 20, 0), 0);
    CU_ASSERT_EQUAL(get32(ip + 12), e->from_client ? CLIENT_ADDR : SERVER_ADDR);
    CU_ASSERT_EQUAL(get32(ip + 16), e->from_client ? SERVER_ADDR : CLIENT_ADDR);
    CU_ASSERT_EQUAL(get16(tcp), e->from_client ? 40000 : 80);
    CU_ASSERT_EQUAL(get16(tcp + 2), e->from_client ? 80 : 40000);
    CU_ASSERT_EQUAL(get32(tcp + 4), e->seq);
    CU_ASSERT_EQUAL(get32(tcp + 8), e->ack);
    CU_ASSERT_EQUAL(tcp[12] >> 4, tcp_header / 4);
    CU_ASSERT_EQUAL(tcp[13], e->flags);
    CU_ASSERT_EQUAL(get16(tcp + 14), 65535);
    if (e->mss) {
        CU_ASSERT_EQUAL(tcp[20], 2);
        CU_ASSERT_EQUAL(tcp[21], 4);
        CU_ASSERT_EQUAL(get16(tcp + 22), 1460);
    }
    CU_ASSERT_EQUAL(tcp_checksum_residue(ip, p->len) == 0, e->good_checksum);
}

static void test_pcap_wire_capture(void)
{
    char path[128];
    tmp_path("wire.pcap", path, sizeof path);
    CU_ASSERT_EQUAL(record_capture(path, NULL), 8);
    static struct packet packets[16];
    size_t n = read_capture(path, packets, 16);
    CU_ASSERT_EQUAL_FATAL(n, 8);
    static const struct expected_packet expected[8] = {
        {10, true, TCP_FLAG_SYN, 1000, 0, 0, true, true},
        {60, false, TCP_FLAG_SYN | TCP_FLAG_ACK, 5000, 1001, 0, true, true},
        {110, true, TCP_FLAG_ACK, 1001, 5001, 0, false, true},
        {110, true, TCP_FLAG_PSH | TCP_FLAG_ACK, 1001, 5001, 5, false, true},
        {120, true, TCP_FLAG_ACK, 1006, 5001, 1000, false, true}, /* its copy is not sent */
        {130, true, TCP_FLAG_ACK, 2006, 5001, 1000, false, true}, /* lost: sent all the same */
        {140, true, TCP_FLAG_ACK, 2006, 5001, 1000, false, true}, /* corrupted later, fine here */
        {160, false, TCP_FLAG_ACK, 5001, 1006, 0, false, true},
    };
    for (size_t i = 0; i < n; i++)
        assert_packet(&packets[i], &expected[i]);
    CU_ASSERT_EQUAL(memcmp(packets[3].bytes + 40, hello, sizeof hello), 0);
    /* IP identification counts per sender. */
    CU_ASSERT_EQUAL(get16(packets[0].bytes + 4), 1);
    CU_ASSERT_EQUAL(get16(packets[2].bytes + 4), 2);
    CU_ASSERT_EQUAL(get16(packets[1].bytes + 4), 1);
    CU_ASSERT_EQUAL(get16(packets[7].bytes + 4), 2);
    CU_ASSERT_EQUAL(get16(packets[5].bytes + 4), 5);
}

/* The opt_comment of each Enhanced Packet Block of a little-endian pcapng
 * file, read here block by block apart from the writer. */
static size_t read_comments(const char *path, char comments[][512], size_t max)
{
    static uint8_t file[65536];
    FILE *in = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    size_t size = fread(file, 1, sizeof file, in), n = 0;
    fclose(in);
    for (size_t at = 0; at + 12 <= size && n < max;) {
        uint32_t type = file[at] | file[at + 1] << 8 | file[at + 2] << 16 | (uint32_t)file[at + 3] << 24;
        uint32_t len = file[at + 4] | file[at + 5] << 8 | file[at + 6] << 16 | (uint32_t)file[at + 7] << 24;
        CU_ASSERT_FATAL(len >= 12 && len % 4 == 0 && at + len <= size);
        if (type == 6) {
            uint32_t cap = file[at + 20] | file[at + 21] << 8;
            size_t opt = at + 28 + ((cap + 3) & ~3u);
            uint32_t code = file[opt] | file[opt + 1] << 8, olen = file[opt + 2] | file[opt + 3] << 8;
            CU_ASSERT_EQUAL(code, 1);
            CU_ASSERT_FATAL(olen < 512);
            memcpy(comments[n], file + opt + 4, olen);
            comments[n++][olen] = '\0';
        }
        at += len;
    }
    return n;
}

/* pcapng: libpcap reads back the classic capture's packets, timestamps
 * included, and every packet has a comment with its fate. */
static void test_pcapng_same_packets_with_comments(void)
{
    char classic[128], ng[128];
    tmp_path("wire-classic.pcap", classic, sizeof classic);
    tmp_path("wire.pcapng", ng, sizeof ng);
    CU_ASSERT_EQUAL(sink_pcap_format_of(ng), SINK_PCAP_NG);
    CU_ASSERT_EQUAL(sink_pcap_format_of("X.PCAPNG"), SINK_PCAP_NG);
    CU_ASSERT_EQUAL(sink_pcap_format_of(classic), SINK_PCAP_CLASSIC);
    CU_ASSERT_EQUAL(sink_pcap_format_of(".pcapng"), SINK_PCAP_CLASSIC);
    CU_ASSERT_EQUAL(record_capture(classic, NULL), 8);
    CU_ASSERT_EQUAL(record_capture(ng, NULL), 8);
    static struct packet a[16], b[16];
    CU_ASSERT_EQUAL_FATAL(read_capture(classic, a, 16), 8);
    CU_ASSERT_EQUAL_FATAL(read_capture(ng, b, 16), 8);
    for (size_t i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(a[i].t_ns, b[i].t_ns);
        CU_ASSERT_EQUAL(a[i].len, b[i].len);
        CU_ASSERT_EQUAL_FATAL(a[i].caplen, b[i].caplen);
        CU_ASSERT_EQUAL(memcmp(a[i].bytes, b[i].bytes, a[i].caplen), 0);
    }
    static char comments[16][512];
    CU_ASSERT_EQUAL_FATAL(read_comments(ng, comments, 16), 8);
    CU_ASSERT_STRING_EQUAL(comments[0], "segment #1: delivered at 0.060000000 s; client CLOSED when it "
                                        "sent it, server CLOSED after it");
    CU_ASSERT_PTR_NOT_NULL(strstr(comments[5], ": lost by the loss model; "));
    CU_ASSERT_PTR_NOT_NULL(strstr(comments[5], "(never got it)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(comments[6], ": corrupted: arrived at 0.195000000 s"));
}

static void test_pcap_host_side_capture(void)
{
    char path[128];
    tmp_path("server.pcap", path, sizeof path);
    CU_ASSERT_EQUAL(record_capture(path, "server"), 8);
    static struct packet packets[16];
    size_t n = read_capture(path, packets, 16);
    CU_ASSERT_EQUAL_FATAL(n, 8);
    static const struct expected_packet expected[8] = {
        {60, true, TCP_FLAG_SYN, 1000, 0, 0, true, true},                       /* received */
        {60, false, TCP_FLAG_SYN | TCP_FLAG_ACK, 5000, 1001, 0, true, true},    /* sent */
        {160, true, TCP_FLAG_ACK, 1001, 5001, 0, false, true},
        {160, true, TCP_FLAG_PSH | TCP_FLAG_ACK, 1001, 5001, 5, false, true},
        {160, false, TCP_FLAG_ACK, 5001, 1006, 0, false, true},                 /* sent */
        {170, true, TCP_FLAG_ACK, 1006, 5001, 1000, false, true},
        {172, true, TCP_FLAG_ACK, 1006, 5001, 1000, false, true},               /* the link's copy */
        {195, true, TCP_FLAG_ACK, 2006, 5001, 1000, false, false},              /* corrupted */
    };
    for (size_t i = 0; i < n; i++)
        assert_packet(&packets[i], &expected[i]);
    /* The link's extra copy is the same IP packet as the original. */
    CU_ASSERT_EQUAL(get16(packets[6].bytes + 4), get16(packets[5].bytes + 4));
    for (size_t i = 1; i < n; i++)
        CU_ASSERT_TRUE(packets[i].t_ns >= packets[i - 1].t_ns);
}

/* With jitter a later segment can overtake an earlier one: the receiver's
 * capture is still in arrival order. */
static void test_pcap_reordered_arrivals_in_time_order(void)
{
    char path[128], err[256];
    tmp_path("reorder.pcap", path, sizeof path);
    struct trace_sink *sink = sink_pcap_open(path, "server", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    CU_ASSERT_EQUAL(feed_run_start(&f, "reorder", 1, 0, NULL, 0), 0);
    feed_segment_full(&f, true, MS(10), MS(90), TCP_FLAG_ACK, 1001, 5001, 100, NULL, 0,
                      FATE_DELIVERED, false);
    feed_segment_full(&f, true, MS(20), MS(30), TCP_FLAG_ACK, 1101, 5001, 100, NULL, 0,
                      FATE_DELIVERED, false);
    feed_segment_full(&f, true, MS(30), MS(40), TCP_FLAG_ACK, 1201, 5001, 100, NULL, 0,
                      FATE_DELIVERED, false);
    feed_segment(&f, false, MS(75), MS(50), TCP_FLAG_ACK, 5001, 1101, FATE_DELIVERED, false);
    CU_ASSERT_EQUAL(feed_run_end(&f, SIM_S, 0), 0);
    trace_destroy_sinks(&f.trace);
    static struct packet packets[8];
    CU_ASSERT_EQUAL_FATAL(read_capture(path, packets, 8), 4);
    static const int64_t t_ms[4] = {50, 70, 75, 100};
    static const uint32_t seq[4] = {1101, 1201, 5001, 1001};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(packets[i].t_ns, t_ms[i] * SIM_MS);
        CU_ASSERT_EQUAL(get32(packets[i].bytes + 24), seq[i]);
    }
}

static void test_pcap_runs_follow_each_other(void)
{
    char path[128], err[256];
    tmp_path("runs.pcap", path, sizeof path);
    struct trace_sink *sink = sink_pcap_open(path, NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct feed f;
    feed_init(&f, sink);
    for (int run = 0; run < 2; run++) {
        CU_ASSERT_EQUAL(feed_run_start(&f, "capture", 1, (uint32_t)run, NULL, 0), 0);
        feed_segment(&f, true, MS(10), MS(50), TCP_FLAG_SYN, 1000, 0, FATE_DELIVERED, false);
        CU_ASSERT_EQUAL(feed_run_end(&f, MS(2500), 0), 0);
    }
    trace_destroy_sinks(&f.trace);
    static struct packet packets[4];
    CU_ASSERT_EQUAL_FATAL(read_capture(path, packets, 4), 2);
    CU_ASSERT_EQUAL(packets[0].t_ns, MS(10));
    CU_ASSERT_EQUAL(packets[1].t_ns, 4 * SIM_S + MS(10)); /* 2.5 s -> 3 s, + 1 s */
}

static void test_pcap_open_error_names_file(void)
{
    char err[256] = "";
    CU_ASSERT_PTR_NULL(sink_pcap_open("/nonexistent-dir/x.pcap", NULL, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-dir/x.pcap"));
}

/* tshark, when installed, agrees the checksums are good. */
static void test_pcap_tshark_checksums(void)
{
    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        printf("\n  (tshark not on PATH: skipped) ");
        return;
    }
    char path[128], cmd[512], line[128];
    tmp_path("tshark.pcap", path, sizeof path);
    record_capture(path, NULL);
    snprintf(cmd, sizeof cmd,
             "tshark -r '%s' -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields"
             " -e tcp.checksum.status -e ip.checksum.status 2>/dev/null",
             path);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    int lines = 0;
    while (fgets(line, sizeof line, p)) {
        CU_ASSERT_STRING_EQUAL(line, "1\t1\n");
        lines++;
    }
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT_EQUAL(lines, 8);
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tcpsim-test-sinks-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite db = CU_add_suite("sink_sqlite", NULL, NULL);
    CU_add_test(db, "handshake rows", test_sqlite_handshake_rows);
    CU_add_test(db, "NULL means none", test_sqlite_nulls);
    CU_add_test(db, "seq/ack unsigned", test_sqlite_sequence_numbers_unsigned);
    CU_add_test(db, "view handshake_latency", test_sqlite_view_handshake_latency);
    CU_add_test(db, "view state_durations", test_sqlite_view_state_durations);
    CU_add_test(db, "state_durations ties, final CLOSED",
                test_sqlite_view_state_durations_ties_and_closed);
    CU_add_test(db, "view timeline order", test_sqlite_view_timeline_order);
    CU_add_test(db, "timeline over a zero-delay link", test_sqlite_view_timeline_zero_delay);
    CU_add_test(db, "views for loss and summary", test_sqlite_views_loss_and_summary);
    CU_add_test(db, "append gives run ids 1 and 2", test_sqlite_append_gives_run_ids_1_and_2);
    CU_add_test(db, "run_abort leaves no rows", test_sqlite_abort_leaves_no_rows);
    CU_add_test(db, "killed run leaves no rows", test_sqlite_killed_run_leaves_no_rows);
    CU_add_test(db, "failed record fails the run", test_sqlite_failed_record_fails_run);
    CU_add_test(db, "many rows arrive in order", test_sqlite_many_rows_in_order);
    CU_add_test(db, "a failure inside a batch fails the run",
                test_sqlite_failure_inside_a_batch_fails_run);
    CU_add_test(db, "refuses other SQLite database", test_sqlite_refuses_other_sqlite_database);
    CU_add_test(db, "refuses text file", test_sqlite_refuses_text_file);
    CU_add_test(db, "refuses other schema version", test_sqlite_refuses_other_schema_version);
    CU_add_test(db, "version 1: read, not written", test_sqlite_refuses_version_1);
    CU_add_test(db, "empty file becomes a database", test_sqlite_empty_file_becomes_database);
    CU_add_test(db, ":memory: and sink_sqlite_query", test_sqlite_memory_database_and_query);
    CU_add_test(db, "open_read", test_sqlite_open_read);
    CU_add_test(db, "params JSON escaped, last wins", test_sqlite_params_json_escaped_last_wins);
    CU_add_test(db, "deterministic", test_sqlite_deterministic);
    CU_add_test(db, "docs/queries.md queries run", test_sqlite_documented_queries_run);
    CU_pSuite cap = CU_add_suite("sink_pcap", NULL, NULL);
    CU_add_test(cap, "wire capture", test_pcap_wire_capture);
    CU_add_test(cap, "host side capture", test_pcap_host_side_capture);
    CU_add_test(cap, "reordered arrivals in time order", test_pcap_reordered_arrivals_in_time_order);
    CU_add_test(cap, "runs follow each other", test_pcap_runs_follow_each_other);
    CU_add_test(cap, "open error names the file", test_pcap_open_error_names_file);
    CU_add_test(cap, "tshark checksums", test_pcap_tshark_checksums);
    CU_add_test(cap, "pcapng: same packets, a comment each", test_pcapng_same_packets_with_comments);

    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    remove_tmpdir();
    return failed;
}
