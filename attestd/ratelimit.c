#include "attestd/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_MAX 64

struct bucket {
	char source[SOURCE_MAX];
	int64_t millitokens; /* tokens * 1000 */
	int64_t last_ms;
};

struct ratelimit {
	pthread_mutex_t lock;
	int64_t rate, burst; /* tokens per second; capacity */
	struct bucket slots[RATELIMIT_SLOTS];
};

int ratelimit_new(unsigned rate, unsigned burst, struct ratelimit **out, struct snp_err *err)
{
	struct ratelimit *rl;

	*out = NULL;
	if (rate == 0 || burst == 0)
		return snp_errf(err, SNP_E_INVALID, "rate limit: rate and burst must be at least 1");
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	pthread_mutex_init(&rl->lock, NULL);
	rl->rate = rate;
	rl->burst = burst;
	*out = rl;
	return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* FNV-1a: spreads addresses over the slots; not a security boundary. */
static size_t slot_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return (size_t)(h % RATELIMIT_SLOTS);
}

static void refill(const struct ratelimit *rl, struct bucket *b, int64_t now_ms)
{
	int64_t cap = rl->burst * 1000;

	if (now_ms > b->last_ms) {
		int64_t dt = now_ms - b->last_ms;

		/* dt * rate overflows only after centuries; cap dt anyway. */
		if (dt > 86400000)
			dt = 86400000;
		b->millitokens += dt * rl->rate;
		if (b->millitokens > cap)
			b->millitokens = cap;
	}
	b->last_ms = now_ms;
}

bool ratelimit_take(struct ratelimit *rl, const char *source, int64_t now_ms,
		    unsigned *retry_after_s)
{
	struct bucket *b = &rl->slots[slot_of(source)];
	bool ok;

	*retry_after_s = 0;
	pthread_mutex_lock(&rl->lock);
	if (strncmp(b->source, source, SOURCE_MAX - 1) != 0) {
		refill(rl, b, now_ms);
		/* Only a slot whose bucket is full changes hands; otherwise share it. */
		if (b->source[0] == '\0' || b->millitokens >= rl->burst * 1000) {
			memset(b, 0, sizeof(*b));
			snprintf(b->source, sizeof(b->source), "%s", source);
			b->millitokens = rl->burst * 1000;
			b->last_ms = now_ms;
		}
	}
	refill(rl, b, now_ms);
	ok = b->millitokens >= 1000;
	if (ok) {
		b->millitokens -= 1000;
	} else {
		int64_t need = 1000 - b->millitokens; /* millitokens short */
		int64_t ms = (need + rl->rate - 1) / rl->rate;

		*retry_after_s = (unsigned)((ms + 999) / 1000);
		if (*retry_after_s == 0)
			*retry_after_s = 1;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
