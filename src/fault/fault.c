/*
 * fault.c: segment kinds and drop rules (see fault.h). Rules are few (a
 * scenario writes a handful), so each segment walks all of them: a linear
 * scan beats any index at that size and keeps every rule's count exact.
 */
#include "fault.h"

#include <stdlib.h>
#include <string.h>

struct fault {
    struct drop_rule *rules;
    uint64_t *seen;          /* matches counted by each rule */
    size_t count, capacity;
};

const char *segment_kind_name(enum segment_kind kind)
{
    switch (kind) {
    case SEGKIND_ANY: return "segment";
    case SEGKIND_SYN: return "SYN";
    case SEGKIND_SYN_ACK: return "SYN-ACK";
    case SEGKIND_ACK: return "ACK";
    case SEGKIND_DATA: return "DATA";
    case SEGKIND_FIN: return "FIN";
    case SEGKIND_RST: return "RST";
    }
    return "?";
}

bool segment_kind_matches(enum segment_kind kind, const struct segment *seg)
{
    uint8_t f = seg->flags;
    switch (kind) {
    case SEGKIND_ANY: return true;
    case SEGKIND_SYN: return (f & TCP_FLAG_SYN) && !(f & TCP_FLAG_ACK);
    case SEGKIND_SYN_ACK: return (f & TCP_FLAG_SYN) && (f & TCP_FLAG_ACK);
    case SEGKIND_ACK:
        return (f & TCP_FLAG_ACK) && !(f & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST)) && seg->len == 0;
    case SEGKIND_DATA: return seg->len > 0;
    case SEGKIND_FIN: return (f & TCP_FLAG_FIN) != 0;
    case SEGKIND_RST: return (f & TCP_FLAG_RST) != 0;
    }
    return false;
}

const char *fault_action_name(enum fault_action action)
{
    switch (action) {
    case FAULT_DROP: return "drop";
    case FAULT_DELAY: return "delay";
    case FAULT_DUPLICATE: return "duplicate";
    case FAULT_CORRUPT: return "corrupt";
    }
    return "?";
}

struct fault *fault_create(void)
{
    return calloc(1, sizeof(struct fault));
}

void fault_destroy(struct fault *fault)
{
    if (!fault)
        return;
    free(fault->rules);
    free(fault->seen);
    free(fault);
}

int fault_add_rule(struct fault *fault, const struct drop_rule *rule)
{
    if (fault->count == fault->capacity) {
        size_t capacity = fault->capacity ? 2 * fault->capacity : 4;
        struct drop_rule *rules = realloc(fault->rules, capacity * sizeof *rules);
        if (!rules)
            return -1;
        fault->rules = rules;
        uint64_t *seen = realloc(fault->seen, capacity * sizeof *seen);
        if (!seen)
            return -1;
        fault->seen = seen;
        fault->capacity = capacity;
    }
    fault->rules[fault->count] = *rule;
    fault->seen[fault->count] = 0;
    fault->count++;
    return 0;
}

static bool rule_matches(const struct drop_rule *rule, int direction, sim_time now,
                         const struct segment *seg)
{
    return rule->direction == direction && now >= rule->from && now < rule->until &&
           (rule->conn_id == 0 || rule->conn_id == seg->conn_id) &&
           segment_kind_matches(rule->kind, seg);
}

static bool rule_counts_in(const struct drop_rule *rule, uint64_t nth)
{
    uint64_t last = rule->nth_last < rule->nth_first ? rule->nth_first : rule->nth_last;
    return rule->nth_first == 0 || (nth >= rule->nth_first && nth <= last);
}

const struct drop_rule *fault_decide(struct fault *fault, int direction, sim_time now,
                                     const struct segment *seg)
{
    const struct drop_rule *decided = NULL;
    for (size_t i = 0; fault && i < fault->count; i++) {
        const struct drop_rule *rule = &fault->rules[i];
        if (!rule_matches(rule, direction, now, seg))
            continue;
        uint64_t nth = ++fault->seen[i];
        if (!decided && rule_counts_in(rule, nth))
            decided = rule;
    }
    return decided;
}
