/*
 * One report request through the guest-request mailbox
 * (docs/guest-request-mailbox.md): fill a request page in guest RAM, write its
 * GPA to REQ_GPA, ring DOORBELL, read STATUS; the VMM wrote the response into
 * the same page.
 */
#include "guest.h"

#define REQ_VERSION 0x000
#define REQ_VMPL 0x004
#define REQ_REPORT_DATA 0x008

static uint8_t req_page[4096] __attribute__((aligned(4096)));

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void mailbox_report(const struct guest *g, const uint8_t report_data[64], uint32_t vmpl,
		    struct mailbox_result *res)
{
	volatile uint8_t *mmio = (volatile uint8_t *)(uintptr_t)g->mailbox_gpa;
	uint32_t len;

	memset(req_page, 0, sizeof(req_page));
	put_le32(req_page + REQ_VERSION, 1);
	put_le32(req_page + REQ_VMPL, vmpl);
	memcpy(req_page + REQ_REPORT_DATA, report_data, 64);
	barrier();
	/* One 8-byte and one 4-byte access each: the register widths. */
	*(volatile uint64_t *)(mmio + MAILBOX_REQ_GPA) = (uint64_t)(uintptr_t)req_page;
	*(volatile uint32_t *)(mmio + MAILBOX_DOORBELL) = 1;
	res->status = *(volatile uint32_t *)(mmio + MAILBOX_STATUS);
	barrier();
	len = get_le32(req_page + MAILBOX_REPORT_LEN_OFF);
	res->report_len = 0;
	res->report = req_page + MAILBOX_REPORT_OFF;
	if (res->status == MAILBOX_STATUS_OK)
		res->report_len = len;
}
