/*
 * compare.h: `tcpsim compare`: two recorded runs side by side, connection
 * by connection, and whether they are equivalent. Made for a simulator run
 * against a `tcpsim kernel` run of the same scenario (runs.stack says
 * which TCP produced each), and for two simulator runs (two profiles, two
 * versions).
 *
 * Connections are aligned by role and order: the n-th connection opened by
 * client host C to server host S in A against the n-th one from C to S in B.
 * Each aligned connection is four streams: the client's state path, the
 * server's, the segments the client sent and those the server sent, each in
 * record order. Streams are compared event by event up to their first
 * divergence (a different state, flags, relative seq/ack, length, window or
 * fate; or an event only one run has); every event before it is also
 * compared in time. The time compared is the time since the previous event
 * of the same stream (the first: since the connection's opening), so one
 * late timer does not make every later event late; the tolerance is
 * packetdrill's, max(5 ms, 12.5% of the longer of the two intervals).
 *
 *   struct compare_options o = COMPARE_OPTIONS_DEFAULT;
 *   enum compare_result r = compare_runs("a.db", "b.db:3", &o, stdout, err, sizeof err);
 */
#ifndef TCPSIM_COMPARE_H
#define TCPSIM_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "engine.h"

enum compare_format { COMPARE_TEXT, COMPARE_JSON };

struct compare_options {
    sim_time tolerance_ns;       /* the absolute part of the tolerance */
    double tolerance_fraction;   /* the relative part, of the interval compared */
    enum compare_format format;
};
#define COMPARE_OPTIONS_DEFAULT {5 * SIM_MS, 0.125, COMPARE_TEXT}

enum compare_result {
    COMPARE_EQUIVALENT,          /* same paths and segments, every time within tolerance */
    COMPARE_DIFFERENT,           /* a divergence or a timing difference beyond tolerance */
    COMPARE_BAD_INPUT,           /* a file or run that cannot be read; message in err */
};

/* "MS[,PERCENT]" as --tolerance takes it: "5", "5,12.5", "10ms,20%", "0,0".
 * Returns 0, or -1 with a message in err. */
int compare_parse_tolerance(const char *text, struct compare_options *o, char *err, size_t errlen);

/* Compares run spec_b against run spec_a ("FILE.db" for the file's latest
 * run, "FILE.db:RUN" for run RUN) and prints the comparison to out in
 * o->format. On COMPARE_BAD_INPUT nothing is printed and err says why,
 * naming the file. */
enum compare_result compare_runs(const char *spec_a, const char *spec_b,
                                 const struct compare_options *o, FILE *out, char *err,
                                 size_t errlen);

#endif
