#include "config.h"
#include "evidence/evidence.h"
int
evidence_verify(const char *path, const struct evidence_verify_opts *o,
    struct evidence_verify_result *res)
{
	(void)path; (void)o; (void)res;
	return fb_err(FB_ERR_INTERNAL, "not yet");
}
