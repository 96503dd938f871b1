/*
 * cmd_pcap.c: `tcpsim pcap DB --run ID -o FILE [--side HOST]`: a capture
 * file of a recorded run, rebuilt from its segments table and written by
 * the same pcap sink `tcpsim run --pcap` uses (sink_pcap.c), fed the
 * segments in the order the run reported them. The database does not keep
 * payload bytes, so each packet carries zero bytes of the recorded length;
 * a segment without payload comes out byte for byte as `run --pcap` wrote it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segment.h"
#include "sink_pcap.h"
#include "sink_sqlite.h"
#include "trace.h"

struct pcap_options {
    const char *db_path, *out_path, *side;
    int64_t run_id;            /* 0: the latest run */
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim pcap DB -o FILE [OPTION]...\n"
            "Write a capture file (pcap, IPv4 + TCP, nanosecond timestamps from simulated time)\n"
            "of a run recorded in DB, for Wireshark or tshark. Payload bytes are not recorded in\n"
            "the database: each packet carries zero bytes of the segment's length.\n\n"
            "  -o, --output FILE      the capture file to write (required)\n"
            "      --run ID           the run (default: the latest in the database)\n"
            "      --side HOST        what HOST's interface sees: what it sent, when it sent it,\n"
            "                         and what reached it, when it arrived (a lost segment shows\n"
            "                         on its sender's side only). Default: every transmitted\n"
            "                         segment at its send time\n"
            "  -q, --quiet            print nothing but errors\n"
            "  -h, --help             this help\n\n"
            "Exit status: 0 ok, 1 the capture could not be written, 2 usage or input error.\n");
}

static int parse_options(int argc, char **argv, struct pcap_options *o)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"run", required_argument, NULL, 'r'},
        {"side", required_argument, NULL, 's'},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int opt;
    uint64_t run_id;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'o': o->out_path = optarg; break;
        case 's': o->side = optarg; break;
        case 'q': o->quiet = true; break;
        case 'r':
            if (cli_parse_integer("--run", optarg, 1, INT64_MAX, &run_id) != 0)
                return -1;
            o->run_id = (int64_t)run_id;
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1 || !o->out_path) {
        cli_error(optind != argc - 1 ? "pcap takes one database" : "pcap needs -o FILE");
        usage(stderr);
        return -1;
    }
    o->db_path = argv[optind];
    return 0;
}

/* ---- the run ---- */

struct run_row {
    int64_t run_id;
    char scenario[256];
    uint64_t seed;
    uint32_t rep;
    sim_time sim_end;
    bool found;
};

static int take_run_id(void *context, int n, const char *const *values, const char *const *names)
{
    (void)names;
    *(int64_t *)context = n > 0 && values[0] ? strtoll(values[0], NULL, 10) : 0;
    return 1;
}

static int take_run(void *context, int n, const char *const *values, const char *const *names)
{
    struct run_row *r = context;
    (void)n;
    (void)names;
    snprintf(r->scenario, sizeof r->scenario, "%s", values[0] ? values[0] : "");
    r->seed = values[1] ? (uint64_t)strtoll(values[1], NULL, 10) : 0;
    r->rep = values[2] ? (uint32_t)strtoul(values[2], NULL, 10) : 0;
    r->sim_end = values[3] ? strtoll(values[3], NULL, 10) : 0;
    r->found = true;
    return 1;
}

static int find_run(struct trace_sink *db, const struct pcap_options *o, struct run_row *run,
                    char *err, size_t errlen)
{
    run->run_id = o->run_id;
    if (run->run_id == 0 &&
        sink_sqlite_query(db, "SELECT max(run_id) FROM runs", NULL, 0, take_run_id,
                          &run->run_id, err, errlen) != 0)
        return -1;
    if (run->run_id > 0 &&
        sink_sqlite_query(db, "SELECT scenario, seed, rep, sim_end_ns FROM runs WHERE run_id = ?1",
                          &run->run_id, 1, take_run, run, err, errlen) != 0)
        return -1;
    if (!run->found) {
        if (run->run_id > 0)
            snprintf(err, errlen, "no run %" PRId64, run->run_id);
        else
            snprintf(err, errlen, "the database holds no runs");
        return -1;
    }
    return 0;
}

struct host_check {
    const char *name;
    bool found;
};

static int take_host(void *context, int n, const char *const *values, const char *const *names)
{
    struct host_check *h = context;
    (void)names;
    if (n > 0 && values[0] && strcmp(values[0], h->name) == 0)
        h->found = true;
    return h->found;
}

static int check_side(struct trace_sink *db, const struct run_row *run, const char *side,
                      char *err, size_t errlen)
{
    struct host_check h = {side, false};
    if (sink_sqlite_query(db,
                          "SELECT sender FROM segments WHERE run_id = ?1 UNION"
                          " SELECT receiver FROM segments WHERE run_id = ?1 UNION"
                          " SELECT host FROM transitions WHERE run_id = ?1",
                          &run->run_id, 1, take_host, &h, err, errlen) != 0)
        return -1;
    if (!h.found) {
        snprintf(err, errlen, "--side: no host named '%s' in run %" PRId64, side, run->run_id);
        return -1;
    }
    return 0;
}

/* ---- segments back into trace records ---- */

static uint8_t parse_flags(const char *text)
{
    static const struct { const char *name; uint8_t bit; } names[] = {
        {"SYN", TCP_FLAG_SYN}, {"FIN", TCP_FLAG_FIN}, {"RST", TCP_FLAG_RST},
        {"PSH", TCP_FLAG_PSH}, {"URG", TCP_FLAG_URG}, {"ACK", TCP_FLAG_ACK},
    };
    uint8_t flags = 0;
    while (text && *text) {
        size_t len = strcspn(text, "|");
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == len && strncmp(text, names[i].name, len) == 0)
                flags |= names[i].bit;
        text += len + (text[len] == '|');
    }
    return flags;
}

/* "10.0.0.1:40000" -> address (host byte order) and port. */
static int parse_endpoint(const char *text, uint32_t *addr, uint16_t *port)
{
    unsigned a, b, c, d, p;
    char tail;
    if (!text || sscanf(text, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &p, &tail) != 5 || a > 255 ||
        b > 255 || c > 255 || d > 255 || p > 65535)
        return -1;
    *addr = a << 24 | b << 16 | c << 8 | d;
    *port = (uint16_t)p;
    return 0;
}

static enum segment_fate parse_fate(const char *text)
{
    static const enum segment_fate fates[] = {FATE_DELIVERED, FATE_LOST, FATE_DROPPED,
                                              FATE_DUPLICATED, FATE_CORRUPTED, FATE_QUEUE_FULL};
    for (size_t i = 0; i < sizeof fates / sizeof fates[0]; i++)
        if (text && strcmp(text, segment_fate_name(fates[i])) == 0)
            return fates[i];
    return FATE_DELIVERED;
}

static int64_t int_or(const char *text, int64_t if_null)
{
    return text ? strtoll(text, NULL, 10) : if_null;
}

struct feed {
    struct trace_sink *pcap;
    bool bad_row;
};

static int feed_segment(void *context, int n, const char *const *v, const char *const *names)
{
    struct feed *f = context;
    struct segment seg;
    (void)n;
    (void)names;
    memset(&seg, 0, sizeof seg);
    if (parse_endpoint(v[4], &seg.src_addr, &seg.src_port) != 0 ||
        parse_endpoint(v[5], &seg.dst_addr, &seg.dst_port) != 0) {
        f->bad_row = true;
        return 1;
    }
    seg.id = (uint64_t)int_or(v[0], 0);
    seg.conn_id = (uint64_t)int_or(v[1], 0);
    seg.flags = parse_flags(v[8]);
    seg.seq = (uint32_t)int_or(v[9], 0);
    seg.ack = (uint32_t)int_or(v[10], 0);
    seg.len = (uint32_t)int_or(v[11], 0);
    seg.wnd = (uint16_t)int_or(v[12], 0);
    seg.mss = (uint16_t)int_or(v[13], 0);
    seg.retransmission = int_or(v[15], 0) != 0;
    struct trace_segment ts = {
        .seg = &seg, .sender = v[2], .receiver = v[3], .sent_ns = int_or(v[6], 0),
        .arrived_ns = int_or(v[7], -1), .fate = parse_fate(v[14]),
    };
    f->pcap->ops->segment(f->pcap, &ts);
    return 0;
}

static int write_capture(struct trace_sink *db, const struct run_row *run,
                         struct trace_sink *pcap, char *err, size_t errlen)
{
    struct trace_run_info info = {run->scenario, NULL, run->seed, run->rep, NULL, 0, NULL};
    struct trace_run_result result = {"ok", run->sim_end, 0, 0.0};
    struct feed f = {pcap, false};
    if (pcap->ops->run_start(pcap, &info) != 0) {
        snprintf(err, errlen, "%s", pcap->error);
        return -1;
    }
    if (sink_sqlite_query(db,
                          "SELECT seg_id, conn_id, sender, receiver, src, dst, sent_ns,"
                          " arrived_ns, flags, seq, ack, len, wnd, mss, fate, retransmission"
                          " FROM segments WHERE run_id = ?1 ORDER BY trace_seq",
                          &run->run_id, 1, feed_segment, &f, err, errlen) != 0 ||
        f.bad_row) {
        if (f.bad_row)
            snprintf(err, errlen, "run %" PRId64 " has a segment with a malformed address",
                     run->run_id);
        pcap->ops->run_abort(pcap);
        return -1;
    }
    if (pcap->ops->run_end(pcap, &result) != 0) {
        snprintf(err, errlen, "%s", pcap->error);
        return -1;
    }
    return 0;
}

int cmd_pcap(int argc, char **argv)
{
    struct pcap_options o = {0};
    struct run_row run = {0};
    char err[512];
    if (parse_options(argc, argv, &o) != 0)
        return EXIT_USAGE;
    struct trace_sink *db = sink_sqlite_open_read(o.db_path, err, sizeof err);
    if (!db) {
        cli_error("%s", err);
        return EXIT_USAGE;
    }
    if (find_run(db, &o, &run, err, sizeof err) != 0 ||
        (o.side && check_side(db, &run, o.side, err, sizeof err) != 0)) {
        cli_error("%s: %s", o.db_path, err);
        db->ops->destroy(db);
        return EXIT_USAGE;
    }
    int status = EXIT_OK;
    struct trace_sink *pcap = sink_pcap_open(o.out_path, o.side, err, sizeof err);
    if (!pcap) {
        cli_error("%s", err);
        status = EXIT_FAILED;
    } else if (write_capture(db, &run, pcap, err, sizeof err) != 0) {
        cli_error("%s", err);
        status = EXIT_FAILED;
    } else if (!o.quiet) {
        printf("run %" PRId64 " of %s: %" PRIu64 " packets in %s\n", run.run_id, o.db_path,
               sink_pcap_packet_count(pcap), o.out_path);
    }
    if (pcap)
        pcap->ops->destroy(pcap);
    db->ops->destroy(db);
    return status;
}
