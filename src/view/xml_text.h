/*
 * xml_text.h: text written into SVG or HTML: the html page's (html*.c)
 * escaping. The plots no longer write markup themselves (cairo does).
 */
#ifndef TCPSIM_XML_TEXT_H
#define TCPSIM_XML_TEXT_H

#include <stdio.h>

/* Writes s (NULL: nothing) with & < > " escaped as entities. */
void xml_write_escaped(FILE *out, const char *s);

#endif
