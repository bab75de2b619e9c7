/*
 * safetensors.c: validate a safetensors header without reading the data.
 * Layout: 8-byte little-endian header length N, N bytes of JSON (an object
 * of tensor name -> {dtype, shape, data_offsets}, plus an optional
 * "__metadata__" string map), then the data. The length is bounded by the
 * file size and a cap; the JSON is parsed with yajl; every tensor's dtype
 * must be known, shape product x dtype size must equal its offset span, and
 * spans must lie inside the data without overlapping.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <yajl_tree.h>

#include "scan/scan-int.h"

#define ST_MAX_HEADER ((uint64_t)100 << 20)
#define ST_MAX_DEPTH 16

static const struct {
	const char *name;
	unsigned bits;
} st_dtypes[] = {
	{ "BOOL", 8 }, { "U8", 8 }, { "I8", 8 }, { "F8_E5M2", 8 },
	{ "F8_E4M3", 8 }, { "F8_E8M0", 8 }, { "E8M0", 8 }, { "I16", 16 },
	{ "U16", 16 }, { "F16", 16 }, { "BF16", 16 }, { "I32", 32 },
	{ "U32", 32 }, { "F32", 32 }, { "F64", 64 }, { "I64", 64 },
	{ "U64", 64 }, { "C64", 64 }, { "F4", 4 }, { "F6_E2M3", 6 },
	{ "F6_E3M2", 6 },
};

struct span {
	uint64_t begin, end;
	const char *name;
};

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define BAD(rule, ...) scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, \
	rule, NULL, 8, __VA_ARGS__)

/*
 * 1 when the JSON nests deeper than any safetensors header needs (yajl's
 * tree is freed recursively), or holds a comment.
 */
static int
too_deep(const char *s, size_t n)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '/') {
			return 1; /* yajl would accept a comment; JSON has none */
		} else if (c == '{' || c == '[') {
			if (++depth > ST_MAX_DEPTH)
				return 1;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

static int
get_u64(yajl_val v, uint64_t *out)
{
	if (v == NULL || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
		return -1;
	*out = (uint64_t)YAJL_GET_INTEGER(v);
	return 0;
}

/* One tensor entry; returns 0 and fills *sp, or -1 after a finding. */
static int
check_tensor(struct scan_result *r, const char *name, yajl_val t,
	     uint64_t data_len, struct span *sp)
{
	yajl_val dtype = NULL, shape = NULL, offs = NULL;
	unsigned bits = 0;
	uint64_t nelem = 1, nbytes, b, e;
	size_t i;
	int overflow = 0;

	if (!YAJL_IS_OBJECT(t)) {
		BAD("safetensors.bad-entry", "tensor '%s' is not an object", name);
		return -1;
	}
	for (i = 0; i < t->u.object.len; i++) {
		const char *k = t->u.object.keys[i];
		if (strcmp(k, "dtype") == 0 && dtype == NULL)
			dtype = t->u.object.values[i];
		else if (strcmp(k, "shape") == 0 && shape == NULL)
			shape = t->u.object.values[i];
		else if (strcmp(k, "data_offsets") == 0 && offs == NULL)
			offs = t->u.object.values[i];
		else {
			BAD("safetensors.bad-entry",
			    "tensor '%s' has an unexpected or repeated key '%s'",
			    name, k);
			return -1;
		}
	}
	if (dtype == NULL || shape == NULL || offs == NULL) {
		BAD("safetensors.bad-entry",
		    "tensor '%s' lacks dtype, shape or data_offsets", name);
		return -1;
	}
	if (YAJL_IS_STRING(dtype) && dtype->u.string != NULL) {
		for (i = 0; i < FB_ARRAY_LEN(st_dtypes); i++)
			if (strcmp(st_dtypes[i].name, dtype->u.string) == 0)
				bits = st_dtypes[i].bits;
	}
	if (bits == 0) {
		BAD("safetensors.unknown-dtype", "tensor '%s' has an unknown dtype",
		    name);
		return -1;
	}
	if (!YAJL_IS_ARRAY(shape)) {
		BAD("safetensors.bad-shape", "tensor '%s' shape is not an array", name);
		return -1;
	}
	for (i = 0; i < shape->u.array.len; i++) {
		uint64_t d;
		if (get_u64(shape->u.array.values[i], &d)) {
			BAD("safetensors.bad-shape",
			    "tensor '%s' shape holds a non-integer or negative size",
			    name);
			return -1;
		}
		if (d != 0 && nelem > UINT64_MAX / d)
			overflow = 1;
		else
			nelem *= d;
	}
	if (!YAJL_IS_ARRAY(offs) || offs->u.array.len != 2 ||
	    get_u64(offs->u.array.values[0], &b) ||
	    get_u64(offs->u.array.values[1], &e) || b > e) {
		BAD("safetensors.bad-offsets",
		    "tensor '%s' data_offsets is not [begin, end]", name);
		return -1;
	}
	if (e > data_len) {
		BAD("safetensors.out-of-range",
		    "tensor '%s' data [%llu, %llu) is outside the %llu data bytes",
		    name, (unsigned long long)b, (unsigned long long)e,
		    (unsigned long long)data_len);
		return -1;
	}
	if (overflow || nelem > UINT64_MAX / bits) {
		BAD("safetensors.size-mismatch", "tensor '%s' shape overflows", name);
		return -1;
	}
	if ((nelem * bits) % 8 != 0) {
		BAD("safetensors.size-mismatch",
		    "tensor '%s' does not fill whole bytes", name);
		return -1;
	}
	nbytes = nelem * bits / 8;
	if (nbytes != e - b) {
		BAD("safetensors.size-mismatch",
		    "tensor '%s' shape needs %llu bytes, its offsets span %llu",
		    name, (unsigned long long)nbytes,
		    (unsigned long long)(e - b));
		return -1;
	}
	sp->begin = b;
	sp->end = e;
	sp->name = name;
	return 0;
}

void
scan_safetensors(const void *vp, size_t n, uint64_t file_size,
		 const struct scan_options *opts, struct scan_result *r)
{
	const unsigned char *p = vp;
	uint64_t hlen, cap, data_len, last;
	char *json = NULL, errbuf[256];
	yajl_val root = NULL;
	struct span *spans = NULL;
	const char **names = NULL;
	size_t i, ns = 0;
	int ok = 1;

	cap = opts != NULL && opts->max_header ? opts->max_header : ST_MAX_HEADER;
	if (n < 8 || file_size < 8) {
		BAD("safetensors.truncated", "file shorter than the header length");
		return;
	}
	hlen = 0;
	for (i = 8; i-- > 0;)
		hlen = hlen << 8 | p[i];
	if (hlen > cap) {
		BAD("safetensors.header-too-large",
		    "header length %llu is over the %llu-byte limit",
		    (unsigned long long)hlen, (unsigned long long)cap);
		return;
	}
	if (hlen > file_size - 8) {
		BAD("safetensors.header-length",
		    "header length %llu is more than the file's %llu bytes",
		    (unsigned long long)hlen, (unsigned long long)file_size);
		return;
	}
	if (hlen < 2 || n < 8 + hlen) {
		BAD("safetensors.truncated", "header is too short");
		return;
	}
	if (memchr(p + 8, '\0', (size_t)hlen) != NULL ||
	    too_deep((const char *)p + 8, (size_t)hlen)) {
		BAD("safetensors.bad-json", "header is not plain JSON");
		return;
	}
	json = xmalloc((size_t)hlen + 1);
	memcpy(json, p + 8, (size_t)hlen);
	json[hlen] = '\0';
	errbuf[0] = '\0';
	root = yajl_tree_parse(json, errbuf, sizeof(errbuf));
	if (root == NULL) {
		char *nl = strchr(errbuf, '\n');
		if (nl != NULL)
			*nl = '\0';
		BAD("safetensors.bad-json", "header is not valid JSON: %s", errbuf);
		goto out;
	}
	if (!YAJL_IS_OBJECT(root)) {
		BAD("safetensors.bad-json", "header is not a JSON object");
		goto out;
	}
	data_len = file_size - 8 - hlen;
	spans = xcalloc(root->u.object.len + 1, sizeof(*spans));
	names = xcalloc(root->u.object.len + 1, sizeof(*names));
	for (i = 0; i < root->u.object.len; i++) {
		const char *k = root->u.object.keys[i];
		yajl_val v = root->u.object.values[i];

		names[i] = k;
		if (strcmp(k, "__metadata__") == 0) {
			size_t j;
			if (!YAJL_IS_OBJECT(v)) {
				BAD("safetensors.bad-metadata",
				    "__metadata__ is not an object");
				ok = 0;
				continue;
			}
			for (j = 0; j < v->u.object.len; j++) {
				if (!YAJL_IS_STRING(v->u.object.values[j])) {
					BAD("safetensors.bad-metadata",
					    "__metadata__ value '%s' is not a string",
					    v->u.object.keys[j]);
					ok = 0;
					break;
				}
			}
			continue;
		}
		if (check_tensor(r, k, v, data_len, &spans[ns]) == 0)
			ns++;
		else
			ok = 0;
	}
	qsort(names, root->u.object.len, sizeof(*names), str_cmp);
	for (i = 1; i < root->u.object.len; i++) {
		if (strcmp(names[i - 1], names[i]) == 0) {
			BAD("safetensors.duplicate", "name '%s' appears twice",
			    names[i]);
			ok = 0;
			break;
		}
	}
	qsort(spans, ns, sizeof(*spans), span_cmp);
	last = 0;
	for (i = 0; i < ns; i++) {
		if (spans[i].begin < last) {
			BAD("safetensors.overlap",
			    "tensor '%s' data overlaps tensor '%s'", spans[i].name,
			    spans[i - 1].name);
			ok = 0;
			break;
		}
		if (spans[i].begin > last)
			scan_finding_add(r, SCAN_SEV_LOW, 0, "safetensors.gap",
			    NULL, 8 + hlen + last,
			    "%llu bytes before tensor '%s' belong to no tensor",
			    (unsigned long long)(spans[i].begin - last),
			    spans[i].name);
		last = spans[i].end;
	}
	if (ok && last < data_len)
		scan_finding_add(r, SCAN_SEV_LOW, 0, "safetensors.trailing-data",
		    NULL, 8 + hlen + last,
		    "%llu bytes after the last tensor belong to no tensor",
		    (unsigned long long)(data_len - last));
out:
	free(spans);
	free(names);
	yajl_tree_free(root);
	free(json);
}
