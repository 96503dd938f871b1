/*
 * scenario.c: the scenario language. Reads a scenario file line by line (one
 * directive per line, KEY=VALUE arguments, a unit on every quantity), checks
 * everything that can be checked before a run, and fills the plain struct
 * scenario the world consumes. Errors say FILE:LINE:COL: message.
 *
 * The functions that apply KEY=VALUE arguments (link_apply, host_apply,
 * workload_apply, run_apply) serve both the file and --set KEY=VALUE, so
 * the two can never disagree about what a setting means.
 *
 * A file is read in two passes. The first only learns the host names, so a
 * line may name a host declared below it; the second checks and applies
 * every line in file order, so the error reported is the first in the file.
 * The grammar is documented in docs/scenario-language.md.
 */
#include "scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

enum {
    TOKENS_MAX = SCENARIO_LINE_MAX / 2 + 1,  /* "a b c ...": at most one token per two bytes */
    TOKEN_TEXT_MAX = 2 * SCENARIO_LINE_MAX + 2,
    CALL_ARGS_MAX = 4,
    PARAM_KEY_MAX = sizeof ((struct scenario_param *)0)->key,
    PARAM_VALUE_MAX = sizeof ((struct scenario_param *)0)->value,
};
#define INPUT_MAX_BYTES ((size_t)64 << 20)
#define QUANTITY_MAX ((uint64_t)1 << 53)          /* sizes and counts: exact in a double */
#define EPHEMERAL_LOW 32768                         /* Linux ip_local_port_range */
#define EPHEMERAL_HIGH 60999
#define DEFAULT_BACKLOG 128

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* ---------------------------------------------------------------------- */
/* Diagnostics                                                            */

/* Where errors are reported: a line of a file, or a --set assignment. */
struct place {
    struct scenario_error *err;    /* NULL: stay silent (the first pass) */
    const char *file;
    int line;                      /* 0: not a place in a file */
};

static int fail(const struct place *at, int column, const char *format, ...) PRINTF_LIKE(3, 4);

static int fail(const struct place *at, int column, const char *format, ...)
{
    struct scenario_error *err = at->err;
    if (!err)
        return -1;
    snprintf(err->file, sizeof err->file, "%s", at->file ? at->file : "");
    err->line = at->line;
    err->column = at->line > 0 ? column : 0;
    va_list ap;
    va_start(ap, format);
    vsnprintf(err->message, sizeof err->message, format, ap);
    va_end(ap);
    return -1;
}

void scenario_error_format(const struct scenario_error *err, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    if (!err)
        snprintf(buf, size, "unknown error");
    else if (err->file[0] && err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column, err->message);
    else if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->message);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->message);
    else
        snprintf(buf, size, "%s", err->message);
}

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_letter(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool same(const char *a, const char *b) { return strcmp(a, b) == 0; }

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* Case-insensitive, and '-' equals '_' (SYN-RECEIVED = SYN_RECEIVED). */
static bool same_loosely(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = *a == '-' ? '_' : lower((unsigned char)*a);
        int y = *b == '-' ? '_' : lower((unsigned char)*b);
        if (x != y)
            return false;
        if (x == '\0')
            return true;
    }
}

static bool mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a != 0 && b > UINT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

static bool add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (b > UINT64_MAX - a)
        return false;
    *out = a + b;
    return true;
}

static uint64_t pow10_u64(int n)
{
    uint64_t v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* Edit distance of two short words (insertions, deletions, substitutions
 * and swaps of neighbours, ignoring case); SIZE_MAX for long words. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), rows[3][41];
    if (la > 40 || lb > 40)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *row = rows[i % 3], *up = rows[(i + 2) % 3], *up2 = rows[(i + 1) % 3];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int x = lower((unsigned char)a[i - 1]), y = lower((unsigned char)b[j - 1]);
            size_t best = up[j - 1] + (x != y);
            if (up[j] + 1 < best)
                best = up[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (i > 1 && j > 1 && x == lower((unsigned char)b[j - 2]) && lower((unsigned char)a[i - 2]) == y
                && up2[j - 2] + 1 < best)
                best = up2[j - 2] + 1;
            row[j] = best;
        }
    }
    return rows[la % 3][lb];
}

/* The known word closest to `word`, if it is close enough to be a typo. */
static const char *closest(const char *word, const char *const *known)
{
    const char *best = NULL;
    size_t best_distance = 3;
    for (size_t i = 0; known[i]; i++) {
        size_t d = edit_distance(word, known[i]);
        if (d < best_distance && d * 3 <= strlen(known[i])) {
            best = known[i];
            best_distance = d;
        }
    }
    return best;
}

static void join_words(const char *const *words, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; words[i] && used + 1 < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", words[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* "2min", "1500ms", "7ns": the largest unit that divides the time exactly. */
static void format_time(sim_time t, char *buf, size_t size)
{
    static const struct { const char *name; sim_time ns; } units[] = {
        {"min", 60 * SIM_S}, {"s", SIM_S}, {"ms", SIM_MS}, {"us", SIM_US}, {"ns", SIM_NS},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (t % units[i].ns == 0) {
            snprintf(buf, size, "%" PRId64 "%s", t / units[i].ns, units[i].name);
            return;
        }
}

/* ---------------------------------------------------------------------- */
/* Numbers and units. Parsed exactly in integers: "1.5s" is 1500000000 ns. */

struct decimal {
    uint64_t whole, frac;   /* whole.frac, frac having `places` digits */
    int places;
};

/* Reads DIGITS[.DIGITS] at *text and moves *text past it. */
static const char *read_decimal(const char **text, struct decimal *d)
{
    const char *s = *text;
    memset(d, 0, sizeof *d);
    if (*s == '-')
        return "cannot be negative";
    if (!is_digit((unsigned char)*s))
        return "is not a number";
    for (; is_digit((unsigned char)*s); s++)
        if (!mul_u64(d->whole, 10, &d->whole) || !add_u64(d->whole, (uint64_t)(*s - '0'), &d->whole))
            return "is too large";
    if (*s == '.') {
        s++;
        if (!is_digit((unsigned char)*s))
            return "needs digits after the decimal point";
        for (; is_digit((unsigned char)*s); s++) {
            if (d->places == 18)
                return "has too many decimal places";
            d->frac = d->frac * 10 + (uint64_t)(*s - '0');
            d->places++;
        }
        while (d->places > 0 && d->frac % 10 == 0) {
            d->frac /= 10;
            d->places--;
        }
    }
    *text = s;
    return NULL;
}

struct unit {
    const char *name;
    uint64_t factor;
};

struct quantity {
    const struct unit *units;
    size_t unit_count;
    uint64_t max;
    const char *needs_unit, *unknown_unit, *too_fine;
};

static const struct unit duration_units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"min", 60000000000},
};
static const struct quantity durations = {
    duration_units, 5, INT64_MAX,
    "needs a unit: ns, us, ms, s or min",
    "has an unknown unit (use ns, us, ms, s or min)",
    "is finer than 1 ns",
};

static const struct unit size_units[] = {
    {"B", 1}, {"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000},
    {"KiB", 1024}, {"MiB", 1048576}, {"GiB", 1073741824},
};
static const struct quantity sizes = {
    size_units, 7, QUANTITY_MAX,
    "needs a unit: B, KB, MB, GB, KiB, MiB or GiB",
    "has an unknown unit (use B, KB, MB, GB, KiB, MiB or GiB)",
    "is not a whole number of bytes",
};

static const struct unit rate_units[] = {
    {"bps", 1}, {"kbps", 1000}, {"Mbps", 1000000}, {"Gbps", 1000000000},
};
static const struct quantity rates = {
    rate_units, 4, INT64_MAX,
    "needs a unit: bps, kbps, Mbps or Gbps",
    "has an unknown unit (use bps, kbps, Mbps or Gbps)",
    "is not a whole number of bits per second",
};

/* d * factor exactly, or why not. */
static const char *scale_decimal(const struct decimal *d, uint64_t factor, const struct quantity *q,
                                 uint64_t *out)
{
    uint64_t v, part = 0;
    if (!mul_u64(d->whole, factor, &v))
        return "is too large";
    if (d->places > 0) {
        uint64_t denominator = pow10_u64(d->places);
        uint64_t g = gcd_u64(factor, denominator);
        uint64_t rest = denominator / g;       /* coprime with factor / g */
        if (d->frac % rest != 0)
            return q->too_fine;
        if (!mul_u64(d->frac / rest, factor / g, &part))
            return "is too large";
    }
    if (!add_u64(v, part, &v) || v > q->max)
        return "is too large";
    *out = v;
    return NULL;
}

/* NUMBER UNIT, or a bare 0. */
static const char *parse_quantity(const char *text, const struct quantity *q, uint64_t *out)
{
    struct decimal d;
    const char *why = read_decimal(&text, &d);
    if (why)
        return why;
    if (*text == '\0') {
        if (d.whole != 0 || d.places != 0)
            return q->needs_unit;
        *out = 0;
        return NULL;
    }
    for (size_t i = 0; i < q->unit_count; i++)
        if (same(text, q->units[i].name))
            return scale_decimal(&d, q->units[i].factor, q, out);
    return q->unknown_unit;
}

/* 0.05 or 5%, within [0, 1]. */
static const char *parse_probability_text(const char *text, double *out)
{
    struct decimal d;
    const char *why = read_decimal(&text, &d);
    if (why)
        return why;
    bool percent = same(text, "%");
    if (!percent && *text)
        return "is not a probability (write 0.05 or 5%)";
    uint64_t limit = percent ? 100 : 1;
    if (d.whole > limit || (d.whole == limit && d.frac > 0))
        return percent ? "is above 100%" : "is above 1 (write 0.05 or 5%)";
    if (d.places > 12)
        return "has too many decimal places";
    uint64_t scale = pow10_u64(d.places);
    *out = (double)(d.whole * scale + d.frac) / (double)(percent ? scale * 100 : scale);
    return NULL;
}

/* A plain non-negative number, possibly fractional. */
static const char *parse_number_text(const char *text, double *out)
{
    struct decimal d;
    const char *why = read_decimal(&text, &d);
    if (why)
        return why;
    if (*text)
        return "is not a number";
    *out = (double)d.whole + (double)d.frac / (double)pow10_u64(d.places);
    return NULL;
}

static const char *parse_uint_text(const char *text, uint64_t *out)
{
    uint64_t v = 0;
    if (*text == '-')
        return "cannot be negative";
    if (!is_digit((unsigned char)*text))
        return "is not a whole number";
    for (; is_digit((unsigned char)*text); text++)
        if (!mul_u64(v, 10, &v) || !add_u64(v, (uint64_t)(*text - '0'), &v))
            return "is too large";
    if (*text)
        return "is not a whole number";
    *out = v;
    return NULL;
}

/* NUMBER/s or NUMBER/min -> the mean time between two events. */
static const char *parse_per_time_text(const char *text, sim_time *interval)
{
    struct decimal d;
    const char *why = read_decimal(&text, &d);
    if (why)
        return why;
    uint64_t unit;
    if (same(text, "/s"))
        unit = (uint64_t)SIM_S;
    else if (same(text, "/min"))
        unit = 60 * (uint64_t)SIM_S;
    else
        return "needs a unit: /s or /min (e.g. 100/s)";
    uint64_t scale = pow10_u64(d.places), count, numerator;
    if (!mul_u64(d.whole, scale, &count) || !add_u64(count, d.frac, &count)
        || !mul_u64(unit, scale, &numerator) || !add_u64(numerator, count / 2, &numerator))
        return "has too many digits";
    if (count == 0)
        return "must be more than 0";
    uint64_t ns = numerator / count;
    if (ns == 0)
        return "is too fast (less than 1 ns apart)";
    *interval = (sim_time)ns;
    return NULL;
}

int scenario_parse_duration(const char *text, sim_time *out)
{
    uint64_t v;
    if (!text || !out || parse_quantity(text, &durations, &v))
        return -1;
    *out = (sim_time)v;
    return 0;
}

int scenario_parse_probability(const char *text, double *out)
{
    return text && out && !parse_probability_text(text, out) ? 0 : -1;
}

int scenario_parse_size(const char *text, uint64_t *out)
{
    return text && out && !parse_quantity(text, &sizes, out) ? 0 : -1;
}

int scenario_parse_rate(const char *text, uint64_t *bps)
{
    return text && bps && !parse_quantity(text, &rates, bps) ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* Arguments: KEY=VALUE from a file line or from --set, and positional    */
/* words read with the same value parsers.                                */

struct arg {
    const char *key;         /* the setting: "loss" */
    const char *value;
    const char *label;       /* how messages name it: "loss" in a file, "link.loss" for --set */
    int key_col, value_col;
    bool positional;         /* a bare word: messages say "port 70000", not "port=70000" */
};

static int bad_value(const struct arg *a, const struct place *at, const char *why)
{
    return fail(at, a->value_col, "%s%s%.80s: %s", a->label, a->positional ? " " : "=", a->value, why);
}

static const struct arg *find_arg(const struct arg *args, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (same(args[i].key, key))
            return &args[i];
    return NULL;
}

static int key_col(const struct arg *args, size_t n, const char *key, int fallback)
{
    const struct arg *a = find_arg(args, n, key);
    return a ? a->key_col : fallback;
}

static int unknown_key(const struct arg *a, const struct place *at, const char *where,
                       const char *const *known)
{
    const char *guess = closest(a->key, known);
    if (guess)
        return fail(at, a->key_col, "unknown key '%.60s' for %s; did you mean '%s'?", a->label, where, guess);
    char list[400];
    join_words(known, list, sizeof list);
    return fail(at, a->key_col, "unknown key '%.60s' for %s (known: %s)", a->label, where, list);
}

static int arg_duration(const struct arg *a, const struct place *at, bool positive, sim_time *out)
{
    uint64_t v;
    const char *why = parse_quantity(a->value, &durations, &v);
    if (why)
        return bad_value(a, at, why);
    if (positive && v == 0)
        return bad_value(a, at, "must be more than 0");
    *out = (sim_time)v;
    return 0;
}

static int arg_size(const struct arg *a, const struct place *at, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    const char *why = parse_quantity(a->value, &sizes, &v);
    if (why)
        return bad_value(a, at, why);
    if (v < min || v > max) {
        char range[64];
        if (v < min)
            snprintf(range, sizeof range, "must be at least %" PRIu64 "B", min);
        else
            snprintf(range, sizeof range, "must be at most %" PRIu64 "B", max);
        return bad_value(a, at, range);
    }
    *out = v;
    return 0;
}

static int arg_uint(const struct arg *a, const struct place *at, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    const char *why = parse_uint_text(a->value, &v);
    if (!why && (v < min || v > max))
        why = "is out of range";
    if (why)
        return fail(at, a->value_col, "%s%s%.80s: %s (a whole number from %" PRIu64 " to %" PRIu64 ")",
                    a->label, a->positional ? " " : "=", a->value, why, min, max);
    *out = v;
    return 0;
}

static int arg_u32(const struct arg *a, const struct place *at, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v;
    if (arg_uint(a, at, min, max, &v))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int arg_port(const struct arg *a, const struct place *at, uint16_t *out)
{
    uint64_t v;
    if (arg_uint(a, at, 1, 65535, &v))
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int arg_probability(const struct arg *a, const struct place *at, double *out)
{
    const char *why = parse_probability_text(a->value, out);
    return why ? bad_value(a, at, why) : 0;
}

static int arg_bool(const struct arg *a, const struct place *at, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (same(a->value, yes[i]) || same(a->value, no[i])) {
            *out = same(a->value, yes[i]);
            return 0;
        }
    }
    return bad_value(a, at, "must be yes or no");
}

/* One of `names` (NULL-terminated); *out is its index. */
static int arg_choice(const struct arg *a, const struct place *at, const char *const *names, int *out)
{
    for (int i = 0; names[i]; i++)
        if (same(a->value, names[i])) {
            *out = i;
            return 0;
        }
    char list[200], why[260];
    join_words(names, list, sizeof list);
    snprintf(why, sizeof why, "must be one of: %s", list);
    return bad_value(a, at, why);
}

/* NAME(ARG,ARG,...), e.g. normal(0,2ms) or gilbert(1%,30%,0,50%). */
struct call {
    char text[SCENARIO_LINE_MAX + 1];
    const char *name;
    const char *args[CALL_ARGS_MAX];
    int cols[CALL_ARGS_MAX];
    int count;
};

static int split_call(const struct arg *a, const struct place *at, struct call *c, const char *example)
{
    size_t len = strlen(a->value);
    char *open = len <= SCENARIO_LINE_MAX ? memchr(a->value, '(', len) : NULL;
    if (!open || a->value[len - 1] != ')') {
        char why[160];
        snprintf(why, sizeof why, "expected NAME(ARGUMENTS), e.g. %s", example);
        return bad_value(a, at, why);
    }
    memcpy(c->text, a->value, len + 1);
    c->text[open - a->value] = '\0';
    c->text[len - 1] = '\0';
    c->name = c->text;
    c->count = 0;
    for (char *s = c->text + (open - a->value) + 1;;) {
        if (c->count == CALL_ARGS_MAX)
            return bad_value(a, at, "has too many arguments");
        c->args[c->count] = s;
        c->cols[c->count++] = a->value_col + (int)(s - c->text);
        char *comma = strchr(s, ',');
        if (!comma)
            return 0;
        *comma = '\0';
        s = comma + 1;
    }
}

static int call_arity(const struct arg *a, const struct place *at, const struct call *c, int wanted)
{
    if (c->count == wanted)
        return 0;
    return fail(at, a->value_col, "%s=%.80s: %s() takes %d argument%s, not %d", a->label, a->value, c->name,
                wanted, wanted == 1 ? "" : "s", c->count);
}

static int call_fail(const struct arg *a, const struct place *at, const struct call *c, int i, const char *why)
{
    return fail(at, c->cols[i], "%s=%.80s: '%.40s' %s", a->label, a->value, c->args[i], why);
}

static int call_duration(const struct arg *a, const struct place *at, const struct call *c, int i, double *out)
{
    uint64_t v;
    const char *why = parse_quantity(c->args[i], &durations, &v);
    if (why)
        return call_fail(a, at, c, i, why);
    *out = (double)v;
    return 0;
}

static int call_probability(const struct arg *a, const struct place *at, const struct call *c, int i,
                            double *out)
{
    const char *why = parse_probability_text(c->args[i], out);
    return why ? call_fail(a, at, c, i, why) : 0;
}

/* ---------------------------------------------------------------------- */
/* Tables of settings. Each group (link, host, workload, run) is one table */
/* whose rows say the key, where the value goes (an offset into the       */
/* group's struct), how it is parsed, its range and what it means. The    */
/* file's KEY=VALUE arguments, --set SECTION.KEY=VALUE and the "did you   */
/* mean" suggestions all read the same rows, so adding a setting is one   */
/* row (and, for a new kind of value, one parser).                        */

struct setting;
/* Parses a->value into the row's field of the struct at base. */
typedef int setting_parse_fn(const struct setting *row, const struct arg *a, const struct place *at, void *base);

struct setting {
    const char *key;
    size_t offset, size;            /* of the field in the group's struct */
    setting_parse_fn *parse;
    uint64_t min, max;              /* the accepted range, where the parser checks one */
    const char *const *choices;     /* setting_choice: the names, in the enum's order */
    const char *doc;
};

struct setting_group {
    const char *name;               /* how messages name the group: "link" */
    const struct setting *rows;
    size_t count;
};

#define SETTING(type, key, field, parse, min, max, choices, doc) \
    { key, offsetof(type, field), sizeof ((type *)0)->field, parse, min, max, choices, doc }
#define GROUP(name, rows) { name, rows, sizeof rows / sizeof rows[0] }
enum { GROUP_ROWS_MAX = 32 };

static void *field_of(const struct setting *row, void *base)
{
    return (char *)base + row->offset;
}

static const struct setting *setting_find(const struct setting_group *g, const char *key)
{
    for (size_t i = 0; i < g->count; i++)
        if (same(g->rows[i].key, key))
            return &g->rows[i];
    return NULL;
}

/* The group's keys, in table order, NULL-terminated. */
static void setting_keys(const struct setting_group *g, const char *keys[GROUP_ROWS_MAX + 1])
{
    size_t n = 0;
    for (; n < g->count && n < GROUP_ROWS_MAX; n++)
        keys[n] = g->rows[n].key;
    keys[n] = NULL;
}

static int setting_unknown(const struct setting_group *g, const struct arg *a, const struct place *at)
{
    const char *keys[GROUP_ROWS_MAX + 1];
    setting_keys(g, keys);
    return unknown_key(a, at, g->name, keys);
}

static int setting_apply(const struct setting_group *g, void *base, const struct arg *a, const struct place *at)
{
    const struct setting *row = setting_find(g, a->key);
    return row ? row->parse(row, a, at, base) : setting_unknown(g, a, at);
}

/* Whole numbers go into fields of 4 or 8 bytes (uint32_t, uint64_t). */
static void store_uint(const struct setting *row, void *base, uint64_t v)
{
    uint32_t narrow = (uint32_t)v;
    memcpy(field_of(row, base), row->size == sizeof v ? (const void *)&v : (const void *)&narrow, row->size);
}

static void store_int(const struct setting *row, void *base, int v)
{
    memcpy(field_of(row, base), &v, sizeof v);
}

/* A duration within [min, max]; min > 0 means "more than 0". */
static int setting_duration(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    sim_time t = 0;
    if (arg_duration(a, at, row->min > 0, &t))
        return -1;
    if ((uint64_t)t > row->max)
        return bad_value(a, at, "is too large");
    memcpy(field_of(row, base), &t, sizeof t);
    return 0;
}

/* A duration, or none (= 0). */
static int setting_timeout(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    if (!same(a->value, "none"))
        return setting_duration(row, a, at, base);
    memset(field_of(row, base), 0, sizeof(sim_time));
    return 0;
}

static int setting_size(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    uint64_t v;
    if (arg_size(a, at, row->min, row->max, &v))
        return -1;
    store_uint(row, base, v);
    return 0;
}

static int setting_uint(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    uint64_t v;
    if (arg_uint(a, at, row->min, row->max, &v))
        return -1;
    store_uint(row, base, v);
    return 0;
}

/* An int count within [min, max]. */
static int setting_count(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    uint64_t v;
    if (arg_uint(a, at, row->min, row->max, &v))
        return -1;
    store_int(row, base, (int)v);
    return 0;
}

/* An int count, or unlimited (= -1). */
static int setting_retries(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    if (!same(a->value, "unlimited"))
        return setting_count(row, a, at, base);
    store_int(row, base, -1);
    return 0;
}

/* A count, or `none` (-1): window_scale=none sends no window scale option. */
static int setting_count_or_none(const struct setting *row, const struct arg *a, const struct place *at,
                                 void *base)
{
    if (!same(a->value, "none"))
        return setting_count(row, a, at, base);
    store_int(row, base, -1);
    return 0;
}

static int setting_bool(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    return arg_bool(a, at, field_of(row, base));
}

static int setting_probability(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    return arg_probability(a, at, field_of(row, base));
}

/* One of row->choices; the field is the enum whose values follow their order. */
static int setting_choice(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    int choice = 0;
    if (arg_choice(a, at, row->choices, &choice))
        return -1;
    store_int(row, base, choice);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Link settings (one direction at a time)                                */

struct dist_shape {
    const char *name;
    enum dist_kind kind;
    int arity;
    bool shape_parameter;   /* the second argument is a plain number (pareto's shape) */
};

static const struct dist_shape dist_shapes[] = {
    {"constant", DIST_CONSTANT, 1, false},       {"uniform", DIST_UNIFORM, 2, false},
    {"normal", DIST_NORMAL, 2, false},           {"exponential", DIST_EXPONENTIAL, 1, false},
    {"pareto", DIST_PARETO, 2, true},            {"lognormal", DIST_LOGNORMAL, 2, false},
};

static int dist_check(const struct arg *a, const struct place *at, const struct call *c,
                      const struct distribution *d)
{
    if (d->kind == DIST_UNIFORM && d->a > d->b)
        return call_fail(a, at, c, 1, "is below the lower bound");
    if ((d->kind == DIST_EXPONENTIAL || d->kind == DIST_PARETO || d->kind == DIST_LOGNORMAL) && d->a <= 0)
        return call_fail(a, at, c, 0, "must be more than 0");
    if (d->kind == DIST_PARETO && d->b <= 0)
        return call_fail(a, at, c, 1, "must be more than 0");
    return 0;
}

static int setting_jitter(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    struct link_direction_config *d = base;
    (void)row;
    if (same(a->value, "none") || same(a->value, "0")) {
        d->has_jitter = false;
        d->jitter = (struct distribution){DIST_CONSTANT, 0, 0};
        return 0;
    }
    struct call c;
    if (split_call(a, at, &c, "normal(0,2ms)"))
        return -1;
    for (size_t i = 0; i < sizeof dist_shapes / sizeof dist_shapes[0]; i++) {
        const struct dist_shape *shape = &dist_shapes[i];
        if (!same(c.name, shape->name))
            continue;
        struct distribution dist = {shape->kind, 0, 0};
        if (call_arity(a, at, &c, shape->arity) || call_duration(a, at, &c, 0, &dist.a))
            return -1;
        if (shape->arity == 2 && shape->shape_parameter) {
            const char *why = parse_number_text(c.args[1], &dist.b);
            if (why)
                return call_fail(a, at, &c, 1, why);
        } else if (shape->arity == 2 && call_duration(a, at, &c, 1, &dist.b)) {
            return -1;
        }
        if (dist_check(a, at, &c, &dist))
            return -1;
        d->has_jitter = true;
        d->jitter = dist;
        return 0;
    }
    return bad_value(a, at, "unknown distribution (constant, uniform, normal, exponential, pareto, lognormal "
                            "or none)");
}

static int loss_gilbert(const struct arg *a, const struct place *at, const struct call *c,
                        struct link_direction_config *d)
{
    double p[4];
    if (call_arity(a, at, c, 4))
        return -1;
    for (int i = 0; i < 4; i++)
        if (call_probability(a, at, c, i, &p[i]))
            return -1;
    d->loss_model = LOSS_GILBERT_ELLIOTT;
    d->loss = 0;
    d->ge_good_to_bad = p[0];
    d->ge_bad_to_good = p[1];
    d->ge_loss_good = p[2];
    d->ge_loss_bad = p[3];
    return 0;
}

static void loss_bernoulli(struct link_direction_config *d, double p)
{
    d->loss_model = p > 0 ? LOSS_BERNOULLI : LOSS_NONE;
    d->loss = p;
    d->ge_good_to_bad = d->ge_bad_to_good = d->ge_loss_good = d->ge_loss_bad = 0;
}

/* loss=P, loss=bernoulli(P) or loss=gilbert(P_GB,P_BG,LOSS_GOOD,LOSS_BAD). */
static int setting_loss(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    struct link_direction_config *d = base;
    double p;
    (void)row;
    if (!strchr(a->value, '(')) {
        if (arg_probability(a, at, &p))
            return -1;
        loss_bernoulli(d, p);
        return 0;
    }
    struct call c;
    if (split_call(a, at, &c, "gilbert(1%,30%,0,50%)"))
        return -1;
    if (same(c.name, "gilbert"))
        return loss_gilbert(a, at, &c, d);
    if (!same(c.name, "bernoulli"))
        return bad_value(a, at, "unknown loss model (a probability, bernoulli(P) or "
                                "gilbert(P_GB,P_BG,LOSS_GOOD,LOSS_BAD))");
    if (call_arity(a, at, &c, 1) || call_probability(a, at, &c, 0, &p))
        return -1;
    loss_bernoulli(d, p);
    return 0;
}

/* A rate, or unlimited (= 0). */
static int setting_rate(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    uint64_t bps = 0;
    const char *why = same(a->value, "unlimited") ? NULL : parse_quantity(a->value, &rates, &bps);
    if (why)
        return bad_value(a, at, why);
    memcpy(field_of(row, base), &bps, sizeof bps);
    return 0;
}

/* setting_jitter and setting_loss set several fields: they read base as the
 * whole struct; their rows name the main field. */
#define LINK(key, field, parse, min, max, doc) \
    SETTING(struct link_direction_config, key, field, parse, min, max, NULL, doc)
static const struct setting link_settings[] = {
    LINK("delay", delay, setting_duration, 0, INT64_MAX, "propagation delay, e.g. 50ms"),
    LINK("jitter", jitter, setting_jitter, 0, 0,
         "added to the delay per segment: none, constant(T), uniform(A,B), normal(MEAN,SD), "
         "exponential(MEAN), pareto(SCALE,SHAPE), lognormal(MEAN,SD)"),
    LINK("reorder", reorder, setting_bool, 0, 1, "yes: jitter may reorder arrivals; no: FIFO"),
    LINK("rate", rate_bps, setting_rate, 0, 0, "serialization rate, e.g. 10Mbps, or unlimited"),
    LINK("header", header_bytes, setting_size, 0, 65535, "bytes counted per segment besides payload"),
    LINK("queue", queue_limit, setting_uint, 0, UINT32_MAX, "segments waiting to be serialized; 0 = no limit"),
    LINK("loss", loss, setting_loss, 0, 0, "P, bernoulli(P) or gilbert(P_GB,P_BG,LOSS_GOOD,LOSS_BAD)"),
    LINK("duplicate", duplicate, setting_probability, 0, 1, "probability a delivered segment arrives twice"),
    LINK("corrupt", corrupt, setting_probability, 0, 1, "probability a segment arrives damaged"),
};
#undef LINK
static const struct setting_group link_group = GROUP("link", link_settings);

static int link_apply(struct link_direction_config *d, const struct arg *a, const struct place *at)
{
    return setting_apply(&link_group, d, a, at);
}

/* ---------------------------------------------------------------------- */
/* Hosts                                                                  */

static void host_defaults(struct scenario_host *h, const char *name, int line)
{
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->line = line;
    h->config.name = h->name;
    h->config.addr_count = 1;
    h->config.ephemeral_low = EPHEMERAL_LOW;
    h->config.ephemeral_high = EPHEMERAL_HIGH;
    tcp_profile_rfc9293(&h->config.profile);
    h->config.isn_mode = TCP_ISN_RANDOM;
}

static bool is_reserved_name(const char *name)
{
    if (same(name, "link") || same(name, "run") || same(name, "scenario") || same(name, "workload"))
        return true;
    if (strncmp(name, "workload", 8) != 0)
        return false;
    for (name += 8; is_digit((unsigned char)*name); name++)
        ;
    return *name == '\0';
}

/* NULL, or why `name` cannot name a host. */
static const char *host_name_problem(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= SCENARIO_NAME_MAX)
        return "must have 1 to 63 characters";
    if (!is_letter((unsigned char)name[0]) && name[0] != '_')
        return "must start with a letter or '_'";
    for (size_t i = 1; i < len; i++)
        if (!is_letter((unsigned char)name[i]) && !is_digit((unsigned char)name[i]) && name[i] != '_'
            && name[i] != '-')
            return "may use only letters, digits, '_' and '-'";
    if (is_reserved_name(name))
        return "is reserved (link, run, scenario, workload, workloadN)";
    return NULL;
}

/* A.B.C.D, each part 0..255 written in decimal. */
static const char *parse_ipv4(const char **text, uint32_t *addr)
{
    const char *s = *text;
    uint32_t v = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && *s++ != '.')
            return "is not an IPv4 address (A.B.C.D)";
        unsigned n = 0;
        int digits = 0;
        for (; is_digit((unsigned char)*s) && digits < 4; s++, digits++)
            n = n * 10 + (unsigned)(*s - '0');
        if (digits == 0 || digits > 3 || n > 255)
            return "is not an IPv4 address (A.B.C.D, each part 0..255)";
        v = v << 8 | n;
    }
    *addr = v;
    *text = s;
    return NULL;
}

/* addr=A.B.C.D or addr=A.B.C.D/PREFIX (a population of 2^(32-PREFIX) addresses). */
static int setting_addr(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    struct tcp_host_config *c = base;
    (void)row;
    const char *s = a->value;
    uint32_t addr;
    uint64_t prefix = 32;
    const char *why = parse_ipv4(&s, &addr);
    if (!why && *s == '/')
        why = parse_uint_text(s + 1, &prefix);
    else if (!why && *s)
        why = "is not an IPv4 address (A.B.C.D or A.B.C.D/PREFIX)";
    if (!why && (prefix < 8 || prefix > 32))
        why = "has a prefix outside 8..32";
    if (why)
        return bad_value(a, at, why);
    uint32_t count = (uint32_t)((uint64_t)1 << (32 - prefix));
    if (addr & (count - 1))
        return bad_value(a, at, "has host bits set after the prefix (write the first address of the block)");
    if (addr == 0)
        return bad_value(a, at, "0.0.0.0 is not a host address");
    c->addr = addr;
    c->addr_count = count;
    return 0;
}

static int setting_isn(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    struct tcp_host_config *c = base;
    (void)row;
    if (same(a->value, "random") || same(a->value, "rfc6528")) {
        c->isn_mode = same(a->value, "random") ? TCP_ISN_RANDOM : TCP_ISN_RFC6528;
        c->isn = 0;
        return 0;
    }
    uint64_t v;
    const char *why = parse_uint_text(a->value, &v);
    if (why || v > UINT32_MAX)
        return bad_value(a, at, "must be random, rfc6528 or a number from 0 to 4294967295");
    c->isn_mode = TCP_ISN_FIXED;
    c->isn = (uint32_t)v;
    return 0;
}

/* ports=LOW-HIGH: the ephemeral range for active opens. */
static int setting_ports(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    struct tcp_host_config *c = base;
    (void)row;
    char low[16], *dash = strchr(a->value, '-');
    size_t n = dash ? (size_t)(dash - a->value) : 0;
    uint64_t lo, hi;
    if (!dash || n >= sizeof low)
        return bad_value(a, at, "must be a port range LOW-HIGH, e.g. 32768-60999");
    memcpy(low, a->value, n);
    low[n] = '\0';
    if (parse_uint_text(low, &lo) || parse_uint_text(dash + 1, &hi) || lo < 1 || hi > 65535 || lo > hi)
        return bad_value(a, at, "must be a port range LOW-HIGH with 1 <= LOW <= HIGH <= 65535");
    c->ephemeral_low = (uint16_t)lo;
    c->ephemeral_high = (uint16_t)hi;
    return 0;
}

static int setting_profile(const struct setting *row, const struct arg *a, const struct place *at, void *base);

#define HOST(key, field, parse, min, max, doc) SETTING(struct tcp_host_config, key, field, parse, min, max, NULL, doc)
#define PROFILE(field, parse, min, max, doc) HOST(#field, profile.field, parse, min, max, doc)
_Static_assert(sizeof(enum tcp_congestion) == sizeof(int), "setting_choice stores an int");
static const struct setting host_settings[] = {
    HOST("addr", addr, setting_addr, 0, 0, "A.B.C.D, or A.B.C.D/PREFIX for a population of addresses"),
    HOST("isn", isn, setting_isn, 0, UINT32_MAX, "random, rfc6528 or a fixed number"),
    HOST("profile", profile, setting_profile, 0, 0, "rfc9293 or linux: the numbers below, which stay "
                                                      "where set on purpose"),
    HOST("ports", ephemeral_low, setting_ports, 1, 65535, "the ephemeral range LOW-HIGH"),
    PROFILE(rto_initial, setting_duration, 1, INT64_MAX, "RTO before the first RTT sample"),
    PROFILE(rto_min, setting_duration, 1, INT64_MAX, "lower bound of the RTO"),
    PROFILE(rto_min_on_variance, setting_bool, 0, 1, "Linux: rto_min bounds the variance term"),
    PROFILE(rto_max, setting_duration, 1, INT64_MAX, "upper bound of the RTO"),
    PROFILE(rto_after_handshake_loss, setting_duration, 1, INT64_MAX, "RTO once a handshake segment was lost"),
    PROFILE(syn_retries, setting_retries, 0, INT_MAX, "SYN retransmissions, or unlimited"),
    PROFILE(syn_linear_timeouts, setting_count, 0, INT_MAX, "SYN timeouts that stay at rto_initial"),
    PROFILE(synack_retries, setting_retries, 0, INT_MAX, "SYN-ACK retransmissions, or unlimited"),
    PROFILE(data_retries, setting_retries, 0, INT_MAX, "data and FIN retransmissions, or unlimited"),
    PROFILE(msl, setting_duration, 1, INT64_MAX / 2, "maximum segment lifetime; time_wait follows as 2*msl"),
    PROFILE(time_wait, setting_duration, 0, INT64_MAX, "how long TIME_WAIT lasts"),
    PROFILE(fin_wait_2_timeout, setting_timeout, 0, INT64_MAX, "longest silence in FIN_WAIT_2, or none"),
    PROFILE(fin_wait_2_orphans_only, setting_bool, 0, 1, "Linux: fin_wait_2_timeout only after close(), "
                                                            "not after shutdown"),
    PROFILE(rst_on_data_after_close, setting_bool, 0, 1, "Linux: data arriving after close() is answered "
                                                            "with RST"),
    PROFILE(rst_on_close_unread, setting_bool, 0, 1, "close() with unread data sends RST (RFC 2525)"),
    PROFILE(orphan_retries, setting_count, 0, INT_MAX, "retransmissions after close(); 0 means 8 (Linux)"),
    PROFILE(synack_on_duplicate_syn, setting_bool, 0, 1, "a duplicate SYN in SYN_RECEIVED gets a SYN-ACK"),
    PROFILE(rfc5961, setting_bool, 0, 1, "challenge ACKs for in-window RST and SYN"),
    PROFILE(rfc1337, setting_bool, 0, 1, "ignore RST in TIME_WAIT"),
    PROFILE(mss, setting_size, 1, 65495, "maximum segment size"),
    PROFILE(rcv_buf, setting_size, 1, 65535, "receive buffer (the window)"),
    PROFILE(snd_buf, setting_size, 1, UINT32_MAX, "send buffer"),
    PROFILE(dupack_threshold, setting_count, 1, INT_MAX, "duplicate ACKs before fast retransmit"),
    PROFILE(timestamps, setting_bool, 0, 1, "RFC 7323 timestamps, and RTT samples from them"),
    PROFILE(sack_permitted, setting_bool, 0, 1, "SACK-permitted option on SYNs"),
    PROFILE(window_scale, setting_count_or_none, 0, 14, "window scale shift offered on SYNs, or none"),
    PROFILE(syn_window_mss_multiple, setting_bool, 0, 1, "SYN windows rounded to MSS multiples"),
    PROFILE(time_wait_syn_reopens, setting_bool, 0, 1, "a newer SYN in TIME_WAIT opens a new connection"),
    PROFILE(rst_ack_on_abort, setting_bool, 0, 1, "abort sends RST|ACK rather than RST"),
    PROFILE(timer_hz, setting_count, 0, 10000, "retransmission timers rounded as Linux's timer wheel at this HZ, 0 = exact"),
    SETTING(struct tcp_host_config, "congestion", profile.congestion, setting_choice, 0, 0,
            tcp_congestion_names, "none, reno, cubic, or bbr (tcpsim kernel only)"),
    PROFILE(initial_window, setting_count, 1, INT_MAX, "congestion window at the start, in segments"),
    PROFILE(tail_loss_probe, setting_bool, 0, 1, "RFC 8985 probe of the last segment before the RTO"),
    PROFILE(delayed_ack, setting_timeout, 0, 500 * SIM_MS, "longest delay of an ACK, or none (at once)"),
    PROFILE(quickack, setting_count, 0, INT_MAX, "ACKs sent at once after the first data"),
};
#undef PROFILE
#undef HOST
static const struct setting_group host_group = GROUP("host", host_settings);

static bool is_profile_number(const struct setting *row)
{
    size_t profile = offsetof(struct tcp_host_config, profile);
    return row->offset >= profile && row->offset < profile + sizeof(struct tcp_profile) &&
           row->size < sizeof(struct tcp_profile);
}

/* profile=NAME replaces the numbers of the host's profile, except those
 * that differ from the old profile's: they were set on purpose and stay. */
static int setting_profile(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    struct tcp_host_config *c = base, next = *c, old = *c;
    (void)row;
    if (tcp_profile_by_name(a->value, &next.profile) != 0)
        return bad_value(a, at, "unknown profile (rfc9293 or linux)");
    if (tcp_profile_by_name(c->profile.name, &old.profile) != 0)
        old.profile = c->profile;
    for (size_t i = 0; i < host_group.count; i++) {
        const struct setting *number = &host_settings[i];
        if (is_profile_number(number) && memcmp(field_of(number, c), field_of(number, &old), number->size) != 0)
            memcpy(field_of(number, &next), field_of(number, c), number->size);
    }
    c->profile = next.profile;
    return 0;
}

static int host_apply_one(struct scenario_host *h, const struct arg *a, bool time_wait_given,
                          const struct place *at)
{
    if (same(a->key, "profile"))
        return 0;   /* applied first by host_apply */
    if (setting_apply(&host_group, &h->config, a, at))
        return -1;
    if (same(a->key, "msl") && !time_wait_given)
        h->config.profile.time_wait = 2 * h->config.profile.msl;   /* MUST-13: TIME-WAIT lasts 2*MSL */
    return 0;
}

static bool ranges_overlap(const struct tcp_host_config *a, const struct tcp_host_config *b)
{
    uint64_t a_end = (uint64_t)a->addr + a->addr_count, b_end = (uint64_t)b->addr + b->addr_count;
    return a->addr < b_end && b->addr < a_end;
}

/* Checks that involve more than one setting. */
static int host_check(const struct scenario *s, int index, const struct arg *args, size_t n, int fallback,
                      const struct place *at)
{
    const struct scenario_host *h = &s->hosts[index];
    const struct tcp_profile *p = &h->config.profile;
    char t1[32], t2[32];
    if (p->rto_min > p->rto_max || p->rto_initial > p->rto_max) {
        bool min_wrong = p->rto_min > p->rto_max;
        format_time(min_wrong ? p->rto_min : p->rto_initial, t1, sizeof t1);
        format_time(p->rto_max, t2, sizeof t2);
        int col = key_col(args, n, "rto_max", key_col(args, n, min_wrong ? "rto_min" : "rto_initial", fallback));
        return fail(at, col, "host %s: %s (%s) is above rto_max (%s)", h->name,
                    min_wrong ? "rto_min" : "rto_initial", t1, t2);
    }
    const struct scenario_host *other = &s->hosts[1 - index];
    if (s->host_count == 2 && h->config.addr && other->config.addr && ranges_overlap(&h->config, &other->config))
        return fail(at, key_col(args, n, "addr", fallback), "host %s: its addresses overlap those of host %s",
                    h->name, other->name);
    return 0;
}

/* Applies a host line's arguments, or one --set; profile= first. */
static int host_apply(struct scenario *s, int index, const struct arg *args, size_t n, int fallback,
                      const struct place *at)
{
    struct scenario_host *h = &s->hosts[index];
    const struct arg *profile = find_arg(args, n, "profile");
    if (profile && setting_profile(setting_find(&host_group, "profile"), profile, at, &h->config))
        return -1;
    bool time_wait_given = find_arg(args, n, "time_wait") != NULL;
    for (size_t i = 0; i < n; i++)
        if (host_apply_one(h, &args[i], time_wait_given, at))
            return -1;
    return host_check(s, index, args, n, fallback, at);
}

/* ---------------------------------------------------------------------- */
/* Workloads and run settings                                             */

static int setting_server_close(const struct setting *row, const struct arg *a, const struct place *at,
                                void *base)
{
    struct scenario_workload *w = base;
    (void)row;
    if (strncmp(a->value, "after=", 6) == 0) {
        struct arg delay = *a;
        delay.value = a->value + 6;
        delay.value_col = a->value_col + 6;
        delay.label = "after";
        if (arg_duration(&delay, at, false, &w->server_close_delay))
            return -1;
        w->server_close = SERVER_CLOSE_AFTER_DELAY;
        return 0;
    }
    static const char *const names[] = {"after-fin", "never", "after=T", NULL};
    int choice = 0;
    if (arg_choice(a, at, names, &choice))
        return -1;
    w->server_close = choice == 0 ? SERVER_CLOSE_AFTER_FIN : SERVER_CLOSE_NEVER;
    w->server_close_delay = 0;
    return 0;
}

/* NUMBER/s or NUMBER/min: the mean interval between connection starts. */
static int setting_per_time(const struct setting *row, const struct arg *a, const struct place *at, void *base)
{
    const char *why = parse_per_time_text(a->value, field_of(row, base));
    return why ? bad_value(a, at, why) : 0;
}

static const char *const arrival_names[] = {"fixed", "poisson", NULL};
static const char *const client_close_names[] = {"after-send", "after-server", NULL};
_Static_assert(sizeof(enum workload_arrivals) == sizeof(int) && sizeof(enum workload_client_close) == sizeof(int),
               "setting_choice stores an int");

#define WORKLOAD(key, field, parse, min, max, choices, doc) \
    SETTING(struct scenario_workload, key, field, parse, min, max, choices, doc)
static const struct setting workload_settings[] = {
    WORKLOAD("count", count, setting_uint, 1, QUANTITY_MAX, NULL, "connections to open"),
    WORKLOAD("rate", interval, setting_per_time, 0, 0, NULL, "connections per time, e.g. 100/s"),
    WORKLOAD("interval", interval, setting_duration, 1, INT64_MAX, NULL, "mean time between connections"),
    WORKLOAD("arrivals", arrivals, setting_choice, 0, 0, arrival_names, "fixed or poisson"),
    WORKLOAD("size", size, setting_size, 0, QUANTITY_MAX, NULL, "bytes the client sends on each connection"),
    WORKLOAD("response", response, setting_size, 0, QUANTITY_MAX, NULL, "bytes the server sends back"),
    WORKLOAD("start", start, setting_duration, 0, INT64_MAX, NULL, "when the first connection starts"),
    WORKLOAD("server_close", server_close, setting_server_close, 0, 0, NULL, "after-fin, after=T or never"),
    WORKLOAD("client_close", client_close, setting_choice, 0, 0, client_close_names,
             "after-send, or after-server (wait for the server's FIN)"),
};
#undef WORKLOAD
static const struct setting_group workload_group = GROUP("workload", workload_settings);

static int workload_apply_one(struct scenario_workload *w, const struct arg *a, const struct place *at)
{
    return setting_apply(&workload_group, w, a, at);
}

static int workload_apply(struct scenario_workload *w, const struct arg *args, size_t n, const struct place *at)
{
    const struct arg *rate = find_arg(args, n, "rate"), *interval = find_arg(args, n, "interval");
    if (rate && interval) {
        const struct arg *second = rate->key_col > interval->key_col ? rate : interval;
        return fail(at, second->key_col, "give rate= or interval=, not both");
    }
    for (size_t i = 0; i < n; i++)
        if (workload_apply_one(w, &args[i], at))
            return -1;
    return 0;
}

#define RUN(key, field, parse, min, max, doc) SETTING(struct scenario_run_settings, key, field, parse, min, max, NULL, doc)
static const struct setting run_settings[] = {
    RUN("until", until, setting_duration, 1, INT64_MAX, "when the run stops (default 10min)"),
    RUN("seed", seed, setting_uint, 0, UINT64_MAX, "the run's seed (default 1)"),
    RUN("reps", reps, setting_uint, 1, UINT32_MAX, "replications; replication r runs with seed+r"),
};
#undef RUN
static const struct setting_group run_group = GROUP("run", run_settings);

static int run_apply_one(struct scenario_run_settings *r, const struct arg *a, const struct place *at)
{
    return setting_apply(&run_group, r, a, at);
}

static int run_apply(struct scenario_run_settings *r, const struct arg *args, size_t n, const struct place *at)
{
    for (size_t i = 0; i < n; i++)
        if (run_apply_one(r, &args[i], at))
            return -1;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Host references and directions                                         */

static int unknown_host(const struct scenario *s, const char *name, int col, const struct place *at)
{
    if (s->host_count == 0)
        return fail(at, col, "unknown host '%.60s': no host is declared (host NAME addr=A.B.C.D)", name);
    if (s->host_count == 1)
        return fail(at, col, "unknown host '%.60s' (the only host is '%s')", name, s->hosts[0].name);
    return fail(at, col, "unknown host '%.60s' (the hosts are '%s' and '%s')", name, s->hosts[0].name,
                s->hosts[1].name);
}

static int host_ref(const struct scenario *s, const char *name, int col, const struct place *at, int *index)
{
    *index = scenario_host_index(s, name);
    return *index < 0 ? unknown_host(s, name, col, at) : 0;
}

/* FROM->TO, naming the direction of the segments FROM sends. */
static int resolve_direction(const struct scenario *s, const char *text, int col, const struct place *at,
                             int *direction)
{
    const char *arrow = strstr(text, "->");
    char from[SCENARIO_NAME_MAX], to[SCENARIO_NAME_MAX];
    size_t n = arrow ? (size_t)(arrow - text) : 0;
    if (!arrow || n >= sizeof from || strlen(arrow + 2) >= sizeof to)
        return fail(at, col, "'%.60s' is not a direction HOST->HOST", text);
    memcpy(from, text, n);
    from[n] = '\0';
    snprintf(to, sizeof to, "%s", arrow + 2);
    int a, b;
    if (host_ref(s, from, col, at, &a) || host_ref(s, to, col + (int)n + 2, at, &b))
        return -1;
    if (a == b)
        return fail(at, col, "'%.60s' must join the two different hosts", text);
    *direction = a;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Lines and tokens                                                       */

struct token {
    char *text;              /* unescaped; for KEY=VALUE, the key */
    char *value;             /* after the first '=' outside quotes; NULL if none */
    size_t start, end;       /* raw byte offsets in the line */
    int col, value_col;      /* 1-based columns, counted in characters */
    bool quoted;             /* begins with a double quote */
};

struct line {
    const char *raw;
    size_t length;
    int number;
    struct token tokens[TOKENS_MAX];
    int count;
    size_t comment;          /* byte offset of the comment's '#' */
    int comment_col;         /* its column; 0 = the line has no comment */
    char text[TOKEN_TEXT_MAX];
};

struct time_ref {            /* a time the run must reach: checked against run until= */
    sim_time t;
    int line, col;
    const char *what;
};

struct parser {
    struct scenario *s;
    struct place at;
    struct line line;
    struct arg args[TOKENS_MAX];
    size_t action_cap, workload_cap, drop_cap, expect_cap, time_cap;
    struct time_ref *times;
    size_t time_count;
    int scenario_line, run_line;
};

static int column_at(const struct line *l, size_t offset)
{
    int col = 1;
    for (size_t i = 0; i < offset && i < l->length; i++)
        col += ((unsigned char)l->raw[i] & 0xC0) != 0x80;
    return col;
}

/* Length of the UTF-8 sequence at s (n bytes available), 0 if malformed. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* The line must be UTF-8 text without NUL or control characters but tab. */
static int check_bytes(const struct line *l, const struct place *at)
{
    const unsigned char *s = (const unsigned char *)l->raw;
    for (size_t i = 0; i < l->length;) {
        size_t n = utf8_length(s + i, l->length - i);
        if (s[i] == 0)
            return fail(at, column_at(l, i), "NUL byte in the file");
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F)
            return fail(at, column_at(l, i), "control character 0x%02X (only tab is allowed)", s[i]);
        if (n == 0)
            return fail(at, column_at(l, i), "invalid UTF-8 (byte 0x%02X)", s[i]);
        if (n == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0)
            return fail(at, column_at(l, i), "control character U+%04X", s[i + 1]);
        i += n;
    }
    return 0;
}

struct cursor {
    size_t i;
    int col;
};

static void advance(const struct line *l, struct cursor *c)
{
    c->i++;
    if (c->i < l->length && ((unsigned char)l->raw[c->i] & 0xC0) != 0x80)
        c->col++;
}

/* Reads one token at c: up to a blank outside quotes ('#' inside a word is
 * part of it, so FIN#1 reaches the directive, which says what it meant).
 * Returns -1 on error. */
static int lex_token(struct line *l, struct cursor *c, char **out, const struct place *at)
{
    struct token *t = &l->tokens[l->count++];
    bool in_quote = false;
    int quote_col = 0;
    *t = (struct token){*out, NULL, c->i, c->i, c->col, 0, l->raw[c->i] == '"'};
    while (c->i < l->length) {
        char ch = l->raw[c->i];
        if (!in_quote && (ch == ' ' || ch == '\t'))
            break;
        if (ch == '"') {
            in_quote = !in_quote;
            quote_col = c->col;
        } else if (in_quote && ch == '\\') {
            char next = c->i + 1 < l->length ? l->raw[c->i + 1] : '\0';
            if (next != '"' && next != '\\')
                return fail(at, c->col, "unknown escape in a string (only \\\" and \\\\)");
            advance(l, c);
            *(*out)++ = next;
        } else if (!in_quote && ch == '=' && !t->value) {
            *(*out)++ = '\0';
            t->value = *out;
            t->value_col = c->col + 1;
        } else {
            *(*out)++ = ch;
        }
        advance(l, c);
    }
    if (in_quote)
        return fail(at, quote_col, "unterminated string");
    *(*out)++ = '\0';
    t->end = c->i;
    return 0;
}

/* Splits the line into tokens. '#' starts a comment only at the start of a
 * word (the line's first, or after a blank), except "#N" (a digit follows)
 * after the directive word: that is a rule's ordinal. The comment's place
 * is kept so a fault rule can refuse "FIN # 1", which would else mean every
 * FIN. */
static int lex_line(struct line *l, const struct place *at)
{
    struct cursor c = {0, 1};
    char *out = l->text;
    l->count = 0;
    l->comment = 0;
    l->comment_col = 0;
    for (;;) {
        while (c.i < l->length && (l->raw[c.i] == ' ' || l->raw[c.i] == '\t'))
            advance(l, &c);
        if (c.i >= l->length)
            return 0;
        if (l->raw[c.i] == '#' && !(l->count > 0 && c.i + 1 < l->length && is_digit((unsigned char)l->raw[c.i + 1]))) {
            l->comment = c.i;
            l->comment_col = c.col;
            return 0;
        }
        if (lex_token(l, &c, &out, at))
            return -1;
    }
}

static int read_line(struct line *l, const struct place *at)
{
    l->count = 0;
    if (l->length > SCENARIO_LINE_MAX)
        return fail(at, 1, "line is longer than %d bytes", SCENARIO_LINE_MAX);
    if (check_bytes(l, at))
        return -1;
    return lex_line(l, at);
}

/* ---------------------------------------------------------------------- */
/* Token access for directives                                            */

static const struct token *token_at(const struct parser *p, int i)
{
    return i < p->line.count ? &p->line.tokens[i] : NULL;
}

static int end_col(const struct parser *p)
{
    const struct line *l = &p->line;
    return l->count ? column_at(l, l->tokens[l->count - 1].end) : 1;
}

/* Token i as a plain word. `what` names it when it is missing; the error then
 * points just after the last token of the line. */
static const struct token *need(struct parser *p, int i, const char *what)
{
    const struct token *t = token_at(p, i);
    if (!t)
        fail(&p->at, end_col(p), "missing %s", what);
    else if (t->value)
        fail(&p->at, t->col, "expected %s, found '%.40s=%.40s'", what, t->text, t->value);
    return t && !t->value ? t : NULL;
}

static struct arg positional(const struct parser *p, int i, const char *label)
{
    const struct token *t = &p->line.tokens[i];
    return (struct arg){label, t->text, label, t->col, t->col, true};
}

/* Tokens first.. must all be KEY=VALUE, each key once. */
static int collect_args(struct parser *p, int first, size_t *n)
{
    *n = 0;
    for (int i = first; i < p->line.count; i++) {
        const struct token *t = &p->line.tokens[i];
        if (!t->value)
            return fail(&p->at, t->col, "expected KEY=VALUE, found '%.60s'", t->text);
        for (size_t j = 0; j < *n; j++)
            if (same(p->args[j].key, t->text))
                return fail(&p->at, t->col, "'%.60s' is given twice on this line", t->text);
        p->args[(*n)++] = (struct arg){t->text, t->value, t->text, t->col, t->value_col, false};
    }
    return 0;
}

/* The trailing KEY=VALUE arguments of a line, restricted to `known`. */
static int collect_known_args(struct parser *p, int first, const char *where, const char *const *known,
                              size_t *n)
{
    if (collect_args(p, first, n))
        return -1;
    for (size_t i = 0; i < *n; i++) {
        bool ok = false;
        for (size_t k = 0; known[k]; k++)
            ok = ok || same(p->args[i].key, known[k]);
        if (!ok)
            return known[0] ? unknown_key(&p->args[i], &p->at, where, known)
                            : fail(&p->at, p->args[i].key_col, "%s takes no KEY=VALUE arguments", where);
    }
    return 0;
}

/* The line as written (without its comment), for reports. */
static void line_text(const struct parser *p, char *out, size_t size)
{
    const struct line *l = &p->line;
    size_t from = l->tokens[0].start, n = l->tokens[l->count - 1].end - from;
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)l->raw[from + n] & 0xC0) == 0x80)
            n--;   /* do not cut a UTF-8 sequence */
    }
    memcpy(out, l->raw + from, n);
    out[n] = '\0';
}

static int push(struct parser *p, void **array, size_t *count, size_t *cap, size_t size, const void *item)
{
    if (*count == *cap) {
        size_t next = *cap ? 2 * *cap : 8;
        void *grown = realloc(*array, next * size);
        if (!grown)
            return fail(&p->at, 1, "out of memory");
        *array = grown;
        *cap = next;
    }
    memcpy((char *)*array + *count * size, item, size);
    (*count)++;
    return 0;
}

static int note_time(struct parser *p, sim_time t, int col, const char *what)
{
    struct time_ref ref = {t, p->line.number, col, what};
    return push(p, (void **)&p->times, &p->time_count, &p->time_cap, sizeof ref, &ref);
}

static int parse_conn(const struct arg *a, const struct place *at, uint32_t *conn)
{
    return arg_u32(a, at, 1, UINT32_MAX, conn);
}

/* ---------------------------------------------------------------------- */
/* Directives                                                             */

static bool valid_scenario_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= SCENARIO_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_letter((unsigned char)name[i]) && !is_digit((unsigned char)name[i]) && !strchr("_-.", name[i]))
            return false;
    return true;
}

/* scenario NAME ["DESCRIPTION"] */
static int directive_scenario(struct parser *p)
{
    struct scenario *s = p->s;
    if (p->scenario_line)
        return fail(&p->at, 1, "scenario is given twice (first on line %d)", p->scenario_line);
    const struct token *name = need(p, 1, "the scenario's name after 'scenario'");
    if (!name)
        return -1;
    if (!valid_scenario_name(name->text))
        return fail(&p->at, name->col, "scenario name '%.60s' must have 1 to 63 letters, digits, '_', '-' or '.'",
                    name->text);
    const struct token *desc = token_at(p, 2);
    if (desc && (!desc->quoted || desc->value || p->line.raw[desc->end - 1] != '"'))
        return fail(&p->at, desc->col, "the description must be one double-quoted string");
    if (desc && strlen(desc->text) >= SCENARIO_TEXT_MAX)
        return fail(&p->at, desc->col, "the description is longer than %d bytes", SCENARIO_TEXT_MAX - 1);
    if (token_at(p, 3))
        return fail(&p->at, token_at(p, 3)->col, "unexpected '%.40s' after the description", token_at(p, 3)->text);
    snprintf(s->name, sizeof s->name, "%s", name->text);
    snprintf(s->description, sizeof s->description, "%s", desc ? desc->text : "");
    p->scenario_line = p->line.number;
    return 0;
}

/* link [FROM->TO] KEY=VALUE... */
static int directive_link(struct parser *p)
{
    int first = 1, direction = -1;
    const struct token *t = token_at(p, 1);
    size_t n;
    if (t && !t->value) {
        if (!strstr(t->text, "->"))
            return fail(&p->at, t->col, "expected HOST->HOST or KEY=VALUE after 'link', found '%.60s'", t->text);
        if (resolve_direction(p->s, t->text, t->col, &p->at, &direction))
            return -1;
        first = 2;
    }
    if (collect_args(p, first, &n))
        return -1;
    if (n == 0)
        return fail(&p->at, end_col(p), "missing settings after 'link' (e.g. delay=50ms)");
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < SCENARIO_HOSTS; d++)
            if ((direction < 0 || d == direction) && link_apply(&p->s->link[d], &p->args[i], &p->at))
                return -1;
    return 0;
}

/* host NAME addr=A.B.C.D[/PREFIX] [isn=...] [profile=...] [ports=...] [FIELD=VALUE...] */
static int directive_host(struct parser *p)
{
    struct scenario *s = p->s;
    const struct token *name = need(p, 1, "the host's name after 'host'");
    size_t n;
    if (!name)
        return -1;
    const char *why = host_name_problem(name->text);
    if (why)
        return fail(&p->at, name->col, "host name '%.60s' %s", name->text, why);
    int index = scenario_host_index(s, name->text);
    if (index < 0)
        return fail(&p->at, name->col, "a scenario has exactly two hosts; '%.60s' would be a third ('%s' and '%s')",
                    name->text, s->hosts[0].name, s->hosts[1].name);
    if (s->hosts[index].line != p->line.number)
        return fail(&p->at, name->col, "host '%s' is already declared on line %d", name->text,
                    s->hosts[index].line);
    if (collect_args(p, 2, &n) || host_apply(s, index, p->args, n, name->col, &p->at))
        return -1;
    if (s->hosts[index].config.addr == 0)
        return fail(&p->at, end_col(p), "host '%s' needs addr=A.B.C.D (or A.B.C.D/PREFIX for a population)",
                    name->text);
    return 0;
}

static int action_port(struct parser *p, struct scenario_action *act, const char *what)
{
    if (!need(p, 4, what))
        return -1;
    struct arg a = positional(p, 4, "port");
    return arg_port(&a, &p->at, &act->port);
}

/* ---- socket options: connect, listen, setsockopt ---- */

#define SOCKOPT_KEYS "linger", "user_timeout", "rcvbuf", "sndbuf", "nodelay"

/* linger=TIME: SO_LINGER's l_linger counts whole seconds. */
static int arg_linger(const struct arg *a, const struct place *at, sim_time *linger)
{
    if (arg_duration(a, at, false, linger))
        return -1;
    return *linger % SIM_S ? bad_value(a, at, "must be whole seconds (SO_LINGER counts seconds), or 0") : 0;
}

/* TCP_USER_TIMEOUT takes milliseconds in an int. */
static int arg_user_timeout(const struct arg *a, const struct place *at, sim_time *timeout)
{
    if (arg_duration(a, at, false, timeout))
        return -1;
    if (*timeout % SIM_MS)
        return bad_value(a, at, "must be whole milliseconds (TCP_USER_TIMEOUT counts them)");
    return *timeout / SIM_MS > INT_MAX ? bad_value(a, at, "is too long (at most 2147483647ms)") : 0;
}

/* One socket option into `o`; 1 when `a` is not one. */
static int arg_sockopt(const struct arg *a, const struct place *at, struct scenario_sockopts *o)
{
    uint64_t v;
    if (same(a->key, "linger")) {
        o->has_linger = true;
        return arg_linger(a, at, &o->linger);
    }
    if (same(a->key, "user_timeout")) {
        o->has_user_timeout = true;
        return arg_user_timeout(a, at, &o->user_timeout);
    }
    if (same(a->key, "rcvbuf")) {
        /* 65535: tcpsim has no window scaling; 2048: about Linux's floor */
        if (arg_size(a, at, 2048, 65535, &v))
            return -1;
        o->rcvbuf = (uint32_t)v;
        return 0;
    }
    if (same(a->key, "sndbuf")) {
        /* 2048: about Linux's floor (SOCK_MIN_SNDBUF); 1 GiB: the memory a
         * run may spend on one connection's send queue */
        if (arg_size(a, at, 2048, 1u << 30, &v))
            return -1;
        o->sndbuf = (uint32_t)v;
        return 0;
    }
    if (!same(a->key, "nodelay"))
        return 1;
    o->has_nodelay = true;
    o->nodelay = same(a->value, "on");
    return o->nodelay || same(a->value, "off") ? 0 : bad_value(a, at, "must be on or off");
}

/* listen PORT [backlog=N] [OPTION=VALUE...] */
static int action_listen(struct parser *p, struct scenario_action *act)
{
    static const char *const keys[] = {"backlog", SOCKOPT_KEYS, NULL};
    size_t n;
    uint64_t v;
    if (action_port(p, act, "PORT after 'listen'") || collect_known_args(p, 5, "listen", keys, &n))
        return -1;
    act->backlog = DEFAULT_BACKLOG;
    for (size_t i = 0; i < n; i++) {
        const struct arg *a = &p->args[i];
        if (!same(a->key, "backlog")) {
            if (arg_sockopt(a, &p->at, &act->opts))
                return -1;
        } else if (arg_uint(a, &p->at, 1, INT_MAX, &v))
            return -1;
        else
            act->backlog = (int)v;
    }
    return 0;
}

static int action_unlisten(struct parser *p, struct scenario_action *act)
{
    static const char *const keys[] = {NULL};
    size_t n;
    if (action_port(p, act, "PORT after 'unlisten'") || collect_known_args(p, 5, "unlisten", keys, &n))
        return -1;
    return 0;
}

/* connect PEER:PORT [port=LOCAL] [OPTION=VALUE...] */
static int action_connect(struct parser *p, struct scenario_action *act)
{
    static const char *const keys[] = {"port", SOCKOPT_KEYS, NULL};
    const struct token *t = need(p, 4, "PEER:PORT after 'connect'");
    size_t n;
    if (!t)
        return -1;
    char *colon = strrchr(t->text, ':');
    if (!colon)
        return fail(&p->at, t->col, "expected PEER:PORT, found '%.60s'", t->text);
    *colon = '\0';
    struct arg port = {"port", colon + 1, "port", t->col, t->col + (int)(colon + 1 - t->text), true};
    if (host_ref(p->s, t->text, t->col, &p->at, &act->peer) || arg_port(&port, &p->at, &act->port))
        return -1;
    if (act->peer == act->host)
        return fail(&p->at, t->col, "a host cannot connect to itself over the link");
    if (collect_known_args(p, 5, "connect", keys, &n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct arg *a = &p->args[i];
        if (strcmp(a->key, "port") == 0 ? arg_port(a, &p->at, &act->local_port)
                                        : arg_sockopt(a, &p->at, &act->opts))
            return -1;
    }
    return 0;
}

static int action_conn_args(struct parser *p, struct scenario_action *act, int first, const char *verb)
{
    static const char *const keys[] = {"conn", NULL};
    size_t n;
    if (collect_known_args(p, first, verb, keys, &n))
        return -1;
    return n == 1 ? parse_conn(&p->args[0], &p->at, &act->conn) : 0;
}

static int action_send(struct parser *p, struct scenario_action *act)
{
    if (!need(p, 4, "SIZE after 'send' (e.g. 1000B)"))
        return -1;
    struct arg size = positional(p, 4, "size");
    if (arg_size(&size, &p->at, 1, QUANTITY_MAX, &act->bytes))
        return -1;
    return action_conn_args(p, act, 5, "send");
}

static int action_close(struct parser *p, struct scenario_action *act)
{
    return action_conn_args(p, act, 4, act->kind == ACTION_CLOSE ? "close" : "abort");
}

/* ---- segments written by hand: inject, expect sends ---- */

static const struct { const char *name; uint8_t flag; } flag_names[] = {
    {"FIN", TCP_FLAG_FIN}, {"SYN", TCP_FLAG_SYN}, {"RST", TCP_FLAG_RST},
    {"PSH", TCP_FLAG_PSH}, {"ACK", TCP_FLAG_ACK}, {"URG", TCP_FLAG_URG},
};

/* FLAGS: names joined by '|' (RST|ACK, SYN|FIN), each at most once. */
static int parse_flags(struct parser *p, const struct token *t, uint8_t *flags)
{
    const char *word = t->text;
    *flags = 0;
    for (;;) {
        size_t n = strcspn(word, "|");
        uint8_t flag = 0;
        for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
            if (n == strlen(flag_names[i].name) && strncmp(word, flag_names[i].name, n) == 0)
                flag = flag_names[i].flag;
        int col = t->col + (int)(word - t->text);
        if (!flag)
            return fail(&p->at, col, "unknown flag '%.*s' (FIN, SYN, RST, PSH, ACK, URG, joined by '|': RST|ACK)",
                        (int)(n > 40 ? 40 : n), word);
        if (*flags & flag)
            return fail(&p->at, col, "flag '%.*s' is given twice", (int)n, word);
        *flags |= flag;
        if (word[n] == '\0')
            return 0;
        word += n + 1;
    }
}

static const char *const seq_base_names[] = {"", "snd.nxt", "snd.una", "iss", "rcv.nxt", "irs", "rcv.wnd"};

const char *seq_base_name(enum seq_base base)
{
    return (size_t)base < sizeof seq_base_names / sizeof seq_base_names[0] ? seq_base_names[base] : "?";
}

/* EXPR: a number (0..2^32-1), or a TCB field with an optional +N or -N. */
static int arg_seq_expr(const struct arg *a, const struct place *at, struct seq_expr *e)
{
    static const char *const why = "is not a number or snd.nxt, snd.una, iss, rcv.nxt, irs, rcv.wnd "
                                   "with an optional +N or -N (e.g. snd.nxt+100)";
    const char *text = a->value;
    uint64_t n;
    *e = (struct seq_expr){.given = true};
    for (int b = SEQ_SND_NXT; b <= SEQ_RCV_WND; b++) {
        size_t len = strlen(seq_base_names[b]);
        if (strncmp(text, seq_base_names[b], len) == 0 && strchr("+-", text[len])) {
            e->base = (enum seq_base)b;
            text += len;
            break;
        }
    }
    if (e->base == SEQ_NUMBER)
        return parse_uint_text(text, &n) || n > UINT32_MAX ? bad_value(a, at, why) : (e->offset = (int64_t)n, 0);
    if (*text == '\0')
        return 0;
    if (parse_uint_text(text + 1, &n) || n > UINT32_MAX)
        return bad_value(a, at, why);
    e->offset = *text == '-' ? -(int64_t)n : (int64_t)n;
    return 0;
}

/* inject FLAGS [seq=EXPR] [ack=EXPR] [len=SIZE] [wnd=N] [conn=N] [to=PORT] [port=LOCAL] */
static int action_inject(struct parser *p, struct scenario_action *act)
{
    static const char *const keys[] = {"seq", "ack", "len", "wnd", "conn", "to", "port", NULL};
    struct scenario_inject *in = &act->inject;
    const struct token *flags = need(p, 4, "FLAGS after 'inject' (e.g. RST, RST|ACK, SYN)");
    size_t n;
    if (!flags || parse_flags(p, flags, &in->flags) || collect_known_args(p, 5, "inject", keys, &n))
        return -1;
    in->wnd = -1;
    for (size_t i = 0; i < n; i++) {
        const struct arg *a = &p->args[i];
        uint64_t v;
        int status = 0;
        if (same(a->key, "seq") || same(a->key, "ack")) {
            status = arg_seq_expr(a, &p->at, same(a->key, "seq") ? &in->seq : &in->ack);
        } else if (same(a->key, "len")) {
            status = arg_size(a, &p->at, 0, UINT16_MAX, &v);
            in->len = status ? 0 : (uint32_t)v;
        } else if (same(a->key, "wnd")) {
            status = arg_uint(a, &p->at, 0, UINT16_MAX, &v);
            in->wnd = status ? -1 : (int32_t)v;
        } else if (same(a->key, "conn"))
            status = parse_conn(a, &p->at, &act->conn);
        else
            status = arg_port(a, &p->at, same(a->key, "to") ? &in->to_port : &in->local_port);
        if (status)
            return -1;
    }
    return 0;
}

enum tcp_call scenario_action_call(enum scenario_action_kind kind)
{
    switch (kind) {
    case ACTION_LISTEN: return TCP_CALL_LISTEN;
    case ACTION_CONNECT: return TCP_CALL_CONNECT;
    case ACTION_SEND: return TCP_CALL_SEND;
    case ACTION_CLOSE: return TCP_CALL_CLOSE;
    case ACTION_ABORT: return TCP_CALL_ABORT;
    case ACTION_UNLISTEN: return TCP_CALL_UNLISTEN;
    case ACTION_SHUTDOWN: return TCP_CALL_SHUTDOWN;
    case ACTION_READ: return TCP_CALL_READ;
    case ACTION_SETSOCKOPT: return TCP_CALL_SETSOCKOPT;
    case ACTION_INJECT: return TCP_CALL_INJECT;
    }
    return TCP_CALL_INJECT;
}

/* A word after the verb from `words` (its index), `fallback` when none is
 * written (-1: one is required), or -1 with an error. */
static int action_word(struct parser *p, const char *verb, const char *const *words, int fallback)
{
    const struct token *t = token_at(p, 4);
    char list[64] = "";
    for (int i = 0; words[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "|" : "", words[i]);
    if (!t || t->value)
        return fallback >= 0 ? fallback : fail(&p->at, end_col(p), "missing %s after '%s'", list, verb);
    for (int i = 0; words[i]; i++)
        if (same(t->text, words[i]))
            return i;
    const char *guess = closest(t->text, words);
    return fail(&p->at, t->col, "'%s' takes %s, not '%.60s'%s%s%s", verb, list, t->text,
                guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
}

/* shutdown [wr|rd|rdwr] [conn=N] */
static int action_shutdown(struct parser *p, struct scenario_action *act)
{
    static const char *const hows[] = {"wr", "rd", "rdwr", NULL};
    int how = action_word(p, "shutdown", hows, SHUTDOWN_WR);
    if (how < 0)
        return -1;
    act->how = (enum shutdown_how)how;
    bool written = token_at(p, 4) && !token_at(p, 4)->value;
    return action_conn_args(p, act, written ? 5 : 4, "shutdown");
}

/* read off|on [conn=N] */
static int action_read(struct parser *p, struct scenario_action *act)
{
    static const char *const modes[] = {"off", "on", NULL};
    int mode = action_word(p, "read", modes, -1);
    if (mode < 0)
        return -1;
    act->on = mode == 1;
    return action_conn_args(p, act, 5, "read");
}

/* setsockopt OPTION=VALUE... [conn=N] */
static int action_setsockopt(struct parser *p, struct scenario_action *act)
{
    static const char *const keys[] = {SOCKOPT_KEYS, "conn", NULL};
    size_t n;
    if (collect_known_args(p, 4, "setsockopt", keys, &n))
        return -1;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const struct arg *a = &p->args[i];
        bool option = !same(a->key, "conn");
        any |= option;
        if (option ? arg_sockopt(a, &p->at, &act->opts) != 0 : parse_conn(a, &p->at, &act->conn) != 0)
            return -1;
    }
    return any ? 0 : fail(&p->at, end_col(p), "missing an option after 'setsockopt' "
                                              "(linger=TIME, user_timeout=T, rcvbuf=SIZE, sndbuf=SIZE, nodelay=on|off)");
}

struct verb {
    const char *name;
    enum scenario_action_kind kind;
    int (*parse)(struct parser *p, struct scenario_action *act);
};

static const struct verb verbs[] = {
    {"listen", ACTION_LISTEN, action_listen},       {"connect", ACTION_CONNECT, action_connect},
    {"send", ACTION_SEND, action_send},             {"close", ACTION_CLOSE, action_close},
    {"abort", ACTION_ABORT, action_close},          {"unlisten", ACTION_UNLISTEN, action_unlisten},
    {"shutdown", ACTION_SHUTDOWN, action_shutdown}, {"read", ACTION_READ, action_read},
    {"setsockopt", ACTION_SETSOCKOPT, action_setsockopt}, {"inject", ACTION_INJECT, action_inject},
};
static const char *const verb_names[] = {"listen", "connect", "send", "close", "abort", "unlisten",
                                         "shutdown", "read", "setsockopt", "inject", NULL};

/* at TIME HOST VERB ... */
static int directive_at(struct parser *p)
{
    struct scenario_action act = {.peer = -1, .line = p->line.number};
    if (!need(p, 1, "a time after 'at' (e.g. at 10ms)"))
        return -1;
    struct arg when = positional(p, 1, "time");
    if (arg_duration(&when, &p->at, false, &act.at))
        return -1;
    const struct token *host = need(p, 2, "a host after the time");
    if (!host || host_ref(p->s, host->text, host->col, &p->at, &act.host))
        return -1;
    const struct token *verb = need(p, 3, "an action (listen, connect, send, shutdown, close, abort, read, setsockopt, unlisten, inject)");
    if (!verb)
        return -1;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (!same(verb->text, verbs[i].name))
            continue;
        act.kind = verbs[i].kind;
        if (verbs[i].parse(p, &act))
            return -1;
        struct scenario *s = p->s;
        if (note_time(p, act.at, when.value_col, "this action"))
            return -1;
        return push(p, (void **)&s->actions, &s->action_count, &p->action_cap, sizeof act, &act);
    }
    const char *guess = closest(verb->text, verb_names);
    return fail(&p->at, verb->col, "unknown action '%.60s'%s%s%s (listen, connect, send, shutdown, close, abort, read, "
                "setsockopt, unlisten, inject)",
                verb->text, guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
}

static const struct { const char *name; enum segment_kind kind; } segment_kinds[] = {
    {"segment", SEGKIND_ANY}, {"any", SEGKIND_ANY},   {"SYN", SEGKIND_SYN}, {"SYN-ACK", SEGKIND_SYN_ACK},
    {"SYN|ACK", SEGKIND_SYN_ACK}, {"ACK", SEGKIND_ACK}, {"DATA", SEGKIND_DATA}, {"FIN", SEGKIND_FIN},
    {"RST", SEGKIND_RST},
};

static int segment_kind_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof segment_kinds / sizeof segment_kinds[0]; i++)
        if (same_loosely(name, segment_kinds[i].name))
            return (int)segment_kinds[i].kind;
    return -1;
}

/* #N or #N-M: which matching segments, counting from 1. */
static int drop_ordinal(struct parser *p, const struct token *t, struct drop_rule *rule)
{
    const char *dash = strchr(t->text + 1, '-');
    char first[32];
    size_t n = dash ? (size_t)(dash - t->text - 1) : strlen(t->text + 1);
    uint64_t lo, hi;
    if (n >= sizeof first)
        return fail(&p->at, t->col, "'%.60s': the count is too large", t->text);
    memcpy(first, t->text + 1, n);
    first[n] = '\0';
    if (parse_uint_text(first, &lo) || (dash && parse_uint_text(dash + 1, &hi)))
        return fail(&p->at, t->col, "'%.60s' is not #N or #N-M (e.g. #1 or #1-3)", t->text);
    if (!dash)
        hi = lo;
    if (lo == 0)
        return fail(&p->at, t->col, "'%.60s': segments count from #1", t->text);
    if (hi < lo)
        return fail(&p->at, t->col, "'%.60s': #N-M needs N <= M", t->text);
    rule->nth_first = lo;
    rule->nth_last = hi;
    return 0;
}

/* The KEY=VALUE arguments of a fault rule: from= until= conn= for all,
 * by= (required) for delay, after= for duplicate. */
static int fault_args(struct parser *p, int first, const char *verb, struct drop_rule *rule)
{
    static const char *const drop_keys[] = {"from", "until", "conn", NULL};
    static const char *const delay_keys[] = {"from", "until", "conn", "by", NULL};
    static const char *const duplicate_keys[] = {"from", "until", "conn", "after", NULL};
    const char *const *keys = rule->action == FAULT_DELAY       ? delay_keys
                              : rule->action == FAULT_DUPLICATE ? duplicate_keys
                                                                : drop_keys;
    size_t n;
    if (collect_known_args(p, first, verb, keys, &n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct arg *a = &p->args[i];
        uint64_t conn;
        sim_time *when = same(a->key, "from") ? &rule->from : same(a->key, "until") ? &rule->until : &rule->by;
        int status = same(a->key, "conn") ? arg_uint(a, &p->at, 1, UINT64_MAX, &conn)
                                          : arg_duration(a, &p->at, same(a->key, "by"), when);
        if (status)
            return -1;
        if (same(a->key, "conn"))
            rule->conn_id = conn;
    }
    if (rule->action == FAULT_DELAY && !find_arg(p->args, n, "by"))
        return fail(&p->at, end_col(p), "delay needs by=TIME (e.g. by=200ms)");
    if (rule->from >= rule->until)
        return fail(&p->at, key_col(p->args, n, "until", 1), "until= must be later than from=");
    return 0;
}

/* "FIN#1" and "FIN # 1": the first would be an unknown kind, the second a
 * kind and a comment that silently means every FIN. Both are refused with
 * what was meant. */
static int fault_ordinal_trap(struct parser *p, const struct token *kind)
{
    const char *hash = strchr(kind->text, '#');
    if (hash)
        return fail(&p->at, kind->col + (int)(hash - kind->text), "write '%.*s %.20s' with a blank before '#' "
                    "(a segment kind and its ordinal are two words)", (int)(hash - kind->text), kind->text, hash);
    const struct line *l = &p->line;
    if (l->comment_col && p->line.count == 3) {
        size_t i = l->comment + 1;
        while (i < l->length && (l->raw[i] == ' ' || l->raw[i] == '\t'))
            i++;
        if (i < l->length && is_digit((unsigned char)l->raw[i]))
            return fail(&p->at, l->comment_col, "'# %c...' here is a comment, so the rule would act on every %s; "
                        "write '%s #%c' for an ordinal", l->raw[i], kind->text, kind->text, l->raw[i]);
    }
    return 0;
}

static const char *const fault_verbs[] = {"drop", "delay", "duplicate", "corrupt", NULL};

/* drop|delay|duplicate|corrupt HOST KIND [#N[-M]] [from=T] [until=T] [conn=N]
 *   [by=T (delay)] [after=T (duplicate)] */
static int directive_fault(struct parser *p)
{
    struct scenario *s = p->s;
    struct scenario_drop drop = {.rule.line = p->line.number};
    struct drop_rule *rule = &drop.rule;
    const char *verb = p->line.tokens[0].text;
    char what[64];
    for (int a = 0; fault_verbs[a]; a++)
        if (same(verb, fault_verbs[a]))
            rule->action = (enum fault_action)a;
    snprintf(what, sizeof what, "the sending host after '%s'", verb);
    const struct token *host = need(p, 1, what);
    if (!host || host_ref(s, host->text, host->col, &p->at, &rule->direction))
        return -1;
    const struct token *kind = need(p, 2, "a segment kind (SYN, SYN-ACK, ACK, DATA, FIN, RST or segment)");
    if (!kind || fault_ordinal_trap(p, kind))
        return -1;
    int k = segment_kind_from_name(kind->text);
    if (k < 0)
        return fail(&p->at, kind->col, "unknown segment kind '%.60s' (SYN, SYN-ACK, ACK, DATA, FIN, RST or segment)",
                    kind->text);
    rule->kind = (enum segment_kind)k;
    rule->until = SIM_TIME_MAX;
    int next = 3;
    const struct token *ordinal = token_at(p, 3);
    if (ordinal && !ordinal->value && ordinal->text[0] == '#') {
        if (drop_ordinal(p, ordinal, rule))
            return -1;
        next = 4;
    }
    if (fault_args(p, next, verb, rule))
        return -1;
    line_text(p, drop.text, sizeof drop.text);
    return push(p, (void **)&s->drops, &s->drop_count, &p->drop_cap, sizeof drop, &drop);
}

/* A state by its RFC 9293 name (tcp_state_name), also written in lower case
 * or with '-' for '_' (syn-received). */
static int state_ref(struct parser *p, const struct token *t, int *state)
{
    *state = tcp_state_from_name(t->text);
    for (int i = 0; *state < 0 && i < TCP_STATE_COUNT; i++)
        if (same_loosely(t->text, tcp_state_name((enum tcp_state)i)))
            *state = i;
    if (*state >= 0)
        return 0;
    const char *names[TCP_STATE_COUNT + 1];
    for (int i = 0; i < TCP_STATE_COUNT; i++)
        names[i] = tcp_state_name((enum tcp_state)i);
    names[TCP_STATE_COUNT] = NULL;
    const char *guess = closest(t->text, names);
    if (guess)
        return fail(&p->at, t->col, "unknown state '%.60s'; did you mean %s?", t->text, guess);
    return fail(&p->at, t->col, "unknown state '%.60s' (CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, "
                "FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT)", t->text);
}

static int expect_conn_arg(struct parser *p, int first, struct scenario_expect *e)
{
    static const char *const keys[] = {"conn", NULL};
    size_t n;
    if (collect_known_args(p, first, "expect", keys, &n))
        return -1;
    return n == 1 ? parse_conn(&p->args[0], &p->at, &e->conn) : 0;
}

static int push_expect(struct parser *p, struct scenario_expect *e)
{
    struct scenario *s = p->s;
    line_text(p, e->text, sizeof e->text);
    return push(p, (void **)&s->expects, &s->expect_count, &p->expect_cap, sizeof *e, e);
}

/* expect at TIME HOST state STATE [conn=N] */
static int expect_state_at(struct parser *p, struct scenario_expect *e)
{
    e->kind = EXPECT_STATE_AT;
    if (!need(p, 2, "a time after 'expect at'"))
        return -1;
    struct arg when = positional(p, 2, "time");
    const struct token *host = NULL, *word = NULL, *state = NULL;
    if (arg_duration(&when, &p->at, false, &e->at) || !(host = need(p, 3, "a host after the time"))
        || host_ref(p->s, host->text, host->col, &p->at, &e->host) || !(word = need(p, 4, "'state' after the host")))
        return -1;
    if (!same(word->text, "state"))
        return fail(&p->at, word->col, "expected 'state', found '%.60s' (expect at T HOST state STATE)", word->text);
    if (!(state = need(p, 5, "a state after 'state'")) || state_ref(p, state, &e->state)
        || expect_conn_arg(p, 6, e) || note_time(p, e->at, when.value_col, "this expectation"))
        return -1;
    return push_expect(p, e);
}

/* expect HOST path STATE STATE ... [conn=N] */
static int expect_path(struct parser *p, struct scenario_expect *e)
{
    int i = 3;
    e->kind = EXPECT_PATH;
    for (; token_at(p, i) && !token_at(p, i)->value; i++) {
        if (e->state_count == SCENARIO_PATH_STATES)
            return fail(&p->at, token_at(p, i)->col, "a path has at most %d states", SCENARIO_PATH_STATES);
        if (state_ref(p, token_at(p, i), &e->states[e->state_count++]))
            return -1;
    }
    if (e->state_count == 0)
        return fail(&p->at, end_col(p), "missing states after 'path' (e.g. CLOSED SYN_SENT ESTABLISHED)");
    if (expect_conn_arg(p, i, e))
        return -1;
    return push_expect(p, e);
}

static const struct { const char *name; enum expect_counter counter; } counters[] = {
    {"segments", COUNT_SEGMENTS_SENT},   {"retransmissions", COUNT_RETRANSMISSIONS},
    {"lost", COUNT_SEGMENTS_LOST},       {"connections", COUNT_CONNECTIONS},
    {"established", COUNT_ESTABLISHED},  {"resets", COUNT_RESETS_SENT},
    {"bytes_received", COUNT_BYTES_RECEIVED},
};

static const struct { const char *text; enum expect_op op; } operators[] = {
    {"=", OP_EQ}, {"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {"<=", OP_LE}, {">", OP_GT}, {">=", OP_GE},
};

static int expect_counter(struct parser *p, const struct token *t, struct scenario_expect *e)
{
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        if (same(t->text, counters[i].name)) {
            e->counter = counters[i].counter;
            return 0;
        }
    return fail(&p->at, t->col, "expected path, a counter (segments, retransmissions, lost, connections, "
                "established, resets, bytes_received) or 'connections in STATE', found '%.60s'", t->text);
}

/* An operator token: the lexer split "<=" into "<" and "", so rejoin it. */
static int expect_operator(struct parser *p, int i, struct scenario_expect *e)
{
    const struct token *t = token_at(p, i);
    char text[8];
    if (!t)
        return fail(&p->at, end_col(p), "missing a comparison (=, !=, <, <=, >, >=) and a value");
    snprintf(text, sizeof text, "%.3s%s%.3s", t->text, t->value ? "=" : "", t->value ? t->value : "");
    for (size_t k = 0; k < sizeof operators / sizeof operators[0]; k++)
        if (same(text, operators[k].text) && strlen(t->text) + (t->value ? 1 + strlen(t->value) : 0) <= 2) {
            e->op = operators[k].op;
            return 0;
        }
    return fail(&p->at, t->col, "expected a comparison (=, !=, <, <=, >, >=), found '%.40s%s%.40s'", t->text,
                t->value ? "=" : "", t->value ? t->value : "");
}

static int expect_value(struct parser *p, int i, struct scenario_expect *e)
{
    const struct token *t = need(p, i, "a value after the comparison");
    uint64_t bytes;
    if (!t)
        return -1;
    const char *why = parse_number_text(t->text, &e->value);
    if (why && e->counter == COUNT_BYTES_RECEIVED && !parse_quantity(t->text, &sizes, &bytes)) {
        e->value = (double)bytes;
        why = NULL;
    }
    return why ? fail(&p->at, t->col, "value %.60s %s", t->text, why) : 0;
}

static int expect_tolerance(struct parser *p, int first, struct scenario_expect *e)
{
    static const char *const keys[] = {"tolerance", NULL};
    size_t n;
    if (collect_known_args(p, first, "expect", keys, &n))
        return -1;
    if (n == 0)
        return 0;
    if (e->op != OP_EQ)
        return fail(&p->at, p->args[0].key_col, "tolerance= applies only to '='");
    const char *why = parse_number_text(p->args[0].value, &e->tolerance);
    return why ? bad_value(&p->args[0], &p->at, why) : 0;
}

/* expect HOST COUNTER OP VALUE [tolerance=X], or
 * expect HOST connections in STATE [at TIME] OP VALUE [tolerance=X] */
static int expect_count(struct parser *p, struct scenario_expect *e)
{
    int i = 3;
    e->kind = EXPECT_COUNT;
    if (expect_counter(p, token_at(p, 2), e))
        return -1;
    const struct token *t = token_at(p, i);
    if (e->counter == COUNT_CONNECTIONS && t && !t->value && same(t->text, "in")) {
        const struct token *state = need(p, i + 1, "a state after 'in'");
        if (!state || state_ref(p, state, &e->state))
            return -1;
        e->counter = COUNT_IN_STATE;
        i += 2;
    }
    t = token_at(p, i);
    if (t && !t->value && same(t->text, "at")) {
        if (e->counter != COUNT_IN_STATE)   /* other counters are read at the end of the run */
            return fail(&p->at, t->col, "'at TIME' applies only to 'connections in STATE'");
        if (!need(p, i + 1, "a time after 'at'"))
            return -1;
        struct arg when = positional(p, i + 1, "time");
        if (arg_duration(&when, &p->at, false, &e->at) || note_time(p, e->at, when.value_col, "this expectation"))
            return -1;
        i += 2;
    }
    if (expect_operator(p, i, e) || expect_value(p, i + 1, e) || expect_tolerance(p, i + 2, e))
        return -1;
    return push_expect(p, e);
}

/* The KEY=VALUE arguments of `expect HOST sends ...`: tokens `first`..
 * that have a value (the words among them were read already). */
static int sends_args(struct parser *p, int first, struct scenario_expect *e)
{
    static const char *const sends_keys[] = {"seq", "ack", "len", "tolerance", "conn", NULL};
    static const char *const none_keys[] = {"from", "until", "conn", NULL};
    const char *const *keys = e->kind == EXPECT_SENDS_NO ? none_keys : sends_keys;
    struct scenario_sends *w = &e->sends;
    bool none = e->kind == EXPECT_SENDS_NO;
    size_t n = 0;
    for (int i = first; i < p->line.count; i++) {
        const struct token *t = &p->line.tokens[i];
        if (!t->value)
            continue;
        struct arg a = {t->text, t->value, t->text, t->col, t->value_col, false};
        bool known = false;
        for (size_t k = 0; keys[k]; k++)
            known = known || same(t->text, keys[k]);
        if (!known)
            return unknown_key(&a, &p->at, "expect ... sends", keys);
        if (find_arg(p->args, n, t->text))
            return fail(&p->at, t->col, "'%.60s' is given twice on this line", t->text);
        p->args[n++] = a;
    }
    for (size_t i = 0; i < n; i++) {
        const struct arg *a = &p->args[i];
        uint64_t v;
        int status;
        if (same(a->key, "seq") || same(a->key, "ack"))
            status = arg_seq_expr(a, &p->at, same(a->key, "seq") ? &w->seq : &w->ack);
        else if (same(a->key, "len")) {
            status = arg_size(a, &p->at, 0, UINT16_MAX, &v);
            w->len = (int64_t)v;
        } else if (same(a->key, "conn"))
            status = parse_conn(a, &p->at, &e->conn);
        else if (same(a->key, "tolerance") && e->at < 0)
            return fail(&p->at, a->key_col, "tolerance= applies only with 'at TIME'");
        else
            status = arg_duration(a, &p->at, false, same(a->key, "from") ? &w->from
                                                    : same(a->key, "until") ? &w->until : &w->tolerance);
        if (status)
            return -1;
    }
    if (none && w->from >= w->until)
        return fail(&p->at, key_col(p->args, n, "until", 1), "until= must be later than from=");
    return 0;
}

/* expect HOST sends FLAGS [seq=EXPR] [ack=EXPR] [len=SIZE] [at T] [#N] [tolerance=T] [conn=N]
 * expect HOST sends no FLAGS [from=T] [until=T] [conn=N] */
static int expect_sends(struct parser *p, struct scenario_expect *e)
{
    int i = 3;
    const struct token *t = token_at(p, i);
    e->kind = EXPECT_SENDS;
    e->sends.len = -1;
    e->sends.until = SIM_TIME_MAX;
    e->sends.tolerance = SIM_MS;   /* a time written to the millisecond matches */
    if (t && !t->value && same(t->text, "no")) {
        e->kind = EXPECT_SENDS_NO;
        i++;
    }
    const struct token *flags = need(p, i++, "FLAGS after 'sends' (e.g. ACK, RST|ACK)");
    if (!flags || parse_flags(p, flags, &e->sends.flags))
        return -1;
    int first = i;
    for (; (t = token_at(p, i)) != NULL; i++) {
        if (t->value)
            continue;
        if (e->kind == EXPECT_SENDS && same(t->text, "at")) {
            if (!need(p, i + 1, "a time after 'at'"))
                return -1;
            struct arg when = positional(p, i + 1, "time");
            if (arg_duration(&when, &p->at, false, &e->at) || note_time(p, e->at, when.value_col, "this expectation"))
                return -1;
            i++;
        } else if (e->kind == EXPECT_SENDS && t->text[0] == '#') {
            struct drop_rule nth = {0};
            if (drop_ordinal(p, t, &nth))
                return -1;
            if (nth.nth_last != nth.nth_first)
                return fail(&p->at, t->col, "'%.60s': expect one segment, #N", t->text);
            e->sends.nth = nth.nth_first;
        } else {
            return fail(&p->at, t->col, e->kind == EXPECT_SENDS ? "expected 'at TIME', '#N' or KEY=VALUE, found '%.60s'"
                                                                : "expected KEY=VALUE (from=, until=, conn=), found '%.60s'",
                        t->text);
        }
    }
    if (sends_args(p, first, e))
        return -1;
    return push_expect(p, e);
}

/* The errno names a call result may have, for "did you mean". */
static const char *const result_names[] = {"ok", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "EPIPE",
                                           "ENOTCONN", "EADDRINUSE", "EADDRNOTAVAIL", "ENOMEM",
                                           "ECONNABORTED", "EINVAL", "EOTHER", NULL};

/* expect HOST CALL result=ERRNO [conn=N] */
static int expect_call(struct parser *p, struct scenario_expect *e, enum tcp_call call)
{
    static const char *const keys[] = {"result", "conn", NULL};
    size_t n;
    bool has_result = false;
    e->kind = EXPECT_CALL;
    e->call = call;
    if (collect_known_args(p, 3, "expect", keys, &n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct arg *a = &p->args[i];
        if (strcmp(a->key, "conn") == 0) {
            if (parse_conn(a, &p->at, &e->conn))
                return -1;
            continue;
        }
        int result = tcp_call_result_from_name(a->value);
        if (result < 0) {
            const char *guess = closest(a->value, result_names);
            return fail(&p->at, a->value_col, "unknown result '%.60s'%s%s%s (ok or an errno name such "
                        "as ECONNREFUSED, ETIMEDOUT, ECONNRESET, EPIPE, ENOTCONN)", a->value,
                        guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
        }
        e->result = (enum tcp_call_result)result;
        has_result = true;
    }
    if (!has_result)
        return fail(&p->at, end_col(p), "missing result=ok or result=ERRNO (e.g. result=ECONNREFUSED)");
    return push_expect(p, e);
}

static int directive_expect(struct parser *p)
{
    struct scenario_expect e = {.at = -1, .state = -1, .line = p->line.number};
    const struct token *t = need(p, 1, "what to expect after 'expect'");
    if (!t)
        return -1;
    if (same(t->text, "at"))
        return expect_state_at(p, &e);
    if (host_ref(p->s, t->text, t->col, &p->at, &e.host))
        return -1;
    const struct token *what = need(p, 2, "path, a counter or 'connections in STATE' after the host");
    if (!what)
        return -1;
    if (same(what->text, "path"))
        return expect_path(p, &e);
    if (same(what->text, "sends"))
        return expect_sends(p, &e);
    if (same(what->text, "state"))
        return fail(&p->at, what->col, "a state needs a time: expect at T HOST state STATE");
    int call = what->value ? -1 : tcp_call_from_name(what->text);
    if (call >= 0)
        return expect_call(p, &e, (enum tcp_call)call);
    return expect_count(p, &e);
}

/* workload CLIENT->SERVER:PORT count=N rate=R/s|interval=T ... */
static int workload_endpoints(struct parser *p, const struct token *t, struct scenario_workload *w)
{
    char *colon = strrchr(t->text, ':');
    if (!colon || !strstr(t->text, "->"))
        return fail(&p->at, t->col, "expected CLIENT->SERVER:PORT, found '%.60s'", t->text);
    *colon = '\0';
    struct arg port = {"port", colon + 1, "port", t->col, t->col + (int)(colon + 1 - t->text), true};
    if (resolve_direction(p->s, t->text, t->col, &p->at, &w->client) || arg_port(&port, &p->at, &w->port))
        return -1;
    w->server = 1 - w->client;
    return 0;
}

static int directive_workload(struct parser *p)
{
    struct scenario *s = p->s;
    struct scenario_workload w = {.arrivals = ARRIVALS_FIXED, .server_close = SERVER_CLOSE_AFTER_FIN,
                                  .client_close = CLIENT_CLOSE_AFTER_SEND, .line = p->line.number};
    const struct token *t = need(p, 1, "CLIENT->SERVER:PORT after 'workload'");
    size_t n;
    if (!t || workload_endpoints(p, t, &w) || collect_args(p, 2, &n) || workload_apply(&w, p->args, n, &p->at))
        return -1;
    if (!find_arg(p->args, n, "count"))
        return fail(&p->at, end_col(p), "workload needs count=N");
    if (!find_arg(p->args, n, "rate") && !find_arg(p->args, n, "interval"))
        return fail(&p->at, end_col(p), "workload needs rate=R/s or interval=T");
    if (note_time(p, w.start, key_col(p->args, n, "start", t->col), "this workload's start"))
        return -1;
    return push(p, (void **)&s->workloads, &s->workload_count, &p->workload_cap, sizeof w, &w);
}

/* run [until=T] [seed=N] [reps=N] */
static int directive_run(struct parser *p)
{
    size_t n;
    if (p->run_line)
        return fail(&p->at, 1, "run is given twice (first on line %d)", p->run_line);
    if (collect_args(p, 1, &n) || run_apply(&p->s->run, p->args, n, &p->at))
        return -1;
    p->run_line = p->line.number;
    return 0;
}

static const struct directive {
    const char *name;
    int (*parse)(struct parser *p);
} directives[] = {
    {"scenario", directive_scenario}, {"link", directive_link},         {"host", directive_host},
    {"at", directive_at},             {"drop", directive_fault},        {"workload", directive_workload},
    {"expect", directive_expect},     {"run", directive_run},           {"delay", directive_fault},
    {"duplicate", directive_fault},   {"corrupt", directive_fault},
};
static const char *const directive_names[] = {"scenario", "link", "host", "at", "drop", "workload", "expect",
                                              "run", "delay", "duplicate", "corrupt", NULL};

static int apply_line(struct parser *p)
{
    const struct token *t = &p->line.tokens[0];
    if (!t->value)
        for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
            if (same(t->text, directives[i].name))
                return directives[i].parse(p);
    const char *guess = t->value ? NULL : closest(t->text, directive_names);
    if (guess)
        return fail(&p->at, t->col, "unknown directive '%.60s'; did you mean '%s'?", t->text, guess);
    return fail(&p->at, t->col, "unknown directive '%.60s%s' (scenario, link, host, at, drop, delay, duplicate, "
                "corrupt, workload, expect, run)",
                t->text, t->value ? "=..." : "");
}

/* First pass: learn the names of the first two hosts. */
static int register_host(struct parser *p)
{
    struct scenario *s = p->s;
    const struct token *name = token_at(p, 1);
    if (!same(p->line.tokens[0].text, "host") || p->line.tokens[0].value || !name || name->value
        || host_name_problem(name->text) || scenario_host_index(s, name->text) >= 0
        || s->host_count == SCENARIO_HOSTS)
        return 0;
    host_defaults(&s->hosts[s->host_count++], name->text, p->line.number);
    return 0;
}

/* Calls handle() on every line with tokens. A silent pass skips bad lines. */
static int each_line(struct parser *p, const char *text, size_t length, int (*handle)(struct parser *p))
{
    size_t pos = length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;   /* a UTF-8 BOM */
    struct line *l = &p->line;
    for (int number = 1; pos < length; number++) {
        const char *start = text + pos, *newline = memchr(start, '\n', length - pos);
        size_t size = newline ? (size_t)(newline - start) : length - pos;
        pos += size + 1;
        if (size > 0 && start[size - 1] == '\r')
            size--;
        l->raw = start;
        l->length = size;
        l->number = number;
        p->at.line = number;
        if (read_line(l, &p->at)) {
            if (p->at.err)
                return -1;
            continue;
        }
        if (l->count > 0 && handle(p))
            return -1;
    }
    return 0;
}

static int check_times(struct parser *p)
{
    const struct scenario *s = p->s;
    for (size_t i = 0; i < p->time_count; i++) {
        const struct time_ref *r = &p->times[i];
        if (r->t <= s->run.until)
            continue;
        struct place at = {p->at.err, p->at.file, r->line};
        char when[32], until[32];
        format_time(r->t, when, sizeof when);
        format_time(s->run.until, until, sizeof until);
        return fail(&at, r->col, "%s at %s is after the end of the run (run until=%s)", r->what, when, until);
    }
    return 0;
}

static int action_order(const void *a, const void *b)
{
    const struct scenario_action *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static int finish(struct parser *p)
{
    struct scenario *s = p->s;
    struct place whole = {p->at.err, p->at.file, 0};
    if (s->host_count < SCENARIO_HOSTS)
        return fail(&whole, 0, "a scenario needs two hosts, the two ends of the link (found %d)", s->host_count);
    if (check_times(p))
        return -1;
    if (s->action_count > 1)
        qsort(s->actions, s->action_count, sizeof s->actions[0], action_order);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The scenario value                                                     */

/* SHA-256 of the scenario text, through GNU Nettle: a plain function call,
 * unlike OpenSSL 3's EVP_Digest, whose provider start-up cost about 2 ms
 * of every run. */
static void sha256_hex(const char *data, size_t length, char out[65])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, length, (const uint8_t *)(data ? data : ""));
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* The default name: the file's name without directories and extension. */
static void name_from_file(const char *file, char *name, size_t size)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n >= size)
        n = size - 1;
    memcpy(name, base, n);
    name[n] = '\0';
    if (!valid_scenario_name(name))
        snprintf(name, size, "scenario");
}

static struct scenario *scenario_new(const char *file)
{
    struct scenario *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->file, sizeof s->file, "%s", file);
    name_from_file(file, s->name, sizeof s->name);
    for (int d = 0; d < SCENARIO_HOSTS; d++)
        link_direction_defaults(&s->link[d]);
    s->run.until = 10 * 60 * SIM_S;
    s->run.seed = 1;
    s->run.reps = 1;
    return s;
}

struct scenario *scenario_parse_string(const char *text, size_t length, const char *file_name,
                                       struct scenario_error *err)
{
    struct scenario_error scratch;
    const char *file = file_name ? file_name : "<string>";
    err = err ? err : &scratch;
    memset(err, 0, sizeof *err);
    struct place whole = {err, file, 0};
    if (!text && length > 0)
        return fail(&whole, 0, "no text to parse"), NULL;
    if (length > INPUT_MAX_BYTES)
        return fail(&whole, 0, "larger than %zu MiB", INPUT_MAX_BYTES >> 20), NULL;
    struct parser *p = calloc(1, sizeof *p);
    struct scenario *s = scenario_new(file);
    if (!p || !s) {
        free(p);
        scenario_free(s);
        return fail(&whole, 0, "out of memory"), NULL;
    }
    sha256_hex(text, length, s->sha256);
    p->s = s;
    p->at = (struct place){NULL, file, 0};
    each_line(p, text ? text : "", length, register_host);
    p->at.err = err;
    int status = each_line(p, text ? text : "", length, apply_line);
    if (status == 0)
        status = finish(p);
    free(p->times);
    free(p);
    if (status != 0) {
        scenario_free(s);
        return NULL;
    }
    return s;
}

struct scenario *scenario_parse_file(const char *path, struct scenario_error *err)
{
    struct scenario_error scratch;
    err = err ? err : &scratch;
    memset(err, 0, sizeof *err);
    struct place whole = {err, path ? path : "", 0};
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f)
        return fail(&whole, 0, "cannot open: %s", path ? strerror(errno) : "no file name"), NULL;
    size_t size = 0, cap = 0;
    char *data = NULL;
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 65536;
            char *grown = cap <= INPUT_MAX_BYTES + 65536 ? realloc(data, cap) : NULL;
            if (!grown)
                break;
            data = grown;
        }
        size_t got = fread(data + size, 1, cap - size, f);
        size += got;
        if (got == 0)
            break;
    }
    int read_error = ferror(f) ? errno : 0;
    bool complete = feof(f) != 0;
    fclose(f);
    struct scenario *s = NULL;
    if (read_error || !complete)
        fail(&whole, 0, "cannot read: %s", read_error ? strerror(read_error) : "too large or out of memory");
    else
        s = scenario_parse_string(data, size, path, err);
    free(data);
    return s;
}

void scenario_free(struct scenario *scenario)
{
    if (!scenario)
        return;
    free(scenario->actions);
    free(scenario->workloads);
    free(scenario->drops);
    free(scenario->expects);
    free(scenario->params);
    free(scenario);
}

int scenario_setting_describe(size_t i, const char **group, const char **key, const char **doc)
{
    const struct setting_group *groups[] = {&link_group, &host_group, &workload_group, &run_group};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; i -= groups[g]->count, g++) {
        if (i >= groups[g]->count)
            continue;
        *group = groups[g]->name;
        *key = groups[g]->rows[i].key;
        *doc = groups[g]->rows[i].doc;
        return 0;
    }
    return -1;
}

int scenario_host_index(const struct scenario *scenario, const char *name)
{
    for (int i = 0; scenario && name && i < scenario->host_count; i++)
        if (same(scenario->hosts[i].name, name))
            return i;
    return -1;
}

/* ---------------------------------------------------------------------- */
/* --set KEY=VALUE: the same argument functions, addressed by a dotted key */

/* After run.until or a workload's start changed: every time in the file must
 * still lie within the run. */
static int check_times_set(const struct scenario *s, const struct place *at, const char *key)
{
    char when[32], until[32];
    format_time(s->run.until, until, sizeof until);
    for (size_t i = 0; i < s->action_count; i++)
        if (s->actions[i].at > s->run.until) {
            format_time(s->actions[i].at, when, sizeof when);
            return fail(at, 0, "%s: the action on line %d at %s is after the end of the run (until=%s)", key,
                        s->actions[i].line, when, until);
        }
    for (size_t i = 0; i < s->expect_count; i++)
        if (s->expects[i].kind != EXPECT_PATH && s->expects[i].at > s->run.until) {
            format_time(s->expects[i].at, when, sizeof when);
            return fail(at, 0, "%s: the expectation on line %d at %s is after the end of the run (until=%s)", key,
                        s->expects[i].line, when, until);
        }
    for (size_t i = 0; i < s->workload_count; i++)
        if (s->workloads[i].start > s->run.until)
            return fail(at, 0, "%s: the workload on line %d starts after the end of the run (until=%s)", key,
                        s->workloads[i].line, until);
    return 0;
}

static int set_link(struct scenario *s, const struct arg *a, const char *rest, const struct place *at)
{
    struct arg one = *a;
    int direction = -1;
    const char *dot = strrchr(rest, '.');
    if (strstr(rest, "->")) {
        char text[2 * SCENARIO_NAME_MAX + 4];
        size_t n = dot ? (size_t)(dot - rest) : 0;
        if (!dot || n >= sizeof text)
            return fail(at, 0, "%s: expected link.FROM->TO.SETTING, e.g. link.client->server.delay", a->label);
        memcpy(text, rest, n);
        text[n] = '\0';
        if (resolve_direction(s, text, 0, at, &direction))
            return -1;
        one.key = dot + 1;
    }
    struct link_direction_config saved[SCENARIO_HOSTS];
    memcpy(saved, s->link, sizeof saved);
    for (int d = 0; d < SCENARIO_HOSTS; d++)
        if ((direction < 0 || d == direction) && link_apply(&s->link[d], &one, at)) {
            memcpy(s->link, saved, sizeof saved);
            return -1;
        }
    return 0;
}

static int set_host(struct scenario *s, int index, const struct arg *a, const struct place *at)
{
    struct scenario_host saved = s->hosts[index];
    if (host_apply(s, index, a, 1, 0, at) == 0)
        return 0;
    s->hosts[index] = saved;
    return -1;
}

static int set_run(struct scenario *s, const struct arg *a, const struct place *at)
{
    struct scenario_run_settings saved = s->run;
    if (run_apply(&s->run, a, 1, at) == 0 && check_times_set(s, at, a->label) == 0)
        return 0;
    s->run = saved;
    return -1;
}

/* "workload" is the first workload, "workloadN" the N-th; else -1. */
static int workload_index(const char *section)
{
    uint64_t n = 1;
    if (strncmp(section, "workload", 8) != 0 || (section[8] && (parse_uint_text(section + 8, &n) || n == 0)))
        return -1;
    return n > INT_MAX ? INT_MAX : (int)n - 1;
}

static int set_workload(struct scenario *s, size_t index, const struct arg *a, const struct place *at)
{
    if (index >= s->workload_count)
        return fail(at, 0, "%s: the scenario has %zu workload%s", a->label, s->workload_count,
                    s->workload_count == 1 ? "" : "s");
    struct scenario_workload saved = s->workloads[index];
    if (workload_apply(&s->workloads[index], a, 1, at) == 0 && check_times_set(s, at, a->label) == 0)
        return 0;
    s->workloads[index] = saved;
    return -1;
}

static int record_param(struct scenario *s, const char *key, const char *value, const struct place *at)
{
    struct scenario_param *grown = realloc(s->params, (s->param_count + 1) * sizeof *grown);
    if (!grown)
        return fail(at, 0, "out of memory");
    s->params = grown;
    snprintf(grown[s->param_count].key, PARAM_KEY_MAX, "%s", key);
    snprintf(grown[s->param_count].value, PARAM_VALUE_MAX, "%s", value);
    s->param_count++;
    return 0;
}

static int set_dispatch(struct scenario *s, const char *key, const char *value, const struct place *at)
{
    const char *dot = strchr(key, '.');
    char section[PARAM_KEY_MAX];
    size_t n = dot ? (size_t)(dot - key) : 0;
    if (!dot || n == 0 || dot[1] == '\0')
        return fail(at, 0, "%.60s: a key is SECTION.SETTING, e.g. link.loss, client.rto_initial or run.seed", key);
    memcpy(section, key, n);
    section[n] = '\0';
    struct arg a = {dot + 1, value, key, 0, 0, false};
    int host = scenario_host_index(s, section), workload = workload_index(section);
    if (same(section, "link"))
        return set_link(s, &a, dot + 1, at);
    if (same(section, "run"))
        return set_run(s, &a, at);
    if (workload >= 0)
        return set_workload(s, (size_t)workload, &a, at);
    if (host >= 0)
        return set_host(s, host, &a, at);
    if (s->host_count == 2)
        return fail(at, 0, "%.60s: unknown section '%s' (link, run, workload, workloadN, %s or %s)", key, section,
                    s->hosts[0].name, s->hosts[1].name);
    return fail(at, 0, "%.60s: unknown section '%s' (link, run, workload, workloadN or a host name)", key, section);
}

int scenario_set(struct scenario *scenario, const char *key, const char *value, struct scenario_error *err)
{
    struct scenario_error scratch;
    struct place at = {err ? err : &scratch, "--set", 0};
    if (!scenario || !key || !value)
        return fail(&at, 0, "scenario_set needs a scenario, a key and a value");
    if (strlen(key) >= PARAM_KEY_MAX)
        return fail(&at, 0, "%.60s...: the key is longer than %d characters", key, PARAM_KEY_MAX - 1);
    if (strlen(value) >= PARAM_VALUE_MAX)
        return fail(&at, 0, "%s: the value is longer than %d characters", key, PARAM_VALUE_MAX - 1);
    if (set_dispatch(scenario, key, value, &at))
        return -1;
    return record_param(scenario, key, value, &at);
}

int scenario_set_assignment(struct scenario *scenario, const char *assignment, struct scenario_error *err)
{
    struct scenario_error scratch;
    struct place at = {err ? err : &scratch, "--set", 0};
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    char key[PARAM_KEY_MAX];
    size_t n = eq ? (size_t)(eq - assignment) : 0;
    if (!eq)
        return fail(&at, 0, "'%.60s' is not KEY=VALUE", assignment ? assignment : "");
    if (n >= sizeof key)
        return fail(&at, 0, "%.60s...: the key is longer than %d characters", assignment, PARAM_KEY_MAX - 1);
    memcpy(key, assignment, n);
    key[n] = '\0';
    return scenario_set(scenario, key, eq + 1, err);
}
