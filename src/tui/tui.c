/*
 * tui.c: the console's frame and its one loop. poll() waits on the
 * terminal, a self-pipe for signals and a 250 ms tick that reads the
 * store's data_version; handlers return flags (redraw, reload, close,
 * quit) and the loop acts on them. The terminal is restored by every way
 * out: a normal return, fatal(), SIGTERM/SIGINT/SIGHUP (through the loop),
 * and a crash signal (by writing the saved modes back, async-signal-safe).
 */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wctype.h>

#include "filter/filter.h"
#include "tui/tui-int.h"

#include <term.h>     /* after our headers: it defines lines, columns */
#include <limits.h>

enum {
	PROMPT_NONE,
	PROMPT_COMMAND,
	PROMPT_FILTER,
	PROMPT_REASON,
	PROMPT_CONFIRM_YN,
	PROMPT_CONFIRM_WORD,
	PROMPT_ASK,
};

#define TICK_MS 250

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t curses_on;
static struct termios saved_tio;
static int saved_tio_ok;
static char crash_reset[128];     /* rmcup + cnorm, captured at start */
static size_t crash_reset_len;
static double start_ms = -1;

double
tui_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void
tui_start_clock(void)
{
	start_ms = tui_now_ms();
}

/* ---- giving the terminal back -------------------------------------------- */

static void
restore(void)
{
	if (!curses_on)
		return;
	curses_on = 0;
	curs_set(1);
	endwin();
}

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* the loop will still see the pipe readable or time out */
	}
	errno = saved;
}

static void
on_crash(int sig)
{
	/* Only async-signal-safe calls: put the modes back, then die. */
	if (curses_on) {
		if (crash_reset_len > 0 &&
		    write(STDOUT_FILENO, crash_reset, crash_reset_len) < 0) {
			/* nothing more can be done */
		}
		if (saved_tio_ok)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
capture_reset(void)
{
	const char *caps[] = { "rmcup", "cnorm", "sgr0", "rmkx" };
	size_t i;

	crash_reset_len = 0;
	for (i = 0; i < FB_ARRAY_LEN(caps); i++) {
		char *s = tigetstr((char *)caps[i]);
		size_t n;

		if (s == NULL || s == (char *)-1)
			continue;
		n = strlen(s);
		if (crash_reset_len + n >= sizeof(crash_reset))
			break;
		memcpy(crash_reset + crash_reset_len, s, n);
		crash_reset_len += n;
	}
}

static int
install_signals(void)
{
	static const int gentle[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;
	size_t i;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return fb_err(FB_ERR_IO, "cannot create a pipe: %s",
		    strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	for (i = 0; i < FB_ARRAY_LEN(gentle); i++)
		sigaction(gentle[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < FB_ARRAY_LEN(crash); i++)
		sigaction(crash[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void
uninstall_signals(void)
{
	static const int all[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV,
	    SIGBUS, SIGFPE, SIGILL, SIGABRT };
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(all); i++)
		signal(all[i], SIG_DFL);
	if (sig_pipe[0] >= 0)
		close(sig_pipe[0]);
	if (sig_pipe[1] >= 0)
		close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

/* ---- colours ------------------------------------------------------------- */

static int color_attr[TUI_C__MAX];

static void
colors_init(struct tui *t)
{
	const char *nc = getenv("NO_COLOR");
	static const struct { int fg, bg, extra; } pairs[TUI_C__MAX] = {
		[TUI_C_NORMAL] = { -1, -1, 0 },
		[TUI_C_INFO] = { -1, -1, 0 },
		[TUI_C_LOW] = { COLOR_CYAN, -1, 0 },
		[TUI_C_MEDIUM] = { COLOR_YELLOW, -1, 0 },
		[TUI_C_HIGH] = { COLOR_RED, -1, 0 },
		[TUI_C_CRITICAL] = { COLOR_MAGENTA, -1, A_BOLD },
		[TUI_C_TITLE] = { COLOR_BLACK, COLOR_CYAN, 0 },
		[TUI_C_STATUS] = { COLOR_BLACK, COLOR_WHITE, 0 },
		[TUI_C_ERROR] = { COLOR_RED, -1, A_BOLD },
		[TUI_C_DIM] = { COLOR_BLUE, -1, 0 },
		[TUI_C_GOOD] = { COLOR_GREEN, -1, 0 },
	};
	/* Without colour: weight and reverse video carry the same meaning. */
	static const int mono[TUI_C__MAX] = {
		[TUI_C_HIGH] = A_BOLD, [TUI_C_CRITICAL] = A_BOLD | A_UNDERLINE,
		[TUI_C_TITLE] = A_REVERSE, [TUI_C_STATUS] = A_REVERSE,
		[TUI_C_ERROR] = A_BOLD, [TUI_C_DIM] = A_DIM,
	};
	int i;

	t->color = has_colors() && (nc == NULL || *nc == '\0');
	if (t->color) {
		start_color();
		use_default_colors();
	}
	for (i = 0; i < TUI_C__MAX; i++) {
		if (t->color && i > 0) {
			init_pair((short)i, (short)pairs[i].fg, (short)pairs[i].bg);
			color_attr[i] = COLOR_PAIR(i) | pairs[i].extra;
		} else
			color_attr[i] = mono[i];
	}
}

int
tui_attr(struct tui *t, int color)
{
	(void)t;
	return (unsigned)color < TUI_C__MAX ? color_attr[color] : 0;
}

int
tui_severity_color(int severity)
{
	switch (severity) {
	case 0: return TUI_C_INFO;
	case 1: return TUI_C_LOW;
	case 2: return TUI_C_MEDIUM;
	case 3: return TUI_C_HIGH;
	default: return TUI_C_CRITICAL;
	}
}

/* ---- messages ------------------------------------------------------------ */

void
tui_message(struct tui *t, int error, const char *fmt, ...)
{
	struct fb_buf b = FB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	fb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(t->message);
	t->message = fb_sanitize_str(b.data, 0);
	t->message_error = error;
	fb_buf_release(&b);
}

int
tui_error(struct tui *t, int rc)
{
	tui_message(t, 1, "error: %s", fb_errmsg(rc));
	fb_err_clear();
	return TUI_REDRAW;
}

/* ---- views ---------------------------------------------------------------- */

static void
view_free(struct tui_view *v)
{
	if (v == NULL)
		return;
	if (v->ops->close != NULL)
		v->ops->close(v);
	free(v->filter);
	free(v);
}

int
tui_view_push(struct tui *t, const struct tui_view_ops *ops, const char *arg)
{
	struct tui_view *v = xcalloc(1, sizeof(*v));
	int rc;

	v->ops = ops;
	if ((rc = ops->open(t, v, arg)) != 0 ||
	    (ops->reload != NULL && (rc = ops->reload(t, v)) != 0)) {
		view_free(v);
		return rc;
	}
	v->prev = t->view;
	t->view = v;
	return 0;
}

int
tui_view_switch(struct tui *t, const struct tui_view_ops *ops,
    const char *arg)
{
	struct tui_view *old = t->view;
	int rc;

	t->view = NULL;
	if ((rc = tui_view_push(t, ops, arg)) != 0) {
		t->view = old;
		return rc;
	}
	while (old != NULL) {
		struct tui_view *p = old->prev;
		view_free(old);
		old = p;
	}
	return 0;
}

static void
view_pop(struct tui *t)
{
	struct tui_view *v = t->view;

	t->view = v->prev;
	view_free(v);
	if (t->view != NULL && t->view->ops->reload != NULL) {
		int rc = t->view->ops->reload(t, t->view);
		if (rc != 0)
			tui_error(t, rc);
	}
}

/* The top-level views Tab cycles through. */
static const struct tui_view_ops *const top_views[] = {
	&tui_view_dashboard, &tui_view_findings, &tui_view_cases,
	&tui_view_audit, &tui_view_fleet, &tui_view_runs, &tui_view_playbooks,
};

static int
switch_top(struct tui *t, const struct tui_view_ops *ops)
{
	int rc;

	if (ops == &tui_view_cases && !t->has_cases) {
		tui_message(t, 1, "cases are not in this build yet");
		return TUI_REDRAW;
	}
	if ((rc = tui_view_switch(t, ops, NULL)) != 0)
		return tui_error(t, rc);
	return TUI_REDRAW;
}

static int
cycle_top(struct tui *t, int step)
{
	size_t i, n = FB_ARRAY_LEN(top_views), cur = 0;
	struct tui_view *root = t->view;

	while (root->prev != NULL)
		root = root->prev;
	for (i = 0; i < n; i++)
		if (top_views[i] == root->ops)
			cur = i;
	for (i = 1; i <= n; i++) {
		const struct tui_view_ops *o =
		    top_views[(cur + n + (size_t)step * i) % n];
		if (o == &tui_view_cases && !t->has_cases)
			continue;
		return switch_top(t, o);
	}
	return TUI_OK;
}

/* ---- the command line ----------------------------------------------------- */

static const struct {
	const char *name;
	const char *help;
} commands[] = {
	{ "dashboard", "the dashboard" },
	{ "findings", "the findings list" },
	{ "finding", "finding N: one finding" },
	{ "cases", "the cases list" },
	{ "case", "case N: one case" },
	{ "audit", "the audit log and chain status" },
	{ "fleet", "the fleet: hosts, GPUs and tenants" },
	{ "runs", "playbook runs" },
	{ "playbooks", "playbooks: pick, fill in, run" },
	{ "filter", "filter EXPR: filter this view" },
	{ "sort", "sort COLUMN: severity last_seen id" },
	{ "help", "the keys" },
	{ "quit", "leave the console" },
	{ "q", "leave the console" },
};

static void
complete(struct tui *t)
{
	const char *line = t->line.data, *match = NULL;
	size_t len = strlen(line), i, nmatch = 0, common = 0;
	struct fb_buf cands = FB_BUF_INIT;

	if (strchr(line, ' ') != NULL)
		return;
	for (i = 0; i < FB_ARRAY_LEN(commands); i++) {
		const char *c = commands[i].name;

		if (strncmp(c, line, len) != 0)
			continue;
		if (match == NULL) {
			match = c;
			common = strlen(c);
		} else {
			size_t k = 0;
			while (k < common && match[k] == c[k])
				k++;
			common = k;
		}
		fb_buf_addf(&cands, "%s%s", nmatch ? " " : "", c);
		nmatch++;
	}
	if (nmatch == 1) {
		fb_buf_reset(&t->line);
		fb_buf_addf(&t->line, "%s ", match);
	} else if (nmatch > 1) {
		fb_buf_reset(&t->line);
		fb_buf_add(&t->line, match, common);
		tui_message(t, 0, "%s", cands.data);
	} else
		tui_message(t, 1, "no command starts with '%s'", line);
	fb_buf_release(&cands);
}

static int
apply_filter(struct tui *t, const char *text)
{
	struct tui_view *v = t->view;
	int rc;

	if (v->ops->filter == NULL) {
		tui_message(t, 1, "this view has no filter");
		return TUI_REDRAW;
	}
	if ((rc = v->ops->filter(t, v, text)) != 0)
		return tui_error(t, rc);
	free(v->filter);
	v->filter = xstrdup(text);
	return TUI_REDRAW;
}

static int
run_command(struct tui *t, const char *line)
{
	char word[32];
	const char *arg;
	size_t n;

	while (*line == ' ')
		line++;
	n = strcspn(line, " ");
	if (n == 0)
		return TUI_REDRAW;
	snprintf(word, sizeof(word), "%.*s", (int)n, line);
	arg = line + n;
	while (*arg == ' ')
		arg++;
	if (strcmp(word, "q") == 0 || strcmp(word, "quit") == 0)
		return TUI_QUIT;
	if (strcmp(word, "dashboard") == 0)
		return switch_top(t, &tui_view_dashboard);
	if (strcmp(word, "findings") == 0) {
		int f = switch_top(t, &tui_view_findings);
		if (*arg != '\0')
			f |= apply_filter(t, arg);
		return f;
	}
	if (strcmp(word, "audit") == 0)
		return switch_top(t, &tui_view_audit);
	if (strcmp(word, "cases") == 0)
		return switch_top(t, &tui_view_cases);
	if (strcmp(word, "fleet") == 0)
		return switch_top(t, &tui_view_fleet);
	if (strcmp(word, "runs") == 0)
		return switch_top(t, &tui_view_runs);
	if (strcmp(word, "playbooks") == 0)
		return switch_top(t, &tui_view_playbooks);
	if (strcmp(word, "help") == 0) {
		int rc = tui_view_push(t, &tui_view_help, NULL);
		return rc ? tui_error(t, rc) : TUI_REDRAW;
	}
	if (strcmp(word, "finding") == 0 || strcmp(word, "case") == 0) {
		const struct tui_view_ops *ops = word[0] == 'f' ?
		    &tui_view_finding : &tui_view_case;
		const char *p = *arg == '#' ? arg + 1 : arg;
		int rc;

		if (*p < '0' || *p > '9' || strspn(p, "0123456789") != strlen(p)) {
			tui_message(t, 1, "usage: :%s N", word);
			return TUI_REDRAW;
		}
		if (ops == &tui_view_case && !t->has_cases) {
			tui_message(t, 1, "cases are not in this build yet");
			return TUI_REDRAW;
		}
		if ((rc = tui_view_push(t, ops, p)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	}
	if (strcmp(word, "filter") == 0)
		return apply_filter(t, arg);
	if (strcmp(word, "sort") == 0) {
		/* The view reads the column from its filter hook's sibling. */
		if (t->view->ops != &tui_view_findings) {
			tui_message(t, 1, "only the findings list sorts");
			return TUI_REDRAW;
		}
		return tui_findings_sort(t, t->view, arg);
	}
	tui_message(t, 1, "unknown command '%s' (Tab completes)", word);
	return TUI_REDRAW;
}

/* ---- prompts --------------------------------------------------------------- */

static void
prompt_open(struct tui *t, int kind, const char *label, const char *init)
{
	char *safe = fb_sanitize_str(label, 0);

	t->prompt = kind;
	snprintf(t->prompt_label, sizeof(t->prompt_label), "%s", safe);
	free(safe);
	fb_buf_reset(&t->line);
	if (init != NULL)
		fb_buf_addstr(&t->line, init);
	curs_set(kind == PROMPT_CONFIRM_YN ? 0 : 1);
}

static void
prompt_close(struct tui *t)
{
	t->prompt = PROMPT_NONE;
	fb_buf_reset(&t->line);
	curs_set(0);
}

static void
action_free(struct tui_action *a)
{
	if (a == NULL)
		return;
	free(a->answer);
	free(a->what);
	free(a->confirm_word);
	free(a->ids);
	free(a->reason);
	free(a->ask_init);
	free(a);
}

static void
action_confirm(struct tui *t)
{
	struct tui_action *a = t->action;
	char label[256];

	if (a->confirm_word != NULL) {
		snprintf(label, sizeof(label), "%s%s%s%s — type '%s' to confirm: ",
		    a->what, a->reason ? " (reason: " : "",
		    a->reason ? a->reason : "", a->reason ? ")" : "",
		    a->confirm_word);
		prompt_open(t, PROMPT_CONFIRM_WORD, label, NULL);
	} else {
		snprintf(label, sizeof(label), "%s%s%s%s? [y/N] ", a->what,
		    a->reason ? " (reason: " : "", a->reason ? a->reason : "",
		    a->reason ? ")" : "");
		prompt_open(t, PROMPT_CONFIRM_YN, label, NULL);
	}
}

/* "link 3 findings (#4 #7 #9) to case #2" from the verb and answer. */
static void
action_describe(struct tui_action *a)
{
	struct fb_buf b = FB_BUF_INIT;
	size_t i;

	if (a->what != NULL)
		return;
	if (a->describe != NULL) {
		a->describe(a);
		return;
	}
	fb_buf_addf(&b, "%s %zu finding%s (", a->verb ? a->verb : "change",
	    a->nids, a->nids == 1 ? "" : "s");
	for (i = 0; i < a->nids && i < 5; i++)
		fb_buf_addf(&b, "%s#%lld", i ? " " : "", (long long)a->ids[i]);
	if (a->nids > 5)
		fb_buf_addf(&b, " and %zu more", a->nids - 5);
	fb_buf_addch(&b, ')');
	if (a->ask == TUI_ASK_NUMBER)
		fb_buf_addf(&b, " to case #%lld", (long long)a->arg);
	else if (a->ask == TUI_ASK_TEXT)
		fb_buf_addf(&b, " titled '%s'", a->answer ? a->answer : "");
	a->what = fb_buf_detach(&b, NULL);
}

static void
action_next(struct tui *t, struct tui_action *a)
{
	char label[256];

	action_describe(a);
	if (a->need_reason) {
		snprintf(label, sizeof(label), "reason to %s%s: ", a->what,
		    a->need_reason == 1 ? " (optional)" : "");
		prompt_open(t, PROMPT_REASON, label, NULL);
	} else
		action_confirm(t);
}

void
tui_action_start(struct tui *t, struct tui_action *a)
{
	action_free(t->action);
	t->action = a;
	if (a->ask != TUI_ASK_NONE) {
		prompt_open(t, PROMPT_ASK, a->ask_label, a->ask_init);
		return;
	}
	action_next(t, a);
}

static int
action_run(struct tui *t)
{
	struct tui_action *a = t->action;
	int rc;

	t->action = NULL;
	prompt_close(t);
	rc = a->run(t, a, a->reason);
	action_free(a);
	if (rc != 0)
		return tui_error(t, rc);
	return TUI_RELOAD | TUI_REDRAW;
}

static char *saved_filter;

/* A key while a prompt is open. */
static int
prompt_key(struct tui *t, int isfn, wint_t wc)
{
	int kind = t->prompt;

	if (kind == PROMPT_CONFIRM_YN) {
		if (!isfn && (wc == 'y' || wc == 'Y'))
			return action_run(t);
		prompt_close(t);
		action_free(t->action);
		t->action = NULL;
		tui_message(t, 0, "cancelled: nothing changed");
		return TUI_REDRAW;
	}
	if ((!isfn && wc == 27)) {
		prompt_close(t);
		if (kind == PROMPT_FILTER) {
			int f;

			free(t->filter_pending);
			t->filter_pending = NULL;
			f = apply_filter(t, saved_filter ? saved_filter : "");
			free(saved_filter);
			saved_filter = NULL;
			return f;
		}
		if (t->action != NULL) {
			action_free(t->action);
			t->action = NULL;
			tui_message(t, 0, "cancelled: nothing changed");
		}
		return TUI_REDRAW;
	}
	if ((!isfn && (wc == '\n' || wc == '\r')) || (isfn && wc == KEY_ENTER)) {
		char *line = xstrdup(t->line.data);
		int f = TUI_REDRAW;

		switch (kind) {
		case PROMPT_COMMAND:
			prompt_close(t);
			f = run_command(t, line);
			break;
		case PROMPT_FILTER:
			prompt_close(t);
			free(saved_filter);
			saved_filter = NULL;
			free(t->filter_pending);
			t->filter_pending = NULL;
			f = apply_filter(t, line);
			break;
		case PROMPT_ASK: {
			struct tui_action *a = t->action;
			char *end;

			if (a->ask == TUI_ASK_NUMBER) {
				const char *p = line[0] == '#' ? line + 1 : line;
				long long v = strtoll(p, &end, 10);
				if (*p < '0' || *p > '9' || *end != '\0' || v <= 0) {
					tui_message(t, 1, "'%s' is not a case number; "
					    "Esc cancels", line);
					break;
				}
				a->arg = v;
			} else if (line[0] == '\0' && !a->ask_empty_ok) {
				tui_message(t, 1, "an answer is needed; Esc cancels");
				break;
			}
			free(a->answer);
			a->answer = xstrdup(line);
			if (a->ask_only)
				f = action_run(t);
			else
				action_next(t, a);
			break;
		}
		case PROMPT_REASON:
			if (t->action->need_reason == 2 && line[0] == '\0') {
				tui_message(t, 1, "a reason is required (it is "
				    "kept in the audit log); Esc cancels");
				break;
			}
			free(t->action->reason);
			t->action->reason = line[0] ? xstrdup(line) : NULL;
			action_confirm(t);
			break;
		case PROMPT_CONFIRM_WORD:
			if (strcmp(line, t->action->confirm_word) == 0)
				f = action_run(t);
			else {
				prompt_close(t);
				action_free(t->action);
				t->action = NULL;
				tui_message(t, 1, "not confirmed: nothing changed");
			}
			break;
		}
		free(line);
		return f;
	}
	if ((isfn && wc == KEY_BACKSPACE) || (!isfn && (wc == 127 || wc == 8))) {
		/* Drop one whole UTF-8 character. */
		size_t n = t->line.len;
		while (n > 0 && ((unsigned char)t->line.data[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
		fb_buf_setlen(&t->line, n);
	} else if (!isfn && wc == 21) {     /* Ctrl-U */
		fb_buf_reset(&t->line);
	} else if (!isfn && wc == '\t' && kind == PROMPT_COMMAND) {
		complete(t);
		return TUI_REDRAW;
	} else if (!isfn && iswprint(wc) && t->line.len < 1024) {
		char mb[MB_LEN_MAX];
		mbstate_t ps;
		size_t n;

		memset(&ps, 0, sizeof(ps));
		n = wcrtomb(mb, (wchar_t)wc, &ps);
		if (n != (size_t)-1)
			fb_buf_add(&t->line, mb, n);
	} else
		return TUI_OK;
	if (kind == PROMPT_FILTER) {
		/*
		 * Live: an edit that parses is applied when no key waits, and a
		 * key arriving stops it, so typing never waits for a scan.
		 */
		struct filter *f = NULL;
		int rc = filter_parse(t->line.data, &f);

		filter_free(f);
		if (rc != 0) {
			tui_message(t, 1, "%s", fb_errmsg(rc));
			fb_err_clear();
		} else {
			free(t->filter_pending);
			t->filter_pending = xstrdup(t->line.data);
			free(t->message);
			t->message = NULL;
		}
	}
	return TUI_REDRAW;
}

/* ---- drawing ---------------------------------------------------------------- */

static void
draw_title(struct tui *t)
{
	static const char *const names[] = { "1 Dashboard", "2 Findings",
	    "3 Cases", "4 Audit", "5 Fleet", "6 Runs", "7 Playbooks" };
	struct tui_view *root = t->view;
	int x = 0, i, attr = tui_attr(t, TUI_C_TITLE), want, compact;
	const char *info;

	while (root->prev != NULL)
		root = root->prev;
	/* When the tabs and the view's info do not fit, the later tabs
	 * (from 5) show only their digit unless current; when that is not
	 * enough, every tab but the current one does. */
	info = t->view->ops->info ? t->view->ops->info(t->view) : NULL;
	want = 11 + (info ? 2 + (int)strlen(info) : 0) + (t->view != root ?
	    4 + (int)strlen(t->view->ops->name) : 0);
	for (i = 0, compact = 0; i < (int)FB_ARRAY_LEN(names); i++) {
		want += 1 + (int)strlen(names[i]);
		compact += i >= 4 ? (int)strlen(names[i]) - 1 : 0;
	}
	compact = want > t->cols ? (want - compact > t->cols ? 2 : 1) : 0;
	x += tui_put(0, x, t->cols - x, " firebreak ", attr | A_BOLD, 0);
	for (i = 0; i < (int)FB_ARRAY_LEN(names) && x < t->cols; i++) {
		int cur = top_views[i] == root->ops;
		char digit[2] = { names[i][0], '\0' };

		if (top_views[i] == &tui_view_cases && !t->has_cases)
			continue;
		x += tui_put(0, x, t->cols - x, " ", attr, 0);
		x += tui_put(0, x, t->cols - x, compact && (i >= 4 ||
		    compact == 2) && !cur ?
		    digit : names[i],
		    cur ? (int)(attr | A_REVERSE | A_BOLD) : attr, 0);
	}
	if (t->view != root)
		x += tui_put(0, x, t->cols - x, t->view == NULL ? "" :
		    "  > ", attr, 0);
	if (t->view != root)
		x += tui_put(0, x, t->cols - x, t->view->ops->name, attr | A_BOLD, 0);
	if (info != NULL && x + 3 < t->cols)
		x += tui_put(0, x, t->cols - x, "  ", attr, 0),
		x += tui_put(0, x, t->cols - x, info, attr, 0);
	tui_clear_line(0, x, attr);
}

static void
draw_status(struct tui *t)
{
	int y = t->rows - 1, x = 0, attr = tui_attr(t, TUI_C_STATUS);
	char buf[256];

	if (t->prompt != PROMPT_NONE) {
		x = tui_put(y, 0, t->cols, t->prompt_label, A_BOLD, 0);
		if (t->prompt != PROMPT_CONFIRM_YN) {
			/* Show the end of a long line. */
			const char *s = t->line.data;
			int room = t->cols - x - 1;
			while ((int)fb_utf8_width(s) > room && *s) {
				s++;
				while (((unsigned char)*s & 0xc0) == 0x80)
					s++;
			}
			x += tui_put(y, x, room, s, 0, 0);
		}
		tui_clear_line(y, x, 0);
		move(y, x);
		return;
	}
	if (t->message != NULL) {
		x = tui_put(y, 0, t->cols, t->message,
		    t->message_error ? tui_attr(t, TUI_C_ERROR) : (int)A_BOLD, 0);
		tui_clear_line(y, x, 0);
		return;
	}
	{
		char *ws = tui_safe(store_dir(t->store));
		snprintf(buf, sizeof(buf), " %s  %lld findings  refreshed %s  "
		    "? help  : command", ws, (long long)t->total, t->refreshed);
		free(ws);
	}
	x = tui_put(y, 0, t->cols, buf, attr, 0);
	tui_clear_line(y, x, attr);
}

static void
draw(struct tui *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
	draw_title(t);
	if (t->rows > 2)
		t->view->ops->draw(t, t->view, 1, t->rows - 2);
	draw_status(t);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- the loop ---------------------------------------------------------------- */

static int
count_total(void *ctx, int severity, const char *status, int64_t n)
{
	(void)severity;
	(void)status;
	*(int64_t *)ctx += n;
	return 0;
}

static int
load_totals(struct tui *t)
{
	time_t now = time(NULL);
	struct tm tm;

	t->total = 0;
	gmtime_r(&now, &tm);
	strftime(t->refreshed, sizeof(t->refreshed), "%H:%M:%SZ", &tm);
	return store_finding_counts(t->store, count_total, &t->total);
}

static int
reload(struct tui *t)
{
	int rc;

	if ((rc = load_totals(t)) != 0)
		return rc;
	if (t->view->ops->reload != NULL)
		return t->view->ops->reload(t, t->view);
	return 0;
}

static int
key_request(struct tui *t, enum tui_req r)
{
	struct tui_view *v = t->view;
	int f, rc;

	f = v->ops->request ? v->ops->request(t, v, r) : TUI_UNHANDLED;
	if (!(f & TUI_UNHANDLED))
		return f;
	switch (r) {
	case TUI_REQ_BACK:
		if (v->prev == NULL)
			return TUI_QUIT;
		return TUI_CLOSE;
	case TUI_REQ_QUIT:
		return TUI_QUIT;
	case TUI_REQ_HELP:
		if ((rc = tui_view_push(t, &tui_view_help, NULL)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	case TUI_REQ_PROMPT:
		prompt_open(t, PROMPT_COMMAND, ":", NULL);
		return TUI_REDRAW;
	case TUI_REQ_FILTER:
		if (v->ops->filter == NULL) {
			tui_message(t, 1, "this view has no filter");
			return TUI_REDRAW;
		}
		free(saved_filter);
		saved_filter = v->filter ? xstrdup(v->filter) : NULL;
		prompt_open(t, PROMPT_FILTER, "/", v->filter);
		return TUI_REDRAW;
	case TUI_REQ_NEXT_TAB:
		return cycle_top(t, 1);
	case TUI_REQ_PREV_TAB:
		return cycle_top(t, -1);
	case TUI_REQ_REFRESH:
		clearok(curscr, TRUE);
		return TUI_RELOAD | TUI_REDRAW;
	case TUI_REQ_VIEW_DASHBOARD:
		return switch_top(t, &tui_view_dashboard);
	case TUI_REQ_VIEW_FINDINGS:
		return switch_top(t, &tui_view_findings);
	case TUI_REQ_VIEW_CASES:
		return switch_top(t, &tui_view_cases);
	case TUI_REQ_VIEW_AUDIT:
		return switch_top(t, &tui_view_audit);
	case TUI_REQ_VIEW_FLEET:
		return switch_top(t, &tui_view_fleet);
	case TUI_REQ_VIEW_RUNS:
		return switch_top(t, &tui_view_runs);
	case TUI_REQ_VIEW_PLAYBOOKS:
		return switch_top(t, &tui_view_playbooks);
	case TUI_REQ_NONE:
		return TUI_OK;
	default:
		tui_message(t, 1, "'%s' does not apply here", tui_req_help(r));
		return TUI_REDRAW;
	}
}

static int
handle_key(struct tui *t, int isfn, wint_t wc)
{
	enum tui_req r;

	if (isfn && wc == KEY_RESIZE)
		return TUI_RELOAD | TUI_REDRAW;
	if (t->prompt != PROMPT_NONE)
		return prompt_key(t, isfn, wc);
	/* A keystroke clears an old message. */
	free(t->message);
	t->message = NULL;
	if ((r = tui_key_request((int)wc, isfn)) == TUI_REQ_NONE)
		return TUI_REDRAW;
	return key_request(t, r);
}

static void
trace_frame(struct tui *t, const char *what, double t0, double tdraw)
{
	double end = tui_now_ms();

	if (t->trace == NULL)
		return;
	fprintf(t->trace, "frame key=%s fetch_ms=%.2f draw_ms=%.2f "
	    "total_ms=%.2f\n", what, t->frame_fetch_ms, end - tdraw, end - t0);
	fflush(t->trace);
}

static int
input_waiting(void *ctx)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sig_pipe[0], .events = POLLIN },
	};

	(void)ctx;
	return poll(pfd, 2, 0) > 0;
}

/*
 * Work done while no key waits: a filter typed after / and the view's own
 * (a count). A key arriving interrupts it; it is tried again later.
 */
static int
idle(struct tui *t, char *what, size_t n)
{
	struct tui_view *v = t->view;
	int flags = 0, rc;

	if (input_waiting(NULL))
		return 0;
	t->intr.check = input_waiting;
	store_interrupt_set(t->store, &t->intr);
	if (t->filter_pending != NULL && v->ops->filter != NULL) {
		rc = v->ops->filter(t, v, t->filter_pending);
		if (rc != 0 && t->intr.fired)
			fb_err_clear();
		else {
			if (rc != 0)
				tui_error(t, rc);
			else {
				free(v->filter);
				v->filter = t->filter_pending;
				t->filter_pending = NULL;
			}
			free(t->filter_pending);
			t->filter_pending = NULL;
			flags |= TUI_REDRAW;
			snprintf(what, n, "filter");
		}
	}
	if (t->filter_pending == NULL && !input_waiting(NULL) &&
	    v->ops->idle != NULL) {
		int f = v->ops->idle(t, v);
		if (t->intr.fired)
			fb_err_clear();
		else if (f & TUI_REDRAW) {
			flags |= TUI_REDRAW;
			if (what[0] == '\0')
				snprintf(what, n, "idle");
		}
	}
	store_interrupt_set(t->store, NULL);
	return flags;
}

static int
loop(struct tui *t)
{
	double last_check = tui_now_ms();

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
		};
		int flags = 0, n, rc;
		char what[32] = "";
		double t0;

		n = poll(pfd, 2, TICK_MS);
		if (n < 0 && errno != EINTR)
			return fb_err(FB_ERR_IO, "poll: %s", strerror(errno));
		t0 = tui_now_ms();
		t->frame_fetch_ms = 0;
		if (n > 0 && (pfd[1].revents & POLLIN)) {
			unsigned char sig;
			if (read(sig_pipe[0], &sig, 1) == 1)
				return 128 + sig;
		}
		if (n > 0 && (pfd[0].revents & (POLLHUP | POLLERR)))
			return 0;
		/* Keys (and KEY_RESIZE after SIGWINCH interrupted poll). */
		for (;;) {
			wint_t wc;
			int r = get_wch(&wc);

			if (r == ERR)
				break;
			if (what[0] == '\0') {
				const char *nm = tui_key_name((int)wc);
				if (r == KEY_CODE_YES && wc == KEY_RESIZE)
					nm = "resize";
				if (nm != NULL)
					snprintf(what, sizeof(what), "%s", nm);
				else if (wc < 128 && wc > 32)
					snprintf(what, sizeof(what), "%c", (int)wc);
				else
					snprintf(what, sizeof(what), "0x%x",
					    (unsigned)wc);
			}
			flags |= handle_key(t, r == KEY_CODE_YES, wc);
			if (flags & TUI_QUIT)
				return 0;
			if (flags & TUI_CLOSE) {
				view_pop(t);
				flags &= ~TUI_CLOSE;
				flags |= TUI_REDRAW;
			}
		}
		/* Another process wrote the store: read again, keep places. */
		if (t0 - last_check >= TICK_MS || (flags & TUI_RELOAD)) {
			int64_t dv;

			last_check = t0;
			if ((rc = store_data_version(t->store, &dv)) == 0 &&
			    dv != t->data_version) {
				t->data_version = dv;
				flags |= TUI_RELOAD | TUI_REDRAW;
				if (what[0] == '\0')
					snprintf(what, sizeof(what), "refresh");
			}
		}
		if (flags & TUI_RELOAD) {
			getmaxyx(stdscr, t->rows, t->cols);
			if ((rc = reload(t)) != 0)
				tui_error(t, rc);
		}
		if (flags & (TUI_REDRAW | TUI_RELOAD)) {
			double td = tui_now_ms();
			draw(t);
			if (what[0] != '\0')
				trace_frame(t, what, t0, td);
		}
		/* Then, unless a key already waits, the work that can wait. */
		what[0] = '\0';
		t0 = tui_now_ms();
		t->frame_fetch_ms = 0;
		if (idle(t, what, sizeof(what)) & TUI_REDRAW) {
			double td = tui_now_ms();
			draw(t);
			trace_frame(t, what, t0, td);
		}
	}
}

int
tui_run(struct store *s, const char *view)
{
	struct tui t;
	const char *tr = getenv("FIREBREAK_TRACE");
	const struct tui_view_ops *first = &tui_view_dashboard;
	int rc, status = 0;
	double t0 = start_ms >= 0 ? start_ms : tui_now_ms(), td;
	struct rusage ru;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return fb_err(FB_ERR_USAGE, "the console needs a terminal "
		    "(try 'firebreak finding ls')");
	memset(&t, 0, sizeof(t));
	fb_buf_init(&t.line);
	t.store = s;
	if ((rc = store_console_tune(s)) != 0)
		return rc;
	if (tr != NULL && *tr != '\0' && (t.trace = fopen(tr, "a")) == NULL)
		return fb_err(FB_ERR_IO, "cannot open FIREBREAK_TRACE '%s': %s",
		    tr, strerror(errno));
	if (view != NULL) {
		if (strcmp(view, "findings") == 0)
			first = &tui_view_findings;
		else if (strcmp(view, "audit") == 0)
			first = &tui_view_audit;
		else if (strcmp(view, "cases") == 0)
			first = &tui_view_cases;
		else if (strcmp(view, "fleet") == 0)
			first = &tui_view_fleet;
		else if (strcmp(view, "runs") == 0)
			first = &tui_view_runs;
		else if (strcmp(view, "playbooks") == 0)
			first = &tui_view_playbooks;
		else if (strcmp(view, "dashboard") != 0) {
			if (t.trace)
				fclose(t.trace);
			return fb_err(FB_ERR_USAGE, "no view '%s' (dashboard, "
			    "findings, cases, audit, fleet, runs, playbooks)", view);
		}
	}
	t.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	t.has_cases = tui_view_cases.open != NULL &&
	    tui_view_cases.reload != NULL;
	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
		saved_tio_ok = 1;
	if ((rc = install_signals()) != 0)
		return rc;
	fb_fatal_hook_set(restore);
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	if (initscr() == NULL) {
		uninstall_signals();
		return fb_err(FB_ERR_IO, "cannot start the terminal");
	}
	curses_on = 1;
	capture_reset();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	colors_init(&t);
	getmaxyx(stdscr, t.rows, t.cols);
	store_data_version(s, &t.data_version);

	if ((rc = tui_view_push(&t, first, NULL)) == 0 &&
	    (rc = load_totals(&t)) == 0) {
		td = tui_now_ms();
		draw(&t);
		if (t.trace != NULL) {
			fprintf(t.trace, "open view=%s open_ms=%.2f draw_ms=%.2f\n",
			    first->name, tui_now_ms() - t0, tui_now_ms() - td);
			fflush(t.trace);
		}
		status = loop(&t);
		if (status < 0)
			rc = status;
	}
	restore();
	fb_fatal_hook_set(NULL);
	uninstall_signals();
	while (t.view != NULL) {
		struct tui_view *p = t.view->prev;
		view_free(t.view);
		t.view = p;
	}
	action_free(t.action);
	free(t.filter_pending);
	free(saved_filter);
	saved_filter = NULL;
	free(t.message);
	fb_buf_release(&t.line);
	if (t.trace != NULL) {
		getrusage(RUSAGE_SELF, &ru);
		fprintf(t.trace, "exit rss_peak_kb=%ld\n", ru.ru_maxrss);
		fclose(t.trace);
	}
	/* A signal ends the process as the signal would, after cleanup. */
	if (rc == 0 && status > 128) {
		signal(status - 128, SIG_DFL);
		raise(status - 128);
	}
	return rc;
}
