/*
 * One line per event on stderr, prefixed "snpvm <cmd>:". The level is the
 * only process-wide setting, set once by cli/. Libraries do not log.
 */
#ifndef SNPVM_UTIL_LOG_H
#define SNPVM_UTIL_LOG_H

#include "util/err.h"

enum log_level { LOG_QUIET = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_setup(const char *prog, enum log_level level);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) SNP_PRINTF(1, 2);
void log_warn(const char *fmt, ...) SNP_PRINTF(1, 2);
void log_info(const char *fmt, ...) SNP_PRINTF(1, 2);
void log_debug(const char *fmt, ...) SNP_PRINTF(1, 2);

#endif
