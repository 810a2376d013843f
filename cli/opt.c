#include "cli/opt.h"

#include <limits.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "util/hex.h"

#define HELP_COLUMN 24 /* where option descriptions start */

/* The table flattened: every row (INCLUDEs expanded), with the INCLUDE row that holds it. */
struct rows {
	size_t n;
	const struct opt *row[OPT_MAX_ROWS];
	const struct opt *group[OPT_MAX_ROWS];
	bool seen[OPT_MAX_ROWS];
};

static int flatten(const struct opt *t, const struct opt *group, unsigned depth, struct rows *r,
		   struct snp_err *err)
{
	int ret;

	if (depth > 4)
		return snp_errf(err, SNP_E_INTERNAL, "option tables nest too deep");
	for (; t->kind != OPT_KIND_END; t++) {
		if (t->kind == OPT_KIND_INCLUDE) {
			if ((ret = flatten(t->table, t, depth + 1, r, err)) != 0)
				return ret;
			continue;
		}
		if (r->n >= OPT_MAX_ROWS)
			return snp_errf(err, SNP_E_INTERNAL, "more than %d options", OPT_MAX_ROWS);
		for (size_t i = 0; i < r->n; i++)
			if (strcmp(r->row[i]->name, t->name) == 0 &&
			    (r->row[i]->kind == OPT_KIND_ARG) == (t->kind == OPT_KIND_ARG))
				return snp_errf(err, SNP_E_INTERNAL, "option '%s' is in the table twice",
						t->name);
		r->group[r->n] = group;
		r->row[r->n++] = t;
	}
	return 0;
}

static bool takes_value(const struct opt *o)
{
	return o->kind != OPT_KIND_FLAG;
}

/* The index of the '|'-separated word s in choices, or -1. */
static int choice_index(const char *choices, const char *s)
{
	size_t n = strlen(s);
	int i = 0;

	for (const char *p = choices;; i++) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, s, n) == 0)
			return i;
		if (!bar)
			return -1;
		p = bar + 1;
	}
}

static int store_number(const struct opt *o, const char *flag, const char *s,
			struct snp_err *err)
{
	uint64_t v;
	int ret;

	if ((ret = cli_parse_u64(flag, s, o->max, &v, err)) != 0)
		return ret;
	if (v < o->min)
		return snp_errf(err, SNP_E_INVALID, "%s %s: below the minimum (want %llu..%llu)",
				flag, s, (unsigned long long)o->min, (unsigned long long)o->max);
	switch (o->kind) {
	case OPT_KIND_U64:
		*(uint64_t *)o->value = v;
		return 0;
	case OPT_KIND_U32:
		if (o->max > UINT32_MAX)
			break;
		*(uint32_t *)o->value = (uint32_t)v;
		return 0;
	case OPT_KIND_UINT:
		if (o->max > UINT_MAX)
			break;
		*(unsigned *)o->value = (unsigned)v;
		return 0;
	default:
		break;
	}
	return snp_errf(err, SNP_E_INTERNAL, "%s: bad table row", flag);
}

/* Stores s (NULL for a flag) into the row's variable. */
static int store(const struct opt *o, const char *s, struct snp_err *err)
{
	char flag[80];
	int i;

	snprintf(flag, sizeof(flag), "--%s", o->name);
	switch (o->kind) {
	case OPT_KIND_FLAG:
		*(bool *)o->value = true;
		return 0;
	case OPT_KIND_STRING:
	case OPT_KIND_ARG:
		*(const char **)o->value = s;
		return 0;
	case OPT_KIND_U64:
	case OPT_KIND_U32:
	case OPT_KIND_UINT:
		return store_number(o, flag, s, err);
	case OPT_KIND_HEX:
		return hex_decode(s, o->value, o->len, flag, err);
	case OPT_KIND_CHOICE:
		if ((i = choice_index(o->arg, s)) < 0)
			return snp_errf(err, SNP_E_INVALID, "%s: '%s' (want %s)", flag, s, o->arg);
		*(int *)o->value = i;
		return 0;
	case OPT_KIND_CALL:
		return o->fn(o->value, s, err);
	case OPT_KIND_LIST: {
		struct opt_list *l = o->value;

		if (l->n >= OPT_LIST_MAX)
			return snp_errf(err, SNP_E_INVALID, "%s: at most %d times", flag,
					OPT_LIST_MAX);
		l->v[l->n++] = s;
		return 0;
	}
	default:
		return snp_errf(err, SNP_E_INTERNAL, "%s: bad table row", flag);
	}
}

static void mark_given(struct rows *r, size_t i)
{
	r->seen[i] = true;
	if (r->row[i]->given)
		*r->row[i]->given = true;
	if (r->group[i] && r->group[i]->given)
		*r->group[i]->given = true;
}

/* The row of the long option named by name[0..len), or -1. */
static int find_long(const struct rows *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->row[i]->kind != OPT_KIND_ARG && strlen(r->row[i]->name) == len &&
		    strncmp(r->row[i]->name, name, len) == 0)
			return (int)i;
	return -1;
}

/* One "--name[=value]" at argv[*k]; a separate value is consumed from argv[*k + 1]. */
static int parse_long(const struct opt_cmd *c, struct rows *r, int argc, char **argv, int *k,
		      struct snp_err *err)
{
	const char *a = argv[*k], *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const char *value = eq ? eq + 1 : NULL;
	int i = find_long(r, name, len);
	const struct opt *o;

	if (i < 0)
		return snp_errf(err, SNP_E_INVALID, "unknown option '--%.*s' for '%s'",
				(int)(len > 64 ? 64 : len), name, c->name);
	o = r->row[i];
	if (!takes_value(o) && value)
		return snp_errf(err, SNP_E_INVALID, "option '--%s' takes no value", o->name);
	if (takes_value(o) && !value) {
		if (*k + 1 >= argc || strncmp(argv[*k + 1], "--", 2) == 0)
			return snp_errf(err, SNP_E_INVALID, "option '--%s' needs a value %s",
					o->name, o->arg ? o->arg : "");
		value = argv[++*k];
	}
	if (r->seen[i] && o->kind != OPT_KIND_LIST)
		return snp_errf(err, SNP_E_INVALID, "option '--%s' given twice", o->name);
	mark_given(r, (size_t)i);
	return store(o, value, err);
}

/* The next positional row not yet filled, or -1. */
static int next_arg(const struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->row[i]->kind == OPT_KIND_ARG && !r->seen[i])
			return (int)i;
	return -1;
}

static int parse_arg(struct rows *r, const char *a, struct snp_err *err)
{
	int i = next_arg(r);

	if (i < 0)
		return snp_errf(err, SNP_E_INVALID, "unexpected argument '%.64s'", a);
	mark_given(r, (size_t)i);
	return store(r->row[i], a, err);
}

static bool is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

int opt_parse(const struct opt_cmd *c, int argc, char **argv, bool *help, struct snp_err *err)
{
	struct rows r;
	bool options_done = false;
	int ret;

	*help = false;
	memset(&r, 0, sizeof(r));
	if ((ret = flatten(c->opts, NULL, 0, &r, err)) != 0)
		return ret;
	/* -h or --help anywhere before "--" prints the help; nothing else is judged then. */
	for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++)
		if (is_help(argv[k])) {
			*help = true;
			return 0;
		}
	for (int k = 1; k < argc; k++) {
		const char *a = argv[k];

		if (options_done || a[0] != '-' || a[1] == '\0')
			ret = parse_arg(&r, a, err);
		else if (strcmp(a, "--") == 0)
			options_done = true;
		else if (a[1] == '-')
			ret = parse_long(c, &r, argc, argv, &k, err);
		else
			ret = snp_errf(err, SNP_E_INVALID, "unknown option '%.64s' for '%s'", a,
				       c->name);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < r.n; i++)
		if (r.row[i]->required && !r.seen[i])
			return snp_errf(err, SNP_E_INVALID, "%s%s is required",
					r.row[i]->kind == OPT_KIND_ARG ? "" : "--", r.row[i]->name);
	return c->check ? c->check(c->ctx, err) : 0;
}

void opt_synopsis(const struct opt_cmd *c, const char *prefix, FILE *f)
{
	struct rows r;
	struct snp_err err;
	bool optional = false;

	memset(&r, 0, sizeof(r));
	if (flatten(c->opts, NULL, 0, &r, &err) != 0) {
		fprintf(f, "%ssnpvm %s: %s\n", prefix, c->name, err.msg);
		return;
	}
	fprintf(f, "%ssnpvm %s", prefix, c->name);
	for (size_t i = 0; i < r.n; i++) {
		const struct opt *o = r.row[i];

		if (o->kind == OPT_KIND_ARG)
			fprintf(f, o->required ? " %s" : " [%s]", o->name);
		else if (o->required)
			fprintf(f, " --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			optional = true;
	}
	fprintf(f, "%s\n", optional ? " [options]" : "");
}

/* "  --name ARG" then the help, its lines aligned at HELP_COLUMN. */
static void usage_row(const struct opt *o, FILE *f)
{
	char left[96];
	const char *h = o->help ? o->help : "";
	int n;

	if (o->kind == OPT_KIND_ARG)
		n = snprintf(left, sizeof(left), "  %s", o->name);
	else
		n = snprintf(left, sizeof(left), "  --%s%s%s", o->name, o->arg ? " " : "",
			     o->arg ? o->arg : "");
	if (n < 0)
		return;
	if (n >= HELP_COLUMN - 1)
		fprintf(f, "%s\n%*s", left, HELP_COLUMN, "");
	else
		fprintf(f, "%-*s", HELP_COLUMN, left);
	for (;;) {
		const char *nl = strchr(h, '\n');

		if (!nl) {
			fprintf(f, "%s\n", h);
			break;
		}
		fprintf(f, "%.*s\n%*s", (int)(nl - h), h, HELP_COLUMN, "");
		h = nl + 1;
	}
}

static void usage_table(const struct opt *t, FILE *f)
{
	for (; t->kind != OPT_KIND_END; t++) {
		if (t->kind != OPT_KIND_INCLUDE) {
			usage_row(t, f);
			continue;
		}
		if (t->help)
			fprintf(f, "%s\n", t->help);
		usage_table(t->table, f);
	}
}

void opt_usage(const struct opt_cmd *c, FILE *f)
{
	opt_synopsis(c, "usage: ", f);
	if (c->about)
		fprintf(f, "\n%s", c->about);
	fprintf(f, "\noptions:\n");
	usage_table(c->opts, f);
	fprintf(f, "  -h, --help            this help\n");
	if (c->epilog)
		fprintf(f, "\n%s", c->epilog);
}

bool cli_opt_parse(const struct opt_cmd *c, int argc, char **argv, int *status)
{
	struct snp_err err = { 0 };
	bool help;

	if (opt_parse(c, argc, argv, &help, &err) != 0) {
		cli_print_error(c->name, &err, c->json && *c->json);
		fprintf(stderr, "(see 'snpvm %s --help')\n", c->name);
		*status = err.code == SNP_E_INTERNAL ? EXIT_FAILURE_ : cli_exit_status(err.code);
		return false;
	}
	if (help) {
		opt_usage(c, stdout);
		*status = EXIT_DONE;
		return false;
	}
	*status = EXIT_DONE;
	return true;
}
