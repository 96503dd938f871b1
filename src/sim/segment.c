/*
 * segment.c: the printable form of a segment's flags, shared by every sink
 * so the database, ladder and tests spell them the same way.
 */
#include "segment.h"

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
