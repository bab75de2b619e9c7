/*
 * redact.c: secrets and personal data replaced by "[REDACTED:kind]" with
 * PCRE2 (JIT when available). Patterns run one after another over the
 * whole text, so an earlier kind (a JWT) is not counted again by a later
 * one (a bearer token). Text is handled as bytes; counts, never values,
 * leave this file.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "evidence/evidence.h"

struct kind {
	const char *name;
	const char *re;
	int flag;           /* EVIDENCE_REDACT_* that enables it */
	int luhn;           /* digits must pass a Luhn check */
};

static const struct kind kinds[] = {
	{ "private_key", "-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
	    "[\\s\\S]{0,65535}?-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?"
	    "-----", EVIDENCE_REDACT, 0 },
	{ "url_password", "(?<=://)[^/\\s:@\"'<>]{1,256}:[^/\\s@\"'<>]{1,256}"
	    "(?=@)", EVIDENCE_REDACT, 0 },
	{ "jwt", "\\beyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\."
	    "[A-Za-z0-9_-]{10,}", EVIDENCE_REDACT, 0 },
	{ "bearer_token", "(?i)\\bbearer[ \\t]+[A-Za-z0-9._~+/-]{8,}=*",
	    EVIDENCE_REDACT, 0 },
	{ "aws_access_key", "\\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\\b",
	    EVIDENCE_REDACT, 0 },
	{ "aws_secret_key", "(?i)aws_?secret_?access_?key[\"']?[ \\t]*[=:]"
	    "[ \\t]*[\"']?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
	    EVIDENCE_REDACT, 0 },
	{ "gcp_api_key", "\\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])",
	    EVIDENCE_REDACT, 0 },
	{ "azure_key", "(?i)(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{40,}"
	    "={0,2}", EVIDENCE_REDACT, 0 },
	{ "github_token", "\\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_"
	    "[A-Za-z0-9_]{22,255})\\b", EVIDENCE_REDACT, 0 },
	{ "huggingface_token", "\\bhf_[A-Za-z0-9]{34,40}\\b",
	    EVIDENCE_REDACT, 0 },
	{ "openai_key", "\\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
	    EVIDENCE_REDACT, 0 },
	{ "card_number", "\\b(?:[0-9][ -]?){12,18}[0-9]\\b", EVIDENCE_REDACT,
	    1 },
	{ "email", "\\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\."
	    "[A-Za-z0-9-]{1,63})*\\.[A-Za-z]{2,24}\\b", EVIDENCE_REDACT, 0 },
	{ "ipv4", "\\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}"
	    "(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\b(?!\\.[0-9])",
	    EVIDENCE_REDACT_IPV4, 0 },
};

struct evidence_redactor {
	pcre2_code *re[FB_ARRAY_LEN(kinds)];
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int on[FB_ARRAY_LEN(kinds)];
};

const char *
evidence_redact_kind_name(int k)
{
	return k >= 0 && (size_t)k < FB_ARRAY_LEN(kinds) ? kinds[k].name : NULL;
}

int
evidence_redactor_new(int flags, struct evidence_redactor **out)
{
	struct evidence_redactor *r = xcalloc(1, sizeof(*r));
	PCRE2_SIZE off;
	size_t i;
	int err;

	_Static_assert(FB_ARRAY_LEN(kinds) <= EVIDENCE_REDACT_KINDS,
	    "too many redaction kinds");
	for (i = 0; i < FB_ARRAY_LEN(kinds); i++) {
		r->on[i] = (flags & kinds[i].flag) != 0;
		r->re[i] = pcre2_compile((PCRE2_SPTR)kinds[i].re,
		    PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
		if (r->re[i] == NULL) {
			evidence_redactor_free(r);
			return fb_err(FB_ERR_INTERNAL, "redaction pattern '%s' "
			    "does not compile at %zu", kinds[i].name,
			    (size_t)off);
		}
		(void)pcre2_jit_compile(r->re[i], PCRE2_JIT_COMPLETE);
	}
	r->md = pcre2_match_data_create(4, NULL);
	r->mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(r->mc, 10000000);
	*out = r;
	return 0;
}

void
evidence_redactor_free(struct evidence_redactor *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < FB_ARRAY_LEN(kinds); i++)
		pcre2_code_free(r->re[i]);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mc);
	free(r);
}

static int
luhn_ok(const char *p, size_t n)
{
	int sum = 0, dbl = 0, digits = 0, d;
	size_t i;

	for (i = n; i-- > 0;) {
		if (p[i] < '0' || p[i] > '9')
			continue;
		d = p[i] - '0';
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
		dbl = !dbl;
		digits++;
	}
	return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

/* One pattern over in, into out. */
static int
pass(struct evidence_redactor *r, size_t k, const char *in, size_t n,
    struct fb_buf *out, int64_t *count)
{
	PCRE2_SIZE start = 0, *ov;
	int m;

	while (start <= n) {
		m = pcre2_match(r->re[k], (PCRE2_SPTR)in, n, start, 0, r->md,
		    r->mc);
		if (m == PCRE2_ERROR_NOMATCH)
			break;
		if (m < 0)
			return fb_err(FB_ERR_LIMIT, "redaction of %s gave up "
			    "(pattern limit)", kinds[k].name);
		ov = pcre2_get_ovector_pointer(r->md);
		if (ov[1] <= ov[0]) { /* empty match: step on */
			if (ov[0] >= n)
				break;
			fb_buf_add(out, in + start, ov[0] + 1 - start);
			start = ov[0] + 1;
			continue;
		}
		if (kinds[k].luhn && !luhn_ok(in + ov[0], ov[1] - ov[0])) {
			fb_buf_add(out, in + start, ov[1] - start);
			start = ov[1];
			continue;
		}
		fb_buf_add(out, in + start, ov[0] - start);
		fb_buf_addf(out, "[REDACTED:%s]", kinds[k].name);
		(*count)++;
		start = ov[1];
	}
	if (start < n)
		fb_buf_add(out, in + start, n - start);
	return 0;
}

int
evidence_redact(struct evidence_redactor *r, const char *in, size_t n,
    struct fb_buf *out, int64_t counts[EVIDENCE_REDACT_KINDS])
{
	struct fb_buf a = FB_BUF_INIT, b = FB_BUF_INIT, t;
	size_t k;
	int rc = 0;

	fb_buf_add(&a, in, n);
	for (k = 0; k < FB_ARRAY_LEN(kinds); k++) {
		if (!r->on[k])
			continue;
		fb_buf_reset(&b);
		if ((rc = pass(r, k, a.data, a.len, &b, &counts[k])) != 0)
			goto out;
		t = a;
		a = b;
		b = t;
	}
	fb_buf_add(out, a.data, a.len);
out:
	fb_buf_release(&a);
	fb_buf_release(&b);
	return rc;
}
