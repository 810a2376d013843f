#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_prog = "snpvm";
static enum log_level log_level = LOG_WARN;

void log_setup(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

SNP_PRINTF(3, 0)
static void vlog(enum log_level lvl, const char *tag, const char *fmt, va_list ap)
{
	if (lvl > log_level)
		return;
	fprintf(stderr, "%s: %s", log_prog, tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOG_FN(name, lvl, tag)                  \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		vlog(lvl, tag, fmt, ap);        \
		va_end(ap);                     \
	}

LOG_FN(log_error, LOG_ERROR, "error: ")
LOG_FN(log_warn, LOG_WARN, "warning: ")
LOG_FN(log_info, LOG_INFO, "")
LOG_FN(log_debug, LOG_DEBUG, "debug: ")
