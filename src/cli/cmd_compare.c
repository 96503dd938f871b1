/*
 * cmd_compare.c: `tcpsim compare A.db[:RUN] B.db[:RUN]`: two recorded runs
 * side by side and whether they are equivalent (what is compared and how:
 * src/view/compare.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim compare [OPTION]... A.db[:RUN] B.db[:RUN]\n"
            "Compare two recorded runs (RUN: the file's latest when omitted) connection by\n"
            "connection, aligned by client and server host and order of opening: each end's\n"
            "state path and the segments it sent (flags, seq/ack relative to the ISNs, len,\n"
            "window, fate) side by side, with their times, marking the first divergence and\n"
            "every timing difference beyond the tolerance. The time compared is the time\n"
            "since the previous event of the same stream.\n\n"
            "  -t, --tolerance=MS[,PERCENT]  allowed timing difference: max(MS, PERCENT of the\n"
            "                         interval); default 5,12.5 (packetdrill's)\n"
            "  -f, --format=text|json output format (default text)\n"
            "  -h, --help             this help\n\n"
            "Exit status: 0 equivalent, 1 the runs differ, 2 usage or input error.\n");
}

static int parse_format(const char *text, struct compare_options *o)
{
    if (strcmp(text, "text") == 0)
        o->format = COMPARE_TEXT;
    else if (strcmp(text, "json") == 0)
        o->format = COMPARE_JSON;
    else
        return -1;
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option options[] = {
        {"tolerance", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct compare_options o = COMPARE_OPTIONS_DEFAULT;
    char err[1024];
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "t:f:h", options, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        if (opt == 't' && compare_parse_tolerance(optarg, &o, err, sizeof err) != 0)
            cli_error("%s", err);
        else if (opt == 'f' && parse_format(optarg, &o) != 0)
            cli_error("--format: '%s' is not text or json", optarg);
        else if (opt == 't' || opt == 'f')
            continue;
        usage(stderr);
        return EXIT_USAGE;
    }
    if (argc - optind != 2) {
        cli_error("compare takes two runs, A.db[:RUN] B.db[:RUN]");
        usage(stderr);
        return EXIT_USAGE;
    }
    enum compare_result r = compare_runs(argv[optind], argv[optind + 1], &o, stdout, err, sizeof err);
    if (r == COMPARE_BAD_INPUT)
        cli_error("%s", err);
    if (fflush(stdout) != 0)
        return EXIT_USAGE;
    return r == COMPARE_EQUIVALENT ? EXIT_OK : r == COMPARE_DIFFERENT ? EXIT_FAILED : EXIT_USAGE;
}
