/*
 * snpvm attestd init   create an attestd state directory (attestd/admin-init.h)
 * snpvm attestd admin  one admin operation over the admin Unix socket
 *                      (attestd/admin-client.h; the API is attestd/admin-routes.h)
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "attest/appraise-policy.h"
#include "attestd/admin-client.h"
#include "attestd/admin-init.h"
#include "attestd/admin-routes.h"
#include "attestd/store.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "util/file.h"

static int fail(const char *sub, struct snp_err *err, bool json)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "attestd %s", sub);
	cli_print_error(cmd, err, json);
	return cli_exit_status(err->code);
}

int cmd_attestd_init(int argc, char **argv)
{
	const char *dir = NULL;
	struct snp_err err = { 0 };
	bool json = false;
	int status;
	const struct opt opts[] = {
		OPT_STRING("dir", &dir, "DIR", "the state directory to create (must not exist or be empty)",
			   .required = true),
		OPT_FLAG("json", &json, "print the created paths as JSON"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "attestd init",
		.opts = opts,
		.json = &json,
		.about = "Creates DIR (mode 0700) with master.key (0600, the key the store encrypts\n"
			 "secrets under), attestd.db (the SQLite store) and operator.token (0600, the\n"
			 "operator principal's admin token). Refuses a DIR that exists and is not empty.\n",
		.epilog = "Then: snpvm attestd serve --dir DIR; snpvm attestd admin --dir DIR OP ...\n",
	};

	if (!cli_opt_parse(&cmd, argc, argv, &status))
		return status;
	if (admin_init(dir, (int64_t)time(NULL), &err) != 0)
		return fail("init", &err, json);
	if (json) {
		if (cli_print_json(json_pack("{s:s,s:s,s:s,s:s}", "dir", dir, "master_key",
					     ATTESTD_MASTER_KEY_FILE, "store", ATTESTD_DB_FILE,
					     "operator_token", ATTESTD_OPERATOR_TOKEN_FILE),
				   &err) != 0)
			return fail("init", &err, false);
	} else {
		printf("created %s: %s, %s, %s (the operator's admin token)\n", dir,
		       ATTESTD_MASTER_KEY_FILE, ATTESTD_DB_FILE, ATTESTD_OPERATOR_TOKEN_FILE);
	}
	return EXIT_DONE;
}

/* --- snpvm attestd admin -------------------------------------------------- */

/* The connection options every operation takes. */
struct conn {
	const char *socket, *dir, *principal, *token_file;
	bool json;
	char socket_buf[4096], token_buf[4096];
};

#define CONN_OPTS(cn)                                                                          \
	OPT_STRING("socket", &(cn)->socket, "PATH", "the admin socket (default DIR/admin.sock)"),  \
	OPT_STRING("dir", &(cn)->dir, "DIR", "attestd's state directory (for the defaults)"),      \
	OPT_STRING("principal", &(cn)->principal, "NAME",                                          \
		   "who is asking: operator (default) or a tenant"),                               \
	OPT_STRING("token-file", &(cn)->token_file, "FILE",                                        \
		   "the principal's token (default for operator: DIR/operator.token)"),            \
	OPT_FLAG("json", &(cn)->json, "print the answer as JSON")

/* Which connection options take a separate value (to find OP among them). */
static bool conn_takes_value(const char *a)
{
	static const char *const names[] = { "--socket", "--dir", "--principal", "--token-file" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(a, names[i]) == 0)
			return true;
	return false;
}

/* Resolves the defaults and opens the client. */
static int conn_open(struct conn *cn, struct admin_client *c, struct snp_err *err)
{
	const char *principal = cn->principal ? cn->principal : ADMIN_OPERATOR;
	const char *socket = cn->socket, *token = cn->token_file;

	if (socket == NULL) {
		if (cn->dir == NULL)
			return snp_errf(err, SNP_E_INVALID, "give --socket PATH or --dir DIR");
		snprintf(cn->socket_buf, sizeof(cn->socket_buf), "%s/%s", cn->dir,
			 ATTESTD_ADMIN_SOCKET_FILE);
		socket = cn->socket_buf;
	}
	if (token == NULL) {
		if (strcmp(principal, ADMIN_OPERATOR) != 0)
			return snp_errf(err, SNP_E_INVALID, "--token-file is required for principal '%s'",
					principal);
		if (cn->dir == NULL)
			return snp_errf(err, SNP_E_INVALID, "give --token-file FILE or --dir DIR");
		snprintf(cn->token_buf, sizeof(cn->token_buf), "%s/%s", cn->dir,
			 ATTESTD_OPERATOR_TOKEN_FILE);
		token = cn->token_buf;
	}
	return admin_client_init(c, socket, principal, token, err);
}

/* Prints answer (consumed) as JSON when asked for, else the formatted line. */
static int done(const struct conn *cn, const char *op, json_t *answer, const char *fmt, ...)
	SNP_PRINTF(4, 5);
static int done(const struct conn *cn, const char *op, json_t *answer, const char *fmt, ...)
{
	struct snp_err err = { 0 };
	va_list ap;

	if (cn->json)
		return cli_print_json(answer, &err) != 0 ? fail(op, &err, false) : EXIT_DONE;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	json_decref(answer);
	return EXIT_DONE;
}

/*
 * Parses argv with the operation's options plus the connection options and
 * opens the client. Returns true to go on; otherwise *status is the exit.
 */
static bool op_begin(struct conn *cn, const char *name, const struct opt *opts, const char *about,
		     int argc, char **argv, struct admin_client *c, int *status)
{
	char full[64];
	struct snp_err err = { 0 };
	const struct opt_cmd cmd = {
		.name = full,
		.opts = opts,
		.about = about,
		.json = &cn->json,
	};

	snprintf(full, sizeof(full), "attestd admin %s", name);
	if (!cli_opt_parse(&cmd, argc, argv, status))
		return false;
	if (conn_open(cn, c, &err) != 0) {
		*status = fail("admin", &err, cn->json);
		return false;
	}
	return true;
}

/* Ends an operation: frees the client, prints a failure. */
static int op_end(struct admin_client *c, const char *name, int ret, struct snp_err *err,
		  bool json)
{
	char what[48];

	admin_client_free(c);
	if (ret == 0)
		return EXIT_DONE;
	snprintf(what, sizeof(what), "admin %s", name);
	return fail(what, err, json);
}

static int op_tenant_create(struct conn *cn, int argc, char **argv)
{
	const char *name = NULL, *token_out = NULL, *token;
	char line[STORE_TOKEN_LEN * 2 + 2];
	struct admin_client c;
	struct snp_err err = { 0 };
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		OPT_ARG("NAME", &name, "the tenant's name ([A-Za-z0-9._-], at most 64)",
			.required = true),
		OPT_STRING("token-out", &token_out, "FILE",
			   "write the new token there (mode 0600) instead of printing it"),
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "tenant-create", opts,
		      "Creates a tenant principal (operator only) and prints its admin token,\n"
		      "which is shown this once.\n",
		      argc, argv, &c, &status))
		return status;
	ret = admin_tenant_create(&c, name, &ans, &err);
	if ((status = op_end(&c, "tenant-create", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	token = json_string_value(json_object_get(ans, "token"));
	if (token == NULL) {
		json_decref(ans);
		snp_errf(&err, SNP_E_SYS, "the answer has no token");
		return fail("admin tenant-create", &err, cn->json);
	}
	if (token_out == NULL)
		return done(cn, "admin tenant-create", ans, "%s\n", token);
	snprintf(line, sizeof(line), "%s\n", token);
	ret = file_write_atomic(token_out, line, strlen(line), 0600, &err);
	OPENSSL_cleanse(line, sizeof(line));
	/* The token is in the file (or, on failure, lost): keep it off stdout. */
	if (ret == 0 && (json_object_del(ans, "token") != 0 ||
			 json_object_set_new(ans, "token_file", json_string(token_out)) != 0))
		ret = snp_errf(&err, SNP_E_NOMEM, "out of memory");
	if (ret != 0) {
		json_decref(ans);
		snp_err_prefix(&err, "tenant '%s' was created but its token is lost: ", name);
		return fail("admin tenant-create", &err, cn->json);
	}
	return done(cn, "admin tenant-create", ans, "tenant %s created; its token is in %s\n", name,
		    token_out);
}

static int op_repo_assign(struct conn *cn, int argc, char **argv)
{
	const char *tenant = NULL, *repo = NULL;
	struct admin_client c;
	struct snp_err err = { 0 };
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		OPT_ARG("TENANT", &tenant, "the owning tenant", .required = true),
		OPT_ARG("REPO", &repo, "the resource repository", .required = true),
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "repo-assign", opts,
		      "Gives repository REPO to TENANT (operator only). Only TENANT (and the\n"
		      "operator) may then put resources and set policies in it.\n",
		      argc, argv, &c, &status))
		return status;
	ret = admin_repo_assign(&c, tenant, repo, &ans, &err);
	if ((status = op_end(&c, "repo-assign", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	return done(cn, "admin repo-assign", ans, "repository %s belongs to %s\n", repo, tenant);
}

static int op_put_resource(struct conn *cn, int argc, char **argv)
{
	const char *path = NULL, *file = NULL;
	struct admin_client c;
	struct snp_err err = { 0 };
	uint8_t *secret = NULL;
	size_t len = 0;
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		OPT_ARG("REPO/TYPE/TAG", &path, "the resource", .required = true),
		OPT_STRING("file", &file, "FILE", "the secret's bytes (1 to 65536)", .required = true),
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "put-resource", opts,
		      "Stores FILE's bytes as the resource's next version (encrypted at rest).\n",
		      argc, argv, &c, &status))
		return status;
	if ((ret = file_read(file, STORE_SECRET_MAX, &secret, &len, &err)) == 0)
		ret = admin_resource_put(&c, path, secret, len, &ans, &err);
	if (secret)
		OPENSSL_clear_free(secret, len);
	if ((status = op_end(&c, "put-resource", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	return done(cn, "admin put-resource", ans, "%s: version %" JSON_INTEGER_FORMAT "\n", path,
		    json_integer_value(json_object_get(ans, "version")));
}

static int op_delete_resource(struct conn *cn, int argc, char **argv)
{
	const char *path = NULL;
	struct admin_client c;
	struct snp_err err = { 0 };
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		OPT_ARG("REPO/TYPE/TAG", &path, "the resource", .required = true),
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "delete-resource", opts, "Deletes every version of the resource.\n",
		      argc, argv, &c, &status))
		return status;
	ret = admin_resource_delete(&c, path, &ans, &err);
	if ((status = op_end(&c, "delete-resource", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	return done(cn, "admin delete-resource", ans, "%s: deleted\n", path);
}

static int op_set_policy(struct conn *cn, int argc, char **argv)
{
	const char *scope = NULL, *file = NULL;
	struct admin_client c;
	struct snp_err err = { 0 };
	uint8_t *text = NULL;
	size_t len = 0;
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		OPT_ARG("SCOPE", &scope, "REPO (every resource in it) or REPO/TYPE/TAG (one resource)",
			.required = true),
		OPT_STRING("file", &file, "POLICY.json",
			   "a verifier policy (the format of snpvm verify --policy)", .required = true),
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "set-policy", opts,
		      "Stores the verifier policy as SCOPE's next version; attestd applies it from\n"
		      "the next request on (no restart). A resource's own policy wins over its\n"
		      "repository's. The server refuses a policy it cannot parse, naming the field.\n",
		      argc, argv, &c, &status))
		return status;
	if ((ret = file_read(file, APPRAISE_POLICY_MAX_SIZE, &text, &len, &err)) == 0)
		ret = admin_policy_set(&c, scope, (const char *)text, len, &ans, &err);
	free(text);
	if ((status = op_end(&c, "set-policy", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	return done(cn, "admin set-policy", ans, "%s: policy version %" JSON_INTEGER_FORMAT "\n",
		    scope, json_integer_value(json_object_get(ans, "version")));
}

static int op_list(struct conn *cn, int argc, char **argv)
{
	struct admin_client c;
	struct snp_err err = { 0 };
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "list", opts,
		      "Prints the principal's repositories, resources (path and version, never a\n"
		      "secret) and policies as JSON; the operator sees every tenant's.\n",
		      argc, argv, &c, &status))
		return status;
	ret = admin_list(&c, &ans, &err);
	if ((status = op_end(&c, "list", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	/* The list is data either way: JSON. */
	return cli_print_json(ans, &err) != 0 ? fail("admin list", &err, false) : EXIT_DONE;
}

static int op_audit(struct conn *cn, int argc, char **argv)
{
	struct admin_client c;
	struct snp_err err = { 0 };
	uint64_t after = 0;
	json_t *ans = NULL, *row;
	size_t i;
	int ret, status;
	const struct opt opts[] = {
		OPT_U64("after", &after, 0, UINT64_MAX, "N", "only rows after sequence number N"),
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "audit", opts,
		      "Prints audit rows, one JSON record a line (--json: {\"rows\": [...]}). A\n"
		      "tenant sees only its own rows. At most 1000 rows a call: page with --after.\n",
		      argc, argv, &c, &status))
		return status;
	ret = admin_audit(&c, after, &ans, &err);
	if ((status = op_end(&c, "audit", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	if (cn->json)
		return done(cn, "admin audit", ans, "%s", "");
	json_array_foreach(json_object_get(ans, "rows"), i, row) {
		char *s = json_dumps(row, JSON_COMPACT);

		if (s)
			printf("%s\n", s);
		free(s);
	}
	json_decref(ans);
	return EXIT_DONE;
}

static int op_audit_verify(struct conn *cn, int argc, char **argv)
{
	struct admin_client c;
	struct snp_err err = { 0 };
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "audit-verify", opts,
		      "Recomputes the audit hash chain (operator only). Exit status 1 when a row\n"
		      "is missing, edited or out of order, naming the first one.\n",
		      argc, argv, &c, &status))
		return status;
	ret = admin_audit_verify(&c, &ans, &err);
	if ((status = op_end(&c, "audit-verify", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	return done(cn, "admin audit-verify", ans, "audit chain intact: %" JSON_INTEGER_FORMAT
		    " rows\n", json_integer_value(json_object_get(ans, "rows")));
}

static int op_rotate_key(struct conn *cn, int argc, char **argv)
{
	struct admin_client c;
	struct snp_err err = { 0 };
	uint64_t overlap = 0;
	bool overlap_given = false;
	json_t *ans = NULL;
	int ret, status;
	const struct opt opts[] = {
		OPT_U64("overlap", &overlap, 0, ADMIN_OVERLAP_MAX, "S",
			"keep the old key published S seconds (default: the server's, 1 day)",
			.given = &overlap_given),
		CONN_OPTS(cn),
		OPT_END,
	};

	if (!op_begin(cn, "rotate-key", opts,
		      "Makes a new EAR signing key (operator only). The old key stops signing at\n"
		      "once and stays in the JWKS for the overlap, so tokens it signed still verify.\n",
		      argc, argv, &c, &status))
		return status;
	ret = admin_key_rotate(&c, overlap_given ? (int64_t)overlap : -1, &ans, &err);
	if ((status = op_end(&c, "rotate-key", ret, &err, cn->json)) != EXIT_DONE)
		return status;
	return done(cn, "admin rotate-key", ans,
		    "new signing key %s; the previous ones stay published until %" JSON_INTEGER_FORMAT
		    "\n",
		    json_string_value(json_object_get(ans, "kid")),
		    json_integer_value(json_object_get(ans, "retired_publish_until")));
}

static const struct {
	const char *name;
	int (*fn)(struct conn *cn, int argc, char **argv);
	const char *summary;
} admin_ops[] = {
	{ "tenant-create", op_tenant_create, "create a tenant; prints its token once" },
	{ "repo-assign", op_repo_assign, "give a repository to a tenant" },
	{ "put-resource", op_put_resource, "store a secret: REPO/TYPE/TAG --file F" },
	{ "delete-resource", op_delete_resource, "delete a secret (every version)" },
	{ "set-policy", op_set_policy, "set a verifier policy: SCOPE --file POLICY.json" },
	{ "list", op_list, "list repositories, resources and policies" },
	{ "audit", op_audit, "print audit rows [--after N]" },
	{ "audit-verify", op_audit_verify, "check the audit hash chain" },
	{ "rotate-key", op_rotate_key, "new EAR signing key [--overlap S]" },
};

static void admin_usage(FILE *f)
{
	fprintf(f, "usage: snpvm attestd admin [--socket PATH | --dir DIR] [--principal NAME]\n"
		   "                           [--token-file FILE] [--json] OP [ARGS]\n\n"
		   "One operation on a running attestd's admin socket (never the guest port).\n"
		   "Defaults: --socket DIR/admin.sock, --principal operator, --token-file\n"
		   "DIR/operator.token. A tenant principal may change only its own repositories.\n\n"
		   "operations:\n");
	for (size_t i = 0; i < sizeof(admin_ops) / sizeof(admin_ops[0]); i++)
		fprintf(f, "  %-16s %s\n", admin_ops[i].name, admin_ops[i].summary);
	fprintf(f, "\nEach has --help: 'snpvm attestd admin put-resource --help'.\n");
}

int cmd_attestd_admin(int argc, char **argv)
{
	struct conn cn = { 0 };
	char **av;
	int op = -1, status;

	/* OP is the first argument that is neither an option nor a connection option's value. */
	for (int i = 1; i < argc && op < 0; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] != '-')
			op = i;
		else if (conn_takes_value(argv[i]))
			i++;
	}
	if (op < 0) {
		bool help = false;

		for (int i = 1; i < argc; i++)
			help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
		if (!help)
			fprintf(stderr, "snpvm attestd admin: no operation given\n");
		admin_usage(help ? stdout : stderr);
		return help ? EXIT_DONE : EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(admin_ops) / sizeof(admin_ops[0]); k++) {
		if (strcmp(argv[op], admin_ops[k].name) != 0)
			continue;
		/* The operation's own argv: every argument but OP, in order. */
		if ((av = calloc((size_t)argc, sizeof(*av))) == NULL) {
			fprintf(stderr, "snpvm attestd admin: out of memory\n");
			return EXIT_FAILURE_;
		}
		for (int i = 0, j = 0; i < argc; i++)
			if (i != op)
				av[j++] = argv[i];
		status = admin_ops[k].fn(&cn, argc - 1, av);
		free(av);
		return status;
	}
	fprintf(stderr, "snpvm attestd admin: unknown operation '%.64s'\n", argv[op]);
	admin_usage(stderr);
	return EXIT_USAGE;
}

int cmd_attestd(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
		const char *summary;
	} subs[] = {
		{ "init", cmd_attestd_init, "create a state directory (keys, store, operator token)" },
		{ "serve", cmd_attestd_serve, "run the service (guest and admin listeners)" },
		{ "admin", cmd_attestd_admin, "one admin operation over the admin socket" },
	};
	size_t nsubs = sizeof(subs) / sizeof(subs[0]);
	bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);

	if (argc >= 2 && !help)
		for (size_t i = 0; i < nsubs; i++)
			if (strcmp(argv[1], subs[i].name) == 0)
				return subs[i].fn(argc - 1, argv + 1);
	if (argc >= 2 && !help)
		fprintf(stderr, "snpvm attestd: unknown subcommand '%.64s'\n", argv[1]);
	{
		FILE *f = help ? stdout : stderr;

		fprintf(f, "usage: snpvm attestd <subcommand> [options]\n\n"
			   "attestd releases tenants' secrets to guests whose attestation reports\n"
			   "prove an approved launch (docs/attestd.md).\n\nsubcommands:\n");
		for (size_t i = 0; i < nsubs; i++)
			fprintf(f, "  %-8s %s\n", subs[i].name, subs[i].summary);
		fprintf(f, "\nEach has --help: 'snpvm attestd init --help'.\n");
	}
	return help ? EXIT_DONE : EXIT_USAGE;
}
