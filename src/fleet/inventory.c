/*
 * inventory.c: Ansible's INI inventory and host patterns. Untrusted-ish
 * text (a file someone else may maintain): every line is parsed on its
 * own, sizes are bounded, and an error names file:line.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet.h"

#define INV_MAX_RANGE 10000
#define INV_MAX_GROUPS 10000

struct inv_var {
	char *key, *value;
	size_t line;
};

struct fleet_group {
	char *name;
	size_t *hosts;          /* direct members */
	size_t nhosts;
	size_t *children;
	size_t nchildren;
	size_t *child_lines;
	struct inv_var *vars;
	size_t nvars;
	int depth;
	int mark;
};

/* Host fields kept while parsing. */
struct inv_host {
	struct inv_var *vars;
	size_t nvars;
};

struct inv_parse {
	const char *file;
	size_t line;
	struct fleet_inventory *inv;
	struct inv_host *ih;    /* parallel to inv->hosts */
	size_t hcap, gcap;
};

static int
perr(struct inv_parse *p, const char *fmt, ...) FB_ATTR_PRINTF(2, 3);

static int
perr(struct inv_parse *p, const char *fmt, ...)
{
	struct fb_buf b = FB_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	fb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = fb_err(FB_ERR_PARSE, "%s:%zu: %s", p->file, p->line, b.data);
	fb_buf_release(&b);
	return rc;
}

char *
fleet_inventory_path(const char *flag)
{
	const char *env;
	char *dir, *path;

	if (flag != NULL)
		return xstrdup(flag);
	if ((env = getenv("FIREBREAK_INVENTORY")) != NULL && *env != '\0')
		return xstrdup(env);
	dir = fb_xdg_path("XDG_CONFIG_HOME", ".config");
	path = xasprintf("%s/inventory", dir);
	free(dir);
	return path;
}

static int
valid_group_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

static ssize_t
group_find(struct fleet_inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->ngroups; i++)
		if (strcmp(inv->groups[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static int
group_get(struct inv_parse *p, const char *name, size_t *out)
{
	struct fleet_inventory *inv = p->inv;
	ssize_t g = group_find(inv, name);

	if (g >= 0) {
		*out = (size_t)g;
		return 0;
	}
	if (inv->ngroups >= INV_MAX_GROUPS)
		return perr(p, "more than %d groups", INV_MAX_GROUPS);
	if (inv->ngroups == p->gcap) {
		p->gcap = p->gcap ? p->gcap * 2 : 16;
		inv->groups = xrealloc(inv->groups,
		    p->gcap * sizeof(*inv->groups));
	}
	memset(&inv->groups[inv->ngroups], 0, sizeof(*inv->groups));
	inv->groups[inv->ngroups].name = xstrdup(name);
	*out = inv->ngroups++;
	return 0;
}

static size_t
host_get(struct inv_parse *p, const char *name)
{
	struct fleet_inventory *inv = p->inv;
	size_t i;

	for (i = 0; i < inv->nhosts; i++)
		if (strcmp(inv->hosts[i].name, name) == 0)
			return i;
	if (inv->nhosts == p->hcap) {
		p->hcap = p->hcap ? p->hcap * 2 : 16;
		inv->hosts = xrealloc(inv->hosts, p->hcap * sizeof(*inv->hosts));
		p->ih = xrealloc(p->ih, p->hcap * sizeof(*p->ih));
	}
	memset(&inv->hosts[inv->nhosts], 0, sizeof(*inv->hosts));
	memset(&p->ih[inv->nhosts], 0, sizeof(*p->ih));
	inv->hosts[inv->nhosts].name = xstrdup(name);
	return inv->nhosts++;
}

static void
vars_set(struct inv_var **vars, size_t *n, const char *k, const char *v,
    size_t line)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*vars)[i].key, k) == 0) {
			free((*vars)[i].value);
			(*vars)[i].value = xstrdup(v);
			(*vars)[i].line = line;
			return;
		}
	}
	*vars = xrealloc(*vars, (*n + 1) * sizeof(**vars));
	(*vars)[*n].key = xstrdup(k);
	(*vars)[*n].value = xstrdup(v);
	(*vars)[*n].line = line;
	(*n)++;
}

static void
add_index(size_t **arr, size_t *n, size_t v)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*arr)[i] == v)
			return;
	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = v;
}

/*
 * Split a host line into tokens: whitespace-separated, '...' and "..."
 * quote (inside key=value too), '#' at a token start begins a comment.
 */
static int
tokenize(struct inv_parse *p, const char *s, char ***tokv, size_t *tokn)
{
	struct fb_buf tok = FB_BUF_INIT;
	char **v = NULL;
	size_t n = 0;
	int rc = 0;

	for (;;) {
		char q = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#' || *s == ';')
			break;
		fb_buf_reset(&tok);
		while (*s != '\0') {
			if (q) {
				if (*s == q)
					q = 0;
				else
					fb_buf_addch(&tok, *s);
			} else if (*s == '\'' || *s == '"') {
				q = *s;
			} else if (*s == ' ' || *s == '\t') {
				break;
			} else {
				fb_buf_addch(&tok, *s);
			}
			s++;
		}
		if (q) {
			rc = perr(p, "unterminated quote");
			break;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrndup(tok.data, tok.len);
	}
	fb_buf_release(&tok);
	*tokv = v;
	*tokn = n;
	return rc;
}

static void
tokens_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Expand one Ansible range "pre[a:b(:step)]post" (numeric with zero
 * padding, or single letters). Names without a range give themselves.
 */
static int
expand_range(struct inv_parse *p, const char *name, char ***out, size_t *nout)
{
	const char *lb = strchr(name, '['), *rb, *c1, *c2;
	char **v = NULL;
	size_t n = 0;
	char a[32], b[32];
	long step = 1;

	if (lb == NULL || (rb = strchr(lb, ']')) == NULL) {
		if (lb != NULL || strchr(name, ']') != NULL)
			return perr(p, "bad host range in '%s'", name);
		v = xmalloc(sizeof(*v));
		v[0] = xstrdup(name);
		*out = v;
		*nout = 1;
		return 0;
	}
	if (strchr(rb + 1, '[') != NULL)
		return perr(p, "only one range per host name: '%s'", name);
	c1 = memchr(lb, ':', (size_t)(rb - lb));
	if (c1 == NULL || (size_t)(c1 - lb - 1) >= sizeof(a) ||
	    (size_t)(rb - c1 - 1) >= sizeof(b))
		return perr(p, "bad host range in '%s'", name);
	memcpy(a, lb + 1, (size_t)(c1 - lb - 1));
	a[c1 - lb - 1] = '\0';
	c2 = memchr(c1 + 1, ':', (size_t)(rb - c1 - 1));
	if (c2 != NULL) {
		char st[16], *end;
		size_t sl = (size_t)(rb - c2 - 1);

		if (sl == 0 || sl >= sizeof(st))
			return perr(p, "bad range step in '%s'", name);
		memcpy(st, c2 + 1, sl);
		st[sl] = '\0';
		step = strtol(st, &end, 10);
		if (*end != '\0' || step < 1)
			return perr(p, "bad range step in '%s'", name);
	} else {
		c2 = rb;
	}
	memcpy(b, c1 + 1, (size_t)(c2 - c1 - 1));
	b[c2 - c1 - 1] = '\0';
	if (a[0] != '\0' && isdigit((unsigned char)a[0])) {
		char *e1, *e2;
		long lo = strtol(a, &e1, 10), hi = strtol(b, &e2, 10), i;
		int width = a[0] == '0' ? (int)strlen(a) : 0;

		if (*e1 != '\0' || *e2 != '\0' || b[0] == '\0' || hi < lo)
			return perr(p, "bad host range in '%s'", name);
		if ((hi - lo) / step + 1 > INV_MAX_RANGE)
			return perr(p, "host range in '%s' is over %d hosts",
			    name, INV_MAX_RANGE);
		for (i = lo; i <= hi; i += step) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xasprintf("%.*s%0*ld%s", (int)(lb - name),
			    name, width, i, rb + 1);
		}
	} else if (strlen(a) == 1 && strlen(b) == 1 &&
	    isalpha((unsigned char)a[0]) && isalpha((unsigned char)b[0]) &&
	    a[0] <= b[0]) {
		int ch;

		for (ch = a[0]; ch <= b[0]; ch += (int)step) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xasprintf("%.*s%c%s", (int)(lb - name), name,
			    ch, rb + 1);
		}
	} else {
		return perr(p, "bad host range in '%s'", name);
	}
	*out = v;
	*nout = n;
	return 0;
}

static int
valid_host_name(const char *s)
{
	if (*s == '\0' || *s == '-')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '\'' || *s == '"' ||
		    *s == '\\' || *s == '/' || *s == ',' || *s == '=' ||
		    (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

static int
parse_host_line(struct inv_parse *p, const char *line, size_t group)
{
	char **tok = NULL, **names = NULL, *name, *port = NULL, *eq;
	size_t ntok = 0, nnames = 0, i, j, h;
	int rc;

	if ((rc = tokenize(p, line, &tok, &ntok)) != 0 || ntok == 0)
		goto out;
	name = tok[0];
	/* "host:port" shorthand (not for bracketed ranges' colons). */
	if ((eq = strrchr(name, ':')) != NULL &&
	    strchr(eq, ']') == NULL && strchr(name, ':') == eq) {
		*eq = '\0';
		port = eq + 1;
	}
	if (strchr(name, '=') != NULL) {
		rc = perr(p, "expected a host name before '%s'", tok[0]);
		goto out;
	}
	if ((rc = expand_range(p, name, &names, &nnames)) != 0)
		goto out;
	for (i = 0; i < nnames; i++) {
		if (!valid_host_name(names[i])) {
			rc = perr(p, "invalid host name '%s'", names[i]);
			goto out;
		}
		if (p->inv->nhosts >= FLEET_INV_MAX_HOSTS) {
			rc = perr(p, "more than %d hosts", FLEET_INV_MAX_HOSTS);
			goto out;
		}
		h = host_get(p, names[i]);
		if (port != NULL)
			vars_set(&p->ih[h].vars, &p->ih[h].nvars,
			    "ansible_port", port, p->line);
		for (j = 1; j < ntok; j++) {
			if ((eq = strchr(tok[j], '=')) == NULL ||
			    eq == tok[j]) {
				rc = perr(p, "expected key=value, got '%s'",
				    tok[j]);
				goto out;
			}
			*eq = '\0';
			vars_set(&p->ih[h].vars, &p->ih[h].nvars, tok[j],
			    eq + 1, p->line);
			*eq = '=';
		}
		add_index(&p->inv->groups[group].hosts,
		    &p->inv->groups[group].nhosts, h);
	}
out:
	tokens_free(tok, ntok);
	tokens_free(names, nnames);
	return rc;
}

static int
parse_var_line(struct inv_parse *p, char *line, size_t group)
{
	char *eq = strchr(line, '='), *k, *v, *e;
	size_t vl;
	struct fleet_group *g = &p->inv->groups[group];

	if (eq == NULL)
		return perr(p, "expected key=value in [%s:vars]", g->name);
	*eq = '\0';
	k = line;
	for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	if (*k == '\0' || strpbrk(k, " \t") != NULL)
		return perr(p, "bad variable name in [%s:vars]", g->name);
	v = eq + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	vl = strlen(v);
	if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
		v[vl - 1] = '\0';
		v++;
	}
	vars_set(&g->vars, &g->nvars, k, v, p->line);
	return 0;
}

enum { SEC_HOSTS, SEC_CHILDREN, SEC_VARS };

static int
parse_lines(struct inv_parse *p, const char *text, size_t len)
{
	const char *s = text, *end = text + len;
	size_t group, ungrouped;
	int sec = SEC_HOSTS, rc = 0;
	char *line = NULL;

	if ((rc = group_get(p, "all", &group)) != 0 ||
	    (rc = group_get(p, "ungrouped", &ungrouped)) != 0)
		return rc;
	group = ungrouped;
	if (memchr(text, '\0', len) != NULL) {
		p->line = 1;
		return perr(p, "inventory contains a NUL byte");
	}
	while (s < end && rc == 0) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char *b, *e;

		p->line++;
		free(line);
		line = xstrndup(s, n);
		s += n + (nl != NULL);
		for (b = line; *b == ' ' || *b == '\t'; b++)
			;
		e = b + strlen(b);
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			*--e = '\0';
		if (*b == '\0' || *b == '#' || *b == ';')
			continue;
		if (*b == '[') {
			char *rb = strchr(b, ']'), *colon, *rest;

			if (rb == NULL)
				rc = perr(p, "section header without ']'");
			else {
				*rb = '\0';
				rest = rb + 1;
				while (*rest == ' ' || *rest == '\t')
					rest++;
				if (*rest != '\0' && *rest != '#' &&
				    *rest != ';') {
					rc = perr(p, "text after section header");
					break;
				}
				colon = strchr(b + 1, ':');
				sec = SEC_HOSTS;
				if (colon != NULL) {
					*colon = '\0';
					if (strcmp(colon + 1, "children") == 0)
						sec = SEC_CHILDREN;
					else if (strcmp(colon + 1, "vars") == 0)
						sec = SEC_VARS;
					else {
						rc = perr(p, "unknown section "
						    "kind ':%s' (children or "
						    "vars)", colon + 1);
						break;
					}
				}
				if (!valid_group_name(b + 1))
					rc = perr(p, "invalid group name '%s'",
					    b + 1);
				else
					rc = group_get(p, b + 1, &group);
			}
			continue;
		}
		switch (sec) {
		case SEC_HOSTS:
			rc = parse_host_line(p, b, group);
			break;
		case SEC_VARS:
			rc = parse_var_line(p, b, group);
			break;
		case SEC_CHILDREN: {
			size_t child;
			char *c = b;

			while (*c && *c != ' ' && *c != '\t')
				c++;
			*c = '\0';
			if (!valid_group_name(b)) {
				rc = perr(p, "invalid group name '%s'", b);
				break;
			}
			if ((rc = group_get(p, b, &child)) != 0)
				break;
			if (child == group || strcmp(b, "all") == 0) {
				rc = perr(p, "group '%s' cannot be a child "
				    "of '%s'", b, p->inv->groups[group].name);
				break;
			}
			{
				struct fleet_group *g = &p->inv->groups[group];
				size_t k, dup = 0;

				for (k = 0; k < g->nchildren; k++)
					dup |= g->children[k] == child;
				if (!dup) {
					g->children = xrealloc(g->children,
					    (g->nchildren + 1) *
					    sizeof(*g->children));
					g->child_lines = xrealloc(
					    g->child_lines, (g->nchildren + 1) *
					    sizeof(*g->child_lines));
					g->children[g->nchildren] = child;
					g->child_lines[g->nchildren++] =
					    p->line;
				}
			}
			break;
		}
		}
	}
	free(line);
	return rc;
}

/* Depth-first: depth = longest path from all; a cycle is an error. */
static int
group_depths(struct inv_parse *p, size_t g, int depth)
{
	struct fleet_group *gr = &p->inv->groups[g];
	size_t i;
	int rc;

	if (gr->mark == 1) {
		p->line = 0;
		return fb_err(FB_ERR_PARSE, "%s: groups form a cycle through "
		    "'%s'", p->file, gr->name);
	}
	if (depth > 100)
		return fb_err(FB_ERR_PARSE, "%s: groups nested more than 100 "
		    "deep", p->file);
	if (gr->depth >= depth && gr->mark == 2)
		return 0;
	if (depth > gr->depth)
		gr->depth = depth;
	gr->mark = 1;
	for (i = 0; i < gr->nchildren; i++) {
		p->line = gr->child_lines[i];
		if ((rc = group_depths(p, gr->children[i], depth + 1)) != 0)
			return rc;
	}
	gr->mark = 2;
	return 0;
}

/* Mark every group host h is in, through children. */
static void
host_groups(struct fleet_inventory *inv, size_t h, unsigned char *in)
{
	size_t g, i, k;
	int changed = 1;

	for (g = 0; g < inv->ngroups; g++)
		for (i = 0; i < inv->groups[g].nhosts; i++)
			if (inv->groups[g].hosts[i] == h)
				in[g] = 1;
	while (changed) {
		changed = 0;
		for (g = 0; g < inv->ngroups; g++) {
			if (in[g])
				continue;
			for (k = 0; k < inv->groups[g].nchildren; k++) {
				if (in[inv->groups[g].children[k]]) {
					in[g] = changed = 1;
					break;
				}
			}
		}
	}
}

static int
truthy(const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "1", "on", "y" };
	static const char *const no[] = { "false", "no", "0", "off", "n" };
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(yes); i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; i < FB_ARRAY_LEN(no); i++)
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

static const char *const known_fb_vars[] = { "fb_host_key", "fb_gpu", "fb_note" };

static int
check_var(struct inv_parse *p, const struct inv_var *v)
{
	size_t i;

	if (strncmp(v->key, "fb_", 3) != 0)
		return 0;
	for (i = 0; i < FB_ARRAY_LEN(known_fb_vars); i++)
		if (strcmp(v->key, known_fb_vars[i]) == 0)
			break;
	p->line = v->line;
	if (i == FB_ARRAY_LEN(known_fb_vars))
		return perr(p, "unknown firebreak variable '%s'", v->key);
	if (strcmp(v->key, "fb_host_key") == 0) {
		const char *s = v->value;
		size_t n;

		if (strncmp(s, "SHA256:", 7) != 0)
			return perr(p, "fb_host_key must be 'SHA256:' and a "
			    "base64 fingerprint (ssh-keygen -lf)");
		s += 7;
		n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
		if (n != 43 || s[n] != '\0')
			return perr(p, "fb_host_key '%s' is not a SHA-256 "
			    "fingerprint", v->value);
	}
	return 0;
}

static int
resolve(struct inv_parse *p)
{
	struct fleet_inventory *inv = p->inv;
	size_t h, g, i, all = (size_t)group_find(inv, "all");
	size_t ung = (size_t)group_find(inv, "ungrouped");
	unsigned char *in;
	size_t *order;
	int rc = 0;

	/* Groups nobody lists as a child are children of all. */
	for (g = 0; g < inv->ngroups; g++) {
		size_t k, j, listed = 0;

		for (k = 0; k < inv->ngroups && !listed; k++)
			for (j = 0; j < inv->groups[k].nchildren; j++)
				if (inv->groups[k].children[j] == g)
					listed = 1;
		if (!listed && g != all) {
			struct fleet_group *a = &inv->groups[all];

			a->children = xrealloc(a->children,
			    (a->nchildren + 1) * sizeof(*a->children));
			a->child_lines = xrealloc(a->child_lines,
			    (a->nchildren + 1) * sizeof(*a->child_lines));
			a->children[a->nchildren] = g;
			a->child_lines[a->nchildren++] = 0;
		}
	}
	if ((rc = group_depths(p, all, 0)) != 0)
		return rc;
	for (g = 0; g < inv->ngroups; g++)
		if (inv->groups[g].mark != 2)
			return fb_err(FB_ERR_PARSE, "%s: group '%s' is only "
			    "reachable through a cycle", p->file,
			    inv->groups[g].name);
	/* Groups by depth then name: vars of deeper groups win. */
	order = xcalloc(inv->ngroups ? inv->ngroups : 1, sizeof(*order));
	for (g = 0; g < inv->ngroups; g++)
		order[g] = g;
	for (g = 1; g < inv->ngroups; g++) {
		size_t x = order[g], k = g;

		while (k > 0 && (inv->groups[order[k - 1]].depth >
		    inv->groups[x].depth ||
		    (inv->groups[order[k - 1]].depth == inv->groups[x].depth &&
		    strcmp(inv->groups[order[k - 1]].name,
		    inv->groups[x].name) > 0))) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = x;
	}
	for (g = 0; g < inv->ngroups && rc == 0; g++)
		for (i = 0; i < inv->groups[g].nvars && rc == 0; i++)
			rc = check_var(p, &inv->groups[g].vars[i]);
	in = xcalloc(inv->ngroups, 1);
	for (h = 0; h < inv->nhosts && rc == 0; h++) {
		struct fleet_host *fh = &inv->hosts[h];
		struct inv_var *eff = NULL;
		size_t neff = 0, k;
		const char *v;
		int member = 0;

		memset(in, 0, inv->ngroups);
		host_groups(inv, h, in);
		for (g = 0; g < inv->ngroups; g++)
			if (in[g] && g != all && g != ung)
				member = 1;
		if (!member)
			add_index(&inv->groups[ung].hosts,
			    &inv->groups[ung].nhosts, h);
		in[ung] = !member;
		in[all] = 1;
		for (k = 0; k < inv->ngroups; k++) {
			struct fleet_group *gr = &inv->groups[order[k]];

			if (!in[order[k]])
				continue;
			fh->groups = xrealloc(fh->groups,
			    (fh->ngroups + 1) * sizeof(*fh->groups));
			fh->groups[fh->ngroups++] = xstrdup(gr->name);
			for (i = 0; i < gr->nvars; i++)
				vars_set(&eff, &neff, gr->vars[i].key,
				    gr->vars[i].value, gr->vars[i].line);
		}
		for (i = 0; i < p->ih[h].nvars && rc == 0; i++) {
			rc = check_var(p, &p->ih[h].vars[i]);
			vars_set(&eff, &neff, p->ih[h].vars[i].key,
			    p->ih[h].vars[i].value, p->ih[h].vars[i].line);
		}
		fh->vars = xcalloc(neff ? neff : 1, sizeof(*fh->vars));
		for (i = 0; i < neff; i++) {
			fh->vars[i].key = eff[i].key;
			fh->vars[i].value = eff[i].value;
		}
		fh->nvars = neff;
		v = fleet_host_var(fh, "ansible_host");
		fh->addr = xstrdup(v && *v ? v : fh->name);
		fh->port = 22;
		for (i = 0; i < neff && rc == 0; i++) {
			char *end;
			long port;

			p->line = eff[i].line;
			if (strcmp(eff[i].key, "ansible_port") == 0 ||
			    strcmp(eff[i].key, "ansible_ssh_port") == 0) {
				port = strtol(eff[i].value, &end, 10);
				if (*end != '\0' || port < 1 || port > 65535)
					rc = perr(p, "invalid port '%s' for "
					    "host '%s'", eff[i].value, fh->name);
				else
					fh->port = (int)port;
			} else if (strcmp(eff[i].key, "ansible_become") == 0) {
				if (truthy(eff[i].value, &fh->become) != 0)
					rc = perr(p, "ansible_become must be "
					    "true or false, not '%s'",
					    eff[i].value);
			} else if (strcmp(eff[i].key, "ansible_become_method")
			    == 0 && strcmp(eff[i].value, "sudo") != 0) {
				rc = perr(p, "only ansible_become_method=sudo "
				    "(run as 'sudo -n') is supported");
			} else if (strcmp(eff[i].key, "ansible_password") == 0 ||
			    strcmp(eff[i].key, "ansible_ssh_pass") == 0 ||
			    strcmp(eff[i].key, "ansible_become_password") == 0) {
				rc = perr(p, "'%s': firebreak never uses "
				    "stored passwords; use keys or an agent",
				    eff[i].key);
			}
		}
		v = fleet_host_var(fh, "ansible_user");
		if (v == NULL)
			v = fleet_host_var(fh, "ansible_ssh_user");
		fh->user = v && *v ? xstrdup(v) : NULL;
		v = fleet_host_var(fh, "ansible_ssh_private_key_file");
		fh->key_file = v && *v ? xstrdup(v) : NULL;
		v = fleet_host_var(fh, "fb_host_key");
		fh->pin = v && *v ? xstrdup(v) : NULL;
		free(eff);
	}
	free(in);
	free(order);
	return rc;
}

int
fleet_inventory_parse(const char *name, const char *text, size_t len,
    struct fleet_inventory **out)
{
	struct inv_parse p;
	size_t i, j;
	int rc;

	memset(&p, 0, sizeof(p));
	p.file = name;
	p.inv = xcalloc(1, sizeof(*p.inv));
	p.inv->path = xstrdup(name);
	rc = parse_lines(&p, text, len);
	if (rc == 0)
		rc = resolve(&p);
	for (i = 0; i < p.inv->nhosts; i++) {
		for (j = 0; j < p.ih[i].nvars; j++) {
			free(p.ih[i].vars[j].key);
			free(p.ih[i].vars[j].value);
		}
		free(p.ih[i].vars);
	}
	free(p.ih);
	if (rc != 0) {
		fleet_inventory_free(p.inv);
		return rc;
	}
	*out = p.inv;
	return 0;
}

int
fleet_inventory_load(const char *path, struct fleet_inventory **out)
{
	struct fb_buf b = FB_BUF_INIT;
	int rc;

	if ((rc = fb_buf_read_file(&b, path, FLEET_INV_MAX_BYTES)) != 0) {
		if (rc == -FB_ERR_NOENT || rc == -FB_ERR_IO)
			rc = fb_err(FB_ERR_NOENT, "cannot read inventory '%s' "
			    "(%s); give one with -i FILE or "
			    "FIREBREAK_INVENTORY", path, fb_errmsg(rc));
		fb_buf_release(&b);
		return rc;
	}
	rc = fleet_inventory_parse(path, b.data, b.len, out);
	fb_buf_release(&b);
	return rc;
}

void
fleet_inventory_free(struct fleet_inventory *inv)
{
	size_t i, j;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->nhosts; i++) {
		struct fleet_host *h = &inv->hosts[i];

		free(h->name);
		free(h->addr);
		free(h->user);
		free(h->key_file);
		free(h->pin);
		for (j = 0; j < h->ngroups; j++)
			free(h->groups[j]);
		free(h->groups);
		for (j = 0; j < h->nvars; j++) {
			free(h->vars[j].key);
			free(h->vars[j].value);
		}
		free(h->vars);
	}
	for (i = 0; i < inv->ngroups; i++) {
		struct fleet_group *g = &inv->groups[i];

		free(g->name);
		free(g->hosts);
		free(g->children);
		free(g->child_lines);
		for (j = 0; j < g->nvars; j++) {
			free(g->vars[j].key);
			free(g->vars[j].value);
		}
		free(g->vars);
	}
	free(inv->hosts);
	free(inv->groups);
	free(inv->path);
	free(inv);
}

const char *
fleet_host_var(const struct fleet_host *h, const char *key)
{
	size_t i;

	for (i = 0; i < h->nvars; i++)
		if (strcmp(h->vars[i].key, key) == 0)
			return h->vars[i].value;
	return NULL;
}

static int
host_in_group(const struct fleet_host *h, const char *g)
{
	size_t i;

	for (i = 0; i < h->ngroups; i++)
		if (strcmp(h->groups[i], g) == 0)
			return 1;
	return 0;
}

static int
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Mark hosts matching one term; returns how many matched. */
static size_t
term_match(const struct fleet_inventory *inv, const char *t,
    unsigned char *m)
{
	size_t h, g, n = 0;
	int glob = has_glob(t);

	for (h = 0; h < inv->nhosts; h++) {
		const struct fleet_host *fh = &inv->hosts[h];
		int hit = 0;

		if (strcmp(t, "all") == 0 || strcmp(t, "*") == 0)
			hit = 1;
		else if (strcmp(fh->name, t) == 0 ||
		    (glob && fnmatch(t, fh->name, 0) == 0))
			hit = 1;
		else if (host_in_group(fh, t))
			hit = 1;
		else if (glob)
			for (g = 0; g < fh->ngroups && !hit; g++)
				hit = fnmatch(t, fh->groups[g], 0) == 0;
		if (hit) {
			m[h] = 1;
			n++;
		}
	}
	return n;
}

int
fleet_inventory_match(const struct fleet_inventory *inv, const char *pattern,
    size_t **idx, size_t *n)
{
	unsigned char *uni, *isect, *excl, *tmp;
	char *pat = xstrdup(pattern), *t, *save = NULL;
	size_t h, k = 0, *out;
	int have_isect = 0, rc = 0;

	uni = xcalloc(inv->nhosts + 1, 1);
	isect = xcalloc(inv->nhosts + 1, 1);
	excl = xcalloc(inv->nhosts + 1, 1);
	tmp = xcalloc(inv->nhosts + 1, 1);
	memset(isect, 1, inv->nhosts);
	for (t = strtok_r(pat, ":,", &save); t != NULL;
	    t = strtok_r(NULL, ":,", &save)) {
		while (*t == ' ')
			t++;
		if (*t == '\0')
			continue;
		if (*t == '!') {
			term_match(inv, t + 1, excl);
		} else if (*t == '&') {
			memset(tmp, 0, inv->nhosts);
			if (term_match(inv, t + 1, tmp) == 0) {
				rc = fb_err(FB_ERR_NOENT, "pattern '%s' matches "
				    "no host in '%s'", t + 1, inv->path);
				break;
			}
			for (h = 0; h < inv->nhosts; h++)
				isect[h] &= tmp[h];
			have_isect = 1;
		} else if (term_match(inv, t, uni) == 0) {
			rc = fb_err(FB_ERR_NOENT, "pattern '%s' matches no host "
			    "in '%s'", t, inv->path);
			break;
		}
	}
	(void)have_isect;
	if (rc == 0) {
		out = xcalloc(inv->nhosts + 1, sizeof(*out));
		for (h = 0; h < inv->nhosts; h++)
			if (uni[h] && isect[h] && !excl[h])
				out[k++] = h;
		*idx = out;
		*n = k;
	}
	free(pat);
	free(uni);
	free(isect);
	free(excl);
	free(tmp);
	return rc;
}
