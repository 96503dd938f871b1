/*
 * results_internal.h: what the files of src/results/ share and no other
 * layer sees (it includes sqlite3.h): opening a database file, the text
 * forms of the columns in both directions, and the cursors the reader and
 * the replay step through. The writer (sink_sqlite.c), the reader
 * (results_read.c) and the replay (results_replay.c) meet here.
 */
#ifndef TCPSIM_RESULTS_INTERNAL_H
#define TCPSIM_RESULTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "results.h"

/* ---- errors ---- */

void results_set_error(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- opening (results_file.c) ---- */

/* OLD: a tcpsim database of schema version 1, which readers read and
 * writers refuse (`tcpsim upgrade` converts it). */
enum results_file_kind {
    RESULTS_FILE_REFUSED = -1, RESULTS_FILE_NEW = 0, RESULTS_FILE_TCPSIM = 1, RESULTS_FILE_OLD = 2
};

/* "" and ":memory:": a private in-memory database. */
bool results_is_memory_path(const char *path);
/* What is at path: nothing (or an empty file: NEW), a tcpsim database of
 * this schema version, one of version 1 (OLD: err says why a writer
 * refuses it), or something refused (err says what), judged from the
 * file's header without opening it through SQLite. */
enum results_file_kind results_classify_path(const char *path, char *err, size_t errlen);
/* Why a writer refuses a file of that identity, naming the file (and, for
 * version 1, `tcpsim upgrade FILE`). */
void results_refuse_version(const char *path, int64_t application_id, int64_t user_version,
                            char *err, size_t errlen);
/* sqlite3_open_v2 with tcpsim's settings; *db is set even on failure (close it). */
int results_connect(const char *path, int flags, sqlite3 **db, char *err, size_t errlen);
/* Opens an existing tcpsim database read-only. NULL with err on error. */
sqlite3 *results_connect_existing(const char *path, char *err, size_t errlen);
int results_exec(sqlite3 *db, const char *sql);
/* The tables, lookup tables and views of this schema version in an empty
 * database (results_schema.c). */
int results_create_schema(sqlite3 *db);
/* The first column of the first row of sql, or -1. */
int64_t results_pragma_int(sqlite3 *db, const char *sql);

/* ---- text forms of the columns (results_text.c) ---- */

/* "a.b.c.d" (buf: 16 bytes) and "a.b.c.d:port" (buf: 22 bytes). */
char *results_format_addr(uint32_t addr, char *buf);
char *results_format_endpoint(uint32_t addr, uint16_t port, char *buf);
/* The inverses; each returns 0, or -1 for text that is not that form. */
int results_parse_addr(const char *text, uint32_t *addr);
int results_parse_endpoint(const char *text, uint32_t *addr, uint16_t *port);
int results_parse_flags(const char *text, uint8_t *flags);
int results_parse_fate(const char *text, enum segment_fate *fate);
/* A setting's value in SI units (run_params.number); -1 when it is not a
 * number with a unit the scenario language knows. */
int results_param_number(const char *text, double *number);

/* ---- the reader's cursors (results_read.c) ---- */

/* Sets results_error(db); returns -1. */
int results_fail(struct results_db *db, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The reader on a connection someone else owns (a writing sink's). */
struct results_db *results_borrow(sqlite3 *db, const char *path, char *err, size_t errlen);

/* One run's rows of one table, in record order, decoded one at a time. */
struct results_cursor {
    struct results_db *db;
    sqlite3_stmt *st;
    int64_t run_id;
};

/* conn_id as for results_transitions. Return 0, or -1 (results_error). */
int results_open_transitions(struct results_db *db, int64_t run_id, int64_t conn_id,
                             struct results_cursor *c);
int results_open_segments(struct results_db *db, int64_t run_id, int64_t conn_id,
                          struct results_cursor *c);
int results_open_expectations(struct results_db *db, int64_t run_id, struct results_cursor *c);
/* A file without the calls table (version 1 from before it) has no rows. */
int results_open_calls(struct results_db *db, int64_t run_id, struct results_cursor *c);
int results_next_call(struct results_cursor *c, struct results_call *out);
/* 1: *out holds the next row (its text valid until the next call); 0: no
 * more rows; -1: an error or a row that does not parse (results_error). */
int results_next_transition(struct results_cursor *c, struct results_transition *out);
int results_next_segment(struct results_cursor *c, struct results_segment *out);
int results_next_expectation(struct results_cursor *c, struct trace_expectation *out);
void results_close_cursor(struct results_cursor *c);

#endif
