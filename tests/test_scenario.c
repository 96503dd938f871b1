/*
 * test_scenario.c: the scenario language. The DESIGN.md example parses into
 * exactly the numbers it says; units are exact and their mistakes are
 * refused; every kind of error names the right line and column; --set
 * reaches links (both directions or one), hosts, run settings and
 * workloads through the same code as the file; profile= applies before the
 * other host fields; populations own their address block; comments and
 * quoted strings do not get in each other's way.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define MS SIM_MS
#define S SIM_S
#define MIN (60 * SIM_S)

static const char design_example[] =
    "scenario lost-synack \"The server's first SYN-ACK is lost; the client retransmits its SYN\"\n"
    "link     delay=50ms rate=10Mbps loss=0              # both directions\n"
    "link     server->client jitter=normal(0,2ms)        # per-direction override\n"
    "host     client addr=10.0.0.1 isn=1000 profile=linux\n"
    "host     server addr=10.0.0.2 isn=5000\n"
    "at 0s    server listen 80\n"
    "at 10ms  client connect server:80\n"
    "at 2s    client send 1000B\n"
    "at 3s    client close\n"
    "at 3.1s  server close\n"
    "drop     server SYN-ACK #1                           # deterministic fault\n"
    "expect   client path CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED\n"
    "expect   at 1.5s client state SYN_SENT\n"
    "run      until=5min seed=1\n";

/* sha256sum of design_example's bytes, computed outside the program. */
static const char design_example_sha256[] = "da079f6c78a9f32a189b334f9220fc7581a48a418d40b61806be4fc983ee0987";

static const char two_hosts[] = "host client addr=10.0.0.1\nhost server addr=10.0.0.2\n";

static struct scenario *parse(const char *text)
{
    struct scenario_error err;
    struct scenario *s = scenario_parse_string(text, strlen(text), "test.tcpsim", &err);
    if (!s)
        fprintf(stderr, "\nunexpected error: %d:%d: %s\n", err.line, err.column, err.message);
    return s;
}

/* Parses two_hosts followed by `rest`. */
static struct scenario *parse_with_hosts(const char *rest)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s", two_hosts, rest);
    return parse(text);
}

/* ---- the table of settings ---- */

/* Each row scenario_setting_describe lists is a key --set knows: a bad value
 * is refused for what it is, never as an unknown key. */
static void test_every_described_setting_is_reachable(void)
{
    struct scenario *s = parse_with_hosts("workload client->server:80 count=1 interval=1s\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const char *group, *key, *doc;
    size_t count = 0;
    for (size_t i = 0; scenario_setting_describe(i, &group, &key, &doc) == 0; i++, count++) {
        char dotted[64];
        struct scenario_error err;
        snprintf(dotted, sizeof dotted, "%s.%s", strcmp(group, "host") == 0 ? "client" : group, key);
        CU_ASSERT_TRUE(doc && doc[0]);
        CU_ASSERT_EQUAL(scenario_set(s, dotted, "@bad", &err), -1);
        CU_ASSERT_PTR_NULL(strstr(err.message, "unknown key"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, dotted));
    }
    CU_ASSERT_EQUAL(count, 9 + 39 + 9 + 3); /* link, host, workload, run settings */
    scenario_free(s);
}

/* ---- the DESIGN.md example, field by field ---- */

static void test_design_example_header_and_hosts(void)
{
    struct scenario *s = parse(design_example);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s->name, "lost-synack");
    CU_ASSERT_STRING_EQUAL(s->description, "The server's first SYN-ACK is lost; the client retransmits its SYN");
    CU_ASSERT_STRING_EQUAL(s->file, "test.tcpsim");
    CU_ASSERT_EQUAL(strlen(s->sha256), 64);
    CU_ASSERT_EQUAL(s->host_count, 2);

    const struct tcp_host_config *client = &s->hosts[0].config, *server = &s->hosts[1].config;
    CU_ASSERT_STRING_EQUAL(s->hosts[0].name, "client");
    CU_ASSERT_STRING_EQUAL(client->name, "client");
    CU_ASSERT_EQUAL(s->hosts[0].line, 4);
    CU_ASSERT_EQUAL(client->addr, 0x0A000001u);
    CU_ASSERT_EQUAL(client->addr_count, 1);
    CU_ASSERT_EQUAL(client->isn_mode, TCP_ISN_FIXED);
    CU_ASSERT_EQUAL(client->isn, 1000);
    CU_ASSERT_EQUAL(client->ephemeral_low, 32768);
    CU_ASSERT_EQUAL(client->ephemeral_high, 60999);
    CU_ASSERT_STRING_EQUAL(client->profile.name, "linux");
    CU_ASSERT_EQUAL(client->profile.rto_initial, 1 * S);
    CU_ASSERT_EQUAL(client->profile.rto_min, 200 * MS);
    CU_ASSERT_EQUAL(client->profile.rto_max, 120 * S);
    CU_ASSERT_EQUAL(client->profile.syn_retries, 6);
    CU_ASSERT_EQUAL(client->profile.syn_linear_timeouts, 4);
    CU_ASSERT_EQUAL(client->profile.synack_retries, 5);
    CU_ASSERT_EQUAL(client->profile.time_wait, 60 * S);
    CU_ASSERT_EQUAL(client->profile.fin_wait_2_timeout, 60 * S);
    CU_ASSERT_TRUE(client->profile.synack_on_duplicate_syn);

    CU_ASSERT_STRING_EQUAL(s->hosts[1].name, "server");
    CU_ASSERT_EQUAL(server->addr, 0x0A000002u);
    CU_ASSERT_EQUAL(server->isn_mode, TCP_ISN_FIXED);
    CU_ASSERT_EQUAL(server->isn, 5000);
    CU_ASSERT_STRING_EQUAL(server->profile.name, "rfc9293");
    CU_ASSERT_EQUAL(server->profile.rto_min, 1 * S);
    CU_ASSERT_EQUAL(server->profile.msl, 2 * MIN);
    CU_ASSERT_EQUAL(server->profile.time_wait, 4 * MIN);
    CU_ASSERT_EQUAL(server->profile.fin_wait_2_timeout, 0);
    CU_ASSERT_FALSE(server->profile.synack_on_duplicate_syn);
    scenario_free(s);
}

static void test_design_example_link(void)
{
    struct scenario *s = parse(design_example);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (int d = 0; d < 2; d++) {
        CU_ASSERT_EQUAL(s->link[d].delay, 50 * MS);
        CU_ASSERT_EQUAL(s->link[d].rate_bps, 10000000u);
        CU_ASSERT_EQUAL(s->link[d].loss_model, LOSS_NONE);
        CU_ASSERT_EQUAL(s->link[d].loss, 0.0);
        CU_ASSERT_EQUAL(s->link[d].header_bytes, 40);   /* link_direction_defaults */
        CU_ASSERT_EQUAL(s->link[d].queue_limit, 0);
        CU_ASSERT_FALSE(s->link[d].reorder);
    }
    /* link[0] carries what the client (end 0) sends: no jitter there. */
    CU_ASSERT_FALSE(s->link[0].has_jitter);
    CU_ASSERT_TRUE(s->link[1].has_jitter);
    CU_ASSERT_EQUAL(s->link[1].jitter.kind, DIST_NORMAL);
    CU_ASSERT_EQUAL(s->link[1].jitter.a, 0.0);
    CU_ASSERT_EQUAL(s->link[1].jitter.b, 2e6);
    scenario_free(s);
}

static void test_design_example_actions(void)
{
    struct scenario *s = parse(design_example);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->action_count, 5);
    const struct scenario_action *a = s->actions;
    CU_ASSERT_EQUAL(a[0].kind, ACTION_LISTEN);
    CU_ASSERT_EQUAL(a[0].at, 0);
    CU_ASSERT_EQUAL(a[0].host, 1);
    CU_ASSERT_EQUAL(a[0].port, 80);
    CU_ASSERT_EQUAL(a[0].backlog, 128);
    CU_ASSERT_EQUAL(a[0].line, 6);
    CU_ASSERT_EQUAL(a[1].kind, ACTION_CONNECT);
    CU_ASSERT_EQUAL(a[1].at, 10 * MS);
    CU_ASSERT_EQUAL(a[1].host, 0);
    CU_ASSERT_EQUAL(a[1].peer, 1);
    CU_ASSERT_EQUAL(a[1].port, 80);
    CU_ASSERT_EQUAL(a[1].local_port, 0);
    CU_ASSERT_EQUAL(a[2].kind, ACTION_SEND);
    CU_ASSERT_EQUAL(a[2].at, 2 * S);
    CU_ASSERT_EQUAL(a[2].bytes, 1000);
    CU_ASSERT_EQUAL(a[2].conn, 0);
    CU_ASSERT_EQUAL(a[3].kind, ACTION_CLOSE);
    CU_ASSERT_EQUAL(a[3].at, 3 * S);
    CU_ASSERT_EQUAL(a[3].host, 0);
    CU_ASSERT_EQUAL(a[4].kind, ACTION_CLOSE);
    CU_ASSERT_EQUAL(a[4].at, 3100 * MS);
    CU_ASSERT_EQUAL(a[4].host, 1);
    CU_ASSERT_EQUAL(a[4].line, 10);
    scenario_free(s);
}

static void test_design_example_drops_expects_run(void)
{
    static const int path[] = {TCP_CLOSED, TCP_SYN_SENT, TCP_ESTABLISHED, TCP_FIN_WAIT_1,
                               TCP_FIN_WAIT_2, TCP_TIME_WAIT, TCP_CLOSED};
    struct scenario *s = parse(design_example);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->drop_count, 1);
    const struct drop_rule *r = &s->drops[0].rule;
    CU_ASSERT_EQUAL(r->direction, 1);
    CU_ASSERT_EQUAL(r->kind, SEGKIND_SYN_ACK);
    CU_ASSERT_EQUAL(r->nth_first, 1);
    CU_ASSERT_EQUAL(r->nth_last, 1);
    CU_ASSERT_EQUAL(r->from, 0);
    CU_ASSERT_EQUAL(r->until, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(r->conn_id, 0);
    CU_ASSERT_STRING_EQUAL(s->drops[0].text, "drop     server SYN-ACK #1");
    CU_ASSERT_EQUAL(s->drops[0].rule.line, 11);

    CU_ASSERT_EQUAL_FATAL(s->expect_count, 2);
    const struct scenario_expect *e = s->expects;
    CU_ASSERT_EQUAL(e[0].kind, EXPECT_PATH);
    CU_ASSERT_EQUAL(e[0].host, 0);
    CU_ASSERT_EQUAL(e[0].conn, 0);
    CU_ASSERT_EQUAL_FATAL(e[0].state_count, 7);
    for (int i = 0; i < 7; i++)
        CU_ASSERT_EQUAL(e[0].states[i], path[i]);
    CU_ASSERT_EQUAL(e[1].kind, EXPECT_STATE_AT);
    CU_ASSERT_EQUAL(e[1].at, 1500 * MS);
    CU_ASSERT_EQUAL(e[1].host, 0);
    CU_ASSERT_EQUAL(e[1].state, TCP_SYN_SENT);
    CU_ASSERT_STRING_EQUAL(e[1].text, "expect   at 1.5s client state SYN_SENT");

    CU_ASSERT_EQUAL(s->run.until, 5 * MIN);
    CU_ASSERT_EQUAL(s->run.seed, 1);
    CU_ASSERT_EQUAL(s->run.reps, 1);
    CU_ASSERT_EQUAL(s->param_count, 0);
    scenario_free(s);
}

static void test_sha256_of_file_and_string_agree(void)
{
    char path[] = "/tmp/test_scenario_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(design_example, 1, strlen(design_example), f);
    fclose(f);
    struct scenario_error err;
    struct scenario *from_file = scenario_parse_file(path, &err);
    struct scenario *from_string = parse(design_example);
    remove(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(from_file);
    CU_ASSERT_PTR_NOT_NULL_FATAL(from_string);
    CU_ASSERT_STRING_EQUAL(from_file->sha256, design_example_sha256);
    CU_ASSERT_STRING_EQUAL(from_string->sha256, design_example_sha256);
    CU_ASSERT_STRING_EQUAL(from_file->file, path);
    scenario_free(from_file);
    scenario_free(from_string);

    CU_ASSERT_PTR_NULL(scenario_parse_file("/nonexistent/dir/x.tcpsim", &err));
    CU_ASSERT_EQUAL(err.line, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "cannot open"));
}

/* ---- units ---- */

static void test_durations(void)
{
    static const struct { const char *text; sim_time ns; } good[] = {
        {"20ms", 20 * MS}, {"1.5s", 1500 * MS}, {"2min", 2 * MIN}, {"0", 0}, {"0s", 0},
        {"7ns", 7}, {"3us", 3000}, {"0.25ms", 250000}, {"1.000000001s", 1000000001},
        {"0.5min", 30 * S}, {"9223372036854775807ns", INT64_MAX}, {"4.1min", 246 * S},
    };
    static const char *const bad[] = {
        "5", "1.5", "-5ms", "5sec", "", "ms", "1e3ms", "0.5ns", "1.0000000001s",
        "10000000000s", "9223372036854775808ns", "1.s", ".5s", "5 ms", "+5ms", "5MS",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        sim_time t = -1;
        CU_ASSERT_EQUAL(scenario_parse_duration(good[i].text, &t), 0);
        CU_ASSERT_EQUAL(t, good[i].ns);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sim_time t;
        CU_ASSERT_EQUAL(scenario_parse_duration(bad[i], &t), -1);
    }
}

static void test_probabilities_sizes_rates(void)
{
    double p = -1;
    CU_ASSERT_EQUAL(scenario_parse_probability("0.05", &p), 0);
    CU_ASSERT_EQUAL(p, 0.05);
    CU_ASSERT_EQUAL(scenario_parse_probability("5%", &p), 0);
    CU_ASSERT_EQUAL(p, 0.05);
    CU_ASSERT_EQUAL(scenario_parse_probability("0.3%", &p), 0);
    CU_ASSERT_EQUAL(p, 0.003);
    CU_ASSERT_EQUAL(scenario_parse_probability("1", &p), 0);
    CU_ASSERT_EQUAL(p, 1.0);
    CU_ASSERT_EQUAL(scenario_parse_probability("100%", &p), 0);
    CU_ASSERT_EQUAL(p, 1.0);
    CU_ASSERT_EQUAL(scenario_parse_probability("0", &p), 0);
    CU_ASSERT_EQUAL(p, 0.0);
    CU_ASSERT_EQUAL(scenario_parse_probability("1.01", &p), -1);
    CU_ASSERT_EQUAL(scenario_parse_probability("100.5%", &p), -1);
    CU_ASSERT_EQUAL(scenario_parse_probability("-0.1", &p), -1);
    CU_ASSERT_EQUAL(scenario_parse_probability("5 %", &p), -1);
    CU_ASSERT_EQUAL(scenario_parse_probability("half", &p), -1);

    uint64_t v = 0;
    CU_ASSERT_EQUAL(scenario_parse_size("1000B", &v), 0);
    CU_ASSERT_EQUAL(v, 1000);
    CU_ASSERT_EQUAL(scenario_parse_size("64KB", &v), 0);
    CU_ASSERT_EQUAL(v, 64000);
    CU_ASSERT_EQUAL(scenario_parse_size("1MB", &v), 0);
    CU_ASSERT_EQUAL(v, 1000000);
    CU_ASSERT_EQUAL(scenario_parse_size("1.5KiB", &v), 0);
    CU_ASSERT_EQUAL(v, 1536);
    CU_ASSERT_EQUAL(scenario_parse_size("2MiB", &v), 0);
    CU_ASSERT_EQUAL(v, 2097152);
    CU_ASSERT_EQUAL(scenario_parse_size("9007199254740992B", &v), 0);
    CU_ASSERT_EQUAL(v, (uint64_t)1 << 53);
    CU_ASSERT_EQUAL(scenario_parse_size("9007199254740993B", &v), -1);
    CU_ASSERT_EQUAL(scenario_parse_size("1000", &v), -1);
    CU_ASSERT_EQUAL(scenario_parse_size("0.5B", &v), -1);
    CU_ASSERT_EQUAL(scenario_parse_size("1kb", &v), -1);

    CU_ASSERT_EQUAL(scenario_parse_rate("10Mbps", &v), 0);
    CU_ASSERT_EQUAL(v, 10000000);
    CU_ASSERT_EQUAL(scenario_parse_rate("1.5Gbps", &v), 0);
    CU_ASSERT_EQUAL(v, 1500000000);
    CU_ASSERT_EQUAL(scenario_parse_rate("64kbps", &v), 0);
    CU_ASSERT_EQUAL(v, 64000);
    CU_ASSERT_EQUAL(scenario_parse_rate("10", &v), -1);
    CU_ASSERT_EQUAL(scenario_parse_rate("10Mb", &v), -1);
    CU_ASSERT_EQUAL(scenario_parse_rate("0.5bps", &v), -1);
}

/* ---- errors: the right line, the right column, a useful message ---- */

struct error_case {
    const char *text;      /* appended to two_hosts (lines 1-2) unless it starts with '!' */
    int line, column;
    const char *message;   /* a substring of the message */
};

static const struct error_case error_cases[] = {
    {"lnk delay=5ms\n", 3, 1, "unknown directive 'lnk'; did you mean 'link'?"},
    {"link dely=5ms\n", 3, 6, "unknown key 'dely' for link; did you mean 'delay'?"},
    {"link delay=5\n", 3, 12, "delay=5: needs a unit"},
    {"link delay=-5ms\n", 3, 12, "cannot be negative"},
    {"link delay=99999999999s\n", 3, 12, "too large"},
    {"link loss=1.5\n", 3, 11, "loss=1.5: is above 1"},
    {"link loss=150%\n", 3, 11, "above 100%"},
    {"link duplicate=-1%\n", 3, 16, "cannot be negative"},
    {"link jitter=normal(0,2)\n", 3, 22, "'2' needs a unit"},
    {"link loss=gilbert(1%,30%,0)\n", 3, 11, "gilbert() takes 4 arguments, not 3"},
    {"link delay=5ms delay=6ms\n", 3, 16, "'delay' is given twice"},
    {"link client->nobody delay=5ms\n", 3, 14, "unknown host 'nobody'"},
    {"link client->client delay=5ms\n", 3, 6, "two different hosts"},
    {"  host client addr=10.0.0.3\n", 3, 8, "already declared on line 1"},
    {"host third addr=10.0.0.3\n", 3, 6, "exactly two hosts"},
    {"!host client addr=10.0.0.1\n", 0, 0, "needs two hosts"},
    {"!host client\nhost server addr=10.0.0.2\n", 1, 12, "needs addr="},
    {"!host client addr=10.0.0.256\nhost server addr=10.0.0.2\n", 1, 18, "not an IPv4 address"},
    {"!host client addr=10.0.0.0/7\nhost server addr=10.0.0.2\n", 1, 18, "prefix outside 8..32"},
    {"!host client addr=10.1.0.5/16\nhost server addr=10.0.0.2\n", 1, 18, "host bits"},
    {"!host client addr=10.0.0.0/16\nhost server addr=10.0.0.2\n", 2, 13, "overlap"},
    {"!host link addr=10.0.0.1\nhost server addr=10.0.0.2\n", 1, 6, "reserved"},
    {"!host client addr=10.0.0.1 rto_intial=1s\nhost server addr=10.0.0.2\n", 1, 27,
     "did you mean 'rto_initial'?"},
    {"!host client addr=10.0.0.1 ports=40000-70000\nhost server addr=10.0.0.2\n", 1, 33, "port range"},
    {"!host client addr=10.0.0.1 isn=4294967296\nhost server addr=10.0.0.2\n", 1, 31, "isn="},
    {"!host client addr=10.0.0.1 profile=bsd\nhost server addr=10.0.0.2\n", 1, 35, "unknown profile"},
    {"!host client addr=10.0.0.1 rto_min=2min\nhost server addr=10.0.0.2\n", 1, 27, "above rto_max"},
    {"!host client addr=10.0.0.1 mss=1460\nhost server addr=10.0.0.2\n", 1, 31, "needs a unit"},
    {"!host client addr=10.0.0.1 rcv_buf=100KB\nhost server addr=10.0.0.2\n", 1, 35, "at most 65535B"},
    {"at 1s client connect srv:80\n", 3, 22, "unknown host 'srv'"},
    {"at 1s client connect server:70000\n", 3, 29, "port 70000"},
    {"at 1s client connect server:0\n", 3, 29, "port 0"},
    {"at 1s client connect client:80\n", 3, 22, "cannot connect to itself"},
    {"at 1s client connect\n", 3, 21, "missing PEER:PORT"},
    {"at 1s client lissen 80\n", 3, 14, "did you mean 'listen'?"},
    {"at 1s nobody listen 80\n", 3, 7, "unknown host 'nobody'"},
    {"at -1s client close\n", 3, 4, "cannot be negative"},
    {"at 11min client close\n", 3, 4, "after the end of the run"},
    {"at 2min client close\nrun until=1min\n", 3, 4, "after the end of the run (run until=1min)"},
    {"at 1s client send 0B\n", 3, 19, "at least 1B"},
    {"at 1s client close conn=0\n", 3, 25, "conn=0"},
    {"at 1s client close now=1\n", 3, 20, "unknown key 'now' for close"},
    {"at 1s server listen 80 backlog=0\n", 3, 32, "backlog=0"},
    {"at 1s client shutdown wrr\n", 3, 23, "'shutdown' takes wr|rd|rdwr, not 'wrr'"},
    {"at 1s client shutdown wr now=1\n", 3, 26, "unknown key 'now' for shutdown"},
    {"at 1s client read\n", 3, 18, "missing off|on after 'read'"},
    {"at 1s client read of\n", 3, 19, "did you mean 'off'?"},
    {"at 1s client setsockopt\n", 3, 24, "missing an option after 'setsockopt'"},
    {"at 1s client setsockopt linger=500ms\n", 3, 32, "must be whole seconds"},
    {"at 1s client setsockopt nodelay=1\n", 3, 33, "nodelay=1: must be on or off"},
    {"at 1s client setsockopt nodely=on\n", 3, 25, "did you mean 'nodelay'?"},
    {"at 1s client connect server:80 linger=soon\n", 3, 39, "linger=soon"},
    {"at 1s client connect server:80 user_timeout=1500us\n", 3, 45, "whole milliseconds"},
    {"at 1s client connect server:80 user_timeout=40000min\n", 3, 45, "too long"},
    {"at 1s client setsockopt rcvbuf=100000B\n", 3, 32, "at most 65535B"},
    {"at 1s server listen 80 rcvbuf=1000B\n", 3, 31, "at least 2048B"},
    {"at 1s server listen 80 sndbuf=1000B\n", 3, 31, "at least 2048B"},
    {"at 1s client setsockopt sndbuf=2GB\n", 3, 32, "at most 1073741824B"},
    {"at 1s server listen 80 user_timeout=5\n", 3, 37, "user_timeout=5"},
    {"expect client connect result=ECONREFUSED\n", 3, 30, "did you mean 'ECONNREFUSED'?"},
    {"expect client connect\n", 3, 22, "missing result=ok or result=ERRNO"},
    {"expect client send result=EPIPE conn=0\n", 3, 38, "conn=0"},
    {"drop client SYNACK #1\n", 3, 13, "unknown segment kind"},
    {"drop client SYN #0\n", 3, 17, "count from #1"},
    {"drop client SYN #3-1\n", 3, 17, "N <= M"},
    {"drop client SYN from=2s until=1s\n", 3, 25, "until= must be later"},
    {"expect client path CLOSED SYN_SNT\n", 3, 27, "unknown state 'SYN_SNT'"},
    {"expect client path CLOSED ESTABLISEHD\n", 3, 27, "did you mean ESTABLISHED?"},
    {"drop client FIN#1\n", 3, 16, "write 'FIN #1'"},
    {"drop client FIN # 1\n", 3, 17, "would act on every FIN; write 'FIN #1'"},
    {"delay client DATA #1\n", 3, 21, "delay needs by=TIME"},
    {"delay client DATA #1 by=0s\n", 3, 25, "more than 0"},
    {"delay client DATA #1 after=1s\n", 3, 22, "unknown key 'after' for delay"},
    {"duplicate client DATA #1 by=1s\n", 3, 26, "unknown key 'by' for duplicate"},
    {"corrupt client DATA #0\n", 3, 21, "count from #1"},
    {"corrupt nobody DATA\n", 3, 9, "unknown host 'nobody'"},
    {"dely client DATA #1 by=1s\n", 3, 1, "did you mean 'delay'?"},
    {"at 1s client inject RTS\n", 3, 21, "unknown flag 'RTS'"},
    {"at 1s client inject RST|ACK|RST\n", 3, 29, "flag 'RST' is given twice"},
    {"at 1s client inject\n", 3, 20, "missing FLAGS after 'inject'"},
    {"at 1s client inject RST seq=snd.nxtt\n", 3, 29, "is not a number or snd.nxt"},
    {"at 1s client inject RST seq=4294967296\n", 3, 29, "is not a number"},
    {"at 1s client inject RST ack=rcv.nxt+x\n", 3, 29, "is not a number"},
    {"at 1s client inject RST len=70000B\n", 3, 29, "len="},
    {"at 1s client inject RST wnd=65536\n", 3, 29, "wnd="},
    {"at 1s client inject RST to=0\n", 3, 28, "to=0: is out of range"},
    {"at 1s client inject RST window=5\n", 3, 25, "unknown key 'window' for inject"},
    {"expect server sends\n", 3, 20, "missing FLAGS after 'sends'"},
    {"expect server sends AKC\n", 3, 21, "unknown flag 'AKC'"},
    {"expect server sends ACK seq=snd\n", 3, 29, "is not a number"},
    {"expect server sends ACK at\n", 3, 27, "missing a time after 'at'"},
    {"expect server sends ACK tolerance=1ms\n", 3, 25, "tolerance= applies only with 'at TIME'"},
    {"expect server sends ACK #1-2\n", 3, 25, "expect one segment"},
    {"expect server sends ACK soon\n", 3, 25, "expected 'at TIME', '#N' or KEY=VALUE"},
    {"expect server sends ACK from=1s\n", 3, 25, "unknown key 'from'"},
    {"expect server sends no ACK seq=1\n", 3, 28, "unknown key 'seq'"},
    {"expect server sends no ACK at 1s\n", 3, 28, "expected KEY=VALUE"},
    {"expect server sends no ACK from=2s until=1s\n", 3, 36, "until= must be later"},
    {"expect server sends ACK at 11min\n", 3, 28, "after the end of the run"},
    {"expect client retransmissions => 1\n", 3, 31, "expected a comparison"},
    {"expect client retransmissions = 1x\n", 3, 33, "value 1x"},
    {"expect client packets = 1\n", 3, 15, "expected path, a counter"},
    {"expect client state SYN_SENT\n", 3, 15, "needs a time"},
    {"expect client established > 5 tolerance=1\n", 3, 31, "tolerance= applies only to '='"},
    {"expect client resets at 5s = 1\n", 3, 22, "applies only to 'connections in STATE'"},
    {"workload client->server:80 count=10 rate=100/s interval=1s\n", 3, 48, "not both"},
    {"workload client->server:80 count=10\n", 3, 36, "needs rate="},
    {"workload client->server:80 count=10 rate=100\n", 3, 42, "/s or /min"},
    {"workload client->server:80 count=10 rate=1/s server_close=later\n", 3, 59, "after-fin"},
    {"workload client-server:80 count=10 rate=1/s\n", 3, 10, "CLIENT->SERVER:PORT"},
    {"run until=0s\n", 3, 11, "more than 0"},
    {"run reps=0\n", 3, 10, "reps=0"},
    {"run seed=18446744073709551616\n", 3, 10, "too large"},
    {"run until=1min\nrun seed=2\n", 4, 1, "run is given twice"},
    {"scenario x \"unterminated\n", 3, 12, "unterminated string"},
    {"scenario x \"bad \\n escape\"\n", 3, 17, "unknown escape"},
    {"scenario x description\n", 3, 12, "double-quoted"},
    {"link delay=5ms\x01\n", 3, 15, "control character 0x01"},
    {"link delay=5ms\r\r\n", 3, 15, "control character 0x0D"},
    {"# caf\xc3\xa9 \xff\n", 3, 8, "invalid UTF-8"},
    {"# \xc3\xa9\xc3\xa9\n\xc3\xa9\xc3\xa9 x=1\n", 4, 1, "unknown directive"},
    {"scenario x \"\xc3\xa9\" extra\n", 3, 16, "unexpected 'extra'"},
};

static void check_error_case(const struct error_case *c)
{
    char text[8192];
    struct scenario_error err;
    if (c->text[0] == '!')
        snprintf(text, sizeof text, "%s", c->text + 1);
    else
        snprintf(text, sizeof text, "%s%s", two_hosts, c->text);
    memset(&err, 0x5A, sizeof err);
    struct scenario *s = scenario_parse_string(text, strlen(text), "case.tcpsim", &err);
    CU_ASSERT_PTR_NULL(s);
    scenario_free(s);
    bool ok = err.line == c->line && err.column == c->column && strstr(err.message, c->message)
              && strcmp(err.file, "case.tcpsim") == 0;
    if (!ok)
        fprintf(stderr, "\ncase %s-> got %d:%d: %s (wanted %d:%d: ...%s...)\n", c->text, err.line, err.column,
                err.message, c->line, c->column, c->message);
    CU_ASSERT_TRUE(ok);
}

static void test_errors_name_line_and_column(void)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
        check_error_case(&error_cases[i]);
}

static void test_error_format(void)
{
    struct scenario_error err;
    char buf[700];
    const char *text = "host client addr=10.0.0.1\nhost server addr=10.0.0.2\nlink loss=2\n";
    CU_ASSERT_PTR_NULL(scenario_parse_string(text, strlen(text), "lossy.tcpsim", &err));
    scenario_error_format(&err, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "lossy.tcpsim:3:11: loss=2: is above 1 (write 0.05 or 5%)");
    CU_ASSERT_PTR_NULL(scenario_parse_string("", 0, "empty.tcpsim", &err));
    scenario_error_format(&err, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "empty.tcpsim: a scenario needs two hosts, the two ends of the link (found 0)");
}

static void test_long_lines_and_odd_bytes(void)
{
    size_t size = 5000;
    char *text = malloc(size + 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    int n = snprintf(text, 200, "%s# ", two_hosts);
    memset(text + n, 'x', size);
    strcpy(text + n + size, "\nrun until=1min\n");
    struct scenario_error err;
    CU_ASSERT_PTR_NULL(scenario_parse_string(text, strlen(text), "long.tcpsim", &err));
    CU_ASSERT_EQUAL(err.line, 3);
    CU_ASSERT_EQUAL(err.column, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "longer than 4096 bytes"));

    /* Exactly SCENARIO_LINE_MAX bytes is still fine. */
    n = snprintf(text, 200, "%s# ", two_hosts);
    memset(text + n, 'x', SCENARIO_LINE_MAX - 2);
    strcpy(text + n + SCENARIO_LINE_MAX - 2, "\n");
    struct scenario *s = scenario_parse_string(text, strlen(text), "edge.tcpsim", &err);
    CU_ASSERT_PTR_NOT_NULL(s);
    scenario_free(s);
    free(text);

    static const char nul[] = "host client addr=10.0.0.1\nhost server\0 addr=10.0.0.2\n";
    CU_ASSERT_PTR_NULL(scenario_parse_string(nul, sizeof nul - 1, "nul.tcpsim", &err));
    CU_ASSERT_EQUAL(err.line, 2);
    CU_ASSERT_EQUAL(err.column, 12);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "NUL"));

    /* CRLF line ends and a UTF-8 byte order mark are accepted. */
    static const char crlf[] = "\xEF\xBB\xBFhost client addr=10.0.0.1\r\nhost server addr=10.0.0.2\r\n";
    s = scenario_parse_string(crlf, sizeof crlf - 1, "crlf.tcpsim", &err);
    CU_ASSERT_PTR_NOT_NULL(s);
    scenario_free(s);
}

/* ---- comments, strings, populations, profiles ---- */

static void test_fault_rules_beyond_drop(void)
{
    struct scenario *s = parse_with_hosts(
        "delay client DATA #2 by=200ms\n"
        "duplicate server ACK #1 after=5ms conn=2\n"
        "corrupt client FIN from=1s\n"
        "drop client SYN #1\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->drop_count, 4);
    CU_ASSERT_EQUAL(s->drops[0].rule.action, FAULT_DELAY);
    CU_ASSERT_EQUAL(s->drops[0].rule.by, 200 * MS);
    CU_ASSERT_EQUAL(s->drops[0].rule.nth_first, 2);
    CU_ASSERT_EQUAL(s->drops[0].rule.line, 3);
    CU_ASSERT_EQUAL(s->drops[1].rule.action, FAULT_DUPLICATE);
    CU_ASSERT_EQUAL(s->drops[1].rule.by, 5 * MS);
    CU_ASSERT_EQUAL(s->drops[1].rule.conn_id, 2);
    CU_ASSERT_EQUAL(s->drops[1].rule.direction, 1);
    CU_ASSERT_EQUAL(s->drops[2].rule.action, FAULT_CORRUPT);
    CU_ASSERT_EQUAL(s->drops[2].rule.from, 1 * S);
    CU_ASSERT_EQUAL(s->drops[2].rule.nth_first, 0);
    CU_ASSERT_EQUAL(s->drops[3].rule.action, FAULT_DROP);
    CU_ASSERT_STRING_EQUAL(s->drops[0].text, "delay client DATA #2 by=200ms");
    scenario_free(s);
}

static void test_inject_and_expect_sends(void)
{
    struct scenario *s = parse_with_hosts(
        "at 1s client inject RST|ACK seq=snd.nxt+100 ack=rcv.nxt-1 len=10B wnd=0 conn=2 to=81 port=4000\n"
        "at 2s client inject SYN\n"
        "expect server sends ACK seq=5001 ack=rcv.nxt at 1.05s tolerance=2ms #2 conn=1\n"
        "expect server sends no RST|ACK from=1s until=2s\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->action_count, 2);
    const struct scenario_inject *in = &s->actions[0].inject;
    CU_ASSERT_EQUAL(s->actions[0].kind, ACTION_INJECT);
    CU_ASSERT_EQUAL(in->flags, TCP_FLAG_RST | TCP_FLAG_ACK);
    CU_ASSERT_TRUE(in->seq.given);
    CU_ASSERT_EQUAL(in->seq.base, SEQ_SND_NXT);
    CU_ASSERT_EQUAL(in->seq.offset, 100);
    CU_ASSERT_EQUAL(in->ack.base, SEQ_RCV_NXT);
    CU_ASSERT_EQUAL(in->ack.offset, -1);
    CU_ASSERT_EQUAL(in->len, 10);
    CU_ASSERT_EQUAL(in->wnd, 0);
    CU_ASSERT_EQUAL(s->actions[0].conn, 2);
    CU_ASSERT_EQUAL(in->to_port, 81);
    CU_ASSERT_EQUAL(in->local_port, 4000);
    CU_ASSERT_FALSE(s->actions[1].inject.seq.given);
    CU_ASSERT_EQUAL(s->actions[1].inject.wnd, -1);
    CU_ASSERT_EQUAL_FATAL(s->expect_count, 2);
    const struct scenario_expect *e = &s->expects[0];
    CU_ASSERT_EQUAL(e->kind, EXPECT_SENDS);
    CU_ASSERT_EQUAL(e->host, 1);
    CU_ASSERT_EQUAL(e->sends.flags, TCP_FLAG_ACK);
    CU_ASSERT_EQUAL(e->sends.seq.base, SEQ_NUMBER);
    CU_ASSERT_EQUAL(e->sends.seq.offset, 5001);
    CU_ASSERT_EQUAL(e->sends.ack.base, SEQ_RCV_NXT);
    CU_ASSERT_EQUAL(e->sends.len, -1);
    CU_ASSERT_EQUAL(e->at, 1050 * MS);
    CU_ASSERT_EQUAL(e->sends.tolerance, 2 * MS);
    CU_ASSERT_EQUAL(e->sends.nth, 2);
    CU_ASSERT_EQUAL(e->conn, 1);
    e = &s->expects[1];
    CU_ASSERT_EQUAL(e->kind, EXPECT_SENDS_NO);
    CU_ASSERT_EQUAL(e->sends.flags, TCP_FLAG_RST | TCP_FLAG_ACK);
    CU_ASSERT_EQUAL(e->sends.from, 1 * S);
    CU_ASSERT_EQUAL(e->sends.until, 2 * S);
    scenario_free(s);
}

static void test_comments_and_quoted_strings(void)
{
    struct scenario *s = parse_with_hosts(
        "# a whole-line comment with \"quotes and # hashes\"\n"
        "scenario quotes \"a # is not a comment here; \\\"quoted\\\" and a \\\\ backslash\"   # but this is\n"
        "   \t \n"
        "drop client SYN #2 # the second SYN, then a comment\n"
        "drop server segment #comment after a blank\n"
        "run until=1min #a blank before it\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s->description, "a # is not a comment here; \"quoted\" and a \\ backslash");
    CU_ASSERT_EQUAL_FATAL(s->drop_count, 2);
    CU_ASSERT_EQUAL(s->drops[0].rule.nth_first, 2);
    CU_ASSERT_EQUAL(s->drops[0].rule.nth_last, 2);
    CU_ASSERT_STRING_EQUAL(s->drops[0].text, "drop client SYN #2");
    CU_ASSERT_EQUAL(s->drops[1].rule.kind, SEGKIND_ANY);
    CU_ASSERT_EQUAL(s->drops[1].rule.direction, 1);
    CU_ASSERT_EQUAL(s->drops[1].rule.nth_first, 0);
    CU_ASSERT_EQUAL(s->run.until, 1 * MIN);
    scenario_free(s);
}

static void test_population_owns_its_block(void)
{
    struct scenario *s = parse("host clients addr=10.1.0.0/16 isn=random\n"
                               "host server addr=10.0.0.2 isn=rfc6528 ports=1024-65535\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->hosts[0].config.addr, 0x0A010000u);
    CU_ASSERT_EQUAL(s->hosts[0].config.addr_count, 65536);
    CU_ASSERT_EQUAL(s->hosts[0].config.isn_mode, TCP_ISN_RANDOM);
    CU_ASSERT_EQUAL(s->hosts[1].config.addr_count, 1);
    CU_ASSERT_EQUAL(s->hosts[1].config.isn_mode, TCP_ISN_RFC6528);
    CU_ASSERT_EQUAL(s->hosts[1].config.ephemeral_low, 1024);
    CU_ASSERT_EQUAL(s->hosts[1].config.ephemeral_high, 65535);
    scenario_free(s);

    s = parse("host a addr=10.0.0.0/8\nhost b addr=192.168.1.1/32\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->hosts[0].config.addr_count, 1u << 24);
    CU_ASSERT_EQUAL(s->hosts[1].config.addr, 0xC0A80101u);
    CU_ASSERT_EQUAL(s->hosts[1].config.addr_count, 1);
    scenario_free(s);
}

static void test_profile_applies_before_other_fields(void)
{
    struct scenario *s = parse("host client addr=10.0.0.1 rto_initial=3s syn_retries=unlimited profile=linux "
                               "fin_wait_2_timeout=none rfc1337=yes mss=536B\n"
                               "host server addr=10.0.0.2 msl=30s\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const struct tcp_profile *c = &s->hosts[0].config.profile, *v = &s->hosts[1].config.profile;
    CU_ASSERT_STRING_EQUAL(c->name, "linux");
    CU_ASSERT_EQUAL(c->rto_initial, 3 * S);         /* written before profile=, still applied after it */
    CU_ASSERT_EQUAL(c->syn_retries, -1);
    CU_ASSERT_EQUAL(c->rto_min, 200 * MS);          /* the rest is linux */
    CU_ASSERT_EQUAL(c->synack_retries, 5);
    CU_ASSERT_EQUAL(c->fin_wait_2_timeout, 0);
    CU_ASSERT_TRUE(c->rfc1337);
    CU_ASSERT_EQUAL(c->mss, 536);
    CU_ASSERT_EQUAL(v->msl, 30 * S);                /* msl alone: time_wait follows as 2*MSL */
    CU_ASSERT_EQUAL(v->time_wait, 60 * S);
    scenario_free(s);

    /* time_wait given on the same line wins, whatever the order. */
    s = parse("host client addr=10.0.0.1 time_wait=10s msl=1min\nhost server addr=10.0.0.2 msl=1min time_wait=0\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->hosts[0].config.profile.msl, 1 * MIN);
    CU_ASSERT_EQUAL(s->hosts[0].config.profile.time_wait, 10 * S);
    CU_ASSERT_EQUAL(s->hosts[1].config.profile.time_wait, 0);
    scenario_free(s);
}

/* ---- the rest of the language ---- */

static void test_link_settings(void)
{
    struct scenario *s = parse_with_hosts(
        "link delay=1ms rate=1Gbps queue=100 duplicate=1% corrupt=0.5% reorder=yes header=52B\n"
        "link loss=gilbert(1%,30%,0,50%)\n"
        "link server->client loss=0.02 jitter=uniform(0,3ms) delay=2ms rate=unlimited\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const struct link_direction_config *up = &s->link[0], *down = &s->link[1];
    CU_ASSERT_EQUAL(up->delay, 1 * MS);
    CU_ASSERT_EQUAL(up->rate_bps, 1000000000u);
    CU_ASSERT_EQUAL(up->queue_limit, 100);
    CU_ASSERT_EQUAL(up->duplicate, 0.01);
    CU_ASSERT_EQUAL(up->corrupt, 0.005);
    CU_ASSERT_TRUE(up->reorder);
    CU_ASSERT_EQUAL(up->header_bytes, 52);
    CU_ASSERT_EQUAL(up->loss_model, LOSS_GILBERT_ELLIOTT);
    CU_ASSERT_EQUAL(up->ge_good_to_bad, 0.01);
    CU_ASSERT_EQUAL(up->ge_bad_to_good, 0.3);
    CU_ASSERT_EQUAL(up->ge_loss_good, 0.0);
    CU_ASSERT_EQUAL(up->ge_loss_bad, 0.5);
    CU_ASSERT_FALSE(up->has_jitter);
    CU_ASSERT_EQUAL(down->delay, 2 * MS);
    CU_ASSERT_EQUAL(down->rate_bps, 0);
    CU_ASSERT_EQUAL(down->loss_model, LOSS_BERNOULLI);
    CU_ASSERT_EQUAL(down->loss, 0.02);
    CU_ASSERT_TRUE(down->has_jitter);
    CU_ASSERT_EQUAL(down->jitter.kind, DIST_UNIFORM);
    CU_ASSERT_EQUAL(down->jitter.b, 3e6);
    CU_ASSERT_EQUAL(down->queue_limit, 100);        /* set for both directions before */
    scenario_free(s);
}

static void test_actions_sorted_stably(void)
{
    struct scenario *s = parse_with_hosts("at 2s client close conn=2\n"
                                          "at 1s server listen 8080 backlog=5\n"
                                          "at 2s client abort\n"
                                          "at 1s client connect server:8080 port=40000\n"
                                          "at 0.5s server unlisten 9\n"
                                          "at 2s client send 1.5KB conn=1\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->action_count, 6);
    static const enum scenario_action_kind order[] = {ACTION_UNLISTEN, ACTION_LISTEN, ACTION_CONNECT,
                                                      ACTION_CLOSE, ACTION_ABORT, ACTION_SEND};
    static const int lines[] = {7, 4, 6, 3, 5, 8};
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(s->actions[i].kind, order[i]);
        CU_ASSERT_EQUAL(s->actions[i].line, lines[i]);
    }
    CU_ASSERT_EQUAL(s->actions[0].port, 9);
    CU_ASSERT_EQUAL(s->actions[1].backlog, 5);
    CU_ASSERT_EQUAL(s->actions[2].local_port, 40000);
    CU_ASSERT_EQUAL(s->actions[2].port, 8080);
    CU_ASSERT_EQUAL(s->actions[3].conn, 2);
    CU_ASSERT_EQUAL(s->actions[5].bytes, 1500);
    CU_ASSERT_EQUAL(s->actions[5].conn, 1);
    scenario_free(s);
}

static void test_socket_calls_and_their_expectations(void)
{
    struct scenario *s = parse_with_hosts("at 1s client shutdown\n"
                                          "at 1s client shutdown rd conn=2\n"
                                          "at 1s client shutdown rdwr\n"
                                          "at 2s server read off\n"
                                          "at 3s server read on conn=1\n"
                                          "at 4s client setsockopt linger=0 conn=1\n"
                                          "at 5s client connect server:80 linger=0\n"
                                          "expect client connect result=ECONNREFUSED\n"
                                          "expect server send result=ok conn=2\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->action_count, 7);
    CU_ASSERT_EQUAL(s->actions[0].kind, ACTION_SHUTDOWN);
    CU_ASSERT_EQUAL(s->actions[0].how, SHUTDOWN_WR);
    CU_ASSERT_EQUAL(s->actions[1].how, SHUTDOWN_RD);
    CU_ASSERT_EQUAL(s->actions[1].conn, 2);
    CU_ASSERT_EQUAL(s->actions[2].how, SHUTDOWN_RDWR);
    CU_ASSERT_EQUAL(s->actions[3].kind, ACTION_READ);
    CU_ASSERT_FALSE(s->actions[3].on);
    CU_ASSERT_TRUE(s->actions[4].on);
    CU_ASSERT_EQUAL(s->actions[4].conn, 1);
    CU_ASSERT_EQUAL(s->actions[5].kind, ACTION_SETSOCKOPT);
    CU_ASSERT_TRUE(scenario_linger_abort(&s->actions[5].opts));
    CU_ASSERT_EQUAL(s->actions[6].kind, ACTION_CONNECT);
    CU_ASSERT_TRUE(scenario_linger_abort(&s->actions[6].opts));
    CU_ASSERT_EQUAL_FATAL(s->expect_count, 2);
    CU_ASSERT_EQUAL(s->expects[0].kind, EXPECT_CALL);
    CU_ASSERT_EQUAL(s->expects[0].call, TCP_CALL_CONNECT);
    CU_ASSERT_EQUAL(s->expects[0].result, TCP_RESULT_ECONNREFUSED);
    CU_ASSERT_EQUAL(s->expects[1].host, 1);
    CU_ASSERT_EQUAL(s->expects[1].call, TCP_CALL_SEND);
    CU_ASSERT_EQUAL(s->expects[1].result, TCP_RESULT_OK);
    CU_ASSERT_EQUAL(s->expects[1].conn, 2);
    scenario_free(s);
}

static void test_drops_and_expectations(void)
{
    struct scenario *s = parse_with_hosts(
        "drop client SYN #1-3\n"
        "drop client segment from=1s until=2s\n"
        "drop client FIN #1 conn=2\n"
        "drop server syn|ack\n"
        "expect client retransmissions = 1\n"
        "expect server connections in TIME_WAIT at 30s = 100 tolerance=5\n"
        "expect client established >= 990\n"
        "expect server bytes_received != 2KB\n"
        "expect at 1.5s server state syn-received conn=3\n"
        "expect server path LISTEN SYN_RECEIVED conn=2\n"
        "expect client lost < 0.5\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->drop_count, 4);
    CU_ASSERT_EQUAL(s->drops[0].rule.nth_first, 1);
    CU_ASSERT_EQUAL(s->drops[0].rule.nth_last, 3);
    CU_ASSERT_EQUAL(s->drops[1].rule.kind, SEGKIND_ANY);
    CU_ASSERT_EQUAL(s->drops[1].rule.from, 1 * S);
    CU_ASSERT_EQUAL(s->drops[1].rule.until, 2 * S);
    CU_ASSERT_EQUAL(s->drops[1].rule.nth_first, 0);
    CU_ASSERT_EQUAL(s->drops[2].rule.kind, SEGKIND_FIN);
    CU_ASSERT_EQUAL(s->drops[2].rule.conn_id, 2);
    CU_ASSERT_EQUAL(s->drops[3].rule.kind, SEGKIND_SYN_ACK);
    CU_ASSERT_EQUAL(s->drops[3].rule.direction, 1);

    CU_ASSERT_EQUAL_FATAL(s->expect_count, 7);
    const struct scenario_expect *e = s->expects;
    CU_ASSERT_EQUAL(e[0].kind, EXPECT_COUNT);
    CU_ASSERT_EQUAL(e[0].counter, COUNT_RETRANSMISSIONS);
    CU_ASSERT_EQUAL(e[0].op, OP_EQ);
    CU_ASSERT_EQUAL(e[0].value, 1.0);
    CU_ASSERT_EQUAL(e[0].at, -1);
    CU_ASSERT_EQUAL(e[1].counter, COUNT_IN_STATE);
    CU_ASSERT_EQUAL(e[1].host, 1);
    CU_ASSERT_EQUAL(e[1].state, TCP_TIME_WAIT);
    CU_ASSERT_EQUAL(e[1].at, 30 * S);
    CU_ASSERT_EQUAL(e[1].value, 100.0);
    CU_ASSERT_EQUAL(e[1].tolerance, 5.0);
    CU_ASSERT_EQUAL(e[2].counter, COUNT_ESTABLISHED);
    CU_ASSERT_EQUAL(e[2].op, OP_GE);
    CU_ASSERT_EQUAL(e[2].value, 990.0);
    CU_ASSERT_EQUAL(e[3].counter, COUNT_BYTES_RECEIVED);
    CU_ASSERT_EQUAL(e[3].op, OP_NE);
    CU_ASSERT_EQUAL(e[3].value, 2000.0);
    CU_ASSERT_EQUAL(e[4].kind, EXPECT_STATE_AT);
    CU_ASSERT_EQUAL(e[4].state, TCP_SYN_RECEIVED);
    CU_ASSERT_EQUAL(e[4].conn, 3);
    CU_ASSERT_EQUAL(e[5].kind, EXPECT_PATH);
    CU_ASSERT_EQUAL(e[5].state_count, 2);
    CU_ASSERT_EQUAL(e[5].conn, 2);
    CU_ASSERT_EQUAL(e[6].counter, COUNT_SEGMENTS_LOST);
    CU_ASSERT_EQUAL(e[6].op, OP_LT);
    CU_ASSERT_EQUAL(e[6].value, 0.5);
    scenario_free(s);
}

static void test_workloads(void)
{
    struct scenario *s = parse_with_hosts(
        "workload client->server:80 count=1000 rate=100/s arrivals=poisson size=1000B response=10KB "
        "start=5s server_close=after=2s client_close=after-server\n"
        "workload server->client:8080 count=3 interval=250ms server_close=never\n"
        "workload client->server:81 count=1 rate=3/min\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->workload_count, 3);
    const struct scenario_workload *w = s->workloads;
    CU_ASSERT_EQUAL(w[0].client, 0);
    CU_ASSERT_EQUAL(w[0].server, 1);
    CU_ASSERT_EQUAL(w[0].port, 80);
    CU_ASSERT_EQUAL(w[0].count, 1000);
    CU_ASSERT_EQUAL(w[0].interval, 10 * MS);
    CU_ASSERT_EQUAL(w[0].arrivals, ARRIVALS_POISSON);
    CU_ASSERT_EQUAL(w[0].size, 1000);
    CU_ASSERT_EQUAL(w[0].response, 10000);
    CU_ASSERT_EQUAL(w[0].start, 5 * S);
    CU_ASSERT_EQUAL(w[0].server_close, SERVER_CLOSE_AFTER_DELAY);
    CU_ASSERT_EQUAL(w[0].server_close_delay, 2 * S);
    CU_ASSERT_EQUAL(w[0].client_close, CLIENT_CLOSE_AFTER_SERVER);
    CU_ASSERT_EQUAL(w[1].client, 1);
    CU_ASSERT_EQUAL(w[1].server, 0);
    CU_ASSERT_EQUAL(w[1].interval, 250 * MS);
    CU_ASSERT_EQUAL(w[1].arrivals, ARRIVALS_FIXED);
    CU_ASSERT_EQUAL(w[1].size, 0);
    CU_ASSERT_EQUAL(w[1].server_close, SERVER_CLOSE_NEVER);
    CU_ASSERT_EQUAL(w[1].client_close, CLIENT_CLOSE_AFTER_SEND);
    CU_ASSERT_EQUAL(w[2].interval, 20 * S);
    scenario_free(s);
}

static void test_shipped_scenarios_parse(void)
{
    static const char *const names[] = {"handshake", "lost-synack", "time-wait-accumulation", "lossy-link"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        struct scenario_error err;
        snprintf(path, sizeof path, "%s/scenarios/%s.tcpsim", TOP_SRCDIR, names[i]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;   /* the library is optional for this test */
        fclose(f);
        struct scenario *s = scenario_parse_file(path, &err);
        if (!s)
            fprintf(stderr, "\n%s:%d:%d: %s\n", err.file, err.line, err.column, err.message);
        CU_ASSERT_PTR_NOT_NULL(s);
        if (s)
            CU_ASSERT_STRING_EQUAL(s->name, names[i]);
        scenario_free(s);
    }
}

/* ---- --set ---- */

static struct scenario *set_fixture(void)
{
    return parse_with_hosts("link delay=50ms loss=1%\n"
                            "at 2s client close\n"
                            "workload client->server:80 count=10 rate=10/s\n"
                            "workload client->server:81 count=20 rate=20/s\n"
                            "run until=1min\n");
}

static void test_set_link_both_and_one_direction(void)
{
    struct scenario *s = set_fixture();
    struct scenario_error err;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(scenario_set(s, "link.loss", "5%", &err), 0);
    CU_ASSERT_EQUAL(s->link[0].loss, 0.05);
    CU_ASSERT_EQUAL(s->link[1].loss, 0.05);
    CU_ASSERT_EQUAL(scenario_set(s, "link.client->server.delay", "20ms", &err), 0);
    CU_ASSERT_EQUAL(s->link[0].delay, 20 * MS);
    CU_ASSERT_EQUAL(s->link[1].delay, 50 * MS);
    CU_ASSERT_EQUAL(scenario_set_assignment(s, "link.server->client.jitter=normal(0,1ms)", &err), 0);
    CU_ASSERT_TRUE(s->link[1].has_jitter);
    CU_ASSERT_FALSE(s->link[0].has_jitter);
    CU_ASSERT_EQUAL(scenario_set(s, "link.loss", "gilbert(1%,10%,0,100%)", &err), 0);
    CU_ASSERT_EQUAL(s->link[1].loss_model, LOSS_GILBERT_ELLIOTT);
    CU_ASSERT_EQUAL_FATAL(s->param_count, 4);
    CU_ASSERT_STRING_EQUAL(s->params[0].key, "link.loss");
    CU_ASSERT_STRING_EQUAL(s->params[0].value, "5%");
    CU_ASSERT_STRING_EQUAL(s->params[2].key, "link.server->client.jitter");
    CU_ASSERT_STRING_EQUAL(s->params[2].value, "normal(0,1ms)");
    scenario_free(s);
}

static void test_set_host_run_workload(void)
{
    struct scenario *s = set_fixture();
    struct scenario_error err;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(scenario_set(s, "client.rto_initial", "3s", &err), 0);
    CU_ASSERT_EQUAL(s->hosts[0].config.profile.rto_initial, 3 * S);
    CU_ASSERT_EQUAL(scenario_set(s, "server.isn", "5000", &err), 0);
    CU_ASSERT_EQUAL(s->hosts[1].config.isn_mode, TCP_ISN_FIXED);
    CU_ASSERT_EQUAL(s->hosts[1].config.isn, 5000);
    /* A new profile keeps what was set on purpose. */
    CU_ASSERT_EQUAL(scenario_set(s, "client.profile", "linux", &err), 0);
    CU_ASSERT_EQUAL(s->hosts[0].config.profile.rto_initial, 3 * S);
    CU_ASSERT_EQUAL(s->hosts[0].config.profile.rto_min, 200 * MS);
    CU_ASSERT_EQUAL(scenario_set(s, "server.msl", "10s", &err), 0);
    CU_ASSERT_EQUAL(s->hosts[1].config.profile.time_wait, 20 * S);
    CU_ASSERT_EQUAL(scenario_set(s, "run.until", "5min", &err), 0);
    CU_ASSERT_EQUAL(s->run.until, 5 * MIN);
    CU_ASSERT_EQUAL(scenario_set(s, "run.seed", "18446744073709551615", &err), 0);
    CU_ASSERT_EQUAL(s->run.seed, UINT64_MAX);
    CU_ASSERT_EQUAL(scenario_set(s, "run.reps", "200", &err), 0);
    CU_ASSERT_EQUAL(s->run.reps, 200);
    CU_ASSERT_EQUAL(scenario_set(s, "workload.count", "500", &err), 0);
    CU_ASSERT_EQUAL(s->workloads[0].count, 500);
    CU_ASSERT_EQUAL(s->workloads[1].count, 20);
    CU_ASSERT_EQUAL(scenario_set(s, "workload2.rate", "40/s", &err), 0);
    CU_ASSERT_EQUAL(s->workloads[1].interval, 25 * MS);
    CU_ASSERT_EQUAL(s->workloads[0].interval, 100 * MS);
    CU_ASSERT_EQUAL(scenario_set(s, "workload1.arrivals", "poisson", &err), 0);
    CU_ASSERT_EQUAL(s->workloads[0].arrivals, ARRIVALS_POISSON);
    CU_ASSERT_EQUAL(s->param_count, 10);
    scenario_free(s);
}

static void set_fails(struct scenario *s, const char *key, const char *value, const char *message)
{
    struct scenario_error err;
    size_t before = s->param_count;
    int status = scenario_set(s, key, value, &err);
    CU_ASSERT_EQUAL(status, -1);
    CU_ASSERT_EQUAL(err.line, 0);
    CU_ASSERT_EQUAL(err.column, 0);
    CU_ASSERT_STRING_EQUAL(err.file, "--set");
    bool ok = status == -1 && strstr(err.message, message) != NULL;
    if (!ok)
        fprintf(stderr, "\n--set %s=%s -> %s (wanted ...%s...)\n", key, value, err.message, message);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(s->param_count, before);
}

static void test_set_errors_name_the_key_and_change_nothing(void)
{
    struct scenario *s = set_fixture();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    set_fails(s, "link.loss", "1.5", "link.loss=1.5: is above 1");
    set_fails(s, "link.dely", "5ms", "unknown key 'link.dely' for link; did you mean 'delay'?");
    set_fails(s, "link.dealy", "5ms", "unknown key 'link.dealy' for link; did you mean 'delay'?");
    set_fails(s, "link.client->mars.delay", "5ms", "unknown host 'mars'");
    set_fails(s, "client.rto_initial", "3", "client.rto_initial=3: needs a unit");
    set_fails(s, "client.rto_min", "5min", "above rto_max");
    set_fails(s, "client.addr", "10.0.0.2", "overlap");
    set_fails(s, "mars.isn", "1", "unknown section 'mars' (link, run, workload, workloadN, client or server)");
    set_fails(s, "run.until", "1s", "the action on line 4 at 2s is after the end of the run");
    set_fails(s, "run.speed", "2", "unknown key 'run.speed'");
    set_fails(s, "workload3.count", "1", "has 2 workloads");
    set_fails(s, "workload.count", "0", "workload.count=0");
    set_fails(s, "workload.start", "2min", "starts after the end of the run");
    set_fails(s, "loss", "5%", "SECTION.SETTING");
    CU_ASSERT_EQUAL(s->link[0].loss, 0.01);
    CU_ASSERT_EQUAL(s->hosts[0].config.profile.rto_min, 1 * S);
    CU_ASSERT_EQUAL(s->hosts[0].config.addr, 0x0A000001u);
    CU_ASSERT_EQUAL(s->run.until, 1 * MIN);
    CU_ASSERT_EQUAL(s->workloads[0].start, 0);
    CU_ASSERT_EQUAL(s->param_count, 0);

    struct scenario_error err;
    char buf[700];
    CU_ASSERT_EQUAL(scenario_set_assignment(s, "link.loss", &err), -1);
    scenario_error_format(&err, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "--set: 'link.loss' is not KEY=VALUE");
    scenario_free(s);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite file = CU_add_suite("scenario files", NULL, NULL);
    CU_pSuite units = CU_add_suite("units", NULL, NULL);
    CU_pSuite errors = CU_add_suite("errors", NULL, NULL);
    CU_pSuite set = CU_add_suite("--set", NULL, NULL);
    CU_add_test(file, "the DESIGN.md example: name, description, hosts and profiles",
                test_design_example_header_and_hosts);
    CU_add_test(file, "the DESIGN.md example: both link directions", test_design_example_link);
    CU_add_test(file, "the DESIGN.md example: actions in time order", test_design_example_actions);
    CU_add_test(file, "the DESIGN.md example: drop rule, expectations, run", test_design_example_drops_expects_run);
    CU_add_test(file, "SHA-256 of the file bytes, from a file or a string", test_sha256_of_file_and_string_agree);
    CU_add_test(file, "comments and quoted strings with '#' inside", test_comments_and_quoted_strings);
    CU_add_test(file, "delay, duplicate and corrupt rules", test_fault_rules_beyond_drop);
    CU_add_test(file, "inject and expect sends", test_inject_and_expect_sends);
    CU_add_test(file, "a /16 population owns 65536 addresses", test_population_owns_its_block);
    CU_add_test(file, "profile= applies before the other host fields", test_profile_applies_before_other_fields);
    CU_add_test(file, "link settings for both directions and one", test_link_settings);
    CU_add_test(file, "actions sorted by time, file order for ties", test_actions_sorted_stably);
    CU_add_test(file, "drop rules and expectations of every form", test_drops_and_expectations);
    CU_add_test(file, "shutdown, read, setsockopt and expect CALL result=",
                test_socket_calls_and_their_expectations);
    CU_add_test(file, "workloads with rate, interval and close behaviours", test_workloads);
    CU_add_test(file, "shipped scenarios parse", test_shipped_scenarios_parse);
    CU_add_test(units, "durations are exact nanoseconds; mistakes are refused", test_durations);
    CU_add_test(units, "probabilities, sizes and rates", test_probabilities_sizes_rates);
    CU_add_test(errors, "each error names its line and column", test_errors_name_line_and_column);
    CU_add_test(errors, "FILE:LINE:COL: message", test_error_format);
    CU_add_test(errors, "long lines, NUL bytes, CRLF and BOM", test_long_lines_and_odd_bytes);
    CU_add_test(set, "link.loss sets both directions, link.A->B.delay one", test_set_link_both_and_one_direction);
    CU_add_test(set, "hosts, run and workloads", test_set_host_run_workload);
    CU_add_test(set, "every described setting has a doc and is reachable by --set",
                test_every_described_setting_is_reachable);
    CU_add_test(set, "errors name the key and leave the scenario unchanged",
                test_set_errors_name_the_key_and_change_nothing);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
