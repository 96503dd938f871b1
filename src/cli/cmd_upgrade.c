/*
 * cmd_upgrade.c: `tcpsim upgrade DB...`: converts results databases of
 * schema version 1 to the current version in place (results_upgrade: a new
 * file beside each, renamed over it, so a kill loses nothing). A file
 * already of the current version is left as it is.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "results.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tcpsim upgrade DB...\n"
            "Convert tcpsim databases of schema version 1 to the current version, in place.\n"
            "Each is rewritten into DB.upgrade and renamed over DB once complete, so a killed\n"
            "upgrade leaves DB as it was. A database of the current version is left untouched.\n\n"
            "  -q, --quiet   print nothing but errors\n"
            "  -h, --help    this help\n\n"
            "Exit status: 0 ok, 1 a database could not be written, 2 usage or input error.\n");
}

static int parse_options(int argc, char **argv, bool *quiet)
{
    if (cli_parse_quiet_options(argc, argv, "upgrade", usage, quiet) != 0)
        return -1;
    if (optind == argc) {
        cli_error("upgrade needs at least one database");
        cli_try_help("upgrade");
        return -1;
    }
    return 0;
}

int cmd_upgrade(int argc, char **argv)
{
    bool quiet = false;
    char err[512];
    if (parse_options(argc, argv, &quiet) != 0)
        return EXIT_USAGE;
    int status = EXIT_OK;
    for (int i = optind; i < argc; i++) {
        int rc = results_upgrade(argv[i], err, sizeof err);
        if (rc < 0) {
            cli_error("%s", err);
            status = EXIT_USAGE;
        } else if (!quiet) {
            printf("%s: %s\n", argv[i], rc ? "upgraded to schema version 2" : "already version 2");
        }
    }
    return status;
}
