/* result.c: scan results, findings, globals, verdicts, names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "scan/scan-int.h"

void
scan_result_init(struct scan_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
scan_result_release(struct scan_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nfindings; i++) {
		free(r->findings[i].message);
		free(r->findings[i].member);
	}
	for (i = 0; i < r->nglobals; i++) {
		free(r->globals[i].module);
		free(r->globals[i].name);
		free(r->globals[i].member);
	}
	free(r->findings);
	free(r->globals);
	free(r->path);
	scan_result_init(r);
}

/* Bound the findings one file can produce (a fuzzed file could make many). */
#define MAX_FINDINGS 1000

void
scan_finding_add(struct scan_result *r, enum scan_severity sev, unsigned flags,
		 const char *rule, const char *member, uint64_t offset,
		 const char *fmt, ...)
{
	struct scan_finding *f;
	struct fb_buf raw = FB_BUF_INIT, safe = FB_BUF_INIT;
	va_list ap;

	if (r->nfindings >= MAX_FINDINGS) {
		/* keep the worst severity visible in the last slot */
		f = &r->findings[r->nfindings - 1];
		if (sev > f->severity)
			f->severity = sev;
		f->flags |= flags;
		return;
	}
	if (r->nfindings == r->findings_alloc) {
		r->findings_alloc = r->findings_alloc ? r->findings_alloc * 2 : 8;
		r->findings = xrealloc(r->findings,
		    r->findings_alloc * sizeof(*r->findings));
	}
	va_start(ap, fmt);
	fb_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	fb_sanitize(&safe, raw.data, raw.len, 0);
	fb_buf_release(&raw);
	f = &r->findings[r->nfindings++];
	f->severity = sev;
	f->flags = flags;
	f->rule = rule;
	f->message = fb_buf_detach(&safe, NULL);
	f->member = member ? xstrdup(member) : NULL;
	f->offset = offset;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

#define MAX_NAME 4096
#define MAX_GLOBALS 4096

size_t
scan_global_add(struct scan_result *r, const char *module, size_t mlen,
		const char *name, size_t nlen, const char *member,
		uint64_t offset, uint8_t opcode, const struct scan_policy *pol,
		int *is_new)
{
	struct scan_global *g;
	char *m = xstrndup(module ? module : "", mlen > MAX_NAME ? MAX_NAME : mlen);
	char *nm = xstrndup(name ? name : "", nlen > MAX_NAME ? MAX_NAME : nlen);
	size_t i;

	for (i = r->nglobals; i-- > 0;) {
		g = &r->globals[i];
		if (strcmp(g->module, m) == 0 && strcmp(g->name, nm) == 0 &&
		    same(g->member, member)) {
			free(m);
			free(nm);
			*is_new = 0;
			return i;
		}
	}
	if (r->nglobals >= MAX_GLOBALS) {
		/* past the cap: classify, report, but keep no entry */
		enum scan_class c = scan_classify(pol, m, nm);
		if (!r->globals_capped) {
			r->globals_capped = 1;
			scan_finding_add(r, SCAN_SEV_MEDIUM, 0,
			    "pickle.too-many-globals", member, offset,
			    "more than %d distinct imports", MAX_GLOBALS);
		}
		if (c == SCAN_CLASS_DANGEROUS)
			scan_finding_add(r, SCAN_SEV_CRITICAL, 0,
			    "pickle.dangerous-global", member, offset,
			    "imports dangerous global '%s.%s'", m, nm);
		free(m);
		free(nm);
		*is_new = 0;
		return SIZE_MAX;
	}
	if (r->nglobals == r->globals_alloc) {
		r->globals_alloc = r->globals_alloc ? r->globals_alloc * 2 : 8;
		r->globals = xrealloc(r->globals,
		    r->globals_alloc * sizeof(*r->globals));
	}
	g = &r->globals[r->nglobals];
	memset(g, 0, sizeof(*g));
	g->module = m;
	g->name = nm;
	g->member = member ? xstrdup(member) : NULL;
	g->offset = offset;
	g->opcode = opcode;
	g->cls = scan_classify(pol, m, nm);
	*is_new = 1;

	if (g->cls == SCAN_CLASS_DANGEROUS)
		scan_finding_add(r, SCAN_SEV_CRITICAL, 0,
		    "pickle.dangerous-global", member, offset,
		    "imports dangerous global '%s.%s'", m, nm);
	else if (g->cls == SCAN_CLASS_UNKNOWN)
		scan_finding_add(r, SCAN_SEV_LOW, 0, "pickle.unknown-global",
		    member, offset, "references code '%s.%s'", m, nm);
	return r->nglobals++;
}

enum scan_severity
scan_result_worst(const struct scan_result *r)
{
	enum scan_severity s = SCAN_SEV_INFO;
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].severity > s)
			s = r->findings[i].severity;
	return s;
}

void
scan_result_finish(struct scan_result *r)
{
	enum scan_verdict v = r->format == SCAN_FMT_NONE ||
	    r->format == SCAN_FMT_ZIP ? SCAN_VERDICT_NOT_MODEL : SCAN_VERDICT_SAFE;
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const struct scan_finding *f = &r->findings[i];
		enum scan_verdict fv;

		if (!(f->flags & SCAN_F_ERROR) && f->severity >= SCAN_SEV_HIGH)
			fv = SCAN_VERDICT_DANGEROUS;
		else if (f->flags & SCAN_F_ERROR)
			fv = SCAN_VERDICT_ERROR;
		else if (f->severity >= SCAN_SEV_LOW)
			fv = SCAN_VERDICT_SUSPICIOUS;
		else
			continue;
		if (fv > v)
			v = fv;
	}
	r->verdict = v;
}

const char *
scan_format_name(enum scan_format f)
{
	switch (f) {
	case SCAN_FMT_PICKLE: return "pickle";
	case SCAN_FMT_TORCH_ZIP: return "pytorch-zip";
	case SCAN_FMT_TORCH_LEGACY: return "pytorch-legacy";
	case SCAN_FMT_NPY: return "npy";
	case SCAN_FMT_NPZ: return "npz";
	case SCAN_FMT_JOBLIB: return "joblib";
	case SCAN_FMT_SAFETENSORS: return "safetensors";
	case SCAN_FMT_ZIP: return "zip";
	case SCAN_FMT_NONE: break;
	}
	return "none";
}

const char *
scan_verdict_name(enum scan_verdict v)
{
	switch (v) {
	case SCAN_VERDICT_SAFE: return "safe";
	case SCAN_VERDICT_SUSPICIOUS: return "suspicious";
	case SCAN_VERDICT_ERROR: return "error";
	case SCAN_VERDICT_DANGEROUS: return "dangerous";
	case SCAN_VERDICT_NOT_MODEL: break;
	}
	return "not-model";
}

const char *
scan_severity_name(enum scan_severity s)
{
	static const char *const names[] = {
		"info", "low", "medium", "high", "critical"
	};

	return (unsigned)s < FB_ARRAY_LEN(names) ? names[s] : "info";
}

const char *
scan_class_name(enum scan_class c)
{
	switch (c) {
	case SCAN_CLASS_SAFE: return "safe";
	case SCAN_CLASS_DANGEROUS: return "dangerous";
	case SCAN_CLASS_UNKNOWN: break;
	}
	return "unknown";
}
