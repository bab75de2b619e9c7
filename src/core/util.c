/* util.c: the acting user, directories, where the data files live. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

static void
copy_env(char *dst, size_t n, const char *var)
{
	const char *v = getenv(var);

	snprintf(dst, n, "%s", v != NULL ? v : "");
}

void
fb_actor_get(struct fb_actor *a)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(a->user, sizeof(a->user), "%s", pw->pw_name);
	else
		snprintf(a->user, sizeof(a->user), "uid:%u", (unsigned)getuid());
	copy_env(a->sudo_user, sizeof(a->sudo_user), "SUDO_USER");
	copy_env(a->ssh_connection, sizeof(a->ssh_connection), "SSH_CONNECTION");
}

int
fb_mkdirs(const char *path, unsigned mode)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char save = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			rc = fb_err(errno == EACCES ? FB_ERR_PERM : FB_ERR_IO,
			    "cannot create '%s': %s", p, strerror(errno));
			break;
		}
		*s = save;
		if (save == '\0')
			break;
	}
	free(p);
	return rc;
}

const char *
fb_datadir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	const char *env;
	ssize_t n;

	if (dir[0] != '\0')
		return dir;
	if ((env = getenv("FIREBREAK_DATADIR")) != NULL && *env != '\0') {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	/*
	 * The uninstalled binary (in the build tree) uses the source tree's
	 * lua/ and playbooks/; an installed one uses the package data dir.
	 */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (strcmp(exe, FB_BUILDDIR) == 0 ||
			    strcmp(exe, FB_BUILDDIR "/tests") == 0) {
				snprintf(dir, sizeof(dir), "%s", FB_SRCDIR);
				return dir;
			}
		}
	}
	snprintf(dir, sizeof(dir), "%s", FB_PKGDATADIR);
	return dir;
}

char *
fb_xdg_path(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home;

	if (v != NULL && v[0] == '/')
		return xasprintf("%s/firebreak", v);
	home = getenv("HOME");
	if (home == NULL || *home == '\0') {
		struct passwd *pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/";
	}
	return xasprintf("%s/%s/firebreak", home, fallback);
}
