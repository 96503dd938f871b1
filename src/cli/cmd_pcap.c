/*
 * cmd_pcap.c: `tcpsim pcap DB --run ID -o FILE [--side HOST]`: a capture
 * file of a recorded run, replayed from the database (results_replay) into
 * the same pcap sink `tcpsim run --pcap` uses (sink_pcap.c), so it sees the
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
#include "results.h"
#include "sink_pcap.h"
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
            "  -o, --output FILE      the capture file to write (required); a name ending in\n"
            "                         .pcapng: pcapng, each packet's fate and states as its comment\n"
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
            cli_try_help("pcap");
            return -1;
        }
    }
    if (optind != argc - 1 || !o->out_path) {
        cli_error(optind != argc - 1 ? "pcap takes one database" : "pcap needs -o FILE");
        cli_try_help("pcap");
        return -1;
    }
    o->db_path = argv[optind];
    return 0;
}

/* The run asked for (0: the latest), checked to exist, and the --side host
 * to be one of it. Returns 0, or -1 with a message in err. */
static int find_run(struct results_db *db, const struct pcap_options *o, int64_t *run_id,
                    char *err, size_t errlen)
{
    if (cli_find_run(db, o->db_path, o->run_id, run_id, err, errlen) != 0)
        return -1;
    int has_host = o->side ? results_run_has_host(db, *run_id, o->side) : 1;
    if (has_host < 0)
        snprintf(err, errlen, "%s: %s", o->db_path, results_error(db));
    else if (!has_host)
        snprintf(err, errlen, "%s: --side: no host named '%s' in run %" PRId64, o->db_path,
                 o->side, *run_id);
    return has_host > 0 ? 0 : -1;
}

int cmd_pcap(int argc, char **argv)
{
    struct pcap_options o = {0};
    int64_t run_id;
    char err[512];
    if (parse_options(argc, argv, &o) != 0)
        return EXIT_USAGE;
    struct results_db *db = results_open(o.db_path, err, sizeof err);
    if (!db || find_run(db, &o, &run_id, err, sizeof err) != 0) {
        results_close(db);
        return cli_database_failure(err);
    }
    int status = EXIT_FAILED;
    struct trace_sink *pcap = sink_pcap_open(o.out_path, o.side, err, sizeof err);
    if (!pcap)
        cli_error("%s", err);
    else if ((status = cli_replay_into(db, o.db_path, run_id, pcap)) == EXIT_OK && !o.quiet)
        printf("run %" PRId64 " of %s: %" PRIu64 " packets in %s\n", run_id, o.db_path,
               sink_pcap_packet_count(pcap), o.out_path);
    if (pcap)
        pcap->ops->destroy(pcap);
    results_close(db);
    return status;
}
