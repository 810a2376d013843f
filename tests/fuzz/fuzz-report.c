/*
 * libFuzzer target for report_parse (strict and lax): any input either parses
 * or fails with an error code, and a parsed report writes back to the bytes
 * it came from in every field the writer owns.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "report";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_parse_opts lax = { .lax_reserved = true };
	struct snp_report rep;
	struct snp_err err = { 0 };
	uint8_t out[SNP_REPORT_SIZE];

	if (report_parse(data, size, NULL, &rep, &err) == 0) {
		/* Strict parse: every reserved byte is zero, so the writer reproduces the input. */
		report_write(&rep, out);
		if (memcmp(out, data, SNP_REPORT_SIZE) != 0)
			abort();
	} else if (err.code >= 0 || err.msg[0] == '\0') {
		abort();
	}
	if (report_parse(data, size, &lax, &rep, &err) != 0 && err.code >= 0)
		abort();
	return 0;
}
