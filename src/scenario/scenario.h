/*
 * scenario.h: a scenario file turned into a plain description. The parser
 * checks everything it can before a run (units, ranges, host names, drop
 * rules, expectations) and reports the first problem as FILE:LINE:COL. The
 * same argument code serves --set KEY=VALUE, so every setting a file can
 * write is reachable from the command line. See docs/scenario-language.md.
 */
#ifndef TCPSIM_SCENARIO_H
#define TCPSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "fault.h"
#include "link_config.h"
#include "tcp_config.h"
#include "tcp_base.h"

#define SCENARIO_HOSTS 2            /* end 0 and end 1 of the link, in file order */
#define SCENARIO_NAME_MAX 64
#define SCENARIO_TEXT_MAX 512
#define SCENARIO_PATH_STATES 16
#define SCENARIO_LINE_MAX 4096      /* longer lines are an error */

struct scenario_error {
    char file[256];
    int line, column;               /* 1-based; 0 when not about a place in the file */
    char message[512];
};

/* Prints "FILE:LINE:COL: message" (or "FILE: message"). */
void scenario_error_format(const struct scenario_error *err, char *buf, size_t size);

struct scenario_host {
    char name[SCENARIO_NAME_MAX];
    struct tcp_host_config config;  /* config.name points at name above */
    int line;
};

enum scenario_action_kind {
    ACTION_LISTEN,   /* at T host listen PORT [backlog=N] [OPTION=VALUE...] */
    ACTION_CONNECT,  /* at T host connect PEER:PORT [port=LOCAL] [OPTION=VALUE...] */
    ACTION_SEND,     /* at T host send SIZE [conn=N] */
    ACTION_CLOSE,    /* at T host close [conn=N]: close(2), the socket is orphaned */
    ACTION_ABORT,    /* at T host abort [conn=N]: RST */
    ACTION_UNLISTEN, /* at T host unlisten PORT: close the listener */
    ACTION_SHUTDOWN, /* at T host shutdown [wr|rd|rdwr] [conn=N]: shutdown(2), default wr */
    ACTION_READ,     /* at T host read off|on [conn=N]: the application stops/resumes reading */
    ACTION_SETSOCKOPT, /* at T host setsockopt OPTION=VALUE... [conn=N] (scenario_sockopts) */
    ACTION_INJECT,   /* at T host inject FLAGS ...: a segment the host's TCB did not write */
};

/* The call an action records in the calls table (TCP_CALL_INJECT for inject). */
enum tcp_call scenario_action_call(enum scenario_action_kind kind);

/* A sequence-space number as a scenario writes it: a number, or a field of
 * the host's side of the connection plus an offset (snd.nxt+100), read when
 * it is used (an inject's time, an expected segment's sending). */
enum seq_base {
    SEQ_NUMBER,      /* offset alone */
    SEQ_SND_NXT, SEQ_SND_UNA, SEQ_ISS, SEQ_RCV_NXT, SEQ_IRS, SEQ_RCV_WND,
};
struct seq_expr {
    bool given;                     /* written on the line; else the default applies */
    enum seq_base base;
    int64_t offset;                 /* modulo 2^32 with the base */
};
/* "snd.nxt", "snd.una", "iss", "rcv.nxt", "irs", "rcv.wnd"; "" for SEQ_NUMBER. */
const char *seq_base_name(enum seq_base base);

/* at T HOST inject FLAGS [seq=EXPR] [ack=EXPR] [len=SIZE] [wnd=N] [conn=N]
 *   [to=PORT] [port=LOCAL]: seq defaults to snd.nxt, ack to rcv.nxt (with
 *   ACK set), wnd to rcv.wnd; to= and port= replace the ports. */
struct scenario_inject {
    uint8_t flags;                  /* TCP_FLAG_* */
    struct seq_expr seq, ack;
    uint32_t len;                   /* payload octets */
    int32_t wnd;                    /* -1 = the TCB's receive window (65535 without one) */
    uint16_t to_port, local_port;   /* 0 = the connection's */
};

enum shutdown_how { SHUTDOWN_WR, SHUTDOWN_RD, SHUTDOWN_RDWR };

/* Socket options written on connect, listen or setsockopt; each applies
 * only when written. A listener's pass to the connections it accepts. */
struct scenario_sockopts {
    bool has_linger, has_user_timeout, has_nodelay;
    sim_time linger;                /* SO_LINGER l_linger, whole seconds; 0: close() resets */
    sim_time user_timeout;          /* TCP_USER_TIMEOUT; 0: the retry counts decide again */
    uint32_t rcvbuf;                /* SO_RCVBUF: the receive window's ceiling; 0 = not written */
    uint32_t sndbuf;                /* SO_SNDBUF: the send buffer's ceiling; 0 = not written */
    bool nodelay;                   /* TCP_NODELAY (tcpsim has no Nagle: nothing changes) */
};

static inline bool scenario_linger_abort(const struct scenario_sockopts *o)
{
    return o->has_linger && o->linger == 0;
}

struct scenario_action {
    sim_time at;
    int host;                       /* index into hosts */
    enum scenario_action_kind kind;
    int peer;                       /* CONNECT: the host connected to */
    uint16_t port;                  /* LISTEN/UNLISTEN: local; CONNECT: remote */
    uint16_t local_port;            /* CONNECT: 0 = ephemeral */
    int backlog;                    /* LISTEN */
    uint64_t bytes;                 /* SEND */
    struct scenario_inject inject;  /* INJECT */
    enum shutdown_how how;          /* SHUTDOWN */
    bool on;                        /* READ: on */
    struct scenario_sockopts opts;  /* CONNECT, LISTEN, SETSOCKOPT */
    uint32_t conn;                  /* 1-based index among the host's connections in order of
                                       creation; 0 = the most recent one */
    int line;
};

enum workload_arrivals { ARRIVALS_FIXED, ARRIVALS_POISSON };
enum workload_server_close {
    SERVER_CLOSE_AFTER_FIN,         /* close when the client's FIN arrives (EOF) */
    SERVER_CLOSE_AFTER_DELAY,       /* close a delay after accepting */
    SERVER_CLOSE_NEVER,             /* never close: connections pile up in CLOSE_WAIT */
};
enum workload_client_close {
    CLIENT_CLOSE_AFTER_SEND,        /* the client closes once its data is queued */
    CLIENT_CLOSE_AFTER_SERVER,      /* the client waits for the server's FIN, then closes */
};

/* workload CLIENT->SERVER:PORT count=N (rate=R/s | interval=T) arrivals=fixed|poisson
 *          size=SIZE server_close=after-fin|after=T|never start=T */
struct scenario_workload {
    int client, server;
    uint16_t port;
    uint64_t count;
    enum workload_arrivals arrivals;
    sim_time interval;              /* mean time between connection starts */
    sim_time start;
    uint64_t size;                  /* bytes the client sends on each connection */
    uint64_t response;              /* bytes the server sends back before closing */
    enum workload_server_close server_close;
    sim_time server_close_delay;
    enum workload_client_close client_close;
    int line;
};

struct scenario_drop {
    struct drop_rule rule;          /* rule.line: the line it was written on */
    char text[SCENARIO_TEXT_MAX];   /* as written, for reports */
};

enum expect_kind {
    EXPECT_PATH,     /* expect HOST path STATE STATE ... [conn=N] */
    EXPECT_STATE_AT, /* expect at T HOST state STATE [conn=N] */
    EXPECT_COUNT,    /* expect HOST COUNTER OP VALUE; expect HOST connections in STATE [at T] OP VALUE */
    EXPECT_CALL,     /* expect HOST CALL result=ERRNO [conn=N]: some such call had that result */
    EXPECT_SENDS,    /* expect HOST sends FLAGS [seq=EXPR] [ack=EXPR] [len=SIZE] [at T [tolerance=T]]
                        [conn=N] [#N] */
    EXPECT_SENDS_NO, /* expect HOST sends no FLAGS [from=T] [until=T] [conn=N] */
};

/* What EXPECT_SENDS and EXPECT_SENDS_NO look for among the segments the
 * host's TCB sent (not injected ones, not the link's copies). */
struct scenario_sends {
    uint8_t flags;                  /* exactly these flags */
    struct seq_expr seq, ack;       /* evaluated as the segment is sent */
    int64_t len;                    /* -1 = any */
    sim_time tolerance;             /* with `at`: |sent - at| <= tolerance */
    uint64_t nth;                   /* #N: the N-th segment with these flags; 0 = any one */
    sim_time from, until;           /* EXPECT_SENDS_NO: the window; until = SIM_TIME_MAX */
};

enum expect_counter {
    COUNT_SEGMENTS_SENT,      /* segments the host sent (retransmissions included) */
    COUNT_RETRANSMISSIONS,    /* segments the host retransmitted */
    COUNT_SEGMENTS_LOST,      /* segments the host sent that did not arrive (any fate but delivered) */
    COUNT_CONNECTIONS,        /* connections the host took part in */
    COUNT_ESTABLISHED,        /* connections of the host that reached ESTABLISHED */
    COUNT_IN_STATE,           /* TCBs of the host in `state` at time `at` (or at the end) */
    COUNT_RESETS_SENT,
    COUNT_BYTES_RECEIVED,     /* payload delivered to the host's application */
};

enum expect_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct scenario_expect {
    enum expect_kind kind;
    int host;
    uint32_t conn;                  /* 1-based; 0 = the host's first connection */
    int states[SCENARIO_PATH_STATES]; /* EXPECT_PATH: enum tcp_state values */
    int state_count;
    int state;                      /* EXPECT_STATE_AT, COUNT_IN_STATE */
    sim_time at;                    /* EXPECT_STATE_AT; COUNT: -1 = at the end */
    enum expect_counter counter;
    enum expect_op op;
    double value;                   /* EXPECT_COUNT; may be fractional, e.g. 0.95 */
    double tolerance;               /* EXPECT_COUNT with OP_EQ: |actual - value| <= tolerance */
    enum tcp_call call;             /* EXPECT_CALL */
    enum tcp_call_result result;    /* EXPECT_CALL */
    struct scenario_sends sends;    /* EXPECT_SENDS, EXPECT_SENDS_NO (at: the time above) */
    char text[SCENARIO_TEXT_MAX];   /* as written */
    int line;
};

struct scenario_run_settings {
    sim_time until;                 /* stop time; default 10 min */
    uint64_t seed;                  /* default 1 */
    uint32_t reps;                  /* default 1 */
};

struct scenario_param {
    char key[64];
    char value[128];
};

struct scenario {
    char name[SCENARIO_NAME_MAX];
    char description[SCENARIO_TEXT_MAX];
    char file[256];
    char sha256[65];                /* of the file's bytes; hex */

    struct scenario_host hosts[SCENARIO_HOSTS];
    int host_count;
    struct link_direction_config link[SCENARIO_HOSTS]; /* link[d]: segments sent by hosts[d] */

    struct scenario_action *actions; size_t action_count;     /* sorted by time, stable */
    struct scenario_workload *workloads; size_t workload_count;
    struct scenario_drop *drops; size_t drop_count;
    struct scenario_expect *expects; size_t expect_count;
    struct scenario_run_settings run;

    /* Every successful scenario_set, in order, for the runs table. */
    struct scenario_param *params; size_t param_count;
};

/* Parse a file or a buffer. Returns NULL and fills *err on any problem. */
struct scenario *scenario_parse_file(const char *path, struct scenario_error *err);
struct scenario *scenario_parse_string(const char *text, size_t length, const char *file_name,
                                       struct scenario_error *err);
void scenario_free(struct scenario *scenario);

/* Apply KEY=VALUE as the file would: "link.loss" sets loss on both
 * directions, "link.client->server.loss" on one, "client.rto_initial",
 * "server.isn", "run.until", "run.seed", "workload.count" (the first
 * workload; "workload2.count" the second). Records the pair in params.
 * Returns 0, or -1 with *err (line 0: the problem is in the key or value). */
int scenario_set(struct scenario *scenario, const char *key, const char *value,
                 struct scenario_error *err);
/* "KEY=VALUE" in one string, as given to --set. */
int scenario_set_assignment(struct scenario *scenario, const char *assignment,
                            struct scenario_error *err);

/* The settings files and --set accept, one by one for i = 0, 1, ...: the
 * group ("link", "host", "workload", "run"), the key and what it means.
 * Returns 0, or -1 past the last one. */
int scenario_setting_describe(size_t i, const char **group, const char **key, const char **doc);

/* Host index by name, or -1. */
int scenario_host_index(const struct scenario *scenario, const char *name);

/* Unit parsers, shared with the command line. Return 0 or -1. */
int scenario_parse_duration(const char *text, sim_time *out);   /* "20ms", "1.5s", "2min" */
int scenario_parse_probability(const char *text, double *out);  /* "0.05", "5%" */
int scenario_parse_size(const char *text, uint64_t *out);       /* "1000B", "64KB", "1MB" */
int scenario_parse_rate(const char *text, uint64_t *bps);       /* "10Mbps" */

#endif
