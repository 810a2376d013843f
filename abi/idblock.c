#include "abi/idblock.h"

#include <string.h>

#include "abi/endian.h"
#include "abi/policy.h"
#include "abi/reader.h"

/* SEV-SNP ABI spec 56860 §8.18 (SNP_LAUNCH_FINISH), ID Block Structure. */
_Static_assert(sizeof(struct snp_id_block_layout) == SNP_ID_BLOCK_SIZE, "ID_BLOCK size");
_Static_assert(offsetof(struct snp_id_block_layout, family_id) == 0x30, "FAMILY_ID");
_Static_assert(offsetof(struct snp_id_block_layout, image_id) == 0x40, "IMAGE_ID");
_Static_assert(offsetof(struct snp_id_block_layout, version) == 0x50, "VERSION");
_Static_assert(offsetof(struct snp_id_block_layout, guest_svn) == 0x54, "GUEST_SVN");
_Static_assert(offsetof(struct snp_id_block_layout, policy) == 0x58, "POLICY");

/* ECDSA P-384 with SHA-384 signature format (spec 56860, cryptographic formats). */
_Static_assert(sizeof(struct snp_ecdsa_sig_layout) == SNP_ECDSA_SIG_SIZE, "signature size");
_Static_assert(offsetof(struct snp_ecdsa_sig_layout, s) == 0x048, "signature S");
_Static_assert(offsetof(struct snp_ecdsa_sig_layout, reserved) == 0x090, "signature rest");

/* ECDSA public key format (spec 56860, cryptographic formats). */
_Static_assert(sizeof(struct snp_pubkey_layout) == SNP_PUBKEY_SIZE, "public key size");
_Static_assert(offsetof(struct snp_pubkey_layout, qx) == 0x004, "QX");
_Static_assert(offsetof(struct snp_pubkey_layout, qy) == 0x04C, "QY");
_Static_assert(offsetof(struct snp_pubkey_layout, reserved) == 0x094, "public key rest");

/* ID Authentication Information Structure (spec 56860 §8.18). */
_Static_assert(sizeof(struct snp_id_auth_layout) == SNP_ID_AUTH_SIZE, "ID_AUTH size");
_Static_assert(SNP_ID_AUTH_OFF(auth_key_algo) == 0x004, "AUTH_KEY_ALGO");
_Static_assert(SNP_ID_AUTH_OFF(reserved0) == 0x008, "reserved 0x008");
_Static_assert(SNP_ID_AUTH_OFF(id_block_sig) == 0x040, "ID_BLOCK_SIG");
_Static_assert(SNP_ID_AUTH_OFF(id_key) == 0x240, "ID_KEY");
_Static_assert(SNP_ID_AUTH_OFF(reserved1) == 0x644, "reserved 0x644");
_Static_assert(SNP_ID_AUTH_OFF(id_key_sig) == 0x680, "ID_KEY_SIG");
_Static_assert(SNP_ID_AUTH_OFF(author_key) == 0x880, "AUTHOR_KEY");
_Static_assert(SNP_ID_AUTH_OFF(reserved2) == 0xC84, "reserved 0xC84");

#define HIGH_BYTES (SNP_ECDSA_COMPONENT_SIZE - SNP_ECDSA_P384_BYTES)

/* Reads one 72-byte little-endian component whose bytes 48..71 must be zero. */
static int component_read(struct rd *r, const char *field, const char *high_field,
			  uint8_t out[SNP_ECDSA_COMPONENT_SIZE], struct snp_err *err)
{
	int ret;

	memset(out, 0, SNP_ECDSA_COMPONENT_SIZE);
	if ((ret = rd_bytes(r, field, out, SNP_ECDSA_P384_BYTES, err)) != 0 ||
	    (ret = rd_zero(r, high_field, HIGH_BYTES, err)) != 0)
		return ret;
	return 0;
}

/* A signature from the whole of r (exactly SNP_ECDSA_SIG_SIZE bytes). */
static int sig_read(struct rd *r, struct snp_ecdsa_sig *out, struct snp_err *err)
{
	int ret;

	if ((ret = component_read(r, "R", "R bytes 48..71", out->r, err)) != 0 ||
	    (ret = component_read(r, "S", "S bytes 48..71", out->s, err)) != 0 ||
	    (ret = rd_zero(r, "reserved", sizeof(((struct snp_ecdsa_sig_layout *)0)->reserved),
			   err)) != 0 ||
	    (ret = rd_end(r, err)) != 0)
		return ret;
	return 0;
}

/* A public key from the whole of r (exactly SNP_PUBKEY_SIZE bytes). */
static int pubkey_read(struct rd *r, struct snp_pubkey *out, struct snp_err *err)
{
	size_t at = rd_pos(r);
	int ret;

	if ((ret = rd_le32(r, "CURVE", &out->curve, err)) != 0)
		return ret;
	if (out->curve != SNP_CURVE_P384)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"%s: CURVE at 0x%zx: %u is not supported (want 2, P-384)", r->what,
				at, out->curve);
	if ((ret = component_read(r, "QX", "QX bytes 48..71", out->qx, err)) != 0 ||
	    (ret = component_read(r, "QY", "QY bytes 48..71", out->qy, err)) != 0 ||
	    (ret = rd_zero(r, "reserved", sizeof(((struct snp_pubkey_layout *)0)->reserved),
			   err)) != 0 ||
	    (ret = rd_end(r, err)) != 0)
		return ret;
	return 0;
}

int snp_ecdsa_sig_parse(const uint8_t *buf, size_t len, struct snp_ecdsa_sig *out,
			struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "signature");
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((ret = sig_read(&r, out, err)) != 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

int snp_pubkey_parse(const uint8_t *buf, size_t len, struct snp_pubkey *out, struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "public key");
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((ret = pubkey_read(&r, out, err)) != 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

int id_block_parse(const uint8_t *buf, size_t len, struct snp_id_block *out, struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "ID block");
	struct snp_id_block b = { 0 };
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((ret = rd_bytes(&r, "LD", b.ld, sizeof(b.ld), err)) != 0 ||
	    (ret = rd_bytes(&r, "FAMILY_ID", b.family_id, sizeof(b.family_id), err)) != 0 ||
	    (ret = rd_bytes(&r, "IMAGE_ID", b.image_id, sizeof(b.image_id), err)) != 0 ||
	    (ret = rd_le32(&r, "VERSION", &b.version, err)) != 0 ||
	    (ret = rd_le32(&r, "GUEST_SVN", &b.guest_svn, err)) != 0 ||
	    (ret = rd_le64(&r, "POLICY", &b.policy, err)) != 0 ||
	    (ret = rd_end(&r, err)) != 0)
		goto out;
	if (b.version != SNP_ID_BLOCK_VERSION) {
		ret = snp_errf(err, SNP_E_VERSION, "ID block: VERSION at 0x50: %u (want 1)",
			       b.version);
		goto out;
	}
	if ((ret = snp_policy_check(b.policy, "ID block: POLICY at 0x58", err)) != 0)
		goto out;
	*out = b;
	ret = 0;
out:
	return ret;
}

void id_block_write(const struct snp_id_block *b, uint8_t out[SNP_ID_BLOCK_SIZE])
{
	memcpy(out + offsetof(struct snp_id_block_layout, ld), b->ld, sizeof(b->ld));
	memcpy(out + offsetof(struct snp_id_block_layout, family_id), b->family_id,
	       sizeof(b->family_id));
	memcpy(out + offsetof(struct snp_id_block_layout, image_id), b->image_id,
	       sizeof(b->image_id));
	le32_put(out + offsetof(struct snp_id_block_layout, version), b->version);
	le32_put(out + offsetof(struct snp_id_block_layout, guest_svn), b->guest_svn);
	le64_put(out + offsetof(struct snp_id_block_layout, policy), b->policy);
}

static int algo_check(uint32_t algo, const char *field, size_t at, struct snp_err *err)
{
	if (algo != SNP_ID_ALGO_ECDSA_P384_SHA384)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"ID auth: %s at 0x%03zx: %u is not supported (want 1, ECDSA P-384 "
				"with SHA-384)",
				field, at, algo);
	return 0;
}

/*
 * A sub-reader for one embedded structure: `field` names it in the outer
 * reader's messages (truncation), `what` in its own ("ID auth: ID_KEY").
 */
static int view(const struct rd *r, const char *field, const char *what, size_t off, size_t len,
		struct rd *sub, struct snp_err *err)
{
	int ret = rd_view(r, field, off, len, sub, err);

	if (ret == 0)
		sub->what = what;
	return ret;
}

int id_auth_parse(const uint8_t *buf, size_t len, struct snp_id_auth *out, struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "ID auth");
	struct snp_id_auth a = { 0 };
	struct rd sub;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((ret = rd_le32(&r, "ID_KEY_ALGO", &a.id_key_algo, err)) != 0 ||
	    (ret = algo_check(a.id_key_algo, "ID_KEY_ALGO", SNP_ID_AUTH_OFF(id_key_algo),
			      err)) != 0 ||
	    (ret = rd_le32(&r, "AUTH_KEY_ALGO", &a.auth_key_algo, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", sizeof(((struct snp_id_auth_layout *)0)->reserved0),
			   err)) != 0)
		goto out;
	if ((ret = view(&r, "ID_BLOCK_SIG", "ID auth: ID_BLOCK_SIG", SNP_ID_AUTH_OFF(id_block_sig),
			SNP_ECDSA_SIG_SIZE, &sub, err)) != 0 ||
	    (ret = sig_read(&sub, &a.id_block_sig, err)) != 0 ||
	    (ret = view(&r, "ID_KEY", "ID auth: ID_KEY", SNP_ID_AUTH_OFF(id_key), SNP_PUBKEY_SIZE,
			&sub, err)) != 0 ||
	    (ret = pubkey_read(&sub, &a.id_key, err)) != 0 ||
	    (ret = rd_seek(&r, SNP_ID_AUTH_OFF(reserved1), "reserved", err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", sizeof(((struct snp_id_auth_layout *)0)->reserved1),
			   err)) != 0)
		goto out;
	if (a.auth_key_algo == 0) {
		/* No author key: the firmware's AUTHOR_KEY_EN must be off, the fields unused. */
		if ((ret = rd_zero(&r, "ID_KEY_SIG (AUTH_KEY_ALGO is 0)", SNP_ECDSA_SIG_SIZE,
				   err)) != 0 ||
		    (ret = rd_zero(&r, "AUTHOR_KEY (AUTH_KEY_ALGO is 0)", SNP_PUBKEY_SIZE,
				   err)) != 0)
			goto out;
	} else {
		if ((ret = algo_check(a.auth_key_algo, "AUTH_KEY_ALGO",
				      SNP_ID_AUTH_OFF(auth_key_algo), err)) != 0 ||
		    (ret = view(&r, "ID_KEY_SIG", "ID auth: ID_KEY_SIG",
				SNP_ID_AUTH_OFF(id_key_sig), SNP_ECDSA_SIG_SIZE, &sub, err)) != 0 ||
		    (ret = sig_read(&sub, &a.id_key_sig, err)) != 0 ||
		    (ret = view(&r, "AUTHOR_KEY", "ID auth: AUTHOR_KEY",
				SNP_ID_AUTH_OFF(author_key), SNP_PUBKEY_SIZE, &sub, err)) != 0 ||
		    (ret = pubkey_read(&sub, &a.author_key, err)) != 0 ||
		    (ret = rd_seek(&r, SNP_ID_AUTH_OFF(reserved2), "reserved", err)) != 0)
			goto out;
	}
	if ((ret = rd_zero(&r, "reserved", sizeof(((struct snp_id_auth_layout *)0)->reserved2),
			   err)) != 0 ||
	    (ret = rd_end(&r, err)) != 0)
		goto out;
	*out = a;
	ret = 0;
out:
	return ret;
}

void snp_ecdsa_sig_write(const struct snp_ecdsa_sig *sig, uint8_t out[SNP_ECDSA_SIG_SIZE])
{
	memset(out, 0, SNP_ECDSA_SIG_SIZE);
	memcpy(out + offsetof(struct snp_ecdsa_sig_layout, r), sig->r, sizeof(sig->r));
	memcpy(out + offsetof(struct snp_ecdsa_sig_layout, s), sig->s, sizeof(sig->s));
}

void snp_pubkey_write(const struct snp_pubkey *pk, uint8_t out[SNP_PUBKEY_SIZE])
{
	memset(out, 0, SNP_PUBKEY_SIZE);
	le32_put(out + offsetof(struct snp_pubkey_layout, curve), pk->curve);
	memcpy(out + offsetof(struct snp_pubkey_layout, qx), pk->qx, sizeof(pk->qx));
	memcpy(out + offsetof(struct snp_pubkey_layout, qy), pk->qy, sizeof(pk->qy));
}

void id_auth_write(const struct snp_id_auth *a, uint8_t out[SNP_ID_AUTH_SIZE])
{
	memset(out, 0, SNP_ID_AUTH_SIZE);
	le32_put(out + SNP_ID_AUTH_OFF(id_key_algo), a->id_key_algo);
	le32_put(out + SNP_ID_AUTH_OFF(auth_key_algo), a->auth_key_algo);
	snp_ecdsa_sig_write(&a->id_block_sig, out + SNP_ID_AUTH_OFF(id_block_sig));
	snp_pubkey_write(&a->id_key, out + SNP_ID_AUTH_OFF(id_key));
	if (a->auth_key_algo != 0) {
		snp_ecdsa_sig_write(&a->id_key_sig, out + SNP_ID_AUTH_OFF(id_key_sig));
		snp_pubkey_write(&a->author_key, out + SNP_ID_AUTH_OFF(author_key));
	}
}
