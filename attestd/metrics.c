#include "attestd/metrics.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				  0.1,    0.25,  0.5,    1,     2.5 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct req_series {
	char route[24];
	unsigned status;
	uint64_t count;
};

struct lat_series {
	char route[24];
	uint64_t le[NBUCKETS]; /* cumulative on output; per bucket here */
	uint64_t count;
	double sum;
};

struct dec_series {
	char event[16], decision[16], reason[64];
	uint64_t count;
};

struct metrics {
	pthread_mutex_t lock;
	size_t nreq, nlat, ndec;
	struct req_series req[METRICS_MAX_SERIES];
	struct lat_series lat[METRICS_MAX_SERIES];
	struct dec_series dec[METRICS_MAX_SERIES];
};

int metrics_new(struct metrics **out, struct snp_err *err)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	pthread_mutex_init(&(*out)->lock, NULL);
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_request(struct metrics *m, const char *route, unsigned status, double seconds)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nreq; i++)
		if (m->req[i].status == status && strcmp(m->req[i].route, route) == 0)
			break;
	if (i == m->nreq && m->nreq < METRICS_MAX_SERIES) {
		snprintf(m->req[i].route, sizeof(m->req[i].route), "%s", route);
		m->req[i].status = status;
		m->nreq++;
	}
	if (i < m->nreq)
		m->req[i].count++;
	for (i = 0; i < m->nlat; i++)
		if (strcmp(m->lat[i].route, route) == 0)
			break;
	if (i == m->nlat && m->nlat < METRICS_MAX_SERIES) {
		snprintf(m->lat[i].route, sizeof(m->lat[i].route), "%s", route);
		m->nlat++;
	}
	if (i < m->nlat) {
		for (size_t b = 0; b < NBUCKETS; b++)
			if (seconds <= buckets[b]) {
				m->lat[i].le[b]++;
				break;
			}
		m->lat[i].count++;
		m->lat[i].sum += seconds;
	}
	pthread_mutex_unlock(&m->lock);
}

void metrics_decision(struct metrics *m, const char *event, const char *decision,
		      const char *reason)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->ndec; i++)
		if (strcmp(m->dec[i].event, event) == 0 &&
		    strcmp(m->dec[i].decision, decision) == 0 &&
		    strcmp(m->dec[i].reason, reason) == 0)
			break;
	if (i == m->ndec) {
		/* The last row is kept for whatever does not fit. */
		if (m->ndec == METRICS_MAX_SERIES - 1) {
			i = METRICS_MAX_SERIES - 1;
			event = decision = reason = "other";
		} else {
			m->ndec++;
		}
		snprintf(m->dec[i].event, sizeof(m->dec[i].event), "%s", event);
		snprintf(m->dec[i].decision, sizeof(m->dec[i].decision), "%s", decision);
		snprintf(m->dec[i].reason, sizeof(m->dec[i].reason), "%s", reason);
	}
	m->dec[i].count++;
	pthread_mutex_unlock(&m->lock);
}

int metrics_text(struct metrics *m, char **out, size_t *len, struct snp_err *err)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	*out = NULL;
	if (f == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	pthread_mutex_lock(&m->lock);
	fputs("# HELP snpvm_attestd_requests_total HTTP requests answered, by route and status.\n"
	      "# TYPE snpvm_attestd_requests_total counter\n", f);
	for (size_t i = 0; i < m->nreq; i++)
		fprintf(f, "snpvm_attestd_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
			m->req[i].route, m->req[i].status, (unsigned long long)m->req[i].count);
	fputs("# HELP snpvm_attestd_decisions_total Attestation and release decisions, by reason.\n"
	      "# TYPE snpvm_attestd_decisions_total counter\n", f);
	for (size_t i = 0; i < METRICS_MAX_SERIES; i++)
		if (m->dec[i].count)
			fprintf(f, "snpvm_attestd_decisions_total{event=\"%s\",decision=\"%s\","
				"reason=\"%s\"} %llu\n", m->dec[i].event, m->dec[i].decision,
				m->dec[i].reason, (unsigned long long)m->dec[i].count);
	fputs("# HELP snpvm_attestd_request_duration_seconds Time to answer a request, by route.\n"
	      "# TYPE snpvm_attestd_request_duration_seconds histogram\n", f);
	for (size_t i = 0; i < m->nlat; i++) {
		uint64_t cum = 0;

		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += m->lat[i].le[b];
			fprintf(f, "snpvm_attestd_request_duration_seconds_bucket{route=\"%s\","
				"le=\"%g\"} %llu\n", m->lat[i].route, buckets[b],
				(unsigned long long)cum);
		}
		fprintf(f, "snpvm_attestd_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
			"%llu\n", m->lat[i].route, (unsigned long long)m->lat[i].count);
		fprintf(f, "snpvm_attestd_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
			m->lat[i].route, m->lat[i].sum);
		fprintf(f, "snpvm_attestd_request_duration_seconds_count{route=\"%s\"} %llu\n",
			m->lat[i].route, (unsigned long long)m->lat[i].count);
	}
	pthread_mutex_unlock(&m->lock);
	if (fclose(f) != 0 || buf == NULL) {
		free(buf);
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	}
	*out = buf;
	*len = n;
	return 0;
}
