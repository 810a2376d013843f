/*
 * snpvm id-block: build and sign the SNP_LAUNCH_FINISH ID block and ID auth
 * block (docs/id-block.md), and print them with the key digests an
 * attestation report will carry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "abi/policy.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "measure/idblock.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/log.h"

#define CMD "id-block"

struct idblock_opts {
	const char *id_key;
	const char *author_key;
	const char *id_block_out;
	const char *id_auth_out;
	struct snp_id_block block;
	bool json;
};

static int parse_measurement(void *value, const char *s, struct snp_err *err)
{
	return hex_or_b64_decode(s, value, sizeof(((struct snp_id_block *)0)->ld), "--measurement",
				 err);
}

static int parse_policy(void *value, const char *s, struct snp_err *err)
{
	uint64_t *policy = value, v;
	int ret;

	if ((ret = cli_parse_u64("--policy", s, UINT64_MAX, &v, err)) != 0 ||
	    (ret = snp_policy_check(v, "--policy", err)) != 0)
		return ret;
	*policy = v;
	return 0;
}

/* Fills *o from argv. Returns true to go on; else false with *status set (help or usage error). */
static bool opts_parse(int argc, char **argv, struct idblock_opts *o, int *status)
{
	const struct opt opts[] = {
		OPT_CALL("measurement", parse_measurement, o->block.ld, "HEX|B64",
			   "expected launch digest: 96 hex digits or base64 (48 bytes)",
			   .required = true),
		OPT_STRING("id-key", &o->id_key, "PEM",
			   "ID key: EC P-384 private key (EC PRIVATE KEY or PKCS#8)",
			   .required = true),
		OPT_STRING("author-key", &o->author_key, "PEM",
			   "author key (P-384); signs the ID key. Without it there is\n"
			   "no author key: AUTH_KEY_ALGO 0, author-key-enabled=off"),
		OPT_HEX("family-id", o->block.family_id, sizeof(o->block.family_id), "HEX",
			"FAMILY_ID, 32 hex digits (default: zero)"),
		OPT_HEX("image-id", o->block.image_id, sizeof(o->block.image_id), "HEX",
			"IMAGE_ID, 32 hex digits (default: zero)"),
		OPT_U32("guest-svn", &o->block.guest_svn, 0, UINT32_MAX, "N",
			"GUEST_SVN, u32, decimal or 0x hex (default: 0)"),
		OPT_CALL("policy", parse_policy, &o->block.policy, "N",
			 "guest POLICY, u64, decimal or 0x hex (default: 0x30000);\n"
			 "must equal the launch policy"),
		OPT_STRING("id-block-out", &o->id_block_out, "FILE", "write the raw 96-byte ID block"),
		OPT_STRING("id-auth-out", &o->id_auth_out, "FILE",
			   "write the raw 4096-byte ID auth block"),
		OPT_FLAG("json", &o->json, "print a JSON object (digests in hex and base64)"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = CMD,
		.opts = opts,
		.json = &o->json,
		.about = "Builds the SNP_LAUNCH_FINISH ID block for an expected launch measurement and\n"
			 "signs it (ECDSA P-384 with SHA-384) into an ID auth block. Prints both in\n"
			 "base64, the QEMU sev-snp-guest options, and the SHA-384 digests of the ID and\n"
			 "author public keys (ID_KEY_DIGEST and AUTHOR_KEY_DIGEST in reports).\n",
		.epilog = "VERSION is always 1. Exit status: 0 done, 2 bad usage or input, 3 other.\n",
	};

	memset(o, 0, sizeof(*o));
	o->block.version = SNP_ID_BLOCK_VERSION;
	o->block.policy = IDBLOCK_DEFAULT_POLICY;
	return cli_opt_parse(&cmd, argc, argv, status);
}

/*
 * Writes a raw block with file_write_atomic. That renames over the target, so
 * an existing non-regular file (/dev/null, a FIFO) is refused, not replaced.
 */
static int write_out(const char *flag, const char *path, const uint8_t *buf, size_t len,
		     struct snp_err *err)
{
	struct stat st;
	int ret;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return snp_errf(err, SNP_E_INVALID,
				"%s: %s exists and is not a regular file; refusing to replace it",
				flag, path);
	if ((ret = file_write_atomic(path, buf, len, 0644, err)) != 0)
		snp_err_prefix(err, "%s: ", flag);
	return ret;
}

static int print_text(const struct idblock_result *r)
{
	char *blk = b64_encode(r->id_block, sizeof(r->id_block));
	char *auth = b64_encode(r->id_auth, sizeof(r->id_auth));
	char *idd = b64_encode(r->id_key_digest, sizeof(r->id_key_digest));
	char *aud = b64_encode(r->author_key_digest, sizeof(r->author_key_digest));
	int ret = SNP_E_NOMEM;

	if (!blk || !auth || !idd || !aud)
		goto out;
	printf("id-block: %s\n", blk);
	printf("id-auth: %s\n", auth);
	printf("id-key-digest: %s\n", idd);
	if (r->author_key_en)
		printf("author-key-digest: %s\n", aud);
	printf("author-key-enabled: %s\n", r->author_key_en ? "on" : "off");
	printf("qemu: id-block=%s,id-auth=%s,author-key-enabled=%s\n", blk, auth,
	       r->author_key_en ? "on" : "off");
	ret = 0;
out:
	free(blk);
	free(auth);
	free(idd);
	free(aud);
	return ret;
}

/* {"hex": ..., "base64": ...} for a digest, or NULL on allocation failure. */
static json_t *digest_json(const uint8_t d[SNP_ID_DIGEST_SIZE])
{
	char hex[2 * SNP_ID_DIGEST_SIZE + 1];
	char *b64 = b64_encode(d, SNP_ID_DIGEST_SIZE);
	json_t *o;

	if (!b64)
		return NULL;
	hex_encode(d, SNP_ID_DIGEST_SIZE, hex);
	o = json_pack("{s:s,s:s}", "hex", hex, "base64", b64);
	free(b64);
	return o;
}

static int print_json(const struct snp_id_block *b, const struct idblock_result *r)
{
	char ld[2 * sizeof(b->ld) + 1], fam[2 * sizeof(b->family_id) + 1];
	char img[2 * sizeof(b->image_id) + 1], policy[24];
	char *blk = b64_encode(r->id_block, sizeof(r->id_block));
	char *auth = b64_encode(r->id_auth, sizeof(r->id_auth));
	json_t *o = NULL;
	int ret = SNP_E_NOMEM;

	if (!blk || !auth)
		goto out;
	hex_encode(b->ld, sizeof(b->ld), ld);
	hex_encode(b->family_id, sizeof(b->family_id), fam);
	hex_encode(b->image_id, sizeof(b->image_id), img);
	snprintf(policy, sizeof(policy), "0x%" PRIx64, b->policy);
	o = json_pack("{s:s,s:s,s:o,s:o*,s:b,s:{s:s,s:s,s:s,s:i,s:I,s:s}}", "id_block", blk,
		      "id_auth", auth, "id_key_digest", digest_json(r->id_key_digest),
		      "author_key_digest",
		      r->author_key_en ? digest_json(r->author_key_digest) : json_null(),
		      "author_key_enabled", r->author_key_en, "fields", "ld", ld, "family_id",
		      fam, "image_id", img, "version", (int)b->version, "guest_svn",
		      (json_int_t)b->guest_svn, "policy", policy);
	ret = cli_print_json(o, NULL);
	o = NULL;
out:
	json_decref(o);
	free(blk);
	free(auth);
	return ret;
}

int cmd_idblock(int argc, char **argv)
{
	struct idblock_result res;
	struct idblock_opts o;
	struct snp_err err = { 0 };
	EVP_PKEY *id_key = NULL, *author_key = NULL;
	bool bad_input = false; /* an unreadable key file is the user's input too: exit 2 */
	int ret;

	if (!opts_parse(argc, argv, &o, &ret))
		return ret;
	if ((ret = idblock_key_load(o.id_key, &id_key, &err)) != 0) {
		snp_err_prefix(&err, "--id-key: ");
		bad_input = true;
		goto out;
	}
	if (o.author_key && (ret = idblock_key_load(o.author_key, &author_key, &err)) != 0) {
		snp_err_prefix(&err, "--author-key: ");
		bad_input = true;
		goto out;
	}
	if ((ret = idblock_make(&o.block, id_key, author_key, &res, &err)) != 0)
		goto out;
	if (o.id_block_out && (ret = write_out("--id-block-out", o.id_block_out, res.id_block,
					       sizeof(res.id_block), &err)) != 0)
		goto out;
	if (o.id_auth_out && (ret = write_out("--id-auth-out", o.id_auth_out, res.id_auth,
					      sizeof(res.id_auth), &err)) != 0)
		goto out;
	ret = o.json ? print_json(&o.block, &res) : print_text(&res);
	if (ret)
		snp_errf(&err, ret, "cannot format the output");
	else
		log_info("ID block signed; author key %s", res.author_key_en ? "on" : "off");
out:
	EVP_PKEY_free(id_key);
	EVP_PKEY_free(author_key);
	if (ret) {
		cli_print_error(CMD, &err, o.json);
		return bad_input ? EXIT_USAGE : cli_exit_status(ret);
	}
	return EXIT_DONE;
}
