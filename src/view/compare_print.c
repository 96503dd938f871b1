/*
 * compare_print.c: `tcpsim compare`'s output (compare.c finds what it
 * prints). Text: a header naming both runs, their stacks, the tolerance and
 * what is not compared; per aligned connection its four streams side by
 * side, A left and B right, each event's time since the connection's
 * opening, a mark on the divergence and on every timing difference; then
 * one `difference:` line per difference (scripts grep them) and the result.
 * JSON: the same, as one object.
 */
#include <inttypes.h>
#include <string.h>

#include "compare_model.h"
#include "html_model.h"

const char *cmp_stream_name(enum cmp_stream stream)
{
    static const char *const names[CMP_STREAMS] = {"client path", "server path",
                                                   "client segments", "server segments"};
    return names[stream];
}

const char *cmp_kind_name(enum cmp_kind kind)
{
    static const char *const names[] = {"none", "path", "flags", "seq", "ack", "len", "window",
                                        "fate", "only in A", "only in B", "timing", "connection"};
    return names[kind];
}

static double seconds(sim_time ns)
{
    return (double)ns / SIM_S;
}

char *cmp_event_string(const struct cmp_event *e, enum cmp_stream stream, char *buf)
{
    if (stream == CMP_CLIENT_PATH || stream == CMP_SERVER_PATH) {
        snprintf(buf, CMP_TEXT, "%+.6f %s -> %s", seconds(e->at_ns), tcp_state_name(e->from),
                 tcp_state_name(e->to));
        return buf;
    }
    char flags[32], ack[16] = "-";
    if (e->flags & TCP_FLAG_ACK)
        snprintf(ack, sizeof ack, "%" PRIu32, e->ack);
    snprintf(buf, CMP_TEXT, "%+.6f %s seq %" PRIu32 " ack %s len %" PRIu32 " wnd %u %s",
             seconds(e->at_ns), segment_flags_string(e->flags, flags), e->seq, ack, e->len,
             (unsigned)e->wnd, segment_fate_name(e->fate));
    return buf;
}

static const struct cmp_event *event_of(const struct cmp_conn *c, const struct cmp_difference *d)
{
    return c && d->index < c->streams[d->stream].count ? &c->streams[d->stream].at[d->index] : NULL;
}

/* The values that differ, "RST vs RST|ACK". */
static void differing_values(const struct cmp_event *a, const struct cmp_event *b,
                             enum cmp_kind kind, char *buf, size_t size)
{
    char fa[32], fb[32];
    switch (kind) {
    case CMP_PATH:
        snprintf(buf, size, "%s -> %s vs %s -> %s", tcp_state_name(a->from), tcp_state_name(a->to),
                 tcp_state_name(b->from), tcp_state_name(b->to));
        break;
    case CMP_FLAGS:
        snprintf(buf, size, "%s vs %s", segment_flags_string(a->flags, fa),
                 segment_flags_string(b->flags, fb));
        break;
    case CMP_SEQ:
        snprintf(buf, size, "%" PRIu32 " vs %" PRIu32, a->seq, b->seq);
        break;
    case CMP_ACK:
        snprintf(buf, size, "%" PRIu32 " vs %" PRIu32, a->ack, b->ack);
        break;
    case CMP_LEN:
        snprintf(buf, size, "%" PRIu32 " vs %" PRIu32, a->len, b->len);
        break;
    case CMP_WINDOW:
        snprintf(buf, size, "%u vs %u", (unsigned)a->wnd, (unsigned)b->wnd);
        break;
    case CMP_FATE:
        snprintf(buf, size, "%s vs %s", segment_fate_name(a->fate), segment_fate_name(b->fate));
        break;
    default:
        snprintf(buf, size, "%+.6f s vs %+.6f s", seconds(a->gap_ns), seconds(b->gap_ns));
        break;
    }
}

char *cmp_difference_string(const struct cmp_report *r, const struct cmp_difference *d, char *buf)
{
    const struct cmp_pair *p = &r->pairs[d->pair];
    const struct cmp_event *a = event_of(p->a, d), *b = event_of(p->b, d);
    char where[64], what[CMP_TEXT];
    snprintf(where, sizeof where, "connection %zu, %s #%zu", d->pair + 1, cmp_stream_name(d->stream),
             d->index + 1);
    if (d->kind == CMP_CONNECTION) {
        const struct cmp_conn *c = p->a ? p->a : p->b;
        snprintf(buf, CMP_LINE, "connection %zu: connection only in %s: %s -> %s (conn %" PRIu64 ")",
                 d->pair + 1, p->a ? "A" : "B", c->client, c->server, c->c.conn_id);
    } else if (d->kind == CMP_ONLY_A || d->kind == CMP_ONLY_B) {
        cmp_event_string(a ? a : b, d->stream, what);
        snprintf(buf, CMP_LINE, "%s: %s: %s", where, cmp_kind_name(d->kind), what);
    } else if (d->kind == CMP_TIMING) {
        differing_values(a, b, d->kind, what, sizeof what);
        snprintf(buf, CMP_LINE, "%s: timing %s since the previous event (tolerance %.3f ms)", where,
                 what, (double)d->allowed_ns / SIM_MS);
    } else {
        differing_values(a, b, d->kind, what, sizeof what);
        snprintf(buf, CMP_LINE, "%s: %s %s", where, cmp_kind_name(d->kind), what);
    }
    return buf;
}

const char *cmp_ignored(const struct cmp_report *r)
{
    return r->windows_compared
               ? "ports, ISNs (seq/ack are relative to each side's ISN), causes, retransmission "
                 "marks, TCP options, listeners' transitions"
               : "ports, ISNs (seq/ack are relative to each side's ISN), causes, retransmission "
                 "marks, TCP options, listeners' transitions, and, the stacks differing, windows "
                 "(Linux tunes its receive window) and PSH (Linux sets it per buffer written)";
}

/* ---- text ---- */

static void print_run(FILE *out, const char *side, const struct cmp_run *run)
{
    fprintf(out, "%s: %s run %" PRId64 ": scenario %s, stack %s, %zu connection(s)\n", side,
            run->path, run->run_id, run->info.scenario, run->info.stack, run->count);
}

/* The mark of event i of a stream, advancing *next over the differences
 * (they come in pair, stream, index order). */
static const char *mark_of(const struct cmp_report *r, size_t *next, size_t pair,
                           enum cmp_stream stream, size_t i, char *buf)
{
    buf[0] = '\0';
    while (*next < r->diff_count) {
        const struct cmp_difference *d = &r->diffs[*next];
        if (d->pair != pair || d->stream != stream || d->index != i)
            break;
        snprintf(buf, CMP_TEXT, "<- %s%s", d == r->first ? "first divergence: " : "",
                 cmp_kind_name(d->kind));
        (*next)++;
    }
    return buf;
}

static void print_stream(FILE *out, const struct cmp_report *r, size_t pair, enum cmp_stream s,
                         size_t *next)
{
    const struct cmp_events *a = &r->pairs[pair].a->streams[s], *b = &r->pairs[pair].b->streams[s];
    size_t rows = a->count > b->count ? a->count : b->count;
    fprintf(out, "  %s\n", cmp_stream_name(s));
    for (size_t i = 0; i < rows; i++) {
        char ta[CMP_TEXT] = "", tb[CMP_TEXT] = "", mark[CMP_TEXT];
        if (i < a->count)
            cmp_event_string(&a->at[i], s, ta);
        if (i < b->count)
            cmp_event_string(&b->at[i], s, tb);
        mark_of(r, next, pair, s, i, mark);
        fprintf(out, "  %3zu %-54s %-54s %s\n", i + 1, ta, tb, mark);
    }
}

void cmp_print_text(const struct cmp_report *r, FILE *out)
{
    char buf[CMP_LINE];
    print_run(out, "A", &r->a);
    print_run(out, "B", &r->b);
    fprintf(out, "times: since the connection's opening; compared: the time since the stream's "
                 "previous event, tolerance max(%.3f ms, %g%%)\n",
            (double)r->options.tolerance_ns / SIM_MS, r->options.tolerance_fraction * 100);
    fprintf(out, "not compared: %s\n", cmp_ignored(r));
    size_t next = 0;
    for (size_t p = 0; p < r->pair_count; p++) {
        const struct cmp_pair *pair = &r->pairs[p];
        if (!pair->a || !pair->b) {
            next++;           /* its one CMP_CONNECTION difference, listed below */
            continue;
        }
        fprintf(out, "\nconnection %zu: %s -> %s (A conn %" PRIu64 ", B conn %" PRIu64 ")\n", p + 1,
                pair->a->client, pair->a->server, pair->a->c.conn_id, pair->b->c.conn_id);
        for (int s = 0; s < CMP_STREAMS; s++)
            print_stream(out, r, p, (enum cmp_stream)s, &next);
    }
    fputc('\n', out);
    for (size_t i = 0; i < r->diff_count; i++)
        fprintf(out, "difference: %s\n", cmp_difference_string(r, &r->diffs[i], buf));
    if (!r->diff_count)
        fprintf(out, "result: equivalent\n");
    else if (r->first)
        fprintf(out, "result: differ (%zu difference(s)); first divergence: %s\n", r->diff_count,
                cmp_difference_string(r, r->first, buf));
    else
        fprintf(out, "result: differ (%zu timing difference(s)), no divergence\n", r->diff_count);
}

/* ---- JSON ---- */

static void json_run(FILE *out, const char *key, const struct cmp_run *run)
{
    fprintf(out, "\"%s\":{\"path\":", key);
    html_write_json_string(out, run->path);
    fprintf(out, ",\"run\":%" PRId64 ",\"scenario\":", run->run_id);
    html_write_json_string(out, run->info.scenario);
    fputs(",\"stack\":", out);
    html_write_json_string(out, run->info.stack);
    fprintf(out, ",\"connections\":%zu}", run->count);
}

static void json_events(FILE *out, const struct cmp_conn *c, enum cmp_stream s)
{
    char buf[CMP_TEXT];
    fputc('[', out);
    for (size_t i = 0; c && i < c->streams[s].count; i++) {
        fputs(i ? "," : "", out);
        html_write_json_string(out, cmp_event_string(&c->streams[s].at[i], s, buf));
    }
    fputc(']', out);
}

static void json_connection(FILE *out, const struct cmp_pair *p, size_t number)
{
    const struct cmp_conn *c = p->a ? p->a : p->b;
    fprintf(out, "{\"connection\":%zu,\"client\":", number);
    html_write_json_string(out, c->client);
    fputs(",\"server\":", out);
    html_write_json_string(out, c->server);
    fputs(",\"streams\":{", out);
    for (int s = 0; s < CMP_STREAMS; s++) {
        fprintf(out, "%s\"%s\":{\"a\":", s ? "," : "", cmp_stream_name((enum cmp_stream)s));
        json_events(out, p->a, (enum cmp_stream)s);
        fputs(",\"b\":", out);
        json_events(out, p->b, (enum cmp_stream)s);
        fputc('}', out);
    }
    fputs("}}", out);
}

static void json_difference(FILE *out, const struct cmp_report *r, const struct cmp_difference *d)
{
    char buf[CMP_LINE];
    if (d->kind == CMP_CONNECTION)
        fprintf(out, "{\"connection\":%zu,\"stream\":null,\"event\":null", d->pair + 1);
    else
        fprintf(out, "{\"connection\":%zu,\"stream\":\"%s\",\"event\":%zu", d->pair + 1,
                cmp_stream_name(d->stream), d->index + 1);
    fprintf(out, ",\"kind\":\"%s\",\"text\":", cmp_kind_name(d->kind));
    html_write_json_string(out, cmp_difference_string(r, d, buf));
    fputc('}', out);
}

void cmp_print_json(const struct cmp_report *r, FILE *out)
{
    fputc('{', out);
    json_run(out, "a", &r->a);
    fputc(',', out);
    json_run(out, "b", &r->b);
    fprintf(out, ",\"tolerance\":{\"ms\":%g,\"percent\":%g},\"not_compared\":",
            (double)r->options.tolerance_ns / SIM_MS, r->options.tolerance_fraction * 100);
    html_write_json_string(out, cmp_ignored(r));
    fprintf(out, ",\"equivalent\":%s,\"first_divergence\":", r->diff_count ? "false" : "true");
    if (r->first)
        json_difference(out, r, r->first);
    else
        fputs("null", out);
    fputs(",\"differences\":[", out);
    for (size_t i = 0; i < r->diff_count; i++) {
        fputs(i ? "," : "", out);
        json_difference(out, r, &r->diffs[i]);
    }
    fputs("],\"connections\":[", out);
    for (size_t p = 0; p < r->pair_count; p++) {
        fputs(p ? "," : "", out);
        json_connection(out, &r->pairs[p], p + 1);
    }
    fputs("]}\n", out);
}
