/*
 * sign.c: SSH signatures over a bundle's SHA256SUMS with ssh-keygen -Y
 * (as git signs commits). ssh-keygen runs through posix_spawnp with an
 * argv, never a shell; its input and output go through a private
 * temporary directory that is removed afterwards.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evidence/evidence.h"

extern char **environ;

struct sigdir {
	char dir[512];
	char data[600], sig[600], out[600], err[600], allowed[600];
};

static int
sigdir_new(struct sigdir *d)
{
	const char *tmp = getenv("TMPDIR");

	memset(d, 0, sizeof(*d));
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 400)
		tmp = "/tmp";
	snprintf(d->dir, sizeof(d->dir), "%s/firebreak-sig-XXXXXX", tmp);
	if (mkdtemp(d->dir) == NULL)
		return fb_err(FB_ERR_IO, "cannot create a temporary directory "
		    "in '%s': %s", tmp, strerror(errno));
	snprintf(d->data, sizeof(d->data), "%s/SHA256SUMS", d->dir);
	snprintf(d->sig, sizeof(d->sig), "%s/SHA256SUMS.sig", d->dir);
	snprintf(d->out, sizeof(d->out), "%s/stdout", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/stderr", d->dir);
	return 0;
}

static void
sigdir_remove(struct sigdir *d)
{
	unlink(d->data);
	unlink(d->sig);
	unlink(d->out);
	unlink(d->err);
	rmdir(d->dir);
}

static int
put_file(const char *path, const void *p, size_t n)
{
	int fd;
	ssize_t w;
	const char *c = p;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return fb_err(FB_ERR_IO, "cannot create '%s': %s", path,
		    strerror(errno));
	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return fb_err(FB_ERR_IO, "cannot write '%s': %s", path,
			    strerror(errno));
		}
		c += w;
		n -= (size_t)w;
	}
	return close(fd) == 0 ? 0 : fb_err(FB_ERR_IO, "cannot write '%s'", path);
}

/* Run argv with stdin from in (or /dev/null), stdout and stderr to files. */
static int
run(struct sigdir *d, char *const argv[], const char *in, int *status)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, st;

	unlink(d->out);
	unlink(d->err);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, d->out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, d->err,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return fb_err(FB_ERR_IO, "cannot run ssh-keygen: %s "
		    "(install openssh-client)", strerror(rc));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return fb_err(FB_ERR_IO, "waitpid: %s", strerror(errno));
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return 0;
}

/* The first line of a small output file, terminal-safe. */
static void
first_line(const char *path, char *out, size_t n)
{
	struct fb_buf b = FB_BUF_INIT;
	char *nl, *safe;

	out[0] = '\0';
	if (fb_buf_read_file(&b, path, 65536) != 0) {
		fb_buf_release(&b);
		return;
	}
	if ((nl = strchr(b.data, '\n')) != NULL)
		*nl = '\0';
	safe = fb_sanitize_str(b.data, 0);
	snprintf(out, n, "%s", safe);
	free(safe);
	fb_buf_release(&b);
}

int
evidence_sign(const char *keyfile, const void *data, size_t n,
    struct fb_buf *sig)
{
	struct sigdir d;
	char msg[512];
	int rc, status;

	if ((rc = sigdir_new(&d)) != 0)
		return rc;
	if ((rc = put_file(d.data, data, n)) != 0)
		goto out;
	{
		char *argv[] = { "ssh-keygen", "-q", "-Y", "sign", "-f",
		    (char *)keyfile, "-n", EVIDENCE_SIG_NAMESPACE, d.data, NULL };

		if ((rc = run(&d, argv, NULL, &status)) != 0)
			goto out;
	}
	if (status != 0) {
		first_line(d.err, msg, sizeof(msg));
		rc = fb_err(FB_ERR_IO, "cannot sign with '%s': %s", keyfile,
		    *msg ? msg : "ssh-keygen failed");
		goto out;
	}
	rc = fb_buf_read_file(sig, d.sig, 1 << 20);
out:
	sigdir_remove(&d);
	return rc;
}

int
evidence_sig_check(const void *data, size_t n, const void *sig, size_t nsig,
    const char *allowed_signers, struct evidence_sig_status *st)
{
	struct sigdir d;
	struct fb_buf out = FB_BUF_INIT;
	char principal[256];
	int rc, status;

	memset(st, 0, sizeof(*st));
	if ((rc = sigdir_new(&d)) != 0)
		return rc;
	if ((rc = put_file(d.data, data, n)) != 0 ||
	    (rc = put_file(d.sig, sig, nsig)) != 0)
		goto out;
	{
		char *argv[] = { "ssh-keygen", "-Y", "check-novalidate", "-n",
		    EVIDENCE_SIG_NAMESPACE, "-s", d.sig, NULL };

		if ((rc = run(&d, argv, d.data, &status)) != 0)
			goto out;
	}
	if (status != 0) {
		first_line(d.err, st->detail, sizeof(st->detail));
		goto out;
	}
	st->valid = 1;
	if (allowed_signers == NULL)
		goto out;
	{
		char *argv[] = { "ssh-keygen", "-Y", "find-principals", "-f",
		    (char *)allowed_signers, "-n", EVIDENCE_SIG_NAMESPACE,
		    "-s", d.sig, NULL };

		if ((rc = run(&d, argv, NULL, &status)) != 0)
			goto out;
	}
	if (status != 0) {
		snprintf(st->detail, sizeof(st->detail), "the signing key is "
		    "not in '%s'", allowed_signers);
		goto out;
	}
	first_line(d.out, principal, sizeof(principal));
	if (*principal == '\0' || strchr(principal, ',') != NULL) {
		/* find-principals lists several as a,b: try the first */
		char *c = strchr(principal, ',');
		if (c != NULL)
			*c = '\0';
	}
	{
		char *argv[] = { "ssh-keygen", "-Y", "verify", "-f",
		    (char *)allowed_signers, "-I", principal, "-n",
		    EVIDENCE_SIG_NAMESPACE, "-s", d.sig, NULL };

		if ((rc = run(&d, argv, d.data, &status)) != 0)
			goto out;
	}
	if (status == 0) {
		st->trusted = 1;
		snprintf(st->principal, sizeof(st->principal), "%s", principal);
	} else
		first_line(d.err, st->detail, sizeof(st->detail));
out:
	fb_buf_release(&out);
	sigdir_remove(&d);
	return rc;
}
