/*
 * libFuzzer target for what a guest hands the simulated firmware: guest
 * request messages (header, AES-GCM open with a fixed key, MSG_REPORT_REQ)
 * and the CPUID and secrets pages. The first byte picks the parser. Any
 * input parses or fails cleanly; pages that parse are written back
 * byte-identically (both formats are exact), and an opened message's payload
 * never exceeds MSG_SIZE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/cpuid-page.h"
#include "abi/guest-msg.h"
#include "abi/secrets-page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "guest-msg";

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t page[4096], payload[SNP_GUEST_MSG_PAYLOAD_MAX];
	struct snp_err err = { 0 };

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		struct snp_guest_msg_hdr hdr;
		struct snp_msg_report_req rr;
		size_t plen = 0;

		if (guest_msg_open(key, data + 1, size - 1, &hdr, payload, sizeof(payload), &plen,
				   &err) == 0) {
			if (plen != hdr.msg_sz || plen > size - 1 - SNP_GUEST_MSG_HDR_SIZE)
				abort();
			if (guest_msg_report_req_parse(payload, plen, &rr, &err) == 0 && rr.key_sel > 3)
				abort();
		} else if (err.code >= 0) {
			abort();
		}
		break;
	}
	case 1: {
		struct snp_msg_report_req rr;
		uint8_t out[SNP_MSG_REPORT_REQ_SIZE];

		if (guest_msg_report_req_parse(data + 1, size - 1, &rr, &err) == 0) {
			guest_msg_report_req_write(&rr, out);
			if (size - 1 != sizeof(out) || memcmp(out, data + 1, sizeof(out)) != 0)
				abort();
		}
		break;
	}
	case 2: {
		struct snp_cpuid_page c;

		if (cpuid_page_parse(data + 1, size - 1, &c, &err) == 0) {
			cpuid_page_write(&c, page);
			if (memcmp(page, data + 1, sizeof(page)) != 0)
				abort();
		}
		break;
	}
	default: {
		struct snp_secrets_page s;

		if (secrets_page_parse(data + 1, size - 1, &s, &err) == 0) {
			secrets_page_write(&s, page);
			if (memcmp(page, data + 1, sizeof(page)) != 0)
				abort();
		}
		break;
	}
	}
	return 0;
}
