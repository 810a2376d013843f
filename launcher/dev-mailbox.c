/*
 * The guest-request mailbox device (launcher/dev-mailbox.h). A doorbell
 * write copies the request out of guest RAM (so another vCPU cannot change it
 * half-way), checks it, asks cfg->report, and writes the report back into
 * the same page. Whatever the guest writes, the answer is a status code: the
 * VM keeps running.
 */
#include "launcher/dev-mailbox.h"

#include <stdlib.h>
#include <string.h>

#include "abi/endian.h"
#include "abi/reader.h"
#include "abi/report.h"
#include "launcher/guest-mem.h"
#include "launcher/io.h"
#include "launcher/machine.h"
#include "launcher/vm-state.h"

struct mailbox {
	uint64_t req_gpa;
	uint32_t status;
	uint8_t report[SNP_REPORT_SIZE];
};

static uint32_t mailbox_request(struct vm *vm, struct mailbox *mb)
{
	uint8_t *page = guest_mem_hva(vm->mem, mb->req_gpa, MAILBOX_PAGE_SIZE);
	uint8_t req[MAILBOX_REQ_REPORT_DATA + 64], report_data[64];
	uint32_t version, vmpl;
	struct snp_err err = { 0 };
	struct rd r;

	if (!page)
		return MAILBOX_ST_BAD_REQUEST;
	memcpy(req, page, sizeof(req));
	r = rd_init(req, sizeof(req), "mailbox request");
	if (rd_le32(&r, "VERSION", &version, &err) != 0 || rd_le32(&r, "VMPL", &vmpl, &err) != 0 ||
	    rd_bytes(&r, "REPORT_DATA", report_data, sizeof(report_data), &err) != 0)
		return MAILBOX_ST_BAD_REQUEST;
	if (version != 1 || vmpl > 3)
		return MAILBOX_ST_BAD_REQUEST;
	if (!vm->cfg.report)
		return MAILBOX_ST_NO_BACKEND;
	if (vm->cfg.report(vm->cfg.report_ctx, report_data, vmpl, mb->report, &err) != 0)
		return MAILBOX_ST_BACKEND_FAILED;
	le32_put(page + MAILBOX_RSP_REPORT_LEN, SNP_REPORT_SIZE);
	memcpy(page + MAILBOX_RSP_REPORT, mb->report, SNP_REPORT_SIZE);
	return MAILBOX_ST_OK;
}

static uint64_t get_le(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = len; i-- > 0;)
		v = v << 8 | data[i];
	return v;
}

static void put_le(uint8_t *data, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(v >> (8 * i));
}

static enum io_result mailbox_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
				 bool is_write, void *opaque)
{
	struct mailbox *mb = opaque;
	uint64_t v = is_write ? get_le(data, len) : 0;

	if (is_write) {
		if (off == MAILBOX_REQ_GPA && len == 8)
			mb->req_gpa = v;
		else if (off == MAILBOX_REQ_GPA && len == 4)
			mb->req_gpa = (mb->req_gpa & ~0xffffffffull) | v;
		else if (off == MAILBOX_REQ_GPA + 4 && len == 4)
			mb->req_gpa = (mb->req_gpa & 0xffffffffull) | v << 32;
		else if (off == MAILBOX_DOORBELL && len == 4 && v == 1)
			mb->status = mailbox_request(vcpu->vm, mb);
		/* anything else is ignored */
		return IO_CONTINUE;
	}
	if (off == MAILBOX_REQ_GPA && (len == 8 || len == 4))
		v = mb->req_gpa;
	else if (off == MAILBOX_REQ_GPA + 4 && len == 4)
		v = mb->req_gpa >> 32;
	else if (off == MAILBOX_STATUS && len == 4)
		v = mb->status;
	put_le(data, len, v); /* other offsets read 0 */
	return IO_CONTINUE;
}

static int mailbox_init(struct vm *vm, struct snp_err *err)
{
	struct mailbox *mb = calloc(1, sizeof(*mb));

	if (!mb)
		return snp_errf(err, SNP_E_NOMEM, "state");
	mb->status = MAILBOX_ST_NEVER_RUN;
	vm->mailbox = mb;
	return io_register(&vm->io, IO_MMIO, PAYLOAD_MAILBOX_GPA, MAILBOX_PAGE_SIZE, mailbox_io, mb,
			   err);
}

static void mailbox_exit(struct vm *vm)
{
	free(vm->mailbox);
	vm->mailbox = NULL;
}

const struct dev_ops mailbox_dev = {
	.name = "mailbox",
	.init = mailbox_init,
	.exit = mailbox_exit,
};
