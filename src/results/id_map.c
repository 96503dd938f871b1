/*
 * id_map.c: the writer's 64-bit hash map (see id_map.h). Load kept under
 * one half, so a probe is short; a run's few hundred thousand endpoints cost
 * 16 bytes each, doubled.
 */
#include "id_map.h"

#include <stdlib.h>
#include <string.h>

/* A 64-bit mix (the finaliser of MurmurHash3): keys are small packed
 * integers whose low bits alone would cluster. */
static size_t slot_of(const struct id_map *m, uint64_t key)
{
    key ^= key >> 33;
    key *= UINT64_C(0xff51afd7ed558ccd);
    key ^= key >> 33;
    key *= UINT64_C(0xc4ceb9fe1a85ec53);
    key ^= key >> 33;
    return (size_t)key & (m->cap - 1);
}

bool id_map_get(const struct id_map *m, uint64_t key, int64_t *value)
{
    if (m->cap == 0)
        return false;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == 0)
            return false;
        if (m->slots[i].key == key) {
            *value = m->slots[i].value;
            return true;
        }
    }
}

static void insert_slot(struct id_map *m, uint64_t key, int64_t value)
{
    size_t i = slot_of(m, key);
    while (m->slots[i].key != 0 && m->slots[i].key != key)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].key == 0)
        m->count++;
    m->slots[i] = (struct id_map_slot){key, value};
}

static bool grow(struct id_map *m)
{
    struct id_map old = *m;
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct id_map_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    m->slots = slots;
    m->cap = cap;
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key != 0)
            insert_slot(m, old.slots[i].key, old.slots[i].value);
    free(old.slots);
    return true;
}

bool id_map_put(struct id_map *m, uint64_t key, int64_t value)
{
    if ((m->count + 1) * 2 > m->cap && !grow(m))
        return false;
    insert_slot(m, key, value);
    return true;
}

/* Backward-shift deletion: the entries after the hole that probed past it
 * move back, so every lookup still finds its key before an empty slot. */
void id_map_remove(struct id_map *m, uint64_t key)
{
    if (m->cap == 0)
        return;
    size_t mask = m->cap - 1, hole = slot_of(m, key);
    while (m->slots[hole].key != key) {
        if (m->slots[hole].key == 0)
            return;
        hole = (hole + 1) & mask;
    }
    for (size_t i = (hole + 1) & mask; m->slots[i].key != 0; i = (i + 1) & mask) {
        size_t home = slot_of(m, m->slots[i].key);
        /* Moves back unless its home lies cyclically in (hole, i]. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    m->slots[hole].key = 0;
    m->count--;
}

void id_map_clear(struct id_map *m)
{
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->count = 0;
}

void id_map_free(struct id_map *m)
{
    free(m->slots);
    *m = (struct id_map){0};
}
