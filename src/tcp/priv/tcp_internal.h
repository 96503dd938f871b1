/*
 * tcp_internal.h: what the TCP's files share and nobody else sees (lwIP's
 * priv/ split; tests include it too). The TCB (struct tcp_conn, in the
 * words of RFC 9293 3.3.1), one host's tables (TCBs by 4-tuple, listeners
 * by port), the network's registry that numbers connections, and the
 * functions the files call across, grouped by the file that defines them:
 *
 *   tcp.c           hosts; a TCB's birth (three ways) and the freeing of its memory
 *   tcp_user.c      the user calls (RFC 9293 3.10.1-3.10.5), notifications up
 *   tcp_state.c     THE one state change; the table of legal transitions
 *   tcp_table.c     TCBs by 4-tuple, listeners by port, local ports, ISNs (3.4.1)
 *   tcp_registry.c  the network: hosts, one conn_id per connection
 *   tcp_input.c     SEGMENT ARRIVES (RFC 9293 3.10.7), in RFC order
 *   tcp_output.c    segments leaving: data, FIN, retransmission, RST (3.10.7.1)
 *   tcp_buffer.c    send and receive queues
 *   tcp_timer.c     RTT estimation (RFC 6298), retransmission, persist,
 *                   TIME-WAIT and FIN-WAIT-2 timers
 *   tcp_options.c   SACK-permitted, timestamps, window scaling (RFC 7323)
 */
#ifndef TCPSIM_TCP_INTERNAL_H
#define TCPSIM_TCP_INTERNAL_H

#include "tcp.h"
#include "tcp_cc.h"

/* ---- buffers: allocated while a connection carries data ---- */

/* A byte queue: len bytes at data + head. */
struct tcp_bytes {
    uint8_t *data;
    uint32_t head, len, cap;
};

/* An out-of-order segment held until the gap before it fills (SHLD-31). */
struct tcp_ooo {
    struct tcp_ooo *next;   /* ascending seq, never overlapping */
    uint32_t seq, len;
    bool fin;               /* the peer's FIN follows the last byte */
    uint8_t data[];
};

/* The application's write still blocked for want of send buffer: a
 * counter over its bytes, not a copy of them. The bytes repeat `data`
 * (period octets, the application's memory: it waits, as a blocked
 * write(2) keeps its buffer) from `offset` on; NULL data is zeros. */
struct tcp_write {
    const uint8_t *data;
    uint64_t period, offset;
    uint64_t left;          /* octets not yet in the send queue */
};

struct tcp_buffers {
    struct tcp_bytes snd;   /* queued by the application, not yet acknowledged */
    uint32_t snd_base;      /* sequence number of snd's first byte */
    struct tcp_write write; /* what the application still has to hand over */
    struct tcp_bytes rcv;   /* in order, not yet read by the application */
    struct tcp_ooo *ooo;
};

/* ---- the TCB ---- */

enum tcp_conn_flag {
    TCPF_PASSIVE = 1u << 0,      /* born from a LISTEN (MUST-11) */
    TCPF_LISTENER = 1u << 1,
    TCPF_CLOSE_QUEUED = 1u << 2, /* the application called CLOSE: FIN goes after the data */
    TCPF_FIN_SENT = 1u << 3,     /* fin_seq is valid */
    TCPF_HAVE_RTT = 1u << 4,     /* srtt/rttvar hold a measurement */
    TCPF_RTT_TIMING = 1u << 5,   /* one segment is being timed (rtt_seq, rtt_start) */
    TCPF_SYN_REXMIT = 1u << 6,   /* our SYN or SYN-ACK was retransmitted (RFC 6298 5.7) */
    TCPF_RECOVERY = 1u << 7,     /* retransmitting until snd_una reaches recover */
    TCPF_PERSIST = 1u << 8,      /* the peer's window is zero: the timer probes */
    TCPF_APP_KNOWS = 1u << 9,    /* the application holds this pointer (closed() is due) */
    TCPF_DELETED = 1u << 10,     /* in CLOSED (or a child back in LISTEN): free when not busy */
    TCPF_WAS_ESTABLISHED = 1u << 11,
    TCPF_ACK_OWED = 1u << 12,    /* an arriving segment is owed an ACK: the next segment
                                    carrying ACK pays it; window updates wait for it */
    TCPF_ORPHAN = 1u << 13,      /* close(): no application holds the socket any more */
    TCPF_RCV_SHUTDOWN = 1u << 14, /* close() or shutdown(SHUT_RD): nobody will read */
};

/* Application notifications collected while a segment is processed and
 * delivered after its steps are done, so no such callback runs between the
 * steps of SEGMENT ARRIVES. When the segment brought data, readable (and
 * connected/accepted, if due) comes just before the owed ACK is sent, so
 * the application's read reopens the window that ACK advertises; the rest
 * comes once the segment is done (tcp_on_segment). closed() is different:
 * it runs inside conn_delete, wherever the TCB is deleted (a RST in step 2,
 * a timer, the application's own CLOSE or ABORT), and the entry point's
 * hold keeps the memory valid until it returns. */
enum tcp_notify {
    NOTIFY_CONNECTED = 1u << 0,  /* connected() or accepted() */
    NOTIFY_READABLE = 1u << 1,
    NOTIFY_PEER_CLOSED = 1u << 2,
    NOTIFY_WRITTEN = 1u << 3,    /* a blocked write handed over its last byte */
};

struct tcp_conn_record;

struct tcp_conn {
    struct tcp_host *host;
    struct tcp_conn_record *record;  /* the network's entry for this connection */
    struct tcp_conn *listener;       /* a passive child's LISTEN TCB, NULL once detached */
    void *app_data;
    struct tcp_buffers *buf;         /* NULL for listeners and in TIME_WAIT */
    uint64_t conn_id;                /* 0 for listeners */
    sim_event_id rexmit_timer;       /* retransmission (SYN, SYN-ACK, data, FIN) or persist */
    sim_event_id state_timer;        /* TIME-WAIT (2MSL) or FIN-WAIT-2 */

    /* RFC 6298 state; times in ns. rto is the base value, backed off by
     * `backoff` doublings (5.5) until a new measurement (2.3). */
    sim_time srtt, rttvar, rto;
    sim_time rtt_start;
    uint64_t bytes_sent, bytes_received;

    uint32_t local_addr, remote_addr;
    uint16_t local_port, remote_port;

    /* RFC 9293 3.3.1 send and receive sequence variables. */
    uint32_t iss, irs;
    uint32_t snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2;
    uint32_t max_snd_wnd;            /* RFC 5961 5.2 MAX.SND.WND */
    uint32_t rcv_nxt;
    uint32_t rcv_adv;                /* right edge of the window last advertised */
    uint32_t fin_seq;                /* our FIN's sequence number, once sent */
    uint32_t rtt_seq;                /* the timed segment is acked when SEG.ACK >= rtt_seq */
    uint32_t recover;                /* RFC 6582-style recovery point */
    uint32_t cwnd;                   /* bytes (tcp_cc.c); no congestion control: UINT32_MAX */
    uint32_t retransmissions;
    uint32_t ts_recent;              /* RFC 7323 TS.Recent: the TSval we echo */
    uint8_t opts;                    /* TCP_OPT_* agreed with the peer (tcp_options.c) */
    uint8_t snd_wscale, rcv_wscale;  /* RFC 7323 shifts: the peer's windows, ours */

    uint16_t snd_mss;                /* min(peer's MSS option or profile mss, profile mss) */
    uint16_t retries;                /* timeouts (or probes) since snd_una last moved */
    uint16_t flags;                  /* enum tcp_conn_flag */
    uint8_t state;                   /* enum tcp_state */
    uint8_t backoff;                 /* RTO doublings in force */
    uint8_t dupacks;
    uint8_t notify;                  /* enum tcp_notify */
    uint8_t busy;                    /* entry points working on this TCB */
    uint8_t close_why;               /* enum tcp_error for closed() */
    bool linger_abort;               /* SO_LINGER with a zero timeout: close() sends RST */
    uint32_t rcv_buf;                /* SO_RCVBUF: the receive window's ceiling (profile's by default) */
    uint32_t snd_buf;                /* the send queue's ceiling: SO_SNDBUF, or the profile's
                                        (grown by autotuning unless snd_buf_locked) */
    bool snd_buf_locked;             /* SO_SNDBUF was set: no autotuning (SOCK_SNDBUF_LOCK) */
    sim_time user_timeout;           /* TCP_USER_TIMEOUT; 0: the retry counts decide */
    sim_time stalled_since;          /* when the oldest unacknowledged data (or the zero
                                        window being probed) last made progress */
    int32_t backlog, backlog_used;   /* listeners: SYN_RECEIVED children allowed / present */

    struct tcp_cc cc;                /* tcp_cc.c: ssthresh, cubic's epoch */
    struct tcp_tlp tlp;              /* tcp_tlp.c: tail loss probe */
    struct tcp_delack delack;        /* tcp_delack.c: delayed-ACK timer, quick-ack credit */
};

/* ---- one host ---- */

struct tcp_table {            /* open addressing, linear probing, keyed by 4-tuple */
    struct tcp_conn **slots;
    size_t cap, count;        /* cap is a power of two */
    uint32_t *hashes;         /* hashes[i]: low 32 bits of slots[i]'s tuple hash, so probes
                               * and moves need not read the TCBs (cache misses at 10^6) */
};

enum { TCP_SPARES = 64, TCP_SPARE_BYTES_MAX = 4096 };

struct tcp_host {
    struct tcp_network *network;
    struct sim *sim;
    struct tcp_host_config config;
    struct rng *isn_rng;
    uint64_t isn_key[2];      /* RFC 6528 secret, drawn once */
    uint64_t isn_count;       /* connections numbered so far (TCP_ISN_FIXED offsets) */
    tcp_output_fn *output;
    void *output_context;
    struct tcp_app_ops app_ops;
    void *app;
    struct tcp_table tcbs;
    struct tcp_conn **listeners;
    size_t listener_count, listener_cap;
    uint64_t ephemeral_cursor;
    struct tcp_host_stats stats;
    /* Freed TCBs and buffer sets kept for the next connection (tcp.c, tcp_buffer.c): most
     * runs open and close connections at a steady rate, and malloc/calloc/free of a TCB, its
     * buffers and their two 1 KiB byte arrays were ~7% of a lifecycle. A spare costs only a
     * memset on reuse. Trade-off: at most TCP_SPARES of each stay allocated after a burst of
     * closes (a few hundred KiB per host), and byte arrays that grew past
     * TCP_SPARE_BYTES_MAX are freed rather than kept. */
    struct tcp_conn *spare_tcbs[TCP_SPARES];
    size_t spare_tcb_count;
    struct tcp_buffers *spare_buffers[TCP_SPARES];
    size_t spare_buffer_count;
};

/* ---- the network: conn_ids and struct trace_connection ---- */

struct tcp_conn_record {
    struct tcp_conn_record *next;        /* registry bucket chain */
    uint64_t conn_id;
    const struct tcp_host *client_host, *server_host;
    struct tcp_conn *client_tcb, *server_tcb; /* NULL once deleted */
    uint32_t client_addr, server_addr;
    uint16_t client_port, server_port;
    uint32_t client_isn, server_isn;
    bool has_client_isn, has_server_isn;
    sim_time opened_ns, established_ns;
};

struct tcp_network {
    struct sim *sim;
    struct trace *trace;
    uint64_t next_conn_id;
    struct tcp_host **hosts;
    size_t host_count, host_cap;
    struct tcp_conn_record **buckets;
    size_t bucket_count, record_count;
};

/* ---- everywhere ---- */

static inline const struct tcp_profile *tcp_prof(const struct tcp_conn *c)
{
    return &c->host->config.profile;
}
static inline sim_time tcp_now(const struct tcp_conn *c) { return sim_now(c->host->sim); }
static inline bool tcp_gone(const struct tcp_conn *c) { return (c->flags & TCPF_DELETED) != 0; }

/* ---- tcp.c ---- */

/* A TCB in state `initial`, counted by its host, in no table yet. */
struct tcp_conn *tcp_conn_new(struct tcp_host *h, enum tcp_state initial);
/* Chooses the ISN, enters the TCB (4-tuple set) in its host's table and the
 * network's registry and gives it buffers; on failure unwinds it, -1. */
int tcp_conn_install(struct tcp_conn *c);
/* Frees a TCB that never got (all the way) into the tables. */
void tcp_conn_unwind(struct tcp_conn *c);
/* LISTEN -> SYN_RECEIVED: a child TCB for an arriving SYN, or NULL. */
struct tcp_conn *tcp_create_child(struct tcp_conn *listener, const struct segment *syn);
/* Entry points hold the TCB they work on so that a deletion (possibly by
 * the application inside a callback) frees it only when they are done. */
void tcp_hold(struct tcp_conn *c);
void tcp_release(struct tcp_conn *c);

/* ---- tcp_user.c ---- */

/* Delivers the collected notifications (c must be held). */
void tcp_notify_app(struct tcp_conn *c);
/* Delivers only connected/accepted and readable (c must be held). */
void tcp_notify_app_data(struct tcp_conn *c);
/* Linux (profile rst_on_data_after_close): new data for a socket closed
 * for reading in FIN_WAIT_1/2 is answered with RST and the connection
 * dropped. Returns true when it did so (c is then gone). */
bool tcp_reset_on_data_after_close(struct tcp_conn *c, const struct segment *seg, uint32_t seq,
                                   uint32_t len);
/* Data and FIN retransmissions allowed: tcp_orphan_retries for orphans. */
int tcp_data_retry_limit(const struct tcp_conn *c);

/* ---- tcp_state.c ---- */

/* THE state change: trace record, host statistics, connection registry;
 * `to` CLOSED deletes the TCB (after telling the application, with the
 * reason set by tcp_enter_closed), and a passive child going back to LISTEN
 * is deleted quietly. */
void tcp_set_state(struct tcp_conn *c, enum tcp_state to, enum tcp_cause cause,
                   const struct segment *trigger);
void tcp_enter_closed(struct tcp_conn *c, enum tcp_cause cause, const struct segment *trigger,
                      enum tcp_error why);
/* Whether the TCP ever goes from `from` to `to` for `cause`: the table
 * tcp_set_state checks and the --explain tests walk. */
bool tcp_transition_is_legal(enum tcp_state from, enum tcp_state to, enum tcp_cause cause);

/* ---- tcp_table.c ---- */

uint64_t tcp_tuple_hash(uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp);
int tcp_table_insert(struct tcp_table *t, struct tcp_conn *c);
void tcp_table_remove(struct tcp_table *t, struct tcp_conn *c);
struct tcp_conn *tcp_lookup(struct tcp_host *host, uint32_t local_addr, uint16_t local_port,
                            uint32_t remote_addr, uint16_t remote_port);
bool tcp_host_owns(const struct tcp_host *host, uint32_t addr);
struct tcp_conn *tcp_find_listener(struct tcp_host *host, uint32_t local_addr, uint16_t port);
int tcp_listener_add(struct tcp_host *h, struct tcp_conn *listener);
void tcp_listener_remove(struct tcp_conn *listener);
/* Fills a zero local address or port for an active OPEN towards the remote
 * socket; TCP_ERR_EXISTS or TCP_ERR_NO_PORTS when there is none. */
enum tcp_error tcp_choose_local(struct tcp_host *h, uint32_t *local_addr, uint16_t *local_port,
                                uint32_t remote_addr, uint16_t remote_port);
/* The ISN of a new TCB whose 4-tuple is set, by the host's isn_mode. */
uint32_t tcp_choose_isn(struct tcp_host *h, const struct tcp_conn *c);

/* ---- tcp_registry.c ---- */

int tcp_network_add_host(struct tcp_network *n, struct tcp_host *h);
void tcp_network_remove_host(struct tcp_network *n, const struct tcp_host *h);
/* Gives the TCB its conn_id: an active OPEN or a passive child. */
int tcp_registry_attach_active(struct tcp_conn *c);
int tcp_registry_attach_passive(struct tcp_conn *c);
/* The TCB reached ESTABLISHED: date the connection, note the peer's ISN. */
void tcp_registry_note_established(struct tcp_conn *c);
/* Forgets a deleted TCB; the last one out reports the connection (emit). */
void tcp_registry_detach(struct tcp_conn *c, bool emit);

/* ---- tcp_output.c ---- */

uint32_t tcp_rcv_wnd(const struct tcp_conn *c);
uint32_t tcp_send_window(const struct tcp_conn *c);
void tcp_send_segment(struct tcp_conn *c, uint8_t flags, uint32_t seq, const uint8_t *data,
                      uint32_t len, bool retransmission);
void tcp_send_ack(struct tcp_conn *c);                 /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
void tcp_send_syn(struct tcp_conn *c, bool retransmission); /* SYN or SYN-ACK by state */
void tcp_send_rst_for(struct tcp_host *host, const struct segment *seg); /* RFC 9293 3.5.2 */
void tcp_send_reset(struct tcp_conn *c);               /* ABORT's RST (3.10.5) */
/* Sends new data and the FIN as the window allows; returns segments sent. */
int tcp_output(struct tcp_conn *c);
/* Resends the oldest unacknowledged segment. */
void tcp_retransmit_oldest(struct tcp_conn *c);
/* Resends the last segment sent (the tail loss probe, RFC 8985 7.3). */
void tcp_retransmit_last(struct tcp_conn *c);
/* Zero-window probe: one byte beyond the window (RFC 9293 3.8.6.1). */
void tcp_send_probe(struct tcp_conn *c);

/* ---- tcp_options.c ---- */

/* The peer's SYN (or SYN-ACK) arrived: agree on the options both offer. */
void tcp_options_on_syn(struct tcp_conn *c, const struct segment *syn);
/* An acceptable segment arrived: TS.Recent (RFC 7323 4.3). */
void tcp_options_on_segment(struct tcp_conn *c, const struct segment *seg);
/* The RTT its TSecr measures (RFC 7323 4.1), if it carries one. */
bool tcp_options_ts_rtt(const struct tcp_conn *c, const struct segment *seg, sim_time *rtt);
/* Fills the outgoing segment's window field (RCV.WND = wnd, scaled) and options. */
void tcp_options_build(const struct tcp_conn *c, struct segment *s, uint32_t wnd);
/* The window in octets that s advertises; and that the peer's seg does. */
uint32_t tcp_options_window_advertised(const struct tcp_conn *c, const struct segment *s);
uint32_t tcp_options_peer_window(const struct tcp_conn *c, const struct segment *seg);

/* ---- the run's memory budget (sim_memory_charge) ---- */

/* A TCB's part: itself and its two slots of the host's table (which is kept
 * at most half full). */
#define TCP_TCB_CHARGE (sizeof(struct tcp_conn) + 2 * (sizeof(struct tcp_conn *) + sizeof(uint32_t)))
/* A connection record's: itself and its two buckets (one record per two). */
#define TCP_RECORD_CHARGE (sizeof(struct tcp_conn_record) + 2 * sizeof(struct tcp_conn_record *))

/* ---- tcp_buffer.c ---- */

/* Appends to a queue; what its storage grew by is charged to sim's memory
 * budget (sim_memory_charge), and released when the queue is freed. */
int tcp_bytes_append(struct sim *sim, struct tcp_bytes *q, const uint8_t *data, uint32_t len);
void tcp_bytes_consume(struct tcp_bytes *q, uint32_t n);
int tcp_alloc_buffers(struct tcp_conn *c);
void tcp_free_buffers(struct tcp_conn *c);
/* Frees the host's spare buffer sets (host destruction). */
void tcp_free_spare_buffers(struct tcp_host *h);
/* Entering TIME_WAIT: keep only unread received bytes (usually nothing). */
void tcp_trim_buffers(struct tcp_conn *c);
uint32_t tcp_snd_data_end(const struct tcp_conn *c);
/* Drops acknowledged bytes from the send queue after snd_una moved. */
void tcp_snd_acked(struct tcp_conn *c);
/* Our FIN was sent and is acknowledged. */
bool tcp_fin_acked(const struct tcp_conn *c);
/* Free room in the send queue: snd_buf (autotuned first) minus what it holds. */
uint32_t tcp_snd_space(struct tcp_conn *c);
/* Moves what fits of the blocked write into the send queue; true when
 * that handed over its last byte. */
bool tcp_snd_refill(struct tcp_conn *c);
static inline bool tcp_write_blocked(const struct tcp_conn *c)
{
    return c->buf && c->buf->write.left > 0;
}

/* ---- tcp_input.c ---- */
/* (tcp_on_segment is public, in tcp.h) */

/* ---- tcp_timer.c ---- */

void tcp_rtt_sample(struct tcp_conn *c, sim_time r);
/* A segment ending at `end` (exclusive) leaves: start timing it if none is timed. */
void tcp_rtt_on_send(struct tcp_conn *c, uint32_t end, bool retransmission);
/* A new SEG.ACK arrived: take a sample if it covers the timed segment,
 * else from its TSecr when nothing is timed (Karn's rule dropped it). */
void tcp_rtt_on_ack(struct tcp_conn *c, const struct segment *seg);
/* The timeout now in force: rto backed off, clamped at rto_max. */
sim_time tcp_current_rto(const struct tcp_conn *c);
/* On reaching ESTABLISHED: RFC 6298 5.7 (3 s after a handshake retransmission). */
void tcp_rto_after_handshake(struct tcp_conn *c);

void tcp_timer_rexmit_start(struct tcp_conn *c);    /* (re)start with the current timeout */
void tcp_timer_rexmit_after_probe(struct tcp_conn *c); /* the same, the user timeout's clock running on */
void tcp_timer_rexmit_after(struct tcp_conn *c, sim_time delay); /* (re)start: the probe (tcp_tlp.c) */
void tcp_timer_rexmit_ensure(struct tcp_conn *c);   /* start unless running (RFC 6298 5.1) */
void tcp_timer_rexmit_stop(struct tcp_conn *c);
void tcp_timer_persist_ensure(struct tcp_conn *c);
void tcp_timer_time_wait(struct tcp_conn *c);       /* (re)start the 2MSL timer */
void tcp_timer_fin_wait_2(struct tcp_conn *c);      /* profile.fin_wait_2_timeout, if any */
void tcp_timers_stop(struct tcp_conn *c);

#endif
