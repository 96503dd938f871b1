/*
 * conn_states.c: the states of conn_states.h in an open-addressing hash
 * table (linear probing, grown at half full) of (host, conn_id) keys, each
 * with the short list of its recent transitions. A hash rather than an
 * array indexed by conn_id: ids come from files too (a database replay),
 * and a damaged one must not make the sink allocate by its value. Host
 * names are few (a scenario's hosts): a plain list searched in order.
 */
#include "conn_states.h"

#include <stdlib.h>
#include <string.h>

struct state_entry {
    sim_time t;
    enum tcp_state state;
};

struct conn_history {
    bool used;
    int host;
    uint64_t conn_id;
    struct state_entry *entries; /* time order; the last is the current state */
    size_t count, cap;
};

struct conn_states {
    struct conn_history *slots;
    size_t slot_count;           /* a power of two, or 0 */
    size_t used_count;
    char **hosts;
    size_t host_count;
};

struct conn_states *conn_states_new(void) { return calloc(1, sizeof(struct conn_states)); }

void conn_states_clear(struct conn_states *cs)
{
    for (size_t i = 0; i < cs->slot_count; i++)
        free(cs->slots[i].entries);
    free(cs->slots);
    cs->slots = NULL;
    cs->slot_count = cs->used_count = 0;
}

void conn_states_free(struct conn_states *cs)
{
    if (!cs)
        return;
    conn_states_clear(cs);
    for (size_t i = 0; i < cs->host_count; i++)
        free(cs->hosts[i]);
    free(cs->hosts);
    free(cs);
}

int conn_states_host(struct conn_states *cs, const char *name)
{
    for (size_t i = 0; i < cs->host_count; i++)
        if (strcmp(cs->hosts[i], name) == 0)
            return (int)i;
    char **hosts = realloc(cs->hosts, (cs->host_count + 1) * sizeof *hosts);
    if (!hosts)
        return -1;
    cs->hosts = hosts;
    if (!(hosts[cs->host_count] = malloc(strlen(name) + 1)))
        return -1;
    strcpy(hosts[cs->host_count], name);
    return (int)cs->host_count++;
}

const char *conn_states_host_name(const struct conn_states *cs, int host)
{
    return cs->hosts[host];
}

static size_t slot_of(const struct conn_states *cs, int host, uint64_t conn_id)
{
    uint64_t h = (conn_id ^ (uint64_t)host << 56) * UINT64_C(0x9E3779B97F4A7C15);
    size_t i = (size_t)(h ^ h >> 29) & (cs->slot_count - 1);
    while (cs->slots[i].used && (cs->slots[i].host != host || cs->slots[i].conn_id != conn_id))
        i = (i + 1) & (cs->slot_count - 1);
    return i;
}

static const struct conn_history *find(const struct conn_states *cs, int host, uint64_t conn_id)
{
    if (cs->slot_count == 0)
        return NULL;
    const struct conn_history *h = &cs->slots[slot_of(cs, host, conn_id)];
    return h->used ? h : NULL;
}

static int grow(struct conn_states *cs)
{
    struct conn_states bigger = *cs;
    bigger.slot_count = cs->slot_count ? cs->slot_count * 2 : 64;
    if (!(bigger.slots = calloc(bigger.slot_count, sizeof *bigger.slots)))
        return -1;
    for (size_t i = 0; i < cs->slot_count; i++)
        if (cs->slots[i].used)
            bigger.slots[slot_of(&bigger, cs->slots[i].host, cs->slots[i].conn_id)] = cs->slots[i];
    free(cs->slots);
    *cs = bigger;
    return 0;
}

/* The history of the key, added empty when new; NULL out of memory. */
static struct conn_history *find_or_add(struct conn_states *cs, int host, uint64_t conn_id)
{
    if (2 * (cs->used_count + 1) > cs->slot_count && grow(cs) != 0)
        return NULL;
    struct conn_history *h = &cs->slots[slot_of(cs, host, conn_id)];
    if (!h->used) {
        *h = (struct conn_history){.used = true, .host = host, .conn_id = conn_id};
        cs->used_count++;
    }
    return h;
}

/* Drops the entries older than the last one at or before keep_from: no
 * question will reach back past it. */
static void forget_before(struct conn_history *h, sim_time keep_from)
{
    size_t first = 0;
    while (first + 1 < h->count && h->entries[first + 1].t <= keep_from)
        first++;
    if (first == 0)
        return; /* also when there are no entries yet (entries NULL) */
    memmove(h->entries, h->entries + first, (h->count - first) * sizeof *h->entries);
    h->count -= first;
}

int conn_states_record(struct conn_states *cs, int host, uint64_t conn_id, sim_time t,
                       enum tcp_state to, sim_time keep_from)
{
    struct conn_history *h = find_or_add(cs, host, conn_id);
    if (!h)
        return -1;
    forget_before(h, keep_from);
    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 2;
        struct state_entry *entries = realloc(h->entries, cap * sizeof *entries);
        if (!entries)
            return -1;
        h->entries = entries;
        h->cap = cap;
    }
    h->entries[h->count++] = (struct state_entry){t, to};
    return 0;
}

bool conn_states_at(const struct conn_states *cs, int host, uint64_t conn_id, sim_time t,
                    enum tcp_state *state)
{
    const struct conn_history *h = find(cs, host, conn_id);
    for (size_t i = h ? h->count : 0; i > 0; i--)
        if (h->entries[i - 1].t <= t) {
            *state = h->entries[i - 1].state;
            return true;
        }
    return false;
}
