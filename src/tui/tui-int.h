/* tui-int.h: shared by the files of the console only. */
#ifndef FB_TUI_INT_H
#define FB_TUI_INT_H

#include <stdint.h>
#include <time.h>

#include "tui/tui.h"

/*
 * Requests: what a key asks for. One table (keys.c) maps keys to requests
 * and gives each its help text; `?` and the man page are printed from it.
 */
#define TUI_REQUESTS(X)                                                     \
	X(DOWN, "move down")                                                \
	X(UP, "move up")                                                    \
	X(PAGE_DOWN, "next page")                                           \
	X(PAGE_UP, "previous page")                                         \
	X(FIRST, "first row")                                               \
	X(LAST, "last row")                                                 \
	X(ENTER, "open the row under the cursor")                           \
	X(BACK, "back to the previous view (quit at the first)")            \
	X(NEXT_TAB, "next tab or view")                                     \
	X(PREV_TAB, "previous tab or view")                                 \
	X(PROMPT, "command line (Tab completes)")                           \
	X(FILTER, "filter, in the filter grammar; bare words search text")  \
	X(HELP, "this help")                                                \
	X(SELECT, "select or unselect the row (multi-select)")              \
	X(SELECT_NONE, "clear the selection")                               \
	X(ACK, "acknowledge the selection (or the row)")                    \
	X(RESOLVE, "resolve the selection, with a reason")                  \
	X(FALSE_POS, "mark the selection a false positive, with a reason")  \
	X(REOPEN, "reopen the selection")                                   \
	X(SUPPRESS, "suppress the selection by fingerprint, with a reason") \
	X(LINK_CASE, "link the selection to a case")                        \
	X(NEW_CASE, "open a new case from the selection")                   \
	X(SORT, "sort by the next column")                                  \
	X(REVERSE, "reverse the sort order")                                \
	X(SHOW_HIDDEN, "show or hide suppressed findings")                  \
	X(REFRESH, "reload and redraw")                                     \
	X(VIEW_DASHBOARD, "dashboard")                                      \
	X(VIEW_FINDINGS, "findings")                                        \
	X(VIEW_CASES, "cases")                                              \
	X(VIEW_AUDIT, "audit log")                                          \
	X(VIEW_FLEET, "fleet: hosts, reachability, GPUs and tenants")      \
	X(VIEW_RUNS, "playbook runs")                                      \
	X(VIEW_PLAYBOOKS, "playbooks: pick one, fill in its parameters, run it") \
	X(APPROVE, "approve the run's plan (type its target, or the playbook's name)") \
	X(RESUME, "resume an interrupted or failed run")                   \
	X(UNDO, "undo the run's applied changes")                          \
	X(ABORT, "abort the run")                                          \
	X(EXPORT, "export the case as an evidence bundle")                 \
	X(DRY_RUN, "plan the playbook on its hosts, changing nothing")     \
	X(RUN, "run the playbook (destructive steps wait for approval)")   \
	X(QUIT, "quit")

enum tui_req {
	TUI_REQ_NONE,
#define TUI_X(name, help) TUI_REQ_##name,
	TUI_REQUESTS(TUI_X)
#undef TUI_X
	TUI_REQ__MAX
};

struct tui_keymap {
	int key;              /* curses key code or character */
	const char *name;     /* as the help shows it */
	enum tui_req req;
};
const struct tui_keymap *tui_keymap(size_t *n);
const char *tui_req_help(enum tui_req r);
/* The request for a key; isfn: a curses function key (KEY_*). */
enum tui_req tui_key_request(int key, int isfn);
const char *tui_key_name(int key);

/* What a handler asks the loop to do next (htop's way). */
enum {
	TUI_OK = 0,
	TUI_REDRAW = 1 << 0,
	TUI_RELOAD = 1 << 1,  /* the view's data: read it again */
	TUI_CLOSE = 1 << 2,   /* pop this view */
	TUI_QUIT = 1 << 3,
	TUI_UNHANDLED = 1 << 4,
};

struct tui;
struct tui_view;

/* ---- the list engine ---------------------------------------------------
 * A window of at most `cap` rows (the screen's height), never more: rows
 * come from a keyset fetch after or before a key row.
 */
#define TUI_MAXCOLS 10
struct tui_row {
	int64_t id;
	int64_t num;          /* a numeric key column (e.g. severity) */
	char *key[3];         /* text key columns (raw, never drawn) */
	char *cell[TUI_MAXCOLS]; /* terminal-safe text */
	int attr;             /* colour class (TUI_C_*) */
	int flag;             /* a mark the view draws (e.g. suppressed) */
};
struct tui_col {
	const char *name;
	int width;            /* 0: takes the rest */
	int right;            /* right-aligned */
	int min_cols;         /* hide the column below this screen width */
};
struct tui_list;
struct tui_list_ops {
	const struct tui_col *cols;
	int ncols;
	/*
	 * Call tui_list_add() for up to limit rows from `from` (NULL: from the
	 * start, or the end when backward), nearest first when backward.
	 */
	int (*fetch)(struct tui *t, struct tui_list *l,
	    const struct tui_row *from, int backward, int inclusive, int limit);
};
struct tui_list {
	const struct tui_list_ops *ops;
	struct tui_view *view;
	struct tui_row *rows;     /* the window */
	int n, cap;
	struct tui_row *in;       /* rows of the current fetch */
	int nin;
	int cursor;               /* index in rows */
	int64_t pos;              /* absolute index of rows[0], -1 unknown */
	int64_t after;            /* rows after the window, -1 unknown */
	int64_t *sel;             /* selected ids, sorted */
	size_t nsel, selcap;
	char *fetch_err;
};
void tui_list_init(struct tui_list *l, const struct tui_list_ops *ops,
    struct tui_view *v);
void tui_list_release(struct tui_list *l);
/* Add one fetched row (the list owns it after the call). */
struct tui_row *tui_list_add(struct tui_list *l);
int tui_list_top(struct tui *t, struct tui_list *l);
int tui_list_reload(struct tui *t, struct tui_list *l);
/* Movement and selection; returns TUI_* flags or TUI_UNHANDLED. */
int tui_list_request(struct tui *t, struct tui_list *l, enum tui_req r);
void tui_list_draw(struct tui *t, struct tui_list *l, int y, int h);
const struct tui_row *tui_list_current(const struct tui_list *l);
int tui_list_selected(const struct tui_list *l, int64_t id);
/* The selection, or the row under the cursor when nothing is selected. */
size_t tui_list_targets(const struct tui_list *l, int64_t **ids);
void tui_row_clear(struct tui_row *r);

/* ---- the pager: lines of text, scrollable ------------------------------ */
struct tui_pager {
	char **text;          /* terminal-safe */
	int *attrs;
	size_t n, cap;
	size_t top;
};
/* A pager line's attribute with this bit is drawn as the cursor. */
#define TUI_A_CURSOR 0x100
void tui_pager_clear(struct tui_pager *p);
/* Add untrusted text (split on newlines, sanitized) with an attribute. */
void tui_pager_add(struct tui_pager *p, int attr, const char *fmt, ...)
    FB_ATTR_PRINTF(3, 4);
void tui_pager_add_text(struct tui_pager *p, int attr, const char *text);
int tui_pager_request(struct tui *t, struct tui_pager *p, enum tui_req r,
    int h);
void tui_pager_draw(struct tui *t, struct tui_pager *p, int y, int h);

/* ---- views --------------------------------------------------------------- */
struct tui_view_ops {
	const char *name;     /* for `:name` and the title bar */
	int (*open)(struct tui *t, struct tui_view *v, const char *arg);
	void (*close)(struct tui_view *v);
	int (*reload)(struct tui *t, struct tui_view *v);
	void (*draw)(struct tui *t, struct tui_view *v, int y, int h);
	int (*request)(struct tui *t, struct tui_view *v, enum tui_req r);
	/* A filter typed after `/` (NULL: the view has none). */
	int (*filter)(struct tui *t, struct tui_view *v, const char *text);
	/* The title bar's right part (borrowed, may be NULL). */
	const char *(*info)(struct tui_view *v);
	/*
	 * Work left for when no key waits (a count): runs under an interrupt
	 * that stops it when a key arrives. Returns TUI_REDRAW when it
	 * finished something, TUI_OK otherwise.
	 */
	int (*idle)(struct tui *t, struct tui_view *v);
};
struct tui_view {
	const struct tui_view_ops *ops;
	void *data;
	char *filter;         /* the filter text in force (the tui owns it) */
	struct tui_view *prev;
};
extern const struct tui_view_ops tui_view_dashboard;
extern const struct tui_view_ops tui_view_findings;
extern const struct tui_view_ops tui_view_finding;
extern const struct tui_view_ops tui_view_audit;
extern const struct tui_view_ops tui_view_help;
extern const struct tui_view_ops tui_view_text;
extern const struct tui_view_ops tui_view_cases;
extern const struct tui_view_ops tui_view_case;
extern const struct tui_view_ops tui_view_fleet;
extern const struct tui_view_ops tui_view_runs;
extern const struct tui_view_ops tui_view_playbooks;
extern const struct tui_view_ops tui_view_playbook;

/* Triage ids (taken) from any view: ack, resolve, fp, reopen, suppress. */
int tui_findings_action(struct tui *t, enum tui_req r, int64_t *ids,
    size_t n);
/* Forget the findings list's selection (after an action used it). */
void tui_findings_clear_selection(struct tui *t);
/* Link ids (taken) to a case, or open a new case from them. */
int tui_cases_action(struct tui *t, enum tui_req r, int64_t *ids, size_t n);
/* The dashboard's open-cases lines (view-cases.c). */
int tui_dashboard_cases(struct tui *t, struct tui_pager *p);
/* Export case id as an evidence bundle, asking where (view-export.c). */
int tui_case_export(struct tui *t, int64_t id);
/* Push the view of run id (view-runs.c). */
int tui_run_push(struct tui *t, int64_t id);
/*
 * Step aside for the playbook engine (view-runs.c): the console leaves
 * the terminal, fn runs there as it would under `firebreak` (its plan,
 * progress and questions print there; SIGINT stops it between hosts and
 * leaves the run resumable), then the console comes back after Enter.
 * title is printed first; fn's status is returned.
 */
struct pb_opts;
typedef int (*tui_engine_fn)(struct tui *t, void *ctx,
    const struct pb_opts *po, int *outcome);
int tui_engine(struct tui *t, const char *title, tui_engine_fn fn,
    void *ctx, int *outcome);
/* :sort COLUMN on the findings list. */
int tui_findings_sort(struct tui *t, struct tui_view *v, const char *col);

/* Push a view on top; arg is view-specific ("12" for a finding). */
int tui_view_push(struct tui *t, const struct tui_view_ops *ops,
    const char *arg);
/* Replace the whole stack by one top-level view. */
int tui_view_switch(struct tui *t, const struct tui_view_ops *ops,
    const char *arg);

/* ---- actions that need the user's words first ---------------------------
 * A prompt asks for a reason, then a confirmation that names what changes;
 * only then does `run` write, through the same store functions as the CLI.
 */
enum { TUI_ASK_NONE, TUI_ASK_NUMBER, TUI_ASK_TEXT };
struct tui_action {
	char *what;           /* "acknowledge 3 findings (#4 #7 #9)"; NULL:
	                         made from verb, the ids and the answer */
	const char *verb;     /* "link", "open a case with" */
	int ask;              /* TUI_ASK_*: a first question */
	const char *ask_label;
	char *answer;         /* its answer (a number also goes to arg) */
	char *confirm_word;   /* NULL: y confirms; else the word to type */
	int need_reason;      /* 0 none, 1 optional, 2 required */
	int64_t *ids;
	size_t nids;
	int64_t arg;
	const char *status;
	int (*run)(struct tui *t, struct tui_action *a, const char *reason);
	char *reason;
	char *ask_init;       /* the first question's answer, prefilled */
	/* Sets what once the first answer is known (NULL: the default). */
	void (*describe)(struct tui_action *a);
	int ask_only;         /* run as soon as the first question is
	                         answered: no reason, no confirmation */
	int ask_empty_ok;     /* an empty answer is an answer */
};
void tui_action_start(struct tui *t, struct tui_action *a);

/* ---- the console --------------------------------------------------------- */
enum tui_color {
	TUI_C_NORMAL, TUI_C_INFO, TUI_C_LOW, TUI_C_MEDIUM, TUI_C_HIGH,
	TUI_C_CRITICAL, TUI_C_TITLE, TUI_C_STATUS, TUI_C_ERROR, TUI_C_DIM,
	TUI_C_GOOD, TUI_C__MAX
};

struct tui {
	struct store *store;
	struct tui_view *view;    /* top of the stack */
	int rows, cols;
	int color;                /* colours allowed (has_colors, no NO_COLOR) */
	int utf8;                 /* the locale is UTF-8 */
	int64_t data_version;
	char refreshed[16];       /* HH:MM:SS of the last reload */
	char *message;            /* status line text */
	int message_error;
	/* the line editor (`:`, `/`, reasons, confirmations) */
	int prompt;               /* enum tui_prompt_kind, 0 none */
	char prompt_label[256];
	struct fb_buf line;
	struct tui_action *action;
	FILE *trace;
	double frame_fetch_ms;
	int64_t total;            /* findings, from the counts kept on write */
	char *filter_pending;     /* typed after /, not yet applied */
	struct store_interrupt intr;
	int has_cases;            /* the store has the cases tables */
	int forks;                /* hosts at once for the engine, 0: its
	                             default (set in the playbook form) */
};
/* Set the status line message (printf-style; the text is sanitized). */
void tui_message(struct tui *t, int error, const char *fmt, ...)
    FB_ATTR_PRINTF(3, 4);
/* Report rc's message on the status line; returns TUI_REDRAW. */
int tui_error(struct tui *t, int rc);
int tui_attr(struct tui *t, int color);
int tui_severity_color(int severity);
double tui_now_ms(void);

/* Draw untrusted-but-sanitized UTF-8 at (y, x) in at most w columns; pad
 * with spaces to w when pad. Returns the columns used. */
int tui_put(int y, int x, int w, const char *s, int attr, int pad);
/* Fill the rest of line y from x with spaces. */
void tui_clear_line(int y, int x, int attr);
/* A terminal-safe copy (caller frees). */
char *tui_safe(const char *s);
/* "2026-11-26T10:22:35Z" as "11-26 10:22". */
void tui_short_time(const char *t, char out[16]);

#endif
