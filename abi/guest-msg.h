/*
 * SNP guest request messages (SNP ABI spec 56860 §8.26 SNP_GUEST_REQUEST,
 * "Message Header Format" and §7 MSG_REPORT_REQ / MSG_REPORT_RSP; the kernel's
 * struct snp_guest_msg_hdr and struct snp_report_req). A message is a 0x60-byte
 * header followed by the payload, encrypted with AES-256-GCM under the VMPCK
 * the header names: IV = the 8-byte little-endian sequence number then 4 zero
 * bytes, additional data = header bytes 0x30..0x5F, the 16-byte tag in
 * AUTHTAG[0..15]. Both the guest side (seal a request, open the response) and
 * the firmware side (open a request, seal the response) use these functions.
 */
#ifndef SNPVM_ABI_GUEST_MSG_H
#define SNPVM_ABI_GUEST_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SNP_GUEST_MSG_HDR_SIZE 0x60
#define SNP_GUEST_MSG_MAX 4096 /* one page: header + payload */
#define SNP_GUEST_MSG_PAYLOAD_MAX (SNP_GUEST_MSG_MAX - SNP_GUEST_MSG_HDR_SIZE)
#define SNP_GUEST_MSG_AAD_OFFSET 0x30
#define SNP_GUEST_MSG_TAG_SIZE 16
#define SNP_AEAD_AES_256_GCM 1
#define SNP_GUEST_MSG_HDR_VERSION 1

enum snp_msg_type {
	SNP_MSG_CPUID_REQ = 1,
	SNP_MSG_CPUID_RSP = 2,
	SNP_MSG_KEY_REQ = 3,
	SNP_MSG_KEY_RSP = 4,
	SNP_MSG_REPORT_REQ = 5,
	SNP_MSG_REPORT_RSP = 6,
	SNP_MSG_EXPORT_REQ = 7,
	SNP_MSG_EXPORT_RSP = 8,
	SNP_MSG_IMPORT_REQ = 9,
	SNP_MSG_IMPORT_RSP = 10,
	SNP_MSG_ABSORB_REQ = 11,
	SNP_MSG_ABSORB_RSP = 12,
	SNP_MSG_VMRK_REQ = 13,
	SNP_MSG_VMRK_RSP = 14,
	SNP_MSG_TSC_INFO_REQ = 17,
	SNP_MSG_TSC_INFO_RSP = 18,
};

struct snp_guest_msg_hdr_layout {
	uint8_t authtag[32];  /* 0x00 */
	uint8_t msg_seqno[8]; /* 0x20 */
	uint8_t reserved0[8]; /* 0x28 */
	uint8_t algo;         /* 0x30: 1 = AES-256-GCM */
	uint8_t hdr_version;  /* 0x31: 1 */
	uint8_t hdr_sz[2];    /* 0x32: 0x60 */
	uint8_t msg_type;     /* 0x34 */
	uint8_t msg_version;  /* 0x35 */
	uint8_t msg_sz[2];    /* 0x36: payload bytes */
	uint8_t reserved1[4]; /* 0x38 */
	uint8_t msg_vmpck;    /* 0x3C: which VMPCK encrypts the message */
	uint8_t reserved2[35];/* 0x3D */
};

struct snp_guest_msg_hdr {
	uint64_t seqno;
	uint8_t msg_type;
	uint8_t msg_version;
	uint16_t msg_sz;
	uint8_t msg_vmpck;
};

/*
 * Builds an encrypted message in out (cap >= 0x60 + len): the header from hdr
 * (msg_sz is taken from len), the payload encrypted with key. *out_len is the
 * message length. Fails with SNP_E_INVALID if len > 4000, SNP_E_CRYPTO if
 * OpenSSL fails.
 */
int guest_msg_seal(const uint8_t key[32], const struct snp_guest_msg_hdr *hdr,
		   const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len,
		   struct snp_err *err) SNP_MUST_CHECK;

/*
 * Parses the header of msg (bounded: algo 1, header version 1, size 0x60,
 * reserved zero, msg_sz within msg) without decrypting.
 */
int guest_msg_parse_hdr(const uint8_t *msg, size_t len, struct snp_guest_msg_hdr *hdr,
			struct snp_err *err) SNP_MUST_CHECK;

/*
 * Parses the header and decrypts the payload with key into payload (cap
 * bytes); *payload_len is hdr->msg_sz. Fails with SNP_E_SIGNATURE when the
 * tag does not verify (nothing is written to payload then). The caller wipes
 * payload if it holds secrets.
 */
int guest_msg_open(const uint8_t key[32], const uint8_t *msg, size_t len,
		   struct snp_guest_msg_hdr *hdr, uint8_t *payload, size_t cap,
		   size_t *payload_len, struct snp_err *err) SNP_MUST_CHECK;

/* MSG_REPORT_REQ (0x60 bytes). */
#define SNP_MSG_REPORT_REQ_SIZE 0x60
#define SNP_REPORT_KEY_SEL_DEFAULT 0 /* VLEK if one is installed, else VCEK */
#define SNP_REPORT_KEY_SEL_VCEK 1
#define SNP_REPORT_KEY_SEL_VLEK 2

struct snp_msg_report_req_layout {
	uint8_t report_data[64]; /* 0x00 */
	uint8_t vmpl[4];         /* 0x40 */
	uint8_t key_sel[4];      /* 0x44: bits 1:0 KEY_SEL, 31:2 reserved */
	uint8_t reserved[24];    /* 0x48 */
};

struct snp_msg_report_req {
	uint8_t report_data[64];
	uint32_t vmpl;
	uint32_t key_sel;
};

void guest_msg_report_req_write(const struct snp_msg_report_req *req,
				uint8_t out[SNP_MSG_REPORT_REQ_SIZE]);
int guest_msg_report_req_parse(const uint8_t *buf, size_t len, struct snp_msg_report_req *out,
			       struct snp_err *err) SNP_MUST_CHECK;

/* MSG_REPORT_RSP: STATUS, REPORT_SIZE, 24 reserved bytes, the report at 0x20. */
#define SNP_MSG_REPORT_RSP_HDR_SIZE 0x20
#define SNP_MSG_REPORT_RSP_SIZE (SNP_MSG_REPORT_RSP_HDR_SIZE + 0x4A0)
#define SNP_REPORT_RSP_STATUS_SUCCESS 0x00
#define SNP_REPORT_RSP_STATUS_INVALID_PARAMETERS 0x16
#define SNP_REPORT_RSP_STATUS_INVALID_KEY_SELECTION 0x27

struct snp_msg_report_rsp_layout {
	uint8_t status[4];      /* 0x00 */
	uint8_t report_size[4]; /* 0x04 */
	uint8_t reserved[24];   /* 0x08 */
	uint8_t report[0x4A0];  /* 0x20 */
};

/* Writes a response; report may be NULL (status != 0: REPORT_SIZE 0, report zero). */
void guest_msg_report_rsp_write(uint32_t status, const uint8_t *report,
				uint8_t out[SNP_MSG_REPORT_RSP_SIZE]);

/*
 * Parses a response: *status, and for status 0 a REPORT_SIZE of exactly 0x4A0
 * whose bytes are copied to report. A non-zero status is returned in *status
 * with return value 0: it is the firmware's answer, not a parse failure.
 */
int guest_msg_report_rsp_parse(const uint8_t *buf, size_t len, uint32_t *status,
			       uint8_t report[0x4A0], struct snp_err *err) SNP_MUST_CHECK;

#endif
