/*
 * tcp_tlp.c: the tail loss probe (RFC 8985 7; Linux tcp_early_retrans=3).
 * When the last segments of a flight are lost no duplicate ACK comes, and
 * without a probe only the RTO recovers them, backing off. With the probe,
 * the retransmission timer first fires after the probe timeout
 *
 *     PTO = 2 SRTT + (one segment in flight ? rto_min : 2 ms), at most
 *           the time left before the RTO      (Linux tcp_schedule_loss_probe)
 *
 * and sends new data if the window allows or else the last segment again,
 * without backing off; then the RTO runs in full. A FIN lost again and
 * again so goes at RTO, RTO, 2 RTO, 4 RTO... instead of RTO, 2 RTO, 4 RTO.
 *
 * Linux's rto_min allowance stands for the peer's delayed ACK (RFC 8985's
 * WCDelAckT); its 2 ms is TCP_TIMEOUT_MIN. Not modelled: the probe needs
 * SACK in Linux (tcpsim has none: the probe goes anyway), and detecting
 * from the ACKs that the probe repaired a loss (7.4) to reduce cwnd.
 */
#include "tcp_internal.h"

#define PTO_SLACK (2 * SIM_MS) /* TCP_TIMEOUT_MIN */

/* RFC 8985 7.2's conditions, in Linux's words: the connection is open (no
 * recovery, no backoff), something is in flight, no probe is out yet. */
static bool tail_qualifies(const struct tcp_conn *c)
{
    enum tcp_state s = (enum tcp_state)c->state;
    return tcp_prof(c)->tail_loss_probe && (c->flags & TCPF_HAVE_RTT) && c->buf &&
           s != TCP_SYN_SENT && s != TCP_SYN_RECEIVED && s != TCP_TIME_WAIT &&
           !(c->flags & (TCPF_PERSIST | TCPF_RECOVERY)) && c->retries == 0 &&
           c->snd_una != c->snd_nxt && !c->tlp.outstanding;
}

void tcp_tlp_schedule(struct tcp_conn *c)
{
    if (!tail_qualifies(c))
        return;
    sim_time now = tcp_now(c);
    if (c->rexmit_timer == SIM_NO_EVENT)
        c->tlp.rto_due = sim_time_add(now, tcp_current_rto(c));
    bool one_segment = c->snd_nxt - c->snd_una <= c->snd_mss;
    sim_time pto = sim_time_add(2 * c->srtt, one_segment ? tcp_prof(c)->rto_min : PTO_SLACK);
    if (c->tlp.rto_due - now < pto)
        pto = c->tlp.rto_due - now;
    if (pto <= 0)
        return; /* the RTO is due now: it goes first */
    tcp_timer_rexmit_after(c, pto);
    c->tlp.armed = true;
}

void tcp_tlp_on_ack(struct tcp_conn *c, uint32_t ack)
{
    if (c->tlp.outstanding && seq_geq(ack, c->tlp.high_seq))
        c->tlp.outstanding = false;
}

void tcp_tlp_fire(struct tcp_conn *c)
{
    c->tlp.armed = false;
    if (c->snd_una == c->snd_nxt)
        return;
    c->tlp.outstanding = true;
    if (tcp_output(c) == 0)
        tcp_retransmit_last(c);
    c->tlp.high_seq = c->snd_nxt;
    tcp_timer_rexmit_after_probe(c);
}
