/*
 * cmd_merge.c: `tcpsim merge OUT IN...`: append every run of the input
 * databases to OUT (created when missing), in the order given and, within
 * an input, in run_id order; the runs get OUT's next run_ids. Combines the
 * shards of a sweep run on several machines (docs/sweeps.md). Each input
 * is copied in one transaction: all of its runs or none.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sink_sqlite.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim merge OUT IN...\n"
            "Append every run of the tcpsim databases IN... to OUT (created when missing), in\n"
            "the order given; the runs are numbered after OUT's last run.\n\n"
            "  -q, --quiet   print nothing but errors\n"
            "  -h, --help    this help\n\n"
            "Exit status: 0 ok, 1 an input could not be merged, 2 usage or input error.\n");
}

/* True when both paths name one existing file. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int parse_options(int argc, char **argv, bool *quiet)
{
    if (cli_parse_quiet_options(argc, argv, "merge", usage, quiet) != 0)
        return -1;
    if (argc - optind < 2) {
        cli_error("merge needs an output database and at least one input");
        cli_try_help("merge");
        return -1;
    }
    for (int i = optind + 1; i < argc; i++)
        if (same_file(argv[optind], argv[i])) {
            cli_error("merge: %s is the output; it cannot be an input too", argv[i]);
            return -1;
        }
    return 0;
}

int cmd_merge(int argc, char **argv)
{
    bool quiet = false;
    char err[512];
    if (parse_options(argc, argv, &quiet) != 0)
        return EXIT_USAGE;
    const char *out_path = argv[optind];
    struct trace_sink *out = sink_sqlite_open(out_path, err, sizeof err);
    if (!out)
        return cli_database_failure(err);
    int status = EXIT_OK;
    int64_t total = 0;
    for (int i = optind + 1; i < argc; i++) {
        int64_t copied = sink_sqlite_copy_runs(out, argv[i], NULL, 0, err, sizeof err);
        if (copied < 0) { /* a damaged input is 2, a full disk 1: the worse one wins */
            int failure = cli_database_failure(err);
            status = failure > status ? failure : status;
            continue;
        }
        total += copied;
        if (!quiet)
            printf("%s: %" PRId64 " runs\n", argv[i], copied);
    }
    if (!quiet)
        printf("merged %" PRId64 " runs into %s\n", total, out_path);
    out->ops->destroy(out);
    return status;
}
