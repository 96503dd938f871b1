/*
 * test_compare.c: `tcpsim compare` (src/view/compare.c) on runs written
 * record by record through the SQLite sink: equal runs are equivalent (also
 * with other ISNs, ports and stacks), a different state path or segment is a
 * divergence named in the output, a time beyond the tolerance differs and
 * one within it does not, and unreadable input is refused.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "sink_sqlite.h"
#include "trace.h"

#define MS(x) ((sim_time)(x) * SIM_MS)
#define CLIENT_ADDR 0x0a000001u
#define SERVER_ADDR 0x0a000002u

static char path_a[64], path_b[64];

/* How a run departs from the plain handshake-and-abort below. */
struct variant {
    const char *stack;           /* NULL: this simulator */
    uint32_t client_isn, server_isn;
    uint16_t client_port;
    sim_time synack_delay;       /* from the SYN's arrival to the SYN-ACK */
    uint8_t reset_flags;         /* the client's last segment */
    enum tcp_state reset_to;     /* where the client's abort leads */
    uint16_t server_wnd;         /* the window the server advertises */
};
#define PLAIN {NULL, 1000, 5000, 40000, 0, TCP_FLAG_RST, TCP_CLOSED, 65535}

struct writer {
    struct trace t;
    const struct variant *v;
    uint64_t next_id;
};

static void put_transition(struct writer *w, sim_time at, const char *host, enum tcp_state from,
                           enum tcp_state to)
{
    struct trace_transition tr = {at, host, 1, from, to, TCP_CAUSE_NONE, 0};
    trace_transition(&w->t, &tr);
}

static void put_segment(struct writer *w, bool from_client, uint8_t flags, uint32_t seq,
                        uint32_t ack, sim_time sent)
{
    const struct variant *v = w->v;
    struct segment seg = {
        .src_addr = from_client ? CLIENT_ADDR : SERVER_ADDR,
        .dst_addr = from_client ? SERVER_ADDR : CLIENT_ADDR,
        .src_port = from_client ? v->client_port : 80, .dst_port = from_client ? 80 : v->client_port,
        .seq = seq + (from_client ? v->client_isn : v->server_isn),
        .ack = ack + (from_client ? v->server_isn : v->client_isn), .flags = flags,
        .wnd = from_client ? 65535 : v->server_wnd, .id = ++w->next_id, .conn_id = 1,
    };
    struct trace_segment ts = {&seg, from_client ? "client" : "server",
                               from_client ? "server" : "client", sent, sent + MS(50),
                               FATE_DELIVERED, 0};
    trace_segment(&w->t, &ts);
}

/* A handshake over a 50 ms link, then the client resets the connection. */
static void write_run(const char *path, const struct variant *v)
{
    char err[512];
    unlink(path);
    struct trace_sink *sink = sink_sqlite_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    struct writer w = {.v = v};
    trace_init(&w.t);
    trace_add_sink(&w.t, sink);
    struct trace_run_info info = {"compared", "ab", 1, 0, NULL, 0, v->stack};
    CU_ASSERT_EQUAL_FATAL(trace_run_start(&w.t, &info, NULL), 0);
    sim_time d = v->synack_delay;
    put_transition(&w, 0, "server", TCP_CLOSED, TCP_LISTEN);
    put_transition(&w, MS(10), "client", TCP_CLOSED, TCP_SYN_SENT);
    put_segment(&w, true, TCP_FLAG_SYN, 0, 0, MS(10));
    put_transition(&w, MS(60), "server", TCP_LISTEN, TCP_SYN_RECEIVED);
    put_segment(&w, false, TCP_FLAG_SYN | TCP_FLAG_ACK, 0, 1, MS(60) + d);
    put_transition(&w, MS(110) + d, "client", TCP_SYN_SENT, TCP_ESTABLISHED);
    put_segment(&w, true, TCP_FLAG_ACK, 1, 1, MS(110) + d);
    put_transition(&w, MS(160) + d, "server", TCP_SYN_RECEIVED, TCP_ESTABLISHED);
    put_segment(&w, true, v->reset_flags, 1, 1, MS(1000));
    put_transition(&w, MS(1000), "client", TCP_ESTABLISHED, v->reset_to);
    struct trace_connection c = {
        .conn_id = 1, .client = "client", .server = "server", .client_addr = CLIENT_ADDR,
        .server_addr = SERVER_ADDR, .client_port = v->client_port, .server_port = 80,
        .client_isn = v->client_isn, .server_isn = v->server_isn, .has_client_isn = 1,
        .has_server_isn = 1, .opened_ns = MS(10), .established_ns = MS(110) + d,
        .closed_ns = MS(1000),
    };
    trace_connection(&w.t, &c);
    struct trace_run_result result = {.status = "ok", .sim_end_ns = MS(2000), .events = 10,
                                     .wall_s = 0.1};
    CU_ASSERT_EQUAL_FATAL(trace_run_end(&w.t, &result, NULL), 0);
    trace_destroy_sinks(&w.t);
}

/* Compares path_a with path_b into a string; *out is malloc'd. */
static enum compare_result compare(const struct compare_options *o, const char *b, char **out,
                                   char *err, size_t errlen)
{
    size_t size;
    FILE *f = open_memstream(out, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    enum compare_result r = compare_runs(path_a, b, o, f, err, errlen);
    fclose(f);
    return r;
}

static enum compare_result compare_with(const struct variant *a, const struct variant *b,
                                        const struct compare_options *o, char **out)
{
    char err[512] = "";
    write_run(path_a, a);
    write_run(path_b, b);
    enum compare_result r = compare(o, path_b, out, err, sizeof err);
    CU_ASSERT_STRING_EQUAL(err, "");
    return r;
}

static void test_equal_runs(void)
{
    struct variant plain = PLAIN, renumbered = PLAIN;
    renumbered.client_isn = 4000000000u;   /* wraps: relative numbers still agree */
    renumbered.server_isn = 77;
    renumbered.client_port = 51234;
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    char *out = NULL;
    CU_ASSERT_EQUAL(compare_with(&plain, &renumbered, &o, &out), COMPARE_EQUIVALENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "result: equivalent\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "SYN|ACK seq 0 ack 1 len 0 wnd 65535 delivered"));
    CU_ASSERT_PTR_NULL(strstr(out, "difference:"));
    free(out);
}

static void test_different_path(void)
{
    struct variant plain = PLAIN, other = PLAIN;
    other.reset_flags = TCP_FLAG_RST | TCP_FLAG_ACK;
    other.reset_to = TCP_FIN_WAIT_1;
    other.stack = "linux 6.18.0";
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    char *out = NULL;
    CU_ASSERT_EQUAL(compare_with(&plain, &other, &o, &out), COMPARE_DIFFERENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "stack linux 6.18.0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "the stacks differing, windows"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "difference: connection 1, client path #3: path "
                                       "ESTABLISHED -> CLOSED vs ESTABLISHED -> FIN_WAIT_1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "difference: connection 1, client segments #3: flags "
                                       "RST vs RST|ACK\n"));
    /* Both at 1 s: at equal times the earlier stream (the path) is first. */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "first divergence: connection 1, client path #3"));
    free(out);

    o.format = COMPARE_JSON;
    CU_ASSERT_EQUAL(compare_with(&plain, &other, &o, &out), COMPARE_DIFFERENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"equivalent\":false,\"first_divergence\":{\"connection\":1,"
                                       "\"stream\":\"client path\",\"event\":3,\"kind\":\"path\""));
    free(out);
}

static void test_timing_tolerance(void)
{
    struct variant plain = PLAIN, late = PLAIN;
    late.synack_delay = MS(7);   /* 57 ms after the SYN-ACK's cause, not 50: 7 > max(5, 7.1) */
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    char *out = NULL;
    CU_ASSERT_EQUAL(compare_with(&plain, &late, &o, &out), COMPARE_EQUIVALENT);
    free(out);

    late.synack_delay = MS(20);  /* 70 ms against 50 ms: beyond max(5, 8.75) */
    CU_ASSERT_EQUAL(compare_with(&plain, &late, &o, &out), COMPARE_DIFFERENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "difference: connection 1, server segments #1: timing "
                                       "+0.050000 s vs +0.070000 s since the previous event "
                                       "(tolerance 8.750 ms)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no divergence"));
    free(out);

    char err[256] = "";
    CU_ASSERT_EQUAL(compare_parse_tolerance("25,10%", &o, err, sizeof err), 0);
    CU_ASSERT_EQUAL(compare_with(&plain, &late, &o, &out), COMPARE_EQUIVALENT);
    free(out);
}

static void test_windows_by_stack(void)
{
    struct variant plain = PLAIN, linux_like = PLAIN;
    linux_like.server_wnd = 65160;
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    char *out = NULL;
    CU_ASSERT_EQUAL(compare_with(&plain, &linux_like, &o, &out), COMPARE_DIFFERENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "difference: connection 1, server segments #1: window "
                                       "65535 vs 65160\n"));
    free(out);
    linux_like.stack = "linux 6.18.0";  /* a scaled window means nothing to the simulator's */
    CU_ASSERT_EQUAL(compare_with(&plain, &linux_like, &o, &out), COMPARE_EQUIVALENT);
    free(out);
}

static void test_bad_input(void)
{
    struct variant plain = PLAIN;
    write_run(path_a, &plain);
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    char err[512] = "", *out = NULL;
    CU_ASSERT_EQUAL(compare(&o, "/nonexistent/x.db", &out, err, sizeof err), COMPARE_BAD_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.db"));
    CU_ASSERT_STRING_EQUAL(out, "");
    free(out);
    char spec[80];
    snprintf(spec, sizeof spec, "%s:7", path_a);
    CU_ASSERT_EQUAL(compare(&o, spec, &out, err, sizeof err), COMPARE_BAD_INPUT);
    char expected[128];
    snprintf(expected, sizeof expected, "%s: no run 7", path_a);
    CU_ASSERT_STRING_EQUAL(err, expected);
    free(out);
    snprintf(spec, sizeof spec, "%s:1", path_a);
    CU_ASSERT_EQUAL(compare(&o, spec, &out, err, sizeof err), COMPARE_EQUIVALENT);
    free(out);
    CU_ASSERT_EQUAL(compare_parse_tolerance("5ms,", &o, err, sizeof err), -1);
    CU_ASSERT_EQUAL(compare_parse_tolerance("fast", &o, err, sizeof err), -1);
    CU_ASSERT_EQUAL(compare_parse_tolerance("5,200", &o, err, sizeof err), -1);
}

int main(void)
{
    snprintf(path_a, sizeof path_a, "/tmp/test_compare.%ld.a.db", (long)getpid());
    snprintf(path_b, sizeof path_b, "/tmp/test_compare.%ld.b.db", (long)getpid());
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite s = CU_add_suite("compare", NULL, NULL);
    CU_add_test(s, "equal runs are equivalent, whatever the ISNs", test_equal_runs);
    CU_add_test(s, "a different path is a divergence, named", test_different_path);
    CU_add_test(s, "timing differences against the tolerance", test_timing_tolerance);
    CU_add_test(s, "windows compared within one stack only", test_windows_by_stack);
    CU_add_test(s, "unreadable input is refused", test_bad_input);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    unlink(path_a);
    unlink(path_b);
    return failures ? 1 : 0;
}
