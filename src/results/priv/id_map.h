/*
 * id_map.h: a hash map from a 64-bit key to a 64-bit value, for the writer's
 * per-run dictionaries (endpoints to their ids, a TCB to its open stay).
 * Open addressing with linear probing and backward-shift deletion, so no
 * tombstones pile up in a long run. Key 0 is reserved (an empty slot).
 */
#ifndef TCPSIM_ID_MAP_H
#define TCPSIM_ID_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct id_map_slot {
    uint64_t key;              /* 0: empty */
    int64_t value;
};

struct id_map {
    struct id_map_slot *slots;
    size_t cap, count;         /* cap: a power of two, or 0 */
};

/* The value of key in *value: true, or false when absent. */
bool id_map_get(const struct id_map *m, uint64_t key, int64_t *value);
/* Sets key (non-zero) to value; false when out of memory. */
bool id_map_put(struct id_map *m, uint64_t key, int64_t value);
void id_map_remove(struct id_map *m, uint64_t key);
/* Empties the map, keeping its memory. */
void id_map_clear(struct id_map *m);
void id_map_free(struct id_map *m);

#endif
