/* Giving up every capability for good (capabilities(7)). */
#ifndef SNPVM_UTIL_CAPS_H
#define SNPVM_UTIL_CAPS_H

#include "util/err.h"

/*
 * Sets PR_SET_NO_NEW_PRIVS, clears the ambient set, drops every capability
 * from the bounding set (when CAP_SETPCAP is effective; not after setuid
 * to a user, when no capability is left to drop) and empties the
 * effective, permitted and inheritable sets, then checks with capget that
 * none is left. The uid does not change: files
 * the process already opened stay usable, new privileged operations fail.
 */
int caps_drop_all(struct snp_err *err) SNP_MUST_CHECK;

#endif
