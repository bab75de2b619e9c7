/*
 * verify.c: `firebreak verify` — an evidence bundle checked offline, with
 * nothing but the bundle and, optionally, the auditor's allowed signers.
 * The archive is read once, as a stream: names are checked before any
 * data is touched, every file is hashed, and only the small metadata
 * files are kept in memory (bounded). Every problem is reported, not just
 * the first, each naming the file (and line) it is about.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "evidence/evidence.h"
#include "store/export.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define META_MAX ((size_t)256 << 20)   /* a metadata file kept in memory */
#define MAX_ENTRIES 1000000
#define NAME_MAX_LEN 4096

struct vfile {
	char *path;
	char sha256[FB_SHA256_HEX];
	uint64_t size;
	int listed;               /* named in SHA256SUMS */
	int in_manifest;
	struct fb_buf data;       /* metadata files only */
	int kept;
};

struct chain {
	int64_t evidence;
	char last[FB_SHA256_HEX];
	char last_action[32];
	char last_time[32];
	char sha256[FB_SHA256_HEX]; /* the item as collected, per its chain */
	int64_t rows;
};

struct verifier {
	size_t *idx;              /* open addressing over f, by name; 0 = empty */
	size_t idx_cap;
	size_t last_chain;
	int chains_sorted;
	const struct evidence_verify_opts *o;
	struct evidence_verify_result *res;
	struct store_json_tool *jt;
	struct vfile *f;
	size_t nf;
	struct chain *ch;
	size_t nch;
	char *as_of;
};

static void FB_ATTR_PRINTF(2, 3)
problem(struct verifier *v, const char *fmt, ...)
{
	struct fb_buf b = FB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	fb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	v->res->problems++;
	if (v->o->problem != NULL)
		v->o->problem(v->o->ctx, b.data);
	fb_buf_release(&b);
}

static void
note(struct verifier *v, const char *msg)
{
	if (v->o->note != NULL)
		v->o->note(v->o->ctx, msg);
}

static int
is_meta(const char *p)
{
	return strcmp(p, "manifest.json") == 0 || strcmp(p, "SHA256SUMS") == 0 ||
	    strcmp(p, "SHA256SUMS.sig") == 0 ||
	    strcmp(p, "custody.jsonl") == 0 || strcmp(p, "audit.jsonl") == 0;
}

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct vfile *
find(struct verifier *v, const char *path)
{
	size_t i;

	if (v->idx_cap == 0)
		return NULL;
	for (i = name_hash(path) & (v->idx_cap - 1); v->idx[i] != 0;
	    i = (i + 1) & (v->idx_cap - 1))
		if (strcmp(v->f[v->idx[i] - 1].path, path) == 0)
			return &v->f[v->idx[i] - 1];
	return NULL;
}

/* Index f[n] (just appended); the table stays at most half full. */
static void
index_add(struct verifier *v, size_t n)
{
	size_t i, j, cap;

	if ((n + 1) * 2 > v->idx_cap) {
		cap = v->idx_cap ? v->idx_cap * 2 : 64;
		free(v->idx);
		v->idx = xcalloc(cap, sizeof(*v->idx));
		v->idx_cap = cap;
		for (j = 0; j < n; j++) {
			for (i = name_hash(v->f[j].path) & (cap - 1);
			    v->idx[i] != 0; i = (i + 1) & (cap - 1))
				;
			v->idx[i] = j + 1;
		}
	}
	for (i = name_hash(v->f[n].path) & (v->idx_cap - 1); v->idx[i] != 0;
	    i = (i + 1) & (v->idx_cap - 1))
		;
	v->idx[i] = n + 1;
}

/* Why a name is unsafe to extract, or NULL. */
static const char *
unsafe_name(const char *p)
{
	const char *c, *e;

	if (*p == '\0')
		return "empty name";
	if (*p == '/')
		return "absolute path";
	if (strlen(p) > NAME_MAX_LEN)
		return "name too long";
	if (strchr(p, '\\') != NULL)
		return "backslash in name";
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "control character in name";
	for (c = p; *c; c = *e ? e + 1 : e) {
		e = strchr(c, '/');
		if (e == NULL)
			e = c + strlen(c);
		if (e - c == 2 && c[0] == '.' && c[1] == '.')
			return "'..' in path";
		if (e == c && *e)
			return "empty path component";
		if (e - c == 1 && c[0] == '.')
			return "'.' in path";
	}
	return NULL;
}

static int
read_archive(struct verifier *v, const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct fb_sha256 *h;
	const void *buf;
	size_t len, nent = 0;
	la_int64_t off;
	const char *name, *why;
	char *safe;
	int r, rc = 0;

	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		rc = fb_err(FB_ERR_PARSE, "cannot read '%s': %s", path,
		    archive_error_string(a) ? archive_error_string(a) :
		    "not an archive");
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			problem(v, "archive damaged after %zu entries: %s", nent,
			    archive_error_string(a) ? archive_error_string(a) :
			    "read error");
			break;
		}
		if (++nent > MAX_ENTRIES) {
			problem(v, "more than %d entries: not a bundle",
			    MAX_ENTRIES);
			break;
		}
		name = archive_entry_pathname(e);
		if (name == NULL) {
			problem(v, "entry %zu has no name", nent);
			continue;
		}
		safe = fb_sanitize_str(name, 0);
		if ((why = unsafe_name(name)) != NULL) {
			problem(v, "unsafe entry '%s': %s", safe, why);
			free(safe);
			continue;
		}
		if (archive_entry_hardlink(e) != NULL ||
		    archive_entry_filetype(e) == AE_IFLNK) {
			problem(v, "unsafe entry '%s': a link", safe);
			free(safe);
			continue;
		}
		if (archive_entry_filetype(e) == AE_IFDIR) {
			free(safe);
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG) {
			problem(v, "unsafe entry '%s': not a regular file", safe);
			free(safe);
			continue;
		}
		if (find(v, name) != NULL) {
			problem(v, "duplicate entry '%s'", safe);
			free(safe);
			continue;
		}
		free(safe);
		v->f = xrealloc(v->f, (v->nf + 1) * sizeof(*v->f));
		memset(&v->f[v->nf], 0, sizeof(*v->f));
		v->f[v->nf].path = xstrdup(name);
		fb_buf_init(&v->f[v->nf].data);
		v->f[v->nf].kept = is_meta(name);
		h = fb_sha256_new();
		while ((r = archive_read_data_block(a, &buf, &len, &off)) ==
		    ARCHIVE_OK || r == ARCHIVE_WARN) {
			if (buf == NULL || len == 0)
				continue;
			fb_sha256_update(h, buf, len);
			v->f[v->nf].size += len;
			if (v->f[v->nf].kept) {
				if (v->f[v->nf].data.len + len > META_MAX) {
					problem(v, "%s: larger than %zu MiB",
					    name, META_MAX >> 20);
					v->f[v->nf].kept = 0;
					fb_buf_release(&v->f[v->nf].data);
				} else
					fb_buf_add(&v->f[v->nf].data, buf, len);
			}
		}
		fb_sha256_final(h, v->f[v->nf].sha256);
		index_add(v, v->nf);
		v->nf++;
		if (r != ARCHIVE_EOF) {
			problem(v, "%s: cannot read its data: %s", name,
			    archive_error_string(a) ? archive_error_string(a) :
			    "read error");
			break;
		}
	}
	v->res->files = (int64_t)v->nf;
	if (nent == 0)
		rc = fb_err(FB_ERR_PARSE, "'%s' holds no files: not a bundle",
		    path);
out:
	archive_read_free(a);
	return rc;
}

static const struct fb_buf *
meta(struct verifier *v, const char *path)
{
	struct vfile *f = find(v, path);

	if (f == NULL) {
		problem(v, "%s is missing", path);
		return NULL;
	}
	return f->kept ? &f->data : NULL;
}

static int
is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void
check_sums(struct verifier *v)
{
	const struct fb_buf *b = meta(v, "SHA256SUMS");
	const char *p, *end, *nl;
	struct vfile *f;
	char *name, *safe;
	size_t line = 0, i;

	if (b == NULL)
		return;
	for (p = b->data, end = b->data + b->len; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl - p < 67 || !is_hex64(p, 64) || p[64] != ' ' ||
		    (p[65] != ' ' && p[65] != '*')) {
			problem(v, "SHA256SUMS line %zu: malformed", line);
			continue;
		}
		name = xstrndup(p + 66, (size_t)(nl - p - 66));
		safe = fb_sanitize_str(name, 0);
		/* sha256sum -c would open it: never outside the bundle */
		if (unsafe_name(name) != NULL)
			problem(v, "SHA256SUMS line %zu: unsafe name '%s': %s",
			    line, safe, unsafe_name(name));
		else if ((f = find(v, name)) == NULL)
			problem(v, "%s: listed in SHA256SUMS but missing from "
			    "the bundle", safe);
		else if (f->listed)
			problem(v, "SHA256SUMS line %zu: '%s' listed twice",
			    line, safe);
		else {
			f->listed = 1;
			if (strncmp(f->sha256, p, 64) != 0)
				problem(v, "%s: SHA-256 does not match SHA256SUMS "
				    "(listed %.16s..., found %.16s...)", safe, p,
				    f->sha256);
		}
		free(name);
		free(safe);
	}
	for (i = 0; i < v->nf; i++) {
		if (v->f[i].listed || strcmp(v->f[i].path, "SHA256SUMS") == 0 ||
		    strcmp(v->f[i].path, "SHA256SUMS.sig") == 0)
			continue;
		safe = fb_sanitize_str(v->f[i].path, 0);
		problem(v, "%s: extra file, not listed in SHA256SUMS", safe);
		free(safe);
	}
}

static int
cmp_chain(const void *a, const void *b)
{
	const struct chain *x = a, *y = b;

	return x->evidence < y->evidence ? -1 : x->evidence > y->evidence;
}

/*
 * The chain of an item: custody lines come item by item, so the last one
 * used is tried first; once reading is done they are sorted and searched.
 */
static struct chain *
chain_of(struct verifier *v, int64_t ev)
{
	struct chain key = { .evidence = ev }, *c;
	size_t i;

	if (v->chains_sorted && v->nch > 0) {
		c = bsearch(&key, v->ch, v->nch, sizeof(*v->ch), cmp_chain);
		if (c != NULL)
			return c;
		v->chains_sorted = 0; /* a new one goes at the end */
	} else if (v->last_chain < v->nch &&
	    v->ch[v->last_chain].evidence == ev)
		return &v->ch[v->last_chain];
	else
		for (i = 0; i < v->nch; i++)
			if (v->ch[i].evidence == ev) {
				v->last_chain = i;
				return &v->ch[i];
			}
	v->ch = xrealloc(v->ch, (v->nch + 1) * sizeof(*v->ch));
	memset(&v->ch[v->nch], 0, sizeof(*v->ch));
	v->ch[v->nch].evidence = ev;
	snprintf(v->ch[v->nch].last, FB_SHA256_HEX, "%s", ZERO_HASH);
	v->last_chain = v->nch;
	return &v->ch[v->nch++];
}

static char *
get(struct verifier *v, const char *json, const char *path)
{
	char *out = NULL;

	(void)store_json_get(v->jt, json, path, &out);
	return out;
}

/* Call fn for each line of a .jsonl buffer (NUL-terminated copies). */
static void
each_line(struct verifier *v, const struct fb_buf *b, const char *name,
    void (*fn)(struct verifier *, size_t, const char *, void *), void *ctx)
{
	const char *p, *end = b->data + b->len, *nl;
	char *line;
	size_t n = 0;

	for (p = b->data; p < end; p = nl + 1) {
		n++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			problem(v, "%s line %zu: no final newline", name, n);
			nl = end;
		}
		line = xstrndup(p, (size_t)(nl - p));
		fn(v, n, line, ctx);
		free(line);
	}
}

static void
custody_line(struct verifier *v, size_t n, const char *line, void *ctx)
{
	char calc[FB_SHA256_HEX], *ev, *prev, *hash, *act, *t, *sha;
	struct chain *c;

	(void)ctx;
	if (store_json_canon_hash(v->jt, line, calc) != 0) {
		problem(v, "custody.jsonl line %zu: not a JSON object", n);
		return;
	}
	ev = get(v, line, "$.evidence");
	sha = get(v, line, "$.sha256");
	prev = get(v, line, "$.prev_hash");
	hash = get(v, line, "$.hash");
	act = get(v, line, "$.action");
	t = get(v, line, "$.time");
	if (ev == NULL || prev == NULL || hash == NULL) {
		problem(v, "custody.jsonl line %zu: evidence, prev_hash or hash "
		    "missing", n);
		goto out;
	}
	c = chain_of(v, strtoll(ev, NULL, 10));
	if (strcmp(prev, c->last) != 0)
		problem(v, "custody.jsonl line %zu (evidence %s): prev_hash "
		    "does not follow the previous entry of its chain (entry "
		    "removed, inserted or reordered)", n, ev);
	if (strcmp(hash, calc) != 0)
		problem(v, "custody.jsonl line %zu (evidence %s): hash does not "
		    "match the entry's contents (entry edited)", n, ev);
	snprintf(c->last, sizeof(c->last), "%s", hash);
	snprintf(c->last_action, sizeof(c->last_action), "%s", act ? act : "");
	snprintf(c->last_time, sizeof(c->last_time), "%s", t ? t : "");
	if (c->rows > 0 && strcmp(c->sha256, sha ? sha : "") != 0)
		problem(v, "custody.jsonl line %zu (evidence %s): sha256 differs "
		    "from the rest of its chain", n, ev);
	snprintf(c->sha256, sizeof(c->sha256), "%s", sha ? sha : "");
	c->rows++;
out:
	free(ev); free(prev); free(hash); free(act); free(t); free(sha);
}

struct audit_state {
	int64_t seq;
	char last[FB_SHA256_HEX];
	size_t lines;
};

static void
audit_line(struct verifier *v, size_t n, const char *line, void *ctx)
{
	struct audit_state *a = ctx;
	char calc[FB_SHA256_HEX], *seq_s, *prev, *hash, *stub;
	int64_t seq;

	a->lines++;
	if (store_json_canon_hash(v->jt, line, calc) != 0) {
		problem(v, "audit.jsonl line %zu: not a JSON object", n);
		return;
	}
	seq_s = get(v, line, "$.seq");
	prev = get(v, line, "$.prev_hash");
	hash = get(v, line, "$.hash");
	stub = get(v, line, "$.stub");
	if (seq_s == NULL || prev == NULL || hash == NULL) {
		problem(v, "audit.jsonl line %zu: seq, prev_hash or hash missing",
		    n);
		goto out;
	}
	seq = strtoll(seq_s, NULL, 10);
	if (n > 1 && seq != a->seq + 1)
		problem(v, "audit.jsonl line %zu: seq %lld follows seq %lld "
		    "(entries reordered, removed or inserted)", n,
		    (long long)seq, (long long)a->seq);
	if (n > 1 && strcmp(prev, a->last) != 0)
		problem(v, "audit.jsonl line %zu (seq %lld): prev_hash does not "
		    "match the previous entry's hash", n, (long long)seq);
	if ((stub == NULL || strcmp(stub, "1") != 0) && strcmp(hash, calc) != 0)
		problem(v, "audit.jsonl line %zu (seq %lld): hash does not match "
		    "the entry's contents (entry edited)", n, (long long)seq);
	a->seq = seq;
	snprintf(a->last, sizeof(a->last), "%s", hash);
out:
	free(seq_s); free(prev); free(hash); free(stub);
}

struct item_ctx {
	struct verifier *v;
	size_t n;
};

static int
check_item(void *ctx, const char *item)
{
	struct item_ctx *c = ctx;
	struct verifier *v = c->v;
	char *ipath, *isha, *isize, *iid, *orig, *red, *safe;
	struct vfile *f;
	struct chain *ch;

	c->n++;
	ipath = get(v, item, "$.path");
	isha = get(v, item, "$.sha256");
	isize = get(v, item, "$.size");
	iid = get(v, item, "$.id");
	orig = get(v, item, "$.sha256_original");
	red = get(v, item, "$.redacted");
	if (ipath == NULL || isha == NULL || isize == NULL || iid == NULL) {
		problem(v, "manifest.json item %zu: path, sha256, size or id "
		    "missing", c->n);
		goto out;
	}
	if ((f = find(v, ipath)) == NULL) {
		safe = fb_sanitize_str(ipath, 0);
		problem(v, "%s: in manifest.json but missing from the bundle",
		    safe);
		free(safe);
		goto out;
	}
	f->in_manifest = 1;
	if (strcmp(f->sha256, isha) != 0)
		problem(v, "%s: SHA-256 does not match manifest.json", f->path);
	if (strtoull(isize, NULL, 10) != f->size)
		problem(v, "%s: size %llu, manifest.json says %s", f->path,
		    (unsigned long long)f->size, isize);
	if (red != NULL && strcmp(red, "1") == 0 && orig == NULL)
		problem(v, "%s: redacted but sha256_original missing", f->path);
	ch = chain_of(v, strtoll(iid, NULL, 10));
	if (ch->rows == 0)
		problem(v, "evidence %s: no custody entries", iid);
	else if (strcmp(ch->sha256, orig != NULL ? orig : isha) != 0)
		problem(v, "evidence %s: custody is about %.12s..., manifest.json "
		    "about %.12s...", iid, ch->sha256, orig != NULL ? orig : isha);
	if (ch->rows > 0 && (strcmp(ch->last_action, "exported") != 0 ||
	    v->as_of == NULL || strcmp(ch->last_time, v->as_of) != 0))
		problem(v, "evidence %s: custody does not end with this export "
		    "at %s", iid, v->as_of ? v->as_of : "?");
out:
	free(ipath); free(isha); free(isize); free(iid); free(orig); free(red);
	return 0;
}

static void
check_manifest(struct verifier *v, const char *m)
{
	struct item_ctx c = { .v = v };
	char *fmt, *safe;
	size_t i;

	fmt = get(v, m, "$.format");
	if (fmt == NULL || strcmp(fmt, "firebreak-bundle") != 0) {
		problem(v, "manifest.json: not a firebreak bundle manifest");
		free(fmt);
		return;
	}
	free(fmt);
	v->as_of = get(v, m, "$.as_of");
	if (v->nch > 0)
		qsort(v->ch, v->nch, sizeof(*v->ch), cmp_chain);
	v->chains_sorted = 1;
	if (store_json_each(v->jt, m, "$.items", check_item, &c) != 0)
		problem(v, "manifest.json: items is not an array");
	for (i = 0; i < v->nf; i++)
		if (strncmp(v->f[i].path, "evidence/", 9) == 0 &&
		    !v->f[i].in_manifest) {
			safe = fb_sanitize_str(v->f[i].path, 0);
			problem(v, "%s: evidence file not in manifest.json", safe);
			free(safe);
		}
	if (c.n < v->nch)
		problem(v, "custody.jsonl: chains for %zu items, manifest.json "
		    "lists %zu", v->nch, c.n);
}

static void
check_signature(struct verifier *v, const char *m)
{
	struct vfile *sums = find(v, "SHA256SUMS"), *sig = find(v,
	    "SHA256SUMS.sig");
	struct evidence_sig_status st;
	char *signed_ = m ? get(v, m, "$.signed") : NULL;
	char msg[700];

	if (sig == NULL) {
		if (signed_ != NULL && strcmp(signed_, "1") == 0)
			problem(v, "SHA256SUMS.sig is missing, but manifest.json "
			    "says the bundle is signed");
		else if (v->o->allowed_signers != NULL)
			problem(v, "the bundle is not signed (--allowed-signers "
			    "was given)");
		goto out;
	}
	if (sums == NULL || !sums->kept || !sig->kept || v->o->skip_signature)
		goto out;
	v->res->signed_ = 1;
	if (evidence_sig_check(sums->data.data, sums->data.len, sig->data.data,
	    sig->data.len, v->o->allowed_signers, &st) != 0) {
		problem(v, "SHA256SUMS.sig: cannot check: %s", fb_errmsg(0));
		goto out;
	}
	if (!st.valid)
		problem(v, "SHA256SUMS.sig: the signature does not verify for "
		    "SHA256SUMS (%s)", *st.detail ? st.detail : "bad signature");
	else if (st.trusted) {
		v->res->trusted = 1;
		snprintf(v->res->signer, sizeof(v->res->signer), "%s",
		    st.principal);
		snprintf(msg, sizeof(msg), "good signature by '%s'",
		    st.principal);
		note(v, msg);
	} else if (v->o->allowed_signers != NULL)
		problem(v, "SHA256SUMS.sig: valid signature, but the signer is "
		    "not trusted by '%s' (%s)", v->o->allowed_signers,
		    st.detail);
	else
		note(v, "valid signature, signer not trusted (no "
		    "--allowed-signers given)");
out:
	free(signed_);
}

int
evidence_verify(const char *path, const struct evidence_verify_opts *o,
    struct evidence_verify_result *res)
{
	struct verifier v = { .o = o, .res = res };
	struct audit_state as = { 0 };
	const struct fb_buf *b;
	char *mtext = NULL, *hseq, *hhash;
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = store_json_tool_new(&v.jt)) != 0)
		return rc;
	if ((rc = read_archive(&v, path)) != 0)
		goto out;
	check_sums(&v);
	if ((b = meta(&v, "custody.jsonl")) != NULL)
		each_line(&v, b, "custody.jsonl", custody_line, NULL);
	if ((b = meta(&v, "manifest.json")) != NULL) {
		char type[16];

		mtext = xstrndup(b->data, b->len);
		if (store_json_type(v.jt, mtext, "$", type) != 0 ||
		    strcmp(type, "object") != 0) {
			problem(&v, "manifest.json: not a JSON object");
			free(mtext);
			mtext = NULL;
		} else
			check_manifest(&v, mtext);
	}
	if ((b = meta(&v, "audit.jsonl")) != NULL) {
		each_line(&v, b, "audit.jsonl", audit_line, &as);
		if (mtext != NULL) {
			hseq = get(&v, mtext, "$.audit_head.seq");
			hhash = get(&v, mtext, "$.audit_head.hash");
			if (hseq == NULL || hhash == NULL)
				problem(&v, "manifest.json: audit_head missing");
			else if (strcmp(hseq, "0") != 0 && (as.lines == 0 ||
			    as.seq != strtoll(hseq, NULL, 10) ||
			    strcmp(as.last, hhash) != 0))
				problem(&v, "audit.jsonl: ends at seq %lld %.12s, "
				    "manifest.json says the head is seq %s %.12s",
				    (long long)as.seq, as.last, hseq, hhash);
			free(hseq);
			free(hhash);
		}
	}
	check_signature(&v, mtext);
	rc = res->problems > 0 ? -FB_ERR_TAMPER : 0;
out:
	free(mtext);
	free(v.as_of);
	for (i = 0; i < v.nf; i++) {
		free(v.f[i].path);
		fb_buf_release(&v.f[i].data);
	}
	free(v.f);
	free(v.idx);
	free(v.ch);
	store_json_tool_free(v.jt);
	return rc;
}
