/*
 * scan-int.h: shared between the scan module's files only.
 */
#ifndef FB_SCAN_INT_H
#define FB_SCAN_INT_H

#include "scan/scan.h"

/* What one pickle stream looked like, for the container formats. */
struct scan_pickle_info {
	size_t end;          /* offset just past STOP, or where the walk stopped */
	int stopped;         /* reached STOP */
	int bad_first;       /* the very first byte was not an opcode */
	int literal_magic;   /* exactly [PROTO] LONG1 <torch magic> STOP */
	unsigned nglobals;   /* imports in this stream */
	unsigned ncalls;     /* REDUCE/NEWOBJ/OBJ/INST/BUILD in this stream */
	int joblib_array;    /* stopped right after a joblib NumpyArrayWrapper BUILD */
};

/*
 * Walk one pickle starting at p[off]. Findings and globals go into r with
 * offsets base + position. Never fails: oddities are findings.
 */
void scan_pickle_one(const unsigned char *p, size_t n, size_t off,
		     const char *member, uint64_t base,
		     const struct scan_policy *pol, struct scan_result *r,
		     struct scan_pickle_info *info);

/* Add (or find) a global; returns its index in r->globals. */
size_t scan_global_add(struct scan_result *r, const char *module, size_t mlen,
		       const char *name, size_t nlen, const char *member,
		       uint64_t offset, uint8_t opcode,
		       const struct scan_policy *pol, int *is_new);

/* NumPy header: parse p[0..n) (the whole file or member start). */
struct scan_npy_info {
	size_t data_off;     /* where the array data (or the pickle) starts */
	int has_object;      /* descr holds an object dtype: a pickle follows */
	uint64_t nbytes;     /* product(shape) * itemsize, when known */
	int nbytes_known;
};
/* Returns 0, or -1 after recording a finding (malformed header); 1 when
 * more bytes are needed than n (need is set). */
int scan_npy_header(const unsigned char *p, size_t n, const char *member,
		    struct scan_result *r, struct scan_npy_info *info,
		    size_t *need);

#define SCAN_NPY_MAX_HEADER (1u << 20)

#endif
