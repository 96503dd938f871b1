/*
 * results_upgrade.c: `tcpsim upgrade DB`, a schema version 1 file rewritten
 * as version 2 in place. Every run is replayed (results_replay) from the
 * old file into a version 2 writer on a new file beside it, so the new rows
 * are exactly what a run recorded by this tcpsim would have; the columns
 * the trace records do not carry (the runs row as it was written, a
 * segment's injected mark and fault-rule line) are then copied over from
 * the old file by SQL. The new file is fsynced and renamed over the old
 * one: a kill at any moment leaves either the old file or the new one,
 * whole, and at worst a PATH.upgrade file that the next upgrade replaces.
 *
 * The trade-off: a replay is slower than a copy in SQL, but it keeps one
 * encoder of version 2 rows (the writer), not two that could disagree.
 */
#include "results_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sink_sqlite.h"

/* The runs row and the segment columns the replay does not carry, from the
 * old file (attached as old). A file from before segments.injected has
 * nothing to copy there. */
static const char runs_fixup_sql[] =
    "UPDATE main.runs AS n SET scenario = o.scenario, scenario_sha256 = o.scenario_sha256,"
    " seed = o.seed, rep = o.rep, params = o.params, status = o.status,"
    " sim_end_ns = o.sim_end_ns, events = o.events, wall_s = o.wall_s,"
    " tcpsim_version = o.tcpsim_version"
    " FROM old.runs AS o WHERE o.run_id = n.run_id";
static const char segments_fixup_sql[] =
    "UPDATE main.segment_rows AS n SET injected = o.injected, rule_line = o.rule_line"
    " FROM old.segments AS o"
    " WHERE o.run_id = n.run_id AND o.seg_id = n.seg_id AND o.trace_seq = n.trace_seq"
    "  AND (o.injected <> 0 OR o.rule_line IS NOT NULL)";
/* A file from before runs.stack: its runs were all the simulator's. */
static const char stack_fixup_sql[] =
    "UPDATE main.runs AS n SET stack = 'tcpsim ' || o.tcpsim_version"
    " FROM old.runs AS o WHERE o.run_id = n.run_id";

static int has_column(sqlite3 *db, const char *table, const char *column)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pragma_table_info('%s', 'old') WHERE name = '%s'", table,
             column);
    return results_pragma_int(db, sql) > 0;
}

/* Replays every run of old into the writer on new_path, keeping run_ids
 * (a run_id missing from the old file would renumber the later ones: such
 * a file is refused). */
static int replay_all(const char *old_path, const char *new_path, char *err, size_t errlen)
{
    struct results_db *old = results_open(old_path, err, errlen);
    if (!old)
        return -1;
    if (errlen)
        err[0] = '\0'; /* the classification's note that writers refuse the file */
    struct trace_sink *sink = sink_sqlite_open(new_path, err, errlen);
    int64_t latest = 0, count = 0;
    /* No fsync per run (a run is a transaction): the new file counts only
     * once it is complete, synced and renamed, so a crash before that loses
     * nothing but it. 896 runs: 21 s with them, about 1 s without. */
    int rc = sink &&
                     sink_sqlite_query(sink, "PRAGMA synchronous = OFF", NULL, 0, NULL, NULL, err,
                                       errlen) == 0 &&
                     sink_sqlite_query(sink, "PRAGMA journal_mode = MEMORY", NULL, 0, NULL, NULL,
                                       err, errlen) == 0 &&
                     results_latest_run(old, &latest) == 0 && results_run_count(old, &count) == 0
                 ? 0
                 : -1;
    if (rc != 0 && sink && !err[0])
        results_set_error(err, errlen, "%s: %s", old_path, results_error(old));
    if (rc == 0 && latest != count) {
        results_set_error(err, errlen, "%s: run_ids 1 to %" PRId64 " hold %" PRId64 " runs; an"
                          " upgrade keeps run_ids and cannot fill the gaps", old_path, latest, count);
        rc = -1;
    }
    struct trace trace;
    trace_init(&trace);
    if (sink)
        trace_add_sink(&trace, sink);
    for (int64_t run_id = 1; rc == 0 && run_id <= latest; run_id++)
        if (results_replay(old, run_id, &trace) != 0) {
            results_set_error(err, errlen, "%s: run %" PRId64 ": %s", old_path, run_id,
                              results_error(old));
            rc = -1;
        }
    trace_destroy_sinks(&trace);
    results_close(old);
    return rc;
}

/* Copies what the replay could not say from the old file into the new. */
static int fix_up(const char *old_path, const char *new_path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (results_connect(new_path, SQLITE_OPEN_READWRITE, &db, err, errlen) != 0) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS old", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, old_path, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK &&
        (results_exec(db, "BEGIN IMMEDIATE") != 0 || results_exec(db, runs_fixup_sql) != 0 ||
         (!has_column(db, "runs", "stack") && results_exec(db, stack_fixup_sql) != 0) ||
         (has_column(db, "segments", "injected") && results_exec(db, segments_fixup_sql) != 0) ||
         results_exec(db, "COMMIT") != 0))
        rc = SQLITE_ERROR;
    if (rc != SQLITE_OK)
        results_set_error(err, errlen, "%s: %s", new_path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* fsync of a file, or of the directory that holds path. */
static int sync_path(const char *path, bool directory)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(directory ? dirname(copy) : path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int results_upgrade(const char *path, char *err, size_t errlen)
{
    enum results_file_kind kind = results_classify_path(path, err, errlen);
    if (kind == RESULTS_FILE_TCPSIM)
        return 0;
    if (kind != RESULTS_FILE_OLD) {
        if (kind == RESULTS_FILE_NEW)
            results_set_error(err, errlen, "%s: missing or empty, not a tcpsim database", path);
        return -1;
    }
    char new_path[4096];
    if ((size_t)snprintf(new_path, sizeof new_path, "%s.upgrade", path) >= sizeof new_path) {
        results_set_error(err, errlen, "%s: path too long", path);
        return -1;
    }
    if (unlink(new_path) != 0 && errno != ENOENT) { /* a killed upgrade's */
        results_set_error(err, errlen, "%s: %s", new_path, strerror(errno));
        return -1;
    }
    if (replay_all(path, new_path, err, errlen) != 0 || fix_up(path, new_path, err, errlen) != 0) {
        unlink(new_path);
        return -1;
    }
    if (sync_path(new_path, false) != 0 || rename(new_path, path) != 0 ||
        sync_path(path, true) != 0) {
        results_set_error(err, errlen, "%s: cannot replace it with %s: %s", path, new_path,
                          strerror(errno));
        unlink(new_path);
        return -1;
    }
    return 1;
}
