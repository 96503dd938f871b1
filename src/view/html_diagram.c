/*
 * html_diagram.c: the state diagram of RFC 9293 (section 3.3.2, Figure 5)
 * as inline SVG, from a fixed layout, for the HTML page. All eleven states;
 * CLOSED is drawn twice, at the top where connections begin and at the
 * bottom where they end, as in the RFC's figure, so no edge has to climb
 * back across the diagram. Edges the figure has are solid; transitions the
 * simulator makes that the figure leaves out (resets, aborts, give-ups,
 * FIN_WAIT_1 straight to TIME_WAIT) are dashed, routed by hand around the
 * boxes. Edge labels would collide in so small a figure, so each edge
 * carries its label as a tooltip and the page writes the label of the edge
 * just taken under the diagram instead.
 *
 * The page's script lights the current state (data-node) and the edges
 * taken so far (data-edge "FROM>TO"); nothing here depends on the run.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html_model.h"

enum { WIDTH = 420, HEIGHT = 444, BOX_HALF_W = 52, BOX_HALF_H = 12, REVERSE_OFFSET = 4 };

/* Boxes: the states in enum order, then the bottom CLOSED. */
enum { BOX_CLOSED_BOTTOM = TCP_STATE_COUNT, BOX_COUNT };

struct point {
    int x, y;
};

static const struct point boxes[BOX_COUNT] = {
    [TCP_CLOSED] = {210, 22},       [TCP_LISTEN] = {210, 84},
    [TCP_SYN_RECEIVED] = {70, 148}, [TCP_SYN_SENT] = {350, 148},
    [TCP_ESTABLISHED] = {210, 212}, [TCP_FIN_WAIT_1] = {70, 276},
    [TCP_CLOSE_WAIT] = {350, 276},  [TCP_FIN_WAIT_2] = {70, 340},
    [TCP_CLOSING] = {210, 340},     [TCP_LAST_ACK] = {350, 340},
    [TCP_TIME_WAIT] = {210, 404},   [BOX_CLOSED_BOTTOM] = {350, 404},
};

struct edge {
    enum tcp_state from, to;
    int to_box;                 /* which CLOSED box, for edges into CLOSED */
    const char *label;          /* event / action, as in the RFC's figure */
    bool extra;                 /* not in RFC 9293's Figure 5 */
    struct point via[5];        /* hand-routed path, {0,0}-terminated; empty: straight */
};

static const struct edge edges[] = {
    {TCP_CLOSED, TCP_LISTEN, TCP_LISTEN, "passive OPEN / create TCB", false, {{0, 0}}},
    {TCP_LISTEN, TCP_CLOSED, TCP_CLOSED, "CLOSE / delete TCB", false, {{0, 0}}},
    {TCP_CLOSED, TCP_SYN_SENT, TCP_SYN_SENT, "active OPEN / create TCB, snd SYN", false, {{0, 0}}},
    {TCP_SYN_SENT, TCP_CLOSED, TCP_CLOSED, "CLOSE / delete TCB (or RST, give-up)", false, {{0, 0}}},
    {TCP_LISTEN, TCP_SYN_RECEIVED, TCP_SYN_RECEIVED, "rcv SYN / snd SYN,ACK", false, {{0, 0}}},
    {TCP_SYN_RECEIVED, TCP_LISTEN, TCP_LISTEN, "rcv RST (passive OPEN)", false, {{0, 0}}},
    {TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_SENT, "SEND / snd SYN", false, {{0, 0}}},
    {TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_SYN_RECEIVED, "rcv SYN / snd SYN,ACK (simultaneous open)",
     false, {{0, 0}}},
    {TCP_SYN_SENT, TCP_ESTABLISHED, TCP_ESTABLISHED, "rcv SYN,ACK / snd ACK", false, {{0, 0}}},
    {TCP_SYN_RECEIVED, TCP_ESTABLISHED, TCP_ESTABLISHED, "rcv ACK of SYN", false, {{0, 0}}},
    {TCP_SYN_RECEIVED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_1, "CLOSE / snd FIN", false, {{0, 0}}},
    {TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_1, "CLOSE / snd FIN", false, {{0, 0}}},
    {TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_CLOSE_WAIT, "rcv FIN / snd ACK", false, {{0, 0}}},
    {TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_FIN_WAIT_2, "rcv ACK of FIN", false, {{0, 0}}},
    {TCP_FIN_WAIT_1, TCP_CLOSING, TCP_CLOSING, "rcv FIN / snd ACK (simultaneous close)", false,
     {{0, 0}}},
    {TCP_FIN_WAIT_1, TCP_TIME_WAIT, TCP_TIME_WAIT, "rcv FIN,ACK of our FIN / snd ACK", true, {{0, 0}}},
    {TCP_FIN_WAIT_2, TCP_TIME_WAIT, TCP_TIME_WAIT, "rcv FIN / snd ACK", false, {{0, 0}}},
    {TCP_CLOSING, TCP_TIME_WAIT, TCP_TIME_WAIT, "rcv ACK of FIN", false, {{0, 0}}},
    {TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_LAST_ACK, "CLOSE / snd FIN", false, {{0, 0}}},
    {TCP_LAST_ACK, TCP_CLOSED, BOX_CLOSED_BOTTOM, "rcv ACK of FIN / delete TCB", false, {{0, 0}}},
    {TCP_TIME_WAIT, TCP_CLOSED, BOX_CLOSED_BOTTOM, "Timeout=2MSL / delete TCB", false, {{0, 0}}},
    /* Transitions the figure leaves out. */
    {TCP_SYN_RECEIVED, TCP_CLOSED, TCP_CLOSED, "rcv RST (active OPEN), ABORT, give-up", true,
     {{0, 0}}},
    {TCP_ESTABLISHED, TCP_CLOSED, BOX_CLOSED_BOTTOM, "rcv RST, ABORT, retransmissions exhausted",
     true, {{262, 212}, {412, 212}, {412, 404}, {402, 404}, {0, 0}}},
    {TCP_CLOSE_WAIT, TCP_CLOSED, BOX_CLOSED_BOTTOM, "rcv RST, ABORT", true,
     {{402, 276}, {412, 276}, {412, 404}, {402, 404}, {0, 0}}},
    {TCP_FIN_WAIT_1, TCP_CLOSED, BOX_CLOSED_BOTTOM, "rcv RST, ABORT, retransmissions exhausted",
     true, {{18, 276}, {8, 276}, {8, 434}, {350, 434}, {350, 416}}},
    {TCP_FIN_WAIT_2, TCP_CLOSED, BOX_CLOSED_BOTTOM, "FIN_WAIT_2 timeout, rcv RST, ABORT", true,
     {{18, 340}, {8, 340}, {8, 434}, {350, 434}, {350, 416}}},
    {TCP_CLOSING, TCP_CLOSED, BOX_CLOSED_BOTTOM, "rcv RST, ABORT, retransmissions exhausted", true,
     {{262, 346}, {280, 346}, {280, 398}, {298, 398}, {0, 0}}},
};

enum { EDGE_COUNT = sizeof edges / sizeof edges[0] };

void html_diagram_edge_id(enum tcp_state from, enum tcp_state to, char *buf, size_t size)
{
    snprintf(buf, size, "%s>%s", tcp_state_name(from), tcp_state_name(to));
}

static bool has_reverse(const struct edge *e)
{
    for (size_t i = 0; i < EDGE_COUNT; i++)
        if (edges[i].from == e->to && edges[i].to == e->from)
            return true;
    return false;
}

/* Where the line from a box's centre towards (dx, dy) leaves the box. */
static struct point border(struct point centre, double dx, double dy)
{
    double tx = dx != 0 ? BOX_HALF_W / fabs(dx) : INFINITY;
    double ty = dy != 0 ? BOX_HALF_H / fabs(dy) : INFINITY;
    double t = tx < ty ? tx : ty;
    return (struct point){(int)lround(centre.x + dx * t), (int)lround(centre.y + dy * t)};
}

static void write_straight(const struct edge *e, FILE *out)
{
    struct point a = boxes[e->from], b = boxes[e->to_box];
    double dx = b.x - a.x, dy = b.y - a.y, length = sqrt(dx * dx + dy * dy);
    if (has_reverse(e)) { /* side by side, each to its own right */
        int ox = (int)lround(-dy / length * REVERSE_OFFSET), oy = (int)lround(dx / length * REVERSE_OFFSET);
        a.x += ox, a.y += oy, b.x += ox, b.y += oy;
    }
    struct point p = border(a, dx, dy), q = border(b, -dx, -dy);
    fprintf(out, "M%d %dL%d %d", p.x, p.y, q.x, q.y);
}

static void write_edge(const struct edge *e, FILE *out)
{
    char id[48];
    html_diagram_edge_id(e->from, e->to, id, sizeof id);
    fprintf(out, "<path class=\"edge%s\" data-edge=\"%s\" d=\"", e->extra ? " extra" : "", id);
    if (e->via[0].x == 0 && e->via[0].y == 0)
        write_straight(e, out);
    for (size_t i = 0; i < 5 && (e->via[i].x || e->via[i].y); i++)
        fprintf(out, "%c%d %d", i ? 'L' : 'M', e->via[i].x, e->via[i].y);
    fprintf(out, "\"><title>%s \u2192 %s: %s</title></path>\n", tcp_state_name(e->from),
            tcp_state_name(e->to), e->label);
}

static void write_box(int box, FILE *out)
{
    enum tcp_state state = box == BOX_CLOSED_BOTTOM ? TCP_CLOSED : (enum tcp_state)box;
    struct point c = boxes[box];
    fprintf(out,
            "<g class=\"node\" data-node=\"%s\"%s><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
            "rx=\"5\"/><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text></g>\n",
            tcp_state_name(state), box == BOX_CLOSED_BOTTOM ? " data-box=\"end\"" : "", c.x - BOX_HALF_W, c.y - BOX_HALF_H, 2 * BOX_HALF_W,
            2 * BOX_HALF_H, c.x, c.y + 4, tcp_state_name(state));
}

static void write_markers(FILE *out)
{
    static const char *const names[] = {"dh", "dh0", "dh1"};
    fputs("<defs>", out);
    for (size_t i = 0; i < 3; i++)
        fprintf(out,
                "<marker id=\"%s\" class=\"head %s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
                "markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\"/>"
                "</marker>",
                names[i], names[i]);
    fputs("</defs>\n", out);
}

void html_diagram_write_svg(int side, const char *host, FILE *out)
{
    fprintf(out, "<figure class=\"diagram s%d\" data-side=\"%d\">\n<figcaption><b class=\"host\">",
            side, side);
    xml_write_escaped(out, host);
    fprintf(out, "</b> <span class=\"now\"></span><br><span class=\"last\">&#160;</span></figcaption>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    if (side == 0)
        write_markers(out); /* ids are the document's: the other diagram uses them too */
    for (size_t i = 0; i < EDGE_COUNT; i++)
        write_edge(&edges[i], out);
    for (int box = 0; box < BOX_COUNT; box++)
        write_box(box, out);
    fputs("</svg>\n</figure>\n", out);
}
