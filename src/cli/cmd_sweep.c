/*
 * cmd_sweep.c: `tcpsim sweep SCENARIO --vary KEY=LIST|A:B:STEP ... --reps N
 * -j JOBS -o DB`: parses the options into a sweep request, runs it
 * (study/sweep_run.h: the grid, the worker pool, resume and merge) and
 * maps its outcome to an exit status.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sweep.h"
#include "sweep_run.h"

/* What the options say: the request, and the grid and --set list it points to. */
struct sweep_options {
    struct sweep_run_request request;
    const char **fixed;         /* --set KEY=VALUE, in order */
    struct sweep_grid grid;
    bool quiet;
    bool has_max_memory;
};

/* ---- options ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim sweep SCENARIO --vary KEY=VALUES [OPTION]...\n"
            "Run every point of a parameter grid, N replications each, in parallel worker\n"
            "processes, into one results database.\n\n"
            "  -v, --vary KEY=VALUES  an axis of the grid: a list V1,V2,... (\"20ms,50ms\") or an\n"
            "                         inclusive range START:END:STEP (\"0:0.3:0.05\", \"1s:3s:0.5s\");\n"
            "                         repeatable: the grid is the cartesian product\n"
            "  -r, --reps N           replications of each point (default: the scenario's run reps=);\n"
            "                         rep r runs with seed SEED+r at every point\n"
            "  -j, --jobs N           worker processes (default 1)\n"
            "  -o, --output DB        results database (default results/SCENARIO-NAME.db); runs it\n"
            "                         already holds are not run again (resume)\n"
            "      --seed N           base seed (default: the scenario's run seed=, else 1)\n"
            "      --set KEY=VALUE    a setting for every point (repeatable)\n"
            "      --max-memory SIZE  stop a run (failed) whose TCBs, buffers and events would pass\n"
            "                         SIZE (512M, 4G; default: half the physical memory / jobs)\n"
            "      --shard K/N        run only the points whose number modulo N is K-1\n"
            "  -q, --quiet            no progress bar, no summary\n"
            "  -h, --help             this help\n\n"
            "A progress bar is drawn on stderr when it is a terminal. Exit status: 0 ok, 1 a run\n"
            "failed or the sweep was interrupted (start it again to finish), 2 usage or input error.\n");
}

static int parse_count(const char *name, const char *text, uint64_t max, uint64_t *out)
{
    return cli_parse_integer(name, text, 1, max, out);
}

static int parse_option(int opt, struct sweep_options *options)
{
    struct sweep_run_request *o = &options->request;
    uint64_t v;
    char err[512];
    switch (opt) {
    case 'v':
        if (sweep_grid_add_axis(&options->grid, optarg, err, sizeof err) != 0) {
            cli_error("--vary %s: %s", optarg, err);
            return -1;
        }
        return 0;
    case 'r':
        if (parse_count("--reps", optarg, 1000000, &v) != 0)
            return -1;
        o->reps = (uint32_t)v;
        o->has_reps = true;
        return 0;
    case 'j':
        if (parse_count("--jobs", optarg, SWEEP_RUN_MAX_JOBS, &v) != 0)
            return -1;
        o->jobs = (uint32_t)v;
        return 0;
    case 's':
        if (strcmp(optarg, "0") == 0) {
            o->seed = 0;
        } else if (parse_count("--seed", optarg, UINT64_MAX, &o->seed) != 0) {
            return -1;
        }
        o->has_seed = true;
        return 0;
    case 'S': options->fixed[o->fixed_count++] = optarg; return 0;
    case 'o': o->db_path = optarg; return 0;
    case 'q': options->quiet = true; return 0;
    case 'M':
        options->has_max_memory = true;
        return cli_parse_size("--max-memory", optarg, &o->max_memory);
    case 'k':
        if (sweep_parse_shard(optarg, &o->shard_k, &o->shard_n) != 0) {
            cli_error("--shard: '%s' is not K/N with 1 <= K <= N", optarg);
            return -1;
        }
        return 0;
    default:
        cli_try_help("sweep");
        return -1;
    }
}

static int parse_options(int argc, char **argv, struct sweep_options *parsed)
{
    struct sweep_run_request *o = &parsed->request;
    static const struct option options[] = {
        {"vary", required_argument, NULL, 'v'},  {"reps", required_argument, NULL, 'r'},
        {"jobs", required_argument, NULL, 'j'},  {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},  {"set", required_argument, NULL, 'S'},
        {"shard", required_argument, NULL, 'k'}, {"quiet", no_argument, NULL, 'q'},
        {"max-memory", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "v:r:j:o:qh", options, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            exit(EXIT_OK);
        }
        if (parse_option(opt, parsed) != 0)
            return -1;
    }
    if (optind != argc - 1) {
        cli_error(optind < argc ? "sweep takes one scenario file" : "sweep needs a scenario file");
        cli_try_help("sweep");
        return -1;
    }
    o->scenario_path = argv[optind];
    if (cli_check_input_file(o->scenario_path) != 0 ||
        (o->has_seed && o->has_reps && cli_check_seeds(o->seed, o->reps) != 0))
        return -1;
    const struct sweep_grid *grid = &parsed->grid;
    for (size_t i = 0; i < o->fixed_count; i++)
        for (size_t a = 0; a < grid->axis_count; a++) {
            size_t n = strlen(grid->axes[a].key);
            if (strncmp(parsed->fixed[i], grid->axes[a].key, n) == 0 &&
                parsed->fixed[i][n] == '=') {
                cli_error("%s is both varied and --set", grid->axes[a].key);
                return -1;
            }
        }
    return 0;
}

/* ---- the command ---- */

int cmd_sweep(int argc, char **argv)
{
    const char *fixed[argc > 0 ? argc : 1];
    struct sweep_options o = {.request = {.reps = 1, .jobs = 1}, .fixed = fixed};
    sweep_grid_init(&o.grid);
    int status = EXIT_USAGE;
    if (parse_options(argc, argv, &o) == 0) {
        if (!o.has_max_memory) /* the workers run at once: each gets its share */
            o.request.max_memory = cli_default_max_memory() / o.request.jobs;
        o.request.fixed = o.fixed;
        o.request.grid = &o.grid;
        o.request.progress = isatty(STDERR_FILENO) && !o.quiet ? stderr : NULL;
        o.request.diagnostics = stderr;
        struct sweep_run_result result;
        enum sweep_run_outcome outcome = sweep_run(&o.request, &result);
        if (outcome == SWEEP_RUN_BAD_INPUT)
            status = cli_database_failure(result.error); /* 1 for a locked or full database */
        else if (!o.quiet)
            sweep_run_print_summary(stdout, &o.request, &result);
        if (outcome != SWEEP_RUN_BAD_INPUT)
            status = outcome == SWEEP_RUN_DONE ? EXIT_OK : EXIT_FAILED;
    }
    sweep_grid_free(&o.grid);
    return status;
}
