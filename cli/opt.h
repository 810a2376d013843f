/*
 * One declarative option table per (sub)command, after kvmtool's
 * OPT_STRING(&var, help) tables: the same rows drive parsing, validation and
 * --help, so each flag is written once.
 *
 *	struct opt opts[] = {
 *		OPT_STRING("report", &o.report, "FILE", "the raw report", .required = true),
 *		OPT_U64("vmpl", &o.vmpl, 0, 3, "N", "VMPL of the request"),
 *		OPT_FLAG("json", &o.json, "print JSON"),
 *		OPT_END,
 *	};
 *
 * The parser is exact: a long option matches only its whole name (never an
 * abbreviation, so "--t" can never mean "--trust-sim-root"), an option the
 * table lacks is refused by name, a value that is missing is reported as
 * missing, and an option given twice is refused unless it is a list.
 * "--name=value" and "--name value" both work; a separate value may not start
 * with "--" (write "--name=--value" for that). "--" ends the options. "-h" and
 * "--help" print the usage built from the table. No getopt: nothing global.
 */
#ifndef SNPVM_CLI_OPT_H
#define SNPVM_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

enum opt_kind {
	OPT_KIND_END = 0,
	OPT_KIND_FLAG,    /* bool *: set to true; takes no value */
	OPT_KIND_STRING,  /* const char **: the value as given */
	OPT_KIND_U64,     /* uint64_t *: decimal or 0x-hex in [min, max] */
	OPT_KIND_U32,     /* uint32_t *: likewise (max at most UINT32_MAX) */
	OPT_KIND_UINT,    /* unsigned *: likewise (max at most UINT_MAX) */
	OPT_KIND_HEX,     /* uint8_t[len]: exactly 2*len hex digits */
	OPT_KIND_CHOICE,  /* int *: index of the value in arg, "a|b|c" */
	OPT_KIND_CALL,    /* fn(value, value string, err): the command's own conversion */
	OPT_KIND_LIST,    /* struct opt_list *: repeatable, every value in order */
	OPT_KIND_ARG,     /* const char **: the next positional argument (name is its placeholder) */
	OPT_KIND_INCLUDE, /* table: another table's rows, spliced in here */
};

#define OPT_LIST_MAX 16

struct opt_list {
	size_t n;
	const char *v[OPT_LIST_MAX];
};

struct opt {
	const char *name; /* long name without "--"; for OPT_KIND_ARG the placeholder */
	enum opt_kind kind;
	void *value;      /* where the value goes; its type is the kind's (see above) */
	const char *arg;  /* the value's placeholder in --help ("FILE"); CHOICE: "a|b" */
	const char *help; /* one line, or several separated by '\n'; INCLUDE: a heading */
	uint64_t min, max;                              /* numbers */
	size_t len;                                     /* HEX: bytes */
	int (*fn)(void *value, const char *s, struct snp_err *err); /* CALL */
	const struct opt *table;                        /* INCLUDE */
	bool required;    /* refused when absent: "--name is required" */
	bool *given;      /* when non-NULL, set when the option (INCLUDE: any of its rows) appears */
};

/*
 * The macros check the type of the value pointer at compile time (a mismatch
 * in the conditional is a pointer-type warning, an error under -Werror).
 * Trailing designators add the optional fields: .required = true, .given = &b.
 */
#define OPT_TYPED_(type, p) ((void *)(1 ? (p) : (type *)0))
#define OPT_FLAG(n, v, h, ...) \
	{ .name = (n), .kind = OPT_KIND_FLAG, .value = OPT_TYPED_(bool, v), .help = (h), __VA_ARGS__ }
#define OPT_STRING(n, v, a, h, ...)                                                            \
	{ .name = (n), .kind = OPT_KIND_STRING, .value = OPT_TYPED_(const char *, v), .arg = (a), \
	  .help = (h), __VA_ARGS__ }
#define OPT_U64(n, v, lo, hi, a, h, ...)                                                        \
	{ .name = (n), .kind = OPT_KIND_U64, .value = OPT_TYPED_(uint64_t, v), .min = (lo),      \
	  .max = (hi), .arg = (a), .help = (h), __VA_ARGS__ }
#define OPT_U32(n, v, lo, hi, a, h, ...)                                                        \
	{ .name = (n), .kind = OPT_KIND_U32, .value = OPT_TYPED_(uint32_t, v), .min = (lo),      \
	  .max = (hi), .arg = (a), .help = (h), __VA_ARGS__ }
#define OPT_UINT(n, v, lo, hi, a, h, ...)                                                       \
	{ .name = (n), .kind = OPT_KIND_UINT, .value = OPT_TYPED_(unsigned, v), .min = (lo),     \
	  .max = (hi), .arg = (a), .help = (h), __VA_ARGS__ }
#define OPT_HEX(n, v, l, a, h, ...)                                                             \
	{ .name = (n), .kind = OPT_KIND_HEX, .value = OPT_TYPED_(uint8_t, v), .len = (l),        \
	  .arg = (a), .help = (h), __VA_ARGS__ }
#define OPT_CHOICE(n, v, choices, h, ...)                                                       \
	{ .name = (n), .kind = OPT_KIND_CHOICE, .value = OPT_TYPED_(int, v), .arg = (choices),   \
	  .help = (h), __VA_ARGS__ }
#define OPT_CALL(n, f, v, a, h, ...)                                                            \
	{ .name = (n), .kind = OPT_KIND_CALL, .fn = (f), .value = (v), .arg = (a), .help = (h),  \
	  __VA_ARGS__ }
#define OPT_LIST(n, v, a, h, ...)                                                               \
	{ .name = (n), .kind = OPT_KIND_LIST, .value = OPT_TYPED_(struct opt_list, v),           \
	  .arg = (a), .help = (h), __VA_ARGS__ }
#define OPT_ARG(n, v, h, ...)                                                                   \
	{ .name = (n), .kind = OPT_KIND_ARG, .value = OPT_TYPED_(const char *, v), .help = (h),  \
	  __VA_ARGS__ }
#define OPT_INCLUDE(t, heading, ...) \
	{ .name = "", .kind = OPT_KIND_INCLUDE, .table = (t), .help = (heading), __VA_ARGS__ }
#define OPT_END { .name = NULL, .kind = OPT_KIND_END }

/* Rows of one command, nested tables included. */
#define OPT_MAX_ROWS 96

/* A (sub)command: its name in messages and usage, its table and its prose. */
struct opt_cmd {
	const char *name;     /* "verify", "sim status" */
	const struct opt *opts;
	const char *about;    /* printed between the usage line and the options */
	const char *epilog;   /* printed after the options; may be NULL */
	const bool *json;     /* when non-NULL and true at a usage error: JSON error on stdout too */
	/*
	 * Optional: run after a successful parse (not for --help) to refuse
	 * options that do not go together; its error is a usage error like the
	 * parser's. ctx is passed through.
	 */
	int (*check)(void *ctx, struct snp_err *err);
	void *ctx;
};

/*
 * Parses argv[1..argc-1] (argv[0] is the command's name) against c->opts.
 * Returns 0 with every given option stored (*help false), 0 with *help true
 * when -h or --help was given (nothing is validated then), or SNP_E_INVALID
 * with err naming the option: "unknown option '--x' for 'sim status'",
 * "option '--report' needs a value FILE", "option '--json' takes no value",
 * "option '--vmpl' given twice", "--vmpl: 4 is out of range (max 3)",
 * "--report is required", "unexpected argument 'x'", or c->check's error.
 * A table that is itself wrong (a name twice, too many rows) gives
 * SNP_E_INTERNAL.
 */
int opt_parse(const struct opt_cmd *c, int argc, char **argv, bool *help,
	      struct snp_err *err) SNP_MUST_CHECK;

/* The usage line, "usage: snpvm NAME --required ARG ... [options]", ending in '\n'. */
void opt_synopsis(const struct opt_cmd *c, const char *prefix, FILE *f);

/* The whole help: synopsis, about, one line (or more) per option, epilog. */
void opt_usage(const struct opt_cmd *c, FILE *f);

/*
 * opt_parse for a command: returns true when the command should go on.
 * Otherwise it has printed the help on stdout (*status EXIT_DONE) or the
 * error, "snpvm NAME: <message>" and a pointer to --help, on stderr (*status
 * EXIT_USAGE), and returns false.
 */
bool cli_opt_parse(const struct opt_cmd *c, int argc, char **argv, int *status);

#endif
