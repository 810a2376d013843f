/*
 * attestd's counters in the Prometheus text exposition format (version
 * 0.0.4): requests by route and status, decisions by event, outcome and
 * reason, and a latency histogram per route. Thread-safe.
 */
#ifndef SNPVM_ATTESTD_METRICS_H
#define SNPVM_ATTESTD_METRICS_H

#include <stddef.h>

#include "util/err.h"

/* Distinct label sets kept; later ones are counted under reason "other". */
#define METRICS_MAX_SERIES 128

struct metrics;

int metrics_new(struct metrics **out, struct snp_err *err) SNP_MUST_CHECK;
void metrics_free(struct metrics *m);

/* One answered request: route (static), HTTP status, seconds it took. */
void metrics_request(struct metrics *m, const char *route, unsigned status, double seconds);

/* One decision: event ("attest", "release"), decision ("accept", "refuse"), reason code. */
void metrics_decision(struct metrics *m, const char *event, const char *decision,
		      const char *reason);

/* The exposition text into *out (malloc'd, NUL-terminated). */
int metrics_text(struct metrics *m, char **out, size_t *len, struct snp_err *err) SNP_MUST_CHECK;

#endif
