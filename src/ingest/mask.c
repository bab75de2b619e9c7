/*
 * mask.c: credentials found in reports are masked before anything is
 * stored. The patterns run over raw JSON text, so a match never spans a
 * closing quote and the replacement is plain ASCII: JSON stays valid.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

static const char *const patterns[] = {
	/* PEM private keys (newlines appear as \n inside JSON strings) */
	"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[^\"]*?-----END [A-Z0-9 ]*PRIVATE KEY-----",
	"\\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\\b",      /* AWS key ids */
	"\\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}",            /* OpenAI/Anthropic */
	"\\bgh[pousr]_[A-Za-z0-9]{30,}\\b",                   /* GitHub */
	"\\bgithub_pat_[A-Za-z0-9_]{30,}\\b",
	"\\bhf_[A-Za-z0-9]{30,}\\b",                          /* Hugging Face */
	"\\bxox[abprs]-[A-Za-z0-9-]{10,}",                    /* Slack */
	"\\bglpat-[A-Za-z0-9_-]{20,}",                        /* GitLab */
	"\\bAIza[0-9A-Za-z_-]{35}\\b",                        /* Google API */
	"(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]{16,}",           /* HTTP bearer */
	"\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}", /* JWT */
	/* "password": "...", "api_key": "..." and friends: the value only */
	"(?i)\"(?:password|passwd|secret|api_key|apikey|access_token|"
	"auth_token|client_secret|private_key|secret_key|token)\"\\s*:\\s*\"\\K"
	"(?:[^\"\\\\]|\\\\.){4,}(?=\")",
};

static pcre2_code *compiled[sizeof(patterns) / sizeof(patterns[0])];
static pcre2_match_data *md;

static void
mask_init(void)
{
	size_t i;
	int err;
	PCRE2_SIZE off;

	if (md != NULL)
		return;
	for (i = 0; i < FB_ARRAY_LEN(patterns); i++) {
		compiled[i] = pcre2_compile((PCRE2_SPTR)patterns[i],
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_NO_UTF_CHECK |
		    PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
		if (compiled[i] == NULL)
			fatal("secret pattern %zu does not compile at %zu", i,
			    (size_t)off);
		pcre2_jit_compile(compiled[i], PCRE2_JIT_COMPLETE);
	}
	md = pcre2_match_data_create(4, NULL);
	if (md == NULL)
		fatal("out of memory");
}

/* The masked form: four characters kept, the rest starred, length hidden. */
static void
add_masked(struct fb_buf *out, const char *s, size_t n, int prefix)
{
	size_t keep = prefix && n > 12 ? 4 : 0, i;

	for (i = 0; i < keep; i++)
		fb_buf_addch(out, s[i] == '"' || s[i] == '\\' ? '*' : s[i]);
	fb_buf_addstr(out, "****[masked]");
}

struct span {
	size_t start, end;
};

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int
ingest_mask(const char *text, size_t len, const char *const *extra,
    size_t nextra, struct fb_buf *out)
{
	struct span *spans = NULL;
	size_t nspans = 0, cap = 0, i, pos;

	mask_init();
	for (i = 0; i < FB_ARRAY_LEN(patterns); i++) {
		PCRE2_SIZE start = 0;

		while (start < len) {
			int rc = pcre2_match(compiled[i], (PCRE2_SPTR)text, len,
			    start, 0, md, NULL);
			PCRE2_SIZE *ov;

			if (rc < 0)
				break;
			ov = pcre2_get_ovector_pointer(md);
			if (ov[1] <= ov[0]) {
				start = ov[0] + 1;
				continue;
			}
			if (nspans == cap) {
				cap = cap ? cap * 2 : 8;
				spans = xrealloc(spans, cap * sizeof(*spans));
			}
			spans[nspans++] = (struct span){ ov[0], ov[1] };
			start = ov[1];
		}
	}
	for (i = 0; i < nextra; i++) {
		size_t n = extra[i] ? strlen(extra[i]) : 0;
		const char *p = text;

		if (n < 4)
			continue;
		while ((p = memmem(p, len - (size_t)(p - text), extra[i], n))) {
			if (nspans == cap) {
				cap = cap ? cap * 2 : 8;
				spans = xrealloc(spans, cap * sizeof(*spans));
			}
			spans[nspans++] = (struct span){ (size_t)(p - text),
			    (size_t)(p - text) + n };
			p += n;
		}
	}
	fb_buf_reset(out);
	if (nspans == 0) {
		fb_buf_add(out, text, len);
		free(spans);
		return 0;
	}
	qsort(spans, nspans, sizeof(*spans), span_cmp);
	pos = 0;
	for (i = 0; i < nspans; i++) {
		size_t st = spans[i].start, en = spans[i].end;

		int prefix = 1;

		if (en <= pos)
			continue;
		if (st < pos) {
			st = pos;
			prefix = 0;
		}
		fb_buf_add(out, text + pos, st - pos);
		add_masked(out, text + st, en - st, prefix);
		pos = en;
	}
	fb_buf_add(out, text + pos, len - pos);
	free(spans);
	return 1;
}
