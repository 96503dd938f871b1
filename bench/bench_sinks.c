/*
 * bench_sinks.c: rows per second the SQLite sink writes in one run's
 * transaction, and packets per second of the pcap sink.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sink_pcap.h"
#include "sink_sqlite.h"
#include "trace.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* n segment records and one transition per 8 segments. Returns rows. */
static uint64_t feed(struct trace_sink *sink, uint64_t n)
{
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, sink);
    struct trace_run_info run = {"bench", "00", 1, 0, NULL, 0, NULL};
    if (trace_run_start(&trace, &run, NULL) != 0) {
        fprintf(stderr, "run_start: %s\n", sink->error);
        return 0;
    }
    static const uint8_t payload[1460];
    uint64_t rows = 1;
    for (uint64_t i = 1; i <= n; i++) {
        struct segment seg = {.src_addr = 0x0a000001, .dst_addr = 0x0a000002, .src_port = 40000,
                              .dst_port = 80, .seq = (uint32_t)(1000 + i * 1460), .ack = 5001,
                              .flags = TCP_FLAG_ACK, .wnd = 65535, .len = 1460, .data = payload,
                              .id = i, .conn_id = 1 + i / 64};
        struct trace_segment ts = {.seg = &seg, .sender = "client", .receiver = "server",
                                   .sent_ns = (sim_time)i * 1000,
                                   .arrived_ns = (sim_time)i * 1000 + 50000000,
                                   .fate = i % 100 ? FATE_DELIVERED : FATE_LOST};
        if (ts.fate == FATE_LOST)
            ts.arrived_ns = -1;
        trace_segment(&trace, &ts);
        rows++;
        if (i % 8 == 0) {
            struct trace_transition tr = {(sim_time)i * 1000, "server", 1 + i / 64, TCP_ESTABLISHED,
                                          TCP_ESTABLISHED, TCP_CAUSE_RCV_ACK_OF_FIN, i};
            trace_transition(&trace, &tr);
            rows++;
        }
    }
    struct trace_run_result result = {.status = "ok", .sim_end_ns = (sim_time)n * 1000, .events = n,
                                     .wall_s = 0};
    if (trace_run_end(&trace, &result, NULL) != 0) {
        fprintf(stderr, "run_end: %s\n", sink->error);
        return 0;
    }
    return rows;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/tmp/bench_sinks.db";
    uint64_t n = 2000000;
    char err[256];
    unlink(path);
    struct trace_sink *db = sink_sqlite_open(path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t0 = now_s();
    uint64_t rows = feed(db, n);
    double t1 = now_s();
    db->ops->destroy(db);
    printf("sqlite file  : %llu rows in %.3f s = %.2f M rows/s\n", (unsigned long long)rows, t1 - t0,
           rows / (t1 - t0) / 1e6);
    unlink(path);

    db = sink_sqlite_open(":memory:", err, sizeof err);
    t0 = now_s();
    rows = feed(db, n);
    t1 = now_s();
    db->ops->destroy(db);
    printf("sqlite memory: %llu rows in %.3f s = %.2f M rows/s\n", (unsigned long long)rows,
           t1 - t0, rows / (t1 - t0) / 1e6);

    struct trace_sink *cap = sink_pcap_open("/tmp/bench_sinks.pcap", NULL, err, sizeof err);
    t0 = now_s();
    feed(cap, n);
    t1 = now_s();
    printf("pcap wire    : %llu packets in %.3f s = %.2f M packets/s\n",
           (unsigned long long)sink_pcap_packet_count(cap), t1 - t0,
           sink_pcap_packet_count(cap) / (t1 - t0) / 1e6);
    cap->ops->destroy(cap);
    unlink("/tmp/bench_sinks.pcap");
    return 0;
}
