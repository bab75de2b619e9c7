/*
 * scan.c: one file in, one result out. Detects the format by content (the
 * extension is only a hint), hashes the file once, and hands pickles,
 * .npy headers and safetensors headers to the parsers. Files are mapped,
 * not read whole: a multi-GB checkpoint costs one hashing pass plus what
 * the parsers touch (tensor data in zips and legacy files is skipped).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence/evidence.h"
#include "scan/scan-int.h"

#define DEFAULT_MAX_PICKLE ((uint64_t)256 << 20)
#define MAX_STDIN ((size_t)1 << 30)

static uint64_t
max_pickle(const struct scan_options *o)
{
	return o != NULL && o->max_pickle ? o->max_pickle : DEFAULT_MAX_PICKLE;
}

static const struct scan_policy *
policy(const struct scan_options *o)
{
	return o != NULL ? o->policy : NULL;
}

static int
ext_is(const char *name, const char *const *exts, size_t nexts)
{
	const char *dot;
	size_t i;

	if (name == NULL)
		return 0;
	dot = strrchr(name, '.');
	if (dot == NULL || strchr(dot, '/') != NULL)
		return 0;
	for (i = 0; i < nexts; i++)
		if (strcasecmp(dot + 1, exts[i]) == 0)
			return 1;
	return 0;
}

static int
pickle_hint(const char *name)
{
	static const char *const exts[] = {
		"pkl", "pickle", "pt", "pth", "bin", "ckpt", "joblib", "jbl",
		"sav", "model", "dat", "data", "p",
	};

	return ext_is(name, exts, FB_ARRAY_LEN(exts));
}

/* Does any global of r (from index from on) come from joblib? */
static int
imports_joblib(const struct scan_result *r, size_t from)
{
	size_t i;

	for (i = from; i < r->nglobals; i++)
		if (strncmp(r->globals[i].module, "joblib.", 7) == 0 ||
		    strncmp(r->globals[i].module, "sklearn.externals.joblib", 24) == 0)
			return 1;
	return 0;
}

/*
 * Consecutive pickles in p[0..n). A PyTorch legacy file starts with a
 * pickle holding only the magic number and has exactly five pickles before
 * raw storage bytes; anything else is walked until the bytes run out.
 * Returns the format it looked like.
 */
static enum scan_format
pickle_stream(const unsigned char *p, size_t n, const char *member,
	      const struct scan_options *opts, struct scan_result *r,
	      unsigned max)
{
	struct scan_pickle_info info;
	size_t off = 0, g0 = r->nglobals;
	unsigned k = 0, first_calls = 0;
	int legacy = 0;

	if (n == 0)
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
		    "pickle.truncated", member, 0, "empty pickle");
	while (off < n) {
		scan_pickle_one(p, n, off, member, 0, policy(opts), r, &info);
		k++;
		if (info.bad_first) {
			if (k == 1)
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.invalid-opcode", member, off,
				    "invalid opcode 0x%02x", p[off]);
			else
				scan_finding_add(r, SCAN_SEV_INFO, 0,
				    "pickle.trailing-data", member, off,
				    "%zu bytes after the last pickle", n - off);
			break;
		}
		if (k == 1) {
			legacy = info.literal_magic;
			first_calls = info.ncalls + info.nglobals;
		}
		if (!info.stopped)
			break;
		off = info.end;
		if (legacy && k == 5)
			break; /* raw storages follow */
		if (max && k == max) {
			if (off < n)
				scan_finding_add(r, SCAN_SEV_INFO, 0,
				    "pickle.trailing-data", member, off,
				    "%zu bytes after the pickle", n - off);
			break;
		}
	}
	if (legacy && k < 5)
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "torch.truncated",
		    member, off, "legacy checkpoint has %u of its 5 pickles", k);
	/* the bypass that hides a call where the magic number belongs */
	if (!legacy && k >= 4 && first_calls > 0)
		scan_finding_add(r, SCAN_SEV_HIGH, 0, "torch.magic-by-call", member,
		    0, "first of %u pickles computes its value with a call "
		    "instead of the literal magic number", k);
	if (legacy)
		return SCAN_FMT_TORCH_LEGACY;
	if (imports_joblib(r, g0))
		return SCAN_FMT_JOBLIB;
	return SCAN_FMT_PICKLE;
}

void
scan_pickle(const void *p, size_t n, const char *member, uint64_t base,
	    unsigned max_pickles, const struct scan_policy *pol,
	    struct scan_result *r)
{
	struct scan_options o = { .policy = pol };
	size_t nf = r->nfindings, ng = r->nglobals, i;

	pickle_stream(p, n, member, &o, r, max_pickles);
	for (i = nf; i < r->nfindings; i++)
		r->findings[i].offset += base;
	for (i = ng; i < r->nglobals; i++)
		r->globals[i].offset += base;
}

/* .npy bytes (a whole file or a zip member already in memory). */
static void
npy_scan(const unsigned char *p, size_t n, const char *member,
	 const struct scan_options *opts, struct scan_result *r)
{
	struct scan_npy_info info;
	size_t need = 0;
	int rc = scan_npy_header(p, n, member, r, &info, &need);

	if (rc == 1) {
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "npy.truncated",
		    member, n, "header needs %zu bytes, %zu present", need, n);
		return;
	}
	if (rc < 0)
		return;
	if (info.has_object) {
		scan_finding_add(r, SCAN_SEV_LOW, 0, "npy.object-array", member,
		    info.data_off, "object array: loading it unpickles data");
		if (info.data_off >= n) {
			scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
			    "npy.truncated", member, n,
			    "object array without its pickle");
			return;
		}
		pickle_stream(p + info.data_off, n - info.data_off, member, opts,
		    r, 1);
		return;
	}
	if (info.nbytes_known) {
		uint64_t have = n - info.data_off;
		if (have < info.nbytes)
			scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
			    "npy.truncated", member, n,
			    "array needs %llu bytes, %llu present",
			    (unsigned long long)info.nbytes,
			    (unsigned long long)have);
		else if (have > info.nbytes)
			scan_finding_add(r, SCAN_SEV_INFO, 0, "npy.trailing-data",
			    member, info.data_off + info.nbytes,
			    "%llu bytes after the array",
			    (unsigned long long)(have - info.nbytes));
	}
}

static int
ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/*
 * A .npz member: read just enough for the header; only an object array's
 * pickle is read further. Plain arrays are skipped without reading.
 */
static void
npz_member(struct evidence_zip *z, const char *name,
	   const struct scan_options *opts, struct scan_result *r)
{
	struct fb_buf b = FB_BUF_INIT;
	struct scan_npy_info info;
	const void *blk;
	size_t blen, need = 12;
	int rc;

	(void)need;
	for (;;) {
		rc = scan_npy_header((const unsigned char *)b.data, b.len, name,
		    r, &info, &need);
		if (rc != 1)
			break;
		rc = evidence_zip_read_block(z, &blk, &blen);
		if (rc < 0) {
			scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
			    "zip.damaged", name, b.len, "%s", fb_errmsg(rc));
			goto out;
		}
		if (rc == 0) {
			scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
			    "npy.truncated", name, b.len,
			    "header needs %zu bytes, %zu present", need, b.len);
			goto out;
		}
		fb_buf_add(&b, blk, blen);
	}
	if (rc == 0 && info.has_object) {
		rc = evidence_zip_read_all(z, &b, (size_t)max_pickle(opts));
		if (rc == -FB_ERR_LIMIT)
			scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
			    "pickle.too-large", name, 0,
			    "object array pickle over the %llu-byte limit; "
			    "scanned only its start",
			    (unsigned long long)max_pickle(opts));
		else if (rc < 0)
			scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
			    "zip.damaged", name, b.len, "%s", fb_errmsg(rc));
		npy_scan((const unsigned char *)b.data, b.len, name, opts, r);
	}
	/* a plain array has nothing to run: the rest is skipped unread */
out:
	fb_buf_release(&b);
}

static enum scan_format
zip_scan(const unsigned char *p, size_t n, const struct scan_options *opts,
	 struct scan_result *r)
{
	struct evidence_zip *z = NULL;
	const char *name;
	int64_t size;
	int rc, npkl = 0, nnpy = 0;
	char *member = NULL;

	rc = evidence_zip_open_memory(p, n, &z);
	if (rc < 0) {
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "zip.damaged",
		    NULL, 0, "%s", fb_errmsg(rc));
		return SCAN_FMT_ZIP;
	}
	while ((rc = evidence_zip_next(z, &name, &size)) == 1) {
		free(member);
		member = xstrdup(name);
		if (ends_with(member, ".pkl")) {
			struct fb_buf b = FB_BUF_INIT;
			npkl++;
			if (size > 0 && (uint64_t)size > max_pickle(opts)) {
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    "pickle.too-large", member, 0,
				    "pickle member of %lld bytes is over the "
				    "%llu-byte limit", (long long)size,
				    (unsigned long long)max_pickle(opts));
				continue;
			}
			rc = evidence_zip_read_all(z, &b, (size_t)max_pickle(opts));
			if (rc < 0)
				scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
				    rc == -FB_ERR_LIMIT ? "pickle.too-large" :
				    "zip.damaged", member, b.len, "%s",
				    fb_errmsg(rc));
			pickle_stream((const unsigned char *)b.data, b.len,
			    member, opts, r, 0);
			fb_buf_release(&b);
		} else if (ends_with(member, ".npy")) {
			nnpy++;
			npz_member(z, member, opts, r);
		}
	}
	if (rc < 0)
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "zip.damaged",
		    member, 0, "%s", fb_errmsg(rc));
	free(member);
	evidence_zip_close(z);
	if (npkl)
		return SCAN_FMT_TORCH_ZIP;
	if (nnpy)
		return SCAN_FMT_NPZ;
	return SCAN_FMT_ZIP;
}

static void scan_bytes_at(const unsigned char *p, size_t n,
    uint64_t file_size, const char *name, const struct scan_options *opts,
    struct scan_result *r, int depth);

/* Compressed streams joblib writes (zlib, gzip, bz2, xz, lzma, lz4), and zstd. */
static int
compressed_magic(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x78 && (p[1] == 0x01 || p[1] == 0x5e ||
	    p[1] == 0x9c || p[1] == 0xda))
		return 1;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return 1;
	if (n >= 3 && memcmp(p, "BZh", 3) == 0)
		return 1;
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return 1;
	if (n >= 4 && memcmp(p, "\x04\x22\x4d\x18", 4) == 0)
		return 1;
	if (n >= 2 && memcmp(p, "ZF", 2) == 0)
		return 1;
	if (n >= 3 && memcmp(p, "\x5d\x00\x00", 3) == 0)  /* lzma alone */
		return 1;
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)  /* zstd */
		return 1;
	return 0;
}

/* Move what a trial walk found into r (r has no findings yet). */
static void
adopt(struct scan_result *r, struct scan_result *t)
{
	struct scan_result keep = *r;

	*r = *t;
	r->path = keep.path;
	r->size = keep.size;
	memcpy(r->sha256, keep.sha256, sizeof(r->sha256));
	t->path = NULL;
	free(keep.findings);
	free(keep.globals);
	scan_result_init(t);
}

static void scan_bytes(const unsigned char *p, size_t n, uint64_t file_size,
    const char *name, const struct scan_options *opts, struct scan_result *r);

/*
 * joblib.dump(..., compress=N) wraps the whole pickle in zlib (or gzip,
 * bz2, xz, lzma, lz4): decompress it, capped like any pickle, and scan
 * what is inside. Compression inside compression is not something joblib
 * writes, so it is an error rather than a loop.
 */
static void
scan_compressed(const unsigned char *p, size_t n, const char *name,
		const struct scan_options *opts, struct scan_result *r,
		int depth)
{
	struct fb_buf b = FB_BUF_INIT;
	const char *method = "none";
	int rc;

	r->format = SCAN_FMT_PICKLE;
	if (depth > 0) {
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
		    "scan.compressed-nested", NULL, 0,
		    "a compressed stream inside a compressed stream");
		return;
	}
	rc = evidence_decompress(p, n, max_pickle(opts), &b, &method);
	if (rc != 0) {
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR,
		    rc == -FB_ERR_LIMIT ? "scan.compressed-limit" :
		    "scan.compressed-damaged", NULL, 0, "%s stream: %s",
		    method, fb_errmsg(rc));
		fb_buf_release(&b);
		return;
	}
	scan_bytes_at(b.data != NULL ? (const unsigned char *)b.data :
	    (const unsigned char *)"", b.len, b.len, name, opts, r, depth + 1);
	scan_finding_add(r, SCAN_SEV_INFO, 0, "scan.compressed", NULL, 0,
	    "%s stream, %zu bytes decompressed and scanned", method, b.len);
	fb_buf_release(&b);
}

static void
scan_bytes(const unsigned char *p, size_t n, uint64_t file_size,
	   const char *name, const struct scan_options *opts,
	   struct scan_result *r)
{
	scan_bytes_at(p, n, file_size, name, opts, r, 0);
}

static void
scan_bytes_at(const unsigned char *p, size_t n, uint64_t file_size,
	      const char *name, const struct scan_options *opts,
	      struct scan_result *r, int depth)
{
	static const char *const st_ext[] = { "safetensors" };
	static const char *const npy_ext[] = { "npy" };

	r->format = SCAN_FMT_NONE;
	if (n >= 4 && (memcmp(p, "PK\x03\x04", 4) == 0 ||
	    memcmp(p, "PK\x05\x06", 4) == 0)) {
		r->format = zip_scan(p, n, opts, r);
		return;
	}
	if (n >= 6 && memcmp(p, "\x93NUMPY", 6) == 0) {
		r->format = SCAN_FMT_NPY;
		npy_scan(p, n, NULL, opts, r);
		return;
	}
	if ((n >= 9 && p[8] == '{' && p[5] == 0 && p[6] == 0 && p[7] == 0) ||
	    (ext_is(name, st_ext, 1) && n >= 8)) {
		r->format = SCAN_FMT_SAFETENSORS;
		scan_safetensors(p, n, file_size, opts, r);
		return;
	}
	if (ext_is(name, npy_ext, 1)) {
		r->format = SCAN_FMT_NPY;
		scan_finding_add(r, SCAN_SEV_MEDIUM, SCAN_F_ERROR, "npy.bad-header",
		    NULL, 0, "no NumPy magic");
		return;
	}
	if (n >= 2 && p[0] == 0x80 && p[1] <= 5) {
		r->format = pickle_stream(p, n, NULL, opts, r, 0);
		return;
	}
	if (pickle_hint(name) && compressed_magic(p, n)) {
		scan_compressed(p, n, name, opts, r, depth);
		return;
	}
	/*
	 * Text protocols (0, 1) have no magic. With a pickle-like extension,
	 * any walk that starts with a valid opcode counts; without one, only a
	 * clean walk to STOP with no error does (so text files stay "not a
	 * model").
	 */
	if (n > 0) {
		struct scan_result t;
		enum scan_format f;
		size_t i;
		int clean = 1;

		scan_result_init(&t);
		f = pickle_stream(p, n, NULL, opts, &t, 0);
		for (i = 0; i < t.nfindings; i++)
			if (t.findings[i].flags & SCAN_F_ERROR)
				clean = 0;
		if (t.nfindings > 0 &&
		    strcmp(t.findings[0].rule, "pickle.invalid-opcode") == 0 &&
		    t.findings[0].offset == 0)
			clean = -1; /* not even the first byte */
		if (clean == 1 || (clean == 0 && pickle_hint(name))) {
			adopt(r, &t);
			r->format = f;
			return;
		}
		scan_result_release(&t);
	}
}

static void
set_path(struct scan_result *r, const char *path)
{
	free(r->path);
	r->path = path ? xstrdup(path) : NULL;
}

int
scan_memory(const void *p, size_t n, const char *name,
	    const struct scan_options *opts, struct scan_result *r)
{
	set_path(r, name);
	r->size = n;
	if (opts == NULL || !opts->no_hash)
		fb_sha256_hex(p, n, r->sha256);
	scan_bytes(p, n, n, name, opts, r);
	scan_result_finish(r);
	return 0;
}

static int
open_err(const char *path, int e)
{
	return fb_err(e == ENOENT ? FB_ERR_NOENT : e == EACCES ? FB_ERR_PERM :
	    FB_ERR_IO, "cannot read '%s': %s", path, strerror(e));
}

int
scan_file(const char *path, const struct scan_options *opts,
	  struct scan_result *r)
{
	struct stat st;
	struct fb_map map;
	int fd, rc = 0, shrunk;

	set_path(r, path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return open_err(path, errno);
	if (fstat(fd, &st) != 0) {
		rc = open_err(path, errno);
		close(fd);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return fb_err(FB_ERR_INVAL, "'%s' is a directory", path);
	}
	if (!S_ISREG(st.st_mode)) {
		/* a pipe or device: read it whole, bounded */
		struct fb_buf b = FB_BUF_INIT;
		close(fd);
		rc = fb_buf_read_file(&b, path, MAX_STDIN);
		if (rc == 0) {
			rc = scan_memory(b.data, b.len, path, opts, r);
		}
		fb_buf_release(&b);
		return rc;
	}
	r->size = (uint64_t)st.st_size;
	if (st.st_size == 0) {
		close(fd);
		if (opts == NULL || !opts->no_hash)
			fb_sha256_hex("", 0, r->sha256);
		r->format = SCAN_FMT_NONE;
		scan_result_finish(r);
		return 0;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return fb_err(FB_ERR_LIMIT, "'%s' is too large to map", path);
	}
	/* A file that shrinks while mapped reads as zeros, then is refused. */
	rc = fb_map_file(fd, (size_t)st.st_size, 1, &map);
	close(fd);
	if (rc != 0)
		return fb_err(-rc, "cannot map '%s': %s", path, fb_errmsg(rc));
	(void)madvise(map.base, map.len, MADV_SEQUENTIAL);
	if (opts == NULL || !opts->no_hash)
		fb_sha256_hex(map.base, map.len, r->sha256);
	scan_bytes(map.base, map.len, (uint64_t)st.st_size, path, opts, r);
	shrunk = fb_map_shrunk(&map);
	fb_map_release(&map);
	if (shrunk)
		return fb_err(FB_ERR_IO, "'%s' shrank while it was being "
		    "scanned; scan it again once nothing writes it", path);
	scan_result_finish(r);
	return 0;
}
