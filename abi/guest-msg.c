#include "abi/guest-msg.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "abi/endian.h"
#include "abi/reader.h"

#define HOFF(f) offsetof(struct snp_guest_msg_hdr_layout, f)

_Static_assert(sizeof(struct snp_guest_msg_hdr_layout) == SNP_GUEST_MSG_HDR_SIZE, "msg header");
_Static_assert(HOFF(msg_seqno) == 0x20, "MSG_SEQNO");
_Static_assert(HOFF(algo) == SNP_GUEST_MSG_AAD_OFFSET, "ALGO starts the AAD");
_Static_assert(HOFF(msg_sz) == 0x36, "MSG_SIZE");
_Static_assert(HOFF(msg_vmpck) == 0x3C, "MSG_VMPCK");
_Static_assert(sizeof(struct snp_msg_report_req_layout) == SNP_MSG_REPORT_REQ_SIZE, "report req");
_Static_assert(offsetof(struct snp_msg_report_req_layout, vmpl) == 0x40, "VMPL");
_Static_assert(offsetof(struct snp_msg_report_req_layout, key_sel) == 0x44, "KEY_SEL");
_Static_assert(sizeof(struct snp_msg_report_rsp_layout) == SNP_MSG_REPORT_RSP_SIZE, "report rsp");
_Static_assert(offsetof(struct snp_msg_report_rsp_layout, report) == 0x20, "REPORT");

static void hdr_write(const struct snp_guest_msg_hdr *hdr, uint8_t out[SNP_GUEST_MSG_HDR_SIZE])
{
	memset(out, 0, SNP_GUEST_MSG_HDR_SIZE);
	le64_put(out + HOFF(msg_seqno), hdr->seqno);
	out[HOFF(algo)] = SNP_AEAD_AES_256_GCM;
	out[HOFF(hdr_version)] = SNP_GUEST_MSG_HDR_VERSION;
	le16_put(out + HOFF(hdr_sz), SNP_GUEST_MSG_HDR_SIZE);
	out[HOFF(msg_type)] = hdr->msg_type;
	out[HOFF(msg_version)] = hdr->msg_version;
	le16_put(out + HOFF(msg_sz), hdr->msg_sz);
	out[HOFF(msg_vmpck)] = hdr->msg_vmpck;
}

static void make_iv(uint64_t seqno, uint8_t iv[12])
{
	memset(iv, 0, 12);
	le64_put(iv, seqno);
}

int guest_msg_seal(const uint8_t key[32], const struct snp_guest_msg_hdr *hdr,
		   const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len,
		   struct snp_err *err)
{
	struct snp_guest_msg_hdr h = *hdr;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t iv[12];
	int n = 0, ret = SNP_E_INTERNAL;

	*out_len = 0;
	if (len > SNP_GUEST_MSG_PAYLOAD_MAX || cap < SNP_GUEST_MSG_HDR_SIZE + len)
		return snp_errf(err, SNP_E_INVALID,
				"guest message: payload %zu bytes does not fit (max %d, buffer %zu)",
				len, SNP_GUEST_MSG_PAYLOAD_MAX, cap);
	h.msg_sz = (uint16_t)len;
	hdr_write(&h, out);
	make_iv(h.seqno, iv);
	ERR_clear_error();
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, out + SNP_GUEST_MSG_AAD_OFFSET,
			      SNP_GUEST_MSG_HDR_SIZE - SNP_GUEST_MSG_AAD_OFFSET) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(ctx, out + SNP_GUEST_MSG_HDR_SIZE, &n, payload,
					  (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, out + SNP_GUEST_MSG_HDR_SIZE + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SNP_GUEST_MSG_TAG_SIZE,
				out + HOFF(authtag)) != 1) {
		ret = snp_err_openssl(err, "guest message: AES-256-GCM encrypt");
		goto out;
	}
	*out_len = SNP_GUEST_MSG_HDR_SIZE + len;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int guest_msg_parse_hdr(const uint8_t *msg, size_t len, struct snp_guest_msg_hdr *hdr,
			struct snp_err *err)
{
	struct rd r = rd_init(msg, len, "guest message");
	uint8_t algo = 0, hver = 0;
	uint16_t hsz = 0;
	int ret = SNP_E_INTERNAL;

	memset(hdr, 0, sizeof(*hdr));
	if ((ret = rd_bytes(&r, "AUTHTAG", NULL, 32, err)) != 0 ||
	    (ret = rd_le64(&r, "MSG_SEQNO", &hdr->seqno, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 8, err)) != 0 ||
	    (ret = rd_u8(&r, "ALGO", &algo, err)) != 0 ||
	    (ret = rd_u8(&r, "HDR_VERSION", &hver, err)) != 0 ||
	    (ret = rd_le16(&r, "HDR_SIZE", &hsz, err)) != 0 ||
	    (ret = rd_u8(&r, "MSG_TYPE", &hdr->msg_type, err)) != 0 ||
	    (ret = rd_u8(&r, "MSG_VERSION", &hdr->msg_version, err)) != 0 ||
	    (ret = rd_le16(&r, "MSG_SIZE", &hdr->msg_sz, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 4, err)) != 0 ||
	    (ret = rd_u8(&r, "MSG_VMPCK", &hdr->msg_vmpck, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 35, err)) != 0)
		goto out;
	if (algo != SNP_AEAD_AES_256_GCM) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED, "guest message: ALGO at 0x30: got %u, want 1",
			       algo);
		goto out;
	}
	if (hver != SNP_GUEST_MSG_HDR_VERSION || hsz != SNP_GUEST_MSG_HDR_SIZE) {
		ret = snp_errf(err, SNP_E_VERSION,
			       "guest message: HDR_VERSION %u / HDR_SIZE 0x%x, want 1 / 0x60", hver,
			       hsz);
		goto out;
	}
	if (hdr->msg_vmpck > 3) {
		ret = snp_errf(err, SNP_E_INVALID, "guest message: MSG_VMPCK at 0x3c: %u > 3",
			       hdr->msg_vmpck);
		goto out;
	}
	if (hdr->msg_sz > rd_left(&r)) {
		ret = snp_errf(err, SNP_E_TRUNCATED,
			       "guest message: MSG_SIZE at 0x36: %u bytes, %zu present", hdr->msg_sz,
			       rd_left(&r));
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		memset(hdr, 0, sizeof(*hdr));
	return ret;
}

int guest_msg_open(const uint8_t key[32], const uint8_t *msg, size_t len,
		   struct snp_guest_msg_hdr *hdr, uint8_t *payload, size_t cap,
		   size_t *payload_len, struct snp_err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t iv[12], tag[SNP_GUEST_MSG_TAG_SIZE];
	int n = 0, ret = SNP_E_INTERNAL;

	*payload_len = 0;
	if ((ret = guest_msg_parse_hdr(msg, len, hdr, err)) != 0)
		return ret;
	if (hdr->msg_sz > cap)
		return snp_errf(err, SNP_E_INVALID, "guest message: payload %u bytes, buffer %zu",
				hdr->msg_sz, cap);
	memcpy(tag, msg + HOFF(authtag), sizeof(tag));
	make_iv(hdr->seqno, iv);
	ERR_clear_error();
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, msg + SNP_GUEST_MSG_AAD_OFFSET,
			      SNP_GUEST_MSG_HDR_SIZE - SNP_GUEST_MSG_AAD_OFFSET) != 1 ||
	    (hdr->msg_sz > 0 && EVP_DecryptUpdate(ctx, payload, &n, msg + SNP_GUEST_MSG_HDR_SIZE,
						  hdr->msg_sz) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag) != 1) {
		ret = snp_err_openssl(err, "guest message: AES-256-GCM decrypt");
		goto out;
	}
	if (EVP_DecryptFinal_ex(ctx, payload + hdr->msg_sz, &n) != 1) {
		ERR_clear_error();
		if (hdr->msg_sz > 0)
			OPENSSL_cleanse(payload, hdr->msg_sz);
		ret = snp_errf(err, SNP_E_SIGNATURE,
			       "guest message: AUTHTAG at 0x0: does not verify (wrong VMPCK%u or "
			       "altered message)",
			       hdr->msg_vmpck);
		goto out;
	}
	*payload_len = hdr->msg_sz;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

void guest_msg_report_req_write(const struct snp_msg_report_req *req,
				uint8_t out[SNP_MSG_REPORT_REQ_SIZE])
{
	memset(out, 0, SNP_MSG_REPORT_REQ_SIZE);
	memcpy(out, req->report_data, 64);
	le32_put(out + 0x40, req->vmpl);
	le32_put(out + 0x44, req->key_sel);
}

int guest_msg_report_req_parse(const uint8_t *buf, size_t len, struct snp_msg_report_req *out,
			       struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "MSG_REPORT_REQ");
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((ret = rd_bytes(&r, "REPORT_DATA", out->report_data, 64, err)) != 0 ||
	    (ret = rd_le32(&r, "VMPL", &out->vmpl, err)) != 0 ||
	    (ret = rd_le32(&r, "KEY_SEL", &out->key_sel, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 24, err)) != 0 || (ret = rd_end(&r, err)) != 0)
		goto out;
	if (out->key_sel & ~3u) {
		ret = snp_errf(err, SNP_E_RESERVED, "MSG_REPORT_REQ: KEY_SEL at 0x44: bits 31:2 set (0x%x)",
			       out->key_sel);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

void guest_msg_report_rsp_write(uint32_t status, const uint8_t *report,
				uint8_t out[SNP_MSG_REPORT_RSP_SIZE])
{
	memset(out, 0, SNP_MSG_REPORT_RSP_SIZE);
	le32_put(out, status);
	if (status == 0 && report) {
		le32_put(out + 4, 0x4A0);
		memcpy(out + SNP_MSG_REPORT_RSP_HDR_SIZE, report, 0x4A0);
	}
}

int guest_msg_report_rsp_parse(const uint8_t *buf, size_t len, uint32_t *status,
			       uint8_t report[0x4A0], struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "MSG_REPORT_RSP");
	uint32_t size = 0;
	int ret = SNP_E_INTERNAL;

	*status = 0;
	if ((ret = rd_le32(&r, "STATUS", status, err)) != 0 ||
	    (ret = rd_le32(&r, "REPORT_SIZE", &size, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 24, err)) != 0)
		return ret;
	if (*status != 0)
		return 0;
	if (size != 0x4A0)
		return snp_errf(err, SNP_E_INVALID, "MSG_REPORT_RSP: REPORT_SIZE at 0x4: got 0x%x, want 0x4a0",
				size);
	if ((ret = rd_bytes(&r, "REPORT", report, 0x4A0, err)) != 0 || (ret = rd_end(&r, err)) != 0)
		return ret;
	return 0;
}
