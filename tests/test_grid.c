/*
 * test_grid.c: rows of the conformance grid (state x arriving segment x
 * where its numbers fall; shared/reference/test-grid.md), written in the
 * scenario language itself. Each row puts the target host in a state, then
 * at 1 s injects one segment that claims to come from its peer, and states
 * the RFC's outcome as expectations: the state the target is in at 1.06 s
 * (just after the segment arrived, before the peer's real TCB can react to
 * the reply) and the segment it sends in reply at 1.05 s (or that it sends
 * none of ACK, RST, RST|ACK before 1.1 s). A
 * row passes when the run's expectations hold, so a failure prints the
 * scenario's own message ("nearest sent instead: ...").
 *
 * Numbers are written out rather than read from a TCB: the client's ISN is
 * 1000 and the server's 5000, so after the handshake the server's RCV.NXT
 * is 1001 and its SND.NXT 5001; each setup's comment gives the numbers the
 * state has. The server's receive window is 65535, so 1001+65535 = 66536
 * is just beyond it. The outcomes are RFC 9293 section 3.10.7 with the RFC
 * 5961 checks (profile rfc9293), and the documented choices of
 * src/tcp/tcp_input.c (SYN|FIN in LISTEN dropped; SYN|FIN elsewhere is a
 * SYN). A second table holds rows of the linux profile where Linux
 * answers otherwise. Not expressible: the urgent pointer (segments carry
 * no SEG.UP, so URG rows check only that the bit changes nothing else).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "sink_text.h"
#include "trace.h"
#include "world.h"

/* The states a row starts from, each reached by the lines below. */
enum setup {
    AT_CLOSED,       /* server listens on 80 only; the segment goes to 81 */
    AT_LISTEN,       /* server listens on 80, nobody connects */
    AT_SYN_SENT,     /* target client: its SYNs are dropped; SND.NXT 1001 */
    AT_SYN_RECEIVED, /* the server's SYN|ACKs are dropped; RCV.NXT 1001, SND.NXT 5001 */
    AT_ESTABLISHED,  /* RCV.NXT 1001, SND.UNA = SND.NXT 5001 */
    AT_FIN_WAIT_1,   /* server closed at 900 ms, the ACK of its FIN dropped: SND.NXT 5002, SND.UNA 5001 */
    AT_FIN_WAIT_2,   /* server closed at 800 ms, its FIN acked: RCV.NXT 1001 */
    AT_CLOSE_WAIT,   /* client closed at 900 ms: RCV.NXT 1002 */
    AT_CLOSING,      /* both closed at 900 ms, the client's ACK dropped: RCV.NXT 1002, SND.NXT 5002 */
    AT_LAST_ACK,     /* client closed, server closed at 900 ms, ACK dropped: RCV.NXT 1002, SND.NXT 5002 */
    AT_TIME_WAIT,    /* server closed at 800 ms, client at 900 ms: RCV.NXT 1002 */
};

static const char *const setup_lines[] = {
    [AT_CLOSED] = "",
    [AT_LISTEN] = "",
    [AT_SYN_SENT] = "at 10ms client connect server:80 port=40000\ndrop client SYN #1-3\n",
    [AT_SYN_RECEIVED] = "at 10ms client connect server:80 port=40000\ndrop server SYN-ACK\ndrop client SYN #2\n",
    [AT_ESTABLISHED] = "at 10ms client connect server:80 port=40000\n",
    [AT_FIN_WAIT_1] = "at 10ms client connect server:80 port=40000\nat 900ms server close\n"
                      "drop client ACK from=900ms until=1s\n",
    [AT_FIN_WAIT_2] = "at 10ms client connect server:80 port=40000\nat 800ms server close\n",
    [AT_CLOSE_WAIT] = "at 10ms client connect server:80 port=40000\nat 900ms client close\n",
    [AT_CLOSING] = "at 10ms client connect server:80 port=40000\nat 900ms server close\nat 900ms client close\n"
                   "drop client ACK from=900ms until=1s\n",
    [AT_LAST_ACK] = "at 10ms client connect server:80 port=40000\nat 800ms client close\nat 900ms server close\n"
                    "drop client ACK from=900ms until=1s\n",
    [AT_TIME_WAIT] = "at 10ms client connect server:80 port=40000\nat 800ms server close\nat 900ms client close\n",
};

struct grid_row {
    enum setup setup;
    const char *segment;   /* FLAGS and seq= ack= len= of the injected segment */
    const char *after;     /* the target's state at 1.06 s; NULL = it has no connection */
    const char *reply;     /* what it sends at 1.05 s (FLAGS and fields); NULL = nothing */
};

static const struct grid_row rows[] = {
    /* No TCB (RFC 9293 3.10.7.1): a reset formed so the sender accepts it. */
    {AT_CLOSED, "ACK seq=1234 ack=999", NULL, "RST seq=999"},
    {AT_CLOSED, "SYN seq=7000", NULL, "RST|ACK seq=0 ack=7001"},
    {AT_CLOSED, "PSH seq=7000 len=10B", NULL, "RST|ACK seq=0 ack=7010"},
    {AT_CLOSED, "FIN seq=7000", NULL, "RST|ACK seq=0 ack=7001"},
    {AT_CLOSED, "RST seq=7000", NULL, NULL},
    /* LISTEN (3.10.7.2). */
    {AT_LISTEN, "RST seq=7000", NULL, NULL},
    {AT_LISTEN, "RST|ACK seq=7000 ack=999", NULL, NULL},
    {AT_LISTEN, "ACK seq=7000 ack=999", NULL, "RST seq=999"},
    {AT_LISTEN, "SYN|ACK seq=7000 ack=999", NULL, "RST seq=999"},
    {AT_LISTEN, "FIN|ACK seq=7000 ack=999", NULL, "RST seq=999"},
    {AT_LISTEN, "SYN seq=7000", "SYN_RECEIVED", "SYN|ACK seq=5000 ack=7001"},
    {AT_LISTEN, "SYN|FIN seq=7000", NULL, NULL},
    {AT_LISTEN, "PSH seq=7000 len=10B", NULL, NULL},
    /* SYN_SENT (3.10.7.3), the client's side: the injected segments come from the server. */
    {AT_SYN_SENT, "SYN|ACK seq=7000 ack=1001", "ESTABLISHED", "ACK seq=1001 ack=7001"},
    {AT_SYN_SENT, "SYN|ACK seq=7000 ack=1500", "SYN_SENT", "RST seq=1500"},
    {AT_SYN_SENT, "ACK seq=7000 ack=1500", "SYN_SENT", "RST seq=1500"},
    {AT_SYN_SENT, "RST|ACK seq=0 ack=1001", "CLOSED", NULL},
    {AT_SYN_SENT, "RST seq=7000", "SYN_SENT", NULL},
    {AT_SYN_SENT, "SYN seq=7000", "SYN_RECEIVED", "SYN|ACK seq=1000 ack=7001"},
    /* SYN_RECEIVED (3.10.7.4) of a passive open. */
    {AT_SYN_RECEIVED, "RST seq=1001", "LISTEN", NULL},
    {AT_SYN_RECEIVED, "RST seq=1101", "SYN_RECEIVED", "ACK seq=5001 ack=1001"},
    {AT_SYN_RECEIVED, "RST seq=70000", "SYN_RECEIVED", NULL},
    {AT_SYN_RECEIVED, "ACK seq=1001 ack=5001", "ESTABLISHED", NULL},
    {AT_SYN_RECEIVED, "ACK seq=1001 ack=6000", "SYN_RECEIVED", "RST seq=6000"},
    {AT_SYN_RECEIVED, "ACK seq=900 ack=5001", "SYN_RECEIVED", "ACK seq=5001 ack=1001"},
    /* ESTABLISHED: RST by window position (RFC 5961 3.2). */
    {AT_ESTABLISHED, "RST seq=1001", "CLOSED", NULL},
    {AT_ESTABLISHED, "RST|ACK seq=1001 ack=5001", "CLOSED", NULL},
    {AT_ESTABLISHED, "RST seq=1101", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "RST seq=66535", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "RST seq=66536", "ESTABLISHED", NULL},
    {AT_ESTABLISHED, "RST seq=901", "ESTABLISHED", NULL},
    /* ESTABLISHED: SYN in any position (RFC 5961 4). */
    {AT_ESTABLISHED, "SYN seq=1001", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "SYN seq=1101", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "SYN|ACK seq=1101 ack=5001", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "SYN|FIN seq=1001", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    /* ESTABLISHED: ACKs by window position and by what they acknowledge. */
    {AT_ESTABLISHED, "ACK seq=1001 ack=5001", "ESTABLISHED", NULL},
    {AT_ESTABLISHED, "ACK seq=901 ack=5001", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "ACK seq=66536 ack=5001", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "ACK seq=1001 ack=5101", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "ACK seq=1001 ack=4000", "ESTABLISHED", NULL},
    /* ESTABLISHED: data and FIN. */
    {AT_ESTABLISHED, "PSH|ACK seq=1001 ack=5001 len=100B", "ESTABLISHED", "ACK seq=5001 ack=1101"},
    {AT_ESTABLISHED, "PSH|ACK seq=66536 ack=5001 len=100B", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "PSH seq=1001 len=100B", "ESTABLISHED", NULL},
    {AT_ESTABLISHED, "FIN|ACK seq=1001 ack=5001", "CLOSE_WAIT", "ACK seq=5001 ack=1002"},
    {AT_ESTABLISHED, "FIN|ACK seq=66536 ack=5001", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "FIN seq=1001", "ESTABLISHED", NULL},
    /* FIN_WAIT_1: what the ACK acknowledges decides. */
    {AT_FIN_WAIT_1, "ACK seq=1001 ack=5002", "FIN_WAIT_2", NULL},
    {AT_FIN_WAIT_1, "FIN|ACK seq=1001 ack=5002", "TIME_WAIT", "ACK seq=5002 ack=1002"},
    {AT_FIN_WAIT_1, "FIN|ACK seq=1001 ack=5001", "CLOSING", "ACK seq=5002 ack=1002"},
    {AT_FIN_WAIT_1, "RST seq=1001", "CLOSED", NULL},
    /* FIN_WAIT_2: the other direction is still open. */
    {AT_FIN_WAIT_2, "FIN|ACK seq=1001 ack=5002", "TIME_WAIT", "ACK seq=5002 ack=1002"},
    {AT_FIN_WAIT_2, "PSH|ACK seq=1001 ack=5002 len=10B", "FIN_WAIT_2", "ACK seq=5002 ack=1011"},
    {AT_FIN_WAIT_2, "RST seq=1101", "FIN_WAIT_2", "ACK seq=5002 ack=1001"},
    /* CLOSE_WAIT. */
    {AT_CLOSE_WAIT, "FIN|ACK seq=1001 ack=5001", "CLOSE_WAIT", "ACK seq=5001 ack=1002"},
    {AT_CLOSE_WAIT, "RST seq=1002", "CLOSED", NULL},
    {AT_CLOSE_WAIT, "RST seq=1102", "CLOSE_WAIT", "ACK seq=5001 ack=1002"},
    /* CLOSING: only the ACK of our FIN leads on, to TIME_WAIT. */
    {AT_CLOSING, "ACK seq=1002 ack=5002", "TIME_WAIT", NULL},
    {AT_CLOSING, "ACK seq=1002 ack=5001", "CLOSING", NULL},
    {AT_CLOSING, "FIN|ACK seq=1001 ack=5001", "CLOSING", "ACK seq=5002 ack=1002"},
    /* LAST_ACK: the ACK of our FIN closes, no other ACK does. */
    {AT_LAST_ACK, "ACK seq=1002 ack=5002", "CLOSED", NULL},
    {AT_LAST_ACK, "ACK seq=1002 ack=5001", "LAST_ACK", NULL},
    {AT_LAST_ACK, "RST seq=1002", "CLOSED", NULL},
    /* TIME_WAIT: a retransmitted FIN is acknowledged again; a SYN draws a challenge ACK. */
    {AT_TIME_WAIT, "FIN|ACK seq=1001 ack=5002", "TIME_WAIT", "ACK seq=5002 ack=1002"},
    {AT_TIME_WAIT, "SYN seq=9000", "TIME_WAIT", "ACK seq=5002 ack=1002"},

    /* Rows added with sndbuf (issue 13's note): SYN|FIN, URG, the right
     * edge and old or unsent ACKs in the states after ESTABLISHED. */
    /* SYN_SENT: without SYN or RST the segment is dropped (3.10.7.3);
     * SEG.ACK =< ISS draws <SEQ=SEG.ACK><CTL=RST>; a RST with an
     * unacceptable ACK is dropped; SYN|FIN is a SYN (the FIN is not kept). */
    {AT_SYN_SENT, "SYN|FIN seq=7000", "SYN_RECEIVED", "SYN|ACK seq=1000 ack=7001"},
    {AT_SYN_SENT, "ACK seq=7000 ack=1001", "SYN_SENT", NULL},
    {AT_SYN_SENT, "ACK seq=7000 ack=900", "SYN_SENT", "RST seq=900"},
    {AT_SYN_SENT, "RST|ACK seq=0 ack=1500", "SYN_SENT", NULL},
    {AT_SYN_SENT, "FIN seq=7000", "SYN_SENT", NULL},
    {AT_SYN_SENT, "PSH seq=7000 len=10B", "SYN_SENT", NULL},
    /* SYN_RECEIVED: SEG.ACK = SND.UNA (the ISS) is not acceptable: RST;
     * a FIN|ACK completes the handshake and is processed at once. */
    {AT_SYN_RECEIVED, "ACK seq=1001 ack=5000", "SYN_RECEIVED", "RST seq=5000"},
    {AT_SYN_RECEIVED, "FIN|ACK seq=1001 ack=5001", "CLOSE_WAIT", "ACK seq=5001 ack=1002"},
    {AT_SYN_RECEIVED, "PSH|ACK seq=66535 ack=5001 len=1B", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    /* ESTABLISHED: the right edge (RCV.NXT+RCV.WND-1 = 66535), data
     * overlapping either edge, an out-of-order FIN, URG, and an ACK older
     * than SND.UNA - MAX.SND.WND (RFC 5961 5.2). */
    {AT_ESTABLISHED, "PSH|ACK seq=66535 ack=5001 len=1B", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "PSH|ACK seq=66530 ack=5001 len=10B", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "PSH|ACK seq=991 ack=5001 len=20B", "ESTABLISHED", "ACK seq=5001 ack=1011"},
    {AT_ESTABLISHED, "PSH|ACK seq=901 ack=5001 len=100B", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "FIN|ACK seq=1101 ack=5001", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_ESTABLISHED, "URG|ACK seq=1001 ack=5001 len=100B", "ESTABLISHED", "ACK seq=5001 ack=1101"},
    {AT_ESTABLISHED, "ACK seq=1001 ack=4294900000", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    /* FIN_WAIT_1 (SND.UNA 5001, SND.NXT 5002). */
    {AT_FIN_WAIT_1, "SYN seq=1001", "FIN_WAIT_1", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_1, "SYN|FIN seq=1001", "FIN_WAIT_1", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_1, "RST seq=1101", "FIN_WAIT_1", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_1, "ACK seq=1001 ack=5003", "FIN_WAIT_1", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_1, "ACK seq=1001 ack=4000", "FIN_WAIT_1", NULL},
    {AT_FIN_WAIT_1, "PSH|ACK seq=66536 ack=5001 len=10B", "FIN_WAIT_1", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_1, "PSH|ACK seq=1001 ack=5001 len=10B", "FIN_WAIT_1", "ACK seq=5002 ack=1011"},
    /* FIN_WAIT_2 (SND.UNA = SND.NXT 5002). */
    {AT_FIN_WAIT_2, "SYN seq=1001", "FIN_WAIT_2", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_2, "SYN|FIN seq=1001", "FIN_WAIT_2", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_2, "ACK seq=1001 ack=5003", "FIN_WAIT_2", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_2, "PSH|ACK seq=66536 ack=5002 len=10B", "FIN_WAIT_2", "ACK seq=5002 ack=1001"},
    {AT_FIN_WAIT_2, "RST seq=1001", "CLOSED", NULL},
    /* CLOSE_WAIT (RCV.NXT 1002): text after the FIN is ignored (3.10.7.4
     * seventh). */
    {AT_CLOSE_WAIT, "SYN seq=1002", "CLOSE_WAIT", "ACK seq=5001 ack=1002"},
    {AT_CLOSE_WAIT, "SYN|FIN seq=1002", "CLOSE_WAIT", "ACK seq=5001 ack=1002"},
    {AT_CLOSE_WAIT, "ACK seq=1002 ack=5101", "CLOSE_WAIT", "ACK seq=5001 ack=1002"},
    {AT_CLOSE_WAIT, "RST seq=66537", "CLOSE_WAIT", NULL},
    {AT_CLOSE_WAIT, "PSH|ACK seq=1002 ack=5001 len=10B", "CLOSE_WAIT", NULL},
    /* CLOSING (RCV.NXT 1002, SND.UNA 5001, SND.NXT 5002). */
    {AT_CLOSING, "SYN seq=1002", "CLOSING", "ACK seq=5002 ack=1002"},
    {AT_CLOSING, "SYN|FIN seq=1002", "CLOSING", "ACK seq=5002 ack=1002"},
    {AT_CLOSING, "RST seq=1002", "CLOSED", NULL},
    {AT_CLOSING, "RST seq=1102", "CLOSING", "ACK seq=5002 ack=1002"},
    {AT_CLOSING, "ACK seq=1002 ack=5003", "CLOSING", "ACK seq=5002 ack=1002"},
    /* LAST_ACK (RCV.NXT 1002, SND.UNA 5001, SND.NXT 5002). */
    {AT_LAST_ACK, "SYN seq=1002", "LAST_ACK", "ACK seq=5002 ack=1002"},
    {AT_LAST_ACK, "SYN|FIN seq=1002", "LAST_ACK", "ACK seq=5002 ack=1002"},
    {AT_LAST_ACK, "RST seq=1102", "LAST_ACK", "ACK seq=5002 ack=1002"},
    {AT_LAST_ACK, "ACK seq=1002 ack=5003", "LAST_ACK", "ACK seq=5002 ack=1002"},
    {AT_LAST_ACK, "FIN|ACK seq=1001 ack=5001", "LAST_ACK", "ACK seq=5002 ack=1002"},
    /* TIME_WAIT (RCV.NXT 1002, SND.NXT 5002). */
    {AT_TIME_WAIT, "RST seq=1002", "CLOSED", NULL},
    {AT_TIME_WAIT, "RST seq=1102", "TIME_WAIT", "ACK seq=5002 ack=1002"},
    {AT_TIME_WAIT, "ACK seq=1002 ack=5002", "TIME_WAIT", NULL},
    {AT_TIME_WAIT, "SYN|FIN seq=9000", "TIME_WAIT", "ACK seq=5002 ack=1002"},
    {AT_TIME_WAIT, "PSH|ACK seq=1002 ack=5002 len=10B", "TIME_WAIT", NULL},
};

/* Rows of the linux profile, each with the kernel function that answers
 * it: where Linux differs from the RFC, and where it agrees but a model
 * could easily not. */
static const struct grid_row linux_rows[] = {
    /* tcp_timewait_state_process (tcp_minisocks.c): a RST at exactly
     * tw_rcv_nxt kills TIME_WAIT (tcp_rfc1337 = 0), as in RFC 9293. */
    {AT_TIME_WAIT, "RST seq=1002", "CLOSED", NULL},
    /* tcp_rcv_state_process (tcp_input.c): new data for a socket closed by
     * close() in FIN_WAIT_1/2 (RCV_SHUTDOWN) is TCPAbortOnData: a reset,
     * where RFC 9293 accepts the text. The segment also ACKs our FIN. */
    {AT_FIN_WAIT_1, "PSH|ACK seq=1001 ack=5002 len=10B", "CLOSED", "RST seq=5002"},
    /* tcp_rcv_state_process: in CLOSE_WAIT, CLOSING and LAST_ACK a segment
     * at or after RCV.NXT skips tcp_data_queue (the RFC ignores the text
     * too); an in-window RST or any SYN draws a challenge ACK
     * (tcp_validate_incoming, RFC 5961). */
    {AT_CLOSE_WAIT, "PSH|ACK seq=1002 ack=5001 len=10B", "CLOSE_WAIT", NULL},
    {AT_ESTABLISHED, "RST seq=1101", "ESTABLISHED", "ACK seq=5001 ack=1001"},
    {AT_LAST_ACK, "SYN seq=1002", "LAST_ACK", "ACK seq=5002 ack=1002"},
};

/* The run of one row: its scenario text, with the reply expectation or,
 * with no reply, one `sends no` line for each answer a TCP could give. */
static void row_scenario(const struct grid_row *row, const char *profile, char *text, size_t size)
{
    bool client_side = row->setup == AT_SYN_SENT;
    const char *target = client_side ? "client" : "server", *sender = client_side ? "server" : "client";
    int to = client_side ? 40000 : row->setup == AT_CLOSED ? 81 : 80, from = client_side ? 80 : 40000;
    int n = snprintf(text, size,
                     "link delay=50ms\n"
                     "host client addr=10.0.0.1 isn=1000 profile=%s\n"
                     "host server addr=10.0.0.2 isn=5000 profile=%s\n"
                     "%s%s"
                     "at 1s %s inject %s to=%d port=%d\n",
                     profile, profile, client_side ? "" : "at 0s server listen 80\n", setup_lines[row->setup], sender, row->segment,
                     to, from);
    if (row->after)
        n += snprintf(text + n, size - (size_t)n, "expect at 1.06s %s state %s\n", target, row->after);
    else
        n += snprintf(text + n, size - (size_t)n, "expect %s connections = 0\n", target);
    if (row->reply)
        n += snprintf(text + n, size - (size_t)n, "expect %s sends %s at 1.05s\n", target, row->reply);
    else
        for (size_t i = 0; i < 3; i++)
            n += snprintf(text + n, size - (size_t)n, "expect %s sends no %s from=1s until=1.1s\n", target,
                          (const char *const[]){"ACK", "RST", "RST|ACK"}[i]);
    snprintf(text + n, size - (size_t)n, "run until=1.5s\n");
}

static bool row_holds(const struct grid_row *row, const char *profile)
{
    char text[2048];
    row_scenario(row, profile, text, sizeof text);
    struct scenario_error err;
    struct scenario *sc = scenario_parse_string(text, strlen(text), "grid.tcpsim", &err);
    if (!sc) {
        char message[700];
        scenario_error_format(&err, message, sizeof message);
        fprintf(stderr, "\n%s\n%s\n", text, message);
        return false;
    }
    char *log = NULL;
    size_t log_size = 0;
    FILE *out = open_memstream(&log, &log_size);
    struct trace trace;
    trace_init(&trace);
    if (out)
        trace_add_sink(&trace, sink_text_create(out));
    struct world_report report;
    struct world_options options = {.seed = 1};
    bool ok = world_run(sc, &options, &trace, &report) == 0 && strcmp(report.status, "ok") == 0;
    trace_destroy_sinks(&trace);
    if (out)
        fclose(out);
    if (!ok)
        fprintf(stderr, "\n--- %s row: %s, then %s\n%s", profile, setup_lines[row->setup], row->segment,
                log ? log : "");
    free(log);
    scenario_free(sc);
    return ok;
}

/* One assertion per row; a failing row prints its scenario's log. */
static void test_grid_rows(void)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CU_ASSERT_TRUE(row_holds(&rows[i], "rfc9293"));
}

static void test_grid_linux_rows(void)
{
    for (size_t i = 0; i < sizeof linux_rows / sizeof linux_rows[0]; i++)
        CU_ASSERT_TRUE(row_holds(&linux_rows[i], "linux"));
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite("grid", NULL, NULL);
    CU_add_test(suite, "state x segment x window rows", test_grid_rows);
    CU_add_test(suite, "rows where the linux profile answers as Linux", test_grid_linux_rows);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
