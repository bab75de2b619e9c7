/*
 * map.c: read-only file mappings that survive the file shrinking under
 * them. Reading a page of a mapping past the file's current end raises
 * SIGBUS, so a log rotated by truncation, or a model file cut by another
 * process, would kill an ingest or a scan. While a mapping is registered
 * here, a SIGBUS inside it maps zero pages over the missing part and marks
 * the mapping shrunk; the read goes on (seeing zeros) and the caller, which
 * asks fb_map_shrunk() before it trusts what it read, reports an error and
 * keeps nothing. A SIGBUS anywhere else goes to the handler that was there
 * before (the default kills, as it should).
 *
 * Mappings are registered and released by one thread at a time (firebreak
 * reads its inputs on the main thread); the handler only reads the table.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/core.h"

#define MAP_SLOTS 16

static struct slot {
	uintptr_t base, end;      /* 0: free */
	volatile sig_atomic_t shrunk;
} slots[MAP_SLOTS];

static struct sigaction prev;
static int installed;
static uintptr_t page_mask;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	size_t i;

	(void)uc;
	for (i = 0; i < MAP_SLOTS; i++) {
		struct slot *s = &slots[i];
		uintptr_t from;

		if (s->base == 0 || a < s->base || a >= s->end)
			continue;
		/*
		 * Zero pages from the faulting one to the end of the map
		 * (mmap is a plain system call here: no lock is taken).
		 */
		from = a & page_mask;
		if (mmap((void *)from, s->end - from, PROT_READ, MAP_FIXED |
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			break;
		s->shrunk = 1;
		return;
	}
	/* Not ours: the previous disposition takes the fault again. */
	sigaction(sig, &prev, NULL);
}

static int
install(void)
{
	struct sigaction sa;

	if (installed)
		return 0;
	page_mask = ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &prev) != 0)
		return fb_err(FB_ERR_IO, "cannot handle SIGBUS: %s",
		    strerror(errno));
	installed = 1;
	return 0;
}

int
fb_map_file(int fd, size_t len, int populate, struct fb_map *m)
{
	size_t i;
	void *p;
	int rc;

	memset(m, 0, sizeof(*m));
	m->slot = -1;
	if (len == 0)
		return fb_err(FB_ERR_INVAL, "cannot map an empty file");
	if ((rc = install()) != 0)
		return rc;
	for (i = 0; i < MAP_SLOTS; i++)
		if (slots[i].base == 0)
			break;
	if (i == MAP_SLOTS)
		return fb_err(FB_ERR_LIMIT, "more than %d files mapped at once",
		    MAP_SLOTS);
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | (populate ?
	    MAP_POPULATE : 0), fd, 0);
	if (p == MAP_FAILED)
		return fb_err(FB_ERR_IO, "%s", strerror(errno));
	slots[i].shrunk = 0;
	slots[i].end = (uintptr_t)p + len;
	slots[i].base = (uintptr_t)p;
	m->base = p;
	m->len = len;
	m->slot = (int)i;
	return 0;
}

int
fb_map_shrunk(const struct fb_map *m)
{
	return m->slot >= 0 && slots[m->slot].shrunk;
}

void
fb_map_release(struct fb_map *m)
{
	if (m->slot < 0)
		return;
	munmap(m->base, m->len);
	slots[m->slot].base = 0;
	slots[m->slot].end = 0;
	slots[m->slot].shrunk = 0;
	m->slot = -1;
	m->base = NULL;
	m->len = 0;
}
