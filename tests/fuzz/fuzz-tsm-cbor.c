/*
 * libFuzzer target for the configfs-tsm evidence map decoder
 * (attestd/tsm-cbor.c): any bytes are either a map within the documented
 * bounds that re-encodes to as many bytes (every head is already the
 * shortest) and decodes again to the same contents, or a
 * refusal with a negative code, a message and nothing left allocated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/report.h"
#include "attestd/tsm-cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "tsm-cbor";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_err err = { 0 };
	struct tsm_evidence ev, again;
	uint8_t *enc;
	size_t len;

	if (tsm_cbor_decode(data, size, &ev, &err) != 0) {
		if (err.code >= 0 || err.msg[0] == '\0' || ev.outblob || ev.auxblob)
			__builtin_trap();
		return 0;
	}
	if (ev.outblob_len == 0 || ev.outblob_len > TSM_OUTBLOB_MAX ||
	    ev.auxblob_len > TSM_AUXBLOB_MAX || (ev.auxblob && ev.auxblob_len == 0) ||
	    (!strcmp(ev.provider, "sev_guest") && ev.outblob_len != SNP_REPORT_SIZE))
		__builtin_trap();
	if (tsm_cbor_encode(&ev, &enc, &len, &err) != 0 || len != size)
		__builtin_trap();
	if (tsm_cbor_decode(enc, len, &again, &err) != 0 ||
	    strcmp(again.provider, ev.provider) != 0 || again.outblob_len != ev.outblob_len ||
	    memcmp(again.outblob, ev.outblob, ev.outblob_len) != 0 ||
	    again.auxblob_len != ev.auxblob_len ||
	    (ev.auxblob && memcmp(again.auxblob, ev.auxblob, ev.auxblob_len) != 0))
		__builtin_trap();
	tsm_evidence_free(&again);
	free(enc);
	tsm_evidence_free(&ev);
	return 0;
}
