/*
 * link.h: the wire between the two hosts. One channel per direction, each
 * with propagation delay and jitter, a serialization rate and a drop-tail
 * queue, a loss model (Bernoulli or Gilbert-Elliott), duplication,
 * corruption. Deterministic drop rules a teacher writes by meaning ("the
 * server's first SYN-ACK") belong to the fault module (fault.h), which the
 * link asks first. Every transmitted segment's fate is reported through the
 * trace when it is sent, with the rule that dropped it; delivery happens
 * later through the engine. The link knows neither TCP state nor segment
 * kinds.
 */
#ifndef TCPSIM_LINK_H
#define TCPSIM_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "fault.h"
#include "link_config.h"
#include "rng.h"
#include "segment.h"
#include "trace.h"

/* The link joins end 0 and end 1; direction d carries segments sent by end d. */
enum { LINK_END_COUNT = 2 };

/* The stationary loss rate of a Gilbert-Elliott configuration. */
double link_gilbert_elliott_loss_rate(const struct link_direction_config *config);

struct link_config {
    struct link_direction_config direction[LINK_END_COUNT];
    struct fault *fault;           /* the drop rules; the link owns it from link_create
                                      on (and frees it even when that fails); NULL = none */
};

typedef void link_receive_fn(void *context, const struct segment *seg);

struct link_direction_stats {
    uint64_t sent, delivered, lost, dropped, duplicated, corrupted, queue_full;
};

struct link;

/* Random streams are derived from seed and the end names given to
 * link_attach ("loss client->server", ...). */
struct link *link_create(struct sim *sim, const struct link_config *config, uint64_t seed,
                         struct trace *trace);
void link_destroy(struct link *link);

/* Name an end and say who receives the segments that arrive there. Both ends
 * must be attached before the first link_transmit. */
void link_attach(struct link *link, int end, const char *name, link_receive_fn *receive,
                 void *context);

/* Send a segment from end `from`. Assigns seg->id (1, 2, ... per link),
 * copies the payload, decides the fate, reports it to the trace, and
 * schedules delivery. The caller keeps ownership of seg and its data. */
void link_transmit(struct link *link, int from, struct segment *seg);

const struct link_direction_stats *link_stats(const struct link *link, int direction);

#endif
