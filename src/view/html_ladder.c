/*
 * html_ladder.c: one connection's ladder diagram as SVG, for the HTML page.
 *
 * Layout, chosen so that no label ever touches an arrow or another label:
 * one row per event in time order (a send, an arrival, a state transition;
 * an arrival that caused a transition shares its row), like the terminal
 * ladder, rather than true-scale time, which piles close events on top of
 * each other. Arrows live only between the two lifelines; each row's text
 * lives in its own column outside them: the time on the left, each host's
 * new state beside its lifeline, and the segment's or transition's note in
 * the right-hand column. Timers are bars in lanes between a lifeline and its
 * state column, labelled along the bar only when the label fits.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "html_model.h"

/* Geometry, in SVG pixels (12 px monospace text: about 7.2 px a character). */
enum {
    ROW_HEIGHT = 24,
    TOP = 56,               /* the first row's top: host names and initial states above */
    TIME_X = 64,            /* right end of the time column */
    LIFE_X0 = 240, LIFE_X1 = 480,
    STATE_X0 = 194,         /* right end of the left state column */
    STATE_X1 = 526,         /* left end of the right state column */
    LANE_STEP = 18,         /* timer lanes, from the lifeline outwards */
    NOTE_X = 630,
    CHAR_WIDTH_TENTHS = 73, /* a character of the note column, in tenths of a pixel */
};

enum timer_lane { LANE_STATE_TIMER, LANE_RTO };

static int lifeline_x(int side) { return side == 0 ? LIFE_X0 : LIFE_X1; }

static int row_y(size_t row) { return TOP + (int)row * ROW_HEIGHT + ROW_HEIGHT / 2; }

int html_ladder_side(const struct html_ladder *ladder, size_t host)
{
    if (host == ladder->hosts[0])
        return 0;
    return host == ladder->hosts[1] ? 1 : -1;
}

/* ---- finding a connection's records ---- */

/* One record's place in a by-conn index while it is sorted. */
struct conn_order {
    uint64_t conn_id, order;
    size_t index;
};

static int compare_conn_order(const void *a, const void *b)
{
    const struct conn_order *x = a, *y = b;
    if (x->conn_id != y->conn_id)
        return x->conn_id < y->conn_id ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts keys and returns their indexes in that order (NULL out of memory);
 * frees keys. */
static size_t *sorted_indexes(struct conn_order *keys, size_t count)
{
    size_t *index = keys ? malloc((count ? count : 1) * sizeof *index) : NULL;
    if (index) {
        qsort(keys, count, sizeof *keys, compare_conn_order);
        for (size_t i = 0; i < count; i++)
            index[i] = keys[i].index;
    }
    free(keys);
    return index;
}

int html_run_index(struct html_run *run)
{
    struct conn_order *segs = malloc((run->segment_count + 1) * sizeof *segs);
    struct conn_order *trs = malloc((run->transition_count + 1) * sizeof *trs);
    for (size_t i = 0; segs && i < run->segment_count; i++)
        segs[i] = (struct conn_order){run->segments[i].seg.conn_id, run->segments[i].order, i};
    for (size_t i = 0; trs && i < run->transition_count; i++)
        trs[i] = (struct conn_order){run->transitions[i].conn_id, run->transitions[i].order, i};
    free(run->segments_by_conn);
    free(run->transitions_by_conn);
    run->segments_by_conn = sorted_indexes(segs, run->segment_count);
    run->transitions_by_conn = sorted_indexes(trs, run->transition_count);
    return run->segments_by_conn && run->transitions_by_conn ? 0 : -1;
}

/* The first position in a by-conn index whose conn_id is >= conn_id. */
static size_t lower_bound(const size_t *index, size_t count, uint64_t conn_id,
                          uint64_t (*conn_of)(const struct html_run *, size_t),
                          const struct html_run *run)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (conn_of(run, index[mid]) < conn_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint64_t segment_conn(const struct html_run *run, size_t i)
{
    return run->segments[i].seg.conn_id;
}

static uint64_t transition_conn(const struct html_run *run, size_t i)
{
    return run->transitions[i].conn_id;
}

/* ---- building the rows ---- */

static uint64_t key(bool after_arrivals, uint64_t order, bool after_send)
{
    return ((uint64_t)after_arrivals << 62) | (order << 1) | (uint64_t)after_send;
}

static bool add_row(struct html_ladder *ladder, size_t *cap, struct html_row row)
{
    if (ladder->row_count == *cap) {
        size_t new_cap = *cap ? *cap * 2 : 32;
        struct html_row *grown = realloc(ladder->rows, new_cap * sizeof *grown);
        if (!grown)
            return false;
        ladder->rows = grown;
        *cap = new_cap;
    }
    ladder->rows[ladder->row_count++] = row;
    return true;
}

/* The ladder segment whose arrival caused transition tr: same id, arriving
 * at tr's host at tr's time, not claimed by another transition. */
static size_t causing_slot(const struct html_ladder *ladder, const struct html_run *run,
                           const struct html_transition *tr, const bool *claimed)
{
    if (tr->seg_id == 0)
        return HTML_NONE;
    for (size_t s = 0; s < ladder->segment_count; s++) {
        const struct html_segment *h = &run->segments[ladder->segments[s].segment];
        if (!claimed[s] && h->seg.id == tr->seg_id && h->receiver == tr->host &&
            h->arrived_ns == tr->t_ns)
            return s;
    }
    return HTML_NONE;
}

/* The transitions of conn_id (only those of host only_host, unless it is
 * HTML_NONE), each its own row or on the row of the arrival that caused it. */
static bool add_transition_rows(struct html_ladder *ladder, const struct html_run *run,
                                uint64_t conn_id, size_t only_host, size_t *cap, bool *claimed)
{
    size_t first = lower_bound(run->transitions_by_conn, run->transition_count, conn_id,
                               transition_conn, run);
    for (size_t i = first; i < run->transition_count; i++) {
        size_t t = run->transitions_by_conn[i];
        const struct html_transition *tr = &run->transitions[t];
        if (tr->conn_id != conn_id)
            break;
        if (only_host != HTML_NONE && tr->host != only_host)
            continue;
        size_t slot = causing_slot(ladder, run, tr, claimed);
        if (slot != HTML_NONE)
            claimed[slot] = true;
        struct html_row row = {ROW_TRANSITION, slot, tr->t_ns,
                               slot == HTML_NONE ? HTML_NONE : ladder->segments[slot].segment, t,
                               key(true, tr->order, false)};
        if (!add_row(ladder, cap, row))
            return false;
    }
    return true;
}

/* A listener's transitions (conn_id 0) go to the first ladder of its host. */
static bool add_listener_rows(struct html_ladder *ladder, const struct html_run *run, size_t *cap,
                              bool *claimed, bool *listener_taken)
{
    for (int side = 0; side < 2; side++) {
        size_t host = ladder->hosts[side];
        if (listener_taken[host])
            continue;
        listener_taken[host] = true;
        if (!add_transition_rows(ladder, run, 0, host, cap, claimed))
            return false;
    }
    return true;
}

static bool add_segment_rows(struct html_ladder *ladder, const struct html_run *run, size_t *cap,
                             const bool *claimed)
{
    for (size_t s = 0; s < ladder->segment_count; s++) {
        size_t i = ladder->segments[s].segment;
        const struct html_segment *h = &run->segments[i];
        struct html_row send = {ROW_SEND, s, h->sent_ns, i, HTML_NONE, key(true, h->order, false)};
        if (!add_row(ladder, cap, send))
            return false;
        if (h->arrived_ns < 0 || claimed[s])
            continue;
        bool same_time = h->arrived_ns <= h->sent_ns;
        struct html_row arrival = {ROW_ARRIVAL, s, h->arrived_ns, i, HTML_NONE,
                                   key(same_time, h->order, same_time)};
        if (!add_row(ladder, cap, arrival))
            return false;
    }
    return true;
}

static int compare_rows(const void *a, const void *b)
{
    const struct html_row *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->sort_key < y->sort_key ? -1 : x->sort_key > y->sort_key;
}

static bool collect_segments(struct html_ladder *ladder, const struct html_run *run, uint64_t conn_id)
{
    size_t first = lower_bound(run->segments_by_conn, run->segment_count, conn_id, segment_conn, run);
    size_t last = first;
    while (last < run->segment_count && segment_conn(run, run->segments_by_conn[last]) == conn_id)
        last++;
    ladder->segments = calloc(last > first ? last - first : 1, sizeof *ladder->segments);
    if (!ladder->segments)
        return false;
    for (size_t i = first; i < last; i++)
        ladder->segments[ladder->segment_count++] =
            (struct html_ladder_segment){run->segments_by_conn[i], HTML_NONE, HTML_NONE};
    return true;
}

/* Each side's state before its first row: the from_state of its first
 * transition; CLOSED when it has none. */
static void find_initial_states(struct html_ladder *ladder, const struct html_run *run)
{
    bool seen[2] = {false, false};
    ladder->initial[0] = ladder->initial[1] = TCP_CLOSED;
    for (size_t r = 0; r < ladder->row_count; r++) {
        if (ladder->rows[r].kind != ROW_TRANSITION)
            continue;
        const struct html_transition *tr = &run->transitions[ladder->rows[r].transition];
        int side = html_ladder_side(ladder, tr->host);
        if (side >= 0 && !seen[side]) {
            ladder->initial[side] = tr->from_state;
            seen[side] = true;
        }
    }
}

static void choose_hosts(struct html_ladder *ladder, const struct html_run *run)
{
    if (ladder->connection) {
        ladder->hosts[0] = ladder->connection->client;
        ladder->hosts[1] = ladder->connection->server;
    } else {
        ladder->hosts[0] = 0;
        ladder->hosts[1] = run->host_count > 1 ? 1 : 0;
    }
}

int html_ladder_build(struct html_ladder *ladder, const struct html_run *run,
                      const struct html_connection *connection, bool *listener_taken)
{
    memset(ladder, 0, sizeof *ladder);
    ladder->connection = connection;
    choose_hosts(ladder, run);
    uint64_t conn_id = connection ? connection->conn.conn_id : 0;
    size_t cap = 0;
    if (!collect_segments(ladder, run, conn_id))
        return -1;
    bool *claimed = calloc(ladder->segment_count ? ladder->segment_count : 1, sizeof *claimed);
    bool ok = claimed && add_transition_rows(ladder, run, conn_id, HTML_NONE, &cap, claimed);
    if (ok && connection && listener_taken)
        ok = add_listener_rows(ladder, run, &cap, claimed, listener_taken);
    ok = ok && add_segment_rows(ladder, run, &cap, claimed);
    free(claimed);
    if (!ok) {
        html_ladder_free(ladder);
        return -1;
    }
    qsort(ladder->rows, ladder->row_count, sizeof *ladder->rows, compare_rows);
    for (size_t r = 0; r < ladder->row_count; r++) {
        struct html_row *row = &ladder->rows[r];
        if (row->kind == ROW_SEND)
            ladder->segments[row->slot].send_row = r;
        else if (row->slot != HTML_NONE)
            ladder->segments[row->slot].arrival_row = r;
    }
    find_initial_states(ladder, run);
    return 0;
}

void html_ladder_free(struct html_ladder *ladder)
{
    free(ladder->rows);
    free(ladder->segments);
    memset(ladder, 0, sizeof *ladder);
}

/* ---- drawing ----
 * A send's note starts with its id and its direction, an arrow that points
 * the way the segment travels (the colour says who sent it): the host
 * names would make every note 16 characters wider. */

void html_ladder_write_defs(FILE *out)
{
    fputs("<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\"><defs>\n", out);
    for (int side = 0; side < 2; side++)
        fprintf(out,
                "<marker id=\"head%d\" class=\"head s%d\" viewBox=\"0 0 10 10\" refX=\"10\" "
                "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
                "<path d=\"M0 0L10 5L0 10z\"/></marker>\n",
                side, side);
    fputs("</defs></svg>\n", out);
}

/* Characters (code points, not bytes) of UTF-8 text outside markup. */
static size_t visible_length(const char *markup)
{
    size_t n = 0;
    bool in_tag = false;
    for (const char *p = markup; *p; p++) {
        if (*p == '<')
            in_tag = true;
        else if (*p == '>')
            in_tag = false;
        else if (!in_tag && ((unsigned char)*p & 0xC0) != 0x80)
            n++;
    }
    return n;
}

static const char *fate_note(const struct html_segment *h)
{
    switch (h->fate) {
    case FATE_LOST: return " \u2715 lost";
    case FATE_DROPPED: return " \u2715 dropped (drop rule)";
    case FATE_QUEUE_FULL: return " \u2715 queue full";
    case FATE_CORRUPTED: return " \u2715 corrupted";
    case FATE_DUPLICATED: return " (link's duplicate copy)";
    case FATE_DELIVERED: break;
    }
    return h->arrived_ns < 0 ? " (in flight at the end)" : "";
}

static void send_note(const struct html_ladder *ladder, const struct html_segment *h, char *buf,
                      size_t size)
{
    char flags[32], ack[64] = "", mss[32] = "";
    segment_flags_string(h->seg.flags, flags);
    if (h->seg.flags & TCP_FLAG_ACK)
        snprintf(ack, sizeof ack, " ack=%" PRIu32, h->seg.ack);
    if (h->seg.mss)
        snprintf(mss, sizeof mss, " mss=%u", (unsigned)h->seg.mss);
    snprintf(buf, size,
             "#%" PRIu64 " %s %s seq=%" PRIu32 "%s len=%" PRIu32
             " win=%u%s%s%s",
             h->seg.id, html_ladder_side(ladder, h->sender) == 1 ? "\u2190" : "\u2192", flags,
             h->seg.seq, ack,
             h->seg.len, (unsigned)h->seg.wnd, mss,
             h->seg.retransmission ? " retransmission" : "",
             fate_note(h));
}

static void transition_note(const struct html_run *run, const struct html_row *row, char *buf,
                            size_t size)
{
    const struct html_transition *tr = &run->transitions[row->transition];
    const char *cause = tcp_cause_name(tr->cause);
    char on[48] = "";
    if (row->segment != HTML_NONE)
        snprintf(on, sizeof on, " on #%" PRIu64, run->segments[row->segment].seg.id);
    snprintf(buf, size, "%s \u2192 %s (%s)%s", tcp_state_name(tr->from_state),
             tcp_state_name(tr->to_state), cause ? cause : "", on);
}

static void row_note(const struct html_ladder *ladder, const struct html_run *run, size_t r,
                     char *buf, size_t size)
{
    const struct html_row *row = &ladder->rows[r];
    const struct html_segment *h = row->segment == HTML_NONE ? NULL : &run->segments[row->segment];
    if (row->kind == ROW_TRANSITION)
        transition_note(run, row, buf, size);
    else if (row->kind == ROW_SEND)
        send_note(ladder, h, buf, size);
    else
        snprintf(buf, size, "#%" PRIu64 " arrives at %s%s", h->seg.id, run->hosts[h->receiver],
                 h->fate == FATE_CORRUPTED ? ", corrupted: discarded" : "");
}

static int svg_width(const struct html_ladder *ladder, const struct html_run *run)
{
    char note[512];
    size_t widest = 40;
    for (size_t r = 0; r < ladder->row_count; r++) {
        row_note(ladder, run, r, note, sizeof note);
        size_t n = visible_length(note);
        if (n > widest)
            widest = n;
    }
    return NOTE_X + (int)(widest * CHAR_WIDTH_TENTHS / 10) + 16;
}

static void write_header(const struct html_ladder *ladder, const struct html_run *run, FILE *out)
{
    const struct html_connection *c = ladder->connection;
    for (int side = 0; side < 2; side++) {
        uint32_t addr = c ? (side ? c->conn.server_addr : c->conn.client_addr) : 0;
        unsigned port = c ? (side ? c->conn.server_port : c->conn.client_port) : 0;
        fprintf(out, "<text class=\"host s%d\" x=\"%d\" y=\"18\" text-anchor=\"middle\">", side,
                lifeline_x(side));
        xml_write_escaped(out, run->hosts[ladder->hosts[side]]);
        if (c)
            fprintf(out, " %u.%u.%u.%u:%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
                    addr & 255, port);
        sim_time opened = c ? c->conn.opened_ns : 0;
        fprintf(out,
                "</text>\n<text class=\"state initial s%d k%d\" x=\"%d\" y=\"42\" "
                "text-anchor=\"%s\" data-state=\"%s\" data-time-ns=\"%" PRId64
                "\" data-initial=\"1\" data-host=\"",
                side, (int)ladder->initial[side], side ? STATE_X1 : STATE_X0,
                side ? "start" : "end", tcp_state_name(ladder->initial[side]), (int64_t)opened);
        xml_write_escaped(out, run->hosts[ladder->hosts[side]]);
        fprintf(out, "\">%s</text>\n", tcp_state_name(ladder->initial[side]));
    }
    fputs("<text class=\"axis\" x=\"64\" y=\"42\" text-anchor=\"end\">time (s)</text>\n", out);
}

/* Each side's lifeline, one piece per state, so each moment shows its state. */
static void write_lifelines(const struct html_ladder *ladder, const struct html_run *run,
                            FILE *out)
{
    int bottom = row_y(ladder->row_count);
    for (int side = 0; side < 2; side++) {
        enum tcp_state state = ladder->initial[side];
        int from_y = TOP;
        for (size_t r = 0; r <= ladder->row_count; r++) {
            const struct html_transition *tr = NULL;
            if (r < ladder->row_count && ladder->rows[r].kind == ROW_TRANSITION)
                tr = &run->transitions[ladder->rows[r].transition];
            if (r < ladder->row_count && (!tr || html_ladder_side(ladder, tr->host) != side))
                continue;
            int to_y = r < ladder->row_count ? row_y(r) : bottom;
            fprintf(out, "<path class=\"life s%d k%d\"", side, (int)state);
            if (from_y != TOP) /* hidden with its first row, like every row's marks */
                fprintf(out, " data-row=\"%zu\"", (size_t)(from_y - TOP - ROW_HEIGHT / 2) / ROW_HEIGHT);
            fprintf(out, " d=\"M%d %dV%d\"/>\n", lifeline_x(side), from_y, to_y);
            if (tr)
                state = tr->to_state;
            from_y = to_y;
        }
    }
}

/* One timer bar in a lane beside side's lifeline, from row a to row b (b ==
 * row_count: to the end of the run). */
static void write_timer(int side, enum timer_lane lane, size_t a, size_t b, const char *label,
                        const char *title, FILE *out)
{
    int dir = side ? 1 : -1;
    int x = lifeline_x(side) + dir * LANE_STEP * (1 + (int)lane);
    int y0 = row_y(a) + 3, y1 = row_y(b) - 3;
    fprintf(out, "<g class=\"timer s%d\" data-timer=\"%s\" data-row=\"%zu\"><title>%s</title>"
                 "<path d=\"M%d %dh%dM%d %dV%dh%d\"/>",
            side, label, a, title, x - 3 * dir, y0, 3 * dir, x, y0, y1, 3 * dir);
    int text_length = (int)strlen(label) * 6 + 8;
    if (y1 - y0 >= text_length) {
        int tx = x - 4 * dir, ty = (y0 + y1) / 2;
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" dominant-baseline=\"%s\" "
                "transform=\"rotate(-90 %d %d)\">%s</text>",
                tx, ty, side ? "text-after-edge" : "text-before-edge", tx, ty, label);
    }
    fputs("</g>\n", out);
}

/* The next transition row of host after row r, or row_count. */
static size_t next_transition_row(const struct html_ladder *ladder, const struct html_run *run,
                                  size_t r, size_t host)
{
    for (size_t n = r + 1; n < ladder->row_count; n++)
        if (ladder->rows[n].kind == ROW_TRANSITION &&
            run->transitions[ladder->rows[n].transition].host == host)
            return n;
    return ladder->row_count;
}

/* TIME_WAIT from entry to its 2MSL timeout; FIN_WAIT_2 to its timeout. */
static void write_state_timers(const struct html_ladder *ladder, const struct html_run *run,
                               FILE *out)
{
    for (size_t r = 0; r < ladder->row_count; r++) {
        if (ladder->rows[r].kind != ROW_TRANSITION)
            continue;
        const struct html_transition *tr = &run->transitions[ladder->rows[r].transition];
        int side = html_ladder_side(ladder, tr->host);
        size_t end = next_transition_row(ladder, run, r, tr->host);
        enum tcp_cause end_cause = end < ladder->row_count
                                       ? run->transitions[ladder->rows[end].transition].cause
                                       : TCP_CAUSE_NONE;
        if (side < 0)
            continue;
        if (tr->to_state == TCP_TIME_WAIT)
            write_timer(side, LANE_STATE_TIMER, r, end, "2MSL",
                        end_cause == TCP_CAUSE_TIME_WAIT_TIMEOUT ? "2MSL timer"
                        : end < ladder->row_count ? "2MSL timer, cut short"
                                                  : "2MSL timer, still running at the end",
                        out);
        else if (tr->to_state == TCP_FIN_WAIT_2 && end_cause == TCP_CAUSE_FIN_WAIT_2_TIMEOUT)
            write_timer(side, LANE_STATE_TIMER, r, end, "FIN_WAIT_2",
                        "FIN_WAIT_2 timer: the peer's FIN never came", out);
    }
}

/* The latest earlier send of the same sequence space by the same sender. */
static size_t previous_transmission(const struct html_ladder *ladder, const struct html_run *run,
                                    size_t slot)
{
    const struct html_segment *h = &run->segments[ladder->segments[slot].segment];
    uint8_t control = TCP_FLAG_SYN | TCP_FLAG_FIN;
    for (size_t s = slot; s-- > 0;) {
        const struct html_segment *p = &run->segments[ladder->segments[s].segment];
        if (p->sender == h->sender && p->seg.seq == h->seg.seq && p->fate != FATE_DUPLICATED &&
            (p->seg.flags & control) == (h->seg.flags & control))
            return s;
    }
    return HTML_NONE;
}

static bool gives_up(enum tcp_cause cause)
{
    return cause == TCP_CAUSE_SYN_RETRIES || cause == TCP_CAUSE_SYN_ACK_RETRIES ||
           cause == TCP_CAUSE_RETRANSMISSIONS;
}

/* RTO: from a transmission to its retransmission, and from the last one to
 * the transition that gave up. */
static void write_rto_timers(const struct html_ladder *ladder, const struct html_run *run, FILE *out)
{
    for (size_t s = 0; s < ladder->segment_count; s++) {
        const struct html_segment *h = &run->segments[ladder->segments[s].segment];
        size_t previous = h->seg.retransmission ? previous_transmission(ladder, run, s) : HTML_NONE;
        if (previous != HTML_NONE)
            write_timer(html_ladder_side(ladder, h->sender), LANE_RTO,
                        ladder->segments[previous].send_row, ladder->segments[s].send_row, "RTO",
                        "retransmission timeout", out);
    }
    for (size_t r = 0; r < ladder->row_count; r++) {
        if (ladder->rows[r].kind != ROW_TRANSITION)
            continue;
        const struct html_transition *tr = &run->transitions[ladder->rows[r].transition];
        if (!gives_up(tr->cause))
            continue;
        for (size_t p = r; p-- > 0;) {
            const struct html_row *row = &ladder->rows[p];
            if (row->kind == ROW_SEND && run->segments[row->segment].sender == tr->host) {
                write_timer(html_ladder_side(ladder, tr->host), LANE_RTO, p, r, "RTO",
                            "retransmission timeout, then give up", out);
                break;
            }
        }
    }
}

/* Where an arrow that never arrives ends: at the link, half a row down. */
static void lost_end(const struct html_segment *h, int from_x, int to_x, int y, int *end_x,
                     int *end_y)
{
    *end_y = y + ROW_HEIGHT * 3 / 4;
    *end_x = h->fate == FATE_QUEUE_FULL ? from_x + (to_x > from_x ? 24 : -24) : (from_x + to_x) / 2;
}

static void write_arrow(const struct html_ladder *ladder, const struct html_run *run, size_t slot,
                        FILE *out)
{
    const struct html_ladder_segment *ls = &ladder->segments[slot];
    const struct html_segment *h = &run->segments[ls->segment];
    int side = html_ladder_side(ladder, h->sender);
    int from_x = lifeline_x(side), to_x = lifeline_x(1 - side);
    int y0 = row_y(ls->send_row), x1 = to_x, y1;
    bool arrives = ls->arrival_row != HTML_NONE;
    if (arrives)
        y1 = row_y(ls->arrival_row);
    else
        lost_end(h, from_x, to_x, y0, &x1, &y1);
    /* data-fate only when it is not "delivered", and no wider invisible
     * path to click: both would cost a 100-connection page its 1 MB. */
    fprintf(out, "<g class=\"seg s%d%s%s%s\" data-seg-id=\"%" PRIu64 "\"", side,
            h->seg.retransmission ? " rtx" : "",
            h->fate == FATE_DELIVERED || h->fate == FATE_DUPLICATED ? "" : " bad",
            arrives ? "" : " gone", h->seg.id);
    if (h->fate != FATE_DELIVERED)
        fprintf(out, " data-fate=\"%s\"", segment_fate_name(h->fate));
    fprintf(out, " data-row=\"%zu\"><path class=\"a\" d=\"M%d %dL%d %d\"/>", ls->send_row, from_x,
            y0, x1, y1);
    if (h->fate != FATE_DELIVERED && h->fate != FATE_DUPLICATED) {
        int cx = h->fate == FATE_CORRUPTED ? to_x + (to_x > from_x ? -14 : 14) : x1;
        int cy = h->fate == FATE_CORRUPTED ? y1 - (y1 - y0) * 14 / (abs(to_x - from_x) + 1) : y1;
        fprintf(out, "<path class=\"x\" d=\"M%d %dl10 10m0 -10l-10 10\"/>", cx - 5, cy - 5);
    }
    fputs("</g>\n", out);
}

/* The row texts, one group per column so that the column's x and
 * alignment are written once, not on each of thousands of labels. */
static void write_times(const struct html_ladder *ladder, FILE *out)
{
    char time[32], previous[32] = "";
    fprintf(out, "<g class=\"times\" transform=\"translate(%d 0)\">\n", TIME_X);
    for (size_t r = 0; r < ladder->row_count; r++) {
        snprintf(time, sizeof time, "%.3f", (double)ladder->rows[r].t_ns / SIM_S);
        if (strcmp(time, previous) != 0)
            fprintf(out, "<text class=\"time\" y=\"%d\" data-row=\"%zu\">%s</text>\n", row_y(r) + 4,
                    r, time);
        memcpy(previous, time, sizeof previous);
    }
    fputs("</g>\n", out);
}

static void write_states(const struct html_ladder *ladder, const struct html_run *run, int side,
                         FILE *out)
{
    fprintf(out, "<g class=\"states s%d\" transform=\"translate(%d 0)\">\n", side,
            side ? STATE_X1 : STATE_X0);
    for (size_t r = 0; r < ladder->row_count; r++) {
        if (ladder->rows[r].kind != ROW_TRANSITION)
            continue;
        const struct html_transition *tr = &run->transitions[ladder->rows[r].transition];
        if (html_ladder_side(ladder, tr->host) != side)
            continue;
        const char *name = tcp_state_name(tr->to_state);
        fprintf(out, "<text class=\"state s%d\" y=\"%d\" data-state=\"%s\" data-time-ns=\"%" PRId64
                     "\" data-host=\"",
                side, row_y(r) + 4, name, (int64_t)tr->t_ns);
        xml_write_escaped(out, run->hosts[tr->host]);
        fprintf(out, "\" data-row=\"%zu\">%s</text>\n", r, name);
    }
    fputs("</g>\n", out);
}

/* Notes take their host's colour: the sender's, or the host that changed state. */
static void write_notes(const struct html_ladder *ladder, const struct html_run *run, FILE *out)
{
    char note[512];
    fprintf(out, "<g class=\"notes\" transform=\"translate(%d 0)\">\n", NOTE_X);
    for (size_t r = 0; r < ladder->row_count; r++) {
        const struct html_row *row = &ladder->rows[r];
        const struct html_segment *h = row->segment == HTML_NONE ? NULL : &run->segments[row->segment];
        size_t host = row->kind == ROW_TRANSITION ? run->transitions[row->transition].host
                      : row->kind == ROW_SEND     ? h->sender
                                                  : h->receiver;
        row_note(ladder, run, r, note, sizeof note);
        fprintf(out, "<text class=\"note k%d s%d%s\" y=\"%d\" data-row=\"%zu\">%s</text>\n",
                (int)row->kind, html_ladder_side(ladder, host),
                row->kind == ROW_SEND && h->seg.retransmission ? " rtx" : "", row_y(r) + 4, r, note);
    }
    fputs("</g>\n", out);
}

void html_ladder_write_svg(const struct html_ladder *ladder, const struct html_run *run, FILE *out)
{
    int width = svg_width(ladder, run), height = row_y(ladder->row_count) + ROW_HEIGHT;
    uint64_t conn_id = ladder->connection ? ladder->connection->conn.conn_id : 0;
    fprintf(out, "<section class=\"ladder\" data-conn=\"%" PRIu64 "\">\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\">\n"
                 "<rect class=\"cursor\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
            conn_id, width, height, width, height, TOP, width, ROW_HEIGHT);
    write_header(ladder, run, out);
    write_lifelines(ladder, run, out);
    write_state_timers(ladder, run, out);
    write_rto_timers(ladder, run, out);
    for (size_t s = 0; s < ladder->segment_count; s++)
        write_arrow(ladder, run, s, out);
    write_times(ladder, out);
    write_states(ladder, run, 0, out);
    write_states(ladder, run, 1, out);
    write_notes(ladder, run, out);
    fputs("</svg>\n</section>\n", out);
}
