/*
 * tcp_profile.c: the numbers of the two host profiles. "rfc9293" follows
 * the standards (RFC 9293, RFC 6298) literally; "linux" follows current
 * kernels (6.5 and later). Every number can be overridden one by one in a
 * scenario (see docs/scenario-language.md, host settings).
 */
#include "tcp.h"

#include <stdio.h>
#include <string.h>

const char *const tcp_congestion_names[] = {"none", "reno", "cubic", "bbr", NULL};

void tcp_profile_rfc9293(struct tcp_profile *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "rfc9293");
    p->rto_initial = 1 * SIM_S;               /* RFC 6298 (2.1) */
    p->rto_min = 1 * SIM_S;                   /* RFC 6298 (2.4) */
    p->rto_min_on_variance = false;
    p->rto_max = 60 * SIM_S;                  /* RFC 6298 (2.5): at least 60 s */
    p->rto_after_handshake_loss = 3 * SIM_S;  /* RFC 6298 (5.7) */
    p->syn_retries = 7;                       /* SYNs at 0,1,3,7,15,31,63,123 s (rto_max 60 s),
                                                 failure at 183 s: past the 3 minutes of MUST-23 */
    p->syn_linear_timeouts = 0;
    p->synack_retries = 7;
    p->data_retries = 15;
    p->msl = 120 * SIM_S;                     /* RFC 9293 3.4.2 */
    p->time_wait = 2 * p->msl;                /* MUST-13 */
    p->fin_wait_2_timeout = 0;                /* the RFC waits indefinitely */
    p->fin_wait_2_orphans_only = false;       /* CLOSE is a half-close: no orphans in the RFC */
    p->rst_on_data_after_close = false;       /* FIN-WAIT states accept text (3.10.7.4) */
    p->rst_on_close_unread = false;           /* RFC 9293 is silent; RFC 2525 2.17 advises RST */
    p->orphan_retries = 15;                   /* as data_retries: the RFC has no orphans */
    p->synack_on_duplicate_syn = false;       /* strict 3.10.7.4: a duplicate SYN draws an ACK */
    p->rfc5961 = true;                        /* recommended in RFC 9293 3.10.7.4 */
    p->rfc1337 = false;
    p->mss = 1460;
    p->rcv_buf = 65535;
    p->snd_buf = 1 << 20;                     /* the RFC sets none: 16 times the largest
                                                 unscaled window, so it never limits a sender */
    p->dupack_threshold = 3;
    p->window_scale = -1;                     /* the other fidelity fields: false / 0 */
    /* RFC 9293 3.8.2 delegates congestion control to RFC 5681 (MUST-19)
     * but defines no window of its own; this profile is the state
     * machine's reference, whose every figure (and the Cardwell
     * validation) assumes a sender limited by the peer's window only.
     * congestion=reno turns RFC 5681 on, with its initial window. */
    p->congestion = TCP_CC_NONE;
    p->initial_window = 3;                    /* RFC 5681 3.1: 4380 bytes at MSS 1460 */
    p->tail_loss_probe = false;               /* RFC 8985 is not part of RFC 9293 */
    p->delayed_ack = 0;                       /* SHLD-18 allows up to 0.5 s; tcpsim ACKs at once */
    p->quickack = 0;
}

void tcp_profile_linux(struct tcp_profile *p)
{
    tcp_profile_rfc9293(p);
    snprintf(p->name, sizeof p->name, "linux");
    p->rto_min = 200 * SIM_MS;                /* TCP_RTO_MIN, applied to the variance term */
    p->rto_min_on_variance = true;
    p->rto_max = 120 * SIM_S;                 /* TCP_RTO_MAX */
    p->syn_retries = 6;                       /* tcp_syn_retries */
    p->syn_linear_timeouts = 4;               /* tcp_syn_linear_timeouts (6.5+): SYNs at 0,1,2,3,4,5,7,11,19,35,67 s */
    p->synack_retries = 5;                    /* tcp_synack_retries */
    p->data_retries = 15;                     /* tcp_retries2 */
    p->time_wait = 60 * SIM_S;                /* TCP_TIMEWAIT_LEN */
    p->msl = 30 * SIM_S;                      /* so that 2*MSL = TIME_WAIT */
    p->fin_wait_2_timeout = 60 * SIM_S;       /* tcp_fin_timeout */
    p->fin_wait_2_orphans_only = true;        /* ... applied only to orphans (tcp_close);
                                                 shutdown(SHUT_WR) waits as long as the peer */
    p->rst_on_data_after_close = true;        /* tcp_rcv_state_process: TCPABORTONDATA */
    p->rst_on_close_unread = true;            /* tcp_close: data_was_unread -> active reset */
    p->orphan_retries = 0;                    /* tcp_orphan_retries: 0 means 8 */
    p->synack_on_duplicate_syn = true;        /* tcp_check_req: resend SYN-ACK */
    p->timestamps = true;                     /* tcp_timestamps = 1 */
    p->sack_permitted = true;                 /* tcp_sack = 1 */
    p->window_scale = 10;                     /* tcp_window_scaling: ilog2(tcp_rmem[2] = 32 MB, the
                                                 default since 6.13) - 15, as measured on 6.18 */
    p->syn_window_mss_multiple = true;        /* tcp_select_initial_window */
    p->time_wait_syn_reopens = true;          /* tcp_timewait_state_process: TCP_TW_SYN */
    p->rst_ack_on_abort = true;               /* tcp_send_active_reset */
    p->timer_hz = 250;                        /* CONFIG_HZ of this machine's kernel (Fedora: 1000) */
    p->congestion = TCP_CC_CUBIC;             /* the default of most distributions */
    p->initial_window = 10;                   /* TCP_INIT_CWND, RFC 6928 */
    p->tail_loss_probe = true;                /* tcp_early_retrans = 3 */
    p->delayed_ack = 40 * SIM_MS;             /* TCP_DELACK_MIN (TCP_ATO_MIN) */
    p->quickack = 16;                         /* TCP_MAX_QUICKACKS */
    p->snd_buf = 16384;                       /* tcp_wmem[1]: the initial sk_sndbuf... */
    p->snd_buf_max = 4 << 20;                 /* ... grown up to tcp_wmem[2] (tcp_sndbuf_expand) */
}

int tcp_profile_by_name(const char *name, struct tcp_profile *profile)
{
    if (strcmp(name, "rfc9293") == 0)
        tcp_profile_rfc9293(profile);
    else if (strcmp(name, "linux") == 0)
        tcp_profile_linux(profile);
    else
        return -1;
    return 0;
}
