/*
 * libFuzzer target for cert_table_parse: any input parses or fails cleanly;
 * every blob of a parsed table lies inside the input and after the entry
 * array, and writing the parsed blobs back yields a table that parses to the
 * same entries.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/cert-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "cert-table";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_cert_table t, t2;
	struct snp_cert_blob blobs[SNP_CERT_TABLE_MAX];
	struct snp_err err = { 0 };
	uint8_t *buf = NULL;
	size_t len;

	if (cert_table_parse(data, size, &t, &err) != 0) {
		if (err.code >= 0 || t.n != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < t.n; i++) {
		if (t.entry[i].offset < (t.n + 1) * SNP_CERT_ENTRY_SIZE ||
		    t.data[i] != data + t.entry[i].offset ||
		    (size_t)t.entry[i].offset + t.entry[i].len > size)
			abort();
		memcpy(blobs[i].guid, t.entry[i].guid, SNP_CERT_GUID_SIZE);
		blobs[i].data = t.data[i];
		blobs[i].len = t.entry[i].len;
	}
	if (cert_table_write(blobs, t.n, &buf, &len, &err) != 0 ||
	    cert_table_parse(buf, len, &t2, &err) != 0 || t2.n != t.n)
		abort();
	for (size_t i = 0; i < t.n; i++)
		if (t2.entry[i].len != t.entry[i].len ||
		    memcmp(t2.data[i], t.data[i], t.entry[i].len) != 0 ||
		    memcmp(t2.entry[i].guid, t.entry[i].guid, SNP_CERT_GUID_SIZE) != 0)
			abort();
	free(buf);
	return 0;
}
