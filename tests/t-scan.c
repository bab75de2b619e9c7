/*
 * t-scan.c: the model scanner over generated evasion fixtures
 * (tests/fixtures/scan, written by make-fixtures.py) and the real model
 * files in $FIREBREAK_FIXTURES (default $FB_SRCDIR/../shared/fixtures).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <yajl_tree.h>
#include <zlib.h>

#include "scan/scan.h"
#include "tap.h"

struct expect {
	const char *file;
	const char *verdict;
	const char *format;
	const char *global;  /* "module.name" that must be listed, or NULL */
	const char *rule;    /* a rule that must be among the findings, or NULL */
};

static const struct expect generated[] = {
	{ "memo-indirection.pkl", "dangerous", "pickle", "posix.system", NULL },
	{ "stack-global-memo.pkl", "dangerous", "pickle", "subprocess.Popen", NULL },
	{ "nonstring-module.pkl", "dangerous", "pickle", NULL, "pickle.unresolved-global" },
	{ "missing-memo.pkl", "dangerous", "pickle", NULL, "pickle.memo-missing" },
	{ "truncated-dangerous.pkl", "dangerous", "pickle", "posix.system", "pickle.truncated" },
	{ "truncated-benign.pkl", "error", "pickle", NULL, "pickle.truncated" },
	{ "invalid-opcode.pkl", "error", "pickle", NULL, "pickle.invalid-opcode" },
	{ "proto0-inst.pkl", "dangerous", "pickle", "os.system", NULL },
	{ "binunicode8.pkl", "dangerous", "pickle", "os.system", NULL },
	{ "unicode-escape.pkl", "dangerous", "pickle", "os.system", NULL },
	{ "string-escape.pkl", "dangerous", "pickle", "posix.system", NULL },
	{ "dotted-name.pkl", "dangerous", "pickle", "torch.serialization.os.system", NULL },
	{ "dotted-safe.pkl", "safe", "pickle", "torch._utils._rebuild_tensor_v2", NULL },
	{ "ext-global.pkl", "dangerous", "pickle", NULL, "pickle.extension-global" },
	{ "unknown-global.pkl", "suspicious", "pickle", "mylib.models.Net", "pickle.unknown-global" },
	{ "benign-p2.pkl", "safe", "pickle", NULL, NULL },
	{ "benign-p0.pkl", "safe", "pickle", NULL, NULL },
	{ "legacy-magic-call.pt", "dangerous", "pickle", "builtins.int", "torch.magic-by-call" },
	{ "legacy-truncated.pt", "error", "pytorch-legacy", NULL, "torch.truncated" },
	{ "joblib-array-then-evil.joblib", "dangerous", "joblib", "posix.system", NULL },
	{ "joblib-array-benign.joblib", "safe", "joblib", "joblib.numpy_pickle.NumpyArrayWrapper", NULL },
	{ "object-array.npy", "dangerous", "npy", "builtins.exec", "npy.object-array" },
	{ "structured-object.npy", "dangerous", "npy", "builtins.exec", "npy.object-array" },
	{ "plain-array.npy", "safe", "npy", NULL, NULL },
	{ "npy-truncated.npy", "error", "npy", NULL, "npy.truncated" },
	{ "npy-bad-header.npy", "error", "npy", NULL, "npy.bad-header" },
	{ "object-array.npz", "dangerous", "npz", "builtins.exec", NULL },
	{ "plain.npz", "safe", "npz", NULL, NULL },
	{ "evil-torch.pt", "dangerous", "pytorch-zip", "nt.system", NULL },
	{ "plain.zip", "not-model", "zip", NULL, NULL },
	{ "good.safetensors", "safe", "safetensors", NULL, NULL },
	{ "overlap.safetensors", "error", "safetensors", NULL, "safetensors.overlap" },
	{ "out-of-range.safetensors", "error", "safetensors", NULL, "safetensors.out-of-range" },
	{ "bad-json.safetensors", "error", "safetensors", NULL, "safetensors.bad-json" },
	{ "header-too-long.safetensors", "error", "safetensors", NULL, "safetensors.header-length" },
	{ "bad-dtype.safetensors", "error", "safetensors", NULL, "safetensors.unknown-dtype" },
	{ "size-mismatch.safetensors", "error", "safetensors", NULL, "safetensors.size-mismatch" },
	{ "bad-metadata.safetensors", "error", "safetensors", NULL, "safetensors.bad-metadata" },
	{ "text.txt", "not-model", "none", NULL, NULL },
	{ "random.pt", "not-model", "none", NULL, NULL },
};

/* What the fixtures' READMEs say each real file must yield. */
static const struct expect real[] = {
	{ "models/benign_state_dict.pt", "safe", "pytorch-zip", "torch._utils._rebuild_tensor_v2", NULL },
	{ "models/benign_legacy_format.pt", "safe", "pytorch-legacy", "collections.OrderedDict", NULL },
	{ "models/full_module.pt", "suspicious", "pytorch-zip", NULL, "pickle.unknown-global" },
	{ "models/malicious_os_system.pt", "dangerous", "pytorch-zip", "posix.system", NULL },
	{ "models/malicious_p2.pkl", "dangerous", "pickle", "posix.system", NULL },
	{ "models/malicious_p4.pkl", "dangerous", "pickle", "posix.system", NULL },
	{ "models/malicious_object_array.npy", "dangerous", "npy", "posix.system", NULL },
	{ "models/benign_array.npy", "safe", "npy", NULL, NULL },
	{ "models/benign.safetensors", "safe", "safetensors", NULL, NULL },
	{ "scanners/pickles/GHSA-955r-x9j8-7rhh.pkl", "dangerous", "pickle", "_operator.methodcaller", NULL },
	{ "scanners/pickles/benign0_v0.pkl", "safe", "pickle", NULL, NULL },
	{ "scanners/pickles/broken_model.pkl", "dangerous", "pickle", "builtins.exec", "pickle.truncated" },
	{ "scanners/pickles/malicious-invalid-bytes.pkl", "dangerous", "pickle", "os.system", NULL },
	{ "scanners/pickles/malicious0.pkl", "dangerous", "pickle", "__builtin__.eval", NULL },
	{ "scanners/pickles/malicious1_v0.pkl", "dangerous", "pickle", "__builtin__.eval", NULL },
	{ "scanners/pickles/malicious1_v4.pkl", "dangerous", "pickle", "builtins.eval", NULL },
	{ "scanners/pickles/new_pytorch_model_benign.bin", "safe", "pytorch-zip", "torch.FloatStorage", NULL },
};

static int
has_global(const struct scan_result *r, const char *want)
{
	size_t i;
	char buf[512];

	for (i = 0; i < r->nglobals; i++) {
		snprintf(buf, sizeof(buf), "%s.%s", r->globals[i].module,
		    r->globals[i].name);
		if (strcmp(buf, want) == 0)
			return 1;
	}
	return 0;
}

static int
has_rule(const struct scan_result *r, const char *rule)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].rule, rule) == 0)
			return 1;
	return 0;
}

static void
dump(const struct scan_result *r)
{
	size_t i;

	for (i = 0; i < r->nglobals; i++)
		diag("  global %s.%s (%s)", r->globals[i].module,
		    r->globals[i].name, scan_class_name(r->globals[i].cls));
	for (i = 0; i < r->nfindings; i++)
		diag("  %s %s @%llu: %s", scan_severity_name(r->findings[i].severity),
		    r->findings[i].rule, (unsigned long long)r->findings[i].offset,
		    r->findings[i].message);
}

/* 3 or 4 or 5 tests per file. */
static void
check(const char *dir, const struct expect *e)
{
	struct scan_result r;
	char *path = xasprintf("%s/%s", dir, e->file);
	int rc, good = 1;

	scan_result_init(&r);
	rc = scan_file(path, NULL, &r);
	good &= ok(rc == 0, "%s: scanned", e->file);
	if (rc)
		diag("%s", fb_errmsg(rc));
	if (!ok(strcmp(scan_verdict_name(r.verdict), e->verdict) == 0,
	    "%s: verdict %s", e->file, e->verdict)) {
		diag("got %s", scan_verdict_name(r.verdict));
		good = 0;
	}
	if (!ok(strcmp(scan_format_name(r.format), e->format) == 0,
	    "%s: format %s", e->file, e->format)) {
		diag("got %s", scan_format_name(r.format));
		good = 0;
	}
	if (e->global)
		good &= ok(has_global(&r, e->global), "%s: lists %s", e->file,
		    e->global);
	if (e->rule)
		good &= ok(has_rule(&r, e->rule), "%s: finding %s", e->file,
		    e->rule);
	if (!good)
		dump(&r);
	scan_result_release(&r);
	free(path);
}

static void
test_classify(void)
{
	struct scan_policy *pol = scan_policy_new();

	is_int(scan_classify(NULL, "posix", "system"), SCAN_CLASS_DANGEROUS, "posix.system dangerous");
	is_int(scan_classify(NULL, "__builtin__", "eval"), SCAN_CLASS_DANGEROUS, "__builtin__.eval dangerous");
	is_int(scan_classify(NULL, "builtins", "set"), SCAN_CLASS_SAFE, "builtins.set safe");
	is_int(scan_classify(NULL, "collections", "OrderedDict"), SCAN_CLASS_SAFE, "OrderedDict safe");
	is_int(scan_classify(NULL, "torch._utils", "_rebuild_parameter"), SCAN_CLASS_SAFE, "torch rebuild safe");
	is_int(scan_classify(NULL, "numpy.core.multiarray", "_reconstruct"), SCAN_CLASS_SAFE, "numpy reconstruct safe");
	is_int(scan_classify(NULL, "torch.nn.modules.linear", "Linear"), SCAN_CLASS_UNKNOWN, "torch.nn module unknown");
	is_int(scan_classify(NULL, "os.path", "join"), SCAN_CLASS_DANGEROUS, "os submodule dangerous");
	is_int(scan_classify(NULL, "osmosis", "x"), SCAN_CLASS_UNKNOWN, "os prefix is not os");
	is_int(scan_classify(NULL, "torch", "serialization.os.system"), SCAN_CLASS_DANGEROUS, "attribute path to os");
	is_int(scan_classify(NULL, "types", "CodeType"), SCAN_CLASS_DANGEROUS, "CodeType dangerous");
	is_int(scan_policy_add(pol, "mylib.*", "*", SCAN_CLASS_SAFE), 0, "policy add");
	is_int(scan_classify(pol, "mylib.models", "Net"), SCAN_CLASS_SAFE, "user allow rule");
	is_int(scan_policy_add(pol, "collections", "OrderedDict", SCAN_CLASS_DANGEROUS), 0, "policy add deny");
	is_int(scan_policy_default(pol), 0, "the shipped policy loads after the user's rules");
	is_int(scan_classify(pol, "collections", "OrderedDict"), SCAN_CLASS_DANGEROUS, "user rule beats the shipped one");
	is_int(scan_classify(pol, "collections", "deque"), SCAN_CLASS_SAFE, "shipped rules still apply");
	is_int(scan_classify(pol, "torch", "serialization.system"), SCAN_CLASS_DANGEROUS, "shipped dangerous names apply");
	scan_policy_free(pol);
}

/* Every prefix of a dangerous pickle still names its global, never crashes. */
static void
test_truncations(const char *dir)
{
	struct fb_buf b = FB_BUF_INIT;
	char *path = xasprintf("%s/memo-indirection.pkl", dir);
	size_t cut, named = 0, crashed = 0;

	if (fb_buf_read_file(&b, path, 1 << 20) != 0) {
		ok(0, "read memo-indirection.pkl");
		free(path);
		return;
	}
	for (cut = 0; cut <= b.len; cut++) {
		struct scan_result r;
		scan_result_init(&r);
		scan_memory(b.data, cut, "x.pkl", NULL, &r);
		if (has_global(&r, "posix.system")) {
			named++;
			if (r.verdict != SCAN_VERDICT_DANGEROUS)
				crashed++;
		}
		scan_result_release(&r);
	}
	ok(named > 0 && crashed == 0, "truncations naming posix.system stay dangerous");
	fb_buf_release(&b);
	free(path);
}

static void
test_memory(void)
{
	struct scan_result r;
	static const char evil[] = "\x80\x04\x8c\x05posix\x8c\x06system\x93.";

	scan_result_init(&r);
	is_int(scan_memory(evil, sizeof(evil) - 1, "m.pkl", NULL, &r), 0, "scan_memory");
	is_str(scan_verdict_name(r.verdict), "dangerous", "scan_memory verdict");
	is_int((long long)strlen(r.sha256), 64, "sha256 present");
	ok(r.nfindings > 0 && r.findings[0].offset == 17, "offset of STACK_GLOBAL recorded");
	scan_result_release(&r);
}

static void
test_json(void)
{
	struct scan_result r;
	struct fb_buf b = FB_BUF_INIT;
	static const char evil[] = "\x80\x04\x8c\x05posix\x8c\x06system\x93.";
	const char *vp[] = { "verdict", NULL }, *gp[] = { "globals", NULL };
	yajl_val root, v;
	char err[128];

	scan_result_init(&r);
	scan_memory(evil, sizeof(evil) - 1, "bad\x1b[31m.pkl", NULL, &r);
	scan_result_json(&r, &b);
	root = yajl_tree_parse(b.data, err, sizeof(err));
	ok(root != NULL, "json parses");
	v = yajl_tree_get(root, vp, yajl_t_string);
	is_str(v ? YAJL_GET_STRING(v) : NULL, "dangerous", "json verdict");
	v = yajl_tree_get(root, gp, yajl_t_array);
	ok(v && v->u.array.len == 1, "json lists one global");
	ok(strchr(b.data, 0x1b) == NULL, "json path is terminal-safe");
	yajl_tree_free(root);
	fb_buf_release(&b);
	scan_result_release(&r);
}

static int
count_cb(void *ctx, const struct scan_result *r, int rc)
{
	(void)r;
	if (rc == 0)
		(*(size_t *)ctx)++;
	return 0;
}

static void
test_path(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t want = 0, got = 0;

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			want++;
	if (d)
		closedir(d);
	is_int(scan_path(dir, NULL, count_cb, &got), 0, "scan_path over a directory");
	is_int(got, want, "scan_path scans every file");
}

/* A few kilobytes that claim megabytes stop at the pickle limit. */
static void
test_bomb(void)
{
	size_t n = 8u << 20, i;
	unsigned char *plain = xmalloc(n), *z;
	uLongf zn = compressBound(n);
	struct scan_options o = { .max_pickle = 1u << 20, .no_hash = 1 };
	struct scan_result r;

	plain[0] = 0x80;
	plain[1] = 2;
	for (i = 2; i < n - 2; i += 2) {   /* NONE, POP: the stack stays flat */
		plain[i] = 'N';
		plain[i + 1] = '0';
	}
	plain[n - 2] = 'N';
	plain[n - 1] = '.';
	z = xmalloc(zn);
	if (compress2(z, &zn, plain, n, 9) != Z_OK)
		fatal("compress2");
	scan_result_init(&r);
	scan_memory(z, zn, "bomb.joblib", &o, &r);
	ok(zn < 64 * 1024, "the bomb is small (%lu bytes)", (unsigned long)zn);
	is_str(scan_verdict_name(r.verdict), "error", "a decompression bomb is an error");
	ok(has_rule(&r, "scan.compressed-limit"), "named scan.compressed-limit");
	scan_result_release(&r);

	o.max_pickle = 16u << 20;
	scan_result_init(&r);
	scan_memory(z, zn, "bomb.joblib", &o, &r);
	is_str(scan_verdict_name(r.verdict), "safe", "under a larger limit it is scanned: safe");
	scan_result_release(&r);
	free(z);
	free(plain);
}

int
main(void)
{
	const char *src = getenv("FB_SRCDIR");
	const char *fx = getenv("FIREBREAK_FIXTURES");
	char *gen, *realdir;
	size_t i;

	if (src == NULL)
		src = FB_SRCDIR;
	gen = xasprintf("%s/tests/fixtures/scan", src);
	realdir = fx ? xstrdup(fx) : xasprintf("%s/../shared/fixtures", src);

	test_classify();
	test_memory();
	test_json();
	test_path(gen);
	for (i = 0; i < FB_ARRAY_LEN(generated); i++)
		check(gen, &generated[i]);
	test_truncations(gen);
	test_bomb();

	if (access(realdir, R_OK) != 0) {
		const char *req = getenv("FIREBREAK_REQUIRE_ALL");
		if (req != NULL && strcmp(req, "1") == 0)
			ok(0, "real fixtures required but missing: %s", realdir);
		else
			ok(1, "real fixtures # SKIP not found: %s", realdir);
	} else {
		for (i = 0; i < FB_ARRAY_LEN(real); i++)
			check(realdir, &real[i]);
	}
	free(gen);
	free(realdir);
	return done_testing();
}
