/*
 * html.h: a run as one interactive, self-contained HTML page for teaching.
 * A trace sink that collects the records of one run and, when the run ends,
 * writes a page with everything inline (SVG, CSS, JavaScript; nothing is
 * fetched, so it works offline): per connection a ladder diagram laid out
 * one row per event, the RFC 9293 state diagram of each host with the
 * current state lit, a cursor that steps, plays and jumps through the run,
 * the fields and the --explain text of whatever is clicked, and a quiz mode
 * that blanks seq/ack and the next state for the student to fill in.
 *
 * The page is readable by scripts: every segment arrow carries data-seg-id
 * (and data-fate unless it was delivered), every state label data-state, data-time-ns and
 * data-host; the records themselves are in <script id="tcpsim-data"> as
 * JSON.
 *
 *   struct html_options o = HTML_OPTIONS_DEFAULT;
 *   struct trace_sink *page = html_sink_open("run.html", &o, err, sizeof err);
 *   trace_add_sink(&trace, page);   // world_run(): the first run is written
 */
#ifndef TCPSIM_HTML_H
#define TCPSIM_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct html_options {
    bool quiz;                /* open the page in quiz mode */
    uint64_t conn_id;         /* 0: every connection of the run, else only this one */
};

#define HTML_OPTIONS_DEFAULT {false, 0}

/* Creates (truncates) path now, so a bad path fails before the run. The
 * page is written at the end of the first run the sink sees; later runs
 * are ignored. Returns NULL with a message naming the file in err on
 * error. Destroy through sink->ops->destroy (or trace_destroy_sinks). */
struct trace_sink *html_sink_open(const char *path, const struct html_options *options, char *err,
                                  size_t errlen);

#endif
