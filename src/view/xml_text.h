/*
 * xml_text.h: text written into SVG or HTML. The one escaping both the
 * plots (plot.c) and the html page (html*.c) use.
 */
#ifndef TCPSIM_XML_TEXT_H
#define TCPSIM_XML_TEXT_H

#include <stdio.h>

/* Writes s (NULL: nothing) with & < > " escaped as entities. */
void xml_write_escaped(FILE *out, const char *s);

#endif
