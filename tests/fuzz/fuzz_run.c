/*
 * fuzz_run.c: libFuzzer target for the whole run. Every input is parsed as
 * a scenario; one the parser accepts is run (world_run) into an in-memory
 * results database, a text log and a pcapng capture to /dev/null, and the
 * ladder of the run is then drawn from that database. What the parser accepts must run to a
 * result: no crash, no leak, no undefined behaviour (ASan, UBSan).
 *
 * Each input must finish fast, so the run is bounded twice: at most
 * FUZZ_MAX_EVENTS simulated events (world_options.max_events, the
 * library's own cap) and at most FUZZ_MAX_UNTIL of simulated time (the
 * scenario's `run until` lowered, never raised). The trade-off: a bug that
 * needs a long run is out of reach here; tests/hostile/ covers those.
 *
 *   make fuzz && tests/fuzz/fuzz_run -max_total_time=600 -max_len=4096 \
 *       -dict=tests/fuzz/scenario.dict tests/fuzz/corpus-run/
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ladder.h"
#include "results.h"
#include "scenario.h"
#include "sink_pcap.h"
#include "sink_sqlite.h"
#include "sink_text.h"
#include "trace.h"
#include "world.h"

#define FUZZ_MAX_EVENTS 20000
#define FUZZ_MAX_UNTIL (600 * SIM_S) /* ten minutes, the language's default */

/* The recorded run read back as `tcpsim run --ladder --no-db` reads it. */
static void draw_ladder(struct trace_sink *db_sink, FILE *out)
{
    char err[512];
    struct results_db *db = sink_sqlite_reader(db_sink, err, sizeof err);
    if (!db)
        return;
    struct ladder_options o = LADDER_OPTIONS_DEFAULT; /* connection 1: every connection of a
                                                          big workload takes seconds to lay out,
                                                          and fuzz_db draws them all */
    o.explain = true;
    ladder_render(db, &o, out, err, sizeof err);
    results_close(db);
}

static void run_once(const struct scenario *s)
{
    char err[512];
    FILE *out = fopen("/dev/null", "w");
    if (!out)
        return;
    struct trace_sink *db_sink = sink_sqlite_open(":memory:", err, sizeof err);
    struct trace_sink *log = sink_text_create(out);
    struct trace trace;
    trace_init(&trace);
    if (db_sink)
        trace_add_sink(&trace, db_sink);
    if (log)
        trace_add_sink(&trace, log);
    /* The pcapng capture: the one sink that holds packets across records. */
    struct trace_sink *capture = sink_pcap_open_as("/dev/null", NULL, SINK_PCAP_NG, err, sizeof err);
    if (capture)
        trace_add_sink(&trace, capture);
    if (db_sink && log) {
        struct world_options options = {.seed = s->run.seed, .details = true,
                                        .max_events = FUZZ_MAX_EVENTS};
        struct world_report report;
        if (world_run(s, &options, &trace, &report) == 0)
            draw_ladder(db_sink, out);
        world_report_free(&report);
    }
    trace_destroy_sinks(&trace);
    fclose(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scenario_error err;
    struct scenario *s = scenario_parse_string((const char *)data, size, "fuzz.tcpsim", &err);
    if (!s)
        return 0;
    if (s->run.until > FUZZ_MAX_UNTIL)
        s->run.until = FUZZ_MAX_UNTIL;
    run_once(s);
    scenario_free(s);
    return 0;
}
