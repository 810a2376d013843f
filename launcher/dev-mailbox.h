/*
 * The guest-request mailbox (docs/guest-request-mailbox.md): one MMIO page
 * at PAYLOAD_MAILBOX_GPA through which a payload guest asks the security
 * backend for an attestation report, the simulated counterpart of the
 * SNP_GUEST_REQUEST path. Simulated: it gives no confidentiality.
 */
#ifndef SNPVM_LAUNCHER_DEV_MAILBOX_H
#define SNPVM_LAUNCHER_DEV_MAILBOX_H

/* Registers, offsets in the MMIO page (little-endian). */
#define MAILBOX_REQ_GPA 0x00  /* u64 write: GPA of the 4 KiB request/response page in RAM */
#define MAILBOX_DOORBELL 0x08 /* u32 write 1: perform the request synchronously */
#define MAILBOX_STATUS 0x0C   /* u32 read: MAILBOX_ST_* of the last request */

#define MAILBOX_ST_OK 0u
#define MAILBOX_ST_BAD_REQUEST 1u /* REQ_GPA not a RAM page, VERSION not 1, VMPL > 3 */
#define MAILBOX_ST_BACKEND_FAILED 2u
#define MAILBOX_ST_NO_BACKEND 3u
#define MAILBOX_ST_NEVER_RUN 0xFFFFFFFFu

/* The request/response page. */
#define MAILBOX_REQ_VERSION 0x000     /* u32, must be 1 */
#define MAILBOX_REQ_VMPL 0x004        /* u32, 0..3 */
#define MAILBOX_REQ_REPORT_DATA 0x008 /* 64 bytes */
#define MAILBOX_RSP_REPORT_LEN 0x100  /* u32, written by the VMM: SNP_REPORT_SIZE */
#define MAILBOX_RSP_REPORT 0x200      /* the report bytes */
#define MAILBOX_PAGE_SIZE 0x1000

/* The report channel page at PAYLOAD_CHANNEL_GPA (launcher/report-channel.c). */
#define CHANNEL_STATE 0x000       /* u32: CHANNEL_ST_* */
#define CHANNEL_VMPL 0x004        /* u32: 0 */
#define CHANNEL_REPORT_DATA 0x040 /* 64 bytes from the host's client */
#define CHANNEL_REPORT_LEN 0x100  /* u32, written by the guest */
#define CHANNEL_REPORT 0x200      /* the report bytes, written by the guest */
#define CHANNEL_ST_IDLE 0u
#define CHANNEL_ST_POSTED 1u      /* the host posted REPORT_DATA */
#define CHANNEL_ST_ANSWERED 2u    /* the guest wrote LEN and the report */

#endif
