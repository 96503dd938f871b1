/*
 * pcapng.c: the pcapng blocks of pcapng.h, written straight to the file.
 * Each block is: type, total length, body, options, total length again;
 * bodies and option values are padded to 32 bits with zeros. The options
 * end with opt_endofopt. Every length is known before a block starts, so
 * nothing is buffered here.
 */
#include "pcapng.h"

#include <string.h>

enum {
    BLOCK_SECTION_HEADER = 0x0A0D0D0A,
    BLOCK_INTERFACE = 0x00000001,
    BLOCK_ENHANCED_PACKET = 0x00000006,
    BYTE_ORDER_MAGIC = 0x1A2B3C4D,
    OPT_ENDOFOPT = 0,
    OPT_COMMENT = 1,
    SHB_USERAPPL = 4,
    IF_NAME = 2,
    IF_TSRESOL = 9,
    TSRESOL_NANOSECONDS = 9, /* 10^-9 s */
    OPTION_VALUE_MAX = 0xffff,
    BLOCK_FRAME_LEN = 12,    /* type, total length, total length again */
};

static uint32_t padded(uint32_t n) { return (n + 3) & ~(uint32_t)3; }

static void put_le16(FILE *out, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    fwrite(b, 1, sizeof b, out);
}

static void put_le32(FILE *out, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, sizeof b, out);
}

/* n bytes, then zeros up to the next 32-bit boundary. */
static void put_padded(FILE *out, const void *bytes, uint32_t n)
{
    static const uint8_t zeros[3];
    fwrite(bytes, 1, n, out);
    fwrite(zeros, 1, padded(n) - n, out);
}

static uint32_t option_value_len(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    return (uint32_t)(n > OPTION_VALUE_MAX ? OPTION_VALUE_MAX : n);
}

/* The bytes an option of a text value takes; 0 for none (NULL or ""). */
static uint32_t option_len(const char *text)
{
    uint32_t n = option_value_len(text);
    return n ? 4 + padded(n) : 0;
}

static void put_option(FILE *out, uint16_t code, const void *value, uint32_t n)
{
    put_le16(out, code);
    put_le16(out, (uint16_t)n);
    put_padded(out, value, n);
}

static void put_text_option(FILE *out, uint16_t code, const char *text)
{
    uint32_t n = option_value_len(text);
    if (n)
        put_option(out, code, text, n);
}

static void put_end_of_options(FILE *out)
{
    put_le16(out, OPT_ENDOFOPT);
    put_le16(out, 0);
}

static int finish(FILE *out) { return ferror(out) ? -1 : 0; }

int pcapng_write_header(FILE *out, uint16_t linktype, uint32_t snaplen, const char *if_name)
{
    static const char application[] = "tcpsim";
    uint32_t shb_len = BLOCK_FRAME_LEN + 16 + option_len(application) + 4;
    put_le32(out, BLOCK_SECTION_HEADER);
    put_le32(out, shb_len);
    put_le32(out, BYTE_ORDER_MAGIC);
    put_le16(out, 1); /* version 1.0 */
    put_le16(out, 0);
    put_le32(out, UINT32_MAX); /* section length -1: not given */
    put_le32(out, UINT32_MAX);
    put_text_option(out, SHB_USERAPPL, application);
    put_end_of_options(out);
    put_le32(out, shb_len);

    uint8_t tsresol = TSRESOL_NANOSECONDS;
    uint32_t idb_len = BLOCK_FRAME_LEN + 8 + option_len(if_name) + 4 + padded(1) + 4;
    put_le32(out, BLOCK_INTERFACE);
    put_le32(out, idb_len);
    put_le16(out, linktype);
    put_le16(out, 0); /* reserved */
    put_le32(out, snaplen);
    put_text_option(out, IF_NAME, if_name);
    put_option(out, IF_TSRESOL, &tsresol, 1);
    put_end_of_options(out);
    put_le32(out, idb_len);
    return finish(out);
}

int pcapng_write_packet(FILE *out, uint64_t ts_ns, const uint8_t *bytes, uint32_t cap_len,
                        uint32_t wire_len, const char *comment)
{
    uint32_t options = option_len(comment) ? option_len(comment) + 4 : 0;
    uint32_t len = BLOCK_FRAME_LEN + 20 + padded(cap_len) + options;
    put_le32(out, BLOCK_ENHANCED_PACKET);
    put_le32(out, len);
    put_le32(out, 0); /* interface 0 */
    put_le32(out, (uint32_t)(ts_ns >> 32));
    put_le32(out, (uint32_t)ts_ns);
    put_le32(out, cap_len);
    put_le32(out, wire_len);
    put_padded(out, bytes, cap_len);
    if (options) {
        put_text_option(out, OPT_COMMENT, comment);
        put_end_of_options(out);
    }
    put_le32(out, len);
    return finish(out);
}
