/*
 * main.c: the tcpsim command. Finds the subcommand and hands it the rest of
 * the command line; prints the overall help and version.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"run", cmd_run, "run a scenario and record it in a results database"},
    {"list", cmd_list, "list the shipped scenarios (run one by name: tcpsim run handshake)"},
    {"check", cmd_check, "parse and validate a scenario without running it"},
    {"ladder", cmd_ladder, "draw the ladder (sequence) diagram of a recorded run"},
    {"dot", cmd_dot, "the observed state diagram of runs, as Graphviz DOT"},
    {"html", cmd_html, "write the interactive teaching page (HTML) of a recorded run"},
    {"pcap", cmd_pcap, "write a capture file (pcap) of a recorded run"},
    {"sweep", cmd_sweep, "run a grid of settings x replications in parallel into one database"},
    {"stats", cmd_stats, "per parameter point: completion, handshake latency with 95% CI, ..."},
    {"merge", cmd_merge, "append the runs of databases to another (sweep shards)"},
    {"kernel", cmd_kernel, "run a scenario on this machine's Linux TCP, recorded like run"},
    {"compare", cmd_compare, "two runs side by side: equivalent, or where they differ"},
    {"upgrade", cmd_upgrade, "convert results databases of schema version 1 to version 2"},
};

static const struct subcommand *find(const char *name)
{
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(name, subcommands[i].name) == 0)
            return &subcommands[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: tcpsim COMMAND [ARGS]...\n"
                 "A discrete-event simulator of TCP connection setup and teardown (RFC 9293).\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\n'tcpsim help COMMAND' (or 'tcpsim COMMAND --help') describes a command;\n"
                 "'tcpsim COMMAND --version' prints the version. Exit status: 0 ok, 1 a failed\n"
                 "expectation or run, 2 a usage or input error.\n");
}

int main(int argc, char **argv)
{
    cli_check_stdout_at_exit();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "help") == 0 && argc == 3) {
        /* `tcpsim help CMD` is `tcpsim CMD --help`. */
        const struct subcommand *c = find(argv[2]);
        if (!c) {
            cli_error("help: unknown command '%s' (try 'tcpsim --help')", argv[2]);
            return EXIT_USAGE;
        }
        char name[64], help[] = "--help";
        snprintf(name, sizeof name, "tcpsim %s", c->name);
        char *help_argv[] = {name, help, NULL};
        return c->run(2, help_argv);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("tcpsim %s\n", PACKAGE_VERSION);
        return EXIT_OK;
    }
    const struct subcommand *c = find(argv[1]);
    /* GNU: every command answers --version (as its first option). */
    if (c && argc >= 3 && strcmp(argv[2], "--version") == 0) {
        printf("tcpsim %s %s\n", c->name, PACKAGE_VERSION);
        return EXIT_OK;
    }
    if (c) {
        /* getopt_long prints its own messages after argv[0]: "tcpsim run:
         * unrecognized option '--x'", in the form of every other message. */
        char name[64];
        snprintf(name, sizeof name, "tcpsim %s", c->name);
        argv[1] = name;
        return c->run(argc - 1, argv + 1);
    }
    cli_error("unknown command '%s' (try 'tcpsim --help')", argv[1]);
    return EXIT_USAGE;
}
