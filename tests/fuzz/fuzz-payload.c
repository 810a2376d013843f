/*
 * libFuzzer target for payload_build: any bytes as the payload ELF either
 * build an image whose ranges are page aligned, ascending, non-overlapping
 * and inside guest memory, or fail cleanly with a message.
 */
#include <stddef.h>
#include <stdint.h>

#include "measure/payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char fuzz_target_name[] = "payload";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct payload_opts o = { .elf = data, .elf_len = size, .mem_size = 16u << 20,
					.vcpus = 2, .guest_features = 1, .cmdline = "x" };
	struct payload_image img;
	struct snp_err err = { 0 };
	uint64_t end = 0;
	static volatile uint8_t touched;
	int ret = payload_build(&o, &img, &err);

	if (ret != 0) {
		if ((ret != SNP_E_INVALID && ret != SNP_E_TRUNCATED && ret != SNP_E_UNSUPPORTED) ||
		    err.msg[0] == '\0' || img.ranges || img.vcpu)
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < img.nranges; i++) {
		const struct payload_page_range *r = &img.ranges[i];

		if (r->gpa % 4096 || r->len == 0 || r->len % 4096 || r->gpa < end ||
		    r->gpa + r->len > o.mem_size ||
		    (r->type == SNP_PAGE_TYPE_NORMAL) != (r->data != NULL))
			__builtin_trap();
		/* Read the first and last byte so ASan sees a short buffer. */
		if (r->data)
			touched ^= r->data[0] ^ r->data[r->len - 1];
		end = r->gpa + r->len;
	}
	if (img.vcpus != 2 || img.vcpu[1].rip != img.entry)
		__builtin_trap();
	payload_image_free(&img);
	return 0;
}
