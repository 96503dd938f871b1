/*
 * results_schema.c: the tables and views of schema version 2
 * (docs/schema.md). The base tables hold integers: hosts and endpoints
 * (host, address, port) by small per-run ids, states, causes, fates and
 * flags by code, with lookup tables filled here from the enums' own name
 * functions, so the names stay text only at this edge. Views with version
 * 1's table names and columns decode them, so a query written for version 1
 * reads a version 2 file unchanged.
 *
 * Each stay in a state is one row of `stays`: the transition into the
 * state plus when and why it was left (written when the stay ends; see the
 * writer), so state_durations is a lookup, not a window over the run.
 */
#include "results_internal.h"

#include <stdio.h>

#include "segment.h"
#include "sink_sqlite.h"
#include "tcp_base.h"

static const char tables_sql[] =
    "CREATE TABLE runs ("
    " run_id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL,"
    " scenario_sha256 TEXT,"
    " seed INTEGER NOT NULL,"
    " rep INTEGER NOT NULL,"
    " params TEXT NOT NULL DEFAULT '{}',"
    " status TEXT NOT NULL,"
    " sim_end_ns INTEGER,"
    " events INTEGER,"
    " wall_s REAL,"
    " tcpsim_version TEXT NOT NULL,"
    " stack TEXT NOT NULL,"
    " until_ns INTEGER);"

    /* number: the value in SI units (seconds, bits/s, bytes, a fraction)
     * when it is a number with a known unit; NULL otherwise. */
    "CREATE TABLE run_params ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " key TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " number REAL,"
    " PRIMARY KEY (run_id, key)) WITHOUT ROWID;"

    "CREATE TABLE state_names (state INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE cause_names (cause INTEGER PRIMARY KEY, name TEXT UNIQUE);"
    "CREATE TABLE fate_names (fate INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE flag_names (flags INTEGER PRIMARY KEY, name TEXT NOT NULL);"

    "CREATE TABLE hosts ("
    " run_id INTEGER NOT NULL,"
    " host_id INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " PRIMARY KEY (run_id, host_id)) WITHOUT ROWID;"

    "CREATE TABLE endpoints ("
    " run_id INTEGER NOT NULL,"
    " endpoint_id INTEGER NOT NULL,"
    " host_id INTEGER NOT NULL,"
    " addr INTEGER NOT NULL,"
    " port INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, endpoint_id)) WITHOUT ROWID;"

    "CREATE TABLE connection_rows ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " conn_id INTEGER NOT NULL,"
    " client_end INTEGER NOT NULL,"
    " server_end INTEGER NOT NULL,"
    " client_isn INTEGER,"
    " server_isn INTEGER,"
    " opened_ns INTEGER NOT NULL,"
    " established_ns INTEGER,"
    " closed_ns INTEGER,"
    " PRIMARY KEY (run_id, conn_id)) WITHOUT ROWID;"

    /* One row per transition, which is the stay it begins: left_ns and
     * exit_cause are the next transition's of the same (run, host, conn);
     * exit_cause NULL: still in the state at the run's end (left_ns is
     * then the run's end, or NULL for a final CLOSED). */
    "CREATE TABLE stays ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL,"
    " t_ns INTEGER NOT NULL,"
    " host_id INTEGER NOT NULL,"
    " conn_id INTEGER,"
    " from_state INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " cause INTEGER NOT NULL,"
    " seg_id INTEGER,"
    " left_ns INTEGER,"
    " exit_cause INTEGER,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX stays_by_conn ON stays (run_id, conn_id, host_id, seq);"

    "CREATE TABLE segment_rows ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seg_id INTEGER NOT NULL,"
    " trace_seq INTEGER NOT NULL,"
    " conn_id INTEGER,"
    " src_end INTEGER NOT NULL,"
    " dst_end INTEGER NOT NULL,"
    " sent_ns INTEGER NOT NULL,"
    " arrived_ns INTEGER,"
    " flags INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " ack INTEGER NOT NULL,"
    " len INTEGER NOT NULL,"
    " wnd INTEGER NOT NULL,"
    " mss INTEGER,"
    " fate INTEGER NOT NULL,"
    " retransmission INTEGER NOT NULL,"
    " injected INTEGER NOT NULL,"
    " rule_line INTEGER,"
    " options INTEGER NOT NULL,"   /* TCP_OPT_* bits: 1 sack_perm, 2 timestamps, 4 window scale */
    " tsval INTEGER,"
    " tsecr INTEGER,"
    " wscale INTEGER,"
    " PRIMARY KEY (run_id, seg_id, trace_seq)) WITHOUT ROWID;"
    "CREATE INDEX segments_by_conn ON segment_rows (run_id, conn_id, trace_seq);"

    "CREATE TABLE expectations ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL,"
    " expectation TEXT NOT NULL,"
    " passed INTEGER NOT NULL,"
    " detail TEXT,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"

    "CREATE TABLE calls ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL,"
    " t_ns INTEGER NOT NULL,"
    " host TEXT NOT NULL,"
    " conn_id INTEGER,"
    " call TEXT NOT NULL,"
    " result TEXT NOT NULL,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;";

/* "a.b.c.d" of an address column. */
#define DOTTED(A) \
    "((" A ") >> 24) || '.' || (((" A ") >> 16) & 255) || '.' || (((" A ") >> 8) & 255) || '.' || ((" A ") & 255)"

/* Version 1's tables, decoded. Each name is a scalar subquery on a primary
 * key, not a join: a view over one table is flattened into the query that
 * uses it (also into the right side of a LEFT JOIN, where a view that is a
 * join would be computed whole first), so a WHERE on run_id and conn_id
 * reaches the base table's keys and indexes, and a name nobody selects is
 * never looked up (a count(*) reads the base table only). A code no table
 * names (a damaged file) shows as '?CODE', which the reader refuses with
 * the row's number. */
#define NAME_OF(TABLE, KEY, CODE) \
    "COALESCE((SELECT name FROM " TABLE " WHERE " KEY " = " CODE "), '?' || " CODE ")"
#define HOST_OF(RUN, HOST) "(SELECT name FROM hosts WHERE run_id = " RUN " AND host_id = " HOST ")"
#define ENDPOINT_HOST(RUN, END)                                                         \
    "(SELECT h.name FROM endpoints AS e JOIN hosts AS h ON h.run_id = e.run_id"           \
    " AND h.host_id = e.host_id WHERE e.run_id = " RUN " AND e.endpoint_id = " END ")"
#define ENDPOINT_FIELD(RUN, END, FIELD) \
    "(SELECT " FIELD " FROM endpoints WHERE run_id = " RUN " AND endpoint_id = " END ")"

static const char decoding_views_sql[] =
    "CREATE VIEW connections AS"
    " SELECT c.run_id, c.conn_id, " ENDPOINT_HOST("c.run_id", "c.client_end") " AS client,"
    "  " ENDPOINT_FIELD("c.run_id", "c.client_end", DOTTED("addr")) " AS client_addr,"
    "  " ENDPOINT_FIELD("c.run_id", "c.client_end", "port") " AS client_port,"
    "  " ENDPOINT_HOST("c.run_id", "c.server_end") " AS server,"
    "  " ENDPOINT_FIELD("c.run_id", "c.server_end", DOTTED("addr")) " AS server_addr,"
    "  " ENDPOINT_FIELD("c.run_id", "c.server_end", "port") " AS server_port,"
    "  c.client_isn, c.server_isn, c.opened_ns, c.established_ns, c.closed_ns"
    " FROM connection_rows AS c;"

    "CREATE VIEW transitions AS"
    " SELECT t.run_id, t.seq, t.t_ns, " HOST_OF("t.run_id", "t.host_id") " AS host, t.conn_id,"
    "  " NAME_OF("state_names", "state", "t.from_state") " AS from_state,"
    "  " NAME_OF("state_names", "state", "t.state") " AS to_state,"
    "  CASE t.cause WHEN 0 THEN NULL ELSE " NAME_OF("cause_names", "cause", "t.cause") " END"
    "  AS cause, t.seg_id"
    " FROM stays AS t;"

    "CREATE VIEW segments AS"
    " SELECT s.run_id, s.seg_id, s.conn_id, " ENDPOINT_HOST("s.run_id", "s.src_end") " AS sender,"
    "  " ENDPOINT_HOST("s.run_id", "s.dst_end") " AS receiver,"
    "  " ENDPOINT_FIELD("s.run_id", "s.src_end", DOTTED("addr") " || ':' || port") " AS src,"
    "  " ENDPOINT_FIELD("s.run_id", "s.dst_end", DOTTED("addr") " || ':' || port") " AS dst,"
    "  s.sent_ns, s.arrived_ns, " NAME_OF("flag_names", "flags", "s.flags") " AS flags,"
    "  s.seq, s.ack, s.len, s.wnd, s.mss, " NAME_OF("fate_names", "fate", "s.fate") " AS fate,"
    "  s.retransmission, s.trace_seq, s.injected, s.rule_line,"
    /* segment_options_string's text: wire order, NULL for none */
    "  NULLIF(substr(COALESCE(',mss=' || s.mss, '')"
    "   || CASE WHEN s.options & 1 THEN ',sack_perm' ELSE '' END"
    "   || CASE WHEN s.options & 2 THEN ',ts=' || s.tsval || '/' || s.tsecr ELSE '' END"
    "   || CASE WHEN s.options & 4 THEN ',wscale=' || s.wscale ELSE '' END, 2), '') AS options"
    " FROM segment_rows AS s;"

    /* A stay is listed unless it is a final CLOSED (no connection at all). */
    "CREATE VIEW state_durations AS"
    " SELECT t.run_id, " HOST_OF("t.run_id", "t.host_id") " AS host, t.conn_id,"
    "  " NAME_OF("state_names", "state", "t.state") " AS state,"
    "  t.t_ns / 1e6 AS entered_ms, t.left_ns / 1e6 AS left_ms,"
    "  (t.left_ns - t.t_ns) / 1e6 AS duration_ms, (t.exit_cause IS NULL) AS open_at_end"
    " FROM stays AS t"
    " WHERE t.left_ns IS NOT NULL;";

/* The views over those: version 1's text, except that the segment counts
 * read the codes. */
static const char derived_views_sql[] =
    "CREATE VIEW handshake_latency AS"
    " SELECT c.run_id, c.conn_id, c.client, c.server,"
    "  c.opened_ns / 1e6 AS opened_ms,"
    "  c.established_ns / 1e6 AS established_ms,"
    "  (c.established_ns - c.opened_ns) / 1e6 AS latency_ms,"
    "  COALESCE(r.n, 0) AS syn_retransmissions"
    " FROM connections AS c"
    /* GROUP BY +run_id, +conn_id: grouping on the columns themselves, the
     * planner would walk segments_by_conn to save sorting the few
     * retransmitted SYNs, and look every segment up in the table (5x). */
    " LEFT JOIN (SELECT run_id, conn_id, count(*) AS n FROM segment_rows"
    "            WHERE flags = 2 AND retransmission = 1"
    "             AND fate <> (SELECT fate FROM fate_names WHERE name = 'duplicated')"
    "            GROUP BY +run_id, +conn_id) AS r"
    "  ON r.run_id = c.run_id AND r.conn_id = c.conn_id;"

    /* Grouped on the codes, named after: the names are looked up once per
     * group, not once per stay. The sums add the same per-stay values
     * (each converted to ms first) as version 1's view did. */
    "CREATE VIEW time_in_state AS"
    " SELECT run_id, " HOST_OF("g.run_id", "g.host_id") " AS host,"
    "  " NAME_OF("state_names", "state", "g.state") " AS state, visits, total_ms, mean_ms"
    " FROM (SELECT run_id, host_id, state, count(*) AS visits,"
    "        sum((left_ns - t_ns) / 1e6) AS total_ms, avg((left_ns - t_ns) / 1e6) AS mean_ms"
    "       FROM stays WHERE left_ns IS NOT NULL GROUP BY run_id, host_id, state) AS g;"

    "CREATE VIEW timeline AS"
    " WITH events AS ("
    "  SELECT run_id, t_ns, 2 * seq AS ord, 'transition' AS kind, host, conn_id, seg_id,"
    "   from_state || ' -> ' || to_state || COALESCE(' (' || cause || ')', '') AS description"
    "  FROM transitions"
    "  UNION ALL"
    "  SELECT run_id, sent_ns, 2 * trace_seq, 'send', sender, conn_id, seg_id,"
    "   flags || ' seq=' || seq || ' ack=' || ack || ' len=' || len || ' wnd=' || wnd"
    "   || ' to ' || receiver || ' [' || fate"
    "   || CASE WHEN retransmission THEN ', retransmission' ELSE '' END || ']'"
    "  FROM segments WHERE fate <> 'duplicated'"
    "  UNION ALL"
    "  SELECT run_id, arrived_ns, 2 * trace_seq + 1, 'arrive', receiver, conn_id, seg_id,"
    "   flags || ' seq=' || seq || ' ack=' || ack || ' len=' || len || ' wnd=' || wnd"
    "   || ' from ' || sender"
    "   || CASE fate WHEN 'corrupted' THEN ' [corrupted]' WHEN 'duplicated' THEN ' [duplicate]'"
    "      ELSE '' END"
    "  FROM segments WHERE arrived_ns IS NOT NULL)"
    " SELECT run_id,"
    "  ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY t_ns, ord) AS step,"
    "  t_ns / 1e6 AS t_ms, t_ns, kind, host, conn_id, seg_id, description"
    " FROM events ORDER BY run_id, step;"

    "CREATE VIEW retransmitted_segments AS"
    " SELECT run_id, seg_id, conn_id, sender, receiver, flags, seq, ack, len,"
    "  sent_ns / 1e6 AS sent_ms, arrived_ns / 1e6 AS arrived_ms, fate"
    " FROM segments WHERE retransmission = 1 AND fate <> 'duplicated';"

    "CREATE VIEW lost_segments AS"
    " SELECT run_id, seg_id, conn_id, sender, receiver, flags, seq, ack, len,"
    "  sent_ns / 1e6 AS sent_ms, fate, retransmission"
    " FROM segments WHERE fate IN ('lost', 'dropped', 'queue_full', 'corrupted');"

    "CREATE VIEW run_summary AS"
    " SELECT r.run_id, r.scenario, r.seed, r.rep, r.status,"
    "  (SELECT count(*) FROM connections AS c WHERE c.run_id = r.run_id) AS connections,"
    "  (SELECT count(*) FROM connections AS c"
    "   WHERE c.run_id = r.run_id AND c.established_ns IS NOT NULL) AS established,"
    "  (SELECT avg(c.established_ns - c.opened_ns) / 1e6 FROM connections AS c"
    "   WHERE c.run_id = r.run_id AND c.established_ns IS NOT NULL) AS mean_handshake_ms,"
    "  (SELECT count(*) FROM segments AS s"
    "   WHERE s.run_id = r.run_id AND s.fate <> 'duplicated') AS segments,"
    "  (SELECT count(*) FROM segments AS s WHERE s.run_id = r.run_id"
    "   AND s.retransmission = 1 AND s.fate <> 'duplicated') AS retransmissions,"
    "  (SELECT count(*) FROM segments AS s WHERE s.run_id = r.run_id"
    "   AND s.fate IN ('lost', 'dropped', 'queue_full', 'corrupted')) AS lost,"
    "  r.params"
    " FROM runs AS r;";

/* Statistics for the query planner, the shape of a large run (10^5
 * connections of about ten transitions and eight segments each), written
 * once instead of by ANALYZE so the file stays the same for the same runs.
 * Without them the planner walks a whole run in primary-key order to save
 * sorting one connection's ten rows. */
static const char planner_stats_sql[] =
    "ANALYZE sqlite_schema;"
    "DELETE FROM sqlite_stat1;"
    "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES"
    " ('stays', 'stays', '1000000 1000000 1'),"
    " ('stays', 'stays_by_conn', '1000000 1000000 10 5 1'),"
    " ('segment_rows', 'segment_rows', '800000 800000 1 1'),"
    " ('segment_rows', 'segments_by_conn', '800000 800000 8 1'),"
    " ('connection_rows', 'connection_rows', '100000 100000 1'),"
    " ('endpoints', 'endpoints', '100000 100000 1'),"
    " ('hosts', 'hosts', '2 2 1');";

/* The name tables, from the enums' name functions. */
static int fill_lookup_tables(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    static const char sql[4][64] = {"INSERT INTO state_names VALUES (?1, ?2)",
                       "INSERT INTO cause_names VALUES (?1, ?2)",
                       "INSERT INTO fate_names VALUES (?1, ?2)",
                       "INSERT INTO flag_names VALUES (?1, ?2)"};
    const int counts[4] = {TCP_STATE_COUNT, TCP_CAUSE_COUNT, FATE_QUEUE_FULL + 1, 64};
    for (int t = 0; t < 4 && rc == 0; t++) {
        if (sqlite3_prepare_v2(db, sql[t], -1, &st, NULL) != SQLITE_OK)
            return -1;
        for (int code = 0; code < counts[t] && rc == 0; code++) {
            char flags[32];
            const char *name = t == 0   ? tcp_state_name((enum tcp_state)code)
                               : t == 1 ? tcp_cause_name((enum tcp_cause)code)
                               : t == 2 ? segment_fate_name((enum segment_fate)code)
                                        : segment_flags_string((uint8_t)code, flags);
            sqlite3_bind_int(st, 1, code);
            if (name)
                sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, 2);
            rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    return rc;
}

int results_create_schema(sqlite3 *db)
{
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             SINK_SQLITE_APPLICATION_ID, SINK_SQLITE_SCHEMA_VERSION);
    if (results_exec(db, tables_sql) != 0 || fill_lookup_tables(db) != 0 ||
        results_exec(db, planner_stats_sql) != 0 ||
        results_exec(db, decoding_views_sql) != 0 || results_exec(db, derived_views_sql) != 0)
        return -1;
    return results_exec(db, pragmas);
}
