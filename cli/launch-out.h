/*
 * What `snpvm launch` tells about a launch beyond its exit status
 * (docs/launcher.md "Output"): the --json summary and the CPUID corrections
 * the firmware made, which are shown on success and on failure alike.
 */
#ifndef SNPVM_CLI_LAUNCH_OUT_H
#define SNPVM_CLI_LAUNCH_OUT_H

#include <stdio.h>

#include "launcher/launch.h"
#include "launcher/policy.h"

struct json_t;

/*
 * The --json summary of a launch that succeeded: backend, measurement,
 * pages_measured, vcpus, memory_mib, ran, cpuid_fixups (an array of strings,
 * launch_fixups_json), certs_served and certs_note (null when there is
 * nothing to say), then the run's outcome when it ran. NULL: out of memory.
 */
struct json_t *launch_summary_json(const struct launch_policy *p, const struct launch_result *r);

/* Every CPUID correction in r as a JSON array of "0x00000001.0 ECX 0x...->0x..." strings. */
struct json_t *launch_fixups_json(const struct launch_result *r);

/* Every CPUID correction in r, one line each: "snpvm launch: CPUID fix-up: 0x00000001.0 ECX ...". */
void launch_print_fixups(FILE *f, const struct launch_result *r);

#endif
