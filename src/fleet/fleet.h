/*
 * fleet: the inventory (Ansible INI), host patterns, host-key checks
 * against OpenSSH known_hosts files and pins, and SSH fan-out — the only
 * code that calls libssh2_*. It promises: one poll() loop drives every
 * session, non-blocking; at most `jobs` hosts in flight and at most
 * `per_server` unfinished handshakes to one address:port (sshd's
 * MaxStartups, 10 by default); an unknown or changed host key is never authenticated to,
 * so nothing runs there; partial results are normal, each task says how it
 * ended. It never prints and never touches the store.
 */
#ifndef FB_FLEET_H
#define FB_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* ---- inventory --------------------------------------------------------- */

#define FLEET_INV_MAX_BYTES (16u << 20)
#define FLEET_INV_MAX_HOSTS 100000

struct fleet_var {
	char *key, *value;
};

struct fleet_host {
	char *name;
	char *addr;      /* ansible_host, else name */
	int port;        /* ansible_port, else 22 */
	char *user;      /* ansible_user, else NULL (the local user) */
	char *key_file;  /* ansible_ssh_private_key_file, else NULL */
	char *pin;       /* fb_host_key "SHA256:...", else NULL */
	int become;      /* ansible_become: run through sudo -n */
	char **groups;   /* every group it is in (directly or as a child) */
	size_t ngroups;
	struct fleet_var *vars; /* effective variables, resolved */
	size_t nvars;
};

struct fleet_group;

struct fleet_inventory {
	char *path;
	struct fleet_host *hosts;
	size_t nhosts;
	struct fleet_group *groups;
	size_t ngroups;
};

/*
 * The inventory path: flag (-i) if given, else FIREBREAK_INVENTORY, else
 * $XDG_CONFIG_HOME/firebreak/inventory. Caller frees.
 */
char *fleet_inventory_path(const char *flag);
/* Parse a file. A bad line is -FB_ERR_PARSE naming file:line. */
int fleet_inventory_load(const char *path, struct fleet_inventory **out);
/* Parse text already in memory; name is used in messages. */
int fleet_inventory_parse(const char *name, const char *text, size_t len,
    struct fleet_inventory **out);
void fleet_inventory_free(struct fleet_inventory *inv);
/*
 * Hosts matching an Ansible host pattern (names, globs, groups, "all",
 * "a:b" / "a,b" union, "a:&b" intersection, "a:!b" exclusion), in
 * inventory order, as indexes into inv->hosts (caller frees *idx). A pattern
 * term matching nothing is -FB_ERR_NOENT.
 */
int fleet_inventory_match(const struct fleet_inventory *inv,
    const char *pattern, size_t **idx, size_t *n);
/* Borrowed: a resolved variable of h, or NULL. */
const char *fleet_host_var(const struct fleet_host *h, const char *key);

/* ---- known hosts ------------------------------------------------------- */

enum fleet_hostkey_status {
	FLEET_HK_OK,       /* a known_hosts entry or a pin matches */
	FLEET_HK_UNKNOWN,  /* no entry names this host */
	FLEET_HK_CHANGED,  /* entries name this host, none with this key */
	FLEET_HK_REVOKED,  /* the key is marked @revoked */
	FLEET_HK_PIN,      /* fb_host_key pins another key */
};

struct fleet_known;

/*
 * Load known_hosts files (missing files are fine). Each line is parsed on
 * its own: a line that cannot be parsed is counted in *bad (and its first
 * location kept for fleet_known_bad()) but never hides later lines.
 */
struct fleet_known *fleet_known_new(void);
int fleet_known_load(struct fleet_known *k, const char *path);
void fleet_known_free(struct fleet_known *k);
/* Borrowed: "file:line" of the first line skipped, or NULL. */
const char *fleet_known_bad(const struct fleet_known *k, size_t *nbad);
/*
 * Parse one known_hosts line (no newline). Returns 1 if it held an entry,
 * 0 for blank/comment, -FB_ERR_PARSE if malformed. Exposed for fuzzing.
 */
int fleet_known_add_line(struct fleet_known *k, const char *line, size_t n,
    const char *where);
/*
 * Check key (the SSH wire blob of type keytype, e.g. "ssh-ed25519") for
 * host at port; names are the inventory name and the address (either may
 * match, OpenSSH-style "[name]:port" when port != 22).
 */
enum fleet_hostkey_status fleet_known_check(const struct fleet_known *k,
    const char *name, const char *addr, int port, const char *keytype,
    const unsigned char *key, size_t keylen);
/*
 * The key types known for this host, most preferred first, as a
 * comma-separated list for libssh2's method preference (empty if none).
 * Caller frees.
 */
char *fleet_known_types(const struct fleet_known *k, const char *name,
    const char *addr, int port);
/* "SHA256:..." of a key blob (OpenSSH's fingerprint format). */
#define FLEET_FP_LEN 52
void fleet_fingerprint(const unsigned char *key, size_t len,
    char out[FLEET_FP_LEN]);
/* A known_hosts line for addr:port and this key ("[a]:p type base64\n"). Caller frees. */
char *fleet_known_line(const char *addr, int port, const char *keytype,
    const unsigned char *key, size_t keylen);
/* Base64 (standard alphabet, with padding). Caller frees. */
char *fleet_base64(const unsigned char *p, size_t n, int pad);
/* Decode standard base64; -FB_ERR_PARSE if invalid. *out caller frees. */
int fleet_unbase64(const char *s, size_t n, unsigned char **out, size_t *outlen);

/* ---- the SSH engine ---------------------------------------------------- */

enum fleet_kind {
	FLEET_OK,           /* the command ran (any exit status) / fetch done */
	FLEET_UNREACHABLE,  /* connect or handshake failed */
	FLEET_AUTH,         /* no key was accepted */
	FLEET_HOSTKEY,      /* unknown, changed, revoked or pin mismatch */
	FLEET_TIMEOUT,      /* connect or command timeout */
	FLEET_ERROR,        /* protocol or local failure */
	FLEET_PARTIAL,      /* fetch: some paths failed */
};
const char *fleet_kind_name(enum fleet_kind k);

enum fleet_op {
	FLEET_OP_EXEC,
	FLEET_OP_FETCH,
};

struct fleet_fetch_file;

/*
 * Fetch (FLEET_OP_FETCH) streams each regular file into a sink the caller
 * opens: fetch_open(ctx, task, remote_path, &sink), then fetch_write(sink,
 * bytes) as they arrive (a negative return abandons the file), then
 * fetched(ctx, task, file, sink) once per file — sink is NULL when the file
 * was refused before it was opened; when file->refused is set the caller
 * must abandon the sink. The engine hashes the bytes itself as well
 * (file->sha256). No name a host sends is ever used as a local path.
 */
struct fleet_fetch_file {
	const char *remote_path;  /* as requested, or dir + "/" + entry name */
	char sha256[FB_SHA256_HEX];
	uint64_t size;
	int64_t mtime;
	unsigned mode;            /* permission and type bits */
	unsigned long uid, gid;
	const char *refused;      /* why it was not fetched, or NULL */
	int64_t start, end;       /* UTC seconds */
};

struct fleet_task {
	const struct fleet_host *host;
	enum fleet_op op;
	const char *command;      /* EXEC: the remote shell command */
	const char *const *paths; /* FETCH: remote paths */
	size_t npaths;
	int (*fetch_open)(void *ctx, struct fleet_task *t,
	    const char *remote_path, void **sink);
	int (*fetch_write)(void *sink, const void *p, size_t n);
	void (*fetched)(void *ctx, struct fleet_task *t,
	    const struct fleet_fetch_file *f, void *sink);
	void *ctx;

	/* results */
	enum fleet_kind kind;
	char *error;              /* what went wrong, or NULL */
	char fingerprint[FLEET_FP_LEN]; /* the host key seen, "" if none */
	char keytype[32];
	unsigned char *hostkey;   /* the key blob seen (for --accept-new) */
	size_t hostkey_len;
	int hostkey_status;       /* enum fleet_hostkey_status */
	int accepted_new;         /* unknown key taken under accept_new */
	int exit_status;          /* -1 when none */
	char exit_signal[32];     /* "" or the signal name */
	struct fb_buf out, err;   /* the first max_output bytes of each */
	uint64_t out_total, err_total;
	char out_sha256[FB_SHA256_HEX], err_sha256[FB_SHA256_HEX];
	int64_t start_ms, end_ms; /* UTC milliseconds */
	int64_t clock_offset_ms;  /* remote minus local (fetch, facts) */
	int has_clock_offset;
	int attempts;             /* connections tried */
	size_t nfetched, nrefused;

	struct fleet_conn *conn;  /* engine private */
};

struct fleet_opts {
	int jobs;                 /* hosts in flight (default 32) */
	int per_server;           /* unfinished handshakes per addr:port (6) */
	int connect_timeout;      /* seconds, connect+handshake+auth (10) */
	int timeout;              /* seconds for the command, 0: none */
	int keepalive;            /* seconds between keepalives (15) */
	size_t max_output;        /* per stream (1 MiB) */
	uint64_t max_fetch;       /* per file (1 GiB) */
	int max_depth;            /* directory levels a fetch reads below a
	                             named directory (8); 1: its entries only */
	int retries;              /* handshake retries on banner loss (4) */
	int measure_clock;        /* exec `date` first to measure the offset */
	int accept_new;           /* go on with unknown keys (task->accepted_new) */
	const struct fleet_known *known;
	const char *local_user;   /* when a host has no ansible_user */
	/* called after each task finishes, and about every 100 ms */
	void (*progress)(void *ctx, size_t done, size_t total, size_t running);
	void *progress_ctx;
	volatile int *interrupted; /* stop starting new hosts when set */
};
void fleet_opts_init(struct fleet_opts *o);

/* Run every task to completion. Returns 0; per-task results are in tasks. */
int fleet_run(struct fleet_task *tasks, size_t n, const struct fleet_opts *o);
void fleet_task_release(struct fleet_task *t);

/* sh-quote s into b ('...' with '\'' for quotes). */
void fleet_shell_quote(struct fb_buf *b, const char *s);
/* The command as run on the host (sudo -n when become). Caller frees. */
char *fleet_remote_command(const struct fleet_host *h, const char *command);

/* ---- facts ------------------------------------------------------------- */

/* The command that gathers facts; its output is parsed below. */
const char *fleet_facts_command(void);

struct fleet_gpu_proc {
	char *pid, *name, *type, *used_memory;
};
struct fleet_gpu {
	char *name, *uuid, *serial, *bus_id, *memory_total, *memory_used;
	char *mig_mode;
	struct fleet_gpu_proc *procs;
	size_t nprocs;
};
struct fleet_facts {
	char *os, *kernel, *hostname;
	double uptime;
	int has_uptime;
	int64_t remote_time_ms;   /* the host's clock when it answered */
	char *driver, *cuda;
	struct fleet_gpu *gpus;
	size_t ngpus;
	int gpu_state;            /* 0 no nvidia-smi, 1 parsed, -1 parse error */
	char *gpu_error;
};
/*
 * Parse `nvidia-smi -q -x` output (with expat: a streaming parser that
 * never fetches the DTD or external entities and bounds entity expansion).
 * Returns 0 or -FB_ERR_PARSE / -FB_ERR_LIMIT.
 */
int fleet_gpu_parse(const char *xml, size_t len, struct fleet_facts *f);
/* Parse the facts command's output. */
int fleet_facts_parse(const char *out, size_t len, struct fleet_facts *f);
void fleet_facts_release(struct fleet_facts *f);
/* The facts as a JSON object (host attributes) and one per GPU. Caller frees. */
char *fleet_facts_host_json(const struct fleet_facts *f, const char *host,
    int64_t clock_offset_ms, const char *fingerprint);
char *fleet_gpu_json(const struct fleet_gpu *g, const struct fleet_facts *f,
    const char *host);

#endif
