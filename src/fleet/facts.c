/*
 * facts.c: host facts and GPU facts from `nvidia-smi -q -x`.
 *
 * The XML is parsed with expat rather than libxml2: the document is
 * untrusted host output, and expat is a small streaming parser that never
 * resolves the DTD nvidia-smi names (no external entity handler is set),
 * has billion-laughs protection on by default (2.4+), and keeps no tree,
 * so memory is bounded by the few fields kept. libxml2 would build a DOM
 * and needs options set right (XML_PARSE_NONET, no XML_PARSE_NOENT) on
 * every call to be equally safe.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "fleet/fleet.h"
#include "json/json.h"

#define GPU_XML_MAX (8u << 20)
#define GPU_MAX 256
#define GPU_PROCS_MAX 4096
#define GPU_DEPTH_MAX 32
#define GPU_TEXT_MAX 4096

const char *
fleet_facts_command(void)
{
	return "echo @@fb:hostname; cat /proc/sys/kernel/hostname 2>/dev/null || hostname;"
	    " echo @@fb:kernel; uname -sr;"
	    " echo @@fb:os; sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null;"
	    " echo @@fb:uptime; cat /proc/uptime 2>/dev/null;"
	    " echo @@fb:gpu; if command -v nvidia-smi >/dev/null 2>&1;"
	    " then nvidia-smi -q -x 2>&1; else echo @@fb:nogpu; fi";
}

struct gpu_ctx {
	struct fleet_facts *f;
	const char *stack[GPU_DEPTH_MAX];
	char *names[GPU_DEPTH_MAX];
	int depth;
	struct fb_buf text;
	int overflow;
	int limit;
	XML_Parser p;
};

static int
path_is(struct gpu_ctx *g, const char *const *want, int n)
{
	int i;

	if (g->depth != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(g->names[i], want[i]) != 0)
			return 0;
	return 1;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct gpu_ctx *g = ud;
	struct fleet_facts *f = g->f;

	(void)attrs;
	if (g->depth >= GPU_DEPTH_MAX) {
		g->limit = 1;
		XML_StopParser(g->p, XML_FALSE);
		return;
	}
	g->names[g->depth++] = xstrdup(name);
	fb_buf_reset(&g->text);
	if (g->depth == 2 && strcmp(name, "gpu") == 0) {
		if (f->ngpus >= GPU_MAX) {
			g->limit = 1;
			XML_StopParser(g->p, XML_FALSE);
			return;
		}
		f->gpus = xrealloc(f->gpus, (f->ngpus + 1) * sizeof(*f->gpus));
		memset(&f->gpus[f->ngpus], 0, sizeof(*f->gpus));
		f->ngpus++;
	} else if (g->depth == 4 && f->ngpus > 0 &&
	    strcmp(name, "process_info") == 0 &&
	    strcmp(g->names[2], "processes") == 0) {
		struct fleet_gpu *gpu = &f->gpus[f->ngpus - 1];

		if (gpu->nprocs >= GPU_PROCS_MAX) {
			g->limit = 1;
			XML_StopParser(g->p, XML_FALSE);
			return;
		}
		gpu->procs = xrealloc(gpu->procs,
		    (gpu->nprocs + 1) * sizeof(*gpu->procs));
		memset(&gpu->procs[gpu->nprocs], 0, sizeof(*gpu->procs));
		gpu->nprocs++;
	}
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct gpu_ctx *g = ud;

	if (g->text.len + (size_t)len > GPU_TEXT_MAX)
		return;
	fb_buf_add(&g->text, s, (size_t)len);
}

static char *
trimmed(struct fb_buf *b)
{
	const char *s = b->data, *e = b->data + b->len;

	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	return xstrndup(s, (size_t)(e - s));
}

static void
set(char **dst, struct fb_buf *b)
{
	free(*dst);
	*dst = trimmed(b);
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	static const char *const p_driver[] = { "nvidia_smi_log", "driver_version" };
	static const char *const p_cuda[] = { "nvidia_smi_log", "cuda_version" };
	struct gpu_ctx *g = ud;
	struct fleet_facts *f = g->f;
	struct fleet_gpu *gpu = f->ngpus ? &f->gpus[f->ngpus - 1] : NULL;
	const char *leaf = name;

	if (path_is(g, p_driver, 2))
		set(&f->driver, &g->text);
	else if (path_is(g, p_cuda, 2))
		set(&f->cuda, &g->text);
	else if (gpu != NULL && g->depth >= 3 && strcmp(g->names[1], "gpu") == 0) {
		const char *l2 = g->names[2];

		if (g->depth == 3) {
			if (strcmp(leaf, "product_name") == 0)
				set(&gpu->name, &g->text);
			else if (strcmp(leaf, "uuid") == 0)
				set(&gpu->uuid, &g->text);
			else if (strcmp(leaf, "serial") == 0)
				set(&gpu->serial, &g->text);
		} else if (g->depth == 4) {
			if (strcmp(l2, "pci") == 0 &&
			    strcmp(leaf, "pci_bus_id") == 0)
				set(&gpu->bus_id, &g->text);
			else if (strcmp(l2, "fb_memory_usage") == 0 &&
			    strcmp(leaf, "total") == 0)
				set(&gpu->memory_total, &g->text);
			else if (strcmp(l2, "fb_memory_usage") == 0 &&
			    strcmp(leaf, "used") == 0)
				set(&gpu->memory_used, &g->text);
			else if (strcmp(l2, "mig_mode") == 0 &&
			    strcmp(leaf, "current_mig") == 0)
				set(&gpu->mig_mode, &g->text);
		} else if (g->depth == 5 && strcmp(l2, "processes") == 0 &&
		    strcmp(g->names[3], "process_info") == 0 &&
		    gpu->nprocs > 0) {
			struct fleet_gpu_proc *pr = &gpu->procs[gpu->nprocs - 1];

			if (strcmp(leaf, "pid") == 0)
				set(&pr->pid, &g->text);
			else if (strcmp(leaf, "process_name") == 0)
				set(&pr->name, &g->text);
			else if (strcmp(leaf, "type") == 0)
				set(&pr->type, &g->text);
			else if (strcmp(leaf, "used_memory") == 0)
				set(&pr->used_memory, &g->text);
		}
	}
	if (g->depth > 0)
		free(g->names[--g->depth]);
	fb_buf_reset(&g->text);
}

int
fleet_gpu_parse(const char *xml, size_t len, struct fleet_facts *f)
{
	struct gpu_ctx g;
	int rc = 0;

	if (len > GPU_XML_MAX)
		return fb_err(FB_ERR_LIMIT, "nvidia-smi output is over %u bytes",
		    GPU_XML_MAX);
	memset(&g, 0, sizeof(g));
	g.f = f;
	fb_buf_init(&g.text);
	g.p = XML_ParserCreate("UTF-8");
	if (g.p == NULL)
		fatal("out of memory");
	XML_SetUserData(g.p, &g);
	XML_SetElementHandler(g.p, on_start, on_end);
	XML_SetCharacterDataHandler(g.p, on_text);
	/* Never read the DTD or any external entity. */
	XML_SetParamEntityParsing(g.p, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(g.p, xml, (int)len, XML_TRUE) != XML_STATUS_OK) {
		if (g.limit)
			rc = fb_err(FB_ERR_LIMIT, "nvidia-smi output is over a "
			    "limit (%d GPUs, %d processes per GPU, %d levels)",
			    GPU_MAX, GPU_PROCS_MAX, GPU_DEPTH_MAX);
		else
			rc = fb_err(FB_ERR_PARSE, "nvidia-smi XML line %lu: %s",
			    (unsigned long)XML_GetCurrentLineNumber(g.p),
			    XML_ErrorString(XML_GetErrorCode(g.p)));
	}
	while (g.depth > 0)
		free(g.names[--g.depth]);
	XML_ParserFree(g.p);
	fb_buf_release(&g.text);
	return rc;
}

static char *
section_text(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	while (n > 0 && (*s == '\n' || *s == ' ')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	return xstrndup(s, n > 512 ? 512 : n);
}

int
fleet_facts_parse(const char *out, size_t len, struct fleet_facts *f)
{
	const char *p = out, *end = out + len;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		const char *m = NULL, *nl, *body, *next;
		char key[32];
		size_t kl;

		/* find "@@fb:" at a line start */
		for (; p < end; ) {
			if ((size_t)(end - p) >= 5 && memcmp(p, "@@fb:", 5) == 0) {
				m = p;
				break;
			}
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL) {
				p = end;
				break;
			}
			p = nl + 1;
		}
		if (m == NULL)
			break;
		nl = memchr(m, '\n', (size_t)(end - m));
		kl = (size_t)((nl ? nl : end) - m - 5);
		if (kl >= sizeof(key))
			kl = sizeof(key) - 1;
		memcpy(key, m + 5, kl);
		key[kl] = '\0';
		body = nl ? nl + 1 : end;
		if (strcmp(key, "gpu") == 0) {
			next = end;     /* the XML runs to the end */
		} else {
			next = body;
			while (next < end) {
				if ((size_t)(end - next) >= 5 &&
				    memcmp(next, "@@fb:", 5) == 0)
					break;
				nl = memchr(next, '\n', (size_t)(end - next));
				next = nl ? nl + 1 : end;
			}
		}
		if (strcmp(key, "hostname") == 0) {
			free(f->hostname);
			f->hostname = section_text(body, (size_t)(next - body));
		} else if (strcmp(key, "kernel") == 0) {
			free(f->kernel);
			f->kernel = section_text(body, (size_t)(next - body));
		} else if (strcmp(key, "os") == 0) {
			free(f->os);
			f->os = section_text(body, (size_t)(next - body));
		} else if (strcmp(key, "uptime") == 0) {
			char *t = section_text(body, (size_t)(next - body));
			char *e;

			f->uptime = strtod(t, &e);
			f->has_uptime = e != t;
			free(t);
		} else if (strcmp(key, "gpu") == 0) {
			size_t bl = (size_t)(next - body);

			if (bl >= 10 && memcmp(body, "@@fb:nogpu", 10) == 0) {
				f->gpu_state = 0;
			} else if ((rc = fleet_gpu_parse(body, bl, f)) == 0) {
				f->gpu_state = 1;
			} else {
				f->gpu_state = -1;
				f->gpu_error = xstrdup(fb_errmsg(rc));
				rc = 0;
			}
		}
		p = next;
	}
	return rc;
}

void
fleet_facts_release(struct fleet_facts *f)
{
	size_t i, j;

	free(f->os);
	free(f->kernel);
	free(f->hostname);
	free(f->driver);
	free(f->cuda);
	free(f->gpu_error);
	for (i = 0; i < f->ngpus; i++) {
		struct fleet_gpu *g = &f->gpus[i];

		free(g->name);
		free(g->uuid);
		free(g->serial);
		free(g->bus_id);
		free(g->memory_total);
		free(g->memory_used);
		free(g->mig_mode);
		for (j = 0; j < g->nprocs; j++) {
			free(g->procs[j].pid);
			free(g->procs[j].name);
			free(g->procs[j].type);
			free(g->procs[j].used_memory);
		}
		free(g->procs);
	}
	free(f->gpus);
	memset(f, 0, sizeof(*f));
}

static void
kint_or_str(struct fb_json *j, const char *key, const char *v)
{
	char *e;
	long long n;

	if (v == NULL) {
		fb_json_key(j, key);
		fb_json_null(j);
		return;
	}
	n = strtoll(v, &e, 10);
	if (*v != '\0' && *e == '\0')
		fb_json_kint(j, key, n);
	else
		fb_json_kstr(j, key, v);
}

char *
fleet_facts_host_json(const struct fleet_facts *f, const char *host,
    int64_t clock_offset_ms, const char *fingerprint)
{
	struct fb_json *j = fb_json_new();
	char now[FB_TIME_LEN];
	size_t i;

	fb_time_fmt(fb_time_now(), now);
	fb_json_obj_begin(j);
	fb_json_kstr(j, "host", host);
	fb_json_kstr(j, "facts_time", now);
	fb_json_kstr(j, "hostname", f->hostname);
	fb_json_kstr(j, "os", f->os);
	fb_json_kstr(j, "kernel", f->kernel);
	if (f->has_uptime)
		fb_json_kint(j, "uptime_s", (int64_t)f->uptime);
	fb_json_kint(j, "clock_offset_ms", clock_offset_ms);
	fb_json_kstr(j, "host_key", fingerprint);
	fb_json_kstr(j, "gpu_driver", f->driver);
	fb_json_kstr(j, "cuda", f->cuda);
	fb_json_kstr(j, "gpu_state", f->gpu_state == 1 ? "ok" :
	    f->gpu_state == 0 ? "none" : "error");
	if (f->gpu_error)
		fb_json_kstr(j, "gpu_error", f->gpu_error);
	fb_json_key(j, "gpus");
	fb_json_arr_begin(j);
	for (i = 0; i < f->ngpus; i++)
		fb_json_str(j, f->gpus[i].uuid);
	fb_json_arr_end(j);
	fb_json_obj_end(j);
	return fb_json_finish(j);
}

char *
fleet_gpu_json(const struct fleet_gpu *g, const struct fleet_facts *f,
    const char *host)
{
	struct fb_json *j = fb_json_new();
	size_t i;

	fb_json_obj_begin(j);
	fb_json_kstr(j, "host", host);
	fb_json_kstr(j, "uuid", g->uuid);
	fb_json_kstr(j, "name", g->name);
	fb_json_kstr(j, "serial", g->serial);
	fb_json_kstr(j, "bus_id", g->bus_id);
	fb_json_kstr(j, "driver", f->driver);
	fb_json_kstr(j, "memory_total", g->memory_total);
	fb_json_kstr(j, "memory_used", g->memory_used);
	fb_json_kstr(j, "mig_mode", g->mig_mode);
	fb_json_key(j, "processes");
	fb_json_arr_begin(j);
	for (i = 0; i < g->nprocs; i++) {
		fb_json_obj_begin(j);
		kint_or_str(j, "pid", g->procs[i].pid);
		fb_json_kstr(j, "name", g->procs[i].name);
		fb_json_kstr(j, "type", g->procs[i].type);
		fb_json_kstr(j, "used_memory", g->procs[i].used_memory);
		fb_json_obj_end(j);
	}
	fb_json_arr_end(j);
	fb_json_obj_end(j);
	return fb_json_finish(j);
}
