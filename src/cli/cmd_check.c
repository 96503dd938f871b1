/*
 * cmd_check.c: `tcpsim check SCENARIO`: parse and validate a scenario file
 * without running it. Errors are FILE:LINE:COL: message, exit status 2.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "scenario.h"
#include "world.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: tcpsim check SCENARIO [--max-memory SIZE]\n"
                 "Parse and validate SCENARIO without running it. Prints FILE:LINE:COL: message\n"
                 "for the first problem and exits 2; exits 0 when the file is valid. Warns when\n"
                 "its workloads' connections alive at once cannot fit in 'tcpsim run\n"
                 "--max-memory SIZE' (default: half the physical memory).\n");
}

/* A warning, not an error: the projection is a bound from the arrival
 * rate and the lifetimes, and the run itself stops cleanly at the limit. */
static void warn_memory(const char *path, const struct scenario *sc, uint64_t max_memory)
{
    uint64_t live = world_projected_live_connections(sc), each = world_connection_footprint();
    if (live == 0 || live <= max_memory / each)
        return;
    uint64_t fit = max_memory / each;
    cli_error("%s: warning: its workloads may keep %" PRIu64 " connections alive at once "
              "(about %" PRIu64 " bytes each), more than the %" PRIu64 " that fit in --max-memory "
              "%" PRIu64 " MiB: the run would stop there (raise it with --max-memory SIZE)",
              path, live, each, fit, max_memory >> 20);
}

int cmd_check(int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'},
                                            {"max-memory", required_argument, NULL, 'M'},
                                            {NULL, 0, NULL, 0}};
    uint64_t max_memory = cli_default_max_memory();
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        if (opt == 'M' && cli_parse_size("--max-memory", optarg, &max_memory) == 0)
            continue;
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
    warn_memory(argv[optind], sc, max_memory);
    scenario_free(sc);
    return EXIT_OK;
}
