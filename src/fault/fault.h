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

/* What a rule does to the segments it picks. */
enum fault_action {
    FAULT_DROP,       /* never arrives */
    FAULT_DELAY,      /* arrives `by` later than the wire would bring it: reordering on purpose */
    FAULT_DUPLICATE,  /* arrives, and a copy arrives `by` after it */
    FAULT_CORRUPT,    /* arrives damaged: the receiver discards it */
};
const char *fault_action_name(enum fault_action action); /* "drop", "delay", ... */

/* Act on the nth_first..nth_last segments (1-based, counted among the
 * segments sent in `direction` that match `kind` and lie in [from, until))
 * or, with nth_first == 0, on every such segment. The name is the first
 * action's: every fault rule is a struct drop_rule, action FAULT_DROP
 * unless said otherwise, so a rule written before the other actions
 * existed still means what it meant. */
struct drop_rule {
    enum fault_action action;
    sim_time by;                   /* FAULT_DELAY: the extra delay; FAULT_DUPLICATE: the copy's lag */
    int direction;
    enum segment_kind kind;
    uint64_t nth_first, nth_last;
    sim_time from, until;          /* until = SIM_TIME_MAX for no end */
    uint64_t conn_id;              /* 0 = any connection */
    int line;                      /* the scenario line that wrote it; 0 = none */
};

/* The fault rules of one run, each with its own count of matches. */
struct fault;

struct fault *fault_create(void);
void fault_destroy(struct fault *fault);
/* Copies the rule. Returns 0, or -1 when out of memory. */
int fault_add_rule(struct fault *fault, const struct drop_rule *rule);

/* The segment about to be sent in `direction` at `now`: returns the rule
 * that acts on it (the first one, in the order added, whose count it falls
 * in; one rule per segment), or NULL to leave it to the wire. Every matching rule counts the
 * segment, whether or not another drops it: "the 3rd segment" means the
 * 3rd one sent. A NULL fault drops nothing. */
const struct drop_rule *fault_decide(struct fault *fault, int direction, sim_time now,
                                     const struct segment *seg);

#endif
