/*
 * snpvm sim: the simulated AMD secure processor (docs/sim.md).
 *   sim init    create a sim state directory (keys, certificates, CRL)
 *   sim status  print the platform (SNP_PLATFORM_STATUS)
 *   sim report  launch a guest (what `snpvm measure` predicts, or a built-in
 *               payload) and get a signed report from it
 *   sim kds     serve the certificates under AMD KDS's URL layout
 */
#include <errno.h>
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
#include "cli/opt.h"
#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/launch.h"
#include "measure/payload.h"
#include "sim/kds.h"
#include "sim/sp.h"
#include "sim/store.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/log.h"

#define MAX_SEED 64
/* Guest RAM of a measured `sim report` launch: the OVMF metadata sections lie below 64 MiB. */
#define SIM_REPORT_MEM (64ull << 20)

#define SIM_ABOUT                                                                          \
	"A software model of the AMD secure processor's SNP firmware, with an AMD-format\n"  \
	"key hierarchy (ARK -> ASK/ASVK -> VCEK/VLEK) whose root is NOT trusted by\n"         \
	"default: verify its reports with `snpvm verify --trust-sim-root DIR/certs/ark.pem`.\n" \
	"See docs/sim.md.\n"

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
	struct sim_init_opts o = { .signer = SNP_SIGNING_KEY_VCEK };
	const char *dir = NULL, *tcb_s = NULL, *seed_s = NULL;
	struct snp_tcb tcb;
	struct snp_err err = { 0 };
	struct sim_store st;
	uint8_t seed[MAX_SEED];
	bool json = false;
	int signer = 0, ret;
	const struct opt opts[] = {
		OPT_STRING("dir", &dir, "DIR", "the state directory (created if absent)",
			   .required = true),
		OPT_CALL("product", cli_parse_product, &o.product, "P", "milan, genoa or turin",
			 .required = true),
		OPT_STRING("tcb", &tcb_s, "TCB",
			   "current = committed = reported TCB: 16 hex digits (report\n"
			   "byte order) or bl=N,tee=N,snp=N,ucode=N[,fmc=N]\n"
			   "(default: the product's TCB seen in AMD-signed reports)"),
		OPT_CHOICE("signer", &signer, "vcek|vlek",
			   "the key that signs reports (default vcek)"),
		OPT_STRING("seed", &seed_s, "HEX",
			   "derive every key and the chip id from this seed (up to 64\n"
			   "bytes): the same seed gives the same keys. For tests only"),
		OPT_FLAG("json", &json, "print the result as JSON"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "sim init",
		.opts = opts,
		.json = &json,
		.about = "Creates a sim state directory: DIR/sim.json, DIR/keys/*.key (0600),\n"
			 "DIR/certs/{ark,ask|asvk,vcek|vlek}.pem and DIR/crl.der. Refuses to overwrite\n"
			 "an existing sim. Generating the two RSA-4096 keys takes seconds.\n",
	};

	if (!cli_opt_parse(&cmd, argc, argv, &ret))
		return ret;
	if (signer == 1)
		o.signer = SNP_SIGNING_KEY_VLEK;
	o.dir = dir;
	o.now = time(NULL);
	if (tcb_s) {
		struct sim_platform def;

		sim_platform_defaults(o.product, &def);
		tcb = def.current_tcb;
		if ((ret = sim_platform_parse_tcb(o.product, tcb_s, &tcb, &err)) != 0) {
			snp_err_prefix(&err, "--tcb: ");
			return fail("init", &err, json);
		}
		o.tcb = &tcb;
	}
	if (seed_s) {
		size_t n = strlen(seed_s);

		if (n == 0 || n % 2 || n / 2 > MAX_SEED ||
		    hex_decode(seed_s, seed, n / 2, "--seed", &err) != 0) {
			snp_errf(&err, SNP_E_INVALID, "--seed: want 1..%d bytes of hex", MAX_SEED);
			return fail("init", &err, json);
		}
		o.seed = seed;
		o.seed_len = n / 2;
		log_warn("deterministic keys from --seed: for tests only");
	}
	log_info("generating RSA-4096 keys (a few seconds)");
	if ((ret = sim_store_init(&o, &err)) != 0 || (ret = sim_store_load(dir, &st, &err)) != 0)
		return fail("init", &err, json);
	ret = print_platform(dir, &st.plat, json, &err);
	sim_store_free(&st);
	return ret ? fail("init", &err, false) : EXIT_DONE;
}

static int sim_status(int argc, char **argv)
{
	const char *dir = NULL;
	bool json = false;
	struct snp_err err = { 0 };
	struct sim_store st;
	int ret;
	const struct opt opts[] = {
		OPT_STRING("dir", &dir, "DIR", "the sim's state directory", .required = true),
		OPT_FLAG("json", &json, "print the platform as JSON"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "sim status",
		.opts = opts,
		.json = &json,
		.about = "Prints what SNP_PLATFORM_STATUS reports for the sim in DIR: product, signer,\n"
			 "firmware version, current/committed/reported TCB, PLATFORM_INFO, chip id.\n",
	};

	if (!cli_opt_parse(&cmd, argc, argv, &ret))
		return ret;
	if ((ret = sim_store_load(dir, &st, &err)) != 0)
		return fail("status", &err, json);
	ret = print_platform(dir, &st.plat, json, &err);
	sim_store_free(&st);
	return ret ? fail("status", &err, false) : EXIT_DONE;
}

struct report_args {
	const char *dir, *report_data, *out, *host_data, *table, *id_block, *id_auth;
	uint64_t vmpl;
	bool json, host, author_key_en;
};

/* Reads the raw ID block and ID auth block for LAUNCH_FINISH. */
static int read_id_files(const struct report_args *a, uint8_t **block, uint8_t **auth,
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

struct report_ctx {
	struct report_args *a;
	struct measure_args *m;
};

/* Flags that cannot go together are refused before anything runs (an opt_cmd check). */
static int report_check(void *ctx, struct snp_err *err)
{
	const struct report_args *a = ((struct report_ctx *)ctx)->a;
	struct measure_args *m = ((struct report_ctx *)ctx)->m;

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

/*
 * The payload `sim report` launches when no launch flags are given: a
 * one-segment ELF64 (the payload boot of docs/launch-layout.md) whose 6 bytes
 * of code at 0x100000, its entry, are `xor eax, eax; out 0xf4, al; jmp $`
 * (it would end with status 0 through isa-debug-exit if it ran; `sim report`
 * only launches it). The code is at file offset 0x1000, as the test suite's
 * one-segment guests are (tests/common/vmtest.c), so a test can rebuild it.
 */
static const uint8_t builtin_payload[0x1006] = {
	[0x00] = 0x7f, 'E', 'L', 'F', 2, 1, 1, /* ELFCLASS64, ELFDATA2LSB, EV_CURRENT */
	[0x10] = 2, 0, 62, 0, 1,               /* e_type ET_EXEC, e_machine EM_X86_64, e_version */
	[0x18] = 0x00, 0x00, 0x10,             /* e_entry 0x100000 */
	[0x20] = 64,                           /* e_phoff */
	[0x34] = 64, 0, 56, 0, 1,              /* e_ehsize, e_phentsize, e_phnum */
	[0x40] = 1, 0, 0, 0, 7,                /* p_type PT_LOAD, p_flags RWX */
	[0x48] = 0x00, 0x10,                   /* p_offset 0x1000 */
	[0x50] = 0x00, 0x00, 0x10,             /* p_vaddr 0x100000 */
	[0x58] = 0x00, 0x00, 0x10,             /* p_paddr 0x100000 */
	[0x60] = 6,                            /* p_filesz */
	[0x68] = 6,                            /* p_memsz */
	[0x70] = 0x00, 0x10,                   /* p_align 0x1000 */
	[0x1000] = 0x31, 0xc0, 0xe6, 0xf4, 0xeb, 0xfe,
};

static int sim_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct measure_args m;
	struct snp_err err = { 0 };
	uint64_t policy = 0x30000;
	uint8_t host_data[32] = { 0 };
	struct sim_sp *sp;
	struct sev_backend be = { 0 };
	struct guest_mem mem = { 0 };
	struct payload_image img = { 0 };
	uint8_t rd[64], report[SNP_REPORT_SIZE], *table = NULL;
	uint8_t *id_block = NULL, *id_auth = NULL;
	size_t table_len = 0;
	char meas[2 * SNP_MEASUREMENT_SIZE + 1];
	int ret, status = EXIT_USAGE;
	struct report_ctx ctx = { &a, &m };
	const struct opt opts[] = {
		OPT_STRING("dir", &a.dir, "DIR", "the sim's state directory", .required = true),
		OPT_STRING("report-data", &a.report_data, "HEX",
			   "REPORT_DATA: up to 64 bytes of hex, zero-padded", .required = true),
		OPT_STRING("out", &a.out, "FILE", "where to write the 1184-byte report",
			   .required = true),
		OPT_U64("vmpl", &a.vmpl, 0, 3, "N", "VMPL of the request, 0..3 (default 0)"),
		OPT_FLAG("host", &a.host, "a host-requested report (VMPL 0xFFFFFFFF)"),
		OPT_U64("policy", &policy, 0, UINT64_MAX, "N", "guest policy (default 0x30000)"),
		OPT_STRING("host-data", &a.host_data, "HEX",
			   "HOST_DATA, 32 bytes of hex (default zero)"),
		OPT_STRING("id-block", &a.id_block, "FILE",
			   "the raw 96-byte ID block for LAUNCH_FINISH (as written by\n"
			   "`snpvm id-block --id-block-out`; needs --ovmf)"),
		OPT_STRING("id-auth", &a.id_auth, "FILE",
			   "the raw 4096-byte ID auth block (--id-auth-out)"),
		OPT_FLAG("author-key-en", &a.author_key_en, "the ID auth block carries an author key"),
		OPT_STRING("cert-table", &a.table, "FILE",
			   "also write the extended-request certificate table"),
		OPT_FLAG("json", &a.json, "print the measurement and paths as JSON"),
		OPT_INCLUDE(m.opts, "\nthe launch flags of `snpvm measure`:", .given = &m.any),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "sim report",
		.opts = opts,
		.json = &a.json,
		.check = report_check,
		.ctx = &ctx,
		.about = "Launches a guest on the sim and asks for a signed attestation report through\n"
			 "the encrypted guest request (MSG_REPORT_REQ with VMPCK[N]), or with --host\n"
			 "through SNP_HV_REPORT_REQ. With --ovmf and the other `snpvm measure` flags the\n"
			 "launch is the one `snpvm measure` predicts for them (same flags, same digest):\n"
			 "the firmware, its SEV metadata sections, a CPUID page the sim accepts, the\n"
			 "secrets page and one VMSA per vCPU. Without them it launches a built-in\n"
			 "payload of one page, 1 vCPU, in 64 MiB (the payload boot of `snpvm launch`,\n"
			 "docs/launch-layout.md). Either way it is a launch-only run of the launcher\n"
			 "on its sim backend.\n",
		.epilog = "A refused launch (e.g. an ID block for another digest) names the firmware\n"
			  "status, e.g. BAD_MEASUREMENT, and exits 1.\n",
	};

	measure_args_init(&m);
	if (!cli_opt_parse(&cmd, argc, argv, &ret))
		return ret;
	if ((ret = hex_upto(a.report_data, rd, sizeof(rd), "--report-data", &err)) != 0 ||
	    (a.host_data &&
	     (ret = hex_upto(a.host_data, host_data, sizeof(host_data), "--host-data", &err)) != 0) ||
	    (a.id_block && (ret = read_id_files(&a, &id_block, &id_auth, &err)) != 0) ||
	    (m.any && (ret = measure_args_open(&m, &err)) != 0))
		goto fail;
	if (!m.any) {
		const struct payload_opts po = { .elf = builtin_payload,
						 .elf_len = sizeof(builtin_payload),
						 .mem_size = SIM_REPORT_MEM, .vcpus = 1,
						 .guest_features = m.o.launch.guest_features };

		if ((ret = payload_build(&po, &img, &err)) != 0)
			goto fail;
		m.o.launch.mode = MEASURE_MODE_PAYLOAD;
		m.o.launch.payload = &img;
	}
	status = EXIT_FAILURE_;
	{
		/* A launch-only run of the launcher's sequence on the sim backend. */
		struct launch_seq seq = { .opts = &m.o.launch, .policy = policy,
					  .id_block = id_block, .id_auth = id_auth,
					  .author_key_en = a.author_key_en, .host_data = host_data };

		if ((ret = backend_sim_open(a.dir, &be, &err)) != 0 ||
		    (ret = guest_mem_alloc(&mem, SIM_REPORT_MEM, &err)) != 0 ||
		    (ret = launch_sequence(&be, &mem, &seq, &err)) != 0)
			goto fail;
	}
	sp = backend_sim_sp(&be);
	if (a.host)
		ret = be.ops->hv_report(&be, rd, report, &err);
	else
		ret = be.ops->guest_request(&be, rd, (uint32_t)a.vmpl, report, &err);
	if (ret != 0 || (ret = file_write_atomic(a.out, report, sizeof(report), 0644, &err)) != 0)
		goto fail;
	if (a.table && ((ret = sim_store_cert_table(&sp->store, &table, &table_len, &err)) != 0 ||
			(ret = file_write_atomic(a.table, table, table_len, 0644, &err)) != 0))
		goto fail;
	hex_encode(be.measurement, SNP_MEASUREMENT_SIZE, meas);
	if (a.json) {
		json_t *j = json_pack("{s:s, s:s, s:s?, s:I}", "report", a.out, "measurement", meas,
				      "cert_table", a.table,
				      "vmpl", a.host ? (json_int_t)SIM_HV_REPORT_VMPL : (json_int_t)a.vmpl);

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
	measure_args_close(&m);
	payload_image_free(&img);
	if (be.ops)
		be.ops->close(&be); /* and its sp */
	guest_mem_free(&mem);
	return status;
}

/* sim kds's --tls-cert and --tls-key, for its option check. */
struct kds_tls_args {
	const char *cert, *key;
};

static int kds_check(void *ctx, struct snp_err *err)
{
	const struct kds_tls_args *t = ctx;

	if (!t->cert != !t->key)
		return snp_errf(err, SNP_E_INVALID, "--tls-cert and --tls-key go together");
	return 0;
}

static int sim_kds(int argc, char **argv)
{
	const char *dir = NULL, *listen = NULL;
	struct kds_tls_args tls = { NULL, NULL };
	struct snp_err err = { 0 };
	struct sim_store st;
	struct sim_kds *kds = NULL;
	sigset_t set;
	uint16_t port = 0;
	int sig = 0, ret;
	const struct opt opts[] = {
		OPT_STRING("dir", &dir, "DIR", "the sim's state directory", .required = true),
		OPT_STRING("listen", &listen, "IP:PORT",
			   "the IPv4 address and port (0: any free port)", .required = true),
		OPT_STRING("tls-cert", &tls.cert, "FILE",
			   "serve HTTPS, as AMD's KDS is, with this PEM certificate"),
		OPT_STRING("tls-key", &tls.key, "FILE", "and this PEM key"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "sim kds",
		.opts = opts,
		.about = "Serves the sim's certificates and CRL under AMD KDS's URL layout until\n"
			 "SIGINT or SIGTERM, on the given IPv4 address only (port 0: any free port;\n"
			 "the bound address is printed on stdout):\n"
			 "  /vcek/v1/{P}/cert_chain  /vcek/v1/{P}/crl\n"
			 "  /vcek/v1/{P}/{hwid}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..[&fmcSPL=..]\n"
			 "  /vlek/v1/{P}/cert_chain  /vlek/v1/{P}/crl\n",
		.check = kds_check,
		.ctx = &tls,
	};

	if (!cli_opt_parse(&cmd, argc, argv, &ret))
		return ret;
	if ((ret = sim_store_load(dir, &st, &err)) != 0)
		return fail("kds", &err, false);
	/* Block the stop signals before the server thread starts, then wait for one. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((ret = sim_kds_start(&st, listen, tls.cert, tls.key, &kds, &port, &err)) != 0) {
		sim_store_free(&st);
		/* without TLS files a refusal can only be the address's; with them it names its own */
		if (ret == SNP_E_INVALID && !tls.cert)
			snp_err_prefix(&err, "--listen: ");
		return fail("kds", &err, false);
	}
	{
		char host[64];
		const char *colon = strrchr(listen, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
		printf("listening on %s://%s:%u\n", tls.cert ? "https" : "http", host, port);
		fflush(stdout);
	}
	log_info("serving %s", dir);
	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	sim_kds_stop(kds);
	sim_store_free(&st);
	return EXIT_DONE;
}

int cmd_sim(int argc, char **argv)
{
	static const struct cmd subs[] = {
		{ "init", sim_init, "create a sim state directory (keys, certificates, CRL)" },
		{ "status", sim_status, "print the platform (SNP_PLATFORM_STATUS)" },
		{ "report", sim_report, "launch a guest and get a signed attestation report" },
		{ "kds", sim_kds, "serve the certificates under AMD KDS's URL layout" },
	};

	return cli_subcommand("sim", subs, sizeof(subs) / sizeof(subs[0]), SIM_ABOUT, argc, argv);
}
