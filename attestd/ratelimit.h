/*
 * Per-source token buckets (for POST /kbs/v0/auth): each source address
 * earns `rate` tokens per second up to `burst`; a request spends one. The
 * table has a fixed number of slots, so memory is bounded whatever the
 * number of sources: a source takes over a slot whose bucket has refilled;
 * two busy sources that hash to the same slot share one bucket (the limit
 * errs towards refusing, never towards more requests).
 */
#ifndef SNPVM_ATTESTD_RATELIMIT_H
#define SNPVM_ATTESTD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define RATELIMIT_SLOTS 4096

struct ratelimit;

/* rate >= 1 per second, burst >= 1. */
int ratelimit_new(unsigned rate, unsigned burst, struct ratelimit **out,
		  struct snp_err *err) SNP_MUST_CHECK;
void ratelimit_free(struct ratelimit *rl);

/*
 * Spends a token of source at now_ms: true when there was one; otherwise
 * false and *retry_after_s the whole seconds until there is (>= 1).
 */
bool ratelimit_take(struct ratelimit *rl, const char *source, int64_t now_ms,
		    unsigned *retry_after_s);

#endif
