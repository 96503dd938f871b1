/*
 * plot.h: the charts of `tcpsim stats --plot, --plot-cdf, --plot-histogram`,
 * drawn with cairo: series of points with error bars (a measured mean, its
 * confidence interval and its n), lines (a model curve), steps (a CDF) and
 * bars (a histogram); linear axes with round ticks (x may be logarithmic,
 * for latencies over decades), axis labels, a title
 * and a legend. One drawing, three surfaces: SVG, PDF or PNG by the file's
 * suffix. The same spec gives the same bytes (plot.c says how).
 */
#ifndef TCPSIM_PLOT_H
#define TCPSIM_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct plot_point {
    double x, y;
    double y_low, y_high;   /* error bar; NAN: none */
    uint64_t n;             /* the sample behind the point, written beside it; 0: none */
};

enum plot_style {
    PLOT_MARKERS,           /* points with error bars, joined by a thin line */
    PLOT_LINE,              /* a line through the points */
    PLOT_STEPS,             /* a right-continuous step function: a CDF */
    PLOT_BARS,              /* a bar from 0 to y over [x, x + bar_width) per point */
};

struct plot_series {
    const char *label;      /* the legend's text */
    const struct plot_point *points;
    size_t count;
    enum plot_style style;
    bool model;             /* dashed, in the colour of the series before it */
};

enum plot_legend_corner { PLOT_LEGEND_TOP_LEFT, PLOT_LEGEND_TOP_RIGHT, PLOT_LEGEND_BOTTOM_RIGHT };

struct plot_spec {
    const char *title, *x_label, *y_label;  /* axis labels name their units */
    const char *note;       /* the legend's last lines, '\n' between two (what the bars and n
                             * are); NULL: none */
    const struct plot_series *series;
    size_t series_count;
    double bar_width;       /* PLOT_BARS: the bin's width in x units */
    bool x_log;             /* x on a log scale (points with x <= 0 are left out of the range) */
    enum plot_legend_corner legend;
};

enum plot_format { PLOT_SVG, PLOT_PDF, PLOT_PNG };

/* Round tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power
 * of ten, at most max_ticks of them. Returns how many were written. */
size_t plot_ticks(double lo, double hi, size_t max_ticks, double *ticks);

/* The format a file name asks for by its suffix (.svg, .pdf, .png, in any
 * case). Returns 0, or -1 with a message in err that starts with `what`
 * (the option that named the file, "--plot"). */
int plot_format_of(const char *path, enum plot_format *format, const char *what, char *err,
                   size_t errlen);

/* Draws the chart onto out. The y axis starts at 0 and covers the markers'
 * error bars, the bars and the steps; model lines are clipped to the frame.
 * Returns 0, or -1 when there is nothing to draw or drawing or writing
 * failed. */
int plot_write(FILE *out, enum plot_format format, const struct plot_spec *spec);

/* Writes the chart to the file at path in the format of its suffix.
 * Returns 0, or -1 with a message in err that starts with `what`. */
int plot_write_file(const char *path, const struct plot_spec *spec, const char *what, char *err,
                    size_t errlen);

#endif
