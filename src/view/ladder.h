/*
 * ladder.h: the ladder (sequence) diagram of a recorded run, drawn in the
 * terminal. Two lifelines, one per host; a time column; each host's state
 * written beside its lifeline where it changes; one arrow per segment from
 * sender to receiver whose slope shows the delay, labelled with flags, seq,
 * ack, len and window; lost segments stop half-way with a cross; idle time
 * is compressed into a marked break. Reads a results database through
 * results.h (results_open, or sink_sqlite_reader on the sink that recorded
 * the run), so `tcpsim ladder DB` and `tcpsim run --ladder` (even with an
 * in-memory database) draw the same picture.
 *
 *   struct ladder_options o = LADDER_OPTIONS_DEFAULT;
 *   ladder_resolve_output(&o, stdout);             // terminal width, colour
 *   if (ladder_render(db, &o, stdout, err, sizeof err) != 0) ...
 */
#ifndef TCPSIM_LADDER_H
#define TCPSIM_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

enum ladder_color { LADDER_COLOR_AUTO, LADDER_COLOR_ALWAYS, LADDER_COLOR_NEVER };

/* conn_id value: draw every connection of the run. */
#define LADDER_ALL_CONNECTIONS INT64_C(-1)

/* The narrowest and widest --width accepted. */
#define LADDER_MIN_WIDTH 40
#define LADDER_MAX_WIDTH 1000

struct ladder_options {
    int64_t run_id;          /* 0: the run with the highest run_id */
    int64_t conn_id;         /* 0: connection 1 (everything when the run has none);
                                LADDER_ALL_CONNECTIONS: every connection */
    bool relative;           /* seq/ack from each side's ISN, as Wireshark shows them */
    bool ascii;              /* plain ASCII instead of Unicode box drawing */
    bool explain;            /* a line under each transition saying why (RFC 9293) */
    int width;               /* columns; 0: fit the terminal (ladder_resolve_output) */
    enum ladder_color color; /* AUTO: only on a terminal (ladder_resolve_output) */
    bool compact;            /* a burst (segments one host sends at one instant) as one
                                label, its arrows leaving from one point */
    sim_time from, to;       /* the window drawn: transitions in it and the segments sent
                                in it (to their arrival); to -1: the end of the run */
    long *collisions;        /* if not NULL, set to the cells where text met an arrow or
                                other text: 0 unless the layout failed (for the tests) */
};

#define LADDER_OPTIONS_DEFAULT {0, 0, false, false, false, 0, LADDER_COLOR_AUTO, false, 0, -1, NULL}

/* getopt_long codes of the options `tcpsim ladder` and `tcpsim run --ladder`
 * share: --run ID, --conn ID|all, --relative, --ascii, --explain,
 * --width N, --color[=WHEN]. */
enum {
    LADDER_OPT_RUN = 0x4c00,
    LADDER_OPT_CONN,
    LADDER_OPT_RELATIVE,
    LADDER_OPT_ASCII,
    LADDER_OPT_EXPLAIN,
    LADDER_OPT_WIDTH,
    LADDER_OPT_COLOR,
};

/* Applies one of those options (arg: its argument, NULL if none). Returns
 * 0, or -1 with a message in err for a bad value. */
int ladder_set_option(struct ladder_options *o, int code, const char *arg, char *err,
                      size_t errlen);

/* Prints the help lines of those options (--run only when run_option). */
void ladder_options_help(FILE *out, bool run_option);

/* Settles width 0 and colour AUTO for out: the terminal's width
 * (TIOCGWINSZ) when out is a terminal, else $COLUMNS, else 80; colour when
 * out is a terminal and $NO_COLOR is not set. */
void ladder_resolve_output(struct ladder_options *o, FILE *out);

/* Draws the ladder of one run of the database to out. Width 0 counts as
 * 80 and colour AUTO as never (call ladder_resolve_output first). Returns
 * 0, or -1 with a message in err (no such run or connection, a database
 * error, out of memory). */
struct results_db;
int ladder_render(struct results_db *db, const struct ladder_options *o, FILE *out, char *err,
                  size_t errlen);

#endif
