/*
 * engine.h: the discrete-event engine. A simulated clock in integer
 * nanoseconds and a queue of events, each a handler with two arguments.
 * Events at the same instant run in the order they were scheduled.
 * The engine knows nothing of TCP, links or hosts.
 *
 *   struct sim *sim = sim_create();
 *   sim_event_id t = sim_schedule(sim, 5 * SIM_MS, on_timer, conn, NULL);
 *   sim_cancel(sim, t);
 *   sim_run(sim, SIM_TIME_MAX);
 *   sim_destroy(sim);
 */
#ifndef TCPSIM_ENGINE_H
#define TCPSIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time; /* nanoseconds since the start of the run */

#define SIM_NS ((sim_time)1)
#define SIM_US ((sim_time)1000)
#define SIM_MS ((sim_time)1000000)
#define SIM_S ((sim_time)1000000000)
#define SIM_TIME_MAX INT64_MAX

/* a + b for times and durations, saturating at SIM_TIME_MAX ("never") and
 * at 0 below: a scenario may write durations up to 2^63-1 ns, so every sum
 * of times goes through here rather than overflowing. */
static inline sim_time sim_time_add(sim_time a, sim_time b)
{
    if (b > 0 && a > SIM_TIME_MAX - b)
        return SIM_TIME_MAX;
    if (b < 0 && a < -b)
        return 0;
    return a + b;
}

/* A handle on a scheduled event. 0 is never a valid handle ("no event"). A
 * handle stays safe to cancel after its event ran or was cancelled: the
 * engine recognises it as stale and does nothing. */
typedef uint64_t sim_event_id;
#define SIM_NO_EVENT ((sim_event_id)0)

struct sim;
typedef void sim_handler(struct sim *sim, void *context, void *argument);

struct sim *sim_create(void);
void sim_destroy(struct sim *sim);

sim_time sim_now(const struct sim *sim);

/* Run handler(sim, context, argument) after delay (>= 0) or at an absolute
 * time (>= now). Returns the event's handle. A delay past SIM_TIME_MAX
 * saturates to SIM_TIME_MAX, a time before now counts as now. When the event
 * cannot be stored (out of memory) it returns SIM_NO_EVENT, stops the run,
 * and sim_out_of_memory() says so from then on: the run's results are void. */
sim_event_id sim_schedule(struct sim *sim, sim_time delay, sim_handler *handler,
                          void *context, void *argument);
sim_event_id sim_schedule_at(struct sim *sim, sim_time when, sim_handler *handler,
                             void *context, void *argument);

/* FIFO lanes: a cheaper path for a stream of events whose times never
 * decrease (a link's arrivals, a timer with one constant delay). Such an
 * event costs O(1) instead of O(log pending); events still run in exactly
 * the order above, and an event scheduled earlier than its lane's last one
 * simply goes the ordinary way. sim_schedule() already uses lanes keyed by
 * the delay; a lane of one's own suits absolute times (sim_schedule_at). */
typedef uint32_t sim_lane;
#define SIM_NO_LANE ((sim_lane)UINT32_MAX)
/* SIM_NO_LANE when out of memory (sim_schedule_lane then uses the heap). */
sim_lane sim_lane_create(struct sim *sim);
sim_event_id sim_schedule_lane(struct sim *sim, sim_lane lane, sim_time when,
                               sim_handler *handler, void *context, void *argument);

/* Cancel a pending event. Returns true if it was pending. */
bool sim_cancel(struct sim *sim, sim_event_id event);

/* Move a pending event to a new absolute time; it then orders as if newly
 * scheduled. Returns the (possibly new) handle, or SIM_NO_EVENT if the event
 * was no longer pending. */
sim_event_id sim_reschedule_at(struct sim *sim, sim_event_id event, sim_time when);

/* True while the event is scheduled and has not run or been cancelled. */
bool sim_is_pending(const struct sim *sim, sim_event_id event);

/* Run events in time order until the queue is empty, the next event lies
 * beyond until (the clock then stops at until), or sim_stop() is called from
 * a handler. Returns the number of events executed by this call.
 * Unless stopped, the clock ends at until even when the queue ran dry first
 * (so sim_run(sim, t) then acting "now" acts at t); with until ==
 * SIM_TIME_MAX it stays at the last event. */
uint64_t sim_run(struct sim *sim, sim_time until);
void sim_stop(struct sim *sim);
/* A budget of events: sim_run runs none past the limit-th in all (counting
 * every sim_run call), and the clock then stays at the last one, as after
 * sim_stop. 0 (the default) means no limit. For callers that must finish
 * whatever the input (world_options.max_events, the fuzzer); the queue
 * remains as it was, so a caller may raise the limit and run on. */
void sim_set_event_limit(struct sim *sim, uint64_t limit);
/* True when the limit stopped a run with events still pending. */
bool sim_event_limit_reached(const struct sim *sim);

uint64_t sim_events_executed(const struct sim *sim);
/* The time of the most recently executed event (0 before the first). */
sim_time sim_last_event_time(const struct sim *sim);
size_t sim_pending_count(const struct sim *sim);
/* True once an event could not be stored; sim_run then runs nothing more. */
bool sim_out_of_memory(const struct sim *sim);
/* For the layers above (link, TCP, world): an allocation of theirs failed.
 * The run stops exactly as when an event cannot be stored, and
 * sim_out_of_memory() says so: one rule, the run is void, never an abort. */
void sim_fail_out_of_memory(struct sim *sim);
/* A memory budget for one run (tcpsim run --max-memory): the layers charge
 * what they allocate for the run's state (the engine its event pool, the
 * TCP its TCBs, buffers and connection records, the world its workload's
 * connections) and release it when they free it. A charge that passes the
 * limit stops the run after the event that made it, as sim_stop does, and
 * sim_memory_limit_reached() says so from then on: the results are cut
 * short, the caller fails the run. The charge itself always succeeds (the
 * allocation was made), so no layer needs a second failure path: the
 * trade-off is an overshoot of one event's allocations, a few KB. The
 * figure is what tcpsim accounts, not the process's resident size (SQLite's
 * cache, the C library's overhead and the text of the scenario are not
 * in it). 0 (the default) means no limit; the count is kept either way. */
void sim_set_memory_limit(struct sim *sim, uint64_t bytes);
uint64_t sim_memory_limit(const struct sim *sim);
void sim_memory_charge(struct sim *sim, size_t bytes);
void sim_memory_release(struct sim *sim, size_t bytes);
uint64_t sim_memory_used(const struct sim *sim);
bool sim_memory_limit_reached(const struct sim *sim);
/* The time of the earliest pending event; SIM_TIME_MAX when none is. (For
 * a loop that follows a real clock: how long it may sleep.) */
sim_time sim_next_event_time(const struct sim *sim);

#endif
