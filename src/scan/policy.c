/*
 * policy.c: which imported globals are dangerous, which are known-safe ML
 * plumbing, and everything else "references code". The rules are data:
 * lua/firebreak/scan/policy.lua, after the user's own
 * ($XDG_CONFIG_HOME/firebreak/scan-policy.lua) and any --policy file.
 *
 * Matching: a rule's module is exact, or "x.*" for x and its submodules;
 * its name is an fnmatch(3) pattern. First match wins, so specific safe
 * names come before a module-wide deny (builtins.set before builtins.*).
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua/lua.h"
#include "scan/scan-int.h"

/*
 * A policy: rules in the order they are consulted (the first match wins)
 * and the names that make any attribute path dangerous.
 */
struct urule {
	char *module;
	char *name;
	enum scan_class cls;
};

struct scan_policy {
	struct urule *rules;
	size_t n, alloc;
	char **names;
	size_t nnames, names_alloc;
};

/* Bounds on a policy file, which is a Lua script returning tables. */
#define POLICY_MAX_RULES 65536
#define POLICY_MAX_NAME 1024

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
	for (i = 0; i < pol->nnames; i++)
		free(pol->names[i]);
	free(pol->rules);
	free(pol->names);
	free(pol);
}

int
scan_policy_add(struct scan_policy *pol, const char *module, const char *name,
		enum scan_class cls)
{
	if (pol == NULL || module == NULL || name == NULL || *module == '\0' ||
	    *name == '\0' || cls > SCAN_CLASS_DANGEROUS)
		return fb_err(FB_ERR_INVAL, "invalid scan policy rule");
	if (pol->n >= POLICY_MAX_RULES)
		return fb_err(FB_ERR_LIMIT, "more than %d scan policy rules",
		    POLICY_MAX_RULES);
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

int
scan_policy_add_name(struct scan_policy *pol, const char *name)
{
	if (pol == NULL || name == NULL || *name == '\0' ||
	    strchr(name, '.') != NULL)
		return fb_err(FB_ERR_INVAL, "invalid dangerous name in the "
		    "scan policy");
	if (pol->nnames >= POLICY_MAX_RULES)
		return fb_err(FB_ERR_LIMIT, "more than %d dangerous names",
		    POLICY_MAX_RULES);
	if (pol->nnames == pol->names_alloc) {
		pol->names_alloc = pol->names_alloc ? pol->names_alloc * 2 : 16;
		pol->names = xrealloc(pol->names,
		    pol->names_alloc * sizeof(*pol->names));
	}
	pol->names[pol->nnames++] = xstrdup(name);
	return 0;
}

/* ---- loading a policy file --------------------------------------------- */

struct load {
	struct scan_policy *pol;
	const char *path;
	int rc;
};

static int
load_class(const char *s, enum scan_class *cls)
{
	if (strcmp(s, "safe") == 0)
		*cls = SCAN_CLASS_SAFE;
	else if (strcmp(s, "dangerous") == 0)
		*cls = SCAN_CLASS_DANGEROUS;
	else if (strcmp(s, "unknown") == 0)
		*cls = SCAN_CLASS_UNKNOWN;
	else
		return -1;
	return 0;
}

static int
load_rule(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct load *l = ud;
	const char *mod, *name, *cls;
	size_t ml, nl, cl;
	enum scan_class c;

	(void)key;
	mod = fblua_ev_str(item, "1", &ml);
	name = fblua_ev_str(item, "2", &nl);
	cls = fblua_ev_str(item, "3", &cl);
	if (mod == NULL || name == NULL || cls == NULL || ml == 0 || nl == 0 ||
	    ml > POLICY_MAX_NAME || nl > POLICY_MAX_NAME ||
	    strlen(mod) != ml || strlen(name) != nl || load_class(cls, &c) != 0)
		return l->rc = fb_err(FB_ERR_PARSE, "%s: rule %zu: expected "
		    "{ MODULE, NAME, \"safe\"|\"dangerous\"|\"unknown\" }",
		    l->path, idx);
	return l->rc = scan_policy_add(l->pol, mod, name, c);
}

static int
load_name(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct load *l = ud;
	const char *name;
	size_t nl;

	(void)key;
	name = fblua_ev_str(item, NULL, &nl);
	if (name == NULL || nl == 0 || nl > POLICY_MAX_NAME ||
	    strlen(name) != nl || strchr(name, '.') != NULL)
		return l->rc = fb_err(FB_ERR_PARSE, "%s: dangerous_names %zu: "
		    "expected a name without dots", l->path, idx);
	return l->rc = scan_policy_add_name(l->pol, name);
}

static int
load_decl(void *ud, struct fblua_ev *decl)
{
	struct load *l = ud;

	if (fblua_ev_type(decl, "rules") != FBLUA_T_TABLE &&
	    fblua_ev_type(decl, "rules") != FBLUA_T_NONE)
		return l->rc = fb_err(FB_ERR_PARSE, "%s: 'rules' is not a "
		    "list", l->path);
	if (fblua_ev_foreach(decl, "rules", load_rule, l) != 0 && l->rc == 0)
		l->rc = fb_err(FB_ERR_PARSE, "%s: cannot read 'rules'", l->path);
	if (l->rc == 0 &&
	    fblua_ev_foreach(decl, "dangerous_names", load_name, l) != 0 &&
	    l->rc == 0)
		l->rc = fb_err(FB_ERR_PARSE, "%s: cannot read "
		    "'dangerous_names'", l->path);
	return l->rc;
}

int
scan_policy_load(struct scan_policy *pol, const char *path)
{
	struct fblua *h = NULL;
	struct load l = { pol, path, 0 };
	int rc, script;

	if ((rc = fblua_new(FBLUA_INGEST, NULL, &h)) != 0)
		return rc;
	if ((rc = fblua_load_file(h, path, path, &script)) == 0 &&
	    (rc = fblua_script_view(h, script, load_decl, &l)) == 0)
		rc = l.rc;
	fblua_free(h);
	return rc;
}

int
scan_policy_default(struct scan_policy *pol)
{
	char *cfg = fb_xdg_path("XDG_CONFIG_HOME", ".config");
	char *user = xasprintf("%s/scan-policy.lua", cfg);
	char *shipped = xasprintf("%s/lua/firebreak/scan/policy.lua",
	    fb_datadir());
	int rc = 0;

	if (access(user, F_OK) == 0)
		rc = scan_policy_load(pol, user);
	if (rc == 0)
		rc = scan_policy_load(pol, shipped);
	free(cfg);
	free(user);
	free(shipped);
	return rc;
}

/*
 * The policy behind a NULL argument: the default, loaded once. A process
 * that cannot load it (no data directory) gets no rules, so every global
 * is suspicious; `firebreak scan` loads its policy itself and reports
 * such an error instead.
 */
static const struct scan_policy *
policy_or_default(const struct scan_policy *pol)
{
	static struct scan_policy *def;

	if (pol != NULL)
		return pol;
	if (def == NULL) {
		def = scan_policy_new();
		if (scan_policy_default(def) != 0) {
			scan_policy_free(def);
			def = scan_policy_new();
		}
	}
	return def;
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

	for (i = 0; i < pol->n; i++) {
		if (module_match(pol->rules[i].module, mod) &&
		    fnmatch(pol->rules[i].name, name, 0) == 0) {
			*cls = pol->rules[i].cls;
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
dangerous_component(const struct scan_policy *pol, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < pol->nnames; i++)
		if (strlen(pol->names[i]) == n &&
		    memcmp(pol->names[i], s, n) == 0)
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

	pol = policy_or_default(pol);
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
			if (dangerous_component(pol, q, l))
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
