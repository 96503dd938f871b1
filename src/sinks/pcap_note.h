/*
 * pcap_note.h: what a pcapng packet's comment says of its segment, and the
 * sentence that says it. sink_pcap.c gathers the facts from the trace
 * records (the segment's, the transitions', the duplicate copy's); this
 * file only words them, so the wording is in one place:
 *
 *   segment #2, retransmission: delivered at 1.050000000 s; client
 *   SYN_SENT when it sent it, server SYN_RECEIVED after it
 *   segment #1: dropped by the rule at scenario line 16; client SYN_SENT
 *   when it sent it, server LISTEN (never got it)
 *
 * Times are simulated, from the run's start; rule lines are the scenario
 * file's (segments.rule_line).
 */
#ifndef TCPSIM_PCAP_NOTE_H
#define TCPSIM_PCAP_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct packet_note {
    uint64_t seg_id, conn_id;
    int sender, receiver;          /* host numbers (conn_states.h) */
    sim_time sent_ns, arrived_ns;  /* arrived -1: never */
    enum segment_fate fate;
    int rule_line;                 /* 0: no fault rule picked it */
    uint64_t copy_id;              /* a duplicate rule's copy of it; 0: none */
    bool retransmission, injected;
    enum tcp_state sender_state;   /* when it sent it */
    enum tcp_state receiver_state; /* after it arrived; when it was sent if it never did */
    bool receiver_known;           /* receiver_state is final */
};

/* The comment, cut to fit size. */
void packet_note_describe(const struct packet_note *n, const char *sender, const char *receiver,
                          char *out, size_t size);

#endif
