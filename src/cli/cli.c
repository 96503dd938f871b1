/*
 * cli.c: what every tcpsim subcommand shares: error messages in one form,
 * reading integer options with their range checked, the checks of input
 * files and seeds every command makes the same way, and the check that
 * standard output was really written.
 */
#include "cli.h"
#include <getopt.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"
#include "scenario.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tcpsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_parse_integer(const char *option, const char *text, uint64_t min, uint64_t max,
                      uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long value = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    if (text[0] < '0' || text[0] > '9' || errno || *end || value < min || value > max) {
        if (max == UINT64_MAX || max == INT64_MAX)
            cli_error("%s: '%s' is not %s integer", option, text,
                      min == 0 ? "a non-negative" : "a positive");
        else
            cli_error("%s: '%s' is not an integer from %" PRIu64 " to %" PRIu64, option, text, min,
                      max);
        return -1;
    }
    *out = value;
    return 0;
}

int cli_parse_size(const char *option, const char *text, uint64_t *out)
{
    static const char units[] = "KMGT";
    char *end;
    errno = 0;
    unsigned long long value = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    bool bad = text[0] < '0' || text[0] > '9' || errno != 0;
    uint64_t scale = 1;
    if (!bad && *end) {
        const char *unit = strchr(units, end[0]);
        bad = unit == NULL;
        if (!bad) {
            for (const char *u = units; u <= unit; u++)
                scale *= 1024;
            end++;
            bad = *end && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0;
        }
    }
    if (bad || value == 0 || value > UINT64_MAX / scale) {
        cli_error("%s: '%s' is not a size such as 512M or 4G (K, M, G, T: powers of 1024)",
                  option, text);
        return -1;
    }
    *out = value * scale;
    return 0;
}

uint64_t cli_default_max_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0)
        return UINT64_C(1) << 32; /* unknown: 4 GiB */
    return (uint64_t)pages * (uint64_t)page_size / 2;
}

int cli_check_input_file(const char *path)
{
    struct stat st;
    if (path[0] == '\0') {
        cli_error("an empty file name");
        return -1;
    }
    /* A missing file is the reader's to report (with its FILE:LINE:COL
     * form); what must not get through is a FIFO or a device, which would
     * block the run forever or feed it without end. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        cli_error("%s: not a regular file", path);
        return -1;
    }
    return 0;
}

struct scenario *cli_load_scenario(const char *path)
{
    if (cli_check_input_file(path) != 0)
        return NULL;
    struct scenario_error err;
    struct scenario *sc = scenario_parse_file(path, &err);
    if (!sc) {
        char message[1024];
        scenario_error_format(&err, message, sizeof message);
        fprintf(stderr, "%s\n", message);
    }
    return sc;
}

int cli_check_seeds(uint64_t seed, uint64_t reps)
{
    if (reps > 1 && seed > UINT64_MAX - (reps - 1)) {
        cli_error("seed %" PRIu64 " with %" PRIu64 " replications passes the largest seed, %" PRIu64
                  " (replication r runs with seed+r)", seed, reps, UINT64_MAX);
        return -1;
    }
    return 0;
}

/* Registered with atexit: output that never reached its file (a full disk,
 * a closed pipe) is a failure, not a success with nothing said. */
static void close_stdout(void)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        int saved = errno;
        cli_error("write error on standard output%s%s", saved ? ": " : "",
                  saved ? strerror(saved) : "");
        _exit(EXIT_FAILED);
    }
}

void cli_check_stdout_at_exit(void) { atexit(close_stdout); }

void cli_try_help(const char *command)
{
    /* GNU: a usage error says where the help is instead of printing it all. */
    fprintf(stderr, "Try 'tcpsim %s --help' for more information.\n", command);
}

int cli_parse_quiet_options(int argc, char **argv, const char *command, void (*usage)(FILE *),
                            bool *quiet)
{
    static const struct option options[] = {
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        switch (opt) {
        case 'q': *quiet = true; break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        default:
            cli_try_help(command);
            return -1;
        }
    }
    return 0;
}

int cli_database_failure(const char *message)
{
    cli_error("%s", message);
    return results_message_is_environment(message) ? EXIT_FAILED : EXIT_USAGE;
}
