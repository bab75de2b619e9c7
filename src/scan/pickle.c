/*
 * pickle.c: a bounded pickle opcode walker (protocols 0-5).
 *
 * It models only what decides which code a pickle imports: a stack of
 * values that are strings, imported globals, small integers and tuples of
 * them, the memo (so names travelling through PUT/GET/MEMOIZE are still
 * resolved), and the marks. Everything else is an opaque value. Every
 * length comes from the input and is checked against what remains before
 * it is used; all memory is bounded by the input length. Evasions (missing
 * memo keys, non-string module names, truncation, invalid opcodes) become
 * findings, never crashes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "scan/scan-int.h"

enum vkind {
	V_OTHER = 0,  /* some object we do not model */
	V_UNKNOWN,    /* came from nowhere: missing memo key, underflow */
	V_STR,        /* str: s/len */
	V_BYTES,      /* bytes or bytearray: s/len */
	V_INT,        /* num */
	V_GLOBAL,     /* gidx */
	V_OBJ,        /* result of calling gidx (or of an unknown callable) */
	V_TUPLE,      /* s/len = first item when a str; num = product when all ints */
	V_DICT,       /* num = product of 'shape', itemsize from 'dtype' */
	V_DTYPE,      /* numpy dtype built by numpy.dtype(str, ...) */
};

#define VF_ALLINT 1u   /* tuple of ints only (a shape) */
#define VF_HASG 2u     /* gidx valid */
#define VF_OBJECT 4u   /* dtype (or dict holding one) is an object dtype */
#define VF_SHAPE 8u    /* dict: shape known */
#define VF_ITEM 16u    /* dict: itemsize known */
#define VF_ALIGN 32u   /* dict: numpy_array_alignment_bytes present */
#define VF_SET 128u    /* a dense memo slot that was written */

/*
 * 32 bytes: the memo of a big state dict holds millions of these. Lengths
 * and global indexes fit 32 bits because a walked pickle is under 4 GiB.
 */
struct val {
	uint8_t kind;
	uint8_t flags;
	uint32_t itemsize;
	uint32_t len;
	uint32_t gidx;
	const char *s;
	uint64_t num;
};

struct memo_slot {
	uint64_t key;
	int used;
	struct val v;
};

struct walk {
	const unsigned char *p;
	size_t n;
	const char *member;
	uint64_t base;
	const struct scan_policy *pol;
	struct scan_result *r;
	struct scan_pickle_info *info;

	struct val *stack;
	size_t sp, salloc;
	size_t *marks;
	size_t nmarks, malloc_;
	struct val *dense;       /* memo keys 0..dense_cap-1, the usual case */
	size_t dense_cap;
	size_t dense_map;        /* slots reserved by mmap (0: heap) */
	struct memo_slot *memo;  /* sparse keys */
	size_t memo_cap, memo_used, memo_max, stack_max;
	char **arena;
	size_t narena, aalloc;
	int underflow_reported;
	int missing_reported;
};

/*
 * Bounds on what a hostile stream can make the walker hold, scaled by the
 * input: every stack or memo entry costs at least one opcode byte, and
 * real pickles spend ten or more (protocol 4 MEMOIZE is one byte after an
 * object of several). So at most one entry per four input bytes, and at
 * least 2^20 whatever the size; a value is ~40 bytes, so the walker holds
 * at most ~10x the pickle's size, and usually far less.
 */
#define MIN_LIMIT ((size_t)1 << 20)
/* Past this many dense memo slots, they live in one reserved mapping. */
#define DENSE_MAP_MIN ((size_t)1 << 16)

static const unsigned char torch_magic[10] = {
	0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19
};

/* ---- stack and marks -------------------------------------------------- */

static size_t
fence(const struct walk *w)
{
	return w->nmarks ? w->marks[w->nmarks - 1] : 0;
}

static int
grow_stack(struct walk *w)
{
	if (w->salloc >= w->stack_max)
		return -1;
	w->salloc = w->salloc ? w->salloc * 2 : 64;
	w->stack = xrealloc(w->stack, w->salloc * sizeof(*w->stack));
	return 0;
}

/* Inline: a push follows nearly every opcode. */
static inline int
push(struct walk *w, const struct val v)
{
	if (w->sp == w->salloc && grow_stack(w) != 0)
		return -1;
	w->stack[w->sp++] = v;
	return 0;
}

static void
underflow(struct walk *w, size_t pos)
{
	if (w->underflow_reported++)
		return;
	scan_finding_add(w->r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
	    "pickle.stack-underflow", w->member, w->base + pos,
	    "stack underflow at opcode 0x%02x", w->p[pos]);
}

static struct val
pop(struct walk *w, size_t pos)
{
	struct val u = { .kind = V_UNKNOWN };

	if (w->sp <= fence(w)) {
		underflow(w, pos);
		return u;
	}
	return w->stack[--w->sp];
}

/* The value k below the top (0 = top) without popping, or an unknown. */
static struct val
peek(struct walk *w, size_t k, size_t pos)
{
	struct val u = { .kind = V_UNKNOWN };

	if (w->sp < k + 1 || w->sp - k - 1 < fence(w)) {
		underflow(w, pos);
		return u;
	}
	return w->stack[w->sp - k - 1];
}

/* Pop to the last mark; returns the index of the first item popped. */
static size_t
pop_mark(struct walk *w, size_t pos, size_t *count)
{
	size_t m;

	if (w->nmarks == 0) {
		scan_finding_add(w->r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
		    "pickle.missing-mark", w->member, w->base + pos,
		    "opcode 0x%02x needs a mark and there is none", w->p[pos]);
		*count = 0;
		return w->sp;
	}
	m = w->marks[--w->nmarks];
	if (m > w->sp)
		m = w->sp;
	*count = w->sp - m;
	w->sp = m;
	return m;
}

/* ---- memo (open addressing, grows by doubling) -------------------------- */

static uint64_t
mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static struct memo_slot *
memo_find(struct walk *w, uint64_t key, int create)
{
	size_t i;

	if (create && (w->memo_used + 1) * 2 > w->memo_cap) {
		size_t ocap = w->memo_cap, j;
		struct memo_slot *old = w->memo;

		w->memo_cap = ocap ? ocap * 2 : 64;
		w->memo = xcalloc(w->memo_cap, sizeof(*w->memo));
		for (j = 0; j < ocap; j++) {
			if (!old[j].used)
				continue;
			i = mix(old[j].key) & (w->memo_cap - 1);
			while (w->memo[i].used)
				i = (i + 1) & (w->memo_cap - 1);
			w->memo[i] = old[j];
		}
		free(old);
	}
	if (w->memo_cap == 0)
		return NULL;
	i = mix(key) & (w->memo_cap - 1);
	while (w->memo[i].used) {
		if (w->memo[i].key == key)
			return &w->memo[i];
		i = (i + 1) & (w->memo_cap - 1);
	}
	if (!create)
		return NULL;
	w->memo[i].used = 1;
	w->memo[i].key = key;
	w->memo_used++;
	return &w->memo[i];
}

/*
 * Keys are almost always 0, 1, 2, ... (the pickler numbers them by the
 * memo's size), so they index an array that grows by doubling; a key far
 * beyond it goes to the hash table instead.
 */
static struct val *
memo_dense(struct walk *w, uint64_t key, int create)
{
	size_t ncap;

	if (key < w->dense_cap)
		return &w->dense[key];
	if (!create || key >= w->memo_max ||
	    key >= (w->dense_cap < 512 ? 1024 : 2 * w->dense_cap))
		return NULL;
	for (ncap = w->dense_cap ? w->dense_cap : 1024; ncap <= key; ncap *= 2)
		;
	if (ncap > w->memo_max)
		ncap = w->memo_max;
	if (w->dense_map == 0 && ncap >= DENSE_MAP_MIN) {
		/*
		 * A big state dict: reserve room for the memo's limit once, in
		 * huge pages where the kernel allows, so growing never copies
		 * and pages arrive zeroed (zero flags: never written). Only
		 * what dense keys touch is ever backed by memory.
		 */
		size_t len = w->memo_max * sizeof(*w->dense);
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m != MAP_FAILED) {
			(void)madvise(m, len, MADV_HUGEPAGE);
			memcpy(m, w->dense, w->dense_cap * sizeof(*w->dense));
			free(w->dense);
			w->dense = m;
			w->dense_map = w->memo_max;
		}
	}
	if (w->dense_map == 0) {
		w->dense = xrealloc(w->dense, ncap * sizeof(*w->dense));
		memset(w->dense + w->dense_cap, 0,
		    (ncap - w->dense_cap) * sizeof(*w->dense));
	}
	w->dense_cap = ncap;
	return &w->dense[key];
}

static int
memo_put(struct walk *w, uint64_t key, size_t pos)
{
	struct val v = peek(w, 0, pos), *d;
	struct memo_slot *s;

	if ((d = memo_dense(w, key, 1)) != NULL) {
		if (!(d->flags & VF_SET)) {
			if (w->memo_used >= w->memo_max)
				return -1;
			w->memo_used++;
		}
		*d = v;
		d->flags |= VF_SET;
		return 0;
	}
	if (w->memo_used >= w->memo_max && memo_find(w, key, 0) == NULL)
		return -1;
	s = memo_find(w, key, 1);
	s->v = v;
	return 0;
}

static int
memo_get(struct walk *w, uint64_t key, size_t pos)
{
	struct val *d = memo_dense(w, key, 0);
	struct memo_slot *s = NULL;
	struct val u = { .kind = V_UNKNOWN };

	if (d != NULL && (d->flags & VF_SET)) {
		struct val c = *d;

		c.flags &= ~VF_SET;
		return push(w, c);
	}
	if (d == NULL)
		s = memo_find(w, key, 0);
	if (s == NULL) {
		if (w->missing_reported++ < 8)
			scan_finding_add(w->r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
			    "pickle.memo-missing", w->member, w->base + pos,
			    "memo key %llu read before it was written",
			    (unsigned long long)key);
		return push(w, u);
	}
	return push(w, s->v);
}

/* ---- argument readers --------------------------------------------------- */

static char *
arena_alloc(struct walk *w, size_t n)
{
	if (w->narena == w->aalloc) {
		w->aalloc = w->aalloc ? w->aalloc * 2 : 16;
		w->arena = xrealloc(w->arena, w->aalloc * sizeof(*w->arena));
	}
	return w->arena[w->narena++] = xmalloc(n + 1);
}

/* A '\n'-terminated line at p[at]; returns 0 and sets *len, or -1. */
static int
read_line(const struct walk *w, size_t at, size_t *len)
{
	const unsigned char *nl;

	if (at >= w->n)
		return -1;
	nl = memchr(w->p + at, '\n', w->n - at);
	if (nl == NULL)
		return -1;
	*len = (size_t)(nl - (w->p + at));
	return 0;
}

static uint64_t
le(const unsigned char *p, int k)
{
	uint64_t v = 0;
	int i;

	for (i = k - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
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

static size_t
put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | ((c >> 18) & 0x07));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * UNICODE ('V'): raw-unicode-escape. Only \uXXXX and \UXXXXXXXX are
 * escapes; other bytes are Latin-1. An evader can spell "os" as "\u006fs".
 */
static void
decode_raw_unicode(struct walk *w, const unsigned char *s, size_t n,
		   struct val *v)
{
	char *o;
	size_t i, k = 0;

	if (memchr(s, '\\', n) == NULL) {
		size_t j;
		for (j = 0; j < n && s[j] < 0x80; j++)
			;
		if (j == n) {
			v->s = (const char *)s;
			v->len = (uint32_t)n;
			return;
		}
	}
	o = arena_alloc(w, n * 2);
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
			int digits = s[i + 1] == 'u' ? 4 : 8, d;
			uint32_t c = 0;

			if (i + 2 + (size_t)digits <= n) {
				for (d = 0; d < digits; d++) {
					int h = hexval(s[i + 2 + d]);
					if (h < 0)
						break;
					c = (c << 4) | (uint32_t)h;
				}
				if (d == digits && c <= 0x10ffff) {
					k += put_utf8(o + k, c);
					i += 1 + (size_t)digits;
					continue;
				}
			}
		}
		k += put_utf8(o + k, s[i]);
	}
	o[k] = '\0';
	v->s = o;
	v->len = (uint32_t)k;
}

/*
 * STRING ('S'): a quoted Python repr, decoded like codecs.escape_decode.
 * Returns -1 when the argument is not quoted (CPython refuses it too).
 */
static int
decode_string(struct walk *w, const unsigned char *s, size_t n, struct val *v)
{
	char *o;
	size_t i, k = 0;

	if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0])
		return -1;
	s++;
	n -= 2;
	if (memchr(s, '\\', n) == NULL) {
		v->s = (const char *)s;
		v->len = (uint32_t)n;
		return 0;
	}
	o = arena_alloc(w, n);
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c != '\\' || i + 1 == n) {
			o[k++] = (char)c;
			continue;
		}
		c = s[++i];
		switch (c) {
		case '\n': break;
		case '\\': o[k++] = '\\'; break;
		case '\'': o[k++] = '\''; break;
		case '"': o[k++] = '"'; break;
		case 'a': o[k++] = 7; break;
		case 'b': o[k++] = 8; break;
		case 'f': o[k++] = 12; break;
		case 'n': o[k++] = 10; break;
		case 'r': o[k++] = 13; break;
		case 't': o[k++] = 9; break;
		case 'v': o[k++] = 11; break;
		case 'x':
			if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
			    hexval(s[i + 2]) >= 0) {
				o[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
				i += 2;
			} else {
				o[k++] = '\\';
				o[k++] = 'x';
			}
			break;
		default:
			if (c >= '0' && c <= '7') {
				unsigned val = (unsigned)(c - '0');
				int d;
				for (d = 0; d < 2 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7'; d++)
					val = val * 8 + (unsigned)(s[++i] - '0');
				o[k++] = (char)(val & 0xff);
			} else {
				o[k++] = '\\';
				o[k++] = (char)c;
			}
		}
	}
	o[k] = '\0';
	v->s = o;
	v->len = (uint32_t)k;
	return 0;
}

/* A decimal memo key from a text opcode (PUT/GET); -1 when malformed. */
static int
parse_dec(const unsigned char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n > 0 && s[0] == '+')
		i++;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* ---- globals and calls -------------------------------------------------- */

static int
gl_is(const struct walk *w, const struct val *v, const char *mod,
      const char *name)
{
	const struct scan_global *g;

	if (!(v->flags & VF_HASG))
		return 0;
	g = &w->r->globals[v->gidx];
	return strcmp(g->module, mod) == 0 && strcmp(g->name, name) == 0;
}

static int
is_array_wrapper(const struct walk *w, const struct val *v)
{
	return gl_is(w, v, "joblib.numpy_pickle", "NumpyArrayWrapper") ||
	    gl_is(w, v, "sklearn.externals.joblib.numpy_pickle",
		"NumpyArrayWrapper");
}

static struct val
make_global(struct walk *w, const char *mod, size_t mlen, const char *name,
	    size_t nlen, size_t pos, uint8_t op)
{
	struct val v = { .kind = V_GLOBAL, .flags = VF_HASG };
	size_t gi;
	int is_new;

	gi = scan_global_add(w->r, mod, mlen, name, nlen, w->member,
	    w->base + pos, op, w->pol, &is_new);

	if (gi == SIZE_MAX || gi > UINT32_MAX)
		v.flags = 0;
	else
		v.gidx = (uint32_t)gi;
	w->info->nglobals++;
	return v;
}

static const char *
kind_name(int k)
{
	switch (k) {
	case V_UNKNOWN: return "an unresolved value";
	case V_BYTES: return "bytes";
	case V_INT: return "an integer";
	case V_GLOBAL: return "a global";
	case V_OBJ: return "an object";
	case V_TUPLE: return "a tuple";
	case V_DICT: return "a dict";
	default: return "a non-string value";
	}
}

static int
stack_global(struct walk *w, size_t pos)
{
	struct val name = pop(w, pos), mod = pop(w, pos);

	if (mod.kind == V_STR && name.kind == V_STR)
		return push(w, make_global(w, mod.s, mod.len, name.s, name.len,
		    pos, 0x93));
	/* CPython refuses this, but the import list must still say it. */
	if ((mod.kind == V_STR || mod.kind == V_BYTES) &&
	    (name.kind == V_STR || name.kind == V_BYTES)) {
		struct val g = make_global(w, mod.s, mod.len, name.s, name.len,
		    pos, 0x93);
		scan_finding_add(w->r, SCAN_SEV_HIGH, 0,
		    "pickle.non-string-global", w->member, w->base + pos,
		    "STACK_GLOBAL with bytes operands '%.*s.%.*s'",
		    (int)(mod.len > 200 ? 200 : mod.len), mod.s,
		    (int)(name.len > 200 ? 200 : name.len), name.s);
		return push(w, g);
	}
	scan_finding_add(w->r, SCAN_SEV_HIGH, 0, "pickle.unresolved-global",
	    w->member, w->base + pos,
	    "STACK_GLOBAL module is %s and name is %s: the import cannot be named",
	    mod.kind == V_STR ? "a string" : kind_name(mod.kind),
	    name.kind == V_STR ? "a string" : kind_name(name.kind));
	{
		struct val u = { .kind = V_UNKNOWN };
		w->info->nglobals++;
		return push(w, u);
	}
}

static void
count_call(struct walk *w, const struct val *callee)
{
	w->r->ncalls++;
	w->info->ncalls++;
	if (callee != NULL && (callee->flags & VF_HASG) &&
	    callee->kind == V_GLOBAL)
		w->r->globals[callee->gidx].calls++;
}

/* itemsize of a numpy type string such as "f8", "<i4", "U10", "O8". */
static void
dtype_from_str(struct val *out, const char *s, size_t n)
{
	size_t i = 0;
	uint64_t num = 0;
	char c;

	out->kind = V_DTYPE;
	out->flags = 0;
	out->itemsize = 0;
	if (n > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '='))
		i++;
	if (i >= n)
		return;
	c = s[i++];
	for (; i < n && s[i] >= '0' && s[i] <= '9' && num < 1u << 20; i++)
		num = num * 10 + (uint64_t)(s[i] - '0');
	if (c == 'O') {
		out->flags |= VF_OBJECT;
		return;
	}
	if (c == 'U')
		num *= 4;
	if (c == '?' || (c == 'b' && num == 0))
		num = 1;
	if (i == n && num > 0 && num <= (1u << 24))
		out->itemsize = (uint32_t)num;
}

static struct val
make_tuple(const struct val *items, size_t k)
{
	struct val t = { .kind = V_TUPLE, .flags = VF_ALLINT, .num = 1 };
	size_t i;

	for (i = 0; i < k; i++) {
		if (items[i].kind != V_INT) {
			t.flags &= (uint8_t)~VF_ALLINT;
		} else if (t.flags & VF_ALLINT) {
			uint64_t a = items[i].num;
			if (a != 0 && t.num > UINT64_MAX / a)
				t.num = UINT64_MAX;
			else
				t.num *= a;
		}
	}
	if (k > 0 && items[0].kind == V_STR) {
		t.s = items[0].s;
		t.len = items[0].len;
	}
	return t;
}

static int
key_is(const struct val *k, const char *s)
{
	return k->kind == V_STR && k->len == strlen(s) &&
	    memcmp(k->s, s, k->len) == 0;
}

/* A dict item: remember what a joblib array wrapper's state needs. */
static void
dict_item(struct val *d, const struct val *k, const struct val *v)
{
	if (d->kind != V_DICT)
		return;
	if (key_is(k, "shape") && v->kind == V_TUPLE && (v->flags & VF_ALLINT)) {
		d->num = v->num;
		d->flags |= VF_SHAPE;
	} else if (key_is(k, "dtype") && v->kind == V_DTYPE) {
		d->itemsize = v->itemsize;
		d->flags |= VF_ITEM | (v->flags & VF_OBJECT);
	} else if (key_is(k, "numpy_array_alignment_bytes") && v->kind == V_INT) {
		d->flags |= VF_ALIGN;
	}
}

/* ---- the walk ----------------------------------------------------------- */

static void
truncated(struct walk *w, size_t pos, const char *what)
{
	scan_finding_add(w->r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "pickle.truncated",
	    w->member, w->base + pos,
	    "stream ends inside %s at opcode 0x%02x", what, w->p[pos]);
}

/*
 * After BUILD of a joblib NumpyArrayWrapper, joblib writes the array bytes
 * straight into the stream (after an alignment pad), or a whole nested
 * pickle for object arrays. Skip or walk them; returns the new position,
 * or (size_t)-1 when the layout cannot be followed.
 */
static size_t
joblib_skip(struct walk *w, const struct val *state, size_t at)
{
	uint64_t nbytes;

	if (state->kind != V_DICT || !(state->flags & VF_ITEM))
		return (size_t)-1;
	if (state->flags & VF_ALIGN) {
		unsigned pad;
		if (at >= w->n)
			return (size_t)-1;
		pad = w->p[at];
		if (pad > 64 || w->n - at - 1 < pad)
			return (size_t)-1;
		at += 1 + pad;
	}
	if (state->flags & VF_OBJECT) {
		struct scan_pickle_info sub;
		scan_pickle_one(w->p, w->n, at, w->member, w->base, w->pol,
		    w->r, &sub);
		w->info->nglobals += sub.nglobals;
		w->info->ncalls += sub.ncalls;
		return sub.stopped ? sub.end : (size_t)-1;
	}
	if (!(state->flags & VF_SHAPE) || state->itemsize == 0)
		return (size_t)-1;
	if (state->num != 0 && state->itemsize > UINT64_MAX / state->num)
		return (size_t)-1;
	nbytes = state->num * state->itemsize;
	if (nbytes > w->n - at)
		return (size_t)-1;
	return at + (size_t)nbytes;
}

static void
walk_release(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->narena; i++)
		free(w->arena[i]);
	free(w->arena);
	free(w->stack);
	free(w->marks);
	free(w->memo);
	if (w->dense_map != 0)
		munmap(w->dense, w->dense_map * sizeof(*w->dense));
	else
		free(w->dense);
}

void
scan_pickle_one(const unsigned char *p, size_t n, size_t off,
		const char *member, uint64_t base,
		const struct scan_policy *pol, struct scan_result *r,
		struct scan_pickle_info *info)
{
	struct walk w = { .p = p, .n = n, .member = member, .base = base,
		.pol = pol, .r = r, .info = info };
	size_t pos = off, len;
	int first = 1;
	struct val v, a, b;

	memset(info, 0, sizeof(*info));
	if (n > UINT32_MAX) {
		/* struct val keeps 32-bit lengths */
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "pickle.limit",
		    member, base + off, "a pickle over 4 GiB is not walked");
		info->end = off;
		return;
	}
	w.memo_max = w.stack_max = n / 4 > MIN_LIMIT ? n / 4 : MIN_LIMIT;
	r->npickles++;

	/* A literal torch magic number: [PROTO x] LONG1 10 <magic> STOP. */
	{
		size_t q = off;
		if (q + 2 <= n && p[q] == 0x80)
			q += 2;
		if (q + 13 <= n && p[q] == 0x8a && p[q + 1] == 10 &&
		    memcmp(p + q + 2, torch_magic, 10) == 0 && p[q + 12] == '.')
			info->literal_magic = 1;
	}

	while (pos < n) {
		unsigned char op = p[pos];
		size_t at = pos + 1;      /* first argument byte */
		uint64_t key;
		int k;

		memset(&v, 0, sizeof(v));
		switch (op) {
		/* -- structure -- */
		case '(': /* MARK */
			if (w.nmarks == w.malloc_) {
				if (w.malloc_ >= w.stack_max)
					goto limit;
				w.malloc_ = w.malloc_ ? w.malloc_ * 2 : 16;
				w.marks = xrealloc(w.marks, w.malloc_ * sizeof(*w.marks));
			}
			w.marks[w.nmarks++] = w.sp;
			pos = at;
			break;
		case '.': /* STOP */
			info->stopped = 1;
			pos = at;
			goto out;
		case '0': /* POP: pops the mark when nothing is above it */
			if (w.sp > fence(&w))
				w.sp--;
			else if (w.nmarks > 0)
				w.nmarks--;
			else
				underflow(&w, pos);
			pos = at;
			break;
		case '1': /* POP_MARK */
			pop_mark(&w, pos, &len);
			pos = at;
			break;
		case '2': /* DUP */
			v = peek(&w, 0, pos);
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		case 0x80: /* PROTO */
			if (at + 1 > n)
				goto trunc;
			if (p[at] > 5)
				scan_finding_add(r, SCAN_SEV_LOW, SCAN_F_ERROR,
				    "pickle.bad-protocol", member, base + pos,
				    "unsupported pickle protocol %u", p[at]);
			pos = at + 1;
			break;
		case 0x95: /* FRAME: 8-byte length, the opcodes follow as usual */
			if (at + 8 > n)
				goto trunc;
			if (le(p + at, 8) > n - at - 8)
				scan_finding_add(r, SCAN_SEV_LOW, SCAN_F_ERROR,
				    "pickle.truncated", member, base + pos,
				    "frame of %llu bytes runs past the end",
				    (unsigned long long)le(p + at, 8));
			pos = at + 8;
			break;

		/* -- scalars -- */
		case 'N': case 0x88: case 0x89: /* NONE NEWTRUE NEWFALSE */
			if (op != 'N') {
				v.kind = V_INT;
				v.num = op == 0x88;
			}
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		case 'I': case 'L': case 'F': /* INT LONG FLOAT (text) */
			if (read_line(&w, at, &len))
				goto trunc;
			if (op == 'I' && len > 0 && len < 20 && p[at] != '-') {
				uint64_t x;
				if (parse_dec(p + at, len, &x) == 0) {
					v.kind = V_INT;
					v.num = x;
				}
			}
			if (push(&w, v))
				goto limit;
			pos = at + len + 1;
			break;
		case 'J': case 'K': case 'M': /* BININT BININT1 BININT2 */
			k = op == 'J' ? 4 : op == 'K' ? 1 : 2;
			if (at + (size_t)k > n)
				goto trunc;
			v.kind = V_INT;
			v.num = le(p + at, k);
			if (op == 'J' && (v.num & 0x80000000u))
				v.kind = V_OTHER; /* negative */
			if (push(&w, v))
				goto limit;
			pos = at + (size_t)k;
			break;
		case 'G': /* BINFLOAT: 8 bytes, big-endian double */
			if (at + 8 > n)
				goto trunc;
			v.kind = V_OTHER;
			if (push(&w, v))
				goto limit;
			pos = at + 8;
			break;
		case 0x8a: case 0x8b: /* LONG1 LONG4 */
			k = op == 0x8a ? 1 : 4;
			if (at + (size_t)k > n)
				goto trunc;
			len = (size_t)le(p + at, k);
			if (op == 0x8b && (len & 0x80000000u)) {
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.bad-length", member, base + pos,
				    "LONG4 with a negative length");
				goto stop;
			}
			if (len > n - at - (size_t)k)
				goto trunc;
			if (len > 0 && len <= 8 && !(p[at + (size_t)k + len - 1] & 0x80)) {
				v.kind = V_INT;
				v.num = le(p + at + k, (int)len);
			}
			if (push(&w, v))
				goto limit;
			pos = at + (size_t)k + len;
			break;

		/* -- strings -- */
		case 'S': /* STRING */
			if (read_line(&w, at, &len))
				goto trunc;
			v.kind = V_STR;
			if (decode_string(&w, p + at, len, &v)) {
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.bad-string", member, base + pos,
				    "STRING argument is not quoted");
				v.kind = V_OTHER;
			}
			if (push(&w, v))
				goto limit;
			pos = at + len + 1;
			break;
		case 'V': /* UNICODE (raw-unicode-escape line) */
			if (read_line(&w, at, &len))
				goto trunc;
			v.kind = V_STR;
			decode_raw_unicode(&w, p + at, len, &v);
			if (push(&w, v))
				goto limit;
			pos = at + len + 1;
			break;
		case 'T': case 'X': case 'B':   /* 4-byte length */
		case 'U': case 0x8c: case 'C':  /* 1-byte length */
		case 0x8d: case 0x8e: case 0x96: /* 8-byte length */
		{
			uint64_t l64;
			k = (op == 'T' || op == 'X' || op == 'B') ? 4 :
			    (op == 'U' || op == 0x8c || op == 'C') ? 1 : 8;
			if (at + (size_t)k > n)
				goto trunc;
			l64 = le(p + at, k);
			if (op == 'T' && (l64 & 0x80000000u)) {
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.bad-length", member, base + pos,
				    "BINSTRING with a negative length");
				goto stop;
			}
			if (l64 > n - at - (size_t)k) {
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.truncated", member, base + pos,
				    "opcode 0x%02x claims %llu bytes, %zu remain",
				    op, (unsigned long long)l64, n - at - (size_t)k);
				goto stop;
			}
			v.kind = (op == 'B' || op == 'C' || op == 0x8e || op == 0x96) ?
			    V_BYTES : V_STR;
			v.s = (const char *)p + at + k;
			v.len = (uint32_t)l64;
			if (push(&w, v))
				goto limit;
			pos = at + (size_t)k + (size_t)l64;
			break;
		}

		/* -- containers -- */
		case ')': case ']': case '}': case 0x8f:
			v.kind = op == ')' ? V_TUPLE : op == '}' ? V_DICT : V_OTHER;
			if (op == ')') {
				v.flags = VF_ALLINT;
				v.num = 1;
			}
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		case 't': case 'l': case 'd': case 0x91: /* TUPLE LIST DICT FROZENSET */
		{
			size_t first_i = pop_mark(&w, pos, &len);
			if (op == 't')
				v = make_tuple(w.stack + first_i, len);
			else if (op == 'd') {
				size_t j;
				v.kind = V_DICT;
				for (j = 0; j + 1 < len; j += 2)
					dict_item(&v, &w.stack[first_i + j],
					    &w.stack[first_i + j + 1]);
			}
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		}
		case 0x85: case 0x86: case 0x87: /* TUPLE1..3 */
		{
			struct val items[3];
			k = op - 0x84;
			for (int j = k - 1; j >= 0; j--)
				items[j] = pop(&w, pos);
			v = make_tuple(items, (size_t)k);
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		}
		case 'a': /* APPEND */
			pop(&w, pos);
			(void)peek(&w, 0, pos);
			pos = at;
			break;
		case 'e': case 0x90: /* APPENDS ADDITEMS */
			pop_mark(&w, pos, &len);
			(void)peek(&w, 0, pos);
			pos = at;
			break;
		case 's': /* SETITEM */
			b = pop(&w, pos);
			a = pop(&w, pos);
			if (w.sp > fence(&w))
				dict_item(&w.stack[w.sp - 1], &a, &b);
			else
				underflow(&w, pos);
			pos = at;
			break;
		case 'u': /* SETITEMS */
		{
			size_t first_i = pop_mark(&w, pos, &len), j;
			if (w.sp > fence(&w)) {
				for (j = 0; j + 1 < len; j += 2)
					dict_item(&w.stack[w.sp - 1],
					    &w.stack[first_i + j],
					    &w.stack[first_i + j + 1]);
			} else {
				underflow(&w, pos);
			}
			pos = at;
			break;
		}

		/* -- imports -- */
		case 'c': case 'i': /* GLOBAL INST: "module\nname\n" */
		{
			size_t mlen, nlen;
			if (read_line(&w, at, &mlen) ||
			    read_line(&w, at + mlen + 1, &nlen))
				goto trunc;
			v = make_global(&w, (const char *)p + at, mlen,
			    (const char *)p + at + mlen + 1, nlen, pos, op);
			if (op == 'i') {
				pop_mark(&w, pos, &len);
				count_call(&w, &v);
				v.kind = V_OBJ;
			}
			if (push(&w, v))
				goto limit;
			pos = at + mlen + 1 + nlen + 1;
			break;
		}
		case 0x93: /* STACK_GLOBAL */
			if (stack_global(&w, pos))
				goto limit;
			pos = at;
			break;
		case 0x82: case 0x83: case 0x84: /* EXT1 EXT2 EXT4 */
			k = op == 0x82 ? 1 : op == 0x83 ? 2 : 4;
			if (at + (size_t)k > n)
				goto trunc;
			scan_finding_add(r, SCAN_SEV_HIGH, 0, "pickle.extension-global",
			    member, base + pos,
			    "import through the copyreg extension registry (code %llu)",
			    (unsigned long long)le(p + at, k));
			info->nglobals++;
			v.kind = V_UNKNOWN;
			if (push(&w, v))
				goto limit;
			pos = at + (size_t)k;
			break;

		/* -- calls -- */
		case 'R': /* REDUCE */
			b = pop(&w, pos);
			a = pop(&w, pos);
			count_call(&w, &a);
			v.kind = V_OBJ;
			if (a.kind == V_GLOBAL) {
				v.flags = VF_HASG;
				v.gidx = a.gidx;
			}
			if (gl_is(&w, &a, "numpy", "dtype") && b.kind == V_TUPLE &&
			    b.s != NULL)
				dtype_from_str(&v, b.s, b.len);
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		case 0x81: /* NEWOBJ */
		case 0x92: /* NEWOBJ_EX */
			if (op == 0x92)
				pop(&w, pos);
			pop(&w, pos);
			a = pop(&w, pos);
			count_call(&w, &a);
			v.kind = V_OBJ;
			if (a.kind == V_GLOBAL) {
				v.flags = VF_HASG;
				v.gidx = a.gidx;
			}
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		case 'o': /* OBJ: mark, class, args... */
		{
			size_t first_i = pop_mark(&w, pos, &len);
			if (len == 0)
				underflow(&w, pos);
			a = len ? w.stack[first_i] : (struct val){ .kind = V_UNKNOWN };
			count_call(&w, &a);
			v.kind = V_OBJ;
			if (a.kind == V_GLOBAL) {
				v.flags = VF_HASG;
				v.gidx = a.gidx;
			}
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		}
		case 'b': /* BUILD */
		{
			struct val state = pop(&w, pos), inst = peek(&w, 0, pos);
			count_call(&w, NULL);
			pos = at;
			if (inst.kind == V_OBJ && is_array_wrapper(&w, &inst)) {
				size_t np = joblib_skip(&w, &state, pos);
				if (np == (size_t)-1) {
					info->joblib_array = 1;
					scan_finding_add(r, SCAN_SEV_LOW, 0,
					    "joblib.unscanned-array", member,
					    base + pos,
					    "inline numpy array data could not be followed; "
					    "%zu bytes not scanned", n - pos);
					goto stop;
				}
				pos = np;
			}
			break;
		}

		/* -- memo -- */
		case 'p': case 'g': /* PUT GET (decimal line) */
			if (read_line(&w, at, &len))
				goto trunc;
			if (parse_dec(p + at, len, &key)) {
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.bad-memo-key", member, base + pos,
				    "memo key is not a non-negative decimal");
				goto stop;
			}
			if (op == 'p' ? memo_put(&w, key, pos) :
			    memo_get(&w, key, pos))
				goto limit;
			pos = at + len + 1;
			break;
		case 'q': case 'r': case 'h': case 'j':
			k = (op == 'q' || op == 'h') ? 1 : 4;
			if (at + (size_t)k > n)
				goto trunc;
			key = le(p + at, k);
			if ((op == 'q' || op == 'r') ? memo_put(&w, key, pos) :
			    memo_get(&w, key, pos))
				goto limit;
			pos = at + (size_t)k;
			break;
		case 0x94: /* MEMOIZE: key is the memo's size */
			if (memo_put(&w, w.memo_used, pos))
				goto limit;
			pos = at;
			break;

		/* -- persistent ids, out-of-band buffers -- */
		case 'P': /* PERSID */
			if (read_line(&w, at, &len))
				goto trunc;
			if (push(&w, v))
				goto limit;
			pos = at + len + 1;
			break;
		case 'Q': /* BINPERSID */
			pop(&w, pos);
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		case 0x97: /* NEXT_BUFFER */
			if (push(&w, v))
				goto limit;
			pos = at;
			break;
		case 0x98: /* READONLY_BUFFER */
			(void)peek(&w, 0, pos);
			pos = at;
			break;

		default:
			if (first)
				info->bad_first = 1;
			else
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.invalid-opcode", member, base + pos,
				    "invalid opcode 0x%02x", op);
			goto stop;
		}
		first = 0;
	}
	scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "pickle.truncated",
	    member, base + pos, "stream ends without STOP");
	goto stop;
trunc:
	truncated(&w, pos, "an opcode argument");
	goto stop;
limit:
	scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "pickle.limit",
	    member, base + pos,
	    "stack or memo larger than the scanner's limit (%zu entries)",
	    w.stack_max);
stop:
	info->stopped = 0;
out:
	info->end = pos;
	walk_release(&w);
}
