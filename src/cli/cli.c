/*
 * cli.c: what every tcpsim subcommand shares: error messages in one form,
 * and reading integer options with their range checked.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
