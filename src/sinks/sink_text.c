/*
 * sink_text.c: the text log sink, one line per transition, segment and
 * application call.
 */
#include "sink_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct text_sink {
    struct trace_sink sink;
    FILE *out;
    const char *name; /* for the message when writing fails */
};

static void print_time(FILE *out, sim_time t)
{
    fprintf(out, "%" PRId64 ".%09" PRId64, t / SIM_S, t % SIM_S);
}

static void print_endpoint(FILE *out, uint32_t addr, uint16_t port)
{
    fprintf(out, "%u.%u.%u.%u:%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255,
            port);
}

static int text_run_start(struct trace_sink *sink, const struct trace_run_info *run)
{
    struct text_sink *ts = (struct text_sink *)sink;
    fprintf(ts->out, "# run of %s, seed %" PRIu64 ", rep %" PRIu32 "\n", run->scenario, run->seed,
            run->rep);
    return 0;
}

static void text_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct text_sink *ts = (struct text_sink *)sink;
    print_time(ts->out, tr->t_ns);
    fprintf(ts->out, " %s", tr->host);
    if (tr->conn_id)
        fprintf(ts->out, " conn %" PRIu64, tr->conn_id);
    fprintf(ts->out, " %s -> %s (%s", tcp_state_name(tr->from_state), tcp_state_name(tr->to_state),
            tcp_cause_name(tr->cause));
    if (tr->seg_id)
        fprintf(ts->out, ", segment #%" PRIu64, tr->seg_id);
    fprintf(ts->out, ")\n");
}

static void text_segment(struct trace_sink *sink, const struct trace_segment *t)
{
    struct text_sink *ts = (struct text_sink *)sink;
    const struct segment *seg = t->seg;
    char flags[32];
    print_time(ts->out, t->sent_ns);
    fprintf(ts->out, " #%" PRIu64 " %s ", seg->id, t->sender);
    print_endpoint(ts->out, seg->src_addr, seg->src_port);
    fputs(" > ", ts->out);
    print_endpoint(ts->out, seg->dst_addr, seg->dst_port);
    /* ack= only when the ACK flag makes the field mean something. */
    fprintf(ts->out, " %s seq=%" PRIu32, segment_flags_string(seg->flags, flags), seg->seq);
    if (seg->flags & TCP_FLAG_ACK)
        fprintf(ts->out, " ack=%" PRIu32, seg->ack);
    fprintf(ts->out, " len=%" PRIu32 " win=%u", seg->len, seg->wnd);
    if (seg->options) { /* beyond MSS: absent in rfc9293 runs */
        char options[SEGMENT_OPTIONS_MAX];
        fprintf(ts->out, " <%s>", segment_options_string(seg, options));
    }
    if (seg->retransmission)
        fputs(" retransmission", ts->out);
    if (seg->injected)
        fputs(" injected", ts->out);
    fprintf(ts->out, " %s", segment_fate_name(t->fate));
    if (t->arrived_ns >= 0) {
        fputc(' ', ts->out);
        print_time(ts->out, t->arrived_ns);
    }
    fputc('\n', ts->out);
}

static void text_expectation(struct trace_sink *sink, const struct trace_expectation *e)
{
    struct text_sink *ts = (struct text_sink *)sink;
    fprintf(ts->out, "# %s: %s (%s)\n", e->text, e->passed ? "passed" : "FAILED", e->detail);
}

/* "1.000000000 client conn 1 call connect: ECONNREFUSED" */
static void text_call(struct trace_sink *sink, const struct trace_call *c)
{
    struct text_sink *ts = (struct text_sink *)sink;
    print_time(ts->out, c->t_ns);
    fprintf(ts->out, " %s", c->host);
    if (c->conn_id)
        fprintf(ts->out, " conn %" PRIu64, c->conn_id);
    fprintf(ts->out, " call %s: %s\n", tcp_call_name(c->call), tcp_call_result_name(c->result));
}

static int text_run_end(struct trace_sink *sink, const struct trace_run_result *r)
{
    struct text_sink *ts = (struct text_sink *)sink;
    fprintf(ts->out, "# end: %s at ", r->status);
    print_time(ts->out, r->sim_end_ns);
    fprintf(ts->out, ", %" PRIu64 " events\n", r->events);
    errno = 0;
    if (fflush(ts->out) == 0 && !ferror(ts->out))
        return 0;
    snprintf(sink->error, sizeof sink->error, "cannot write %s: %s", ts->name,
             errno ? strerror(errno) : "write error");
    return -1;
}

static void text_destroy(struct trace_sink *sink)
{
    free(sink);
}

static const struct trace_sink_ops text_ops = {
    .run_start = text_run_start,
    .transition = text_transition,
    .segment = text_segment,
    .expectation = text_expectation,
    .call = text_call,
    .run_end = text_run_end,
    .destroy = text_destroy,
};

struct trace_sink *sink_text_create(FILE *out) { return sink_text_open(out, "the log"); }

struct trace_sink *sink_text_open(FILE *out, const char *name)
{
    struct text_sink *ts = calloc(1, sizeof *ts);
    if (!ts)
        return NULL;
    ts->sink.ops = &text_ops;
    ts->out = out;
    ts->name = name;
    return &ts->sink;
}
