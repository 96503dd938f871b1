/*
 * plot.c: the charts of `tcpsim stats` drawn with cairo (see plot.h):
 * computes the data range and round ticks, maps data to the page, draws
 * frame, grid, ticks, labels, the series and the legend on one cairo
 * context, whose surface is SVG, PDF or PNG.
 *
 * Why cairo and not PLplot: cairo draws one picture onto any of the three
 * surfaces with the same calls, its contexts are values we hold (PLplot
 * keeps a current stream in the library, global state we do not want), it
 * needs no driver plugins found at run time, and Debian keeps it current
 * (libcairo2-dev) as the base of GTK and Firefox. Its price: the SVG holds
 * the text as glyph outlines, not <text>, so tests read labels from the
 * PDF (pdftotext) and count drawn marks by their colour in the SVG.
 *
 * Determinism: the PDF's creation date would be the time of writing;
 * plot_write fixes it (PDF_DATE) so one spec gives one byte sequence. The
 * SVG's glyph and clip ids count from 1 per document, its page group's id
 * per process (write_svg renames it), and PNG holds no time. Glyph shapes
 * come from the fonts fontconfig finds, so the bytes are the same on one
 * machine, not across machines with other fonts.
 */
#include "plot.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WIDTH 760.0
#define HEIGHT 480.0
#define LEFT 84.0           /* room for the y tick labels and title */
#define RIGHT 24.0
#define TOP 48.0
#define BOTTOM 64.0
#define MAX_TICKS 8
#define FONT_SIZE 13.0
#define LEGEND_LINE 18.0
#define MARKER_RADIUS 3.5
#define PI 3.14159265358979323846
#define PDF_DATE "2000-01-01T00:00:00Z" /* any fixed date: the same spec, the same bytes */

static const unsigned palette[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd,
                                   0xff7f0e, 0x8c564b, 0xe377c2, 0x17becf};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])
#define BLACK 0x000000u

struct frame {
    double x_lo, x_hi, y_lo, y_hi; /* data range shown */
    bool x_log;                    /* x on a log scale (x_lo > 0) */
};

size_t plot_ticks(double lo, double hi, size_t max_ticks, double *ticks)
{
    if (!(hi > lo) || max_ticks < 2)
        return 0;
    double raw = (hi - lo) / (double)(max_ticks - 1);
    double magnitude = pow(10, floor(log10(raw)));
    static const double steps[] = {1, 2, 5, 10};
    double step = 10 * magnitude;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * magnitude >= raw) {
            step = steps[i] * magnitude;
            break;
        }
    size_t n = 0;
    for (double t = ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 && n < max_ticks; t += step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    return n;
}

/* Log ticks: 1, 2 and 5 (per_decade 3) or 1 (per_decade 1) times each
 * power of ten in [lo, hi]; MAX_TICKS + 1 when there are more. */
static size_t log_ticks_per_decade(double lo, double hi, size_t per_decade, double *ticks)
{
    static const double mantissa[] = {1, 2, 5};
    size_t n = 0;
    for (double power = pow(10, floor(log10(lo))); power <= hi; power *= 10)
        for (size_t i = 0; i < per_decade; i++) {
            double t = mantissa[i] * power;
            if (t < lo || t > hi)
                continue;
            if (n == MAX_TICKS)
                return MAX_TICKS + 1;
            ticks[n++] = t;
        }
    return n;
}

static size_t log_ticks(double lo, double hi, double *ticks)
{
    size_t n = log_ticks_per_decade(lo, hi, 3, ticks);
    if (n <= MAX_TICKS)
        return n;
    n = log_ticks_per_decade(lo, hi, 1, ticks);
    return n <= MAX_TICKS ? n : MAX_TICKS;
}

static double px_x(const struct frame *f, double x)
{
    double w = WIDTH - LEFT - RIGHT;
    if (f->x_log)
        return LEFT + (log10(x > 0 ? x : f->x_lo) - log10(f->x_lo)) /
                          (log10(f->x_hi) - log10(f->x_lo)) * w;
    return LEFT + (x - f->x_lo) / (f->x_hi - f->x_lo) * w;
}

static double px_y(const struct frame *f, double y)
{
    return HEIGHT - BOTTOM - (y - f->y_lo) / (f->y_hi - f->y_lo) * (HEIGHT - TOP - BOTTOM);
}

static void widen(double *lo, double *hi, double v)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* x over every series (a bar to its right edge); y from 0 over the measured
 * series, their error bars and bars (models only when nothing was measured:
 * a diverging model must not squash the measurements). */
static int data_frame(const struct plot_spec *spec, struct frame *f)
{
    double xl = INFINITY, xh = -INFINITY, yl = 0, yh = -INFINITY;
    bool measured = false;
    for (size_t s = 0; s < spec->series_count; s++)
        measured |= !spec->series[s].model && spec->series[s].count > 0;
    for (size_t s = 0; s < spec->series_count; s++) {
        const struct plot_series *ps = &spec->series[s];
        double right = ps->style == PLOT_BARS ? spec->bar_width : 0;
        for (size_t i = 0; i < ps->count; i++) {
            if (spec->x_log && !(ps->points[i].x > 0))
                continue;
            widen(&xl, &xh, ps->points[i].x);
            widen(&xl, &xh, ps->points[i].x + right);
            if (measured && ps->model)
                continue;
            widen(&yl, &yh, ps->points[i].y);
            widen(&yl, &yh, ps->points[i].y_low);
            widen(&yl, &yh, ps->points[i].y_high);
        }
    }
    if (!isfinite(xl) || !isfinite(yh))
        return -1;
    double y_hi = yh > yl ? yh + (yh - yl) * 0.08 : yl + 1;
    if (spec->x_log) { /* a margin of a fifth of a decade, at least one decade shown */
        double decades = xh > xl ? log10(xh / xl) : 1;
        double pad = pow(10, fmax(decades * 0.05, (1 - decades) / 2));
        *f = (struct frame){xl / pad, xh * pad, yl, y_hi, true};
        return 0;
    }
    double xpad = xh > xl ? (xh - xl) * 0.05 : (xl != 0 ? fabs(xl) * 0.1 : 1);
    *f = (struct frame){xl - xpad, xh + xpad, yl, y_hi, false};
    return 0;
}

/* ---- drawing primitives ---- */

static void set_colour(cairo_t *cr, unsigned rgb, double alpha)
{
    cairo_set_source_rgba(cr, (rgb >> 16 & 0xff) / 255.0, (rgb >> 8 & 0xff) / 255.0,
                          (rgb & 0xff) / 255.0, alpha);
}

static void stroke_line(cairo_t *cr, double x0, double y0, double x1, double y1)
{
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

/* Text whose baseline starts at (x, y) moved left by anchor times its
 * width: 0 left-aligned, 0.5 centred, 1 right-aligned. */
static void draw_text(cairo_t *cr, double x, double y, double anchor, const char *text)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, text, &e);
    cairo_move_to(cr, x - anchor * e.x_advance, y);
    cairo_show_text(cr, text);
}

static double text_width(cairo_t *cr, const char *text)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, text, &e);
    return e.x_advance;
}

/* A series' colour: the palette in order over the measured series; a model
 * takes the colour of the series before it. */
static unsigned series_colour(const struct plot_spec *spec, size_t s)
{
    size_t measured = 0;
    for (size_t i = 0; i < s; i++)
        measured += !spec->series[i].model;
    if (!spec->series[s].model)
        return palette[measured % PALETTE_SIZE];
    return measured ? palette[(measured - 1) % PALETTE_SIZE] : BLACK;
}

/* ---- axes ---- */

static void draw_x_ticks(cairo_t *cr, const struct frame *f)
{
    double ticks[MAX_TICKS], y0 = HEIGHT - BOTTOM;
    size_t n = f->x_log ? log_ticks(f->x_lo, f->x_hi, ticks)
                        : plot_ticks(f->x_lo, f->x_hi, MAX_TICKS, ticks);
    char label[32];
    for (size_t i = 0; i < n; i++) {
        double x = px_x(f, ticks[i]);
        set_colour(cr, 0xdddddd, 1);
        stroke_line(cr, x, y0, x, TOP);
        set_colour(cr, BLACK, 1);
        stroke_line(cr, x, y0, x, y0 + 5);
        snprintf(label, sizeof label, "%g", ticks[i]);
        draw_text(cr, x, y0 + 20, 0.5, label);
    }
}

static void draw_y_ticks(cairo_t *cr, const struct frame *f)
{
    double ticks[MAX_TICKS], x0 = LEFT;
    size_t n = plot_ticks(f->y_lo, f->y_hi, MAX_TICKS, ticks);
    char label[32];
    for (size_t i = 0; i < n; i++) {
        double y = px_y(f, ticks[i]);
        set_colour(cr, 0xdddddd, 1);
        stroke_line(cr, x0, y, WIDTH - RIGHT, y);
        set_colour(cr, BLACK, 1);
        stroke_line(cr, x0 - 5, y, x0, y);
        snprintf(label, sizeof label, "%g", ticks[i]);
        draw_text(cr, x0 - 8, y + 4, 1, label);
    }
}

static void draw_axes(cairo_t *cr, const struct plot_spec *spec, const struct frame *f)
{
    cairo_set_line_width(cr, 1);
    draw_x_ticks(cr, f);
    draw_y_ticks(cr, f);
    cairo_rectangle(cr, LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    cairo_stroke(cr);
    draw_text(cr, (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 18, 0.5, spec->x_label);
    cairo_save(cr);
    cairo_translate(cr, 20, (TOP + HEIGHT - BOTTOM) / 2);
    cairo_rotate(cr, -PI / 2);
    draw_text(cr, 0, 0, 0.5, spec->y_label);
    cairo_restore(cr);
    cairo_save(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 15);
    draw_text(cr, WIDTH / 2, 28, 0.5, spec->title);
    cairo_restore(cr);
}

/* ---- series ---- */

static void draw_path(cairo_t *cr, const struct frame *f, const struct plot_series *ps)
{
    bool started = false;
    for (size_t i = 0; i < ps->count; i++) {
        const struct plot_point *p = &ps->points[i];
        if (!isfinite(p->y))
            continue;
        if (started)
            cairo_line_to(cr, px_x(f, p->x), px_y(f, p->y));
        else
            cairo_move_to(cr, px_x(f, p->x), px_y(f, p->y));
        started = true;
    }
    cairo_stroke(cr);
}

static void draw_marker(cairo_t *cr, double x, double y)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, MARKER_RADIUS, 0, 2 * PI);
    cairo_fill(cr);
}

static void draw_error_bar(cairo_t *cr, double x, double lo, double hi)
{
    cairo_move_to(cr, x, lo);
    cairo_line_to(cr, x, hi);
    cairo_move_to(cr, x - 5, lo);
    cairo_line_to(cr, x + 5, lo);
    cairo_move_to(cr, x - 5, hi);
    cairo_line_to(cr, x + 5, hi);
    cairo_stroke(cr);
}

/* Each point its own error bar, marker and "n=..." label. */
static void draw_markers(cairo_t *cr, const struct frame *f, const struct plot_series *ps,
                         unsigned colour)
{
    set_colour(cr, colour, 0.5);
    cairo_set_line_width(cr, 1);
    draw_path(cr, f, ps);
    cairo_set_line_width(cr, 1.5);
    char label[32];
    for (size_t i = 0; i < ps->count; i++) {
        const struct plot_point *p = &ps->points[i];
        double x = px_x(f, p->x);
        set_colour(cr, colour, 1);
        if (isfinite(p->y_low) && isfinite(p->y_high))
            draw_error_bar(cr, x, px_y(f, p->y_low), px_y(f, p->y_high));
        if (!isfinite(p->y))
            continue;
        draw_marker(cr, x, px_y(f, p->y));
        if (p->n) { /* right of the marker, or left of it near the frame's right edge */
            bool left = x > WIDTH - RIGHT - 60;
            snprintf(label, sizeof label, "n=%llu", (unsigned long long)p->n);
            cairo_set_font_size(cr, 10);
            draw_text(cr, left ? x - 7 : x + 7, px_y(f, p->y) - 5, left ? 1 : 0, label);
            cairo_set_font_size(cr, FONT_SIZE);
        }
    }
}

/* F(x) = y from each point's x on, 0 left of the first, its last value
 * to the frame's right edge. */
static void draw_steps(cairo_t *cr, const struct frame *f, const struct plot_series *ps)
{
    double level = 0;
    cairo_move_to(cr, px_x(f, f->x_lo), px_y(f, 0));
    for (size_t i = 0; i < ps->count; i++) {
        const struct plot_point *p = &ps->points[i];
        cairo_line_to(cr, px_x(f, p->x), px_y(f, level));
        level = p->y;
        cairo_line_to(cr, px_x(f, p->x), px_y(f, level));
    }
    cairo_line_to(cr, px_x(f, f->x_hi), px_y(f, level));
    cairo_stroke(cr);
}

/* Bar series side by side in each bin: series `slot` of `slots`, each bar
 * filled on its own. */
static void draw_bars(cairo_t *cr, const struct plot_spec *spec, const struct frame *f,
                      const struct plot_series *ps, unsigned colour, size_t slot, size_t slots)
{
    double width = spec->bar_width / (double)slots;
    for (size_t i = 0; i < ps->count; i++) {
        const struct plot_point *p = &ps->points[i];
        double x0 = px_x(f, p->x + width * (double)slot);
        double x1 = px_x(f, p->x + width * (double)(slot + 1));
        cairo_rectangle(cr, x0, px_y(f, p->y), x1 - x0, px_y(f, 0) - px_y(f, p->y));
        set_colour(cr, colour, 0.6);
        cairo_fill_preserve(cr);
        set_colour(cr, colour, 1);
        cairo_stroke(cr);
    }
}

static void set_series_line(cairo_t *cr, const struct plot_series *ps, unsigned colour)
{
    static const double dashes[] = {6, 4};
    set_colour(cr, colour, 1);
    cairo_set_line_width(cr, 1.5);
    cairo_set_dash(cr, dashes, ps->model ? 2 : 0, 0);
}

static void draw_series(cairo_t *cr, const struct plot_spec *spec, const struct frame *f)
{
    size_t slots = 0, slot = 0;
    for (size_t s = 0; s < spec->series_count; s++)
        slots += spec->series[s].style == PLOT_BARS;
    cairo_save(cr);
    cairo_rectangle(cr, LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    cairo_clip(cr);
    for (size_t s = 0; s < spec->series_count; s++) {
        const struct plot_series *ps = &spec->series[s];
        unsigned colour = series_colour(spec, s);
        set_series_line(cr, ps, colour);
        switch (ps->style) {
        case PLOT_MARKERS: draw_markers(cr, f, ps, colour); break;
        case PLOT_LINE: draw_path(cr, f, ps); break;
        case PLOT_STEPS: draw_steps(cr, f, ps); break;
        case PLOT_BARS: draw_bars(cr, spec, f, ps, colour, slot++, slots); break;
        }
    }
    cairo_restore(cr);
}

/* ---- legend ---- */

/* The series' sign in a 22 x 12 box whose left middle is (x, y). */
static void draw_legend_sign(cairo_t *cr, const struct plot_series *ps, unsigned colour, double x,
                             double y)
{
    set_series_line(cr, ps, colour);
    switch (ps->style) {
    case PLOT_MARKERS:
        draw_error_bar(cr, x + 11, y + 6, y - 6);
        draw_marker(cr, x + 11, y);
        break;
    case PLOT_LINE: stroke_line(cr, x, y, x + 22, y); break;
    case PLOT_STEPS:
        cairo_move_to(cr, x, y + 5);
        cairo_line_to(cr, x + 11, y + 5);
        cairo_line_to(cr, x + 11, y - 5);
        cairo_line_to(cr, x + 22, y - 5);
        cairo_stroke(cr);
        break;
    case PLOT_BARS:
        set_colour(cr, colour, 0.6);
        cairo_rectangle(cr, x + 4, y - 6, 14, 12);
        cairo_fill(cr);
        break;
    }
    cairo_set_dash(cr, NULL, 0, 0);
}

#define NOTE_LINES 4

/* The note's lines (a newline between two) in copy, pointed to by line[]. */
static size_t note_lines(const char *note, char *copy, size_t size, const char *line[NOTE_LINES])
{
    size_t n = 0;
    if (!note)
        return 0;
    snprintf(copy, size, "%s", note);
    for (char *at = copy; at && n < NOTE_LINES; n++) {
        line[n] = at;
        at = strchr(at, '\n');
        if (at)
            *at++ = '\0';
    }
    return n;
}

static void draw_legend(cairo_t *cr, const struct plot_spec *spec)
{
    char note[512];
    const char *note_line[NOTE_LINES];
    size_t notes = note_lines(spec->note, note, sizeof note, note_line);
    size_t lines = spec->series_count + notes;
    double width = 0;
    for (size_t s = 0; s < spec->series_count; s++)
        width = fmax(width, 30 + text_width(cr, spec->series[s].label));
    for (size_t i = 0; i < notes; i++)
        width = fmax(width, text_width(cr, note_line[i]));
    width += 16;
    double height = LEGEND_LINE * (double)lines + 8;
    double x = spec->legend == PLOT_LEGEND_TOP_LEFT ? LEFT + 8 : WIDTH - RIGHT - 8 - width;
    double y = spec->legend == PLOT_LEGEND_BOTTOM_RIGHT ? HEIGHT - BOTTOM - 8 - height : TOP + 8;
    cairo_rectangle(cr, x, y, width, height);
    set_colour(cr, 0xffffff, 0.85);
    cairo_fill_preserve(cr);
    set_colour(cr, 0x999999, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    x += 8;
    y += 4 + LEGEND_LINE / 2;
    for (size_t s = 0; s < spec->series_count; s++, y += LEGEND_LINE) {
        draw_legend_sign(cr, &spec->series[s], series_colour(spec, s), x, y);
        set_colour(cr, BLACK, 1);
        draw_text(cr, x + 30, y + 4, 0, spec->series[s].label);
    }
    set_colour(cr, 0x555555, 1);
    for (size_t i = 0; i < notes; i++, y += LEGEND_LINE)
        draw_text(cr, x, y + 4, 0, note_line[i]);
}

/* ---- surfaces ---- */

static void draw(cairo_t *cr, const struct plot_spec *spec, const struct frame *f)
{
    set_colour(cr, 0xffffff, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, FONT_SIZE);
    set_colour(cr, BLACK, 1);
    draw_axes(cr, spec, f);
    draw_series(cr, spec, f);
    draw_legend(cr, spec);
}

static cairo_status_t write_bytes(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

static cairo_surface_t *open_surface(FILE *out, enum plot_format format, const char *title)
{
    cairo_surface_t *s;
    switch (format) {
    case PLOT_SVG:
        s = cairo_svg_surface_create_for_stream(write_bytes, out, WIDTH, HEIGHT);
        cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
        return s;
    case PLOT_PDF:
        s = cairo_pdf_surface_create_for_stream(write_bytes, out, WIDTH, HEIGHT);
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, PDF_DATE);
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "tcpsim");
        return s;
    case PLOT_PNG:
        break;
    }
    return cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)WIDTH, (int)HEIGHT);
}

static int render(FILE *out, enum plot_format format, const struct plot_spec *spec,
                  const struct frame *f)
{
    cairo_surface_t *surface = open_surface(out, format, spec->title);
    cairo_t *cr = cairo_create(surface);
    draw(cr, spec, f);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status == CAIRO_STATUS_SUCCESS && format == PLOT_PNG)
        status = cairo_surface_write_to_png_stream(surface, write_bytes, out);
    cairo_surface_finish(surface);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    return status == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

/* cairo names the SVG's page group after its surface's unique id, which
 * counts every surface the process has made: the second plot of one
 * command would differ from the same plot made alone. So the SVG goes
 * through memory and that group is written as "surface1" (nothing refers
 * to it). */
static int write_svg(FILE *out, const struct plot_spec *spec, const struct frame *f)
{
    static const char group[] = "<g id=\"surface";
    char *svg = NULL;
    size_t size = 0;
    FILE *memory = open_memstream(&svg, &size);
    if (!memory)
        return -1;
    int rc = render(memory, PLOT_SVG, spec, f);
    if (fclose(memory) != 0 || rc != 0) {
        free(svg);
        return -1;
    }
    const char *at = strstr(svg, group);
    const char *digits = at ? at + strlen(group) : svg + size;
    const char *rest = digits + strspn(digits, "0123456789");
    fwrite(svg, 1, (size_t)(digits - svg), out);
    if (at)
        fputc('1', out);
    fwrite(rest, 1, size - (size_t)(rest - svg), out);
    free(svg);
    return 0;
}

int plot_write(FILE *out, enum plot_format format, const struct plot_spec *spec)
{
    struct frame f;
    if (data_frame(spec, &f) != 0)
        return -1;
    int rc = format == PLOT_SVG ? write_svg(out, spec, &f) : render(out, format, spec, &f);
    return rc == 0 && !ferror(out) ? 0 : -1;
}

/* ---- files ---- */

int plot_format_of(const char *path, enum plot_format *format, const char *what, char *err,
                   size_t errlen)
{
    static const struct {
        const char *suffix;
        enum plot_format format;
    } formats[] = {{".svg", PLOT_SVG}, {".pdf", PLOT_PDF}, {".png", PLOT_PNG}};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (n > 4 && strcasecmp(path + n - 4, formats[i].suffix) == 0) {
            *format = formats[i].format;
            return 0;
        }
    snprintf(err, errlen, "%s %s: name a .svg, .pdf or .png file (the suffix picks the format)",
             what, path);
    return -1;
}

int plot_write_file(const char *path, const struct plot_spec *spec, const char *what, char *err,
                    size_t errlen)
{
    enum plot_format format;
    if (plot_format_of(path, &format, what, err, errlen) != 0)
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write %s: %s", what, path, strerror(errno));
        return -1;
    }
    int rc = plot_write(f, format, spec);
    if (fclose(f) != 0 || rc != 0) {
        snprintf(err, errlen, "%s: writing %s failed (nothing to plot, or a write error)", what,
                 path);
        remove(path);
        return -1;
    }
    return 0;
}
