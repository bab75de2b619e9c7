/*
 * jscan.c: a small validating JSON scanner for gateway records. It never
 * builds a tree: gw_json_object() checks one object (RFC 8259 grammar,
 * nesting bounded) and hands each top-level member to a callback as a
 * slice of the input; nested values are validated and skipped unless the
 * caller scans them again. Strings are unescaped only on request, into
 * caller buffers of bounded size. Pure, no allocation: fuzzed by
 * fuzz/fuzz-gateway.c.
 */
#include "config.h"

#include <string.h>

#include "gateway/gateway-int.h"

#define GW_JSON_DEPTH 64

static size_t
skip_ws(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
	    p[i] == '\r'))
		i++;
	return i;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string starting at p[i] == '"'; *end is past the closing quote. */
static int
scan_string(const char *p, size_t n, size_t i, size_t *end, int *esc)
{
	*esc = 0;
	for (i++; i < n; i++) {
		unsigned char c;

		/* the common case: a run of plain bytes */
		while (i < n && (unsigned char)p[i] >= 0x20 && p[i] != '"' &&
		    p[i] != '\\')
			i++;
		if (i >= n)
			break;
		c = (unsigned char)p[i];

		if (c == '"') {
			*end = i + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			*esc = 1;
			if (++i >= n)
				return -1;
			switch (p[i]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				break;
			case 'u':
				if (i + 4 >= n || hexval(p[i + 1]) < 0 ||
				    hexval(p[i + 2]) < 0 || hexval(p[i + 3]) < 0 ||
				    hexval(p[i + 4]) < 0)
					return -1;
				i += 4;
				break;
			default:
				return -1;
			}
		}
	}
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
scan_number(const char *p, size_t n, size_t i, size_t *end)
{
	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return -1;
	if (p[i] == '0')
		i++;
	else if (is_digit(p[i]))
		while (i < n && is_digit(p[i]))
			i++;
	else
		return -1;
	if (i < n && p[i] == '.') {
		if (++i >= n || !is_digit(p[i]))
			return -1;
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || !is_digit(p[i]))
			return -1;
		while (i < n && is_digit(p[i]))
			i++;
	}
	*end = i;
	return 0;
}

static int scan_value(const char *p, size_t n, size_t i, int depth,
    struct gw_jval *v, size_t *end);

static int
scan_container(const char *p, size_t n, size_t i, int depth, size_t *end)
{
	char close = p[i] == '{' ? '}' : ']';
	int obj = p[i] == '{', first = 1;
	struct gw_jval v;
	size_t e;

	if (depth >= GW_JSON_DEPTH)
		return -1;
	i = skip_ws(p, n, i + 1);
	if (i < n && p[i] == close) {
		*end = i + 1;
		return 0;
	}
	for (;;) {
		if (!first) {
			i = skip_ws(p, n, i);
			if (i >= n)
				return -1;
			if (p[i] == close) {
				*end = i + 1;
				return 0;
			}
			if (p[i] != ',')
				return -1;
			i = skip_ws(p, n, i + 1);
		}
		first = 0;
		if (obj) {
			int esc;

			if (i >= n || p[i] != '"' ||
			    scan_string(p, n, i, &e, &esc) != 0)
				return -1;
			i = skip_ws(p, n, e);
			if (i >= n || p[i] != ':')
				return -1;
			i = skip_ws(p, n, i + 1);
		}
		if (scan_value(p, n, i, depth + 1, &v, &e) != 0)
			return -1;
		i = e;
	}
}

static int
literal(const char *p, size_t n, size_t i, const char *lit, size_t *end)
{
	size_t k = strlen(lit);

	if (n - i < k || memcmp(p + i, lit, k) != 0)
		return -1;
	*end = i + k;
	return 0;
}

static int
scan_value(const char *p, size_t n, size_t i, int depth, struct gw_jval *v,
    size_t *end)
{
	size_t e;
	int esc = 0;

	if (i >= n)
		return -1;
	switch (p[i]) {
	case '"':
		if (scan_string(p, n, i, &e, &esc) != 0)
			return -1;
		v->type = GW_J_STR;
		v->p = p + i + 1;
		v->n = e - i - 2;
		v->esc = esc;
		*end = e;
		return 0;
	case '{':
	case '[':
		if (scan_container(p, n, i, depth, &e) != 0)
			return -1;
		v->type = p[i] == '{' ? GW_J_OBJ : GW_J_ARR;
		break;
	case 't':
		if (literal(p, n, i, "true", &e) != 0)
			return -1;
		v->type = GW_J_TRUE;
		break;
	case 'f':
		if (literal(p, n, i, "false", &e) != 0)
			return -1;
		v->type = GW_J_FALSE;
		break;
	case 'n':
		if (literal(p, n, i, "null", &e) != 0)
			return -1;
		v->type = GW_J_NULL;
		break;
	default:
		if (scan_number(p, n, i, &e) != 0)
			return -1;
		v->type = GW_J_NUM;
		break;
	}
	v->p = p + i;
	v->n = e - i;
	v->esc = 0;
	*end = e;
	return 0;
}

int
gw_json_value(const char *p, size_t n, struct gw_jval *v, size_t *used)
{
	size_t i = skip_ws(p, n, 0), e;

	if (scan_value(p, n, i, 0, v, &e) != 0)
		return -1;
	*used = e;
	return 0;
}

int
gw_json_object(const char *p, size_t n, gw_member_cb cb, void *ud,
    size_t *used)
{
	size_t i = skip_ws(p, n, 0), e;
	int first = 1, rc;

	if (i >= n || p[i] != '{')
		return -1;
	i = skip_ws(p, n, i + 1);
	if (i < n && p[i] == '}') {
		if (used != NULL)
			*used = i + 1;
		return 0;
	}
	for (;;) {
		struct gw_jval key, v;
		int esc;

		if (!first) {
			i = skip_ws(p, n, i);
			if (i >= n)
				return -1;
			if (p[i] == '}') {
				if (used != NULL)
					*used = i + 1;
				return 0;
			}
			if (p[i] != ',')
				return -1;
			i = skip_ws(p, n, i + 1);
		}
		first = 0;
		if (i >= n || p[i] != '"' ||
		    scan_string(p, n, i, &e, &esc) != 0)
			return -1;
		key.type = GW_J_STR;
		key.p = p + i + 1;
		key.n = e - i - 2;
		key.esc = esc;
		i = skip_ws(p, n, e);
		if (i >= n || p[i] != ':')
			return -1;
		i = skip_ws(p, n, i + 1);
		if (scan_value(p, n, i, 1, &v, &e) != 0)
			return -1;
		i = e;
		if (cb != NULL) {
			char kbuf[64];
			size_t kn;

			/* Keys with escapes are compared unescaped. */
			if (key.esc) {
				kn = gw_json_str(&key, kbuf, sizeof(kbuf));
				if (kn == (size_t)-1)
					continue;
				if ((rc = cb(ud, kbuf, kn, &v)) != 0)
					return rc;
			} else if ((rc = cb(ud, key.p, key.n, &v)) != 0)
				return rc;
		}
	}
}

int
gw_json_array(const struct gw_jval *arr, gw_member_cb cb, void *ud)
{
	const char *p = arr->p;
	size_t n = arr->n, i, e;
	int first = 1, rc;

	if (arr->type != GW_J_ARR)
		return -1;
	i = skip_ws(p, n, 1);
	if (i < n && p[i] == ']')
		return 0;
	for (;;) {
		struct gw_jval v;

		if (!first) {
			i = skip_ws(p, n, i);
			if (i >= n)
				return -1;
			if (p[i] == ']')
				return 0;
			if (p[i] != ',')
				return -1;
			i = skip_ws(p, n, i + 1);
		}
		first = 0;
		if (scan_value(p, n, i, 1, &v, &e) != 0)
			return -1;
		i = e;
		if ((rc = cb(ud, NULL, 0, &v)) != 0)
			return rc;
	}
}

static size_t
put_utf8(char *out, size_t o, size_t cap, unsigned cp)
{
	unsigned char b[4];
	size_t k, len;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		len = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		len = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		len = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		len = 4;
	}
	if (o + len >= cap)
		return (size_t)-1;
	for (k = 0; k < len; k++)
		out[o + k] = (char)b[k];
	return o + len;
}

size_t
gw_json_str(const struct gw_jval *v, char *out, size_t cap)
{
	const char *p = v->p;
	size_t i, o = 0, n = v->n;

	if (cap == 0)
		return (size_t)-1;
	if (v->type != GW_J_STR) {
		out[0] = '\0';
		return (size_t)-1;
	}
	if (!v->esc) {
		if (n >= cap)
			return (size_t)-1;
		memcpy(out, p, n);
		out[n] = '\0';
		return n;
	}
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c != '\\') {
			if (o + 1 >= cap)
				return (size_t)-1;
			out[o++] = c;
			continue;
		}
		c = p[++i];  /* validated: an escape is complete */
		switch (c) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			unsigned cp = 0;
			int k;

			for (k = 1; k <= 4; k++)
				cp = cp * 16 + (unsigned)hexval(p[i + k]);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n &&
			    p[i + 1] == '\\' && p[i + 2] == 'u') {
				unsigned lo = 0;
				int ok = 1;

				for (k = 3; k <= 6; k++) {
					int h = hexval(p[i + k]);
					if (h < 0)
						ok = 0;
					else
						lo = lo * 16 + (unsigned)h;
				}
				if (ok && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;  /* a lone surrogate */
			if ((o = put_utf8(out, o, cap, cp)) == (size_t)-1)
				return (size_t)-1;
			continue;
		}
		default: break;  /* " \ / */
		}
		if (o + 1 >= cap)
			return (size_t)-1;
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

int
gw_json_int(const struct gw_jval *v, int64_t *out)
{
	const char *p = v->p;
	size_t n = v->n, i = 0;
	int64_t x = 0;
	int neg = 0;

	/* Numbers, and numbers in strings (some gateways log "123"). */
	if (v->type != GW_J_NUM && (v->type != GW_J_STR || v->esc))
		return -1;
	if (n > 0 && p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= n || !is_digit(p[i]))
		return -1;
	for (; i < n && is_digit(p[i]); i++) {
		if (x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (p[i] - '0');
	}
	/* A fraction is truncated; an exponent is not an integer here. */
	if (i < n && p[i] == '.') {
		for (i++; i < n && is_digit(p[i]); i++)
			;
	}
	if (i != n)
		return -1;
	*out = neg ? -x : x;
	return 0;
}
