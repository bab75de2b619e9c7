/*
 * npy.c: the NumPy .npy header — magic, version, a bounded header length,
 * and a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape':
 * (...)} parsed by a tiny, depth-limited literal parser (never eval).
 * An object dtype anywhere in descr means a pickle follows the header.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "scan/scan-int.h"

enum lkind { L_STR, L_INT, L_TRUE, L_FALSE, L_NONE, L_DICT, L_LIST, L_TUPLE };

struct lit {
	enum lkind kind;
	const char *s;
	size_t len;
	uint64_t num;
	int num_big;          /* did not fit in 64 bits, or negative */
	struct lit *kids;     /* dict: key, value, key, value ... */
	size_t nkids, akids;
};

struct lparser {
	const char *p;
	size_t n, i;
	int depth;
	size_t nodes;
};

#define LIT_MAX_DEPTH 32
#define LIT_MAX_NODES 100000

static void
lit_release(struct lit *l)
{
	size_t i;

	for (i = 0; i < l->nkids; i++)
		lit_release(&l->kids[i]);
	free(l->kids);
	l->kids = NULL;
	l->nkids = 0;
}

static void
skip_ws(struct lparser *ps)
{
	while (ps->i < ps->n && (ps->p[ps->i] == ' ' || ps->p[ps->i] == '\t' ||
	    ps->p[ps->i] == '\n' || ps->p[ps->i] == '\r'))
		ps->i++;
}

static int parse_value(struct lparser *ps, struct lit *out);

static struct lit *
add_kid(struct lit *l)
{
	if (l->nkids == l->akids) {
		l->akids = l->akids ? l->akids * 2 : 4;
		l->kids = xrealloc(l->kids, l->akids * sizeof(*l->kids));
	}
	memset(&l->kids[l->nkids], 0, sizeof(*l->kids));
	return &l->kids[l->nkids++];
}

static int
parse_seq(struct lparser *ps, struct lit *out, char close, int is_dict)
{
	int items = 0, comma = 1;

	for (;;) {
		skip_ws(ps);
		if (ps->i >= ps->n)
			return -1;
		if (ps->p[ps->i] == close) {
			ps->i++;
			/* (x) without a comma is not a tuple, but shapes are (n,) */
			if (close == ')' && items == 1 && comma == 0)
				return -1;
			return 0;
		}
		if (!comma)
			return -1;
		if (parse_value(ps, add_kid(out)))
			return -1;
		if (is_dict) {
			skip_ws(ps);
			if (ps->i >= ps->n || ps->p[ps->i] != ':')
				return -1;
			ps->i++;
			if (parse_value(ps, add_kid(out)))
				return -1;
		}
		items++;
		skip_ws(ps);
		comma = ps->i < ps->n && ps->p[ps->i] == ',';
		if (comma)
			ps->i++;
	}
}

static int
parse_value(struct lparser *ps, struct lit *out)
{
	char c;
	int rc;

	if (++ps->nodes > LIT_MAX_NODES)
		return -1;
	skip_ws(ps);
	if (ps->i >= ps->n)
		return -1;
	c = ps->p[ps->i];
	if (c == '{' || c == '[' || c == '(') {
		if (ps->depth >= LIT_MAX_DEPTH)
			return -1;
		ps->depth++;
		ps->i++;
		out->kind = c == '{' ? L_DICT : c == '[' ? L_LIST : L_TUPLE;
		rc = parse_seq(ps, out, c == '{' ? '}' : c == '[' ? ']' : ')',
		    c == '{');
		ps->depth--;
		return rc;
	}
	if (c == '\'' || c == '"') {
		size_t j = ps->i + 1;
		while (j < ps->n && ps->p[j] != c) {
			if (ps->p[j] == '\\')
				j++;
			j++;
		}
		if (j >= ps->n)
			return -1;
		out->kind = L_STR;
		out->s = ps->p + ps->i + 1;
		out->len = j - ps->i - 1;
		ps->i = j + 1;
		return 0;
	}
	if ((c >= '0' && c <= '9') || c == '-') {
		out->kind = L_INT;
		if (c == '-') {
			out->num_big = 1;
			ps->i++;
		}
		if (ps->i >= ps->n || ps->p[ps->i] < '0' || ps->p[ps->i] > '9')
			return -1;
		while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') {
			uint64_t d = (uint64_t)(ps->p[ps->i] - '0');
			if (out->num > (UINT64_MAX - d) / 10)
				out->num_big = 1;
			else
				out->num = out->num * 10 + d;
			ps->i++;
		}
		if (ps->i < ps->n && (ps->p[ps->i] == 'L' || ps->p[ps->i] == 'l'))
			ps->i++; /* Python 2 long */
		return 0;
	}
	{
		static const struct { const char *w; enum lkind k; } words[] = {
			{ "True", L_TRUE }, { "False", L_FALSE }, { "None", L_NONE },
		};
		size_t k;
		for (k = 0; k < FB_ARRAY_LEN(words); k++) {
			size_t wl = strlen(words[k].w);
			if (ps->n - ps->i >= wl &&
			    memcmp(ps->p + ps->i, words[k].w, wl) == 0) {
				out->kind = words[k].k;
				ps->i += wl;
				return 0;
			}
		}
	}
	return -1;
}

/* 'O', '|O', '<O8' ... */
static int
is_object_type(const char *s, size_t n)
{
	if (n > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '='))
		s++, n--;
	return n > 0 && s[0] == 'O';
}

/* Any object dtype in a descr: a string, or a list of (name, type[, shape]). */
static int
descr_has_object(const struct lit *d, int depth)
{
	size_t i;

	if (depth > LIT_MAX_DEPTH)
		return 1;
	if (d->kind == L_STR)
		return is_object_type(d->s, d->len);
	if (d->kind != L_LIST)
		return 1; /* something numpy would interpret specially: be wary */
	for (i = 0; i < d->nkids; i++) {
		const struct lit *f = &d->kids[i];
		if (f->kind != L_TUPLE || f->nkids < 2)
			return 1;
		if (descr_has_object(&f->kids[1], depth + 1))
			return 1;
	}
	return 0;
}

/* Size of one item of a simple descr like '<f4', 'U10', '|b1', '<M8[ns]'. */
static uint64_t
descr_itemsize(const struct lit *d)
{
	const char *s = d->s;
	size_t n = d->len, i = 0;
	uint64_t num = 0;
	char c;

	if (d->kind != L_STR)
		return 0;
	if (n > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '='))
		i++;
	if (i >= n)
		return 0;
	c = s[i++];
	if (c == '?' && i == n)
		return 1;
	if (i == n || s[i] < '0' || s[i] > '9')
		return 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9' && num < (1u << 30); i++)
		num = num * 10 + (uint64_t)(s[i] - '0');
	if (i < n && s[i] != '[')
		return 0;
	return c == 'U' ? num * 4 : num;
}

static int
bad(struct scan_result *r, const char *member, uint64_t off, const char *msg)
{
	scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "npy.bad-header",
	    member, off, "%s", msg);
	return -1;
}

int
scan_npy_header(const unsigned char *p, size_t n, const char *member,
		struct scan_result *r, struct scan_npy_info *info, size_t *need)
{
	size_t start, hlen;
	struct lparser ps;
	struct lit root;
	const struct lit *descr = NULL, *shape = NULL, *fortran = NULL;
	size_t i;
	int rc = 0;

	memset(info, 0, sizeof(*info));
	if (n < 10) {
		*need = 10;
		return 1;
	}
	if (memcmp(p, "\x93NUMPY", 6) != 0)
		return bad(r, member, 0, "no NumPy magic");
	if (p[6] == 1) {
		start = 10;
		hlen = (size_t)p[8] | (size_t)p[9] << 8;
	} else if (p[6] == 2 || p[6] == 3) {
		if (n < 12) {
			*need = 12;
			return 1;
		}
		start = 12;
		hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 |
		    (size_t)p[11] << 24;
	} else {
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "npy.bad-version",
		    member, 6, "unknown .npy version %u.%u", p[6], p[7]);
		return -1;
	}
	if (hlen > SCAN_NPY_MAX_HEADER) {
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
		    "npy.header-too-large", member, 8,
		    "header of %zu bytes is over the %u-byte limit", hlen,
		    SCAN_NPY_MAX_HEADER);
		return -1;
	}
	if (n < start + hlen) {
		*need = start + hlen;
		return 1;
	}

	memset(&ps, 0, sizeof(ps));
	memset(&root, 0, sizeof(root));
	ps.p = (const char *)p + start;
	ps.n = hlen;
	if (parse_value(&ps, &root) || root.kind != L_DICT) {
		rc = bad(r, member, start, "header is not a Python dict literal");
		goto out;
	}
	skip_ws(&ps);
	if (ps.i != ps.n) {
		rc = bad(r, member, start + ps.i, "text after the header dict");
		goto out;
	}
	for (i = 0; i + 1 < root.nkids; i += 2) {
		const struct lit *k = &root.kids[i], *v = &root.kids[i + 1];
		const struct lit **slot = NULL;

		if (k->kind == L_STR && k->len == 5 && memcmp(k->s, "descr", 5) == 0)
			slot = &descr;
		else if (k->kind == L_STR && k->len == 5 && memcmp(k->s, "shape", 5) == 0)
			slot = &shape;
		else if (k->kind == L_STR && k->len == 13 &&
		    memcmp(k->s, "fortran_order", 13) == 0)
			slot = &fortran;
		if (slot == NULL || *slot != NULL) {
			rc = bad(r, member, start, "header has an unexpected or repeated key");
			goto out;
		}
		*slot = v;
	}
	if (descr == NULL || shape == NULL || fortran == NULL) {
		rc = bad(r, member, start, "header lacks descr, fortran_order or shape");
		goto out;
	}
	if (fortran->kind != L_TRUE && fortran->kind != L_FALSE) {
		rc = bad(r, member, start, "fortran_order is not a boolean");
		goto out;
	}
	if (shape->kind != L_TUPLE) {
		rc = bad(r, member, start, "shape is not a tuple");
		goto out;
	}
	info->nbytes = 1;
	info->nbytes_known = 1;
	for (i = 0; i < shape->nkids; i++) {
		const struct lit *d = &shape->kids[i];
		if (d->kind != L_INT || d->num_big) {
			rc = bad(r, member, start, "shape holds a non-integer or negative size");
			goto out;
		}
		if (d->num != 0 && info->nbytes > UINT64_MAX / d->num)
			info->nbytes_known = 0;
		else
			info->nbytes *= d->num;
	}
	info->has_object = descr_has_object(descr, 0);
	{
		uint64_t isz = descr_itemsize(descr);
		if (isz == 0 || info->has_object)
			info->nbytes_known = 0;
		else if (info->nbytes != 0 && isz > UINT64_MAX / info->nbytes)
			info->nbytes_known = 0;
		else
			info->nbytes *= isz;
	}
	info->data_off = start + hlen;
out:
	lit_release(&root);
	return rc;
}
