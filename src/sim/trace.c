/*
 * trace.c: fans simulation records out to the attached sinks, in the order
 * the sinks were added. Knows nothing of what a sink does with them.
 */
#include "trace.h"

const char *segment_fate_name(enum segment_fate fate)
{
    switch (fate) {
    case FATE_DELIVERED: return "delivered";
    case FATE_LOST: return "lost";
    case FATE_DROPPED: return "dropped";
    case FATE_DUPLICATED: return "duplicated";
    case FATE_CORRUPTED: return "corrupted";
    case FATE_QUEUE_FULL: return "queue_full";
    }
    return "unknown";
}

void trace_init(struct trace *trace)
{
    trace->sink_count = 0;
}

int trace_add_sink(struct trace *trace, struct trace_sink *sink)
{
    if (trace->sink_count == TRACE_MAX_SINKS)
        return -1;
    trace->sinks[trace->sink_count++] = sink;
    return 0;
}

void trace_remove_sink(struct trace *trace, struct trace_sink *sink)
{
    size_t kept = 0;
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i] != sink)
            trace->sinks[kept++] = trace->sinks[i];
    trace->sink_count = kept;
}

int trace_run_start(struct trace *trace, const struct trace_run_info *run, struct trace_sink **failed)
{
    for (size_t i = 0; i < trace->sink_count; i++) {
        struct trace_sink *sink = trace->sinks[i];
        if (sink->ops->run_start && sink->ops->run_start(sink, run) != 0) {
            /* Undo the sinks that already started. */
            for (size_t j = 0; j < i; j++)
                if (trace->sinks[j]->ops->run_abort)
                    trace->sinks[j]->ops->run_abort(trace->sinks[j]);
            if (failed)
                *failed = sink;
            return -1;
        }
    }
    return 0;
}

void trace_connection(struct trace *trace, const struct trace_connection *conn)
{
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i]->ops->connection)
            trace->sinks[i]->ops->connection(trace->sinks[i], conn);
}

void trace_transition(struct trace *trace, const struct trace_transition *tr)
{
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i]->ops->transition)
            trace->sinks[i]->ops->transition(trace->sinks[i], tr);
}

void trace_segment(struct trace *trace, const struct trace_segment *seg)
{
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i]->ops->segment)
            trace->sinks[i]->ops->segment(trace->sinks[i], seg);
}

void trace_expectation(struct trace *trace, const struct trace_expectation *exp)
{
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i]->ops->expectation)
            trace->sinks[i]->ops->expectation(trace->sinks[i], exp);
}

void trace_call(struct trace *trace, const struct trace_call *call)
{
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i]->ops->call)
            trace->sinks[i]->ops->call(trace->sinks[i], call);
}

int trace_run_end(struct trace *trace, const struct trace_run_result *result, struct trace_sink **failed)
{
    int status = 0;
    for (size_t i = 0; i < trace->sink_count; i++) {
        struct trace_sink *sink = trace->sinks[i];
        if (!sink->ops->run_end)
            continue;
        if (status != 0) {
            if (sink->ops->run_abort)
                sink->ops->run_abort(sink);
            continue;
        }
        if (sink->ops->run_end(sink, result) != 0) {
            status = -1;
            if (failed)
                *failed = sink;
        }
    }
    return status;
}

void trace_run_abort(struct trace *trace)
{
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i]->ops->run_abort)
            trace->sinks[i]->ops->run_abort(trace->sinks[i]);
}

void trace_destroy_sinks(struct trace *trace)
{
    for (size_t i = 0; i < trace->sink_count; i++)
        if (trace->sinks[i]->ops->destroy)
            trace->sinks[i]->ops->destroy(trace->sinks[i]);
    trace->sink_count = 0;
}
