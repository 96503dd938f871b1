/*
 * plot.c: the SVG chart of `tcpsim stats --plot`. Computes the data range
 * and round ticks, maps data to pixels, and writes frame, grid, ticks,
 * labels, error bars, markers, model lines and the legend. See plot.h.
 */
#include "plot.h"
#include "xml_text.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WIDTH 760.0
#define HEIGHT 480.0
#define LEFT 84.0           /* room for the y tick labels and title */
#define RIGHT 24.0
#define TOP 48.0
#define BOTTOM 64.0
#define MAX_TICKS 8

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                      "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])

struct frame {
    double x_lo, x_hi, y_lo, y_hi; /* data range shown */
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

static double px_x(const struct frame *f, double x)
{
    return LEFT + (x - f->x_lo) / (f->x_hi - f->x_lo) * (WIDTH - LEFT - RIGHT);
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

/* x over every series; y from 0 over the markers and their error bars
 * (lines only when there are no markers: a diverging model must not
 * squash the measurements). */
static int data_frame(const struct plot_spec *spec, struct frame *f)
{
    double xl = INFINITY, xh = -INFINITY, yl = 0, yh = -INFINITY;
    bool markers = false;
    for (size_t s = 0; s < spec->series_count; s++)
        markers |= spec->series[s].style == PLOT_MARKERS && spec->series[s].count > 0;
    for (size_t s = 0; s < spec->series_count; s++) {
        const struct plot_series *ps = &spec->series[s];
        for (size_t i = 0; i < ps->count; i++) {
            widen(&xl, &xh, ps->points[i].x);
            if (markers && ps->style != PLOT_MARKERS)
                continue;
            widen(&yl, &yh, ps->points[i].y);
            widen(&yl, &yh, ps->points[i].y_low);
            widen(&yl, &yh, ps->points[i].y_high);
        }
    }
    if (!isfinite(xl) || !isfinite(yh))
        return -1;
    double xpad = xh > xl ? (xh - xl) * 0.05 : (xl != 0 ? fabs(xl) * 0.1 : 1);
    *f = (struct frame){xl - xpad, xh + xpad, yl, yh > yl ? yh + (yh - yl) * 0.08 : yl + 1};
    return 0;
}

static void write_axes(FILE *out, const struct plot_spec *spec, const struct frame *f)
{
    double ticks[MAX_TICKS];
    double x0 = LEFT, x1 = WIDTH - RIGHT, y0 = HEIGHT - BOTTOM, y1 = TOP;
    size_t n = plot_ticks(f->x_lo, f->x_hi, MAX_TICKS, ticks);
    for (size_t i = 0; i < n; i++) {
        double x = px_x(f, ticks[i]);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n", x, y0, x, y1);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", x, y0, x, y0 + 5);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", x, y0 + 20, ticks[i]);
    }
    n = plot_ticks(f->y_lo, f->y_hi, MAX_TICKS, ticks);
    for (size_t i = 0; i < n; i++) {
        double y = px_y(f, ticks[i]);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n", x0, y, x1, y);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", x0 - 5, y, x0, y);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", x0 - 8, y + 4, ticks[i]);
    }
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n", x0,
            y1, x1 - x0, y0 - y1);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (x0 + x1) / 2, HEIGHT - 18);
    xml_write_escaped(out, spec->x_label);
    fprintf(out, "</text>\n<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\">",
            (y0 + y1) / 2);
    xml_write_escaped(out, spec->y_label);
    fprintf(out, "</text>\n<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" class=\"title\">",
            WIDTH / 2);
    xml_write_escaped(out, spec->title);
    fputs("</text>\n", out);
}

static void write_polyline(FILE *out, const struct frame *f, const struct plot_series *ps,
                           const char *color, const char *cls)
{
    fprintf(out, "<polyline class=\"%s\" stroke=\"%s\" points=\"", cls, color);
    for (size_t i = 0; i < ps->count; i++)
        if (isfinite(ps->points[i].y))
            fprintf(out, "%.1f,%.1f ", px_x(f, ps->points[i].x), px_y(f, ps->points[i].y));
    fputs("\"/>\n", out);
}

static void write_markers(FILE *out, const struct frame *f, const struct plot_series *ps,
                          const char *color)
{
    write_polyline(out, f, ps, color, "join");
    for (size_t i = 0; i < ps->count; i++) {
        const struct plot_point *p = &ps->points[i];
        double x = px_x(f, p->x);
        if (isfinite(p->y_low) && isfinite(p->y_high)) {
            double lo = px_y(f, p->y_low), hi = px_y(f, p->y_high);
            fprintf(out, "<path class=\"bar\" stroke=\"%s\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\"/>\n",
                    color, x, lo, hi, x - 5, lo, x + 5, x - 5, hi, x + 5);
        }
        if (isfinite(p->y))
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x,
                    px_y(f, p->y), color);
    }
}

static void write_legend(FILE *out, const struct plot_spec *spec)
{
    double x = LEFT + 14, y = TOP + 18;
    for (size_t s = 0; s < spec->series_count; s++, y += 18) {
        const struct plot_series *ps = &spec->series[s];
        const char *color = ps->style == PLOT_LINE ? "#000" : palette[s % PALETTE_SIZE];
        if (ps->style == PLOT_LINE)
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"model\" stroke=\"#000\"/>\n",
                    x, y - 4, x + 22, y - 4);
        else
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x + 11, y - 4, color);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + 30, y);
        xml_write_escaped(out, ps->label);
        fputs("</text>\n", out);
    }
}

int plot_write_svg(FILE *out, const struct plot_spec *spec)
{
    struct frame f;
    if (data_frame(spec, &f) != 0)
        return -1;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                 "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"13\">\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    fputs("<style>.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#000;stroke-width:1}"
          ".frame{fill:none;stroke:#000;stroke-width:1}.title{font-size:15px;font-weight:bold}"
          ".join{fill:none;stroke-width:1;stroke-opacity:0.5}.bar{fill:none;stroke-width:1.5}"
          ".model{fill:none;stroke-width:1.5;stroke-dasharray:6 4}</style>\n", out);
    fprintf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", WIDTH, HEIGHT);
    fprintf(out, "<clipPath id=\"area\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath>\n",
            LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    write_axes(out, spec, &f);
    fputs("<g clip-path=\"url(#area)\">\n", out);
    for (size_t s = 0; s < spec->series_count; s++) {
        const struct plot_series *ps = &spec->series[s];
        if (ps->style == PLOT_LINE)
            write_polyline(out, &f, ps, "#000", "model");
        else
            write_markers(out, &f, ps, palette[s % PALETTE_SIZE]);
    }
    fputs("</g>\n", out);
    write_legend(out, spec);
    fputs("</svg>\n", out);
    return ferror(out) ? -1 : 0;
}

/* ---- files ---- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* rsvg-convert -o PNG SVG; 0 when it worked. */
static int convert_to_png(const char *svg, const char *png, const char *what, char *err,
                          size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execlp("rsvg-convert", "rsvg-convert", "-o", png, svg, (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    if (WEXITSTATUS(status) == 127)
        snprintf(err, errlen,
                 "%s %s: a PNG needs rsvg-convert (Debian: apt-get install librsvg2-bin); "
                 "or name an .svg file", what, png);
    return WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int write_svg_file(const char *path, const struct plot_spec *spec, const char *what,
                          char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write %s: %s", what, path, strerror(errno));
        return -1;
    }
    int rc = plot_write_svg(f, spec);
    if (fclose(f) != 0 || rc != 0) {
        snprintf(err, errlen, "%s: writing %s failed (nothing to plot, or a write error)", what,
                 path);
        return -1;
    }
    return 0;
}

int plot_write_file(const char *path, const struct plot_spec *spec, const char *what, char *err,
                    size_t errlen)
{
    err[0] = '\0';
    if (!ends_with(path, ".png"))
        return write_svg_file(path, spec, what, err, errlen);
    char svg[4096];
    snprintf(svg, sizeof svg, "%s.svg.tmp", path);
    int rc = write_svg_file(svg, spec, what, err, errlen);
    if (rc == 0)
        rc = convert_to_png(svg, path, what, err, errlen);
    remove(svg);
    return rc;
}
