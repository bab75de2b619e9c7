/*
 * ssh.c: the fan-out engine. One thread, one poll() loop, every session
 * non-blocking; each connection is a small state machine stepped whenever
 * its socket is ready (libssh2_session_block_directions() says which way)
 * or a deadline passes. Handshakes to one address:port are bounded (sshd
 * drops connections beyond MaxStartups, 10 by default) and a lost banner
 * is retried with backoff. A host key is checked before any
 * authentication, so a refused host never runs anything.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "fleet/fleet.h"

#define HOSTKEY_PREF_ALL "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa"
#define KEX_PREF "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256"
#define CLOCK_COMMAND "date -u +%s%N"
#define FETCH_MAX_ENTRIES 10000
#define READ_CHUNK 65536

enum cstate {
	CS_WAIT,
	CS_BACKOFF,
	CS_CONNECT,
	CS_HANDSHAKE,
	CS_AUTH,
	CS_CHAN_OPEN,
	CS_EXEC,
	CS_READ,
	CS_CLOSE,
	CS_WAIT_CLOSED,
	CS_SFTP_INIT,
	CS_SFTP,
	CS_DONE,
};

enum fstate {
	FS_ITEM,
	FS_LSTAT,
	FS_OPENDIR,
	FS_READDIR,
	FS_CLOSEDIR,
	FS_OPEN,
	FS_READ,
	FS_CLOSE,
};

struct fetch_item {
	char *path;
	int has_attrs;
	int depth;                /* 0: named; n: n levels below a named dir */
	LIBSSH2_SFTP_ATTRIBUTES attrs;
	char *refused;
};

struct fleet_conn {
	struct fleet_task *t;
	enum cstate state;
	int fd;
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *ch;
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *ident;
	int auth_stage;
	size_t file_idx;
	char *files[4];
	size_t nfiles;
	int rsa_only_seen, nonrsa_seen;
	struct fb_buf authlog;
	int64_t deadline;
	int64_t wake;
	size_t server;
	int in_handshake;
	const char *user;
	int exec_what;           /* 0 clock, 1 main */
	char *cmd;
	struct fb_buf clockbuf;
	int64_t t0;
	struct fb_sha256 *hout, *herr;
	int timed_out;

	/* sftp */
	LIBSSH2_SFTP *sftp;
	LIBSSH2_SFTP_HANDLE *fh;
	enum fstate fs;
	struct fetch_item *items;
	size_t nitems, item;
	size_t dir_insert;
	size_t nentries;          /* items taken from directories */
	size_t dir_cut;           /* entries of this directory left out */
	void *sink;
	struct fb_sha256 *hfile;
	uint64_t got;
	int64_t fstart;
};

struct server {
	char *key;
	int handshakes;
};

struct engine {
	struct fleet_task *tasks;
	size_t n;
	const struct fleet_opts *o;
	struct server *servers;
	size_t nservers;
	size_t running, done;
};

static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

const char *
fleet_kind_name(enum fleet_kind k)
{
	switch (k) {
	case FLEET_OK: return "ok";
	case FLEET_UNREACHABLE: return "unreachable";
	case FLEET_AUTH: return "auth";
	case FLEET_HOSTKEY: return "host_key";
	case FLEET_TIMEOUT: return "timeout";
	case FLEET_ERROR: return "error";
	case FLEET_PARTIAL: return "partial";
	}
	return "error";
}

void
fleet_opts_init(struct fleet_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->jobs = 32;
	o->per_server = 6;
	o->connect_timeout = 10;
	o->timeout = 0;
	o->keepalive = 15;
	o->max_output = 1u << 20;
	o->max_fetch = 1ull << 30;
	o->max_depth = 8;
	o->retries = 4;
}

void
fleet_shell_quote(struct fb_buf *b, const char *s)
{
	fb_buf_addch(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			fb_buf_addstr(b, "'\\''");
		else
			fb_buf_addch(b, *s);
	}
	fb_buf_addch(b, '\'');
}

char *
fleet_remote_command(const struct fleet_host *h, const char *command)
{
	struct fb_buf b = FB_BUF_INIT;

	if (!h->become)
		return xstrdup(command);
	/* sudo -n never prompts: a host that wants a password fails. */
	fb_buf_addstr(&b, "sudo -n -- /bin/sh -c ");
	fleet_shell_quote(&b, command);
	return fb_buf_detach(&b, NULL);
}

static void
task_fail(struct fleet_task *t, enum fleet_kind k, const char *fmt, ...)
    FB_ATTR_PRINTF(3, 4);

static void
task_fail(struct fleet_task *t, enum fleet_kind k, const char *fmt, ...)
{
	struct fb_buf b = FB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	fb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	t->kind = k;
	free(t->error);
	t->error = fb_buf_detach(&b, NULL);
}

static const char *
ssh_errmsg(LIBSSH2_SESSION *s, int *code)
{
	char *msg = NULL;
	int len = 0, rc;

	rc = libssh2_session_last_error(s, &msg, &len, 0);
	if (code)
		*code = rc;
	return msg && *msg ? msg : "unknown libssh2 error";
}

static const char *
keytype_name(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521";
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519";
	}
	return "unknown";
}

/* ---- connection lifecycle --------------------------------------------- */

struct fetch_item;
static void report_file(struct fleet_conn *c, struct fetch_item *it,
    const char *refused, const char *sha);

static void
conn_teardown(struct engine *e, struct fleet_conn *c)
{
	size_t i;

	if (c->in_handshake) {
		e->servers[c->server].handshakes--;
		c->in_handshake = 0;
	}
	if (c->s != NULL && c->fd >= 0 && c->t->kind == FLEET_OK)
		(void)libssh2_session_disconnect(c->s, "done");
	/* Shut the socket first so nothing below can wait on the peer. */
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
	if (c->fh != NULL)
		(void)libssh2_sftp_close_handle(c->fh);
	c->fh = NULL;
	if (c->sftp != NULL)
		(void)libssh2_sftp_shutdown(c->sftp);
	c->sftp = NULL;
	if (c->agent != NULL) {
		libssh2_agent_disconnect(c->agent);
		libssh2_agent_free(c->agent);
		c->agent = NULL;
	}
	if (c->ch != NULL)
		(void)libssh2_channel_free(c->ch);
	c->ch = NULL;
	if (c->s != NULL)
		(void)libssh2_session_free(c->s);
	c->s = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	c->nfiles = 0;
	c->file_idx = 0;
	c->auth_stage = 0;
	c->ident = NULL;
	free(c->cmd);
	c->cmd = NULL;
	if (c->hout)
		fb_sha256_free(c->hout);
	if (c->herr)
		fb_sha256_free(c->herr);
	c->hout = c->herr = NULL;
	if (c->hfile)
		fb_sha256_free(c->hfile);
	c->hfile = NULL;
	if (c->sink != NULL && c->item < c->nitems)
		report_file(c, &c->items[c->item], "the connection ended "
		    "while it was read", NULL);
	c->sink = NULL;
}

static void
conn_free(struct fleet_conn *c)
{
	size_t i;

	for (i = 0; i < c->nitems; i++) {
		free(c->items[i].path);
		free(c->items[i].refused);
	}
	free(c->items);
	fb_buf_release(&c->authlog);
	fb_buf_release(&c->clockbuf);
	free(c);
}

static void
conn_finish(struct engine *e, struct fleet_conn *c)
{
	struct fleet_task *t = c->t;

	conn_teardown(e, c);
	c->state = CS_DONE;
	t->end_ms = now_ms();
	if (t->op == FLEET_OP_FETCH && t->kind == FLEET_OK && t->nrefused > 0)
		t->kind = FLEET_PARTIAL;
	t->conn = NULL;
	conn_free(c);
	e->running--;
	e->done++;
	if (e->o->progress)
		e->o->progress(e->o->progress_ctx, e->done, e->n, e->running);
}

static size_t
server_index(struct engine *e, const struct fleet_host *h)
{
	char *key = xasprintf("%s|%d", h->addr, h->port);
	size_t i;

	for (i = 0; i < e->nservers; i++)
		if (strcmp(e->servers[i].key, key) == 0) {
			free(key);
			return i;
		}
	e->servers = xrealloc(e->servers, (e->nservers + 1) * sizeof(*e->servers));
	e->servers[e->nservers].key = key;
	e->servers[e->nservers].handshakes = 0;
	return e->nservers++;
}

static int
retryable(struct fleet_conn *c, int code, const struct fleet_opts *o)
{
	return (code == LIBSSH2_ERROR_SOCKET_RECV ||
	    code == LIBSSH2_ERROR_BANNER_RECV ||
	    code == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
	    code == -ECONNRESET) && c->t->attempts <= o->retries &&
	    now_ms() < c->deadline;
}

/* Close this attempt and come back after a backoff. */
static void
conn_retry(struct engine *e, struct fleet_conn *c)
{
	int64_t delay = 50LL << (c->t->attempts < 6 ? c->t->attempts : 6);

	conn_teardown(e, c);
	delay += rand() % (delay + 1);
	c->wake = now_ms() + delay;
	c->state = CS_BACKOFF;
}

static int
start_connect(struct engine *e, struct fleet_conn *c)
{
	const struct fleet_host *h = c->t->host;
	struct addrinfo hints, *ai = NULL;
	char port[16];
	int one = 1, rc, fd;

	c->t->attempts++;
	c->deadline = now_ms() + (int64_t)e->o->connect_timeout * 1000;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", h->port);
	/* Name resolution blocks; inventories normally carry addresses. */
	if ((rc = getaddrinfo(h->addr, port, &hints, &ai)) != 0) {
		task_fail(c->t, FLEET_UNREACHABLE, "cannot resolve '%s': %s",
		    h->addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		task_fail(c->t, FLEET_ERROR, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	/* Without it, Nagle and delayed ACKs add ~40 ms gaps per round trip. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc != 0 && errno != EINPROGRESS) {
		task_fail(c->t, FLEET_UNREACHABLE, "cannot connect to %s:%d: %s",
		    h->addr, h->port, strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->state = CS_CONNECT;
	c->in_handshake = 1;
	e->servers[c->server].handshakes++;
	return 0;
}

static int
session_create(struct fleet_conn *c)
{
	c->s = libssh2_session_init();
	if (c->s == NULL) {
		task_fail(c->t, FLEET_ERROR, "cannot create an SSH session");
		return -1;
	}
	libssh2_session_set_blocking(c->s, 0);
	/* curve25519 first: OpenSSH's default sntrup761 is not in 1.10. */
	(void)libssh2_session_method_pref(c->s, LIBSSH2_METHOD_KEX, KEX_PREF);
	return 0;
}

/*
 * libssh2 1.10 prefers ECDSA host keys while OpenSSH records ed25519: ask
 * for the types known for this host first, so the key the user has is
 * the one the server shows.
 */
static int
set_hostkey_pref(struct fleet_conn *c, const struct fleet_opts *o)
{
	struct fb_buf pref = FB_BUF_INIT;
	char *known = NULL, *dup, *p, *save = NULL;
	int rc;

	if (o->known != NULL)
		known = fleet_known_types(o->known, c->t->host->name,
		    c->t->host->addr, c->t->host->port);
	if (known != NULL && *known != '\0')
		fb_buf_addstr(&pref, known);
	dup = xstrdup(HOSTKEY_PREF_ALL);
	for (p = strtok_r(dup, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		size_t l = strlen(p);
		const char *q = known;
		int have = 0;

		while (q != NULL && *q) {
			if (strncmp(q, p, l) == 0 && (q[l] == ',' || q[l] == '\0'))
				have = 1;
			q = strchr(q, ',');
			if (q)
				q++;
		}
		if (!have)
			fb_buf_addf(&pref, "%s%s", pref.len ? "," : "", p);
	}
	rc = libssh2_session_method_pref(c->s, LIBSSH2_METHOD_HOSTKEY,
	    pref.data);
	free(dup);
	free(known);
	fb_buf_release(&pref);
	return rc;
}

/* ---- host key ---------------------------------------------------------- */

static int
check_hostkey(struct fleet_conn *c, const struct fleet_opts *o)
{
	struct fleet_task *t = c->t;
	const struct fleet_host *h = t->host;
	const char *key;
	size_t len;
	int type;
	enum fleet_hostkey_status st = FLEET_HK_UNKNOWN;

	key = libssh2_session_hostkey(c->s, &len, &type);
	if (key == NULL) {
		task_fail(t, FLEET_HOSTKEY, "no host key from %s:%d", h->addr,
		    h->port);
		return -1;
	}
	free(t->hostkey);
	t->hostkey = xmalloc(len);
	memcpy(t->hostkey, key, len);
	t->hostkey_len = len;
	fleet_fingerprint((const unsigned char *)key, len, t->fingerprint);
	snprintf(t->keytype, sizeof(t->keytype), "%s", keytype_name(type));
	if (o->known != NULL)
		st = fleet_known_check(o->known, h->name, h->addr, h->port,
		    t->keytype, t->hostkey, len);
	if (st != FLEET_HK_REVOKED && h->pin != NULL)
		st = strcmp(h->pin, t->fingerprint) == 0 ? FLEET_HK_OK :
		    FLEET_HK_PIN;
	t->hostkey_status = st;
	switch (st) {
	case FLEET_HK_OK:
		return 0;
	case FLEET_HK_UNKNOWN:
		if (o->accept_new) {
			t->accepted_new = 1;
			return 0;
		}
		task_fail(t, FLEET_HOSTKEY, "host key of '%s' is not known: "
		    "%s %s; check it, then pin it with fb_host_key=%s or run "
		    "again with --accept-new", h->name, t->keytype,
		    t->fingerprint, t->fingerprint);
		break;
	case FLEET_HK_CHANGED:
		task_fail(t, FLEET_HOSTKEY, "HOST KEY OF '%s' HAS CHANGED: now "
		    "%s %s, which no known_hosts entry for it holds; someone "
		    "may be intercepting the connection, or the host was "
		    "reinstalled. Nothing was run", h->name, t->keytype,
		    t->fingerprint);
		break;
	case FLEET_HK_REVOKED:
		task_fail(t, FLEET_HOSTKEY, "host key of '%s' (%s) is marked "
		    "@revoked in known_hosts; nothing was run", h->name,
		    t->fingerprint);
		break;
	case FLEET_HK_PIN:
		task_fail(t, FLEET_HOSTKEY, "HOST KEY OF '%s' DOES NOT MATCH "
		    "its fb_host_key pin %s: it is %s. Nothing was run",
		    h->name, h->pin, t->fingerprint);
		break;
	}
	return -1;
}

/* ---- authentication ---------------------------------------------------- */

static int
file_is_rsa(const char *path)
{
	char buf[128], *pub;
	FILE *fp;
	int rsa = 0;

	pub = xasprintf("%s.pub", path);
	if ((fp = fopen(pub, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) != NULL)
			rsa = strncmp(buf, "ssh-rsa ", 8) == 0;
		fclose(fp);
	} else if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) != NULL)
			rsa = strstr(buf, "RSA PRIVATE KEY") != NULL;
		fclose(fp);
	}
	free(pub);
	return rsa;
}

static void
auth_files(struct fleet_conn *c)
{
	const char *home = getenv("HOME");
	const char *defaults[] = { "id_ed25519", "id_ecdsa" };
	size_t i;
	char *p;

	if (c->t->host->key_file != NULL) {
		const char *kf = c->t->host->key_file;

		if (kf[0] == '~' && kf[1] == '/' && home != NULL)
			c->files[c->nfiles++] = xasprintf("%s%s", home, kf + 1);
		else
			c->files[c->nfiles++] = xstrdup(kf);
	}
	if (home == NULL)
		return;
	for (i = 0; i < FB_ARRAY_LEN(defaults); i++) {
		p = xasprintf("%s/.ssh/%s", home, defaults[i]);
		if (access(p, R_OK) == 0)
			c->files[c->nfiles++] = p;
		else
			free(p);
	}
	p = xasprintf("%s/.ssh/id_rsa", home);
	if (access(p, R_OK) == 0)
		c->rsa_only_seen = 1;
	free(p);
}

/* Returns 1 authenticated, 0 EAGAIN, -1 failed (task_fail set). */
static int
auth_step(struct fleet_conn *c)
{
	const char *user = c->user;
	int rc;

	for (;;) {
		switch (c->auth_stage) {
		case 0: /* agent */
			c->auth_stage = 3;
			auth_files(c);
			if (getenv("SSH_AUTH_SOCK") == NULL ||
			    *getenv("SSH_AUTH_SOCK") == '\0')
				continue;
			c->agent = libssh2_agent_init(c->s);
			if (c->agent == NULL ||
			    libssh2_agent_connect(c->agent) != 0 ||
			    libssh2_agent_list_identities(c->agent) != 0) {
				fb_buf_addstr(&c->authlog, "ssh-agent unusable; ");
				continue;
			}
			c->ident = NULL;
			c->auth_stage = 1;
			/* FALLTHROUGH */
		case 1: /* next agent identity */
			rc = libssh2_agent_get_identity(c->agent, &c->ident,
			    c->ident);
			if (rc != 0) {
				c->auth_stage = 3;
				continue;
			}
			if (c->ident->blob_len >= 11 &&
			    memcmp(c->ident->blob + 4, "ssh-rsa", 7) == 0) {
				c->rsa_only_seen = 1;
				continue;
			}
			c->nonrsa_seen = 1;
			c->auth_stage = 2;
			/* FALLTHROUGH */
		case 2:
			rc = libssh2_agent_userauth(c->agent, user, c->ident);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return 0;
			if (rc == 0)
				return 1;
			fb_buf_addf(&c->authlog, "agent key '%s' refused; ",
			    c->ident->comment ? c->ident->comment : "");
			c->auth_stage = 1;
			continue;
		case 3: /* identity files */
			if (c->file_idx >= c->nfiles) {
				c->auth_stage = 5;
				continue;
			}
			if (file_is_rsa(c->files[c->file_idx])) {
				c->rsa_only_seen = 1;
				fb_buf_addf(&c->authlog, "'%s' is RSA; ",
				    c->files[c->file_idx]);
				c->file_idx++;
				continue;
			}
			if (access(c->files[c->file_idx], R_OK) != 0) {
				fb_buf_addf(&c->authlog, "cannot read '%s'; ",
				    c->files[c->file_idx]);
				c->file_idx++;
				continue;
			}
			c->nonrsa_seen = 1;
			c->auth_stage = 4;
			/* FALLTHROUGH */
		case 4:
			rc = libssh2_userauth_publickey_fromfile_ex(c->s, user,
			    (unsigned)strlen(user), NULL,
			    c->files[c->file_idx], NULL);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return 0;
			if (rc == 0)
				return 1;
			if (rc == LIBSSH2_ERROR_FILE ||
			    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
				fb_buf_addf(&c->authlog, "cannot use '%s' (a "
				    "passphrase-protected or PKCS#8 key: load "
				    "it into ssh-agent); ",
				    c->files[c->file_idx]);
			else if (rc == LIBSSH2_ERROR_SOCKET_RECV ||
			    rc == LIBSSH2_ERROR_SOCKET_SEND ||
			    rc == LIBSSH2_ERROR_SOCKET_DISCONNECT) {
				task_fail(c->t, FLEET_UNREACHABLE, "connection "
				    "lost during authentication: %s",
				    ssh_errmsg(c->s, NULL));
				return -1;
			} else
				fb_buf_addf(&c->authlog, "key '%s' refused; ",
				    c->files[c->file_idx]);
			c->file_idx++;
			c->auth_stage = 3;
			continue;
		default:
			if (c->rsa_only_seen && !c->nonrsa_seen)
				task_fail(c->t, FLEET_AUTH, "only RSA keys are "
				    "available for %s@%s: libssh2 1.10 signs "
				    "RSA only with SHA-1 (ssh-rsa), which "
				    "OpenSSH 8.8 and later refuse; use an "
				    "ed25519 or ECDSA key (ssh-keygen -t "
				    "ed25519)", user, c->t->host->name);
			else if (c->authlog.len == 0)
				task_fail(c->t, FLEET_AUTH, "no key to log in "
				    "as '%s' on '%s': start ssh-agent, or set "
				    "ansible_ssh_private_key_file, or create "
				    "~/.ssh/id_ed25519", user,
				    c->t->host->name);
			else {
				fb_buf_setlen(&c->authlog, c->authlog.len - 2);
				task_fail(c->t, FLEET_AUTH, "cannot log in as "
				    "'%s' on '%s': %s", user,
				    c->t->host->name, c->authlog.data);
			}
			return -1;
		}
	}
}

/* ---- exec -------------------------------------------------------------- */

static void
begin_exec(struct fleet_conn *c, const struct fleet_opts *o)
{
	free(c->cmd);
	if (c->exec_what == 0) {
		c->cmd = xstrdup(CLOCK_COMMAND);
		fb_buf_reset(&c->clockbuf);
	} else {
		c->cmd = fleet_remote_command(c->t->host, c->t->command);
		c->hout = fb_sha256_new();
		c->herr = fb_sha256_new();
		if (o->timeout > 0)
			c->deadline = now_ms() + (int64_t)o->timeout * 1000;
		else
			c->deadline = 0;
	}
	c->state = CS_CHAN_OPEN;
}

/* After authentication: what this task does first. */
static void
after_auth(struct fleet_conn *c, const struct fleet_opts *o)
{
	if (o->measure_clock) {
		c->exec_what = 0;
		begin_exec(c, o);
	} else if (c->t->op == FLEET_OP_EXEC) {
		c->exec_what = 1;
		begin_exec(c, o);
	} else {
		c->state = CS_SFTP_INIT;
		c->deadline = o->timeout > 0 ?
		    now_ms() + (int64_t)o->timeout * 1000 : 0;
	}
}

static void
take_output(struct fleet_conn *c, const struct fleet_opts *o, int stream,
    const char *buf, size_t n)
{
	struct fleet_task *t = c->t;
	struct fb_buf *b = stream ? &t->err : &t->out;
	uint64_t *total = stream ? &t->err_total : &t->out_total;

	if (c->exec_what == 0) {
		if (stream == 0 && c->clockbuf.len + n < 64)
			fb_buf_add(&c->clockbuf, buf, n);
		return;
	}
	fb_sha256_update(stream ? c->herr : c->hout, buf, n);
	if (b->len < o->max_output)
		fb_buf_add(b, buf, n < o->max_output - b->len ? n :
		    o->max_output - b->len);
	*total += n;
}

static void
clock_done(struct fleet_conn *c, int64_t t1)
{
	const char *s = c->clockbuf.data;
	size_t digits = strspn(s, "0123456789");
	int64_t remote;

	if (digits < 10)
		return;
	if (digits >= 13) {
		/* seconds and nanoseconds */
		char sec[32];
		size_t sl = digits - 9;

		if (sl >= sizeof(sec))
			return;
		memcpy(sec, s, sl);
		sec[sl] = '\0';
		remote = strtoll(sec, NULL, 10) * 1000 +
		    strtoll(s + sl, NULL, 10) / 1000000;
	} else {
		/* %N unsupported (busybox prints a literal N): seconds */
		remote = strtoll(s, NULL, 10) * 1000 + 500;
	}
	c->t->clock_offset_ms = remote - (c->t0 + t1) / 2;
	c->t->has_clock_offset = 1;
}

/* ---- fetch (SFTP) ------------------------------------------------------ */

static int
name_is_safe(const char *n, size_t len)
{
	size_t i;

	if (len == 0 || len > 255 || (len == 1 && n[0] == '.') ||
	    (len == 2 && n[0] == '.' && n[1] == '.'))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f || n[i] == '/')
			return 0;
	return fb_utf8_valid(n, len);
}

static void
item_add(struct fleet_conn *c, size_t at, const char *path, int depth,
    const LIBSSH2_SFTP_ATTRIBUTES *a, const char *refused)
{
	struct fetch_item *it;

	c->items = xrealloc(c->items, (c->nitems + 1) * sizeof(*c->items));
	memmove(&c->items[at + 1], &c->items[at],
	    (c->nitems - at) * sizeof(*c->items));
	it = &c->items[at];
	memset(it, 0, sizeof(*it));
	it->path = xstrdup(path);
	it->depth = depth;
	if (a != NULL) {
		it->attrs = *a;
		it->has_attrs = 1;
	}
	it->refused = refused ? xstrdup(refused) : NULL;
	c->nitems++;
}

static void
report_file(struct fleet_conn *c, struct fetch_item *it, const char *refused,
    const char *sha)
{
	struct fleet_task *t = c->t;
	struct fleet_fetch_file f;
	void *sink = c->sink;

	memset(&f, 0, sizeof(f));
	c->sink = NULL;
	f.remote_path = it->path;
	if (sha)
		memcpy(f.sha256, sha, FB_SHA256_HEX);
	f.size = sha ? c->got : it->attrs.filesize;
	f.mtime = (int64_t)it->attrs.mtime;
	f.mode = (unsigned)it->attrs.permissions;
	f.uid = it->attrs.uid;
	f.gid = it->attrs.gid;
	f.refused = refused;
	f.start = c->fstart / 1000;
	f.end = now_ms() / 1000;
	if (refused)
		t->nrefused++;
	else
		t->nfetched++;
	if (t->fetched)
		t->fetched(t->ctx, t, &f, sink);
}

static void
refuse(struct fleet_conn *c, struct fetch_item *it, const char *why)
{
	report_file(c, it, why, NULL);
}

/* One step of the fetch machine: 1 done, 0 EAGAIN, -1 failed. */
static int
sftp_step(struct fleet_conn *c, const struct fleet_opts *o)
{
	struct fleet_task *t = c->t;
	struct fetch_item *it;
	char buf[READ_CHUNK];
	ssize_t r;
	int rc;

	for (;;) {
		it = c->item < c->nitems ? &c->items[c->item] : NULL;
		switch (c->fs) {
		case FS_ITEM:
			if (it == NULL)
				return 1;
			c->fstart = now_ms();
			if (it->refused != NULL) {
				refuse(c, it, it->refused);
				c->item++;
				continue;
			}
			c->fs = it->has_attrs ? FS_OPEN : FS_LSTAT;
			if (it->has_attrs)
				goto decide;
			/* FALLTHROUGH */
		case FS_LSTAT:
			rc = libssh2_sftp_stat_ex(c->sftp, it->path,
			    (unsigned)strlen(it->path), LIBSSH2_SFTP_LSTAT,
			    &it->attrs);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return 0;
			if (rc != 0) {
				refuse(c, it, "cannot stat it (missing or "
				    "not readable)");
				c->item++;
				c->fs = FS_ITEM;
				continue;
			}
			it->has_attrs = 1;
		decide: {
			unsigned long m = it->attrs.permissions;
			char why[128];

			if (!(it->attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS)) {
				refuse(c, it, "the host did not say what "
				    "kind of file it is");
			} else if (LIBSSH2_SFTP_S_ISLNK(m)) {
				refuse(c, it, "a symbolic link (not "
				    "followed)");
			} else if (LIBSSH2_SFTP_S_ISDIR(m) &&
			    it->depth < o->max_depth) {
				/* Its entries go right after it: depth first. */
				c->fs = FS_OPENDIR;
				c->dir_insert = c->item + 1;
				continue;
			} else if (LIBSSH2_SFTP_S_ISDIR(m)) {
				snprintf(why, sizeof(why), "a directory deeper "
				    "than the fetch depth (%d)", o->max_depth);
				refuse(c, it, why);
			} else if (!LIBSSH2_SFTP_S_ISREG(m)) {
				refuse(c, it, "not a regular file");
			} else if (it->attrs.filesize > o->max_fetch) {
				snprintf(why, sizeof(why), "over the size limit "
				    "(%llu bytes > %llu)",
				    (unsigned long long)it->attrs.filesize,
				    (unsigned long long)o->max_fetch);
				refuse(c, it, why);
			} else {
				c->fs = FS_OPEN;
				continue;
			}
			c->item++;
			c->fs = FS_ITEM;
			continue;
		}
		case FS_OPENDIR:
			c->fh = libssh2_sftp_open_ex(c->sftp, it->path,
			    (unsigned)strlen(it->path), 0, 0,
			    LIBSSH2_SFTP_OPENDIR);
			if (c->fh == NULL) {
				if (libssh2_session_last_errno(c->s) ==
				    LIBSSH2_ERROR_EAGAIN)
					return 0;
				refuse(c, it, "cannot open the directory");
				c->item++;
				c->fs = FS_ITEM;
				continue;
			}
			c->fs = FS_READDIR;
			/* FALLTHROUGH */
		case FS_READDIR: {
			LIBSSH2_SFTP_ATTRIBUTES a;
			char name[512];
			struct fb_buf p = FB_BUF_INIT;

			r = libssh2_sftp_readdir_ex(c->fh, name, sizeof(name) - 1,
			    NULL, 0, &a);
			if (r == LIBSSH2_ERROR_EAGAIN)
				return 0;
			if (r > 0) {
				name[r] = '\0';
				if ((r == 1 && name[0] == '.') ||
				    (r == 2 && name[0] == '.' && name[1] == '.'))
					continue;
				fb_buf_addstr(&p, it->path);
				if (p.len == 0 || p.data[p.len - 1] != '/')
					fb_buf_addch(&p, '/');
				if (c->nentries >= FETCH_MAX_ENTRIES) {
					c->dir_cut++;
					fb_buf_release(&p);
					continue;
				}
				c->nentries++;
				if (!name_is_safe(name, (size_t)r)) {
					/* Recorded sanitized, never used. */
					struct fb_buf safe = FB_BUF_INIT;

					fb_sanitize(&safe, name, (size_t)r, 0);
					fb_buf_add(&p, safe.data, safe.len);
					fb_buf_release(&safe);
					item_add(c, c->dir_insert++, p.data,
					    it->depth + 1, &a, "a name with control "
					    "characters, '/' or invalid UTF-8");
				} else {
					fb_buf_add(&p, name, (size_t)r);
					item_add(c, c->dir_insert++, p.data,
					    it->depth + 1, &a, NULL);
				}
				fb_buf_release(&p);
				continue;
			}
			c->fs = FS_CLOSEDIR;
		}
			/* FALLTHROUGH */
		case FS_CLOSEDIR:
			rc = libssh2_sftp_close_handle(c->fh);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return 0;
			c->fh = NULL;
			if (c->dir_cut > 0) {
				char why[128];

				snprintf(why, sizeof(why), "%zu entr%s not read: "
				    "a fetch takes at most %d", c->dir_cut,
				    c->dir_cut == 1 ? "y" : "ies",
				    FETCH_MAX_ENTRIES);
				c->dir_cut = 0;
				refuse(c, it, why);
			}
			c->item++;      /* the directory itself is not a file */
			c->fs = FS_ITEM;
			continue;
		case FS_OPEN:
			c->fh = libssh2_sftp_open_ex(c->sftp, it->path,
			    (unsigned)strlen(it->path), LIBSSH2_FXF_READ, 0,
			    LIBSSH2_SFTP_OPENFILE);
			if (c->fh == NULL) {
				if (libssh2_session_last_errno(c->s) ==
				    LIBSSH2_ERROR_EAGAIN)
					return 0;
				report_file(c, it, "cannot open it", NULL);
				c->item++;
				c->fs = FS_ITEM;
				continue;
			}
			c->sink = NULL;
			if (t->fetch_open != NULL &&
			    t->fetch_open(t->ctx, t, it->path, &c->sink) != 0) {
				task_fail(t, FLEET_ERROR, "cannot store '%s': %s",
				    it->path, fb_errmsg(-FB_ERR_IO));
				return -1;
			}
			c->hfile = fb_sha256_new();
			c->got = 0;
			c->fs = FS_READ;
			/* FALLTHROUGH */
		case FS_READ:
			r = libssh2_sftp_read(c->fh, buf, sizeof(buf));
			if (r == LIBSSH2_ERROR_EAGAIN)
				return 0;
			if (r > 0) {
				if (c->got + (uint64_t)r > o->max_fetch) {
					c->fs = FS_CLOSE;
					free(it->refused);
					it->refused = xstrdup("grew over the size "
					    "limit while it was read");
					continue;
				}
				if (t->fetch_write != NULL && t->fetch_write(
				    c->sink, buf, (size_t)r) != 0) {
					c->fs = FS_CLOSE;
					free(it->refused);
					it->refused = xstrdup("could not be "
					    "stored here");
					continue;
				}
				fb_sha256_update(c->hfile, buf, (size_t)r);
				c->got += (uint64_t)r;
				continue;
			}
			if (r < 0) {
				free(it->refused);
				it->refused = xstrdup("read failed");
			}
			c->fs = FS_CLOSE;
			/* FALLTHROUGH */
		case FS_CLOSE: {
			char hex[FB_SHA256_HEX];

			rc = libssh2_sftp_close_handle(c->fh);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return 0;
			c->fh = NULL;
			fb_sha256_final(c->hfile, hex);
			c->hfile = NULL;
			report_file(c, it, it->refused, it->refused ? NULL :
			    hex);
			c->item++;
			c->fs = FS_ITEM;
			continue;
		}
		}
	}
}

/* ---- the state machine ------------------------------------------------- */

/*
 * sshd counts a connection against MaxStartups until its monitor has
 * seen the login through, a little after the client has: the slot is
 * given back once the first channel is open, which sshd grants only then.
 */
static void
handshake_done(struct engine *e, struct fleet_conn *c)
{
	if (c->in_handshake) {
		e->servers[c->server].handshakes--;
		c->in_handshake = 0;
	}
}

static void
conn_step(struct engine *e, struct fleet_conn *c)
{
	const struct fleet_opts *o = e->o;
	struct fleet_task *t = c->t;
	char buf[READ_CHUNK];
	ssize_t r;
	int rc, code;

	for (;;) {
		switch (c->state) {
		case CS_WAIT:
		case CS_DONE:
			return;
		case CS_BACKOFF:
			if (now_ms() < c->wake)
				return;
			if (e->servers[c->server].handshakes >= o->per_server)
				return;
			if (start_connect(e, c) != 0) {
				conn_finish(e, c);
				return;
			}
			continue;
		case CS_CONNECT: {
			int err = 0;
			socklen_t el = sizeof(err);
			struct pollfd p = { c->fd, POLLOUT, 0 };

			if (poll(&p, 1, 0) == 0)
				return;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err != 0) {
				if (err == ECONNRESET && retryable(c, -ECONNRESET, o)) {
					conn_retry(e, c);
					return;
				}
				task_fail(t, FLEET_UNREACHABLE, "cannot connect "
				    "to %s:%d: %s", t->host->addr, t->host->port,
				    strerror(err));
				conn_finish(e, c);
				return;
			}
			if (session_create(c) != 0 ||
			    set_hostkey_pref(c, o) != 0) {
				if (t->error == NULL)
					task_fail(t, FLEET_ERROR, "cannot set "
					    "SSH preferences");
				conn_finish(e, c);
				return;
			}
			c->state = CS_HANDSHAKE;
		}
			/* FALLTHROUGH */
		case CS_HANDSHAKE:
			rc = libssh2_session_handshake(c->s, c->fd);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc != 0) {
				const char *m = ssh_errmsg(c->s, &code);

				if (retryable(c, rc, o)) {
					conn_retry(e, c);
					return;
				}
				if (rc == LIBSSH2_ERROR_KEX_FAILURE)
					task_fail(t, FLEET_UNREACHABLE, "SSH "
					    "handshake with %s:%d failed: %s (a "
					    "server allowing only chacha20, "
					    "AES-GCM or -etm MACs, or only RSA "
					    "host keys, is beyond libssh2 1.10)",
					    t->host->addr, t->host->port, m);
				else
					task_fail(t, FLEET_UNREACHABLE, "SSH "
					    "handshake with %s:%d failed: %s",
					    t->host->addr, t->host->port, m);
				conn_finish(e, c);
				return;
			}
			if (check_hostkey(c, o) != 0) {
				conn_finish(e, c);
				return;
			}
			if (o->keepalive > 0)
				libssh2_keepalive_config(c->s, 1,
				    (unsigned)o->keepalive);
			c->state = CS_AUTH;
			/* FALLTHROUGH */
		case CS_AUTH:
			rc = auth_step(c);
			if (rc == 0)
				return;
			if (rc < 0) {
				conn_finish(e, c);
				return;
			}
			if (c->agent != NULL) {
				libssh2_agent_disconnect(c->agent);
				libssh2_agent_free(c->agent);
				c->agent = NULL;
			}
			after_auth(c, o);
			continue;
		case CS_CHAN_OPEN:
			c->ch = libssh2_channel_open_session(c->s);
			if (c->ch == NULL) {
				if (libssh2_session_last_errno(c->s) ==
				    LIBSSH2_ERROR_EAGAIN)
					return;
				task_fail(t, FLEET_ERROR, "cannot open a "
				    "channel: %s", ssh_errmsg(c->s, NULL));
				conn_finish(e, c);
				return;
			}
			handshake_done(e, c);
			c->state = CS_EXEC;
			c->t0 = now_ms();
			/* FALLTHROUGH */
		case CS_EXEC:
			rc = libssh2_channel_exec(c->ch, c->cmd);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc != 0) {
				task_fail(t, FLEET_ERROR, "cannot start the "
				    "command: %s", ssh_errmsg(c->s, NULL));
				conn_finish(e, c);
				return;
			}
			c->state = CS_READ;
			/* FALLTHROUGH */
		case CS_READ: {
			int again = 0, progress = 0;

			r = libssh2_channel_read(c->ch, buf, sizeof(buf));
			if (r > 0) {
				take_output(c, o, 0, buf, (size_t)r);
				progress = 1;
			} else if (r == LIBSSH2_ERROR_EAGAIN)
				again = 1;
			else if (r < 0)
				goto readfail;
			r = libssh2_channel_read_stderr(c->ch, buf, sizeof(buf));
			if (r > 0) {
				take_output(c, o, 1, buf, (size_t)r);
				progress = 1;
			} else if (r == LIBSSH2_ERROR_EAGAIN)
				again = 1;
			else if (r < 0)
				goto readfail;
			if (progress)
				continue;
			if (!libssh2_channel_eof(c->ch)) {
				if (again)
					return;
				return;
			}
			c->state = CS_CLOSE;
			continue;
		readfail:
			task_fail(t, FLEET_UNREACHABLE, "connection lost while "
			    "the command ran: %s", ssh_errmsg(c->s, NULL));
			conn_finish(e, c);
			return;
		}
		case CS_CLOSE:
			rc = libssh2_channel_close(c->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			c->state = CS_WAIT_CLOSED;
			/* FALLTHROUGH */
		case CS_WAIT_CLOSED: {
			char *sig = NULL;
			size_t siglen = 0;

			rc = libssh2_channel_wait_closed(c->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (c->exec_what == 0) {
				clock_done(c, now_ms());
				(void)libssh2_channel_free(c->ch);
				c->ch = NULL;
				if (t->op == FLEET_OP_EXEC) {
					c->exec_what = 1;
					begin_exec(c, o);
				} else {
					c->state = CS_SFTP_INIT;
					c->deadline = o->timeout > 0 ? now_ms() +
					    (int64_t)o->timeout * 1000 : 0;
				}
				continue;
			}
			t->exit_status = libssh2_channel_get_exit_status(c->ch);
			if (libssh2_channel_get_exit_signal(c->ch, &sig,
			    &siglen, NULL, NULL, NULL, NULL) == 0 &&
			    sig != NULL) {
				snprintf(t->exit_signal, sizeof(t->exit_signal),
				    "%.*s", (int)siglen, sig);
				t->exit_status = -1;
			}
			if (sig != NULL)
				libssh2_free(c->s, sig);
			fb_sha256_final(c->hout, t->out_sha256);
			fb_sha256_final(c->herr, t->err_sha256);
			c->hout = c->herr = NULL;
			t->kind = FLEET_OK;
			conn_finish(e, c);
			return;
		}
		case CS_SFTP_INIT:
			c->sftp = libssh2_sftp_init(c->s);
			if (c->sftp == NULL) {
				if (libssh2_session_last_errno(c->s) ==
				    LIBSSH2_ERROR_EAGAIN)
					return;
				task_fail(t, FLEET_ERROR, "cannot start SFTP: %s",
				    ssh_errmsg(c->s, NULL));
				conn_finish(e, c);
				return;
			}
			handshake_done(e, c);
			c->state = CS_SFTP;
			/* FALLTHROUGH */
		case CS_SFTP:
			rc = sftp_step(c, o);
			if (rc == 0)
				return;
			if (rc > 0)
				t->kind = FLEET_OK;
			else if (t->error == NULL)
				task_fail(t, FLEET_ERROR, "SFTP failed");
			conn_finish(e, c);
			return;
		}
	}
}

/* ---- the loop ---------------------------------------------------------- */

static void
task_init(struct fleet_task *t)
{
	fb_buf_init(&t->out);
	fb_buf_init(&t->err);
	t->exit_status = -1;
	t->kind = FLEET_ERROR;
	t->fingerprint[0] = '\0';
	t->conn = NULL;
}

void
fleet_task_release(struct fleet_task *t)
{
	free(t->error);
	t->error = NULL;
	free(t->hostkey);
	t->hostkey = NULL;
	fb_buf_release(&t->out);
	fb_buf_release(&t->err);
}

static void
conn_start(struct engine *e, struct fleet_task *t, const char *local_user)
{
	struct fleet_conn *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->t = t;
	t->conn = c;
	c->fd = -1;
	fb_buf_init(&c->authlog);
	fb_buf_init(&c->clockbuf);
	c->user = t->host->user ? t->host->user : local_user;
	c->server = server_index(e, t->host);
	t->start_ms = now_ms();
	c->deadline = t->start_ms + (int64_t)e->o->connect_timeout * 1000;
	if (t->op == FLEET_OP_FETCH)
		for (i = 0; i < t->npaths; i++)
			item_add(c, c->nitems, t->paths[i], 0, NULL, NULL);
	e->running++;
	/* Wait for a handshake slot on this server (sshd's MaxStartups). */
	if (e->servers[c->server].handshakes >= e->o->per_server) {
		c->state = CS_BACKOFF;
		c->wake = 0;
		return;
	}
	if (start_connect(e, c) != 0)
		conn_finish(e, c);
}

static int
conn_deadline_passed(struct fleet_conn *c, int64_t now)
{
	return c->deadline > 0 && now >= c->deadline &&
	    c->state != CS_BACKOFF && c->state != CS_DONE;
}

int
fleet_run(struct fleet_task *tasks, size_t n, const struct fleet_opts *o)
{
	struct engine e;
	struct pollfd *pfd;
	struct fleet_conn **pc;
	struct passwd *pw;
	const char *local_user = o->local_user;
	size_t next = 0, i;
	int64_t last_progress = 0;
	static int inited;

	memset(&e, 0, sizeof(e));
	e.tasks = tasks;
	e.n = n;
	e.o = o;
	if (!inited) {
		if (libssh2_init(0) != 0)
			return fb_err(FB_ERR_INTERNAL, "libssh2_init failed");
		inited = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (local_user == NULL) {
		pw = getpwuid(getuid());
		local_user = pw ? pw->pw_name : "root";
	}
	srand((unsigned)(now_ms() ^ getpid()));
	for (i = 0; i < n; i++)
		task_init(&tasks[i]);
	pfd = xcalloc(n + 1, sizeof(*pfd));
	pc = xcalloc(n + 1, sizeof(*pc));
	while (e.done < n) {
		int64_t now = now_ms(), wait = 1000;
		size_t np = 0;
		int jobs = o->jobs > 0 ? o->jobs : 32;

		/* Start hosts while there is room, oldest first. */
		while (next < n && e.running < (size_t)jobs &&
		    !(o->interrupted && *o->interrupted)) {
			conn_start(&e, &tasks[next], local_user);
			next++;
		}
		if (o->interrupted && *o->interrupted) {
			for (; next < n; next++) {
				task_fail(&tasks[next], FLEET_ERROR,
				    "interrupted before it started");
				e.done++;
			}
		}
		np = 0;
		now = now_ms();
		for (i = 0; i < n; i++) {
			struct fleet_conn *c = tasks[i].conn;
			short ev = 0;

			if (c == NULL)
				continue;
			if (conn_deadline_passed(c, now)) {
				int cmd = c->state >= CS_CHAN_OPEN;

				task_fail(c->t, FLEET_TIMEOUT, "%s timed out "
				    "after %d s", cmd ? "the command" :
				    "connecting", cmd ? o->timeout :
				    o->connect_timeout);
				if (cmd && c->hout) {
					fb_sha256_final(c->hout,
					    c->t->out_sha256);
					fb_sha256_final(c->herr,
					    c->t->err_sha256);
					c->hout = c->herr = NULL;
				}
				conn_finish(&e, c);
				continue;
			}
			if (c->state == CS_BACKOFF) {
				conn_step(&e, c);
				if (tasks[i].conn == NULL)
					continue;
				if (c->state == CS_BACKOFF) {
					int64_t w = c->wake - now;

					/* Past its wake time it waits for a slot,
					 * which frees on another socket's event. */
					if (w > 0 && w < wait)
						wait = w;
					continue;
				}
			}
			if (c->fd < 0)
				continue;
			if (c->state == CS_CONNECT)
				ev = POLLOUT;
			else if (c->s != NULL) {
				int dir = libssh2_session_block_directions(c->s);

				if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
					ev |= POLLIN;
				if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
					ev |= POLLOUT;
				if (ev == 0)
					ev = POLLIN;
				if (o->keepalive > 0 && c->state >= CS_CHAN_OPEN) {
					int secs = 0;

					libssh2_keepalive_send(c->s, &secs);
					if (secs > 0 && secs * 1000 < wait)
						wait = secs * 1000;
				}
			}
			if (c->deadline > 0 && c->deadline - now < wait)
				wait = c->deadline - now < 1 ? 1 :
				    c->deadline - now;
			pfd[np].fd = c->fd;
			pfd[np].events = ev;
			pfd[np].revents = 0;
			pc[np++] = c;
		}
		if (e.done >= n)
			break;
		if (o->progress && wait > 100)
			wait = 100;
		if (poll(pfd, np, (int)wait) < 0 && errno != EINTR) {
			free(pfd);
			free(pc);
			return fb_err(FB_ERR_IO, "poll: %s", strerror(errno));
		}
		for (i = 0; i < np; i++)
			if (pfd[i].revents != 0)
				conn_step(&e, pc[i]);
		now = now_ms();
		if (o->progress && now - last_progress >= 100) {
			last_progress = now;
			o->progress(o->progress_ctx, e.done, n, e.running);
		}
	}
	free(pfd);
	free(pc);
	for (i = 0; i < e.nservers; i++)
		free(e.servers[i].key);
	free(e.servers);
	return 0;
}
