/*
 * serve: answers the host's report requests on the report channel page
 * (docs/guest-request-mailbox.md). Polls STATE; on 1 (posted by the host)
 * makes its own mailbox request with the posted REPORT_DATA and VMPL, copies
 * REPORT_LEN and the report into the page (LEN 0 when the mailbox refused)
 * and sets STATE = 2. The VMM hands the bytes to the client and sets STATE = 0.
 *   cmdline: requests=<n>  exit 0 after n answered requests (default: serve forever)
 * Prints "serve: ready" once polling, and one line per request.
 * Exit: 0 after n requests; 1 bad cmdline.
 */
#include "lib/guest.h"

#define CH_STATE 0x000
#define CH_VMPL 0x004
#define CH_REPORT_DATA 0x040
#define CH_LEN 0x100
#define CH_REPORT 0x200
#define CH_IDLE 0u
#define CH_POSTED 1u
#define CH_ANSWERED 2u

int guest_main(const struct guest *g)
{
	volatile uint8_t *ch = (volatile uint8_t *)(uintptr_t)g->channel_gpa;
	volatile uint32_t *state = (volatile uint32_t *)(ch + CH_STATE);
	uint64_t limit = 0, done = 0;
	char buf[24];
	int r;

	if ((r = cmdline_opt(g->cmdline, "requests", buf, sizeof(buf))) != 0 &&
	    (r < 0 || dec_parse(buf, &limit) != 0)) {
		serial_puts("serve: requests= needs a number\n");
		return 1;
	}
	serial_puts("serve: ready\n");
	while (limit == 0 || done < limit) {
		uint8_t report_data[64];
		struct mailbox_result res;
		uint32_t vmpl;

		if (*state != CH_POSTED) {
			cpu_relax();
			continue;
		}
		barrier();
		vmpl = *(volatile uint32_t *)(ch + CH_VMPL);
		for (int i = 0; i < 64; i++)
			report_data[i] = ch[CH_REPORT_DATA + i];
		mailbox_report(g, report_data, vmpl, &res);
		for (uint32_t i = 0; i < res.report_len && i < 0x1000 - CH_REPORT; i++)
			ch[CH_REPORT + i] = res.report[i];
		*(volatile uint32_t *)(ch + CH_LEN) = res.report_len;
		barrier();
		*state = CH_ANSWERED;
		done++;
		serial_puts("serve: request ");
		serial_dec(done);
		serial_puts(res.status == MAILBOX_STATUS_OK ? " answered\n" : " refused by the mailbox\n");
	}
	return 0;
}
