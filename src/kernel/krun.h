/*
 * krun.h: the state of one kernel run, shared by its three parts (private
 * to src/kernel/):
 *   kernel.c  setup, the real-time event loop, the end of the run, cleanup;
 *   kconn.c   connections by 4-tuple: packets in and out of the TUNs, the
 *             link between them, state transitions and their causes;
 *   kapp.c    the applications: real sockets driven by the timeline.
 */
#ifndef TCPSIM_KRUN_H
#define TCPSIM_KRUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "link.h"
#include "netns.h"
#include "scenario.h"
#include "settings.h"
#include "tracepoint.h"
#include "trace.h"
#include "world.h"

/* What an epoll event is about. */
enum kwatch_kind { WATCH_TUN, WATCH_TRACEPOINT, WATCH_SIGNAL, WATCH_SOCKET };
struct kwatch {
    enum kwatch_kind kind;
    int host;                     /* WATCH_TUN */
    struct ksock *sock;           /* WATCH_SOCKET */
};

/* A segment the link delivered to an end, for the causes of transitions. */
struct kseen {
    uint64_t seg_id;              /* 0 = none yet */
    sim_time t;
};

/* One host's end of a connection, as the packets and tracepoints show it. */
struct kend {
    enum tcp_state state;         /* as last reported to the trace */
    bool exists;                  /* has been out of CLOSED */
    bool has_snd;
    uint32_t snd_max;             /* one past the highest sequence number sent */
    bool has_ack;
    uint32_t ack_max;             /* highest ACK delivered to this end */
    struct kseen syn, syn_ack, ack, fin, rst;
    bool aborted;                 /* the application aborted (SO_LINGER 0) */
    bool time_wait, seen_in_diag; /* watched through sock_diag */
    sim_time time_wait_since;
    bool orphan_fin_wait_2;       /* close(2)d in FIN_WAIT_2: a timewait mini-socket in its
                                     FIN_WAIT2 substate, which the tracepoint does not follow */
};

struct kconn {
    uint64_t conn_id;
    int client;                   /* the host that connected first */
    uint32_t addr[SCENARIO_HOSTS];
    uint16_t port[SCENARIO_HOSTS];
    uint32_t isn[SCENARIO_HOSTS];
    bool has_isn[SCENARIO_HOSTS];
    sim_time opened, established, closed;
    struct kend end[SCENARIO_HOSTS];
};

/* An application socket. */
struct ksock {
    struct kwatch watch;
    int host;
    int fd;                       /* -1 once closed */
    bool listener;
    uint16_t port;                /* a listener's */
    struct kconn *conn;
    uint64_t pending;             /* bytes the application still has to write */
    bool connecting, close_pending, shut_wr, eof;
    bool shutdown_pending;        /* shutdown(SHUT_WR) once the pending bytes are written */
    bool not_reading;             /* read off: nothing is read, the window closes */
    bool closed_by_app;           /* close(2) was called (not the run's own cleanup) */
    int last_error;               /* the errno that killed it, reported once to a later call */
    bool unwatched;               /* taken out of epoll while not reading (a level-triggered
                                     EPOLLHUP would spin) */
};

struct krun;
struct khost {
    struct krun *run;
    int index;
    const char *name;
    uint32_t addr;
    struct netns_host ns;
    struct kernel_host_settings settings;
    int diag_fd;                  /* NETLINK_SOCK_DIAG inside the namespace */
    struct kwatch tun_watch;
};

#define KRUN_MAX_LOCKS 16

struct krun {
    const struct scenario *sc;
    struct trace *trace;          /* the caller's sinks, the observer, raw_sink */
    struct world_observer *observer;
    struct trace_sink raw_sink;   /* keeps each segment's packet bytes by seg id */
    struct sim *sim;              /* the link's clock, following CLOCK_MONOTONIC */
    struct link *link;
    int64_t start_mono;
    int epoll_fd, signal_fd;
    struct tracepoint *tracepoint;
    struct kwatch tracepoint_watch, signal_watch;
    struct khost host[SCENARIO_HOSTS];

    struct kconn **conns;
    size_t conn_count, conn_capacity;
    struct ksock **socks;         /* in creation order */
    size_t sock_count, sock_capacity;

    uint8_t **raw;                /* raw[seg id]: the IP packet, raw_len[id] bytes */
    size_t *raw_len;
    size_t raw_capacity;
    const uint8_t *current_raw;   /* the packet link_transmit is deciding about */
    size_t current_len;

    size_t next_action;
    uint8_t *pattern;             /* bytes the applications send */
    size_t pattern_size;
    uint64_t records;             /* segments and transitions reported */
    sim_time last_record;         /* time of the latest of them */
    sim_time last_activity;       /* when a packet or a state change was last seen */
    FILE *notes;                  /* refused application calls, for people: never silent */
    int lock_fd[KRUN_MAX_LOCKS];  /* klock.c: held while the run lives */
    int lock_count;
    int port_slice;               /* this run's 1000 ephemeral ports: 32768 + 1000 * slice */
    bool interrupted;
    char error[512];
};

sim_time krun_now(const struct krun *r);
/* Room for one more pointer in *array (count used of *capacity, doubling).
 * Returns 0, or -1 when out of memory (the array is left as it was). */
int krun_reserve(void *array, size_t *capacity, size_t count);

/* klock.c: locks that keep concurrent runs' 4-tuples apart (0, or -1 with r->error). */
int klock_claim(struct krun *r);
void klock_release(struct krun *r);

/* kconn.c */
int kconn_link_create(struct krun *r, uint64_t seed);
void kconn_tun_readable(struct krun *r, int host);
void kconn_inject(struct krun *r, const struct scenario_action *a);
void kconn_tracepoint_event(void *context, const struct tracepoint_event *ev);
void kconn_poll_time_wait(struct krun *r);
bool kconn_any_time_wait(const struct krun *r);
bool kconn_all_quiet(const struct krun *r);
struct kconn *kconn_find(struct krun *r, uint32_t saddr, uint16_t sport, uint32_t daddr,
                         uint16_t dport, int *end);
struct kconn *kconn_open(struct krun *r, int client, uint32_t saddr, uint16_t sport,
                         uint32_t daddr, uint16_t dport);
void kconn_listener_transition(struct krun *r, int host, enum tcp_state from, enum tcp_state to,
                               enum tcp_cause cause);
void kconn_report_connections(struct krun *r);
void kconn_free(struct krun *r);

/* kapp.c */
void kapp_action(struct krun *r, const struct scenario_action *a);
void kapp_socket_event(struct krun *r, struct ksock *s, uint32_t events);
bool kapp_idle(const struct krun *r);
void kapp_close_all(struct krun *r);

#endif
