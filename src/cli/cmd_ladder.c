/*
 * cmd_ladder.c: `tcpsim ladder DB`: the ladder (sequence) diagram of one
 * recorded run in the terminal (drawing and options: ladder.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "ladder.h"
#include "results.h"
#include "scenario.h"

enum { OPT_FROM = 0x4c80, OPT_TO, OPT_COMPACT };

static void usage(FILE *out)
{
    fprintf(out, "Usage: tcpsim ladder DB [OPTION]...\n"
                 "Draw the ladder (sequence) diagram of a run recorded in DB: a lifeline per\n"
                 "host, each state where it changes, an arrow per segment whose slope shows its\n"
                 "delay; a lost segment stops half-way at a cross; long idle gaps are shortened\n"
                 "to a marked break.\n\n");
    ladder_options_help(out, true);
    fprintf(out, "      --from TIME        start the picture at TIME (e.g. 59s, 1.5min), with each\n"
                 "                         host's state then\n"
                 "      --to TIME          end it at TIME (segments sent before it are drawn to\n"
                 "                         their arrival)\n"
                 "      --compact          a burst (segments a host sends at one instant) as one\n"
                 "                         label, its arrows fanning out from one point\n");
    fprintf(out, "  -h, --help             this help\n\n"
                 "Exit status: 0 ok, 1 the diagram could not be written, 2 usage or input\n"
                 "error (not a tcpsim database, no such run or connection).\n");
}

int cmd_ladder(int argc, char **argv)
{
    static const struct option options[] = {
        {"run", required_argument, NULL, LADDER_OPT_RUN},
        {"conn", required_argument, NULL, LADDER_OPT_CONN},
        {"relative", no_argument, NULL, LADDER_OPT_RELATIVE},
        {"ascii", no_argument, NULL, LADDER_OPT_ASCII},
        {"explain", no_argument, NULL, LADDER_OPT_EXPLAIN},
        {"width", required_argument, NULL, LADDER_OPT_WIDTH},
        {"color", optional_argument, NULL, LADDER_OPT_COLOR},
        {"colour", optional_argument, NULL, LADDER_OPT_COLOR},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"compact", no_argument, NULL, OPT_COMPACT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ladder_options o = LADDER_OPTIONS_DEFAULT;
    char err[512];
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        if (opt == OPT_COMPACT) {
            o.compact = true;
            continue;
        }
        if (opt == OPT_FROM || opt == OPT_TO) {
            sim_time t;
            if (scenario_parse_duration(optarg, &t) != 0 || t < 0) {
                cli_error("%s: '%s' is not a time (e.g. 500ms, 59s, 2min)",
                          opt == OPT_FROM ? "--from" : "--to", optarg);
                return EXIT_USAGE;
            }
            *(opt == OPT_FROM ? &o.from : &o.to) = t;
            continue;
        }
        if (opt == '?' || ladder_set_option(&o, opt, optarg, err, sizeof err) != 0) {
            if (opt != '?')
                cli_error("%s", err);
            cli_try_help("ladder");
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind < argc ? "ladder takes one database" : "ladder needs a database");
        cli_try_help("ladder");
        return EXIT_USAGE;
    }
    if (o.to >= 0 && o.to < o.from) {
        cli_error("--to comes before --from");
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct results_db *db = results_open(path, err, sizeof err);
    if (!db)
        return cli_database_failure(err);
    ladder_resolve_output(&o, stdout);
    int status = EXIT_OK;
    if (ladder_render(db, &o, stdout, err, sizeof err) != 0) {
        cli_error("%s: %s", path, err);
        status = EXIT_USAGE;
    }
    results_close(db);
    if (fflush(stdout) != 0)
        status = EXIT_FAILED;
    return status;
}
