/*
 * fuzz_db.c: libFuzzer target for the readers of a results database. The
 * input bytes are written to a temporary file, which is opened as a
 * database (results.h) and given to every reader: the ladder (every
 * connection, with --explain, Unicode and ASCII), the DOT state diagram
 * (the latest run and all runs), a replay of every run into the pcap (classic
 * and pcapng), text and HTML sinks, `compare` of the file against itself, and the statistics
 * (stats_report_load, its print with the CSA model, the distribution and
 * the chart). A damaged database must be refused with a message, never
 * crash or hit undefined behaviour (ASan, UBSan). Outputs go to /dev/null.
 *
 * Seeds are small databases tcpsim wrote (tests/fuzz/corpus-db/); most
 * mutations break SQLite's own page structure and stop at results_open,
 * the rest reach the row checks of the readers. The file is rewritten
 * per input, in $TMPDIR or /tmp, and removed at exit of each input.
 *
 *   make fuzz && tests/fuzz/fuzz_db -max_total_time=600 -max_len=65536 tests/fuzz/corpus-db/
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "compare.h"
#include "dot.h"
#include "html.h"
#include "ladder.h"
#include "results.h"
#include "sink_pcap.h"
#include "sink_text.h"
#include "stats_report.h"
#include "trace.h"

static void draw_ladders(struct results_db *db, int64_t run_id, FILE *out)
{
    char err[512];
    struct ladder_options o = LADDER_OPTIONS_DEFAULT;
    o.run_id = run_id;
    o.conn_id = LADDER_ALL_CONNECTIONS;
    o.explain = true;
    ladder_render(db, &o, out, err, sizeof err);
    o.ascii = true;
    o.relative = true;
    o.compact = true;
    o.conn_id = 0;
    ladder_render(db, &o, out, err, sizeof err);
}

static void draw_dots(struct results_db *db)
{
    char err[512];
    struct dot_options o = {.run_id = 0, .out_path = "/dev/null"};
    dot_write(db, &o, err, sizeof err);
    o.all_runs = true;
    o.all_states = true;
    dot_write(db, &o, err, sizeof err);
}

/* One run into one sink, as `tcpsim pcap`, `tcpsim html` and a text log do. */
static void replay_into(struct results_db *db, int64_t run_id, struct trace_sink *sink)
{
    if (!sink)
        return;
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, sink);
    results_replay(db, run_id, &trace);
    trace_destroy_sinks(&trace);
}

static void replay_all(struct results_db *db, int64_t run_id, FILE *out)
{
    char err[512];
    struct html_options page = HTML_OPTIONS_DEFAULT;
    replay_into(db, run_id, sink_pcap_open("/dev/null", NULL, err, sizeof err));
    replay_into(db, run_id, sink_pcap_open("/dev/null", "client", err, sizeof err));
    replay_into(db, run_id, sink_pcap_open_as("/dev/null", NULL, SINK_PCAP_NG, err, sizeof err));
    replay_into(db, run_id, sink_pcap_open_as("/dev/null", "client", SINK_PCAP_NG, err, sizeof err));
    replay_into(db, run_id, sink_text_create(out));
    replay_into(db, run_id, html_sink_open("/dev/null", &page, err, sizeof err));
}

static void compare_with_itself(const char *path, FILE *out)
{
    char err[4400];
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    compare_runs(path, path, &o, out, err, sizeof err);
    o.format = COMPARE_JSON;
    compare_runs(path, path, &o, out, err, sizeof err);
}

static void statistics(const char *path, FILE *out)
{
    char err[4400];
    struct stats_request q = {.db_path = path, .model = STATS_MODEL_CSA, .rtt_ns = 100000000,
                              .ts_ns = 1000000000, .has_window = true, .window_from_ns = 0,
                              .window_to_ns = 60000000000};
    struct stats_report r;
    if (stats_report_load(&q, &r, err, sizeof err) == 0) {
        struct stats_print_options print = {.distribution = true, .check = true};
        stats_report_print(out, &r, &print);
        print.csv = true;
        stats_report_print(out, &r, &print);
        struct stats_chart chart;
        stats_report_chart(&r, NULL, &chart);
        stats_chart_free(&chart);
        stats_report_cdf_chart(&r, &chart);
        stats_chart_free(&chart);
        stats_report_histogram_chart(&r, &chart);
        stats_chart_free(&chart);
    }
    stats_report_free(&r);
}

static void read_everything(const char *path, FILE *out)
{
    char err[512];
    struct results_db *db = results_open(path, err, sizeof err);
    if (!db)
        return;
    int64_t latest = 0, count = 0;
    results_run_count(db, &count);
    if (results_latest_run(db, &latest) == 0 && latest > 0) {
        draw_ladders(db, latest, out);
        replay_all(db, latest, out);
        if (latest > 1)
            replay_all(db, 1, out);
    }
    draw_dots(db);
    results_close(db);
    compare_with_itself(path, out);
    statistics(path, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzz_db-XXXXXX", dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    FILE *file = fdopen(fd, "wb");
    bool written = file && fwrite(data, 1, size, file) == size;
    if (file ? fclose(file) != 0 : close(fd) != 0)
        written = false;
    FILE *out = fopen("/dev/null", "w");
    if (written && out)
        read_everything(path, out);
    if (out)
        fclose(out);
    unlink(path);
    return 0;
}
