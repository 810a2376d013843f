/*
 * snpvm sim: the simulated AMD secure processor (docs/sim.md).
 *   sim init    create a sim state directory (keys, certificates, CRL)
 *   sim status  print the platform (SNP_PLATFORM_STATUS)
 *   sim report  launch a guest (what `snpvm measure` predicts, or a tiny demo)
 *               and get a signed report from it
 *   sim kds     serve the certificates under AMD KDS's URL layout
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "abi/idblock.h"
#include "abi/policy.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/measure-args.h"
#include "sim/demo.h"
#include "sim/kds.h"
#include "sim/launch.h"
#include "sim/sp.h"
#include "sim/store.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/log.h"

#define MAX_SEED 64
#define MAX_FIRMWARE (64u << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snpvm sim init --dir DIR --product milan|genoa|turin [--tcb TCB]\n"
		"                      [--signer vcek|vlek] [--seed HEX] [--json]\n"
		"       snpvm sim status --dir DIR [--json]\n"
		"       snpvm sim report --dir DIR --report-data HEX --out FILE [--vmpl N]\n"
		"                        [--host] [--policy N] [--host-data HEX]\n"
		"                        [--firmware FILE | --ovmf FILE --vcpus N ...]\n"
		"                        [--id-block FILE --id-auth FILE [--author-key-en]]\n"
		"                        [--cert-table FILE] [--json]\n"
		"       snpvm sim kds --dir DIR --listen IP:PORT\n\n"
		"A software model of the AMD secure processor's SNP firmware, with an AMD-format\n"
		"key hierarchy (ARK -> ASK/ASVK -> VCEK/VLEK) whose root is NOT trusted by\n"
		"default: verify its reports with `snpvm verify --trust-sim-root DIR/certs/ark.pem`.\n"
		"Each subcommand has --help. See docs/sim.md.\n");
}

static void usage_init(FILE *f)
{
	fprintf(f,
		"usage: snpvm sim init --dir DIR --product milan|genoa|turin [--tcb TCB]\n"
		"                      [--signer vcek|vlek] [--seed HEX] [--json]\n\n"
		"Creates a sim state directory: DIR/sim.json, DIR/keys/*.key (0600),\n"
		"DIR/certs/{ark,ask|asvk,vcek|vlek}.pem and DIR/crl.der. Refuses to overwrite\n"
		"an existing sim. Generating the two RSA-4096 keys takes seconds.\n\n"
		"  --dir DIR        the state directory (created if absent)\n"
		"  --product P      milan, genoa or turin\n"
		"  --tcb TCB        current = committed = reported TCB: 16 hex digits (report\n"
		"                   byte order) or bl=N,tee=N,snp=N,ucode=N[,fmc=N]\n"
		"                   (default: the product's TCB seen in AMD-signed reports)\n"
		"  --signer S       vcek (default) or vlek: the key that signs reports\n"
		"  --seed HEX       derive every key and the chip id from this seed (up to %d\n"
		"                   bytes): the same seed gives the same keys. For tests only\n"
		"  --json           print the result as JSON\n",
		MAX_SEED);
}

static void usage_status(FILE *f)
{
	fprintf(f, "usage: snpvm sim status --dir DIR [--json]\n\n"
		   "Prints what SNP_PLATFORM_STATUS reports for the sim in DIR: product, signer,\n"
		   "firmware version, current/committed/reported TCB, PLATFORM_INFO, chip id.\n");
}

static void usage_report(FILE *f)
{
	fprintf(f,
		"usage: snpvm sim report --dir DIR --report-data HEX --out FILE [--vmpl N]\n"
		"                        [--host] [--policy N] [--host-data HEX]\n"
		"                        [--firmware FILE | --ovmf FILE --vcpus N ...]\n"
		"                        [--id-block FILE --id-auth FILE [--author-key-en]]\n"
		"                        [--cert-table FILE] [--json]\n\n"
		"Launches a guest on the sim and asks for a signed attestation report through\n"
		"the encrypted guest request (MSG_REPORT_REQ with VMPCK[N]), or with --host\n"
		"through SNP_HV_REPORT_REQ. With --ovmf and the other `snpvm measure` flags the\n"
		"launch is the one `snpvm measure` predicts for them (same flags, same digest):\n"
		"the firmware, its SEV metadata sections, a CPUID page the sim accepts, the\n"
		"secrets page and one VMSA per vCPU. Without them it is a tiny demo launch\n"
		"(LAUNCH_UPDATE of the --firmware or one demo page, a SECRETS, a CPUID and a\n"
		"VMSA page).\n\n"
		"  --report-data HEX  REPORT_DATA: up to 64 bytes of hex, zero-padded\n"
		"  --out FILE         where to write the 1184-byte report\n"
		"  --vmpl N           VMPL of the request, 0..3 (default 0)\n"
		"  --host             a host-requested report (VMPL 0xFFFFFFFF)\n"
		"  --policy N         guest policy (default 0x30000)\n"
		"  --host-data HEX    HOST_DATA, 32 bytes of hex (default zero)\n"
		"  --firmware FILE    demo launch: FILE as NORMAL pages ending at 4 GiB\n"
		"  --id-block FILE    the raw 96-byte ID block for LAUNCH_FINISH (as written by\n"
		"                     `snpvm id-block --id-block-out`; needs --ovmf)\n"
		"  --id-auth FILE     the raw 4096-byte ID auth block (--id-auth-out)\n"
		"  --author-key-en    the ID auth block carries an author key\n"
		"  --cert-table FILE  also write the extended-request certificate table\n"
		"  --json             print the measurement and paths as JSON\n"
		"\n"
		"The launch flags of `snpvm measure` (see its --help):\n");
	measure_args_usage(f);
	fprintf(f, "\nA refused launch (e.g. an ID block for another digest) names the firmware\n"
		   "status, e.g. BAD_MEASUREMENT, and exits 1.\n");
}

static void usage_kds(FILE *f)
{
	fprintf(f, "usage: snpvm sim kds --dir DIR --listen IP:PORT\n\n"
		   "Serves the sim's certificates and CRL under AMD KDS's URL layout until\n"
		   "SIGINT or SIGTERM, on the given IPv4 address only (port 0: any free port;\n"
		   "the bound address is printed on stdout):\n"
		   "  /vcek/v1/{P}/cert_chain  /vcek/v1/{P}/crl\n"
		   "  /vcek/v1/{P}/{hwid}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..[&fmcSPL=..]\n"
		   "  /vlek/v1/{P}/cert_chain  /vlek/v1/{P}/crl\n");
}

enum {
	O_DIR = 1000, O_PRODUCT, O_TCB, O_SIGNER, O_SEED, O_JSON, O_HELP, O_RD, O_OUT, O_VMPL,
	O_HOST, O_POLICY, O_HOSTDATA, O_FIRMWARE, O_TABLE, O_LISTEN, O_IDBLOCK, O_IDAUTH,
	O_AUTHOR_EN,
};

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, O_DIR },
	{ "product", required_argument, NULL, O_PRODUCT },
	{ "tcb", required_argument, NULL, O_TCB },
	{ "signer", required_argument, NULL, O_SIGNER },
	{ "seed", required_argument, NULL, O_SEED },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, O_HELP },
	{ "report-data", required_argument, NULL, O_RD },
	{ "out", required_argument, NULL, O_OUT },
	{ "vmpl", required_argument, NULL, O_VMPL },
	{ "host", no_argument, NULL, O_HOST },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "host-data", required_argument, NULL, O_HOSTDATA },
	{ "firmware", required_argument, NULL, O_FIRMWARE },
	{ "cert-table", required_argument, NULL, O_TABLE },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "id-block", required_argument, NULL, O_IDBLOCK },
	{ "id-auth", required_argument, NULL, O_IDAUTH },
	{ "author-key-en", no_argument, NULL, O_AUTHOR_EN },
	MEASURE_ARGS_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct sim_args {
	const char *dir, *product, *tcb, *signer, *seed, *report_data, *out, *vmpl, *policy,
		*host_data, *firmware, *table, *listen, *id_block, *id_auth;
	bool json, host, help, author_key_en;
};

/*
 * Parses argv (argv[0] is the subcommand); returns 0 or EXIT_USAGE after
 * printing why. m (report only, else NULL) takes the measure flags.
 */
static int parse(int argc, char **argv, struct sim_args *a, void (*sub_usage)(FILE *),
		 struct measure_args *m)
{
	struct snp_err err = { 0 };
	int c;

	memset(a, 0, sizeof(*a));
	if (m)
		measure_args_init(m);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_PRODUCT: a->product = optarg; break;
		case O_TCB: a->tcb = optarg; break;
		case O_SIGNER: a->signer = optarg; break;
		case O_SEED: a->seed = optarg; break;
		case O_JSON: a->json = true; break;
		case O_HELP: a->help = true; break;
		case O_RD: a->report_data = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_VMPL: a->vmpl = optarg; break;
		case O_HOST: a->host = true; break;
		case O_POLICY: a->policy = optarg; break;
		case O_HOSTDATA: a->host_data = optarg; break;
		case O_FIRMWARE: a->firmware = optarg; break;
		case O_TABLE: a->table = optarg; break;
		case O_LISTEN: a->listen = optarg; break;
		case O_IDBLOCK: a->id_block = optarg; break;
		case O_IDAUTH: a->id_auth = optarg; break;
		case O_AUTHOR_EN: a->author_key_en = true; break;
		default:
			if (m && measure_args_is_option(c)) {
				if (measure_args_option(m, c, optarg, &err) == 0)
					break;
				cli_print_error("sim report", &err, false);
				sub_usage(stderr);
				return EXIT_USAGE;
			}
			fprintf(stderr, "snpvm sim %s: unknown or incomplete option '%s'\n", argv[0],
				argv[optind - 1]);
			sub_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (a->help) {
		sub_usage(stdout);
		return 0;
	}
	if (optind != argc) {
		fprintf(stderr, "snpvm sim %s: unexpected argument '%s'\n", argv[0], argv[optind]);
		sub_usage(stderr);
		return EXIT_USAGE;
	}
	if (a->dir == NULL) {
		fprintf(stderr, "snpvm sim %s: --dir DIR is required\n", argv[0]);
		sub_usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

static int fail(const char *sub, struct snp_err *err, bool json)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "sim %s", sub);
	cli_print_error(cmd, err, json);
	return cli_exit_status(err->code);
}

/* Decodes up to len bytes of hex into out (zero-padded). */
static int hex_upto(const char *s, uint8_t *out, size_t len, const char *what,
		    struct snp_err *err)
{
	size_t n = strlen(s);

	memset(out, 0, len);
	if (n % 2 != 0 || n / 2 > len)
		return snp_errf(err, SNP_E_INVALID, "%s: want up to %zu bytes of hex (got %zu digits)",
				what, len, n);
	return n ? hex_decode(s, out, n / 2, what, err) : 0;
}

static void tcb_print(const char *name, enum snp_product p, const struct snp_tcb *t)
{
	printf("%-14s", name);
	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++)
		if (snp_tcb_byte_index(p, (enum snp_tcb_component)c) >= 0)
			printf(" %s=%u", snp_tcb_component_name((enum snp_tcb_component)c),
			       snp_tcb_get(t, (enum snp_tcb_component)c));
	printf("\n");
}

static json_t *tcb_json(enum snp_product p, const struct snp_tcb *t)
{
	char hex[17];
	json_t *o = json_object();

	hex_encode(t->raw, SNP_TCB_SIZE, hex);
	json_object_set_new(o, "raw", json_string(hex));
	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++)
		if (snp_tcb_byte_index(p, (enum snp_tcb_component)c) >= 0)
			json_object_set_new(o, snp_tcb_component_name((enum snp_tcb_component)c),
					    json_integer(snp_tcb_get(t, (enum snp_tcb_component)c)));
	return o;
}

static int print_platform(const char *dir, const struct sim_platform *p, bool json,
			  struct snp_err *err)
{
	char chip[2 * SNP_CHIP_ID_SIZE + 1];
	size_t chip_len = snp_product_chip_id_len(p->product);
	const char *signer = p->signer == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK";

	char fw[16];

	hex_encode(p->chip_id, chip_len, chip);
	snprintf(fw, sizeof(fw), "%u.%u.%u", p->fw_major, p->fw_minor, p->fw_build);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:s, s:i}", "dir",
				      dir, "product", snp_product_name(p->product), "signer", signer,
				      "firmware", fw, "current_tcb",
				      tcb_json(p->product, &p->current_tcb), "committed_tcb",
				      tcb_json(p->product, &p->committed_tcb), "reported_tcb",
				      tcb_json(p->product, &p->reported_tcb), "platform_info",
				      (json_int_t)p->platform_info, "chip_id", chip,
				      "report_version", (int)p->report_version);
		return cli_print_json(o, err);
	}
	printf("dir            %s\n", dir);
	printf("product        %s (CPUID family 0x%02x model 0x%02x stepping %u)\n",
	       snp_product_name(p->product), p->cpuid_family, p->cpuid_model, p->cpuid_stepping);
	printf("signer         %s\n", signer);
	printf("firmware       %u.%u build %u (committed %u.%u build %u)\n", p->fw_major,
	       p->fw_minor, p->fw_build, p->committed_major, p->committed_minor,
	       p->committed_build);
	tcb_print("current TCB", p->product, &p->current_tcb);
	tcb_print("committed TCB", p->product, &p->committed_tcb);
	tcb_print("reported TCB", p->product, &p->reported_tcb);
	printf("platform info  0x%" PRIx64 "\n", p->platform_info);
	printf("chip id        %s\n", chip);
	printf("report version %u\n", p->report_version);
	return 0;
}

static int sim_init(int argc, char **argv)
{
	struct sim_args a;
	struct sim_init_opts o = { 0 };
	struct snp_tcb tcb;
	struct snp_err err = { 0 };
	struct sim_store st;
	uint8_t seed[MAX_SEED];
	int ret;

	if ((ret = parse(argc, argv, &a, usage_init, NULL)) != 0 || a.help)
		return ret;
	if (a.product == NULL) {
		fprintf(stderr, "snpvm sim init: --product is required\n");
		usage_init(stderr);
		return EXIT_USAGE;
	}
	o.dir = a.dir;
	o.now = time(NULL);
	o.signer = SNP_SIGNING_KEY_VCEK;
	if ((ret = snp_product_from_name(a.product, &o.product, &err)) != 0)
		return fail("init", &err, a.json);
	if (a.signer && strcmp(a.signer, "vlek") == 0) {
		o.signer = SNP_SIGNING_KEY_VLEK;
	} else if (a.signer && strcmp(a.signer, "vcek") != 0) {
		snp_errf(&err, SNP_E_INVALID, "--signer: '%s' (want vcek or vlek)", a.signer);
		return fail("init", &err, a.json);
	}
	if (a.tcb) {
		struct sim_platform def;

		sim_platform_defaults(o.product, &def);
		tcb = def.current_tcb;
		if ((ret = sim_platform_parse_tcb(o.product, a.tcb, &tcb, &err)) != 0)
			return fail("init", &err, a.json);
		o.tcb = &tcb;
	}
	if (a.seed) {
		size_t n = strlen(a.seed);

		if (n == 0 || n % 2 || n / 2 > MAX_SEED ||
		    hex_decode(a.seed, seed, n / 2, "--seed", &err) != 0) {
			snp_errf(&err, SNP_E_INVALID, "--seed: want 1..%d bytes of hex", MAX_SEED);
			return fail("init", &err, a.json);
		}
		o.seed = seed;
		o.seed_len = n / 2;
		log_warn("deterministic keys from --seed: for tests only");
	}
	log_info("generating RSA-4096 keys (a few seconds)");
	if ((ret = sim_store_init(&o, &err)) != 0 || (ret = sim_store_load(a.dir, &st, &err)) != 0)
		return fail("init", &err, a.json);
	ret = print_platform(a.dir, &st.plat, a.json, &err);
	sim_store_free(&st);
	return ret ? fail("init", &err, false) : EXIT_DONE;
}

static int sim_status(int argc, char **argv)
{
	struct sim_args a;
	struct snp_err err = { 0 };
	struct sim_store st;
	int ret;

	if ((ret = parse(argc, argv, &a, usage_status, NULL)) != 0 || a.help)
		return ret;
	if ((ret = sim_store_load(a.dir, &st, &err)) != 0)
		return fail("status", &err, a.json);
	ret = print_platform(a.dir, &st.plat, a.json, &err);
	sim_store_free(&st);
	return ret ? fail("status", &err, false) : EXIT_DONE;
}

/* Reads the raw ID block and ID auth block for LAUNCH_FINISH. */
static int read_id_files(const struct sim_args *a, uint8_t **block, uint8_t **auth,
			 struct snp_err *err)
{
	size_t blen = 0, alen = 0;
	int ret;

	if ((ret = file_read(a->id_block, SNP_ID_BLOCK_SIZE, block, &blen, err)) != 0 ||
	    (ret = file_read(a->id_auth, SNP_ID_AUTH_SIZE, auth, &alen, err)) != 0)
		return ret;
	if (blen != SNP_ID_BLOCK_SIZE)
		return snp_errf(err, SNP_E_INVALID, "--id-block %s: %zu bytes, want %d", a->id_block,
				blen, SNP_ID_BLOCK_SIZE);
	if (alen != SNP_ID_AUTH_SIZE)
		return snp_errf(err, SNP_E_INVALID, "--id-auth %s: %zu bytes, want %d", a->id_auth,
				alen, SNP_ID_AUTH_SIZE);
	return 0;
}

/* Flags that cannot go together are refused before anything runs. */
static int report_check(const struct sim_args *a, struct measure_args *m, struct snp_err *err)
{
	if (a->report_data == NULL || a->out == NULL)
		return snp_errf(err, SNP_E_INVALID, "--report-data and --out are required");
	if (m->any && a->firmware)
		return snp_errf(err, SNP_E_INVALID,
				"--firmware (demo launch) and the measure flags (--ovmf ...) "
				"exclude each other");
	if ((a->id_block || a->id_auth || a->author_key_en) && !(a->id_block && a->id_auth))
		return snp_errf(err, SNP_E_INVALID, "--id-block and --id-auth go together");
	if (a->id_block && !m->any)
		return snp_errf(err, SNP_E_INVALID, "--id-block needs a measured launch (--ovmf ...)");
	if (m->has_ovmf_hash)
		return snp_errf(err, SNP_E_INVALID,
				"--snp-ovmf-hash: a launch needs the whole firmware: an OVMF hash "
				"seed is a digest notion");
	return m->any ? measure_args_check(m, err) : 0;
}

static int sim_report(int argc, char **argv)
{
	struct sim_args a;
	struct measure_args m;
	struct snp_err err = { 0 };
	struct sim_demo_opts o = { .policy = 0x30000 };
	struct sim_sp *sp = NULL;
	struct sim_guest *g = NULL;
	uint8_t rd[64], report[SNP_REPORT_SIZE], *fw = NULL, *table = NULL;
	uint8_t *id_block = NULL, *id_auth = NULL;
	size_t fw_len = 0, table_len = 0;
	uint64_t vmpl = 0;
	char meas[2 * SNP_MEASUREMENT_SIZE + 1];
	int ret, status = EXIT_USAGE;

	if ((ret = parse(argc, argv, &a, usage_report, &m)) != 0 || a.help)
		return ret;
	if ((ret = report_check(&a, &m, &err)) != 0) {
		cli_print_error("sim report", &err, a.json);
		usage_report(stderr);
		return EXIT_USAGE;
	}
	if ((ret = hex_upto(a.report_data, rd, sizeof(rd), "--report-data", &err)) != 0 ||
	    (a.host_data &&
	     (ret = hex_upto(a.host_data, o.host_data, 32, "--host-data", &err)) != 0) ||
	    (a.vmpl && (ret = cli_parse_u64("--vmpl", a.vmpl, 3, &vmpl, &err)) != 0) ||
	    (a.policy &&
	     (ret = cli_parse_u64("--policy", a.policy, UINT64_MAX, &o.policy, &err)) != 0) ||
	    (a.firmware && (ret = file_read(a.firmware, MAX_FIRMWARE, &fw, &fw_len, &err)) != 0) ||
	    (a.id_block && (ret = read_id_files(&a, &id_block, &id_auth, &err)) != 0) ||
	    (m.any && (ret = measure_args_open(&m, &err)) != 0))
		goto fail;
	o.firmware = fw;
	o.firmware_len = fw_len;
	status = EXIT_FAILURE_;
	if ((ret = sim_sp_open(a.dir, &sp, &err)) != 0)
		goto fail;
	if (m.any)
		ret = sim_launch_measured(sp, &m.o.launch, o.policy, id_block, id_auth, a.author_key_en,
					  o.host_data, &g, NULL, &err);
	else
		ret = sim_demo_launch(sp, &o, &g, &err);
	if (ret != 0)
		goto fail;
	if (a.host)
		ret = sim_hv_report(g, rd, report, NULL, &err);
	else
		ret = sim_guest_report(g, rd, (uint32_t)vmpl, report, &err);
	if (ret != 0 || (ret = file_write_atomic(a.out, report, sizeof(report), 0644, &err)) != 0)
		goto fail;
	if (a.table && ((ret = sim_store_cert_table(&sp->store, &table, &table_len, &err)) != 0 ||
			(ret = file_write_atomic(a.table, table, table_len, 0644, &err)) != 0))
		goto fail;
	hex_encode(g->measurement, SNP_MEASUREMENT_SIZE, meas);
	if (a.json) {
		json_t *j = json_pack("{s:s, s:s, s:s?, s:I}", "report", a.out, "measurement", meas,
				      "cert_table", a.table,
				      "vmpl", a.host ? (json_int_t)SIM_HV_REPORT_VMPL : (json_int_t)vmpl);

		if ((ret = cli_print_json(j, &err)) != 0)
			goto fail;
	} else {
		printf("report      %s\n", a.out);
		printf("measurement %s\n", meas);
		if (a.table)
			printf("cert table  %s\n", a.table);
	}
	status = EXIT_DONE;
	goto out;
fail:
	cli_print_error("sim report", &err, a.json);
	if (status != EXIT_USAGE || ret != SNP_E_INVALID)
		status = cli_exit_status(err.code);
out:
	free(id_auth);
	free(id_block);
	free(table);
	free(fw);
	measure_args_close(&m);
	sim_guest_free(g);
	sim_sp_close(sp);
	return status;
}

static int sim_kds(int argc, char **argv)
{
	struct sim_args a;
	struct snp_err err = { 0 };
	struct sim_store st;
	struct sim_kds *kds = NULL;
	sigset_t set;
	uint16_t port = 0;
	int sig = 0, ret;

	if ((ret = parse(argc, argv, &a, usage_kds, NULL)) != 0 || a.help)
		return ret;
	if (a.listen == NULL) {
		fprintf(stderr, "snpvm sim kds: --listen IP:PORT is required\n");
		usage_kds(stderr);
		return EXIT_USAGE;
	}
	if ((ret = sim_store_load(a.dir, &st, &err)) != 0)
		return fail("kds", &err, false);
	/* Block the stop signals before the server thread starts, then wait for one. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((ret = sim_kds_start(&st, a.listen, &kds, &port, &err)) != 0) {
		sim_store_free(&st);
		return fail("kds", &err, false);
	}
	{
		char host[64];
		const char *colon = strrchr(a.listen, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - a.listen), a.listen);
		printf("listening on http://%s:%u\n", host, port);
		fflush(stdout);
	}
	log_info("serving %s", a.dir);
	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	sim_kds_stop(kds);
	sim_store_free(&st);
	return EXIT_DONE;
}

int cmd_sim(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "init", sim_init },
		{ "status", sim_status },
		{ "report", sim_report },
		{ "kds", sim_kds },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_DONE;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "snpvm sim: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
