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
 */
#include "engine.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#define HEAP_ARITY 4
#define SLOT_NONE UINT32_MAX  /* end of the free list */
#define INITIAL_CAPACITY 64u

/* A pending event's ordering key and where its handler lives. */
struct heap_entry {
    sim_time time;
    uint64_t seq;
    uint32_t slot;
};

/* While pending, heap_pos is the event's index in the heap; while free, it
 * links to the next free slot. generation changes whenever the slot is
 * freed, so old handles stop matching. */
struct event_slot {
    sim_handler *handler;
    void *context;
    void *argument;
    uint32_t generation;
    uint32_t heap_pos;
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
    bool stopping;
    bool running;
};

static void out_of_memory(void)
{
    fputs("tcpsim: out of memory in the event engine\n", stderr);
    abort();
}

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

static void pool_grow(struct sim *sim)
{
    uint32_t capacity = sim->capacity ? sim->capacity * 2 : INITIAL_CAPACITY;
    if (capacity <= sim->capacity || capacity == SLOT_NONE)
        out_of_memory();
    struct event_slot *slots = realloc(sim->slots, capacity * sizeof *slots);
    if (!slots)
        out_of_memory();
    sim->slots = slots;
    struct heap_entry *heap = realloc(sim->heap, capacity * sizeof *heap);
    if (!heap)
        out_of_memory();
    sim->heap = heap;
    sim->capacity = capacity;
}

static uint32_t slot_alloc(struct sim *sim)
{
    if (sim->free_head != SLOT_NONE) {
        uint32_t index = sim->free_head;
        sim->free_head = sim->slots[index].heap_pos;
        return index;
    }
    if (sim->slot_count == sim->capacity)
        pool_grow(sim);
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
    return sim;
}

void sim_destroy(struct sim *sim)
{
    if (!sim)
        return;
    free(sim->heap);
    free(sim->slots);
    free(sim);
}

sim_time sim_now(const struct sim *sim) { return sim->now; }

sim_event_id sim_schedule_at(struct sim *sim, sim_time when, sim_handler *handler,
                             void *context, void *argument)
{
    assert(when >= sim->now && "scheduling an event in the past");
    assert(handler != NULL);
    uint32_t index = slot_alloc(sim);
    struct event_slot *slot = &sim->slots[index];
    slot->handler = handler;
    slot->context = context;
    slot->argument = argument;
    struct heap_entry entry = { .time = when, .seq = sim->next_seq++, .slot = index };
    sift_up(sim, sim->heap_len++, entry);
    return handle_make(index, slot->generation);
}

sim_event_id sim_schedule(struct sim *sim, sim_time delay, sim_handler *handler, void *context,
                          void *argument)
{
    assert(delay >= 0 && "negative delay");
    assert(delay <= SIM_TIME_MAX - sim->now && "event time overflows");
    return sim_schedule_at(sim, sim->now + delay, handler, context, argument);
}

bool sim_cancel(struct sim *sim, sim_event_id event)
{
    struct event_slot *slot = slot_of_pending(sim, event);
    if (!slot)
        return false;
    heap_remove(sim, slot->heap_pos);
    slot_free(sim, handle_slot(event));
    return true;
}

sim_event_id sim_reschedule_at(struct sim *sim, sim_event_id event, sim_time when)
{
    assert(when >= sim->now && "rescheduling an event into the past");
    struct event_slot *slot = slot_of_pending(sim, event);
    if (!slot)
        return SIM_NO_EVENT;
    size_t pos = slot->heap_pos;
    struct heap_entry entry = { .time = when, .seq = sim->next_seq++, .slot = handle_slot(event) };
    heap_fix(sim, pos, entry);
    return event; /* same slot, same generation: the handle stays valid */
}

bool sim_is_pending(const struct sim *sim, sim_event_id event)
{
    return slot_of_pending(sim, event) != NULL;
}

/* Take the earliest event off the heap, free its slot and run it. */
static void run_next(struct sim *sim)
{
    struct heap_entry top = sim->heap[0];
    heap_remove(sim, 0);
    struct event_slot slot = sim->slots[top.slot];
    slot_free(sim, top.slot);
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
    while (!sim->stopping && sim->heap_len > 0 && sim->heap[0].time <= until)
        run_next(sim);
    if (!sim->stopping && until != SIM_TIME_MAX && until > sim->now)
        sim->now = until;
    sim->running = false;
    sim->stopping = false;
    return sim->executed - before;
}

void sim_stop(struct sim *sim) { sim->stopping = true; }

uint64_t sim_events_executed(const struct sim *sim) { return sim->executed; }

sim_time sim_last_event_time(const struct sim *sim) { return sim->last_event; }

size_t sim_pending_count(const struct sim *sim) { return sim->heap_len; }
