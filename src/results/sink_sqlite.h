/*
 * sink_sqlite.h: the results database. A trace sink that records runs,
 * connections, state transitions, segments and expectations in an SQLite
 * file (schema and views: docs/schema.md), one transaction per run, so a
 * failed or interrupted run leaves no rows. Reading goes through results.h
 * (typed records); only src/results/ includes sqlite3.h.
 *
 *   char err[256];
 *   struct trace_sink *db = sink_sqlite_open("results/x.db", err, sizeof err);
 *   if (!db) { fprintf(stderr, "tcpsim: %s\n", err); ... }
 *   trace_add_sink(&trace, db);        // world_run() starts and ends runs
 *   int64_t run = sink_sqlite_last_run_id(db);
 */
#ifndef TCPSIM_SINK_SQLITE_H
#define TCPSIM_SINK_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct results_db;

/* PRAGMA application_id of every tcpsim database: 'TCPS'. */
#define SINK_SQLITE_APPLICATION_ID 0x54435053
/* PRAGMA user_version: the schema version this code writes and reads. */
#define SINK_SQLITE_SCHEMA_VERSION 2
/* Version 2 (docs/schema.md) stores codes and per-run ids in base tables
 * (results_schema.c) under views named like version 1's tables. Version 1
 * files are read (results.h) but not written: opening one here, or copying
 * runs from one, fails naming `tcpsim upgrade FILE` (results_upgrade). */

/* A sink belongs to one thread at a time (its SQLite connection is opened
 * without mutexes). */

/* Opens a results database for writing runs. A path that does not exist or
 * names an empty file becomes a new database; a tcpsim database of this
 * schema version is appended to; anything else (another SQLite database, a
 * text file, another schema version, version 1 included) is refused and
 * left untouched.
 * ":memory:" gives a private in-memory database. Returns NULL with a message
 * naming the file in err on error. Destroy through sink->ops->destroy (or
 * trace_destroy_sinks). */
struct trace_sink *sink_sqlite_open(const char *path, char *err, size_t errlen);

/* Opens an existing tcpsim database read-only for sink_sqlite_query:
 * queries work, run_start fails. NULL with err on error. (Legacy, like
 * sink_sqlite_query; new readers use results_open.) */
struct trace_sink *sink_sqlite_open_read(const char *path, char *err, size_t errlen);

/* A reader of what the sink wrote, on the sink's own connection: how
 * `tcpsim run --ladder --no-db` reads the ":memory:" run it just made. Use
 * it between runs only (NULL with err during one), close it with
 * results_close before the sink is destroyed. */
struct results_db *sink_sqlite_reader(struct trace_sink *sink, char *err, size_t errlen);

/* The run_id given to the most recent run_start, or 0 when none was started
 * or that run was aborted. Valid after run_end committed it. */
int64_t sink_sqlite_last_run_id(struct trace_sink *sink);
/* The file the sink writes or reads, for messages. */
const char *sink_sqlite_path(struct trace_sink *sink);

/* The legacy generic path, kept for cmd_stats.c and cmd_sweep.c until their
 * queries move into src/results/: rows as strings by position. New code
 * reads typed records through results.h instead.
 *
 * One result row: values[i] is column i as text (NULL for SQL NULL). Return
 * 0 to go on, non-zero to stop the query early (not an error). */
typedef int sink_sqlite_row_fn(void *context, int column_count, const char *const *values,
                               const char *const *names);

/* Runs one SQL statement on the sink's database, binding params[i] to ?i+1,
 * and calls row() for each result row. Works on ":memory:" databases too,
 * which is how `tcpsim run --ladder --no-db` reads the run it just made.
 * Returns 0, or -1 with a message in err. */
int sink_sqlite_query(struct trace_sink *sink, const char *sql, const int64_t *params,
                      size_t param_count, sink_sqlite_row_fn *row, void *context, char *err,
                      size_t errlen);

/* Copying runs between databases, for `tcpsim merge` and `tcpsim sweep`. */
struct sink_sqlite_run_map {
    int64_t from;  /* run_id in the source database */
    int64_t to;    /* run_id it gets in the sink's database */
};

/* Copies runs, with every row that belongs to them, from the tcpsim
 * database at src_path into the sink's database (opened for writing, no run
 * in progress). map[i] copies run map[i].from as run map[i].to; with map
 * NULL every run of the source is copied in run_id order and numbered after
 * the sink's last run. One transaction: all or nothing (a run_id already
 * taken, or a source run missing, copies nothing). Returns the number of
 * runs copied, or -1 with a message in err. */
int64_t sink_sqlite_copy_runs(struct trace_sink *sink, const char *src_path,
                              const struct sink_sqlite_run_map *map, size_t count, char *err,
                              size_t errlen);

#endif
