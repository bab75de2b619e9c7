/*
 * replay.h: without libFuzzer, a harness's main() replays its committed
 * seed corpus, fuzz/corpus/NAME, one TAP line per input (make check runs
 * each as tests/t-fuzz-NAME). Included by the harnesses only, under
 * FB_FUZZ_REPLAY:
 *
 *	#ifdef FB_FUZZ_REPLAY
 *	#include "replay.h"
 *	FB_FUZZ_REPLAY_MAIN("pickle")
 *	#endif
 */
#ifndef FB_FUZZ_REPLAY_H
#define FB_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_replay(const char *corpus)
{
	const char *src = getenv("FB_SRCDIR");
	char *dir = xasprintf("%s/fuzz/corpus/%s", src ? src : FB_SRCDIR,
	    corpus);
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		printf("1..1\nnot ok 1 - cannot open %s\n", dir);
		free(dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		struct fb_buf b = FB_BUF_INIT;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (fb_buf_read_file(&b, p, 1 << 24) == 0) {
			LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
			printf("ok %d - %s\n", ++n, de->d_name);
		}
		fb_buf_release(&b);
		free(p);
	}
	closedir(d);
	printf("1..%d\n", n);
	free(dir);
	return n == 0;
}

#define FB_FUZZ_REPLAY_MAIN(corpus) \
	int main(void) { return fuzz_replay(corpus); }

#endif
