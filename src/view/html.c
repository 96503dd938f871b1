/*
 * html.c: the HTML page sink (html.h). Copies the records of one run into
 * a struct html_run (html_model.h) and, at run_end, writes the page: the
 * document, the controls, one ladder per connection (html_ladder.c), the
 * two state diagrams (html_diagram.c), the records as JSON for the page's
 * script, then the stylesheet and the script themselves (html_page.css and
 * html_page.js, turned into C strings at build time: html_assets.h).
 *
 * Trade-off: the SVG is drawn here in C, not by the script, so the picture
 * is there without JavaScript (printing, a test that reads the file) and
 * the layout has one implementation; the script only moves the cursor,
 * dims, lights and fills in. The JSON repeats the fields the script needs
 * as compact arrays rather than as attributes, which keeps a 100-connection
 * page under 1 MB.
 */
#include "html.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "html_assets.h"
#include "html_model.h"

struct html_sink {
    struct trace_sink base;   /* first: the trace sees this */
    FILE *out;
    char *path;
    struct html_options options;
    struct html_run run;
    bool in_run, written, failed;
};

static struct html_sink *as_html_sink(struct trace_sink *sink)
{
    return (struct html_sink *)sink;
}

/* ---- collecting ---- */

/* Makes room for one more element; false (and *failed) when out of memory. */
static bool reserve(void **items, size_t *cap, size_t count, size_t size, bool *failed)
{
    if (count < *cap)
        return true;
    size_t new_cap = *cap ? *cap * 2 : 64;
    void *grown = realloc(*items, new_cap * size);
    if (!grown) {
        *failed = true;
        return false;
    }
    *items = grown;
    *cap = new_cap;
    return true;
}

static char *copy_string(const char *s, bool *failed)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        *failed = true;
    return copy;
}

/* The index of host name, added when new; 0 when out of memory. */
static size_t host_index(struct html_sink *s, const char *name)
{
    struct html_run *run = &s->run;
    for (size_t i = 0; i < run->host_count; i++)
        if (strcmp(run->hosts[i], name ? name : "") == 0)
            return i;
    char **grown = realloc(run->hosts, (run->host_count + 1) * sizeof *grown);
    char *copy = copy_string(name, &s->failed);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            run->hosts = grown;
        s->failed = true;
        return 0;
    }
    run->hosts = grown;
    run->hosts[run->host_count] = copy;
    return run->host_count++;
}

static void free_run(struct html_run *run)
{
    free(run->scenario);
    for (size_t i = 0; i < run->param_count; i++)
        free(run->params[i]);
    free(run->params);
    for (size_t i = 0; i < run->host_count; i++)
        free(run->hosts[i]);
    free(run->hosts);
    for (size_t i = 0; i < run->expectation_count; i++)
        free(run->expectations[i].text);
    free(run->expectations);
    free(run->segments);
    free(run->transitions);
    free(run->connections);
    free(run->segments_by_conn);
    free(run->transitions_by_conn);
    memset(run, 0, sizeof *run);
}

static int html_run_start(struct trace_sink *sink, const struct trace_run_info *info)
{
    struct html_sink *s = as_html_sink(sink);
    if (s->written)
        return 0;
    free_run(&s->run);
    s->in_run = true;
    s->failed = false;
    s->run.scenario = copy_string(info->scenario, &s->failed);
    s->run.seed = info->seed;
    s->run.rep = info->rep;
    s->run.params = calloc(info->param_count ? info->param_count : 1, sizeof *s->run.params);
    if (!s->run.params)
        s->failed = true;
    for (size_t i = 0; s->run.params && i < info->param_count; i++) {
        size_t size = strlen(info->params[i].key) + strlen(info->params[i].value) + 2;
        char *kv = malloc(size);
        if (!kv) {
            s->failed = true;
            break;
        }
        snprintf(kv, size, "%s=%s", info->params[i].key, info->params[i].value);
        s->run.params[s->run.param_count++] = kv;
    }
    return 0;
}

static void html_connection(struct trace_sink *sink, const struct trace_connection *conn)
{
    struct html_sink *s = as_html_sink(sink);
    struct html_run *run = &s->run;
    if (!s->in_run || !reserve((void **)&run->connections, &run->connection_cap,
                               run->connection_count, sizeof *run->connections, &s->failed))
        return;
    struct html_connection *c = &run->connections[run->connection_count++];
    c->conn = *conn;
    c->conn.client = c->conn.server = NULL;
    c->client = host_index(s, conn->client);
    c->server = host_index(s, conn->server);
}

static void html_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct html_sink *s = as_html_sink(sink);
    struct html_run *run = &s->run;
    if (!s->in_run || !reserve((void **)&run->transitions, &run->transition_cap,
                               run->transition_count, sizeof *run->transitions, &s->failed))
        return;
    run->transitions[run->transition_count++] = (struct html_transition){
        .t_ns = tr->t_ns, .host = host_index(s, tr->host), .conn_id = tr->conn_id,
        .from_state = tr->from_state, .to_state = tr->to_state, .cause = tr->cause,
        .seg_id = tr->seg_id, .order = run->next_order++};
}

static void html_segment(struct trace_sink *sink, const struct trace_segment *ts)
{
    struct html_sink *s = as_html_sink(sink);
    struct html_run *run = &s->run;
    if (!s->in_run || !reserve((void **)&run->segments, &run->segment_cap, run->segment_count,
                               sizeof *run->segments, &s->failed))
        return;
    struct html_segment *h = &run->segments[run->segment_count++];
    h->seg = *ts->seg;
    h->seg.data = NULL;
    h->sender = host_index(s, ts->sender);
    h->receiver = host_index(s, ts->receiver);
    h->sent_ns = ts->sent_ns;
    h->arrived_ns = ts->arrived_ns;
    h->fate = ts->fate;
    h->order = run->next_order++;
}

static void html_expectation(struct trace_sink *sink, const struct trace_expectation *exp)
{
    struct html_sink *s = as_html_sink(sink);
    struct html_run *run = &s->run;
    if (!s->in_run || !reserve((void **)&run->expectations, &run->expectation_cap,
                               run->expectation_count, sizeof *run->expectations, &s->failed))
        return;
    run->expectations[run->expectation_count++] =
        (struct html_expectation){copy_string(exp->text, &s->failed), exp->passed != 0};
}

/* '<' is written as \u003c so that no string can close the <script>. */
void html_write_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == '<')
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* ---- the records as JSON, for the script ---- */

static void write_name_table(FILE *out, const char *key, const char *(*name)(int), int count)
{
    fprintf(out, "\"%s\":[", key);
    for (int i = 0; i < count; i++) {
        if (i)
            fputc(',', out);
        html_write_json_string(out, name(i) ? name(i) : "");
    }
    fputs("],\n", out);
}

static const char *state_name(int i) { return tcp_state_name((enum tcp_state)i); }
static const char *cause_name(int i) { return tcp_cause_name((enum tcp_cause)i); }
static const char *fate_name(int i) { return segment_fate_name((enum segment_fate)i); }

/* [id, conn, sender, receiver, seq, ack, flags, len, wnd, mss, retransmission,
 *  sent_ns, arrived_ns, fate, "FLAGS"] */
static void write_segments_json(FILE *out, const struct html_run *run)
{
    fputs("\"segs\":[", out);
    for (size_t i = 0; i < run->segment_count; i++) {
        const struct html_segment *h = &run->segments[i];
        char flags[32];
        fprintf(out,
                "%s\n[%" PRIu64 ",%" PRIu64 ",%zu,%zu,%" PRIu32 ",%" PRIu32 ",%u,%" PRIu32
                ",%u,%u,%d,%" PRId64 ",%" PRId64 ",%d,\"%s\"]",
                i ? "," : "", h->seg.id, h->seg.conn_id, h->sender, h->receiver, h->seg.seq,
                h->seg.ack, (unsigned)h->seg.flags, h->seg.len, (unsigned)h->seg.wnd,
                (unsigned)h->seg.mss, h->seg.retransmission ? 1 : 0, (int64_t)h->sent_ns,
                (int64_t)h->arrived_ns, (int)h->fate, segment_flags_string(h->seg.flags, flags));
    }
    fputs("],\n", out);
}

/* The --explain lines, each once; transitions refer to them by index. */
struct explain_table {
    char **lines;
    size_t count;
};

static size_t explain_index(struct explain_table *table, const struct html_transition *tr,
                            bool *failed)
{
    char line[512];
    explain_transition(tr->from_state, tr->to_state, tr->cause, line, sizeof line);
    for (size_t i = 0; i < table->count; i++)
        if (strcmp(table->lines[i], line) == 0)
            return i;
    char **grown = realloc(table->lines, (table->count + 1) * sizeof *grown);
    char *copy = grown ? strdup(line) : NULL;
    if (grown)
        table->lines = grown;
    if (!copy) {
        *failed = true;
        return 0;
    }
    table->lines[table->count] = copy;
    return table->count++;
}

/* [t_ns, host, conn, from, to, cause, seg_id, explain index] */
static bool write_transitions_json(FILE *out, const struct html_run *run)
{
    struct explain_table table = {NULL, 0};
    bool failed = false;
    fputs("\"trs\":[", out);
    for (size_t i = 0; i < run->transition_count; i++) {
        const struct html_transition *tr = &run->transitions[i];
        fprintf(out, "%s\n[%" PRId64 ",%zu,%" PRIu64 ",%d,%d,%d,%" PRIu64 ",%zu]", i ? "," : "",
                (int64_t)tr->t_ns, tr->host, tr->conn_id, (int)tr->from_state, (int)tr->to_state,
                (int)tr->cause, tr->seg_id, explain_index(&table, tr, &failed));
    }
    fputs("],\n\"why\":[", out);
    for (size_t i = 0; i < table.count; i++) {
        fputs(i ? ",\n" : "\n", out);
        html_write_json_string(out, table.lines[i]);
        free(table.lines[i]);
    }
    free(table.lines);
    fputs("],\n", out);
    return !failed;
}

/* Sequence numbers count from here in relative mode: the ISN the
 * connection record names, else the side's first SYN, else its first
 * segment (as Wireshark does). */
static uint32_t side_isn(const struct html_ladder *ladder, const struct html_run *run, int side)
{
    const struct html_connection *c = ladder->connection;
    if (c && side == 0 && c->conn.has_client_isn)
        return c->conn.client_isn;
    if (c && side == 1 && c->conn.has_server_isn)
        return c->conn.server_isn;
    bool found = false;
    uint32_t first = 0;
    for (size_t r = 0; r < ladder->row_count; r++) {
        const struct html_row *row = &ladder->rows[r];
        if (row->kind != ROW_SEND)
            continue;
        const struct html_segment *h = &run->segments[row->segment];
        if (html_ladder_side(ladder, h->sender) != side)
            continue;
        if (h->seg.flags & TCP_FLAG_SYN)
            return h->seg.seq;
        if (!found)
            first = h->seg.seq;
        found = true;
    }
    return first;
}

/* {"conn":ID, "hosts":[l,r], "init":[l,r], "isn":[l,r], "rows":[[kind,seg,tr],...]} */
static void write_ladder_json(FILE *out, const struct html_ladder *ladder, const struct html_run *run)
{
    fprintf(out, "{\"conn\":%" PRIu64 ",\"hosts\":[%zu,%zu],\"init\":[%d,%d],\"isn\":[%" PRIu32
                 ",%" PRIu32 "],\"rows\":[",
            ladder->connection ? ladder->connection->conn.conn_id : 0, ladder->hosts[0],
            ladder->hosts[1], (int)ladder->initial[0], (int)ladder->initial[1],
            side_isn(ladder, run, 0), side_isn(ladder, run, 1));
    for (size_t r = 0; r < ladder->row_count; r++) {
        const struct html_row *row = &ladder->rows[r];
        fprintf(out, "%s[%d,%ld,%ld]", r ? "," : "", (int)row->kind,
                row->segment == HTML_NONE ? -1L : (long)row->segment,
                row->transition == HTML_NONE ? -1L : (long)row->transition);
    }
    fputs("]}", out);
}

/* ---- the page ---- */

static void write_lines(FILE *out, const char *const *lines)
{
    for (; *lines; lines++)
        fputs(*lines, out);
}

static void write_head(FILE *out, const struct html_run *run)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"tcpsim\">\n<title>tcpsim: ", out);
    xml_write_escaped(out, run->scenario);
    fputs("</title>\n<style>\n", out);
    write_lines(out, html_page_css);
    fputs("</style>\n</head>\n", out);
}

static void write_title(FILE *out, const struct html_run *run)
{
    fputs("<header>\n<h1>", out);
    xml_write_escaped(out, run->scenario);
    fprintf(out, " <small>seed %" PRIu64 ", rep %" PRIu32 ", %s, simulated %.3f s</small></h1>\n",
            run->seed, run->rep, run->status ? run->status : "?", (double)run->sim_end_ns / SIM_S);
    if (run->param_count) {
        fputs("<p class=\"params\">settings changed from the scenario file:", out);
        for (size_t i = 0; i < run->param_count; i++) {
            fputs(" <code>--set ", out);
            xml_write_escaped(out, run->params[i]);
            fputs("</code>", out);
        }
        fputs("</p>\n", out);
    }
    fputs("</header>\n", out);
}

static void write_controls(FILE *out)
{
    fputs("<nav id=\"controls\">\n"
          "<label>connection <select id=\"conn\"></select></label>\n"
          "<button id=\"first\" title=\"first event (Home)\">|&#x25C0;</button>"
          "<button id=\"prev\" title=\"previous event (left arrow)\">&#x25C0;</button>"
          "<button id=\"play\" title=\"play / pause (space)\">play</button>"
          "<button id=\"next\" title=\"next event (right arrow)\">&#x25B6;</button>"
          "<button id=\"last\" title=\"last event (End)\">&#x25B6;|</button>\n"
          "<label>speed <select id=\"speed\"><option value=\"0.5\">0.5</option>"
          "<option value=\"1\" selected>1</option><option value=\"2\">2</option>"
          "<option value=\"4\">4</option><option value=\"8\">8</option></select> events/s</label>\n"
          "<label class=\"slider\">time <input id=\"slider\" type=\"range\" min=\"0\" max=\"0\" "
          "value=\"0\"> <output id=\"now\">0.000 s</output></label>\n"
          "<label><input id=\"relative\" type=\"checkbox\"> relative seq/ack</label>\n"
          "<label><input id=\"quizmode\" type=\"checkbox\"> quiz</label>\n"
          "<span id=\"score\"></span>\n</nav>\n",
          out);
}

static void write_expectations(FILE *out, const struct html_run *run)
{
    if (!run->expectation_count)
        return;
    fputs("<details id=\"expectations\"><summary>expectations</summary><ul>\n", out);
    for (size_t i = 0; i < run->expectation_count; i++) {
        fprintf(out, "<li class=\"%s\">", run->expectations[i].passed ? "passed" : "failed");
        xml_write_escaped(out, run->expectations[i].text);
        fprintf(out, ": %s</li>\n", run->expectations[i].passed ? "passed" : "failed");
    }
    fputs("</ul></details>\n", out);
}

/* The ladders the page shows: each connection (or the one asked for), and
 * one for records outside every connection when there are no connections. */
static size_t build_ladders(struct html_ladder *ladders, const struct html_run *run,
                            const struct html_options *options, bool *failed)
{
    size_t count = 0;
    bool *listener_taken = calloc(run->host_count ? run->host_count : 1, sizeof *listener_taken);
    if (!listener_taken) {
        *failed = true;
        return 0;
    }
    for (size_t i = 0; i < run->connection_count; i++) {
        const struct html_connection *c = &run->connections[i];
        if (options->conn_id && c->conn.conn_id != options->conn_id)
            continue;
        if (html_ladder_build(&ladders[count], run, c, listener_taken) != 0) {
            *failed = true;
            break;
        }
        count++;
    }
    if (count == 0 && !options->conn_id && !*failed) {
        if (html_ladder_build(&ladders[0], run, NULL, listener_taken) != 0)
            *failed = true;
        else
            count = 1;
    }
    free(listener_taken);
    return count;
}

static void write_data(FILE *out, const struct html_run *run, const struct html_ladder *ladders,
                       size_t count, const struct html_options *options, bool *failed)
{
    fprintf(out, "<script type=\"application/json\" id=\"tcpsim-data\">\n{\"quiz\":%s,\n",
            options->quiz ? "true" : "false");
    write_name_table(out, "states", state_name, TCP_STATE_COUNT);
    write_name_table(out, "causes", cause_name, TCP_CAUSE_COUNT);
    write_name_table(out, "fates", fate_name, FATE_QUEUE_FULL + 1);
    fputs("\"hosts\":[", out);
    for (size_t i = 0; i < run->host_count; i++) {
        if (i)
            fputc(',', out);
        html_write_json_string(out, run->hosts[i]);
    }
    fputs("],\n", out);
    write_segments_json(out, run);
    if (!write_transitions_json(out, run))
        *failed = true;
    fputs("\"ladders\":[", out);
    for (size_t i = 0; i < count; i++) {
        fputs(i ? ",\n" : "\n", out);
        write_ladder_json(out, &ladders[i], run);
    }
    fputs("]}\n</script>\n", out);
}

/* Returns 0, or -1 out of memory (the page is then incomplete). */
static int write_page(FILE *out, struct html_run *run, const struct html_options *options)
{
    size_t capacity = run->connection_count ? run->connection_count : 1;
    struct html_ladder *ladders = calloc(capacity, sizeof *ladders);
    bool failed = ladders == NULL || html_run_index(run) != 0;
    size_t count = failed ? 0 : build_ladders(ladders, run, options, &failed);
    write_head(out, run);
    fprintf(out, "<body%s>\n", options->quiz ? " class=\"quiz\"" : "");
    write_title(out, run);
    write_controls(out);
    fputs("<main>\n<div id=\"ladders\">\n", out);
    html_ladder_write_defs(out);
    if (count == 0)
        fputs("<p>No connection to draw.</p>\n", out);
    for (size_t i = 0; i < count; i++)
        html_ladder_write_svg(&ladders[i], run, out);
    fputs("</div>\n<aside id=\"side\">\n<div id=\"diagrams\">\n", out);
    html_diagram_write_svg(0, count ? run->hosts[ladders[0].hosts[0]] : "client", out);
    html_diagram_write_svg(1, count ? run->hosts[ladders[0].hosts[1]] : "server", out);
    fputs("</div>\n<div id=\"quiz\" hidden></div>\n<div id=\"details\"><p class=\"hint\">Click an "
          "arrow or a state to see every field and the RFC's reason.</p></div>\n",
          out);
    write_expectations(out, run);
    fputs("</aside>\n</main>\n", out);
    write_data(out, run, ladders, count, options, &failed);
    fputs("<script>\n", out);
    write_lines(out, html_page_js);
    fputs("</script>\n</body>\n</html>\n", out);
    for (size_t i = 0; i < count; i++)
        html_ladder_free(&ladders[i]);
    free(ladders);
    return failed ? -1 : 0;
}

/* ---- the rest of the sink ---- */

static int by_conn_id(const void *a, const void *b)
{
    uint64_t x = ((const struct html_connection *)a)->conn.conn_id;
    uint64_t y = ((const struct html_connection *)b)->conn.conn_id;
    return (x > y) - (x < y);
}

static int html_run_end(struct trace_sink *sink, const struct trace_run_result *result)
{
    struct html_sink *s = as_html_sink(sink);
    if (s->written || !s->in_run)
        return 0;
    s->in_run = false;
    s->written = true;
    s->run.status = result->status;
    s->run.sim_end_ns = result->sim_end_ns;
    /* A live run reports a connection when it ends, a replay in conn_id
     * order: the page shows them by conn_id, so both pages are one page. */
    if (s->run.connection_count > 1)
        qsort(s->run.connections, s->run.connection_count, sizeof *s->run.connections,
              by_conn_id);
    int status = s->failed ? -1 : write_page(s->out, &s->run, &s->options);
    s->run.status = NULL;
    if (fclose(s->out) != 0 && status == 0) {
        snprintf(sink->error, sizeof sink->error, "writing %s: %s", s->path, strerror(errno));
        status = -1;
    } else if (status != 0) {
        snprintf(sink->error, sizeof sink->error, "writing %s: out of memory", s->path);
    }
    s->out = NULL;
    free_run(&s->run);
    return status;
}

static void html_run_abort(struct trace_sink *sink)
{
    struct html_sink *s = as_html_sink(sink);
    s->in_run = false;
    free_run(&s->run);
}

static void html_destroy(struct trace_sink *sink)
{
    struct html_sink *s = as_html_sink(sink);
    if (s->out)
        fclose(s->out);
    free_run(&s->run);
    free(s->path);
    free(s);
}

static const struct trace_sink_ops html_ops = {
    .run_start = html_run_start,
    .connection = html_connection,
    .transition = html_transition,
    .segment = html_segment,
    .expectation = html_expectation,
    .run_end = html_run_end,
    .run_abort = html_run_abort,
    .destroy = html_destroy,
};

struct trace_sink *html_sink_open(const char *path, const struct html_options *options, char *err,
                                  size_t errlen)
{
    struct html_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(s);
        return NULL;
    }
    s->out = fopen(path, "w");
    if (!s->out) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        free(s->path);
        free(s);
        return NULL;
    }
    s->base.ops = &html_ops;
    s->options = options ? *options : (struct html_options)HTML_OPTIONS_DEFAULT;
    return &s->base;
}
