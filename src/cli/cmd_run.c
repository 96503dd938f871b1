/*
 * cmd_run.c: `tcpsim run SCENARIO`: run a scenario (optionally several
 * replications), record each run in a results database and optionally a
 * capture file, print a summary, and exit 1 if an expectation failed.
 * `tcpsim kernel` (cmd_kernel.c) is the same command on the real kernel's
 * TCP: it shares the options, the sinks and the loop over replications
 * here, and only the run itself differs (cli_kernel_run_once).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "html.h"
#include "ladder.h"
#include "run_summary.h"
#include "scenario.h"
#include "sink_pcap.h"
#include "results.h"
#include "sink_sqlite.h"
#include "sink_text.h"
#include "trace.h"
#include "world.h"

struct run_options {
    const char *scenario_path;
    char library_path[4096];      /* a shipped scenario named without a path */
    const char *db_path;          /* NULL: the default results/<scenario>.db */
    bool no_db;
    bool has_seed, has_reps;
    uint64_t seed;
    uint32_t reps;
    const char **assignments;     /* --set KEY=VALUE, in order */
    size_t assignment_count;
    const char *pcap_path;
    const char *pcap_side;
    const char *log_path;         /* one line per transition and segment; "-" = stdout */
    const char *html_path;        /* the interactive page of the first replication */
    bool html_quiz;               /* the page opens in quiz mode */
    bool no_expect;               /* do not check the scenario's expectations */
    bool quiet;
    bool ladder;                  /* draw each run's ladder diagram after it */
    bool kernel;                  /* tcpsim kernel: the real kernel's TCP runs the scenario */
    bool lenient;                 /* kernel: run even with settings the kernel cannot take */
    uint64_t max_memory;          /* --max-memory: what one run may account (world_options) */
    struct ladder_options ladder_options;
};

static void usage(FILE *out, bool kernel)
{
    if (kernel)
        fprintf(out, "Usage: tcpsim kernel SCENARIO [OPTION]...\n"
                     "Run SCENARIO on this machine's Linux TCP (one network namespace per host,\n"
                     "joined by tcpsim's link model in real time; needs root) and record it like\n"
                     "'tcpsim run' does.\n\n"
                     "      --lenient          run even when a setting cannot be applied to the\n"
                     "                         kernel (TIME_WAIT other than 60 s, profile rfc9293...);\n"
                     "                         the run's params record what was not applied\n");
    else
        fprintf(out, "Usage: tcpsim run SCENARIO [OPTION]...\n"
                     "Run SCENARIO and record every state transition and segment in a results "
                     "database.\n\n");
    fprintf(out,
            "  -o, --output DB        results database (default results/SCENARIO-NAME.db); an existing\n"
            "                         tcpsim database is appended to, any other file is refused\n"
            "      --no-db            do not write a database\n"
            "      --seed N           run seed (default: the scenario's `run seed=`, else 1)\n"
            "      --reps N           replications; replication r runs with seed N+r\n"
            "      --set KEY=VALUE    override a setting, e.g. link.loss=5%%, client.rto_initial=3s,\n"
            "                         'link.server->client.delay=20ms', run.until=1min (repeatable;\n"
            "                         quote keys with '->' so the shell does not redirect)\n"
            "      --no-expect        do not check the scenario's expectations (for experiments\n"
            "                         with --set, which the expectations do not describe)\n"
            "      --pcap FILE        write a capture of the first replication (Wireshark, tshark);\n"
            "                         FILE.pcapng: pcapng, each packet's fate and states as its comment\n"
            "      --pcap-side HOST   capture what HOST's interface sees instead of the wire\n"
            "      --log FILE         write one line per transition and segment ('-': stdout)\n"
            "      --html FILE        write the first replication as an interactive HTML page\n"
            "      --quiz             open that page in quiz mode\n"
            "      --max-memory SIZE  stop a run (failed, exit 1) whose TCBs, buffers and events\n"
            "                         would pass SIZE (512M, 4G; default: half the physical memory)\n"
            "  -q, --quiet            print nothing but errors\n"
            "  -h, --help             this help\n"
            "      --ladder           draw each run's ladder diagram after it (with --no-db, from\n"
            "                         an in-memory database); these options imply --ladder:\n");
    ladder_options_help(out, false);
    fprintf(out, "\nExit status: 0 ok, 1 an expectation failed or a run failed, 2 usage or input "
                 "error.\n");
}

static int parse_options(int argc, char **argv, struct run_options *o)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"no-db", no_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},   {"reps", required_argument, NULL, 'r'},
        {"set", required_argument, NULL, 'S'},    {"pcap", required_argument, NULL, 'p'},
        {"pcap-side", required_argument, NULL, 'P'}, {"quiet", no_argument, NULL, 'q'},
        {"log", required_argument, NULL, 'l'},    {"no-expect", no_argument, NULL, 'E'},    {"ladder", no_argument, NULL, 'L'},
        {"html", required_argument, NULL, 'H'},  {"quiz", no_argument, NULL, 'Z'},
        {"conn", required_argument, NULL, LADDER_OPT_CONN},
        {"relative", no_argument, NULL, LADDER_OPT_RELATIVE},
        {"ascii", no_argument, NULL, LADDER_OPT_ASCII},
        {"explain", no_argument, NULL, LADDER_OPT_EXPLAIN},
        {"width", required_argument, NULL, LADDER_OPT_WIDTH},
        {"color", optional_argument, NULL, LADDER_OPT_COLOR},
        {"lenient", no_argument, NULL, 'K'},
        {"max-memory", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    uint64_t value;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'o': o->db_path = optarg; break;
        case 'n': o->no_db = true; break;
        case 'q': o->quiet = true; break;
        case 'p': o->pcap_path = optarg; break;
        case 'P': o->pcap_side = optarg; break;
        case 'l': o->log_path = optarg; break;
        case 'E': o->no_expect = true; break;
        case 'L': o->ladder = true; break;
        case 'H': o->html_path = optarg; break;
        case 'Z': o->html_quiz = true; break;
        case 'K':
            if (!o->kernel) {
                cli_error("--lenient is an option of 'tcpsim kernel'");
                return -1;
            }
            o->lenient = true;
            break;
        case LADDER_OPT_CONN:
        case LADDER_OPT_RELATIVE:
        case LADDER_OPT_ASCII:
        case LADDER_OPT_EXPLAIN:
        case LADDER_OPT_WIDTH:
        case LADDER_OPT_COLOR: {
            char err[256];
            if (ladder_set_option(&o->ladder_options, opt, optarg, err, sizeof err) != 0) {
                cli_error("%s", err);
                return -1;
            }
            o->ladder = true;
            break;
        }
        case 'M':
            if (o->kernel) {
                cli_error("--max-memory is an option of 'tcpsim run': the kernel's TCP keeps its "
                          "own memory");
                return -1;
            }
            if (cli_parse_size("--max-memory", optarg, &o->max_memory) != 0)
                return -1;
            break;
        case 's':
            if (cli_parse_integer("--seed", optarg, 0, UINT64_MAX, &o->seed) != 0)
                return -1;
            o->has_seed = true;
            break;
        case 'r':
            if (cli_parse_integer("--reps", optarg, 1, 1000000, &value) != 0)
                return -1;
            o->reps = (uint32_t)value;
            o->has_reps = true;
            break;
        case 'S':
            o->assignments[o->assignment_count++] = optarg;
            break;
        case 'h':
            usage(stdout, o->kernel);
            exit(EXIT_OK);
        default:
            cli_try_help(o->kernel ? "kernel" : "run");
            return -1;
        }
    }
    if (optind != argc - 1) {
        const char *name = o->kernel ? "kernel" : "run";
        cli_error(optind < argc ? "%s takes one scenario file" : "%s needs a scenario file", name);
        cli_try_help(o->kernel ? "kernel" : "run");
        return -1;
    }
    if (o->db_path && !o->db_path[0]) {
        cli_error("--output: an empty file name");
        return -1;
    }
    if (o->no_db && o->db_path) {
        cli_error("--no-db and --output contradict each other");
        return -1;
    }
    if (o->html_quiz && !o->html_path) {
        cli_error("--quiz is an option of the page: it needs --html FILE");
        return -1;
    }
    o->scenario_path = cli_scenario_path(argv[optind], o->library_path, sizeof o->library_path);
    return 0;
}

static struct scenario *load_scenario(const struct run_options *o)
{
    struct scenario_error err;
    struct scenario *sc = cli_load_scenario(o->scenario_path);
    if (!sc)
        return NULL;
    for (size_t i = 0; i < o->assignment_count; i++) {
        if (scenario_set_assignment(sc, o->assignments[i], &err) != 0) {
            cli_error("--set: %s", err.message);
            scenario_free(sc);
            return NULL;
        }
    }
    return sc;
}

/* results/NAME.db, creating results/ when it does not exist. */
static int default_db_path(const struct scenario *sc, char *path, size_t size)
{
    if (mkdir("results", 0777) != 0 && errno != EEXIST) {
        cli_error("cannot create directory results/: %s", strerror(errno));
        return -1;
    }
    snprintf(path, size, "results/%s.db", sc->name);
    return 0;
}

/* Returns 0, or the exit status (cli_database_failure's rule for the database). */
static int open_sinks(const struct run_options *o, const struct scenario *sc, struct trace *trace,
                      char *db_path, size_t db_size, struct trace_sink **pcap_sink, FILE **log,
                      struct trace_sink **db_sink)
{
    char error[512];
    if (o->log_path) {
        *log = strcmp(o->log_path, "-") == 0 ? stdout : fopen(o->log_path, "w");
        if (!*log) {
            cli_error("cannot write %s: %s", o->log_path, strerror(errno));
            return EXIT_USAGE;
        }
        struct trace_sink *text = sink_text_open(*log, strcmp(o->log_path, "-") == 0
                                                             ? "standard output" : o->log_path);
        if (!text || trace_add_sink(trace, text) != 0) {
            cli_error("out of memory");
            if (text)
                text->ops->destroy(text);
            return EXIT_USAGE;
        }
    }
    if (!o->no_db || o->ladder) {
        if (o->no_db) /* the ladder reads the run back from memory */
            snprintf(db_path, db_size, ":memory:");
        else if (o->db_path)
            snprintf(db_path, db_size, "%s", o->db_path);
        else if (default_db_path(sc, db_path, db_size) != 0)
            return EXIT_USAGE;
        struct trace_sink *db = sink_sqlite_open(db_path, error, sizeof error);
        if (!db)
            return cli_database_failure(error);
        trace_add_sink(trace, db);
        *db_sink = db;
    }
    if (o->pcap_path) {
        if (o->pcap_side && scenario_host_index(sc, o->pcap_side) < 0) {
            cli_error("--pcap-side: no host named '%s' in %s", o->pcap_side, o->scenario_path);
            return EXIT_USAGE;
        }
        struct trace_sink *pcap = sink_pcap_open(o->pcap_path, o->pcap_side, error, sizeof error);
        if (!pcap) {
            cli_error("%s", error);
            return EXIT_USAGE;
        }
        trace_add_sink(trace, pcap);
        *pcap_sink = pcap;
    }
    if (o->html_path) {
        struct html_options options = HTML_OPTIONS_DEFAULT;
        options.quiz = o->html_quiz;
        struct trace_sink *page = html_sink_open(o->html_path, &options, error, sizeof error);
        if (!page) {
            cli_error("%s", error);
            return EXIT_USAGE;
        }
        trace_add_sink(trace, page); /* it writes the first run and ignores the others */
    }
    return 0;
}

/* The ladder of the run just recorded. */
static int draw_ladder(struct trace_sink *db, struct ladder_options *options)
{
    char err[512];
    options->run_id = sink_sqlite_last_run_id(db);
    struct results_db *reader = sink_sqlite_reader(db, err, sizeof err);
    int rc = reader ? ladder_render(reader, options, stdout, err, sizeof err) : -1;
    results_close(reader);
    if (rc != 0)
        cli_error("--ladder: %s", err);
    return rc;
}

static void print_one_line(const struct scenario *sc, uint64_t seed, uint32_t rep,
                           const struct world_report *r)
{
    printf("%s rep %" PRIu32 " seed %" PRIu64 ": %s, %" PRIu64 "/%" PRIu64
           " established, %" PRIu64 " segments (%" PRIu64 " retransmitted, %" PRIu64
           " lost), simulated %.3f s, %.3f s wall\n",
           sc->name, rep, seed, r->status, r->established, r->connections, r->segments,
           r->retransmissions, r->lost, (double)r->sim_end_ns / SIM_S, r->wall_s);
}

/* One replication on the chosen backend. */
static int run_once(const struct run_options *o, const struct scenario *sc,
                    const struct world_options *options, struct trace *trace,
                    struct world_report *report)
{
    if (o->kernel)
        return cli_kernel_run_once(sc, options, o->lenient, !o->quiet, trace, report);
    return world_run(sc, options, trace, report);
}

int cmd_run(int argc, char **argv) { return cli_run_command(argc, argv, false); }

int cli_run_command(int argc, char **argv, bool kernel)
{
    const char *assignments[argc > 0 ? argc : 1];
    struct run_options o = {.assignments = assignments, .reps = 1,
                            .ladder_options = LADDER_OPTIONS_DEFAULT, .kernel = kernel,
                            .max_memory = cli_default_max_memory()};
    if (parse_options(argc, argv, &o) != 0)
        return EXIT_USAGE;
    if (kernel && cli_kernel_check_privileges() != 0)
        return EXIT_USAGE;
    struct scenario *sc = load_scenario(&o);
    if (!sc)
        return EXIT_USAGE;
    if (kernel && cli_kernel_check_scenario(sc, o.lenient) != 0) {
        scenario_free(sc);
        return EXIT_USAGE;
    }

    uint64_t seed = o.has_seed ? o.seed : sc->run.seed;
    uint32_t reps = o.has_reps ? o.reps : sc->run.reps;
    if (cli_check_seeds(seed, reps) != 0) {
        scenario_free(sc);
        return EXIT_USAGE;
    }
    struct trace trace;
    char db_path[4096] = "";
    struct trace_sink *pcap = NULL, *db = NULL;
    FILE *log = NULL;
    trace_init(&trace);
    ladder_resolve_output(&o.ladder_options, stdout);
    int failure = open_sinks(&o, sc, &trace, db_path, sizeof db_path, &pcap, &log, &db);
    if (failure != 0) {
        trace_destroy_sinks(&trace);
        if (log && log != stdout)
            fclose(log);
        scenario_free(sc);
        return failure;
    }

    int status = EXIT_OK;
    uint64_t failed_runs = 0, stopped_runs = 0;
    for (uint32_t rep = 0; rep < reps; rep++) {
        struct world_report report;
        struct world_options options = {
            .seed = seed + rep,
            .rep = rep,
            .details = !o.quiet && reps == 1,
            .notes = true,
            .skip_expectations = o.no_expect,
            .max_memory = o.max_memory,
        };
        if (run_once(&o, sc, &options, &trace, &report) != 0) {
            cli_error("%s: run failed: %s", o.scenario_path, report.error);
            world_report_free(&report);
            status = EXIT_FAILED;
            break;
        }
        if (report.unlisted_transitions)
            cli_error("%s: %" PRIu64 " state transitions outside the table of src/tcp/tcp_state.c:"
                      " a bug in tcpsim, please report it", o.scenario_path,
                      report.unlisted_transitions);
        if (options.details) {
            run_summary_print(stdout, sc, &report);
        } else if (!o.kernel) {
            /* -q and replications hide the summary, never a refused call (a
             * kernel run prints its own as they happen). */
            char prefix[4200];
            snprintf(prefix, sizeof prefix, "tcpsim: %s: rep %" PRIu32 ": ", o.scenario_path, rep);
            run_summary_print_notes(stderr, prefix, sc, &report);
        }
        if (report.error[0]) /* a run that stopped, e.g. out of memory */
            cli_error("%s: %s%s", o.scenario_path, report.error,
                      report.memory_limit_reached ? " (raise the limit with --max-memory SIZE)" : "");
        world_report_free(&report);
        if (!o.quiet && reps > 1)
            print_one_line(sc, seed + rep, rep, &report);
        if (o.ladder && db && draw_ladder(db, &o.ladder_options) != 0) {
            status = EXIT_USAGE;
            break;
        }
        if (strcmp(report.status, "ok") != 0) {
            if (report.error[0]) /* stopped (out of memory, the memory limit), said above */
                stopped_runs++;
            else
                failed_runs++;
            status = EXIT_FAILED;
        }
        if (rep == 0 && pcap) {
            /* The capture holds the first replication only. */
            trace_remove_sink(&trace, pcap);
            pcap->ops->destroy(pcap);
            pcap = NULL;
        }
    }
    if (!o.quiet) {
        if (failed_runs)
            printf("%" PRIu64 " of %" PRIu32 " runs failed their expectations\n", failed_runs, reps);
        if (stopped_runs)
            printf("%" PRIu64 " of %" PRIu32 " runs stopped before their end\n", stopped_runs, reps);
        if (!o.no_db)
            printf("recorded in %s\n", db_path);
        if (o.pcap_path)
            printf("capture in %s\n", o.pcap_path);
        if (o.html_path)
            printf("page in %s\n", o.html_path);
    }
    trace_destroy_sinks(&trace);
    if (log && log != stdout && fclose(log) != 0) {
        cli_error("writing %s: %s", o.log_path, strerror(errno));
        status = EXIT_FAILED;
    }
    scenario_free(sc);
    return status;
}
