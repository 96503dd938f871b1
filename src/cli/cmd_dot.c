/*
 * cmd_dot.c: `tcpsim dot DB [--run ID | --all-runs] [--all-states] [-o FILE]`:
 * the options, then view/dot.c draws the observed state diagram.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "dot.h"
#include "results.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim dot DB [OPTION]...\n"
            "Print the state transitions recorded in DB as a Graphviz DOT graph: a node per\n"
            "state, an edge per transition labelled with its causes and counts, clients' in\n"
            "blue and servers' (hosts that LISTEN) in orange.\n"
            "Render it with e.g. `tcpsim dot DB | dot -Tsvg -o states.svg`.\n\n"
            "      --run ID           the run (default: the latest in the database)\n"
            "      --all-runs         every run of the database, counts added up\n"
            "      --all-states       RFC 9293's whole diagram as the backdrop: the states and\n"
            "                         edges no run took, in grey\n"
            "  -o, --output FILE      write to FILE instead of standard output\n"
            "  -h, --help             this help\n\n"
            "Exit status: 0 ok, 1 the output could not be written, 2 usage or input error.\n");
}

static int parse_options(int argc, char **argv, struct dot_options *o, const char **db_path)
{
    static const struct option options[] = {
        {"run", required_argument, NULL, 'r'},   {"all-runs", no_argument, NULL, 'a'},
        {"all-states", no_argument, NULL, 's'},  {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int opt;
    uint64_t run_id;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'a': o->all_runs = true; break;
        case 's': o->all_states = true; break;
        case 'o': o->out_path = optarg; break;
        case 'r':
            if (cli_parse_integer("--run", optarg, 1, INT64_MAX, &run_id) != 0)
                return -1;
            o->run_id = (int64_t)run_id;
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        default:
            cli_try_help("dot");
            return -1;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind < argc ? "dot takes one database" : "dot needs a database");
        cli_try_help("dot");
        return -1;
    }
    if (o->all_runs && o->run_id) {
        cli_error("--run and --all-runs contradict each other");
        return -1;
    }
    *db_path = argv[optind];
    return 0;
}

int cmd_dot(int argc, char **argv)
{
    struct dot_options o = {0};
    const char *db_path;
    char err[512];
    if (parse_options(argc, argv, &o, &db_path) != 0)
        return EXIT_USAGE;
    struct results_db *db = results_open(db_path, err, sizeof err);
    if (!db)
        return cli_database_failure(err);
    enum dot_status status = dot_write(db, &o, err, sizeof err);
    results_close(db);
    if (status == DOT_BAD_INPUT)
        cli_error("%s: %s", db_path, err);
    else if (status == DOT_WRITE_FAILED)
        cli_error("%s", err);
    return status == DOT_OK ? EXIT_OK : status == DOT_WRITE_FAILED ? EXIT_FAILED : EXIT_USAGE;
}
