/* filter.c: parsing the shared filter grammar (see filter.h). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "filter/filter.h"

#define FILTER_MAX_TERMS 64
#define FILTER_MAX_LEN 4096

static const char *const sev_names[] = {
	"info", "low", "medium", "high", "critical",
};

int
filter_severity_rank(const char *name)
{
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(sev_names); i++)
		if (strcasecmp(name, sev_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
filter_severity_name(int rank)
{
	return rank >= 0 && rank < (int)FB_ARRAY_LEN(sev_names) ?
	    sev_names[rank] : "info";
}

int
filter_severity_parse(const char *name)
{
	static const struct {
		const char *alias;
		int rank;
	} aliases[] = {
		{ "none", 0 }, { "negligible", 0 }, { "unknown", 0 },
		{ "informational", 0 }, { "note", 1 }, { "minor", 1 },
		{ "moderate", 2 }, { "warning", 2 }, { "warn", 2 },
		{ "error", 3 }, { "important", 3 }, { "major", 3 },
		{ "severe", 3 }, { "crit", 4 },
	};
	int r = filter_severity_rank(name);
	size_t i;

	if (r >= 0)
		return r;
	for (i = 0; i < FB_ARRAY_LEN(aliases); i++)
		if (strcasecmp(name, aliases[i].alias) == 0)
			return aliases[i].rank;
	return -1;
}

static const struct {
	const char *name;
	enum filter_field field;
} fields[] = {
	{ "id", FILTER_F_ID },
	{ "severity", FILTER_F_SEVERITY },
	{ "sev", FILTER_F_SEVERITY },
	{ "status", FILTER_F_STATUS },
	{ "source", FILTER_F_SOURCE },
	{ "kind", FILTER_F_KIND },
	{ "rule", FILTER_F_RULE },
	{ "rule_id", FILTER_F_RULE },
	{ "title", FILTER_F_TITLE },
	{ "fingerprint", FILTER_F_FINGERPRINT },
	{ "case", FILTER_F_CASE },
	{ "scope", FILTER_F_SCOPE },
	{ "since", FILTER_F_SINCE },
	{ "until", FILTER_F_UNTIL },
};

/* Findings' statuses, then the states only cases have (case ls). */
static const char *const statuses[] = {
	"open", "acknowledged", "resolved", "false_positive",
	"contained", "eradicated", "recovered", "closed",
};

void
filter_free(struct filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->terms[i].value);
		free(f->terms[i].asset_type);
	}
	free(f->terms);
	free(f->text);
	free(f);
}

/* Next whitespace-separated token, honouring "double quotes" anywhere. */
static int
next_token(const char **pp, struct fb_buf *tok)
{
	const char *p = *pp;
	int quoted = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	fb_buf_reset(tok);
	for (; *p != '\0'; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (*p == ' ' || *p == '\t'))
			break;
		if (*p == '\\' && quoted && (p[1] == '"' || p[1] == '\\'))
			p++;
		fb_buf_addch(tok, *p);
	}
	if (quoted)
		return fb_err(FB_ERR_INVAL, "unterminated quote in filter");
	*pp = p;
	return 1;
}

static int
parse_time_value(const char *v, enum filter_field f, int64_t *out)
{
	int64_t secs;

	if (fb_duration_parse(v, &secs) == 0) {
		*out = fb_time_now() - secs;
		return 0;
	}
	if (fb_time_parse(v, out, NULL) == 0)
		return 0;
	return fb_err(FB_ERR_INVAL, "'%s=%s': expected a duration (2h, 7d) "
	    "or an RFC 3339 time", f == FILTER_F_SINCE ? "since" : "until", v);
}

static int
parse_term(const char *tok, struct filter_term *t)
{
	static const struct {
		const char *s;
		enum filter_op op;
	} ops[] = {
		{ "!=", FILTER_NE }, { ">=", FILTER_GE }, { "<=", FILTER_LE },
		{ "=", FILTER_EQ }, { ">", FILTER_GT }, { "<", FILTER_LT },
	};
	size_t klen = strcspn(tok, "=!<>:");
	const char *rest = tok + klen, *v = NULL;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (*rest == '\0' || klen == 0) {
		t->field = FILTER_F_TEXT;
		t->value = xstrdup(tok);
		return 0;
	}
	if (*rest == ':') {
		for (i = 0; i < klen; i++)
			if (!isalnum((unsigned char)tok[i]) && tok[i] != '_' &&
			    tok[i] != '-')
				return fb_err(FB_ERR_INVAL, "bad asset type in "
				    "'%s'", tok);
		if (rest[1] == '\0')
			return fb_err(FB_ERR_INVAL, "'%s' needs a value after "
			    "the colon", tok);
		t->field = FILTER_F_ASSET;
		t->asset_type = xstrndup(tok, klen);
		for (i = 0; t->asset_type[i]; i++)
			t->asset_type[i] = (char)tolower((unsigned char)t->asset_type[i]);
		t->value = xstrdup(rest + 1);
		t->glob = strpbrk(t->value, "*?") != NULL;
		return 0;
	}
	for (i = 0; i < FB_ARRAY_LEN(ops); i++) {
		size_t n = strlen(ops[i].s);
		if (strncmp(rest, ops[i].s, n) == 0) {
			t->op = ops[i].op;
			v = rest + n;
			break;
		}
	}
	if (v == NULL)
		return fb_err(FB_ERR_INVAL, "bad operator in '%s'", tok);
	for (i = 0; i < FB_ARRAY_LEN(fields); i++)
		if (strlen(fields[i].name) == klen &&
		    strncasecmp(tok, fields[i].name, klen) == 0)
			break;
	if (i == FB_ARRAY_LEN(fields))
		return fb_err(FB_ERR_INVAL, "unknown filter field '%.*s' in "
		    "'%s' (fields: id severity status source kind rule title "
		    "fingerprint case scope since until, or TYPE:VALUE)",
		    (int)klen, tok, tok);
	t->field = fields[i].field;
	if (*v == '\0')
		return fb_err(FB_ERR_INVAL, "'%s' needs a value", tok);
	t->value = xstrdup(v);
	t->glob = strpbrk(v, "*?") != NULL;
	switch (t->field) {
	case FILTER_F_SEVERITY:
		if ((t->num = filter_severity_parse(v)) < 0)
			return fb_err(FB_ERR_INVAL, "unknown severity '%s' "
			    "(info, low, medium, high, critical)", v);
		t->glob = 0;
		break;
	case FILTER_F_ID:
	case FILTER_F_CASE: {
		char *end;
		const char *num = v[0] == '#' ? v + 1 : v;
		t->num = strtoll(num, &end, 10);
		if (!isdigit((unsigned char)*num) || *end != '\0')
			return fb_err(FB_ERR_INVAL, "'%s' needs a number", tok);
		t->glob = 0;
		break;
	}
	case FILTER_F_SINCE:
	case FILTER_F_UNTIL:
		if (t->op != FILTER_EQ)
			return fb_err(FB_ERR_INVAL, "'%s': use since=... or "
			    "until=...", tok);
		t->glob = 0;
		return parse_time_value(v, t->field, &t->num);
	case FILTER_F_STATUS:
		if (!t->glob) {
			for (i = 0; i < FB_ARRAY_LEN(statuses); i++)
				if (strcasecmp(v, statuses[i]) == 0 ||
				    (strcasecmp(v, "fp") == 0 && i == 3) ||
				    (strcasecmp(v, "ack") == 0 && i == 1))
					break;
			if (i == FB_ARRAY_LEN(statuses))
				return fb_err(FB_ERR_INVAL, "unknown status "
				    "'%s' (open, acknowledged, resolved, "
				    "false_positive; for cases also contained, "
				    "eradicated, recovered, closed)", v);
			free(t->value);
			t->value = xstrdup(statuses[i]);
		}
		break;
	default:
		break;
	}
	if (t->op != FILTER_EQ && t->op != FILTER_NE &&
	    t->field != FILTER_F_SEVERITY && t->field != FILTER_F_ID &&
	    t->field != FILTER_F_CASE)
		return fb_err(FB_ERR_INVAL, "'%s': only = and != apply to "
		    "this field", tok);
	return 0;
}

int
filter_parse(const char *src, struct filter **out)
{
	struct filter *f;
	struct fb_buf tok = FB_BUF_INIT, norm = FB_BUF_INIT;
	const char *p = src != NULL ? src : "";
	int rc = 0, r;

	if (strlen(p) > FILTER_MAX_LEN)
		return fb_err(FB_ERR_INVAL, "filter longer than %d bytes",
		    FILTER_MAX_LEN);
	f = xcalloc(1, sizeof(*f));
	while ((r = next_token(&p, &tok)) > 0) {
		if (f->n == FILTER_MAX_TERMS) {
			rc = fb_err(FB_ERR_INVAL, "more than %d filter terms",
			    FILTER_MAX_TERMS);
			break;
		}
		f->terms = xrealloc(f->terms, (f->n + 1) * sizeof(*f->terms));
		if ((rc = parse_term(tok.data, &f->terms[f->n])) != 0) {
			free(f->terms[f->n].value);
			free(f->terms[f->n].asset_type);
			break;
		}
		f->n++;
		if (norm.len)
			fb_buf_addch(&norm, ' ');
		if (strchr(tok.data, ' ') != NULL) {
			/* keep the key/op outside the quotes, value inside */
			fb_buf_addch(&norm, '"');
			fb_buf_addstr(&norm, tok.data);
			fb_buf_addch(&norm, '"');
		} else
			fb_buf_addstr(&norm, tok.data);
	}
	if (r < 0)
		rc = r;
	fb_buf_release(&tok);
	if (rc != 0) {
		fb_buf_release(&norm);
		filter_free(f);
		return rc;
	}
	f->text = fb_buf_detach(&norm, NULL);
	*out = f;
	return 0;
}
