/*
 * engine.c: the discrete-event engine. A 4-ary min-heap of pending events
 * ordered by (time, schedule sequence number), so events at one instant run
 * in the order they were scheduled. Each event lives in a slot of a pool that
 * grows by doubling; a handle names a slot and the slot's generation, so a
 * handle whose event already ran or was cancelled is recognised as stale.
 * Each slot remembers its heap position, so cancel and reschedule are
 * O(log n).
 *
 * Heap entries carry the ordering key (time, sequence) and the slot index, so
 * sifting compares keys stored next to each other instead of chasing slots.
 *
 * FIFO lanes. Most events of a simulation come in streams whose times only
 * grow: a link direction's arrivals, every timer armed with one constant
 * delay (TIME_WAIT: 60 s for every connection). A lane is a ring of such
 * events, sorted by (time, sequence) because they were appended in that
 * order; only its first event sits in the heap. Popping a lane's event puts
 * the next one in the heap, so the heap holds one entry per lane instead of
 * one per event: with 10^6 connections in TIME_WAIT it holds a handful of
 * entries instead of 10^6 (each pop walked ten levels of cache misses).
 * The order of execution is exactly the heap's: every lane is sorted, so the
 * earliest pending event is always one in the heap. An event that would
 * break its lane's order goes to the heap instead. Lanes come two ways:
 *  - sim_schedule() picks a lane by the delay (AUTO_LANES of them, keyed by
 *    delay value: events with one delay, scheduled as the clock advances,
 *    are in time order);
 *  - sim_lane_create() gives a caller its own lane (the link's arrivals).
 * Cancelling an event queued behind its lane's head only frees its slot; the
 * lane skips the stale entry (its slot generation no longer matches) when it
 * reaches the front.
 */
#include "engine.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#define HEAP_ARITY 4
#define SLOT_NONE UINT32_MAX  /* end of the free list */
#define INITIAL_CAPACITY 64u
#define POS_QUEUED UINT32_MAX /* heap_pos of an event waiting behind its lane's head */
#define AUTO_LANES 16         /* lanes sim_schedule() keys by delay; a power of two */

/* A pending event's ordering key and where its handler lives. */
struct heap_entry {
    sim_time time;
    uint64_t seq;
    uint32_t slot;
};

/* While pending, heap_pos is the event's index in the heap (or POS_QUEUED
 * in a lane behind its head); while free, it links to the next free slot.
 * generation changes whenever the slot is freed, so old handles stop
 * matching. */
struct event_slot {
    sim_handler *handler;
    void *context;
    void *argument;
    uint32_t generation;
    uint32_t heap_pos;
    sim_lane lane;          /* SIM_NO_LANE: a heap event */
};

/* A lane entry: the heap key of a queued event, and the slot generation
 * that tells whether it is still pending. */
struct lane_entry {
    sim_time time;
    uint64_t seq;
    uint32_t slot;
    uint32_t generation;
};

/* A ring of entries in (time, seq) order; when non-empty its first entry is
 * pending and in the heap. */
struct lane {
    struct lane_entry *ring;
    uint32_t head, len, capacity; /* capacity is 0 or a power of two */
};

struct auto_lane {              /* sim_schedule's lane for one delay */
    sim_time delay;
    sim_lane lane;
};

struct sim {
    sim_time now;
    sim_time last_event;    /* when the most recent event ran */
    uint64_t next_seq;
    uint64_t executed;
    struct heap_entry *heap;
    size_t heap_len;
    struct event_slot *slots;
    uint32_t slot_count;    /* slots initialised so far */
    uint32_t capacity;      /* allocated length of heap and slots */
    uint32_t free_head;
    size_t pending;         /* events scheduled and not yet run or cancelled */
    struct lane *lanes;
    uint32_t lane_count, lane_capacity;
    struct auto_lane auto_lanes[AUTO_LANES];
    bool stopping;
    bool running;
    bool out_of_memory;     /* an event could not be stored: the run is void */
    uint64_t memory_limit;  /* bytes the run may account; 0 = no limit */
    uint64_t memory_used;   /* bytes accounted now (sim_memory_charge/release) */
    bool memory_limit_reached; /* a charge passed memory_limit: the run stopped there */
    uint64_t event_limit;   /* sim_run runs no event past this many in all; 0 = no limit */
};

/* ---- handles ---- */

static sim_event_id handle_make(uint32_t slot, uint32_t generation)
{
    return ((uint64_t)generation << 32) | slot;
}

static uint32_t handle_slot(sim_event_id id) { return (uint32_t)id; }
static uint32_t handle_generation(sim_event_id id) { return (uint32_t)(id >> 32); }

/* The slot a handle names if its event is still pending, else NULL. */
static struct event_slot *slot_of_pending(const struct sim *sim, sim_event_id id)
{
    uint32_t index = handle_slot(id);
    if (id == SIM_NO_EVENT || index >= sim->slot_count)
        return NULL;
    struct event_slot *slot = &sim->slots[index];
    if (slot->generation != handle_generation(id) || slot->handler == NULL)
        return NULL;
    return slot;
}

/* ---- the slot pool ---- */

/* Doubles the slot pool and the heap. Out of memory is not fatal here: the
 * engine refuses the event, stops the run and says so (sim_out_of_memory),
 * so the caller can fail the run cleanly instead of the process aborting. */
static bool pool_grow(struct sim *sim)
{
    uint32_t capacity = sim->capacity ? sim->capacity * 2 : INITIAL_CAPACITY;
    if (capacity <= sim->capacity || capacity == SLOT_NONE)
        return false;
    struct event_slot *slots = realloc(sim->slots, capacity * sizeof *slots);
    if (!slots)
        return false;
    sim->slots = slots;
    struct heap_entry *heap = realloc(sim->heap, capacity * sizeof *heap);
    if (!heap)
        return false;
    sim->heap = heap;
    sim_memory_charge(sim, (size_t)(capacity - sim->capacity) * (sizeof *slots + sizeof *heap));
    sim->capacity = capacity;
    return true;
}

/* SLOT_NONE when the pool cannot grow. */
static uint32_t slot_alloc(struct sim *sim)
{
    if (sim->free_head != SLOT_NONE) {
        uint32_t index = sim->free_head;
        sim->free_head = sim->slots[index].heap_pos;
        return index;
    }
    if (sim->slot_count == sim->capacity && !pool_grow(sim))
        return SLOT_NONE;
    uint32_t index = sim->slot_count++;
    sim->slots[index].generation = 1;
    return index;
}

static void slot_free(struct sim *sim, uint32_t index)
{
    struct event_slot *slot = &sim->slots[index];
    slot->handler = NULL;
    if (++slot->generation == 0) /* a handle is never 0 */
        slot->generation = 1;
    slot->heap_pos = sim->free_head;
    sim->free_head = index;
}

/* ---- the 4-ary heap ---- */

static inline bool entry_before(const struct heap_entry *a, const struct heap_entry *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void heap_place(struct sim *sim, size_t pos, struct heap_entry entry)
{
    sim->heap[pos] = entry;
    sim->slots[entry.slot].heap_pos = (uint32_t)pos;
}

static void sift_up(struct sim *sim, size_t pos, struct heap_entry entry)
{
    while (pos > 0) {
        size_t parent = (pos - 1) / HEAP_ARITY;
        if (!entry_before(&entry, &sim->heap[parent]))
            break;
        heap_place(sim, pos, sim->heap[parent]);
        pos = parent;
    }
    heap_place(sim, pos, entry);
}

static void sift_down(struct sim *sim, size_t pos, struct heap_entry entry)
{
    size_t len = sim->heap_len;
    for (;;) {
        size_t first = pos * HEAP_ARITY + 1;
        if (first >= len)
            break;
        size_t last = first + HEAP_ARITY < len ? first + HEAP_ARITY : len;
        size_t best = first;
        for (size_t child = first + 1; child < last; child++)
            if (entry_before(&sim->heap[child], &sim->heap[best]))
                best = child;
        if (!entry_before(&sim->heap[best], &entry))
            break;
        heap_place(sim, pos, sim->heap[best]);
        pos = best;
    }
    heap_place(sim, pos, entry);
}

/* Put entry at pos (a hole) and restore the heap order around it. */
static void heap_fix(struct sim *sim, size_t pos, struct heap_entry entry)
{
    if (pos > 0 && entry_before(&entry, &sim->heap[(pos - 1) / HEAP_ARITY]))
        sift_up(sim, pos, entry);
    else
        sift_down(sim, pos, entry);
}

static void heap_remove(struct sim *sim, size_t pos)
{
    struct heap_entry last = sim->heap[--sim->heap_len];
    if (pos < sim->heap_len)
        heap_fix(sim, pos, last);
}

/* ---- the engine ---- */

struct sim *sim_create(void)
{
    struct sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return NULL;
    sim->free_head = SLOT_NONE;
    sim->next_seq = 1;
    for (int i = 0; i < AUTO_LANES; i++)
        sim->auto_lanes[i].lane = SIM_NO_LANE;
    return sim;
}

void sim_destroy(struct sim *sim)
{
    if (!sim)
        return;
    for (uint32_t i = 0; i < sim->lane_count; i++)
        free(sim->lanes[i].ring);
    free(sim->lanes);
    free(sim->heap);
    free(sim->slots);
    free(sim);
}

sim_time sim_now(const struct sim *sim) { return sim->now; }

/* ---- lanes ---- */

sim_lane sim_lane_create(struct sim *sim)
{
    if (sim->lane_count == sim->lane_capacity) {
        uint32_t capacity = sim->lane_capacity ? sim->lane_capacity * 2 : 8;
        struct lane *lanes = realloc(sim->lanes, capacity * sizeof *lanes);
        if (!lanes)
            return SIM_NO_LANE; /* its events go to the heap: slower, same order */
        sim->lanes = lanes;
        sim->lane_capacity = capacity;
    }
    sim->lanes[sim->lane_count] = (struct lane){ .ring = NULL };
    return sim->lane_count++;
}

static bool lane_push(struct lane *lane, struct lane_entry entry)
{
    if (lane->len == lane->capacity) {
        uint32_t capacity = lane->capacity ? lane->capacity * 2 : 64;
        struct lane_entry *ring = malloc(capacity * sizeof *ring);
        if (!ring || capacity < lane->capacity) {
            free(ring);
            return false;
        }
        for (uint32_t i = 0; i < lane->len; i++)
            ring[i] = lane->ring[(lane->head + i) & (lane->capacity - 1)];
        free(lane->ring);
        *lane = (struct lane){ .ring = ring, .head = 0, .len = lane->len, .capacity = capacity };
    }
    lane->ring[(lane->head + lane->len) & (lane->capacity - 1)] = entry;
    lane->len++;
    return true;
}

/* The lane's first entry, at heap position pos, leaves (it runs or is
 * cancelled): drop it and the stale entries behind it; the next pending one
 * takes its place in the heap (one sift instead of a removal and an
 * insertion), or the place is removed when the lane is empty. */
static void lane_advance(struct sim *sim, sim_lane id, size_t pos)
{
    struct lane *lane = &sim->lanes[id];
    lane->head = (lane->head + 1) & (lane->capacity - 1);
    lane->len--;
    while (lane->len > 0) {
        struct lane_entry e = lane->ring[lane->head];
        if (sim->slots[e.slot].generation == e.generation) {
            struct heap_entry entry = { .time = e.time, .seq = e.seq, .slot = e.slot };
            heap_fix(sim, pos, entry);
            return;
        }
        lane->head = (lane->head + 1) & (lane->capacity - 1);
        lane->len--;
    }
    heap_remove(sim, pos);
}

/* Queues the event in the lane when that keeps the lane in order; returns
 * false when the event must go to the heap instead. */
static bool lane_enqueue(struct sim *sim, sim_lane id, struct heap_entry entry)
{
    struct lane *lane = &sim->lanes[id];
    struct event_slot *slot = &sim->slots[entry.slot];
    bool first = lane->len == 0;
    if (!first && entry.time < lane->ring[(lane->head + lane->len - 1) & (lane->capacity - 1)].time)
        return false;
    struct lane_entry e = { entry.time, entry.seq, entry.slot, slot->generation };
    if (!lane_push(lane, e))
        return false;
    slot->lane = id;
    if (first)
        sift_up(sim, sim->heap_len++, entry);
    else
        slot->heap_pos = POS_QUEUED;
    return true;
}

/* sim_schedule's lane for a delay: the one keyed by it, else an unused or
 * idle (empty) one re-keyed to it; SIM_NO_LANE when all AUTO_LANES are busy
 * with other delays. The search starts where the delay hashes, so a
 * handful of delays in use is usually found at the first look. */
static sim_lane auto_lane(struct sim *sim, sim_time delay)
{
    uint32_t start = (uint32_t)(((uint64_t)delay * 0x9E3779B97F4A7C15ull) >> 60);
    struct auto_lane *spare = NULL;
    for (uint32_t k = 0; k < AUTO_LANES; k++) {
        struct auto_lane *a = &sim->auto_lanes[(start + k) & (AUTO_LANES - 1)];
        if (a->lane != SIM_NO_LANE && a->delay == delay)
            return a->lane;
        if (!spare && (a->lane == SIM_NO_LANE || sim->lanes[a->lane].len == 0))
            spare = a;
    }
    if (!spare)
        return SIM_NO_LANE;
    if (spare->lane == SIM_NO_LANE)
        spare->lane = sim_lane_create(sim);
    spare->delay = delay;
    return spare->lane;
}

/* ---- scheduling ---- */

static sim_event_id schedule(struct sim *sim, sim_lane lane, sim_time when, sim_handler *handler,
                             void *context, void *argument)
{
    assert(handler != NULL);
    if (when < sim->now)
        when = sim->now; /* only reachable through a caller's overflow; never runs in the past */
    uint32_t index = slot_alloc(sim);
    if (index == SLOT_NONE) {
        sim->out_of_memory = true;
        sim->stopping = true;
        return SIM_NO_EVENT;
    }
    struct event_slot *slot = &sim->slots[index];
    slot->handler = handler;
    slot->context = context;
    slot->argument = argument;
    slot->lane = SIM_NO_LANE;
    struct heap_entry entry = { .time = when, .seq = sim->next_seq++, .slot = index };
    if (lane == SIM_NO_LANE || !lane_enqueue(sim, lane, entry))
        sift_up(sim, sim->heap_len++, entry);
    sim->pending++;
    return handle_make(index, slot->generation);
}

sim_event_id sim_schedule_at(struct sim *sim, sim_time when, sim_handler *handler,
                             void *context, void *argument)
{
    return schedule(sim, SIM_NO_LANE, when, handler, context, argument);
}

sim_event_id sim_schedule_lane(struct sim *sim, sim_lane lane, sim_time when,
                               sim_handler *handler, void *context, void *argument)
{
    assert(lane == SIM_NO_LANE || lane < sim->lane_count);
    return schedule(sim, lane, when, handler, context, argument);
}

sim_event_id sim_schedule(struct sim *sim, sim_time delay, sim_handler *handler, void *context,
                          void *argument)
{
    if (delay < 0)
        delay = 0;
    return schedule(sim, auto_lane(sim, delay), sim_time_add(sim->now, delay), handler, context,
                    argument);
}

/* Takes a pending event out of the heap or its lane (its slot stays). */
static void unqueue(struct sim *sim, struct event_slot *slot)
{
    if (slot->heap_pos == POS_QUEUED)
        return; /* behind its lane's head: skipped when the lane gets there */
    if (slot->lane != SIM_NO_LANE)
        lane_advance(sim, slot->lane, slot->heap_pos); /* it was the lane's head */
    else
        heap_remove(sim, slot->heap_pos);
}

bool sim_cancel(struct sim *sim, sim_event_id event)
{
    struct event_slot *slot = slot_of_pending(sim, event);
    if (!slot)
        return false;
    unqueue(sim, slot);
    slot_free(sim, handle_slot(event));
    sim->pending--;
    return true;
}

sim_event_id sim_reschedule_at(struct sim *sim, sim_event_id event, sim_time when)
{
    if (when < sim->now)
        when = sim->now;
    struct event_slot *slot = slot_of_pending(sim, event);
    if (!slot)
        return SIM_NO_EVENT;
    if (slot->lane != SIM_NO_LANE) {
        /* A lane keeps its order only by appending: cancel and schedule anew. */
        struct event_slot moved = *slot;
        sim_cancel(sim, event);
        return sim_schedule_at(sim, when, moved.handler, moved.context, moved.argument);
    }
    size_t pos = slot->heap_pos;
    struct heap_entry entry = { .time = when, .seq = sim->next_seq++, .slot = handle_slot(event) };
    heap_fix(sim, pos, entry);
    return event; /* same slot, same generation: the handle stays valid */
}

bool sim_is_pending(const struct sim *sim, sim_event_id event)
{
    return slot_of_pending(sim, event) != NULL;
}

/* Take the earliest event off the heap (its lane's next event takes its
 * place there), free its slot and run it. */
static void run_next(struct sim *sim)
{
    struct heap_entry top = sim->heap[0];
    struct event_slot slot = sim->slots[top.slot];
    if (slot.lane != SIM_NO_LANE)
        lane_advance(sim, slot.lane, 0);
    else
        heap_remove(sim, 0);
    slot_free(sim, top.slot);
    sim->pending--;
    sim->now = sim->last_event = top.time;
    sim->executed++;
    slot.handler(sim, slot.context, slot.argument);
}

/* Runs events with time <= until. When the queue runs dry or the next event
 * lies beyond until, the clock moves to until (but stays at the last event
 * when until is SIM_TIME_MAX). After sim_stop the clock stays where the
 * stopping handler ran. */
uint64_t sim_run(struct sim *sim, sim_time until)
{
    assert(!sim->running && "sim_run called from a handler");
    uint64_t before = sim->executed;
    sim->running = true;
    sim->stopping = false;
    while (!sim->stopping && !sim->out_of_memory && !sim->memory_limit_reached &&
           !sim_event_limit_reached(sim) && sim->heap_len > 0 && sim->heap[0].time <= until)
        run_next(sim);
    if (!sim->stopping && !sim->out_of_memory && !sim->memory_limit_reached &&
        !sim_event_limit_reached(sim) && until != SIM_TIME_MAX && until > sim->now)
        sim->now = until;
    sim->running = false;
    sim->stopping = false;
    return sim->executed - before;
}

void sim_stop(struct sim *sim) { sim->stopping = true; }

void sim_set_event_limit(struct sim *sim, uint64_t limit) { sim->event_limit = limit; }

/* Reached only while an event was left to run: a run that ends on its own
 * at exactly the limit stopped for no limit. */
bool sim_event_limit_reached(const struct sim *sim)
{
    return sim->event_limit != 0 && sim->executed >= sim->event_limit && sim->pending > 0;
}

uint64_t sim_events_executed(const struct sim *sim) { return sim->executed; }

sim_time sim_last_event_time(const struct sim *sim) { return sim->last_event; }

size_t sim_pending_count(const struct sim *sim) { return sim->pending; }

bool sim_out_of_memory(const struct sim *sim) { return sim->out_of_memory; }

void sim_fail_out_of_memory(struct sim *sim)
{
    sim->out_of_memory = true;
    sim->stopping = true;
}

/* ---- the memory budget ---- */

void sim_set_memory_limit(struct sim *sim, uint64_t bytes) { sim->memory_limit = bytes; }

uint64_t sim_memory_limit(const struct sim *sim) { return sim->memory_limit; }

void sim_memory_charge(struct sim *sim, size_t bytes)
{
    sim->memory_used += bytes;
    if (sim->memory_limit && sim->memory_used > sim->memory_limit && !sim->memory_limit_reached) {
        sim->memory_limit_reached = true;
        sim->stopping = true;
    }
}

void sim_memory_release(struct sim *sim, size_t bytes)
{
    sim->memory_used = bytes < sim->memory_used ? sim->memory_used - bytes : 0;
}

uint64_t sim_memory_used(const struct sim *sim) { return sim->memory_used; }

bool sim_memory_limit_reached(const struct sim *sim) { return sim->memory_limit_reached; }

sim_time sim_next_event_time(const struct sim *sim)
{
    return sim->heap_len > 0 ? sim->heap[0].time : SIM_TIME_MAX;
}
