/*
 * results_read.c: the typed reader of results.h. Every SELECT of tcpsim's
 * readers is here, each next to the function that decodes its columns, so a
 * schema change touches this file and the writer. Rows are parsed at this
 * edge: text columns become enums and numbers, and a row that does not
 * parse (a state name no TCP has, a fate the link cannot give) stops the
 * read with a message naming the row rather than being drawn as something
 * it is not.
 *
 * Statements are prepared per call, not kept: readers make a handful of
 * calls, each over many rows, so preparing is noise next to stepping.
 */
#include "results_internal.h"
#include "results_validate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct results_db {
    sqlite3 *db;
    bool owned;                /* closed by results_close; else the sink's */
    bool has_options;          /* segments.options exists (files before it lack it) */
    bool has_injected;         /* segments.injected and rule_line exist (the same) */
    bool version_1;            /* schema version 1: tables where version 2 has views */
    char error[512];
};

/* ---- opening ---- */

static struct results_db *db_new(sqlite3 *connection, bool owned, const char *path, char *err,
                                 size_t errlen)
{
    struct results_db *db = calloc(1, sizeof *db);
    if (!db) {
        results_set_error(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    db->db = connection;
    db->owned = owned;
    db->version_1 = results_pragma_int(connection, "PRAGMA user_version") == 1;
    db->has_options = results_pragma_int(connection, "SELECT count(*) FROM pragma_table_info('segments')"
                                                     " WHERE name = 'options'") > 0;
    db->has_injected = results_pragma_int(connection, "SELECT count(*) FROM pragma_table_info('segments')"
                                                      " WHERE name = 'injected'") > 0;
    return db;
}

struct results_db *results_open(const char *path, char *err, size_t errlen)
{
    sqlite3 *connection = results_connect_existing(path, err, errlen);
    struct results_db *db = connection ? db_new(connection, true, path, err, errlen) : NULL;
    if (!db)
        sqlite3_close(connection);
    return db;
}

struct results_db *results_borrow(sqlite3 *connection, const char *path, char *err,
                                  size_t errlen)
{
    return db_new(connection, false, path, err, errlen);
}

void results_close(struct results_db *db)
{
    if (!db)
        return;
    if (db->owned)
        sqlite3_close(db->db);
    free(db);
}

const char *results_error(const struct results_db *db)
{
    return db->error;
}

/* ---- errors ---- */

static int sql_failed(struct results_db *db)
{
    return results_fail(db, "%s", sqlite3_errmsg(db->db));
}

int results_fail(struct results_db *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->error, sizeof db->error, fmt, ap);
    va_end(ap);
    return -1;
}

/* A row that does not parse: "PATH: run R, segment S: what". */
static int bad_row(struct results_db *db, int64_t run_id, const char *table, int64_t row,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int bad_row(struct results_db *db, int64_t run_id, const char *table, int64_t row,
                   const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return results_fail(db, "run %" PRId64 ", %s %" PRId64 ": %s", run_id, table, row, what);
}

/* ---- columns ---- */

static sqlite3_stmt *prepare(struct results_db *db, const char *sql, int64_t p1, int64_t p2)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sql_failed(db);
        return NULL;
    }
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, p1);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, p2);
    return st;
}

static bool is_null(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL;
}

static const char *text_of(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* A column's text for a message, "NULL" for SQL NULL. */
static const char *shown(sqlite3_stmt *st, int i)
{
    return is_null(st, i) ? "NULL" : text_of(st, i);
}

/* An integer column in [0, max], NULL read as if_null. False when out of
 * range or not an integer. */
static bool uint_of(sqlite3_stmt *st, int i, int64_t max, int64_t if_null, int64_t *out)
{
    if (is_null(st, i)) {
        *out = if_null;
        return true;
    }
    *out = sqlite3_column_int64(st, i);
    return sqlite3_column_type(st, i) == SQLITE_INTEGER && *out >= 0 && *out <= max;
}

/* Runs a one-row, one-integer query. */
static int query_int(struct results_db *db, const char *sql, int64_t p1, int64_t *out)
{
    sqlite3_stmt *st = prepare(db, sql, p1, 0);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : sql_failed(db);
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* ---- runs ---- */

int results_latest_run(struct results_db *db, int64_t *run_id)
{
    return query_int(db, "SELECT COALESCE(max(run_id), 0) FROM runs", 0, run_id);
}

int results_run_count(struct results_db *db, int64_t *count)
{
    return query_int(db, "SELECT count(*) FROM runs", 0, count);
}

/* A schema 1 file written before runs.stack has no such column (only a
 * writer adds it); its runs were all the simulator's. */
static int runs_have_stack(struct results_db *db, int64_t *has)
{
    return query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'stack'", 0,
                     has);
}

/* Likewise runs.until_ns, which came later still. */
static int runs_have_until(struct results_db *db, int64_t *has)
{
    return query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'until_ns'",
                     0, has);
}

int results_run(struct results_db *db, int64_t run_id, struct results_run *run)
{
    int64_t has_stack = 0, has_until = 0;
    if (runs_have_stack(db, &has_stack) != 0 || runs_have_until(db, &has_until) != 0)
        return -1;
    char sql[320];
    snprintf(sql, sizeof sql,
             "SELECT scenario, scenario_sha256, seed, rep, status, sim_end_ns, events, wall_s,"
             " (SELECT count(*) FROM connections AS c WHERE c.run_id = r.run_id), %s, %s"
             " FROM runs AS r WHERE run_id = ?1",
             has_stack ? "stack" : "'tcpsim'", has_until ? "until_ns" : "NULL");
    sqlite3_stmt *st = prepare(db, sql, run_id, 0);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(run, 0, sizeof *run);
        run->run_id = run_id;
        copy_text(run->scenario, sizeof run->scenario, text_of(st, 0));
        copy_text(run->scenario_sha256, sizeof run->scenario_sha256, text_of(st, 1));
        run->seed = (uint64_t)sqlite3_column_int64(st, 2);
        run->rep = (uint32_t)sqlite3_column_int64(st, 3);
        copy_text(run->status, sizeof run->status, text_of(st, 4));
        run->sim_end_ns = sqlite3_column_int64(st, 5);
        run->events = (uint64_t)sqlite3_column_int64(st, 6);
        run->wall_s = sqlite3_column_double(st, 7);
        run->connection_count = sqlite3_column_int64(st, 8);
        copy_text(run->stack, sizeof run->stack, text_of(st, 9));
        run->until_ns = sqlite3_column_int64(st, 10); /* NULL reads 0 */
    }
    sqlite3_finalize(st);
    char why[256];
    if (rc == SQLITE_ROW && results_validate_run(run, why, sizeof why) != 0)
        return results_fail(db, "run %" PRId64 ": %s", run_id, why);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : sql_failed(db);
}

int results_run_has_host(struct results_db *db, int64_t run_id, const char *host)
{
    sqlite3_stmt *st = prepare(db,
                               "SELECT 1 FROM segments WHERE run_id = ?1 AND (sender = ?2 OR"
                               " receiver = ?2) UNION ALL"
                               " SELECT 1 FROM transitions WHERE run_id = ?1 AND host = ?2"
                               " LIMIT 1",
                               run_id, 0);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    return sql_failed(db);
}

int results_params(struct results_db *db, int64_t run_id, results_param_fn *fn, void *context)
{
    sqlite3_stmt *st = prepare(db, "SELECT key, value FROM run_params WHERE run_id = ?1 ORDER BY key",
                               run_id, 0);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct trace_param param = {text_of(st, 0), text_of(st, 1)};
        if (!param.key || !param.value || fn(context, &param) != 0)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_failed(db);
}

/* ---- connections ---- */

static int decode_connection(struct results_db *db, int64_t run_id, sqlite3_stmt *st,
                             struct trace_connection *c)
{
    int64_t conn_id = sqlite3_column_int64(st, 0), client_port, server_port, client_isn,
            server_isn;
    memset(c, 0, sizeof *c);
    c->conn_id = (uint64_t)conn_id;
    c->client = text_of(st, 1);
    c->server = text_of(st, 4);
    if (results_parse_addr(text_of(st, 2), &c->client_addr) != 0 ||
        results_parse_addr(text_of(st, 5), &c->server_addr) != 0)
        return bad_row(db, run_id, "connection", conn_id, "an address is not a.b.c.d");
    if (!uint_of(st, 3, UINT16_MAX, -1, &client_port) || client_port < 0 ||
        !uint_of(st, 6, UINT16_MAX, -1, &server_port) || server_port < 0 ||
        !uint_of(st, 7, UINT32_MAX, -1, &client_isn) ||
        !uint_of(st, 8, UINT32_MAX, -1, &server_isn))
        return bad_row(db, run_id, "connection", conn_id, "a port or ISN is out of range");
    c->client_port = (uint16_t)client_port;
    c->server_port = (uint16_t)server_port;
    c->has_client_isn = client_isn >= 0;
    c->has_server_isn = server_isn >= 0;
    c->client_isn = c->has_client_isn ? (uint32_t)client_isn : 0;
    c->server_isn = c->has_server_isn ? (uint32_t)server_isn : 0;
    c->opened_ns = sqlite3_column_int64(st, 9);
    c->established_ns = is_null(st, 10) ? -1 : sqlite3_column_int64(st, 10);
    c->closed_ns = is_null(st, 11) ? -1 : sqlite3_column_int64(st, 11);
    char why[256];
    if (results_validate_connection(c, why, sizeof why) != 0)
        return bad_row(db, run_id, "connection", conn_id, "%s", why);
    return 0;
}

int results_connections(struct results_db *db, int64_t run_id, int64_t conn_id,
                        results_connection_fn *fn, void *context)
{
    static const char *const sql[2] = {
        "SELECT conn_id, client, client_addr, client_port, server, server_addr, server_port,"
        " client_isn, server_isn, opened_ns, established_ns, closed_ns"
        " FROM connections WHERE run_id = ?1 ORDER BY conn_id",
        "SELECT conn_id, client, client_addr, client_port, server, server_addr, server_port,"
        " client_isn, server_isn, opened_ns, established_ns, closed_ns"
        " FROM connections WHERE run_id = ?1 AND conn_id = ?2",
    };
    sqlite3_stmt *st = prepare(db, sql[conn_id != 0], run_id, conn_id);
    if (!st)
        return -1;
    int rc = SQLITE_DONE, status = 0;
    struct trace_connection c;
    while (status == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        status = decode_connection(db, run_id, st, &c);
        if (status == 0 && fn(context, &c) != 0)
            break;
    }
    if (status == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = sql_failed(db);
    sqlite3_finalize(st);
    return status;
}

/* ---- cursors: transitions, segments, expectations in record order ---- */

/* One connection's records and those of no connection: two range scans of
 * an index on (run_id, conn_id), merged by record number (an OR of the two
 * would scan the whole run; in version 1 the planner, without statistics,
 * would walk the primary key to save the merge, hence INDEXED BY). Version
 * 1 has no such index on segments, so each branch scans the run there;
 * version 2 reads the views, whose base tables have both indexes. */
#define TRANSITION_COLUMNS \
    "SELECT seq, t_ns, host, conn_id, from_state, to_state, cause, seg_id FROM transitions"
#define SEGMENT_COLUMNS(OPTIONS, INJECTED)                                                     \
    "SELECT trace_seq, seg_id, conn_id, sender, receiver, src, dst, sent_ns, arrived_ns, flags," \
    " seq, ack, len, wnd, mss, fate, retransmission, " OPTIONS ", " INJECTED " FROM segments"

static int open_cursor(struct results_db *db, const char *sql, int64_t run_id, int64_t conn_id,
                       struct results_cursor *c)
{
    c->db = db;
    c->run_id = run_id;
    c->st = prepare(db, sql, run_id, conn_id);
    return c->st ? 0 : -1;
}

int results_open_transitions(struct results_db *db, int64_t run_id, int64_t conn_id,
                             struct results_cursor *c)
{
    static const char *const sql[3] = {
        TRANSITION_COLUMNS " WHERE run_id = ?1 ORDER BY seq",
        TRANSITION_COLUMNS " INDEXED BY transitions_by_conn WHERE run_id = ?1 AND conn_id = ?2"
        " UNION ALL " TRANSITION_COLUMNS " INDEXED BY transitions_by_conn"
        " WHERE run_id = ?1 AND conn_id IS NULL ORDER BY seq",
        TRANSITION_COLUMNS " WHERE run_id = ?1 AND conn_id = ?2"
        " UNION ALL " TRANSITION_COLUMNS " WHERE run_id = ?1 AND conn_id IS NULL ORDER BY seq",
    };
    int which = conn_id == 0 ? 0 : db->version_1 ? 1 : 2;
    return open_cursor(db, sql[which], run_id, conn_id, c);
}

int results_open_segments(struct results_db *db, int64_t run_id, int64_t conn_id,
                          struct results_cursor *c)
{
#define SEGMENT_QUERIES(OPTIONS, INJECTED)                                              \
    {SEGMENT_COLUMNS(OPTIONS, INJECTED) " WHERE run_id = ?1 ORDER BY trace_seq",        \
     SEGMENT_COLUMNS(OPTIONS, INJECTED) " WHERE run_id = ?1 AND conn_id = ?2 UNION ALL " \
     SEGMENT_COLUMNS(OPTIONS, INJECTED) " WHERE run_id = ?1 AND conn_id IS NULL ORDER BY trace_seq"}
#define NO_INJECTED "0, NULL"
#define INJECTED "injected, rule_line"
    static const char *const sql[2][2][2] = {
        {SEGMENT_QUERIES("NULL", NO_INJECTED), SEGMENT_QUERIES("NULL", INJECTED)},
        {SEGMENT_QUERIES("options", NO_INJECTED), SEGMENT_QUERIES("options", INJECTED)},
    };
#undef SEGMENT_QUERIES
#undef NO_INJECTED
#undef INJECTED
    return open_cursor(db, sql[db->has_options][db->has_injected][conn_id != 0], run_id, conn_id,
                       c);
}

int results_open_expectations(struct results_db *db, int64_t run_id, struct results_cursor *c)
{
    return open_cursor(db,
                       "SELECT expectation, passed, detail FROM expectations WHERE run_id = ?1"
                       " ORDER BY seq",
                       run_id, 0, c);
}

void results_close_cursor(struct results_cursor *c)
{
    sqlite3_finalize(c->st);
    c->st = NULL;
}

/* Steps the cursor: 1 a row, 0 the end, -1 an error. */
static int step(struct results_cursor *c)
{
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    return sql_failed(c->db);
}

static int parse_state(const char *text, enum tcp_state *state)
{
    int s = text ? tcp_state_from_name(text) : -1;
    *state = (enum tcp_state)s;
    return s < 0 ? -1 : 0;
}

/* NULL is a record without a cause. */
static int parse_cause(const char *text, enum tcp_cause *cause)
{
    int c = text ? tcp_cause_from_name(text) : TCP_CAUSE_NONE;
    *cause = (enum tcp_cause)c;
    return c < 0 ? -1 : 0;
}

int results_next_transition(struct results_cursor *c, struct results_transition *out)
{
    int rc = step(c);
    if (rc <= 0)
        return rc;
    sqlite3_stmt *st = c->st;
    struct trace_transition *tr = &out->tr;
    int64_t conn_id, seg_id;
    out->record = sqlite3_column_int64(st, 0);
    tr->t_ns = sqlite3_column_int64(st, 1);
    tr->host = text_of(st, 2);
    if (parse_state(text_of(st, 4), &tr->from_state) != 0 ||
        parse_state(text_of(st, 5), &tr->to_state) != 0)
        return bad_row(c->db, c->run_id, "transition", out->record,
                       "'%s -> %s' is not a pair of TCP states", shown(st, 4), shown(st, 5));
    if (parse_cause(text_of(st, 6), &tr->cause) != 0)
        return bad_row(c->db, c->run_id, "transition", out->record, "cause '%s' is not a cause",
                       shown(st, 6));
    if (!uint_of(st, 3, INT64_MAX, 0, &conn_id) || !uint_of(st, 7, INT64_MAX, 0, &seg_id))
        return bad_row(c->db, c->run_id, "transition", out->record,
                       "conn_id or seg_id is not an id");
    tr->conn_id = (uint64_t)conn_id;
    tr->seg_id = (uint64_t)seg_id;
    char why[256];
    if (results_validate_transition(tr, why, sizeof why) != 0)
        return bad_row(c->db, c->run_id, "transition", out->record, "%s", why);
    return 1;
}

/* The numeric columns 10..14 of a segment row: seq, ack, len, wnd, mss. */
static bool segment_numbers(sqlite3_stmt *st, struct segment *seg)
{
    int64_t seq, ack, len, wnd, mss;
    if (!uint_of(st, 10, UINT32_MAX, -1, &seq) || seq < 0 || !uint_of(st, 11, UINT32_MAX, -1, &ack) ||
        ack < 0 || !uint_of(st, 12, UINT32_MAX, -1, &len) || len < 0 ||
        !uint_of(st, 13, UINT16_MAX, -1, &wnd) || wnd < 0 || !uint_of(st, 14, UINT16_MAX, 0, &mss))
        return false;
    seg->seq = (uint32_t)seq;
    seg->ack = (uint32_t)ack;
    seg->len = (uint32_t)len;
    seg->wnd = (uint16_t)wnd;
    seg->mss = (uint16_t)mss;
    return true;
}

int results_next_segment(struct results_cursor *c, struct results_segment *out)
{
    int rc = step(c);
    if (rc <= 0)
        return rc;
    sqlite3_stmt *st = c->st;
    struct segment *seg = &out->seg;
    int64_t seg_id = sqlite3_column_int64(st, 1), conn_id;
    memset(seg, 0, sizeof *seg);
    out->record = sqlite3_column_int64(st, 0);
    seg->id = (uint64_t)seg_id;
    out->sender = text_of(st, 3);
    out->receiver = text_of(st, 4);
    out->sent_ns = sqlite3_column_int64(st, 7);
    out->arrived_ns = is_null(st, 8) ? -1 : sqlite3_column_int64(st, 8);
    if (results_parse_endpoint(text_of(st, 5), &seg->src_addr, &seg->src_port) != 0 ||
        results_parse_endpoint(text_of(st, 6), &seg->dst_addr, &seg->dst_port) != 0)
        return bad_row(c->db, c->run_id, "segment", seg_id,
                       "endpoint '%s' or '%s' is not a.b.c.d:port", shown(st, 5),
                       shown(st, 6));
    if (results_parse_flags(text_of(st, 9), &seg->flags) != 0)
        return bad_row(c->db, c->run_id, "segment", seg_id, "flags '%s' are not TCP flags",
                       shown(st, 9));
    if (results_parse_fate(text_of(st, 15), &out->fate) != 0)
        return bad_row(c->db, c->run_id, "segment", seg_id, "fate '%s' is not a segment fate",
                       shown(st, 15));
    if (!segment_numbers(st, seg) || !uint_of(st, 2, INT64_MAX, 0, &conn_id))
        return bad_row(c->db, c->run_id, "segment", seg_id,
                       "seq, ack, len, wnd, mss or conn_id is out of range");
    seg->conn_id = (uint64_t)conn_id;
    seg->retransmission = sqlite3_column_int64(st, 16) != 0;
    if (!is_null(st, 17) && segment_options_parse(text_of(st, 17), seg) != 0)
        return bad_row(c->db, c->run_id, "segment", seg_id, "options '%s' are not TCP options",
                       shown(st, 17));
    int64_t rule_line;
    if (!uint_of(st, 19, INT_MAX, 0, &rule_line))
        return bad_row(c->db, c->run_id, "segment", seg_id, "rule_line is out of range");
    seg->injected = sqlite3_column_int64(st, 18) != 0;
    out->rule_line = (int)rule_line;
    char why[256];
    if (results_validate_segment(out, why, sizeof why) != 0)
        return bad_row(c->db, c->run_id, "segment", seg_id, "%s", why);
    return 1;
}

int results_next_expectation(struct results_cursor *c, struct trace_expectation *out)
{
    int rc = step(c);
    if (rc <= 0)
        return rc;
    out->text = text_of(c->st, 0);
    out->passed = sqlite3_column_int(c->st, 1) != 0;
    out->detail = text_of(c->st, 2);
    return 1;
}

int results_open_calls(struct results_db *db, int64_t run_id, struct results_cursor *c)
{
    c->db = db;
    c->run_id = run_id;
    c->st = NULL;
    if (results_pragma_int(db->db, "SELECT count(*) FROM sqlite_master WHERE name = 'calls'") <= 0)
        return 0;
    return open_cursor(db, "SELECT seq, t_ns, host, conn_id, call, result FROM calls WHERE run_id = ?1"
                           " ORDER BY seq", run_id, 0, c);
}

int results_next_call(struct results_cursor *c, struct results_call *out)
{
    if (!c->st)
        return 0;
    int rc = step(c);
    if (rc <= 0)
        return rc;
    sqlite3_stmt *st = c->st;
    int64_t conn_id;
    out->record = sqlite3_column_int64(st, 0);
    out->call.t_ns = sqlite3_column_int64(st, 1);
    out->call.host = text_of(st, 2);
    int call = text_of(st, 4) ? tcp_call_from_name(text_of(st, 4)) : -1;
    int result = text_of(st, 5) ? tcp_call_result_from_name(text_of(st, 5)) : -1;
    if (call < 0 || result < 0 || !out->call.host || !uint_of(st, 3, INT64_MAX, 0, &conn_id))
        return bad_row(c->db, c->run_id, "call", out->record, "'%s: %s' is not a call and its result",
                       shown(st, 4), shown(st, 5));
    out->call.call = (enum tcp_call)call;
    out->call.result = (enum tcp_call_result)result;
    out->call.conn_id = (uint64_t)conn_id;
    char why[256];
    if (results_validate_call(&out->call, why, sizeof why) != 0)
        return bad_row(c->db, c->run_id, "call", out->record, "%s", why);
    return 1;
}

int results_transitions(struct results_db *db, int64_t run_id, int64_t conn_id,
                        results_transition_fn *fn, void *context)
{
    struct results_cursor c;
    struct results_transition t;
    if (results_open_transitions(db, run_id, conn_id, &c) != 0)
        return -1;
    int rc;
    while ((rc = results_next_transition(&c, &t)) > 0 && fn(context, &t) == 0)
        ;
    results_close_cursor(&c);
    return rc < 0 ? -1 : 0;
}

int results_calls(struct results_db *db, int64_t run_id, results_call_fn *fn, void *context)
{
    struct results_cursor c;
    struct results_call call;
    if (results_open_calls(db, run_id, &c) != 0)
        return -1;
    int rc;
    while ((rc = results_next_call(&c, &call)) > 0 && fn(context, &call) == 0)
        ;
    results_close_cursor(&c);
    return rc < 0 ? -1 : 0;
}

int results_segments(struct results_db *db, int64_t run_id, int64_t conn_id,
                     results_segment_fn *fn, void *context)
{
    struct results_cursor c;
    struct results_segment s;
    if (results_open_segments(db, run_id, conn_id, &c) != 0)
        return -1;
    int rc;
    while ((rc = results_next_segment(&c, &s)) > 0 && fn(context, &s) == 0)
        ;
    results_close_cursor(&c);
    return rc < 0 ? -1 : 0;
}

/* ---- aggregates ---- */

static int bad_counts(struct results_db *db, int64_t run_id, sqlite3_stmt *st)
{
    char where[32] = "";
    if (run_id != RESULTS_ALL_RUNS)
        snprintf(where, sizeof where, "run %" PRId64 ", ", run_id);
    return results_fail(db, "%stransitions '%s -> %s' (%s): not TCP states and a cause", where,
                        shown(st, 0), shown(st, 1), shown(st, 2));
}

int results_transition_counts(struct results_db *db, int64_t run_id,
                              results_transition_count_fn *fn, void *context)
{
    static const char *const sql[2] = {
        "SELECT from_state, to_state, cause, count(*) FROM transitions"
        " GROUP BY from_state, to_state, cause",
        "SELECT from_state, to_state, cause, count(*) FROM transitions WHERE run_id = ?1"
        " GROUP BY from_state, to_state, cause",
    };
    sqlite3_stmt *st = prepare(db, sql[run_id != RESULTS_ALL_RUNS], run_id, 0);
    if (!st)
        return -1;
    int rc = SQLITE_DONE, status = 0;
    struct results_transition_count n;
    while (status == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        n.count = sqlite3_column_int64(st, 3);
        if (parse_state(text_of(st, 0), &n.from) != 0 || parse_state(text_of(st, 1), &n.to) != 0 ||
            parse_cause(text_of(st, 2), &n.cause) != 0)
            status = bad_counts(db, run_id, st);
        else if (fn(context, &n) != 0)
            break;
    }
    if (status == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = sql_failed(db);
    sqlite3_finalize(st);
    return status;
}

/* ---- every record of every run, checked ---- */

static int accept_connection(void *context, const struct trace_connection *c)
{
    (void)context;
    (void)c;
    return 0;
}
static int accept_transition(void *context, const struct results_transition *t)
{
    (void)context;
    (void)t;
    return 0;
}
static int accept_segment(void *context, const struct results_segment *s)
{
    (void)context;
    (void)s;
    return 0;
}
static int accept_call(void *context, const struct results_call *c)
{
    (void)context;
    (void)c;
    return 0;
}

int results_check_runs(struct results_db *db)
{
    sqlite3_stmt *st = prepare(db, "SELECT run_id FROM runs ORDER BY run_id", 0, 0);
    if (!st)
        return -1;
    int rc, status = 0;
    while (status == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t run_id = sqlite3_column_int64(st, 0);
        struct results_run run;
        if (results_run(db, run_id, &run) < 0 ||
            results_connections(db, run_id, 0, accept_connection, NULL) != 0 ||
            results_transitions(db, run_id, 0, accept_transition, NULL) != 0 ||
            results_segments(db, run_id, 0, accept_segment, NULL) != 0 ||
            results_calls(db, run_id, accept_call, NULL) != 0)
            status = -1;
    }
    sqlite3_finalize(st);
    if (status == 0 && rc != SQLITE_DONE)
        return sql_failed(db);
    return status;
}
