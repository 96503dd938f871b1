/*
 * sweep.h: the grid of a parameter sweep. Each --vary KEY=LIST|A:B:STEP is
 * an axis; the grid is their cartesian product, numbered 0, 1, ... with the
 * first axis varying slowest, so a point's number does not depend on how
 * many workers run it. Also the identity of a run (scenario digest, seed,
 * settings) that lets an interrupted sweep find what it already recorded,
 * and the --shard K/N share of a grid. Pure data: no processes, no files.
 */
#ifndef TCPSIM_SWEEP_H
#define TCPSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_VALUES 100000     /* values of one axis */
#define SWEEP_MAX_POINTS 10000000   /* points of a grid */

struct sweep_axis {
    char *key;                      /* dotted key as --set takes it: "link.loss" */
    char **values;                  /* as --set takes them: "0.05", "20ms" */
    size_t value_count;
};

struct sweep_grid {
    struct sweep_axis *axes;
    size_t axis_count;
    uint64_t point_count;           /* product of the value counts; 1 without axes */
};

/* Expands a value list: "V1,V2,..." (commas inside parentheses do not
 * split, so "gilbert(1%,30%,0,50%)" is one value) or an inclusive range
 * "A:B:STEP" of decimal numbers sharing one unit suffix ("0:0.3:0.05",
 * "10ms:50ms:10ms", "1%:5%:1%"), computed exactly in decimal: 0.1 + 0.2 is
 * "0.3". Returns the number of values and *values (free with
 * sweep_free_values), or -1 with a message in err. */
long sweep_expand_values(const char *text, char ***values, char *err, size_t errlen);
void sweep_free_values(char **values, size_t count);

/* Adds the axis of "KEY=LIST|A:B:STEP". A key may be varied once. Returns 0
 * or -1 with a message in err. */
int sweep_grid_add_axis(struct sweep_grid *grid, const char *spec, char *err, size_t errlen);
void sweep_grid_init(struct sweep_grid *grid);
void sweep_grid_free(struct sweep_grid *grid);

/* The value axis `axis` takes at point `point` (< point_count). */
const char *sweep_point_value(const struct sweep_grid *grid, uint64_t point, size_t axis);

/* "K/N" with 1 <= K <= N: the shard keeps the points whose number modulo N
 * is K-1. Returns 0 or -1. */
int sweep_parse_shard(const char *text, uint32_t *k, uint32_t *n);
bool sweep_point_in_shard(uint64_t point, uint32_t k, uint32_t n);

/* ---- what identifies a run ---- */

struct sweep_pair {
    const char *key, *value;
};

/* A run's identity as one string: the scenario's digest and the settings
 * it ran with, the last value of a key winning and keys sorted, as
 * run_params stores them. Two runs with equal identity and seed are the
 * same run. NULL when out of memory; the caller frees. */
char *sweep_identity(const char *scenario_sha256, const struct sweep_pair *pairs, size_t count);

#endif
