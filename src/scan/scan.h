/*
 * scan: the model-artifact scanner. Decides whether a model file would run
 * code when loaded, without loading it: pickle opcode walking (protocols
 * 0-5), PyTorch zip and legacy checkpoints, NumPy .npy/.npz, joblib and
 * safetensors headers. Pure parsing: nothing is executed, nothing printed.
 *
 * Every oddity in the input (truncation, an invalid opcode, a global whose
 * module is not a string, a safetensors overlap) is a finding in the result,
 * never an error return; errors are reserved for "could not read the file"
 * and out of memory. A dangerous global wins over a parse error.
 *
 * Zip archives are read through src/evidence (the only libarchive user).
 */
#ifndef FB_SCAN_H
#define FB_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

enum scan_format {
	SCAN_FMT_NONE = 0,       /* not a model format */
	SCAN_FMT_PICKLE,         /* raw pickle stream, any protocol */
	SCAN_FMT_TORCH_ZIP,      /* torch.save zip (data.pkl members) */
	SCAN_FMT_TORCH_LEGACY,   /* torch.save legacy: consecutive pickles */
	SCAN_FMT_NPY,
	SCAN_FMT_NPZ,
	SCAN_FMT_JOBLIB,
	SCAN_FMT_SAFETENSORS,
	SCAN_FMT_ZIP,            /* a zip without model members */
};

/* Ordered: a higher verdict wins when a file has several findings. */
enum scan_verdict {
	SCAN_VERDICT_NOT_MODEL = 0,
	SCAN_VERDICT_SAFE,
	SCAN_VERDICT_SUSPICIOUS,     /* references code, unknown globals */
	SCAN_VERDICT_ERROR,    /* malformed or truncated, nothing dangerous */
	SCAN_VERDICT_DANGEROUS,
};

/* The same names as the rest of firebreak: info, low, medium, high, critical. */
enum scan_severity {
	SCAN_SEV_INFO = 0,
	SCAN_SEV_LOW,
	SCAN_SEV_MEDIUM,
	SCAN_SEV_HIGH,
	SCAN_SEV_CRITICAL,
};

/* How the policy classifies one imported global. */
enum scan_class {
	SCAN_CLASS_UNKNOWN = 0,  /* imports code we know nothing about */
	SCAN_CLASS_SAFE,
	SCAN_CLASS_DANGEROUS,
};

/* Finding flags. */
enum {
	SCAN_F_ERROR = 1 << 0,   /* the input is malformed (verdict error) */
};

struct scan_finding {
	enum scan_severity severity;
	unsigned flags;          /* SCAN_F_* */
	const char *rule;        /* static: "pickle.dangerous-global", ... */
	char *message;           /* owned; untrusted text already made safe */
	char *member;            /* owned; zip member name, or NULL */
	uint64_t offset;         /* byte offset in the member (or the file) */
};

struct scan_global {
	char *module;            /* owned, raw bytes as in the pickle (NUL-safe C string) */
	char *name;              /* owned */
	enum scan_class cls;
	char *member;            /* owned, or NULL */
	uint64_t offset;         /* offset of the importing opcode */
	uint8_t opcode;          /* 'c', 'i' or 0x93 (STACK_GLOBAL) */
	unsigned calls;          /* REDUCE/NEWOBJ/OBJ/INST on this global */
};

struct scan_result {
	char *path;              /* owned */
	const char *host;        /* borrowed: where the file came from, or NULL */
	enum scan_format format;
	enum scan_verdict verdict;
	char sha256[FB_SHA256_HEX]; /* "" when not computed */
	uint64_t size;
	struct scan_finding *findings;
	size_t nfindings, findings_alloc;
	struct scan_global *globals; /* de-duplicated per (module, name, member) */
	size_t nglobals, globals_alloc;
	int globals_capped;      /* more distinct globals than are kept */
	uint64_t npickles;       /* pickle streams walked */
	uint64_t ncalls;         /* REDUCE, BUILD, NEWOBJ(_EX), OBJ, INST seen */
};

/*
 * A classification policy: rules consulted in order, the first match
 * winning, and names that make any attribute path dangerous. The shipped
 * rules are data, lua/firebreak/scan/policy.lua (see firebreak-scan(1)).
 */
struct scan_policy;

/* An empty policy. Caller frees. */
struct scan_policy *scan_policy_new(void);
void scan_policy_free(struct scan_policy *pol);
/*
 * Append a rule (consulted after those already there). name is an
 * fnmatch(3) pattern; module "x.*" matches x and every submodule of x.
 * Returns 0 or -FB_ERR_INVAL.
 */
int scan_policy_add(struct scan_policy *pol, const char *module,
		    const char *name, enum scan_class cls);
/* Append a name that makes an attribute path dangerous ("system"). */
int scan_policy_add_name(struct scan_policy *pol, const char *name);
/* Append the rules and names of a policy file (a sandboxed Lua script). */
int scan_policy_load(struct scan_policy *pol, const char *path);
/* Append the user's policy, if any, then the shipped one. */
int scan_policy_default(struct scan_policy *pol);
/* Classify module.name; pol NULL means the default policy. */
enum scan_class scan_classify(const struct scan_policy *pol,
			      const char *module, const char *name);

struct scan_options {
	const struct scan_policy *policy; /* NULL: the default policy */
	uint64_t max_pickle;     /* largest pickle member read into memory (0: 256 MiB) */
	uint64_t max_header;     /* largest safetensors header (0: 100 MiB) */
	int no_hash;             /* skip the whole-file SHA-256 */
};

void scan_result_init(struct scan_result *r);
void scan_result_release(struct scan_result *r);

/*
 * Scan one file. Detection is by content; the extension is only a hint.
 * Fills r (which must be initialised) and returns 0, or -FB_ERR_IO /
 * -FB_ERR_NOENT / -FB_ERR_PERM when the file cannot be read (r then holds
 * the path only). opts may be NULL.
 */
int scan_file(const char *path, const struct scan_options *opts,
	      struct scan_result *r);
/*
 * Scan bytes already in memory; name is used for the extension hint and
 * r->path (may be NULL). The SHA-256 is computed over p unless opts->no_hash.
 */
int scan_memory(const void *p, size_t n, const char *name,
		const struct scan_options *opts, struct scan_result *r);

/*
 * Walk consecutive pickle streams in p[0..n) (the small fuzzable core).
 * member labels findings; base is added to every offset. max_pickles bounds
 * how many consecutive pickles are walked (0: until the input ends).
 * Records globals, calls and findings in r; the verdict is not updated
 * (scan_result_finish() does that). Never fails; out of memory is fatal.
 */
void scan_pickle(const void *p, size_t n, const char *member, uint64_t base,
		 unsigned max_pickles, const struct scan_policy *pol,
		 struct scan_result *r);

/* Validate a safetensors file's first n bytes (at least header + 8) given
 * the whole file size; records findings in r. */
void scan_safetensors(const void *p, size_t n, uint64_t file_size,
		      const struct scan_options *opts, struct scan_result *r);

/* Recompute r->verdict from the findings and the format. */
void scan_result_finish(struct scan_result *r);

/* Record a finding (message is printf-style and made terminal-safe). */
void scan_finding_add(struct scan_result *r, enum scan_severity sev,
		      unsigned flags, const char *rule, const char *member,
		      uint64_t offset, const char *fmt, ...) FB_ATTR_PRINTF(7, 8);

/* Names for output. Borrowed, static. */
const char *scan_format_name(enum scan_format f);
const char *scan_verdict_name(enum scan_verdict v);
const char *scan_severity_name(enum scan_severity s);
const char *scan_class_name(enum scan_class c);

/*
 * Append r as one JSON object (no newline) to out: path, size, sha256,
 * format, verdict, globals [{module, name, class, member, offset, calls}],
 * findings [{severity, rule, message, member, offset}]. Untrusted strings
 * are made valid, terminal-safe UTF-8 first. Written with yajl_gen.
 */
void scan_result_json(const struct scan_result *r, struct fb_buf *out);

/*
 * Scan path: a file, or every regular file under a directory (recursive,
 * symlinks not followed, sorted by name within a directory). cb gets each
 * result (and the rc of scan_file for that file); its non-zero return
 * stops the walk and is returned. Returns 0 or the first fatal error.
 */
int scan_path(const char *path, const struct scan_options *opts,
	      int (*cb)(void *ctx, const struct scan_result *r, int rc),
	      void *ctx);

/* The worst finding severity in r (SCAN_SEV_INFO when none). */
enum scan_severity scan_result_worst(const struct scan_result *r);

#endif
