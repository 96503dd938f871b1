/*
 * sink_text.h: a trace sink that writes one readable line per record, in
 * time order of reporting:
 *
 *   0.010000000 client CLOSED -> SYN_SENT (app CONNECT)
 *   0.010000000 #1 client 10.0.0.1:49152 > 10.0.0.2:80 SYN seq=1000 len=0 win=65535 delivered 0.060000000
 *
 * The same lines serve people (tcpsim run --log) and tests.
 */
#ifndef TCPSIM_SINK_TEXT_H
#define TCPSIM_SINK_TEXT_H

#include <stdio.h>

#include "trace.h"

/* Writes to out, which the sink does not close. */
struct trace_sink *sink_text_create(FILE *out);
/* The same, naming the file (kept, not copied) when writing to it fails. */
struct trace_sink *sink_text_open(FILE *out, const char *name);

#endif
