/*
 * policy.c: which imported globals are dangerous, which are known-safe ML
 * plumbing, and everything else "references code". Built-in rules are data
 * (the table below); callers add their own rules in front of them.
 *
 * Matching: a rule's module is exact, or "x.*" for x and its submodules;
 * its name is an fnmatch(3) pattern. First match wins, so specific safe
 * names come before a module-wide deny (builtins.set before builtins.*).
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan-int.h"

struct rule {
	const char *module;
	const char *name;
	enum scan_class cls;
};

#define S SCAN_CLASS_SAFE
#define D SCAN_CLASS_DANGEROUS

static const struct rule builtin_rules[] = {
	/* builtins: plain data types are fine, everything else is not */
	{ "builtins", "set", S }, { "builtins", "frozenset", S },
	{ "builtins", "dict", S }, { "builtins", "list", S },
	{ "builtins", "tuple", S }, { "builtins", "bytearray", S },
	{ "builtins", "bytes", S }, { "builtins", "int", S },
	{ "builtins", "float", S }, { "builtins", "complex", S },
	{ "builtins", "str", S }, { "builtins", "bool", S },
	{ "builtins", "slice", S }, { "builtins", "range", S },
	{ "builtins", "object", S }, { "builtins", "NoneType", S },
	{ "builtins", "*", D },

	/* the plumbing that torch.save, numpy and plain pickles use */
	{ "collections", "OrderedDict", S }, { "collections", "defaultdict", S },
	{ "collections", "deque", S }, { "collections", "Counter", S },
	{ "copyreg", "_reconstructor", S }, { "copyreg", "__newobj__", S },
	{ "copyreg", "__newobj_ex__", S },
	{ "_codecs", "encode", S },
	{ "torch._utils", "_rebuild_*", S },
	{ "torch._tensor", "_rebuild_from_type_v2", S },
	{ "torch", "*Storage", S }, { "torch.storage", "*Storage", S },
	{ "torch", "Size", S }, { "torch", "device", S }, { "torch", "dtype", S },
	{ "torch", "float*", S }, { "torch", "bfloat16", S },
	{ "torch", "half", S }, { "torch", "double", S },
	{ "torch", "int*", S }, { "torch", "uint*", S }, { "torch", "bool", S },
	{ "torch", "long", S }, { "torch", "short", S },
	{ "torch", "complex*", S }, { "torch", "qint*", S },
	{ "torch", "quint*", S }, { "torch", "strided", S },
	{ "torch", "sparse_*", S }, { "torch", "*_format", S },
	{ "torch", "channels_last*", S }, { "torch", "per_*", S },
	{ "torch", "Tensor", S },
	{ "torch.nn.parameter", "Parameter", S },
	{ "torch.serialization", "_get_layout", S },
	{ "numpy.core.multiarray", "_reconstruct", S },
	{ "numpy._core.multiarray", "_reconstruct", S },
	{ "numpy.core.multiarray", "scalar", S },
	{ "numpy._core.multiarray", "scalar", S },
	{ "numpy.core.numeric", "_frombuffer", S },
	{ "numpy._core.numeric", "_frombuffer", S },
	{ "numpy", "ndarray", S }, { "numpy", "dtype", S },
	{ "numpy.dtypes", "*DType", S },
	{ "joblib.numpy_pickle", "NumpyArrayWrapper", S },

	/* running commands, code, files, the network */
	{ "os.*", "*", D }, { "posix", "*", D }, { "nt", "*", D },
	{ "subprocess", "*", D }, { "_posixsubprocess", "*", D },
	{ "_winapi", "*", D }, { "pty", "*", D }, { "commands", "*", D },
	{ "sys", "*", D }, { "runpy", "*", D }, { "webbrowser", "*", D },
	{ "importlib.*", "*", D }, { "imp", "*", D }, { "zipimport", "*", D },
	{ "pkgutil", "*", D }, { "code", "*", D }, { "codeop", "*", D },
	{ "pickle", "*", D }, { "_pickle", "*", D }, { "cPickle", "*", D },
	{ "dill.*", "*", D }, { "cloudpickle.*", "*", D },
	{ "marshal", "*", D }, { "shelve", "*", D },
	{ "ctypes.*", "*", D }, { "_ctypes", "*", D },
	{ "types", "CodeType", D }, { "types", "FunctionType", D },
	{ "types", "MethodType", D }, { "types", "LambdaType", D },
	{ "types", "ModuleType", D },
	{ "operator", "attrgetter", D }, { "operator", "methodcaller", D },
	{ "_operator", "attrgetter", D }, { "_operator", "methodcaller", D },
	{ "socket", "*", D }, { "_socket", "*", D }, { "ssl", "*", D },
	{ "shutil", "*", D }, { "tempfile", "*", D },
	{ "io", "open*", D }, { "_io", "open*", D }, { "io", "FileIO", D },
	{ "_io", "FileIO", D }, { "codecs", "open", D }, { "fileinput", "*", D },
	{ "urllib.*", "*", D }, { "urllib2", "*", D }, { "http.*", "*", D },
	{ "httplib", "*", D }, { "httpx.*", "*", D }, { "requests.*", "*", D },
	{ "aiohttp.*", "*", D }, { "ftplib", "*", D }, { "smtplib", "*", D },
	{ "telnetlib", "*", D }, { "xmlrpc.*", "*", D },
	{ "multiprocessing.*", "*", D }, { "_thread", "*", D },
	{ "threading", "*", D }, { "asyncio.*", "*", D },
	{ "pdb", "*", D }, { "bdb", "*", D }, { "cProfile", "*", D },
	{ "profile", "*", D }, { "timeit", "*", D }, { "trace", "*", D },
	{ "doctest", "*", D }, { "logging.config", "*", D },
	{ "linecache", "*", D }, { "gc", "*", D }, { "signal", "*", D },
	{ "platform", "popen", D }, { "venv", "*", D }, { "ensurepip", "*", D },
	{ "numpy", "load", D }, { "numpy", "loads", D },
	{ "numpy.testing._private.utils", "runstring", D },
	{ "torch", "load", D }, { "torch.serialization", "load", D },
	{ "torch.hub", "*", D }, { "torch.storage", "_load_from_bytes", D },
	{ "torch.jit", "load", D },
};

#undef S
#undef D

/* Modules whose appearance anywhere in an attribute path is dangerous. */
static const char *const danger_components[] = {
	"os", "posix", "nt", "subprocess", "sys", "builtins", "__builtins__",
	"__builtin__", "eval", "exec", "compile", "__import__", "getattr",
	"system", "popen", "importlib", "runpy", "pickle", "marshal", "ctypes",
	"socket", "shutil", "pty", "__globals__", "__code__", "__class__",
	"__subclasses__", "__reduce__", "__reduce_ex__", "__dict__", "open",
};

struct urule {
	char *module;
	char *name;
	enum scan_class cls;
};

struct scan_policy {
	struct urule *rules;
	size_t n, alloc;
};

struct scan_policy *
scan_policy_new(void)
{
	return xcalloc(1, sizeof(struct scan_policy));
}

void
scan_policy_free(struct scan_policy *pol)
{
	size_t i;

	if (pol == NULL)
		return;
	for (i = 0; i < pol->n; i++) {
		free(pol->rules[i].module);
		free(pol->rules[i].name);
	}
	free(pol->rules);
	free(pol);
}

int
scan_policy_add(struct scan_policy *pol, const char *module, const char *name,
		enum scan_class cls)
{
	if (pol == NULL || module == NULL || name == NULL || *module == '\0' ||
	    *name == '\0' || cls > SCAN_CLASS_DANGEROUS)
		return fb_err(FB_ERR_INVAL, "invalid scan policy rule");
	if (pol->n == pol->alloc) {
		pol->alloc = pol->alloc ? pol->alloc * 2 : 16;
		pol->rules = xrealloc(pol->rules, pol->alloc * sizeof(*pol->rules));
	}
	pol->rules[pol->n].module = xstrdup(module);
	pol->rules[pol->n].name = xstrdup(name);
	pol->rules[pol->n].cls = cls;
	pol->n++;
	return 0;
}

static int
module_match(const char *pat, const char *mod)
{
	size_t pl = strlen(pat);

	if (pl >= 2 && pat[pl - 2] == '.' && pat[pl - 1] == '*') {
		pl -= 2;
		return strncmp(pat, mod, pl) == 0 &&
		    (mod[pl] == '\0' || mod[pl] == '.');
	}
	return strcmp(pat, mod) == 0;
}

static int
lookup(const struct scan_policy *pol, const char *mod, const char *name,
       enum scan_class *cls)
{
	size_t i;

	if (pol != NULL) {
		for (i = pol->n; i-- > 0;) {
			if (module_match(pol->rules[i].module, mod) &&
			    fnmatch(pol->rules[i].name, name, 0) == 0) {
				*cls = pol->rules[i].cls;
				return 1;
			}
		}
	}
	for (i = 0; i < FB_ARRAY_LEN(builtin_rules); i++) {
		if (module_match(builtin_rules[i].module, mod) &&
		    fnmatch(builtin_rules[i].name, name, 0) == 0) {
			*cls = builtin_rules[i].cls;
			return 1;
		}
	}
	return 0;
}

/* Python 2 names that the unpickler maps to Python 3 ones (fix_imports). */
static const char *
normalize_module(const char *mod)
{
	static const char *const map[][2] = {
		{ "__builtin__", "builtins" }, { "__builtins__", "builtins" },
		{ "exceptions", "builtins" }, { "copy_reg", "copyreg" },
		{ "cPickle", "pickle" }, { "commands", "subprocess" },
		{ "urllib2", "urllib.request" }, { "httplib", "http.client" },
		{ "Queue", "queue" }, { "thread", "_thread" },
	};
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(map); i++)
		if (strcmp(mod, map[i][0]) == 0)
			return map[i][1];
	return mod;
}

static int
dangerous_component(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(danger_components); i++)
		if (strlen(danger_components[i]) == n &&
		    memcmp(danger_components[i], s, n) == 0)
			return 1;
	return 0;
}

enum scan_class
scan_classify(const struct scan_policy *pol, const char *module,
	      const char *name)
{
	const char *mod = normalize_module(module);
	enum scan_class cls = SCAN_CLASS_UNKNOWN;
	const char *dot;

	if (*mod == '\0' || *name == '\0')
		return SCAN_CLASS_UNKNOWN;
	if (strchr(name, '.') == NULL) {
		if (lookup(pol, mod, name, &cls))
			return cls;
		return SCAN_CLASS_UNKNOWN;
	}

	/*
	 * A dotted name walks attributes (protocol 4): "torch" +
	 * "serialization.os.system" reaches os.system through a safe module.
	 * Dangerous if any split is, or any later component is a known
	 * dangerous name; safe only if the last split is exactly safe.
	 */
	{
		struct fb_buf full = FB_BUF_INIT;
		char *p, *q;
		int danger = 0;

		fb_buf_addstr(&full, mod);
		fb_buf_addch(&full, '.');
		fb_buf_addstr(&full, name);
		p = full.data + strlen(mod) + 1;
		for (q = p; !danger;) {
			char *e = strchr(q, '.');
			size_t l = e ? (size_t)(e - q) : strlen(q);
			if (dangerous_component(q, l))
				danger = 1;
			if (e == NULL)
				break;
			q = e + 1;
		}
		/* each split point: module = full[0..k), first name component */
		for (q = p - 1; !danger && q != NULL; q = strchr(q + 1, '.')) {
			char *rest = q + 1, *e;
			char save, save2 = 0;
			enum scan_class c;

			save = *q;
			*q = '\0';
			e = strchr(rest, '.');
			if (e) {
				save2 = *e;
				*e = '\0';
			}
			if (lookup(pol, normalize_module(full.data), rest, &c) &&
			    c == SCAN_CLASS_DANGEROUS)
				danger = 1;
			if (e)
				*e = save2;
			*q = save;
		}
		if (!danger) {
			dot = strrchr(full.data, '.');
			*(char *)dot = '\0';
			if (lookup(pol, full.data, dot + 1, &cls) &&
			    cls == SCAN_CLASS_SAFE)
				cls = SCAN_CLASS_SAFE;
			else
				cls = SCAN_CLASS_UNKNOWN;
		} else {
			cls = SCAN_CLASS_DANGEROUS;
		}
		fb_buf_release(&full);
	}
	return cls;
}
