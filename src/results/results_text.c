/*
 * results_text.c: the text forms of the database's columns, both ways. The
 * writer formats addresses and endpoints ("10.0.0.1:40000") on its hot path
 * (by hand: snprintf was a sixth of the time spent per segment row); the
 * reader parses them back, with the flags ("SYN|ACK") and fates
 * ("queue_full"), strictly: a text that does not come out of the writer's
 * formatting is refused, not guessed at. Names themselves come from the
 * one table each has (segment_flags_string, segment_fate_name).
 */
#include "results_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes n in decimal at p; returns the end. */
static char *put_decimal(char *p, unsigned n)
{
    char digits[10];
    int count = 0;
    do
        digits[count++] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    while (count > 0)
        *p++ = digits[--count];
    return p;
}

static char *put_addr(char *p, uint32_t addr)
{
    for (int shift = 24; shift >= 0; shift -= 8) {
        p = put_decimal(p, (addr >> shift) & 0xff);
        if (shift)
            *p++ = '.';
    }
    return p;
}

char *results_format_addr(uint32_t addr, char *buf)
{
    *put_addr(buf, addr) = '\0';
    return buf;
}

char *results_format_endpoint(uint32_t addr, uint16_t port, char *buf)
{
    char *p = put_addr(buf, addr);
    *p++ = ':';
    *put_decimal(p, port) = '\0';
    return buf;
}

char *results_endpoint_string(uint32_t addr, uint16_t port, char *buf)
{
    return results_format_endpoint(addr, port, buf);
}

/* Parses by formatting back: only the writer's exact spelling passes
 * (no leading zeros, spaces or signs that sscanf alone would let by). */
int results_parse_addr(const char *text, uint32_t *addr)
{
    unsigned a, b, c, d;
    char check[16];
    if (!text || strlen(text) >= sizeof check ||
        sscanf(text, "%3u.%3u.%3u.%3u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 ||
        c > 255 || d > 255)
        return -1;
    *addr = a << 24 | b << 16 | c << 8 | d;
    return strcmp(results_format_addr(*addr, check), text) == 0 ? 0 : -1;
}

int results_parse_endpoint(const char *text, uint32_t *addr, uint16_t *port)
{
    unsigned a, b, c, d, p;
    char check[22];
    if (!text || strlen(text) >= sizeof check ||
        sscanf(text, "%3u.%3u.%3u.%3u:%5u", &a, &b, &c, &d, &p) != 5 || a > 255 || b > 255 ||
        c > 255 || d > 255 || p > 65535)
        return -1;
    *addr = a << 24 | b << 16 | c << 8 | d;
    *port = (uint16_t)p;
    return strcmp(results_format_endpoint(*addr, *port, check), text) == 0 ? 0 : -1;
}

int results_parse_flags(const char *text, uint8_t *flags)
{
    static const uint8_t bits[] = {TCP_FLAG_SYN, TCP_FLAG_FIN, TCP_FLAG_RST,
                                   TCP_FLAG_PSH, TCP_FLAG_URG, TCP_FLAG_ACK};
    char name[32], check[32];
    uint8_t parsed = 0;
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, "|");
        size_t i = 0;
        while (i < sizeof bits && !(strlen(segment_flags_string(bits[i], name)) == len &&
                                     strncmp(p, name, len) == 0))
            i++;
        if (i == sizeof bits)
            break; /* not a flag's name: the check below refuses the text */
        parsed |= bits[i];
        p += len + (p[len] == '|');
    }
    if (!text || strcmp(segment_flags_string(parsed, check), text) != 0)
        return -1;
    *flags = parsed;
    return 0;
}

int results_parse_fate(const char *text, enum segment_fate *fate)
{
    for (int f = FATE_DELIVERED; f <= FATE_QUEUE_FULL; f++)
        if (text && strcmp(text, segment_fate_name((enum segment_fate)f)) == 0) {
            *fate = (enum segment_fate)f;
            return 0;
        }
    return -1;
}

/* run_params.number: "10ms" 0.01 (seconds), "100Mbps" 1e8 (bits/s),
 * "2KiB" 2048 (bytes), "5%" 0.05, "0.05" 0.05. The units are the scenario
 * language's (docs/scenario-language.md); the value is kept as written
 * beside it, so this only spares scripts the parsing. */
int results_param_number(const char *text, double *number)
{
    static const struct { const char *unit; double factor; } units[] = {
        {"", 1},       {"%", 0.01},    {"ns", 1e-9},   {"us", 1e-6},  {"ms", 1e-3},
        {"s", 1},      {"min", 60},    {"bps", 1},     {"kbps", 1e3}, {"Mbps", 1e6},
        {"Gbps", 1e9}, {"B", 1},       {"KB", 1e3},    {"MB", 1e6},   {"GB", 1e9},
        {"KiB", 1024}, {"MiB", 1048576}, {"GiB", 1073741824},
    };
    char *end = NULL;
    if (!text || !*text || strchr("+-.0123456789", text[0]) == NULL)
        return -1;
    double value = strtod(text, &end);
    if (end == text)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            *number = value * units[i].factor;
            return 0;
        }
    return -1;
}
