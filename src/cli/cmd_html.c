/*
 * cmd_html.c: `tcpsim html DB [--run ID] [--conn ID] [--quiz] -o FILE`: the
 * interactive teaching page of a recorded run, replayed from the database
 * (results_replay) into the same html sink `tcpsim run --html` uses
 * (view/html.c). The page is built from the records alone, so it is the
 * page of the live run: the same arrows, states and times, and the --set
 * settings the run ran with (run_params).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "html.h"
#include "results.h"
#include "trace.h"

struct html_command {
    const char *db_path, *out_path;
    int64_t run_id;               /* 0: the latest run */
    struct html_options page;
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim html DB -o FILE.html [OPTION]...\n"
            "Write the run recorded in DB as one self-contained interactive HTML page (inline\n"
            "SVG, CSS and JavaScript; it works offline): the ladder, the RFC 9293 state\n"
            "diagram of each host, a cursor that steps through the run, the fields and the\n"
            "explanation of whatever is clicked, and a quiz.\n\n"
            "  -o, --output FILE      the page to write (required)\n"
            "      --run ID           the run (default: the latest in the database)\n"
            "      --conn ID          only connection ID (default: every connection)\n"
            "      --quiz             open the page in quiz mode (seq/ack and the next state\n"
            "                         blanked for the student to fill in)\n"
            "  -q, --quiet            print nothing but errors\n"
            "  -h, --help             this help\n\n"
            "Exit status: 0 ok, 1 the page could not be written, 2 usage or input error.\n");
}

static int parse_options(int argc, char **argv, struct html_command *o)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"run", required_argument, NULL, 'r'},
        {"conn", required_argument, NULL, 'c'},   {"quiz", no_argument, NULL, 'Q'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    uint64_t id;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'o': o->out_path = optarg; break;
        case 'Q': o->page.quiz = true; break;
        case 'q': o->quiet = true; break;
        case 'r':
            if (cli_parse_integer("--run", optarg, 1, INT64_MAX, &id) != 0)
                return -1;
            o->run_id = (int64_t)id;
            break;
        case 'c':
            if (cli_parse_integer("--conn", optarg, 1, INT64_MAX, &id) != 0)
                return -1;
            o->page.conn_id = id;
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
        cli_error(optind != argc - 1 ? "html takes one database" : "html needs -o FILE");
        usage(stderr);
        return -1;
    }
    o->db_path = argv[optind];
    return 0;
}

static int count_connection(void *context, const struct trace_connection *c)
{
    (void)c;
    ++*(int64_t *)context;
    return 0;
}

/* The run asked for (0: the latest) and, with --conn, that connection,
 * checked to exist. Returns 0, or -1 with a message in err. */
static int find_run(struct results_db *db, const struct html_command *o, int64_t *run_id,
                    char *err, size_t errlen)
{
    int64_t connections = 0;
    if (cli_find_run(db, o->db_path, o->run_id, run_id, err, errlen) != 0)
        return -1;
    if (!o->page.conn_id)
        return 0;
    if (results_connections(db, *run_id, (int64_t)o->page.conn_id, count_connection,
                            &connections) != 0)
        snprintf(err, errlen, "%s: %s", o->db_path, results_error(db));
    else if (connections == 0)
        snprintf(err, errlen, "%s: run %" PRId64 " has no connection %" PRIu64, o->db_path,
                 *run_id, o->page.conn_id);
    return connections ? 0 : -1;
}

int cmd_html(int argc, char **argv)
{
    struct html_command o = {.page = HTML_OPTIONS_DEFAULT};
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
    struct trace_sink *page = html_sink_open(o.out_path, &o.page, err, sizeof err);
    if (!page)
        cli_error("%s", err);
    else if ((status = cli_replay_into(db, o.db_path, run_id, page)) == EXIT_OK && !o.quiet)
        printf("run %" PRId64 " of %s: page in %s\n", run_id, o.db_path, o.out_path);
    if (page)
        page->ops->destroy(page);
    results_close(db);
    return status;
}
