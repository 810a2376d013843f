/*
 * snpvm id-block: build and sign the SNP_LAUNCH_FINISH ID block and ID auth
 * block (docs/id-block.md), and print them with the key digests an
 * attestation report will carry.
 */
#include <getopt.h>
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
#include "measure/idblock.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/log.h"

#define CMD "id-block"

struct idblock_opts {
	const char *measurement;
	const char *id_key;
	const char *author_key;
	const char *id_block_out;
	const char *id_auth_out;
	struct snp_id_block block;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snpvm id-block --measurement HEX|B64 --id-key PEM [--author-key PEM]\n"
		"                      [--family-id HEX] [--image-id HEX] [--guest-svn N]\n"
		"                      [--policy N] [--id-block-out FILE] [--id-auth-out FILE]\n"
		"                      [--json]\n\n"
		"Builds the SNP_LAUNCH_FINISH ID block for an expected launch measurement and\n"
		"signs it (ECDSA P-384 with SHA-384) into an ID auth block. Prints both in\n"
		"base64, the QEMU sev-snp-guest options, and the SHA-384 digests of the ID and\n"
		"author public keys (ID_KEY_DIGEST and AUTHOR_KEY_DIGEST in reports).\n\n"
		"  --measurement V     expected launch digest: 96 hex digits or base64 (48 bytes)\n"
		"  --id-key PEM        ID key: EC P-384 private key (EC PRIVATE KEY or PKCS#8)\n"
		"  --author-key PEM    author key (P-384); signs the ID key. Without it there is\n"
		"                      no author key: AUTH_KEY_ALGO 0, author-key-enabled=off\n"
		"  --family-id HEX     FAMILY_ID, 32 hex digits (default: zero)\n"
		"  --image-id HEX      IMAGE_ID, 32 hex digits (default: zero)\n"
		"  --guest-svn N       GUEST_SVN, u32, decimal or 0x hex (default: 0)\n"
		"  --policy N          guest POLICY, u64, decimal or 0x hex (default: 0x30000);\n"
		"                      must equal the launch policy\n"
		"  --id-block-out FILE write the raw 96-byte ID block\n"
		"  --id-auth-out FILE  write the raw 4096-byte ID auth block\n"
		"  --json              print a JSON object (digests in hex and base64)\n"
		"  --help              this help\n\n"
		"VERSION is always 1. Exit status: 0 done, 2 bad usage or input, 3 other.\n");
}

enum { OPT_MEAS = 256, OPT_IDKEY, OPT_AUTHKEY, OPT_FAMILY, OPT_IMAGE, OPT_SVN, OPT_POLICY,
       OPT_BLOCKOUT, OPT_AUTHOUT, OPT_JSON, OPT_HELP };

static const struct option long_opts[] = {
	{ "measurement", required_argument, NULL, OPT_MEAS },
	{ "id-key", required_argument, NULL, OPT_IDKEY },
	{ "author-key", required_argument, NULL, OPT_AUTHKEY },
	{ "family-id", required_argument, NULL, OPT_FAMILY },
	{ "image-id", required_argument, NULL, OPT_IMAGE },
	{ "guest-svn", required_argument, NULL, OPT_SVN },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "id-block-out", required_argument, NULL, OPT_BLOCKOUT },
	{ "id-auth-out", required_argument, NULL, OPT_AUTHOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Fills *o from argv. Returns 0, 1 for --help, or an SNP_E_INVALID error. */
static int opts_parse(int argc, char **argv, struct idblock_opts *o, struct snp_err *err)
{
	uint64_t v;
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->block.version = SNP_ID_BLOCK_VERSION;
	o->block.policy = IDBLOCK_DEFAULT_POLICY;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_MEAS:
			o->measurement = optarg;
			break;
		case OPT_IDKEY:
			o->id_key = optarg;
			break;
		case OPT_AUTHKEY:
			o->author_key = optarg;
			break;
		case OPT_FAMILY:
			if ((ret = hex_decode(optarg, o->block.family_id,
					      sizeof(o->block.family_id), "--family-id", err)) != 0)
				return ret;
			break;
		case OPT_IMAGE:
			if ((ret = hex_decode(optarg, o->block.image_id, sizeof(o->block.image_id),
					      "--image-id", err)) != 0)
				return ret;
			break;
		case OPT_SVN:
			if ((ret = cli_parse_u64("--guest-svn", optarg, UINT32_MAX, &v, err)) != 0)
				return ret;
			o->block.guest_svn = (uint32_t)v;
			break;
		case OPT_POLICY:
			if ((ret = cli_parse_u64("--policy", optarg, UINT64_MAX, &v, err)) != 0 ||
			    (ret = snp_policy_check(v, "--policy", err)) != 0)
				return ret;
			o->block.policy = v;
			break;
		case OPT_BLOCKOUT:
			o->id_block_out = optarg;
			break;
		case OPT_AUTHOUT:
			o->id_auth_out = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_HELP:
			return 1;
		case ':':
			return snp_errf(err, SNP_E_INVALID, "%s needs a value", argv[optind - 1]);
		default:
			return snp_errf(err, SNP_E_INVALID, "unknown option '%s'",
					argv[optind - 1]);
		}
	}
	if (optind < argc)
		return snp_errf(err, SNP_E_INVALID, "unexpected argument '%s'", argv[optind]);
	if (!o->measurement)
		return snp_errf(err, SNP_E_INVALID, "--measurement is required");
	if (!o->id_key)
		return snp_errf(err, SNP_E_INVALID, "--id-key is required");
	return hex_or_b64_decode(o->measurement, o->block.ld, sizeof(o->block.ld),
				 "--measurement", err);
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

	ret = opts_parse(argc, argv, &o, &err);
	if (ret == 1) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (ret != 0) {
		cli_print_error(CMD, &err, o.json);
		fprintf(stderr, "(see 'snpvm id-block --help')\n");
		return EXIT_USAGE;
	}
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
