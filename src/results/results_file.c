/*
 * results_file.c: opening a results database. What is at a path (nothing,
 * a tcpsim database of this schema version, or something to refuse) is
 * judged from the file's header before SQLite touches it, so a refused file
 * is never written; then the connection with tcpsim's settings. Shared by
 * the writer (sink_sqlite.c) and the reader (results_read.c).
 */
#include "results_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sink_sqlite.h"

void results_set_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

bool results_is_memory_path(const char *path)
{
    return path[0] == '\0' || strcmp(path, ":memory:") == 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Classifies an existing non-empty file from its 100-byte SQLite header
 * (sqlite.org/fileformat.html section 1.3: magic at 0, user_version at 60,
 * application_id at 68), opened read-only so a refused file is never
 * written. */
static enum results_file_kind classify_header(const char *path, char *err, size_t errlen)
{
    static const char magic[16] = "SQLite format 3";
    unsigned char header[100];
    FILE *f = fopen(path, "rb");
    if (!f) {
        results_set_error(err, errlen, "%s: %s", path, strerror(errno));
        return RESULTS_FILE_REFUSED;
    }
    size_t n = fread(header, 1, sizeof header, f);
    fclose(f);
    if (n < sizeof header || memcmp(header, magic, sizeof magic) != 0) {
        results_set_error(err, errlen, "%s: not an SQLite database; refusing to write to it",
                          path);
        return RESULTS_FILE_REFUSED;
    }
    uint32_t application_id = be32(header + 68), user_version = be32(header + 60);
    if (application_id == SINK_SQLITE_APPLICATION_ID && user_version == SINK_SQLITE_SCHEMA_VERSION)
        return RESULTS_FILE_TCPSIM;
    results_refuse_version(path, application_id, user_version, err, errlen);
    return application_id == SINK_SQLITE_APPLICATION_ID && user_version == 1 ? RESULTS_FILE_OLD
                                                                            : RESULTS_FILE_REFUSED;
}

void results_refuse_version(const char *path, int64_t application_id, int64_t user_version,
                            char *err, size_t errlen)
{
    if (application_id != SINK_SQLITE_APPLICATION_ID)
        results_set_error(err, errlen,
                          "%s: an SQLite database but not a tcpsim one (application_id 0x%08x, "
                          "tcpsim's is 0x%08x); refusing to write to it",
                          path, (unsigned)application_id, (unsigned)SINK_SQLITE_APPLICATION_ID);
    else if (user_version == 1)
        results_set_error(err, errlen,
                          "%s: a tcpsim database of schema version 1; this tcpsim writes version %d"
                          " and reads both: convert it with `tcpsim upgrade %s`",
                          path, SINK_SQLITE_SCHEMA_VERSION, path);
    else
        results_set_error(err, errlen,
                          "%s: a tcpsim database of schema version %u; this tcpsim uses version %d",
                          path, (unsigned)user_version, SINK_SQLITE_SCHEMA_VERSION);
}

enum results_file_kind results_classify_path(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (results_is_memory_path(path))
        return RESULTS_FILE_NEW;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return RESULTS_FILE_NEW;
        results_set_error(err, errlen, "%s: %s", path, strerror(errno));
        return RESULTS_FILE_REFUSED;
    }
    if (!S_ISREG(st.st_mode)) {
        results_set_error(err, errlen, "%s: not a regular file", path);
        return RESULTS_FILE_REFUSED;
    }
    if (st.st_size == 0)
        return RESULTS_FILE_NEW;
    return classify_header(path, err, errlen);
}

int results_connect(const char *path, int flags, sqlite3 **db, char *err, size_t errlen)
{
    const char *name = path[0] ? path : ":memory:";
    /* A connection is used by one thread at a time: no mutexes per call. */
    if (sqlite3_open_v2(name, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        /* SQLite's "unable to open database file" hides the reason; the OS
         * error behind it (a missing directory, no permission) says it. */
        int os_error = *db ? sqlite3_system_errno(*db) : 0;
        results_set_error(err, errlen, "%s: %s%s%s", path,
                          *db ? sqlite3_errmsg(*db) : "cannot open the database: out of memory",
                          os_error ? ": " : "", os_error ? strerror(os_error) : "");
        return -1;
    }
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_timeout(*db, 2000);
    return 0;
}

int results_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int64_t results_pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return value;
}

/* A connection that only reads checks the identity through SQLite too
 * (the header check saw the main file only). */
static int check_identity(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int64_t version = results_pragma_int(db, "PRAGMA user_version");
    if (results_pragma_int(db, "PRAGMA application_id") != SINK_SQLITE_APPLICATION_ID ||
        (version != 1 && version != SINK_SQLITE_SCHEMA_VERSION)) {
        results_set_error(err, errlen, "%s: not a tcpsim database of schema version %d (%s)",
                          path, SINK_SQLITE_SCHEMA_VERSION, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

sqlite3 *results_connect_existing(const char *path, char *err, size_t errlen)
{
    if (results_is_memory_path(path)) {
        results_set_error(err, errlen, "%s: nothing to read in a new in-memory database", path);
        return NULL;
    }
    enum results_file_kind kind = results_classify_path(path, err, errlen);
    if (kind == RESULTS_FILE_REFUSED)
        return NULL;
    if (kind == RESULTS_FILE_NEW) {
        struct stat st;
        results_set_error(err, errlen, "%s: %s", path,
                          stat(path, &st) == 0 ? "empty file, not a tcpsim database"
                                               : strerror(ENOENT));
        return NULL;
    }
    sqlite3 *db = NULL;
    if (results_connect(path, SQLITE_OPEN_READONLY, &db, err, errlen) != 0 ||
        check_identity(db, path, err, errlen) != 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* SQLite's own words for its codes (sqlite3_errstr), so the match does not
 * depend on the version's wording. Trade-off: classifying the message
 * rather than carrying the code through every reader and writer keeps
 * their signatures; every message of this layer ends in SQLite's text for
 * the failure that caused it. */
bool results_message_is_environment(const char *message)
{
    static const int codes[] = {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strstr(message, sqlite3_errstr(codes[i])))
            return true;
    return strstr(message, "out of memory") != NULL;
}
