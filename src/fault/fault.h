/*
 * fault.h: deterministic faults a scenario writes by meaning ("drop the
 * server's first SYN-ACK"). This module owns what a rule can name -- the
 * kinds of TCP segment, told apart by their flags and length -- and the
 * drop rules themselves, with the matches each has counted. The link asks
 * it for each segment's fate before the wire's own chances (queue, loss
 * model) apply, so the wire knows no TCP semantics.
 */
#ifndef TCPSIM_FAULT_H
#define TCPSIM_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "segment.h"

/* What a drop rule matches, by meaning. */
enum segment_kind {
    SEGKIND_ANY,     /* any segment */
    SEGKIND_SYN,     /* SYN without ACK */
    SEGKIND_SYN_ACK, /* SYN with ACK */
    SEGKIND_ACK,     /* ACK alone: no SYN, FIN, RST, no payload */
    SEGKIND_DATA,    /* carries payload */
    SEGKIND_FIN,     /* FIN set (with or without ACK) */
    SEGKIND_RST,     /* RST set */
};
const char *segment_kind_name(enum segment_kind kind);
bool segment_kind_matches(enum segment_kind kind, const struct segment *seg);

/* Drop the nth_first..nth_last segments (1-based, counted among the
 * segments sent in `direction` that match `kind` and lie in [from, until))
 * or, with nth_first == 0, every such segment. */
struct drop_rule {
    int direction;
    enum segment_kind kind;
    uint64_t nth_first, nth_last;
    sim_time from, until;          /* until = SIM_TIME_MAX for no end */
    uint64_t conn_id;              /* 0 = any connection */
    int line;                      /* the scenario line that wrote it; 0 = none */
};

/* The drop rules of one run, each with its own count of matches. */
struct fault;

struct fault *fault_create(void);
void fault_destroy(struct fault *fault);
/* Copies the rule. Returns 0, or -1 when out of memory. */
int fault_add_rule(struct fault *fault, const struct drop_rule *rule);

/* The segment about to be sent in `direction` at `now`: returns the rule
 * that drops it (the first one, in the order added, whose count it falls
 * in), or NULL to let it onto the wire. Every matching rule counts the
 * segment, whether or not another drops it: "the 3rd segment" means the
 * 3rd one sent. A NULL fault drops nothing. */
const struct drop_rule *fault_decide(struct fault *fault, int direction, sim_time now,
                                     const struct segment *seg);

#endif
