/*
 * cmd_check.c: `tcpsim check SCENARIO`: parse and validate a scenario file
 * without running it. Errors are FILE:LINE:COL: message, exit status 2.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "scenario.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: tcpsim check SCENARIO\n"
                 "Parse and validate SCENARIO without running it. Prints FILE:LINE:COL: message\n"
                 "for the first problem and exits 2; exits 0 when the file is valid.\n");
}

int cmd_check(int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        cli_try_help("check");
        return EXIT_USAGE;
    }
    if (optind != argc - 1) {
        cli_try_help("check");
        return EXIT_USAGE;
    }
    char library_path[4096];
    const char *path = cli_scenario_path(argv[optind], library_path, sizeof library_path);
    struct scenario *sc = cli_load_scenario(path);
    if (!sc)
        return EXIT_USAGE;
    printf("%s: ok: scenario %s, hosts %s and %s, %zu actions, %zu workloads, %zu fault rules, "
           "%zu expectations\n",
           argv[optind], sc->name, sc->hosts[0].name, sc->hosts[1].name, sc->action_count,
           sc->workload_count, sc->drop_count, sc->expect_count);
    scenario_free(sc);
    return EXIT_OK;
}
