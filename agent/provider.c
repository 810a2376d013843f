#include "agent/provider.h"

#include <stdlib.h>
#include <string.h>

static const struct agent_provider *const providers[] = {
	&agent_provider_tsm,
	&agent_provider_sev_guest,
	&agent_provider_sim,
};

const struct agent_provider *agent_provider_find(const char *name)
{
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (strcmp(providers[i]->name, name) == 0)
			return providers[i];
	return NULL;
}

int agent_evidence_set(const uint8_t *report, size_t report_len, const uint8_t *table,
		       size_t table_len, struct tsm_evidence *out, struct snp_err *err)
{
	memset(out, 0, sizeof(*out));
	if (report_len != SNP_REPORT_SIZE)
		return snp_errf(err, SNP_E_INVALID, "report: %zu bytes, want %d", report_len,
				SNP_REPORT_SIZE);
	if (table_len > TSM_AUXBLOB_MAX)
		return snp_errf(err, SNP_E_INVALID, "certificate table: %zu bytes, more than %d",
				table_len, TSM_AUXBLOB_MAX);
	strcpy(out->provider, "sev_guest");
	if ((out->outblob = malloc(report_len)) == NULL ||
	    (table_len && (out->auxblob = malloc(table_len)) == NULL)) {
		tsm_evidence_free(out);
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	}
	memcpy(out->outblob, report, report_len);
	out->outblob_len = report_len;
	if (table_len) {
		memcpy(out->auxblob, table, table_len);
		out->auxblob_len = table_len;
	}
	return 0;
}
