/*
 * tcp_output.c: segments leaving a host. The windows (RCV.WND we announce,
 * what the peer's window lets us send), every segment a TCB sends (ACK,
 * SYN or SYN-ACK, data and FIN as the window allows, retransmission of the
 * oldest unacknowledged segment, zero-window probes) and the reset for a
 * segment that has no TCB (RFC 9293 3.10.7.1).
 *
 * Choices: no Nagle; congestion control (tcp_cc.c) sets cwnd, which
 * tcp_send_window takes min() with (congestion=none: UINT32_MAX, so
 * everything the peer's window allows leaves at once); a FIN waits for
 * window like data does.
 */
#include "tcp_internal.h"

/* RCV.WND: the receive buffer minus what the application has not read.
 * Out-of-order data lies inside the advertised window already, so it is
 * not subtracted: the right edge never moves left (RFC 9293 3.8.6). */
uint32_t tcp_rcv_wnd(const struct tcp_conn *c)
{
    uint32_t buf = c->rcv_buf;
    uint32_t unread = c->buf ? c->buf->rcv.len : 0;
    return unread >= buf ? 0 : buf - unread;
}

/* What the sender may have in flight: min(SND.WND, what congestion
 * control allows now). */
uint32_t tcp_send_window(const struct tcp_conn *c)
{
    uint32_t cwnd = tcp_cc_send_limit(c);
    return c->snd_wnd < cwnd ? c->snd_wnd : cwnd;
}

/* Every segment leaves through here: the host's counters, then the wire. */
static void host_output(struct tcp_host *h, struct segment *s)
{
    h->stats.segments_sent++;
    if (s->retransmission)
        h->stats.retransmissions++;
    if (s->flags & TCP_FLAG_RST)
        h->stats.resets_sent++;
    if (h->output)
        h->output(h->output_context, s);
}

void tcp_send_segment(struct tcp_conn *c, uint8_t flags, uint32_t seq, const uint8_t *data,
                      uint32_t len, bool retransmission)
{
    struct segment s = {
        .src_addr = c->local_addr,
        .dst_addr = c->remote_addr,
        .src_port = c->local_port,
        .dst_port = c->remote_port,
        .seq = seq,
        .ack = (flags & TCP_FLAG_ACK) ? c->rcv_nxt : 0,
        .flags = flags,
        .len = len,
        .data = len ? data : NULL,
        .conn_id = c->conn_id,
        .retransmission = retransmission,
    };
    tcp_options_build(c, &s, tcp_rcv_wnd(c)); /* window field, MSS and the other options */
    uint32_t advertised = tcp_options_window_advertised(c, &s);
    if ((flags & TCP_FLAG_ACK) && seq_gt(c->rcv_nxt + advertised, c->rcv_adv))
        c->rcv_adv = c->rcv_nxt + advertised;
    if (flags & TCP_FLAG_ACK) {
        tcp_delack_on_ack_sent(c, (c->flags & TCPF_ACK_OWED) != 0);
        c->flags &= (uint16_t)~TCPF_ACK_OWED; /* any segment with ACK=RCV.NXT pays it */
    }
    if (retransmission)
        c->retransmissions++;
    host_output(c->host, &s);
}

void tcp_send_ack(struct tcp_conn *c)
{
    tcp_send_segment(c, TCP_FLAG_ACK, c->snd_nxt, NULL, 0, false);
}

void tcp_send_syn(struct tcp_conn *c, bool retransmission)
{
    uint8_t flags = TCP_FLAG_SYN | (c->state == TCP_SYN_RECEIVED ? TCP_FLAG_ACK : 0);
    if (retransmission)
        c->flags |= TCPF_SYN_REXMIT;
    tcp_rtt_on_send(c, c->iss + 1, retransmission);
    tcp_send_segment(c, flags, c->iss, NULL, 0, retransmission);
}

/* ABORT's <SEQ=SND.NXT><CTL=RST> (3.10.5); with rst_ack_on_abort also
 * ACK=RCV.NXT, as Linux's tcp_send_active_reset (the RFC leaves it open). */
void tcp_send_reset(struct tcp_conn *c)
{
    uint8_t flags = TCP_FLAG_RST | (tcp_prof(c)->rst_ack_on_abort ? TCP_FLAG_ACK : 0);
    tcp_send_segment(c, flags, c->snd_nxt, NULL, 0, false);
}

/* RFC 9293 3.10.7.1 (and 3.5.2 group 1): the reset that makes the sender
 * of `seg` give up, formed so that it will accept it. */
void tcp_send_rst_for(struct tcp_host *host, const struct segment *seg)
{
    if (seg->flags & TCP_FLAG_RST)
        return;
    struct segment r = {
        .src_addr = seg->dst_addr,
        .dst_addr = seg->src_addr,
        .src_port = seg->dst_port,
        .dst_port = seg->src_port,
        .conn_id = seg->conn_id,
    };
    if (seg->flags & TCP_FLAG_ACK) {
        r.seq = seg->ack;                       /* <SEQ=SEG.ACK><CTL=RST> */
        r.flags = TCP_FLAG_RST;
    } else {
        r.seq = 0;                              /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
        r.ack = seg->seq + segment_seq_len(seg);
        r.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
    }
    host_output(host, &r);
}

/* The states that send queued data and then the FIN (RFC 9293 3.10.2, 3.10.4):
 *  ESTABLISHED, CLOSE_WAIT  our direction is open: data as the window allows;
 *  FIN_WAIT_1, LAST_ACK     CLOSE was called: the queued data, then the FIN;
 *  CLOSING                  FIN_WAIT_1 that received the peer's FIN while our
 *                           FIN still waited behind data or for window (3.10.4:
 *                           the FIN is queued "until all preceding SENDs have
 *                           been segmentized"); the rest goes out from here.
 * Not SYN_SENT or SYN_RECEIVED (data waits for ESTABLISHED), FIN_WAIT_2 or
 * TIME_WAIT (our FIN is acknowledged: nothing is left), LISTEN or CLOSED. */
static bool state_sends_data(enum tcp_state s)
{
    return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT || s == TCP_FIN_WAIT_1 ||
           s == TCP_LAST_ACK || s == TCP_CLOSING;
}

static const uint8_t *snd_data_at(const struct tcp_conn *c, uint32_t seq)
{
    return c->buf->snd.data + c->buf->snd.head + (seq - c->buf->snd_base);
}

static void send_fin(struct tcp_conn *c)
{
    c->fin_seq = c->snd_nxt;
    c->flags |= TCPF_FIN_SENT;
    c->snd_nxt++;
    tcp_rtt_on_send(c, c->snd_nxt, false);
    tcp_send_segment(c, TCP_FLAG_FIN | TCP_FLAG_ACK, c->fin_seq, NULL, 0, false);
    tcp_timer_rexmit_ensure(c);
    tcp_tlp_schedule(c);
}

/* The FIN waits for window like data (Linux tcp_snd_wnd_test): it leaves
 * only when its sequence number lies inside SND.UNA + SND.WND, and never
 * while the persist timer owns a zero window. A FIN beyond the window would
 * be dropped by the receiver (decision 17), and its retransmissions counted
 * against data_retries while the peer keeps answering (RFC 9293 3.8.6.1
 * MUST-37); a FIN sent during persist could be left behind when
 * leave_persist rewinds SND.NXT. The congestion window counts segments
 * as Linux does: a FIN riding on the last data segment needs no room of
 * its own there, a FIN alone needs room for a segment (measured: after 10
 * full segments Linux's lone FIN waits a round trip). */
static bool fin_fits_window(const struct tcp_conn *c, uint32_t fin_seq, bool riding)
{
    return !(c->flags & TCPF_PERSIST) && seq_lt(fin_seq, c->snd_una + c->snd_wnd) &&
           (riding || tcp_cc_send_limit(c) != c->snd_nxt - c->snd_una);
}

/* Nothing may leave for want of window. With nothing in flight and SND.WND
 * = 0 no ACK will come to reopen it: the persist timer probes (3.8.6.1). */
static void wait_for_window(struct tcp_conn *c)
{
    if (c->snd_nxt == c->snd_una && c->snd_wnd == 0)
        tcp_timer_persist_ensure(c);
}

/* How many of the unsent bytes the next segment carries: at most snd_mss
 * and what the window allows (0: the window is closed). */
static uint32_t next_segment_len(const struct tcp_conn *c, uint32_t unsent)
{
    int32_t usable = (int32_t)(c->snd_una + tcp_send_window(c) - c->snd_nxt);
    if (usable <= 0)
        return 0;
    uint32_t n = unsent < c->snd_mss ? unsent : c->snd_mss;
    return n < (uint32_t)usable ? n : (uint32_t)usable;
}

/* n bytes at SND.NXT; PSH on the last of the queue, and the FIN with it
 * when CLOSE was called and the window has room. `last`: the end of what
 * the application wrote (none of its write still blocked). Returns whether
 * the FIN went. */
static bool send_data(struct tcp_conn *c, uint32_t n, bool last)
{
    bool fin = last && (c->flags & TCPF_CLOSE_QUEUED) && fin_fits_window(c, c->snd_nxt + n, true);
    uint8_t flags = TCP_FLAG_ACK | (last ? TCP_FLAG_PSH : 0) | (fin ? TCP_FLAG_FIN : 0);
    uint32_t seq = c->snd_nxt;
    c->snd_nxt += n;
    if (fin) {
        c->fin_seq = c->snd_nxt++;
        c->flags |= TCPF_FIN_SENT;
    }
    tcp_rtt_on_send(c, c->snd_nxt, false);
    tcp_send_segment(c, flags, seq, snd_data_at(c, seq), n, false);
    tcp_delack_on_data_sent(c);
    tcp_timer_rexmit_ensure(c);
    tcp_tlp_schedule(c);
    return fin;
}

/* All data is out: the FIN follows alone once the window has room for it.
 * Returns the segments sent (0 or 1). */
static int send_fin_alone(struct tcp_conn *c)
{
    if (!(c->flags & TCPF_CLOSE_QUEUED) || tcp_write_blocked(c))
        return 0;
    if (!fin_fits_window(c, c->snd_nxt, false)) {
        wait_for_window(c);
        return 0;
    }
    send_fin(c);
    return 1;
}

/* No Nagle: everything the window allows leaves now, in segments of at
 * most snd_mss; the FIN rides on the last data segment when the window
 * has room for it, else follows alone once it has. A blocked write first
 * fills the room ACKs freed, so the queue never runs dry before the
 * window does (the buffer is at least twice the window it feeds). */
int tcp_output(struct tcp_conn *c)
{
    if (!state_sends_data((enum tcp_state)c->state) || !c->buf || (c->flags & TCPF_FIN_SENT))
        return 0;
    if (tcp_snd_refill(c))
        c->notify |= NOTIFY_WRITTEN;
    uint32_t end = tcp_snd_data_end(c);
    bool blocked = tcp_write_blocked(c);
    for (int sent = 0;; sent++) {
        uint32_t unsent = end - c->snd_nxt;
        if (unsent == 0)
            return sent + send_fin_alone(c);
        uint32_t n = next_segment_len(c, unsent);
        if (n == unsent && n < c->snd_mss && blocked && c->snd_nxt != c->snd_una)
            return sent; /* the write goes on once an ACK frees room: no runt before it */
        if (n == 0) {
            wait_for_window(c);
            return sent;
        }
        if (send_data(c, n, n == unsent && !blocked))
            return sent + 1;
    }
}

/* The end of the data sent so far (the FIN, if sent, follows it). */
static uint32_t sent_data_end(const struct tcp_conn *c)
{
    uint32_t data_end = tcp_snd_data_end(c);
    return seq_gt(data_end, c->snd_nxt) ? c->snd_nxt : data_end;
}

/* Resends at most snd_mss bytes from seq, with the FIN if it follows
 * them, with the same sequence numbers as before (a FIN keeps its number). */
static void retransmit_from(struct tcp_conn *c, uint32_t seq)
{
    uint32_t data_end = sent_data_end(c);
    uint32_t n = seq_gt(data_end, seq) ? data_end - seq : 0;
    if (n > c->snd_mss)
        n = c->snd_mss;
    bool fin = (c->flags & TCPF_FIN_SENT) && seq + n == c->fin_seq;
    uint8_t flags = TCP_FLAG_ACK | (fin ? TCP_FLAG_FIN : 0) |
                    (n && seq + n == tcp_snd_data_end(c) ? TCP_FLAG_PSH : 0);
    if (n == 0 && !fin)
        return;
    tcp_rtt_on_send(c, seq + n + fin, true);
    tcp_send_segment(c, flags, seq, n ? snd_data_at(c, seq) : NULL, n, true);
}

/* RFC 6298 (5.4): retransmit the earliest segment not yet acknowledged. */
void tcp_retransmit_oldest(struct tcp_conn *c)
{
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
        tcp_send_syn(c, true);
        return;
    }
    if (c->snd_una == c->snd_nxt || !c->buf)
        return;
    retransmit_from(c, c->snd_una);
}

void tcp_retransmit_last(struct tcp_conn *c)
{
    if (c->snd_una == c->snd_nxt || !c->buf)
        return;
    uint32_t data_end = sent_data_end(c), seq = data_end - c->snd_mss;
    if (seq_lt(seq, c->snd_una) || seq_gt(seq, data_end))
        seq = c->snd_una;
    retransmit_from(c, seq);
}

void tcp_send_probe(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    if (c->snd_nxt != c->snd_una) { /* the probe byte again */
        tcp_send_segment(c, TCP_FLAG_ACK, c->snd_una, snd_data_at(c, c->snd_una), 1, true);
        return;
    }
    if (tcp_snd_data_end(c) == c->snd_nxt) {
        /* Only the FIN waits: an empty segment with an old sequence number
         * draws an ACK with the current window (Linux tcp_xmit_probe_skb). */
        if ((c->flags & TCPF_CLOSE_QUEUED) && !(c->flags & TCPF_FIN_SENT))
            tcp_send_segment(c, TCP_FLAG_ACK, c->snd_una - 1, NULL, 0, false);
        return;
    }
    uint32_t seq = c->snd_nxt++;
    tcp_send_segment(c, TCP_FLAG_ACK, seq, snd_data_at(c, seq), 1, false);
}
