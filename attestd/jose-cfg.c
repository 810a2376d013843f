#include "attestd/jose-cfg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/* libjose's callback type (jose_cfg_err_t) has no format attribute; fmt is libjose's own. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void record_err(void *misc, const char *file, int line, uint64_t code, const char *fmt,
		       va_list ap)
{
	struct josecfg *c = misc;

	(void)file;
	(void)line;
	(void)code;
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
}
#pragma GCC diagnostic pop

int josecfg_open(struct josecfg *c, struct snp_err *err)
{
	int ret;

	c->msg[0] = '\0';
	c->cfg = NULL;
	if ((ret = jose_dl_load(err)) != 0)
		return ret;
	c->cfg = jose_cfg();
	if (!c->cfg)
		return snp_errf(err, SNP_E_NOMEM, "libjose: out of memory");
	jose_cfg_set_err_func(c->cfg, record_err, c);
	ERR_clear_error();
	return 0;
}

void josecfg_close(struct josecfg *c)
{
	if (c->cfg)
		jose_cfg_decref(c->cfg);
	c->cfg = NULL;
}

int josecfg_fail(struct josecfg *c, struct snp_err *err, int code, const char *fmt, ...)
{
	char what[192];
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	e = ERR_peek_last_error();
	if (e) {
		snp_err_openssl(err, "%s%s%s", what, c->msg[0] ? ": " : "", c->msg);
		if (err)
			err->code = code;
		return code;
	}
	return snp_errf(err, code, "%s%s%s", what, c->msg[0] ? ": " : "", c->msg);
}
