/*
 * segment.c: the printable form of a segment's flags and options, shared
 * by every sink so the database, ladder and tests spell them the same way,
 * and the parser that reads the options back from the database.
 */
#include "segment.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *segment_flags_string(uint8_t flags, char *buf)
{
    static const struct { uint8_t bit; const char *name; } order[] = {
        {TCP_FLAG_SYN, "SYN"}, {TCP_FLAG_FIN, "FIN"}, {TCP_FLAG_RST, "RST"},
        {TCP_FLAG_PSH, "PSH"}, {TCP_FLAG_URG, "URG"}, {TCP_FLAG_ACK, "ACK"},
    };
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(flags & order[i].bit))
            continue;
        if (buf[0])
            strcat(buf, "|");
        strcat(buf, order[i].name);
    }
    if (!buf[0])
        strcpy(buf, "NONE");
    return buf;
}

char *segment_options_string(const struct segment *seg, char *buf)
{
    size_t n = 0, cap = SEGMENT_OPTIONS_MAX;
    buf[0] = '\0';
    if (seg->mss)
        n += (size_t)snprintf(buf + n, cap - n, ",mss=%u", seg->mss);
    if (seg->options & TCP_OPT_SACK_PERM)
        n += (size_t)snprintf(buf + n, cap - n, ",sack_perm");
    if (seg->options & TCP_OPT_TIMESTAMPS)
        n += (size_t)snprintf(buf + n, cap - n, ",ts=%" PRIu32 "/%" PRIu32, seg->tsval, seg->tsecr);
    if (seg->options & TCP_OPT_WSCALE)
        n += (size_t)snprintf(buf + n, cap - n, ",wscale=%u", seg->wscale);
    if (n)
        memmove(buf, buf + 1, n); /* drop the leading comma, keep the NUL */
    return buf;
}

/* One unsigned decimal at *p up to `stop` or the end, at most max. */
static int parse_number(const char **p, char stop, uint32_t max, uint32_t *out)
{
    char *end;
    if (**p < '0' || **p > '9')
        return -1;
    unsigned long long v = strtoull(*p, &end, 10);
    if (v > max || (*end != '\0' && *end != ',' && *end != stop))
        return -1;
    *out = (uint32_t)v;
    *p = end;
    return 0;
}

static int parse_option(const char **p, struct segment *s)
{
    uint32_t v;
    if (strncmp(*p, "mss=", 4) == 0) {
        *p += 4;
        if (parse_number(p, ',', UINT16_MAX, &v) || v == 0)
            return -1;
        s->mss = (uint16_t)v;
    } else if (strncmp(*p, "sack_perm", 9) == 0) {
        *p += 9;
        s->options |= TCP_OPT_SACK_PERM;
    } else if (strncmp(*p, "ts=", 3) == 0) {
        *p += 3;
        if (parse_number(p, '/', UINT32_MAX, &s->tsval) || **p != '/')
            return -1;
        ++*p;
        if (parse_number(p, ',', UINT32_MAX, &s->tsecr))
            return -1;
        s->options |= TCP_OPT_TIMESTAMPS;
    } else if (strncmp(*p, "wscale=", 7) == 0) {
        *p += 7;
        if (parse_number(p, ',', 14, &v))
            return -1;
        s->wscale = (uint8_t)v;
        s->options |= TCP_OPT_WSCALE;
    } else {
        return -1;
    }
    return **p == '\0' || **p == ',' ? 0 : -1;
}

int segment_options_parse(const char *text, struct segment *seg)
{
    struct segment s = *seg;
    s.mss = 0;
    s.options = 0;
    s.wscale = 0;
    s.tsval = s.tsecr = 0;
    for (const char *p = text; *p;) {
        if (parse_option(&p, &s) != 0)
            return -1;
        if (*p == ',')
            p++;
    }
    *seg = s;
    return 0;
}
