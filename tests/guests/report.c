/*
 * report: asks the guest-request mailbox for an attestation report and prints
 * it as one line "REPORT:<2 * 0x4A0 hex digits>".
 *   cmdline: report_data=<128 hex digits>  (default: 64 zero bytes)
 *            vmpl=<n>                       (default 0)
 * Exit: 0 printed; 1 bad cmdline; 0x10 + STATUS for a mailbox STATUS of 1..3;
 * 0x1F any other non-zero STATUS (0xFFFFFFFF: the request never ran);
 * 0x20 STATUS 0 but REPORT_LEN is not 0x4A0.
 */
#include "lib/guest.h"

#define EXIT_BAD_CMDLINE 1
#define EXIT_STATUS_BASE 0x10
#define EXIT_STATUS_OTHER 0x1F
#define EXIT_BAD_LEN 0x20

int guest_main(const struct guest *g)
{
	uint8_t report_data[64] = { 0 };
	char buf[160];
	uint64_t vmpl = 0;
	struct mailbox_result res;
	int r;

	if ((r = cmdline_opt(g->cmdline, "report_data", buf, sizeof(buf))) != 0 &&
	    (r < 0 || hex_decode(buf, report_data, sizeof(report_data)) != 0)) {
		serial_puts("report: report_data= needs 128 hex digits\n");
		return EXIT_BAD_CMDLINE;
	}
	if ((r = cmdline_opt(g->cmdline, "vmpl", buf, sizeof(buf))) != 0 &&
	    (r < 0 || dec_parse(buf, &vmpl) != 0 || vmpl > UINT32_MAX)) {
		serial_puts("report: vmpl= needs a number\n");
		return EXIT_BAD_CMDLINE;
	}
	mailbox_report(g, report_data, (uint32_t)vmpl, &res);
	if (res.status != MAILBOX_STATUS_OK) {
		serial_puts("report: mailbox status ");
		serial_hex64(res.status);
		serial_putc('\n');
		return res.status <= 3 ? EXIT_STATUS_BASE + (int)res.status : EXIT_STATUS_OTHER;
	}
	if (res.report_len != GUEST_REPORT_SIZE) {
		serial_puts("report: REPORT_LEN ");
		serial_hex64(res.report_len);
		serial_puts(", expected 0x4a0\n");
		return EXIT_BAD_LEN;
	}
	serial_puts("REPORT:");
	serial_hexbytes(res.report, res.report_len);
	serial_putc('\n');
	return 0;
}
