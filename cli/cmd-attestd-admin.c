/*
 * snpvm attestd init   create an attestd state directory (attestd/admin-init.h)
 * snpvm attestd admin  one admin operation over the admin Unix socket
 *                      (attestd/admin-client.h; the API is attestd/admin-routes.h)
 */
#include <inttypes.h>
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
		OPT_STRING("dir", &dir, "DIR",
			   "the state directory to create (must not exist or be empty)",
			   .required = true),
		OPT_FLAG("json", &json, "print the created paths as JSON"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "attestd init",
		.opts = opts,
		.json = &json,
		.about = "Creates DIR (mode 0700) with master.key (0600, the key the store\n"
			 "encrypts secrets under), attestd.db (the SQLite store) and\n"
			 "operator.token (0600, the operator principal's admin token). Refuses a\n"
			 "DIR that exists and is not empty.\n",
		.epilog = "Then: snpvm attestd serve --dir DIR; snpvm attestd admin --dir DIR OP\n",
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
			return snp_errf(err, SNP_E_INVALID,
					"--token-file is required for principal '%s'",
					principal);
		if (cn->dir == NULL)
			return snp_errf(err, SNP_E_INVALID, "give --token-file FILE or --dir DIR");
		snprintf(cn->token_buf, sizeof(cn->token_buf), "%s/%s", cn->dir,
			 ATTESTD_OPERATOR_TOKEN_FILE);
		token = cn->token_buf;
	}
	return admin_client_init(c, socket, principal, token, err);
}

/* What an operation's options fill in. */
struct op_args {
	const char *arg[2];    /* the positional arguments */
	const char *file;      /* --file */
	const char *token_out; /* --token-out */
	uint64_t num;          /* the operation's number option (--after, --overlap) */
	bool num_given;
	uint8_t *data;         /* --file's bytes */
	size_t len;
};

/*
 * One operation: its options (positional arguments, --file, --token-out, a
 * number), the one library call it makes and how it prints the answer
 * without --json.
 */
struct admin_op {
	const char *name, *summary, *about;
	const char *arg[2], *arg_help[2];    /* positional placeholders (required); NULL: none */
	const char *file_arg, *file_help;    /* --file (required) when non-NULL */
	size_t file_max;
	bool token_out;                      /* --token-out FILE */
	const char *num_name, *num_arg, *num_help;
	uint64_t num_max;
	int (*call)(struct admin_client *c, const struct op_args *a, json_t **ans,
		    struct snp_err *err);
	/* Before printing, may change the answer (tenant-create --token-out). */
	int (*after)(const struct op_args *a, json_t *ans, struct snp_err *err);
	/* The output without --json; NULL: the answer as indented JSON. */
	void (*print)(const struct op_args *a, json_t *ans);
};

static json_int_t ans_int(json_t *ans, const char *key)
{
	return json_integer_value(json_object_get(ans, key));
}

static const char *ans_str(json_t *ans, const char *key)
{
	const char *s = json_string_value(json_object_get(ans, key));

	return s ? s : "?";
}

static int call_tenant_create(struct admin_client *c, const struct op_args *a, json_t **ans,
			      struct snp_err *err)
{
	return admin_tenant_create(c, a->arg[0], ans, err);
}

/* --token-out: the token goes into the file (0600) and off stdout. */
static int after_tenant_create(const struct op_args *a, json_t *ans, struct snp_err *err)
{
	const char *token = json_string_value(json_object_get(ans, "token"));
	char line[STORE_TOKEN_LEN * 2 + 2];
	int ret;

	if (token == NULL)
		return snp_errf(err, SNP_E_SYS, "the answer has no token");
	if (a->token_out == NULL)
		return 0;
	snprintf(line, sizeof(line), "%s\n", token);
	ret = file_write_atomic(a->token_out, line, strlen(line), 0600, err);
	OPENSSL_cleanse(line, sizeof(line));
	if (ret == 0 && (json_object_del(ans, "token") != 0 ||
			 json_object_set_new(ans, "token_file", json_string(a->token_out)) != 0))
		ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
	if (ret != 0)
		snp_err_prefix(err, "tenant '%s' was created but its token is lost: ", a->arg[0]);
	return ret;
}

static void print_tenant_create(const struct op_args *a, json_t *ans)
{
	if (a->token_out)
		printf("tenant %s created; its token is in %s\n", a->arg[0], a->token_out);
	else
		printf("%s\n", ans_str(ans, "token"));
}

static int call_repo_assign(struct admin_client *c, const struct op_args *a, json_t **ans,
			    struct snp_err *err)
{
	return admin_repo_assign(c, a->arg[0], a->arg[1], ans, err);
}

static void print_repo_assign(const struct op_args *a, json_t *ans)
{
	(void)ans;
	printf("repository %s belongs to %s\n", a->arg[1], a->arg[0]);
}

static int call_put_resource(struct admin_client *c, const struct op_args *a, json_t **ans,
			     struct snp_err *err)
{
	return admin_resource_put(c, a->arg[0], a->data, a->len, ans, err);
}

static void print_put_resource(const struct op_args *a, json_t *ans)
{
	printf("%s: version %" JSON_INTEGER_FORMAT "\n", a->arg[0], ans_int(ans, "version"));
}

static int call_delete_resource(struct admin_client *c, const struct op_args *a, json_t **ans,
				struct snp_err *err)
{
	return admin_resource_delete(c, a->arg[0], ans, err);
}

static void print_delete_resource(const struct op_args *a, json_t *ans)
{
	(void)ans;
	printf("%s: deleted\n", a->arg[0]);
}

static int call_set_policy(struct admin_client *c, const struct op_args *a, json_t **ans,
			   struct snp_err *err)
{
	return admin_policy_set(c, a->arg[0], (const char *)a->data, a->len, ans, err);
}

static void print_set_policy(const struct op_args *a, json_t *ans)
{
	printf("%s: policy version %" JSON_INTEGER_FORMAT "\n", a->arg[0], ans_int(ans, "version"));
}

static int call_list(struct admin_client *c, const struct op_args *a, json_t **ans,
		     struct snp_err *err)
{
	(void)a;
	return admin_list(c, ans, err);
}

static int call_audit(struct admin_client *c, const struct op_args *a, json_t **ans,
		      struct snp_err *err)
{
	return admin_audit(c, a->num, ans, err);
}

/* One compact JSON record a line. */
static void print_audit(const struct op_args *a, json_t *ans)
{
	json_t *row;
	size_t i;

	(void)a;
	json_array_foreach(json_object_get(ans, "rows"), i, row) {
		char *s = json_dumps(row, JSON_COMPACT);

		if (s)
			printf("%s\n", s);
		free(s);
	}
}

static int call_audit_verify(struct admin_client *c, const struct op_args *a, json_t **ans,
			     struct snp_err *err)
{
	(void)a;
	return admin_audit_verify(c, ans, err);
}

static void print_audit_verify(const struct op_args *a, json_t *ans)
{
	(void)a;
	printf("audit chain intact: %" JSON_INTEGER_FORMAT " rows\n", ans_int(ans, "rows"));
}

static int call_rotate_key(struct admin_client *c, const struct op_args *a, json_t **ans,
			   struct snp_err *err)
{
	return admin_key_rotate(c, a->num_given ? (int64_t)a->num : -1, ans, err);
}

static void print_rotate_key(const struct op_args *a, json_t *ans)
{
	(void)a;
	printf("new signing key %s; the previous ones stay published until %" JSON_INTEGER_FORMAT
	       "\n",
	       ans_str(ans, "kid"), ans_int(ans, "retired_publish_until"));
}

static const struct admin_op admin_ops[] = {
	{ .name = "tenant-create", .summary = "create a tenant; prints its token once",
	  .about = "Creates a tenant principal (operator only) and prints its admin token,\n"
		   "which is shown this once.\n",
	  .arg = { "NAME" }, .arg_help = { "the tenant's name ([A-Za-z0-9._-], at most 64)" },
	  .token_out = true,
	  .call = call_tenant_create, .after = after_tenant_create,
	  .print = print_tenant_create },
	{ .name = "repo-assign", .summary = "give a repository to a tenant",
	  .about = "Gives repository REPO to TENANT (operator only). Only TENANT (and the\n"
		   "operator) may then put resources and set policies in it.\n",
	  .arg = { "TENANT", "REPO" }, .arg_help = { "the owning tenant", "the repository" },
	  .call = call_repo_assign, .print = print_repo_assign },
	{ .name = "put-resource", .summary = "store a secret: REPO/TYPE/TAG --file F",
	  .about = "Stores FILE's bytes as the resource's next version (encrypted at rest).\n",
	  .arg = { "REPO/TYPE/TAG" }, .arg_help = { "the resource" },
	  .file_arg = "FILE", .file_help = "the secret's bytes (1 to 65536)",
	  .file_max = STORE_SECRET_MAX,
	  .call = call_put_resource, .print = print_put_resource },
	{ .name = "delete-resource", .summary = "delete a secret (every version)",
	  .about = "Deletes every version of the resource.\n",
	  .arg = { "REPO/TYPE/TAG" }, .arg_help = { "the resource" },
	  .call = call_delete_resource, .print = print_delete_resource },
	{ .name = "set-policy", .summary = "set a verifier policy: SCOPE --file POLICY.json",
	  .about = "Stores the verifier policy as SCOPE's next version; attestd applies it from\n"
		   "the next request on (no restart). A resource's own policy wins over its\n"
		   "repository's. The server refuses a policy it cannot parse, naming the field.\n",
	  .arg = { "SCOPE" },
	  .arg_help = { "REPO (every resource in it) or REPO/TYPE/TAG (one resource)" },
	  .file_arg = "POLICY.json",
	  .file_help = "a verifier policy (the format of snpvm verify --policy)",
	  .file_max = APPRAISE_POLICY_MAX_SIZE,
	  .call = call_set_policy, .print = print_set_policy },
	{ .name = "list", .summary = "list repositories, resources and policies",
	  .about = "Prints the principal's repositories, resources (path and version, never a\n"
		   "secret) and policies as JSON; the operator sees every tenant's.\n",
	  .call = call_list },
	{ .name = "audit", .summary = "print audit rows [--after N]",
	  .about = "Prints audit rows, one JSON record a line (--json: {\"rows\": [...]}). A\n"
		   "tenant sees only its own rows. At most 1000 rows a call: page with --after.\n",
	  .num_name = "after", .num_arg = "N", .num_help = "only rows after sequence number N",
	  .num_max = UINT64_MAX,
	  .call = call_audit, .print = print_audit },
	{ .name = "audit-verify", .summary = "check the audit hash chain",
	  .about = "Recomputes the audit hash chain (operator only). Exit status 1 when a row\n"
		   "is missing, edited or out of order, naming the first one.\n",
	  .call = call_audit_verify, .print = print_audit_verify },
	{ .name = "rotate-key", .summary = "new EAR signing key [--overlap S]",
	  .about = "Makes a new EAR signing key (operator only). The old key stops signing\n"
		   "at once and stays in the JWKS for the overlap, so that tokens it signed\n"
		   "still verify.\n",
	  .num_name = "overlap", .num_arg = "S",
	  .num_help = "keep the old key published S seconds (default: the server's, 1 day)",
	  .num_max = ADMIN_OVERLAP_MAX,
	  .call = call_rotate_key, .print = print_rotate_key },
};

/* Rows: 2 arguments, --file, --token-out, the number, 5 connection options, the end. */
#define OP_OPTS_MAX 11

/* Parses the operation's options, reads --file, makes the call and prints the answer. */
static int op_run(const struct admin_op *op, struct conn *cn, int argc, char **argv)
{
	struct op_args a = { 0 };
	struct opt opts[OP_OPTS_MAX];
	struct admin_client c = { 0 };
	struct snp_err err = { 0 };
	json_t *ans = NULL;
	char name[64];
	size_t n = 0;
	int ret, status;
	const struct opt_cmd cmd = { .name = name, .opts = opts, .about = op->about,
				     .json = &cn->json };

	snprintf(name, sizeof(name), "attestd admin %s", op->name);
	for (size_t i = 0; i < 2 && op->arg[i]; i++)
		opts[n++] = (struct opt)OPT_ARG(op->arg[i], &a.arg[i], op->arg_help[i],
						.required = true);
	if (op->file_arg)
		opts[n++] = (struct opt)OPT_STRING("file", &a.file, op->file_arg, op->file_help,
						   .required = true);
	if (op->token_out)
		opts[n++] = (struct opt)OPT_STRING(
			"token-out", &a.token_out, "FILE",
			"write the new token there (mode 0600) instead of printing it");
	if (op->num_name)
		opts[n++] = (struct opt)OPT_U64(op->num_name, &a.num, 0, op->num_max, op->num_arg,
						op->num_help, .given = &a.num_given);
	opts[n++] = (struct opt)OPT_STRING("socket", &cn->socket, "PATH",
					   "the admin socket (default DIR/admin.sock)");
	opts[n++] = (struct opt)OPT_STRING("dir", &cn->dir, "DIR",
					   "attestd's state directory (for the defaults)");
	opts[n++] = (struct opt)OPT_STRING("principal", &cn->principal, "NAME",
					   "who is asking: operator (default) or a tenant");
	opts[n++] = (struct opt)OPT_STRING(
		"token-file", &cn->token_file, "FILE",
		"the principal's token (default for operator: DIR/operator.token)");
	opts[n++] = (struct opt)OPT_FLAG("json", &cn->json, "print the answer as JSON");
	opts[n] = (struct opt)OPT_END;

	if (!cli_opt_parse(&cmd, argc, argv, &status))
		return status;
	if ((ret = conn_open(cn, &c, &err)) == 0 &&
	    (!op->file_arg || (ret = file_read(a.file, op->file_max, &a.data, &a.len, &err)) == 0))
		ret = op->call(&c, &a, &ans, &err);
	if (a.data)
		OPENSSL_clear_free(a.data, a.len);
	admin_client_free(&c);
	if (ret == 0 && op->after)
		ret = op->after(&a, ans, &err);
	if (ret != 0) {
		json_decref(ans);
		return fail(name + strlen("attestd "), &err, cn->json);
	}
	if (cn->json || op->print == NULL)
		return cli_print_json(ans, &err) != 0 ? fail(name + strlen("attestd "), &err, false)
						      : EXIT_DONE;
	op->print(&a, ans);
	json_decref(ans);
	return EXIT_DONE;
}

static void admin_usage(FILE *f)
{
	fprintf(f, "usage: snpvm attestd admin [--socket PATH | --dir DIR] [--principal NAME]\n"
		   "                           [--token-file FILE] [--json] OP [ARGS]\n\n"
		   "One operation on a running attestd's admin socket (never the guest port).\n"
		   "Defaults: --socket DIR/admin.sock, --principal operator, --token-file\n"
		   "DIR/operator.token. A tenant principal may change only its own\n"
		   "repositories.\n\n"
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
		status = op_run(&admin_ops[k], &cn, argc - 1, av);
		free(av);
		return status;
	}
	fprintf(stderr, "snpvm attestd admin: unknown operation '%.64s'\n", argv[op]);
	admin_usage(stderr);
	return EXIT_USAGE;
}

int cmd_attestd(int argc, char **argv)
{
	static const struct cmd subs[] = {
		{ "init", cmd_attestd_init, "create a state directory (keys, store, token)" },
		{ "serve", cmd_attestd_serve, "run the service (guest and admin listeners)" },
		{ "admin", cmd_attestd_admin, "one admin operation over the admin socket" },
	};

	return cli_subcommand("attestd", subs, sizeof(subs) / sizeof(subs[0]),
			      "attestd releases tenants' secrets to guests whose attestation\n"
			      "reports prove an approved launch (docs/attestd.md).\n",
			      argc, argv);
}
