/*
 * tcp_config.h: what a host's TCP is configured with, as plain data: its
 * addresses, ephemeral ports, ISN choice and the profile numbers (RTO
 * bounds, retries, MSL, TIME-WAIT, buffers). The parser fills these and
 * the TCP consumes them; this leaf header declares no function of the
 * stack, only the two profiles' fillers (tcp_profile.c, plain data), so the
 * parser and its fuzz target need not link the TCP.
 */
#ifndef TCPSIM_TCP_CONFIG_H
#define TCPSIM_TCP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

enum tcp_isn_mode {
    TCP_ISN_FIXED,   /* the configured value, for every connection of the host */
    TCP_ISN_RANDOM,  /* uniform 32-bit draw from the host's ISN stream */
    TCP_ISN_RFC6528, /* 4-microsecond clock plus a keyed hash of the 4-tuple (RFC 9293 3.4.1) */
};

/* Who limits what a sender has in flight besides the peer's window
 * (tcp_cc.c). bbr exists for `tcpsim kernel` only: the simulator refuses
 * it (its start-up paces the first window; no model here). */
enum tcp_congestion {
    TCP_CC_NONE,  /* no congestion window: everything the peer allows leaves at once */
    TCP_CC_RENO,  /* RFC 5681 slow start, congestion avoidance, loss window */
    TCP_CC_CUBIC, /* RFC 9438: reno's slow start, cubic growth, beta 0.7 */
    TCP_CC_BBR,
};
extern const char *const tcp_congestion_names[]; /* by enum tcp_congestion, NULL-terminated */

/* The numbers a user of the field knows. tcp_profile_rfc9293 and
 * tcp_profile_linux fill them; scenarios override them one by one. */
struct tcp_profile {
    char name[16];
    sim_time rto_initial;            /* RFC 6298 (2.1): 1 s */
    sim_time rto_min;                /* RFC 6298 (2.4): 1 s; Linux: 200 ms on the variance term */
    bool rto_min_on_variance;        /* Linux: RTO = SRTT + max(rto_min, 4 RTTVAR) */
    sim_time rto_max;                /* RFC 6298 (2.5) >= 60 s; Linux 120 s */
    sim_time rto_after_handshake_loss; /* RFC 6298 (5.7): 3 s */
    int syn_retries;                 /* SYN retransmissions before giving up; -1 = no limit */
    int syn_linear_timeouts;         /* Linux >= 6.5: the first 4 SYN timeouts stay at rto_initial */
    int synack_retries;              /* SYN-ACK retransmissions; -1 = no limit */
    int data_retries;                /* tcp_retries2 for data and FIN; -1 = no limit */
    sim_time msl;                    /* RFC 9293 3.4.2: 2 min */
    sim_time time_wait;              /* 2*MSL (RFC); 60 s (Linux) */
    sim_time fin_wait_2_timeout;     /* 0 = none (RFC); linux 60 s: longest silence in FIN_WAIT_2 */
    bool fin_wait_2_orphans_only;    /* Linux: the timeout bounds only sockets closed by close() */
    bool rst_on_data_after_close;    /* Linux: data after close() (not shutdown) gets RST */
    bool rst_on_close_unread;        /* Linux, RFC 2525 2.17: close() with unread data sends RST */
    int orphan_retries;              /* data/FIN retransmissions once closed; 0 means 8 (Linux) */
    bool synack_on_duplicate_syn;    /* Linux: a retransmitted SYN in SYN_RECEIVED gets a new SYN-ACK */
    bool rfc5961;                    /* challenge ACKs for in-window RST and SYN */
    bool rfc1337;                    /* ignore RST in TIME_WAIT */
    uint32_t mss;                    /* 1460 */
    uint32_t rcv_buf;                /* receive buffer (window) in bytes, at most 65535 */
    uint32_t snd_buf;                /* send buffer in bytes */
    int dupack_threshold;            /* fast retransmit after this many duplicate ACKs (3) */
    /* Linux fidelity (docs/fidelity.md); all off in rfc9293. */
    bool timestamps;                 /* RFC 7323 TSopt; RTT from TSecr where Karn forbids one */
    bool sack_permitted;             /* RFC 2018 SACK-permitted on SYNs (no SACK blocks yet) */
    int window_scale;                /* RFC 7323 shift offered on SYNs; -1 = no option (Linux 6.18: 10) */
    bool syn_window_mss_multiple;    /* SYN windows rounded down to MSS multiples (64240, 65160) */
    bool time_wait_syn_reopens;      /* a newer SYN in TIME_WAIT opens a new connection (Linux) */
    bool rst_ack_on_abort;           /* ABORT sends RST|ACK (Linux tcp_send_active_reset) */
    int timer_hz;                    /* retransmission timers on a Linux timer wheel of this HZ; 0 = exact */
    enum tcp_congestion congestion;  /* none (rfc9293), cubic (linux) */
    int initial_window;              /* segments: RFC 5681 3 (rfc9293), RFC 6928 10 (linux) */
    bool tail_loss_probe;            /* RFC 8985 TLP before the RTO (Linux tcp_early_retrans=3) */
    sim_time delayed_ack;            /* 0 = ACK at once; linux 40 ms (TCP_DELACK_MIN) */
    int quickack;                    /* ACKs sent at once after the first data (linux 16) */
    uint32_t snd_buf_max;            /* autotuning's ceiling (linux tcp_wmem[2], 4 MiB); 0 = snd_buf
                                        is fixed (rfc9293) */
};
void tcp_profile_rfc9293(struct tcp_profile *profile);
void tcp_profile_linux(struct tcp_profile *profile);
/* Fills *profile for "rfc9293" or "linux"; returns -1 for another name. */
int tcp_profile_by_name(const char *name, struct tcp_profile *profile);

struct tcp_host_config {
    const char *name;              /* "client"; kept by pointer */
    uint32_t addr;                 /* first address of the host */
    uint32_t addr_count;           /* a population owns addr .. addr+addr_count-1 (>= 1) */
    uint16_t ephemeral_low, ephemeral_high; /* Linux: 32768 .. 60999 */
    struct tcp_profile profile;
    enum tcp_isn_mode isn_mode;
    uint32_t isn;                  /* TCP_ISN_FIXED */
};

#endif
