/*
 * compare_model.h: what compare.c works out and compare_print.c prints:
 * both runs read into streams per connection, the aligned pairs, and the
 * differences found, in pair, stream and event order. Internal to
 * `tcpsim compare` (compare.h is the interface).
 */
#ifndef TCPSIM_COMPARE_MODEL_H
#define TCPSIM_COMPARE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare.h"
#include "results.h"

enum cmp_stream { CMP_CLIENT_PATH, CMP_SERVER_PATH, CMP_CLIENT_SEGMENTS, CMP_SERVER_SEGMENTS,
                  CMP_STREAMS };
const char *cmp_stream_name(enum cmp_stream stream);

/* One transition or one sent segment; seq and ack relative to the ISNs. */
struct cmp_event {
    sim_time t_ns;               /* since the run's start */
    sim_time at_ns;              /* since the connection's opening */
    sim_time gap_ns;             /* since the stream's previous event (the first: at_ns) */
    enum tcp_state from, to;     /* a path's */
    uint8_t flags;               /* a segment's, as the rest */
    uint32_t seq, ack, len;
    uint16_t wnd;
    enum segment_fate fate;
};

struct cmp_events {
    struct cmp_event *at;
    size_t count, capacity;
    bool out_of_memory;          /* a record could not be kept (readers stop, not fail) */
};

struct cmp_conn {
    struct trace_connection c;   /* client and server point into the names below */
    char client[64], server[64];
    struct cmp_events streams[CMP_STREAMS];
};

struct cmp_run {
    char path[512];
    int64_t run_id;
    struct results_run info;
    struct cmp_conn *conns;      /* in conn_id order */
    size_t count, capacity;
    bool out_of_memory;          /* a record could not be kept (readers stop, not fail) */
};

/* What differs; CMP_NONE only inside compare.c. */
enum cmp_kind { CMP_NONE, CMP_PATH, CMP_FLAGS, CMP_SEQ, CMP_ACK, CMP_LEN, CMP_WINDOW, CMP_FATE,
                CMP_ONLY_A, CMP_ONLY_B, CMP_TIMING, CMP_CONNECTION };
const char *cmp_kind_name(enum cmp_kind kind);

struct cmp_difference {
    size_t pair;                 /* index into pairs */
    enum cmp_stream stream;      /* not for CMP_CONNECTION */
    size_t index;                /* event index in the stream */
    enum cmp_kind kind;
    sim_time t_ns;               /* when, in the run that has the event (A when both) */
    sim_time allowed_ns;         /* CMP_TIMING: the tolerance applied */
};

struct cmp_pair {
    const struct cmp_conn *a, *b; /* one may be NULL: a connection only one run has */
};

struct cmp_report {
    struct cmp_run a, b;
    struct compare_options options;
    bool windows_compared;       /* false when the stacks differ (see compare.c) */
    struct cmp_pair *pairs;
    size_t pair_count;
    struct cmp_difference *diffs;
    size_t diff_count, diff_capacity;
    const struct cmp_difference *first; /* the earliest divergence (not timing); NULL: none */
};

/* Text for one event of a stream (buf of CMP_TEXT bytes), for a
 * difference (CMP_LINE bytes), for the header's list of what is not
 * compared. */
#define CMP_TEXT 160
#define CMP_LINE 400
char *cmp_event_string(const struct cmp_event *e, enum cmp_stream stream, char *buf);
char *cmp_difference_string(const struct cmp_report *r, const struct cmp_difference *d,
                            char *buf);
const char *cmp_ignored(const struct cmp_report *r);

void cmp_print_text(const struct cmp_report *r, FILE *out);
void cmp_print_json(const struct cmp_report *r, FILE *out);

#endif
