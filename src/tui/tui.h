/*
 * tui: the console, and the only code that calls curses. One poll() loop
 * reads keys, signals and the store's data_version; views are tables of
 * callbacks over one generic list engine and one pager. Every string from
 * the store reaches the screen through fb_sanitize. The terminal is given
 * back on every exit path: return, fatal(), SIGTERM/SIGINT/SIGHUP, and a
 * crash signal.
 */
#ifndef FB_TUI_H
#define FB_TUI_H

#include <stdio.h>

#include "store/store.h"

/*
 * Run the console on s until the user quits. view names the first view
 * ("dashboard", "findings", "audit", or NULL for the dashboard). Returns
 * 0 or -FB_ERR_* (the terminal is already restored when it returns).
 */
int tui_run(struct store *s, const char *view);
/* Mark the moment the command started, for FIREBREAK_TRACE's open time. */
void tui_start_clock(void);

/* The key list for the man page (mdoc), from the keymap's own table. */
void tui_keys_mdoc(FILE *fp);
/* The same list as plain text (what `?` shows). */
void tui_keys_text(FILE *fp);

#endif
