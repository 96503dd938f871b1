/*
 * results_validate.c: the checks of results_validate.h on decoded records.
 * One small function per record; each says what is wrong in the words of
 * the schema (docs/schema.md), so the message points at the column.
 */
#include "results_validate.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int refuse(char *why, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int refuse(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* A time a run can have: 0 to SIM_TIME_MAX (2^63-1 ns). */
static bool is_time(sim_time t) { return t >= 0; }

/* A time that may be -1 (never) or a time not before since. */
static bool is_later_or_never(sim_time t, sim_time since) { return t == -1 || (t >= since); }

int results_validate_run(const struct results_run *run, char *why, size_t size)
{
    static const char *const statuses[] = {"ok", "failed", "error"};
    bool known = false;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        known = known || strcmp(run->status, statuses[i]) == 0;
    if (!known)
        return refuse(why, size, "status '%s' is not ok, failed or error", run->status);
    if (!is_time(run->sim_end_ns))
        return refuse(why, size, "sim_end_ns %" PRId64 " is not a time (0 to 2^63-1 ns)",
                      run->sim_end_ns);
    if (!isfinite(run->wall_s) || run->wall_s < 0)
        return refuse(why, size, "wall_s %g is not a duration", run->wall_s);
    return 0;
}

int results_validate_connection(const struct trace_connection *c, char *why, size_t size)
{
    if (!c->client || !c->server)
        return refuse(why, size, "client or server is NULL");
    if (!is_time(c->opened_ns))
        return refuse(why, size, "opened_ns %" PRId64 " is not a time (0 to 2^63-1 ns)", c->opened_ns);
    if (!is_later_or_never(c->established_ns, c->opened_ns) ||
        !is_later_or_never(c->closed_ns, c->opened_ns))
        return refuse(why, size, "established_ns %" PRId64 " or closed_ns %" PRId64
                      " is before opened_ns %" PRId64, c->established_ns, c->closed_ns, c->opened_ns);
    return 0;
}

int results_validate_transition(const struct trace_transition *tr, char *why, size_t size)
{
    if (!tr->host)
        return refuse(why, size, "host is NULL");
    if (!is_time(tr->t_ns))
        return refuse(why, size, "t_ns %" PRId64 " is not a time (0 to 2^63-1 ns)", tr->t_ns);
    return 0;
}

int results_validate_segment(const struct results_segment *s, char *why, size_t size)
{
    if (!s->sender || !s->receiver)
        return refuse(why, size, "sender or receiver is NULL");
    if (!is_time(s->sent_ns))
        return refuse(why, size, "sent_ns %" PRId64 " is not a time (0 to 2^63-1 ns)", s->sent_ns);
    if (!is_later_or_never(s->arrived_ns, s->sent_ns))
        return refuse(why, size, "arrived_ns %" PRId64 " is before sent_ns %" PRId64, s->arrived_ns,
                      s->sent_ns);
    return 0;
}

int results_validate_call(const struct trace_call *c, char *why, size_t size)
{
    if (!is_time(c->t_ns))
        return refuse(why, size, "t_ns %" PRId64 " is not a time (0 to 2^63-1 ns)", c->t_ns);
    return 0;
}

int results_validate_handshake(const struct results_handshake *h, char *why, size_t size)
{
    if (h->established && h->latency_ns < 0)
        return refuse(why, size, "established_ns is before opened_ns");
    return 0;
}

int results_validate_first_data(const struct results_first_data *f, char *why, size_t size)
{
    if (f->delivered && f->latency_ns < 0)
        return refuse(why, size, "the first data arrived before opened_ns");
    return 0;
}

int results_validate_stays(const struct results_state_stays *s, char *why, size_t size)
{
    if (!isfinite(s->total_ms) || s->total_ms < 0 || !isfinite(s->window_ms) || s->window_ms < 0 ||
        s->window_ms > s->total_ms)
        return refuse(why, size, "a stay in %s has a negative or impossible duration",
                      tcp_state_name(s->state));
    return 0;
}
