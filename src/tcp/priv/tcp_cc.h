/*
 * tcp_cc.h: the per-connection state of three sender and receiver
 * behaviours of modern stacks, each in a file of its own so that the rest
 * of the TCP only calls small hooks:
 *
 *   tcp_cc.c     congestion control: RFC 5681 reno, RFC 9438 cubic
 *                (profile.congestion, initial_window)
 *   tcp_tlp.c    tail loss probe, RFC 8985 (profile.tail_loss_probe)
 *   tcp_delack.c delayed ACKs with Linux's quick-ack mode
 *                (profile.delayed_ack, quickack)
 *
 * With the rfc9293 profile all three are off and every hook returns at
 * once, so that profile's behaviour is what it was without them.
 */
#ifndef TCPSIM_TCP_CC_H
#define TCPSIM_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

struct tcp_conn;

/* Congestion window state besides c->cwnd (bytes; UINT32_MAX = none). */
struct tcp_cc {
    uint32_t ssthresh;          /* bytes; UINT32_MAX until the first loss */
    uint32_t ca_bytes;          /* reno: bytes acked towards the next +1 MSS */
    double cubic_w_max;         /* cubic: window (segments) before the last reduction */
    double cubic_k;             /* cubic: seconds from the epoch to w_max again */
    double cubic_origin;        /* cubic: the plateau (segments) of this epoch */
    double cubic_w_est;         /* cubic: the Reno-friendly estimate (segments) */
    double cubic_frac;          /* cubic: increase not yet a whole byte */
    sim_time cubic_epoch;       /* cubic: start of this growth epoch; -1 = none */
};

/* Tail loss probe: whether rexmit_timer is the probe, and one probe per
 * tail until an ACK covers it (RFC 8985 7.3 TLPRxtOut). */
struct tcp_tlp {
    bool armed;                 /* rexmit_timer fires as a probe, not as the RTO */
    bool outstanding;           /* a probe was sent; none again until high_seq is acked */
    uint32_t high_seq;          /* SND.NXT when the probe was sent */
    sim_time rto_due;           /* when the RTO last started would fire */
};

/* Delayed ACK: the timer, quick-ack credit and interactive ("pingpong") mode. */
struct tcp_delack {
    sim_event_id timer;
    sim_time last_data;         /* when in-order data last arrived; -1 = never */
    uint32_t rcv_acked;         /* RCV.NXT in the last ACK sent */
    uint16_t quick;             /* ACKs still to send at once (Linux icsk_ack.quick) */
    bool pingpong;              /* interactive: ACKs wait for data to ride on */
};

/* ---- tcp_cc.c ---- */
/* How far beyond SND.UNA the congestion window lets the sender go now:
 * UINT32_MAX without congestion control; otherwise room for one more full
 * segment while fewer segments than cwnd / MSS are in flight. */
uint32_t tcp_cc_send_limit(const struct tcp_conn *c);
void tcp_cc_init(struct tcp_conn *c);                  /* ESTABLISHED: the initial window */
void tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint32_t flight_before);
void tcp_cc_on_fast_retransmit(struct tcp_conn *c);
void tcp_cc_on_rto(struct tcp_conn *c);                /* the loss window */

/* ---- tcp_tlp.c ---- */
/* After new data left or an ACK restarted the RTO: arm the probe instead,
 * when the profile has it and the tail qualifies. */
void tcp_tlp_schedule(struct tcp_conn *c);
void tcp_tlp_on_ack(struct tcp_conn *c, uint32_t ack);
/* rexmit_timer fired while armed: send the probe, then the RTO runs. */
void tcp_tlp_fire(struct tcp_conn *c);

/* ---- tcp_delack.c ---- */
void tcp_delack_init(struct tcp_conn *c);
void tcp_delack_on_data(struct tcp_conn *c);           /* in-order text arrived */
void tcp_delack_on_fin(struct tcp_conn *c);            /* the peer's FIN in ESTABLISHED */
void tcp_delack_on_data_sent(struct tcp_conn *c);      /* new data left */
void tcp_delack_on_ack_sent(struct tcp_conn *c, bool was_owed);
/* The owed ACK for in-order text or FIN may wait (may_wait): true when the
 * timer will send it instead of the caller now. */
bool tcp_delack_defer(struct tcp_conn *c, bool may_wait);
void tcp_delack_stop(struct tcp_conn *c);

#endif
