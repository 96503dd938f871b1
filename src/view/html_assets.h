/*
 * html_assets.h: the stylesheet and the script of the HTML page. They are
 * written as ordinary files (html_page.css, html_page.js, so an editor and
 * a reviewer see CSS and JavaScript) and turned into html_assets.c at build
 * time by a sed rule in Makefile.am: one C string literal per line, which
 * stays under the 4095-character limit -Wpedantic enforces and needs no
 * tool beyond POSIX sed. Each array ends with NULL.
 */
#ifndef TCPSIM_HTML_ASSETS_H
#define TCPSIM_HTML_ASSETS_H

extern const char *const html_page_css[];
extern const char *const html_page_js[];

#endif
