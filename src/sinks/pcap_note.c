/*
 * pcap_note.c: the comment sentence of pcap_note.h. A fault rule's line is
 * named with what the rule did, which the fate tells: a dropped segment met
 * a drop rule, a corrupted one a corrupt rule (or a delay rule on a link
 * that corrupted it by chance: "rule" alone, then, says no more than the
 * record knows), and a delivered one a delay rule, unless the rule's copy
 * followed it (a duplicate rule). A rule on a segment the queue or the loss
 * model took first did nothing and is not named.
 */
#include "pcap_note.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

struct text {
    char *out;
    size_t size, len;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void add(struct text *t, const char *format, ...)
{
    if (t->len >= t->size)
        return;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(t->out + t->len, t->size - t->len, format, args);
    va_end(args);
    t->len = n < 0 ? t->size : t->len + (size_t)n;
}

static void add_time(struct text *t, sim_time ns)
{
    add(t, "%" PRId64 ".%09" PRId64 " s", ns / SIM_S, ns % SIM_S);
}

static void add_rule(struct text *t, const char *how, int rule_line)
{
    if (rule_line)
        add(t, "%s%d", how, rule_line);
}

static void add_fate(struct text *t, const struct packet_note *n)
{
    switch (n->fate) {
    case FATE_DELIVERED:
        add(t, "delivered at ");
        add_time(t, n->arrived_ns);
        if (n->copy_id)
            add(t, ", duplicated (copy: segment #%" PRIu64 ")", n->copy_id);
        add_rule(t, n->copy_id ? " by the rule at scenario line "
                               : ", delayed by the rule at scenario line ",
                 n->rule_line);
        break;
    case FATE_LOST: add(t, "lost by the loss model"); break;
    case FATE_QUEUE_FULL: add(t, "tail-dropped at the full link queue"); break;
    case FATE_DROPPED:
        add(t, "dropped");
        add_rule(t, " by the rule at scenario line ", n->rule_line);
        break;
    case FATE_DUPLICATED:
        add(t, "the link's extra copy");
        add_rule(t, ", made by the rule at scenario line ", n->rule_line);
        add(t, ", delivered at ");
        add_time(t, n->arrived_ns);
        break;
    case FATE_CORRUPTED:
        add(t, "corrupted");
        add_rule(t, " (rule at scenario line ", n->rule_line);
        add(t, "%s: arrived at ", n->rule_line ? ")" : "");
        add_time(t, n->arrived_ns);
        add(t, " with a bad checksum and was discarded");
        break;
    }
}

void packet_note_describe(const struct packet_note *n, const char *sender, const char *receiver,
                          char *out, size_t size)
{
    struct text t = {out, size, 0};
    if (size == 0)
        return;
    out[0] = '\0';
    add(&t, "segment #%" PRIu64 "%s%s: ", n->seg_id, n->retransmission ? ", retransmission" : "",
        n->injected ? ", injected by the scenario" : "");
    add_fate(&t, n);
    add(&t, "; %s %s when it sent it, %s %s %s", sender, tcp_state_name(n->sender_state), receiver,
        tcp_state_name(n->receiver_state), n->arrived_ns >= 0 ? "after it" : "(never got it)");
}
