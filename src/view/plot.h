/*
 * plot.h: a small SVG chart writer for `tcpsim stats --plot`: series of
 * points with error bars (a measured mean and its confidence interval) and
 * lines (a model curve), linear axes with round ticks, axis labels, a
 * legend. Written directly, no plotting program needed.
 */
#ifndef TCPSIM_PLOT_H
#define TCPSIM_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct plot_point {
    double x, y;
    double y_low, y_high;   /* error bar; NAN: none */
};

enum plot_style {
    PLOT_MARKERS,           /* points with error bars, joined by a thin line */
    PLOT_LINE,              /* a dashed line only: a model */
};

struct plot_series {
    const char *label;
    const struct plot_point *points;
    size_t count;
    enum plot_style style;
};

struct plot_spec {
    const char *title, *x_label, *y_label;
    const struct plot_series *series;
    size_t series_count;
};

/* Round tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power
 * of ten, at most max_ticks of them. Returns how many were written. */
size_t plot_ticks(double lo, double hi, size_t max_ticks, double *ticks);

/* Writes the chart as a standalone SVG document. The y axis starts at 0
 * and covers the markers' error bars; lines are clipped to the frame.
 * Returns 0, or -1 when there is nothing to draw or writing failed. */
int plot_write_svg(FILE *out, const struct plot_spec *spec);

/* Writes the chart to the file at path: SVG, or PNG when path ends in .png
 * (through rsvg-convert, from a temporary PATH.svg.tmp). Returns 0, or -1
 * with a message in err that starts with `what` (the option that named the
 * file, "--plot"); err is "" when rsvg-convert ran and failed, having said
 * why itself. */
int plot_write_file(const char *path, const struct plot_spec *spec, const char *what, char *err,
                    size_t errlen);

#endif
