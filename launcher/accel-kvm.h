/*
 * What the `kvm` accelerator exposes beyond its ops table (launcher/accel.h):
 * the decoding of struct kvm_run into the run loop's exit, so tests can check
 * it against hostile kvm_run contents without /dev/kvm.
 */
#ifndef SNPVM_LAUNCHER_ACCEL_KVM_H
#define SNPVM_LAUNCHER_ACCEL_KVM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct kvm_run;
struct vcpu_exit;

/*
 * The kick (accel.h VM_KICK_SIGNAL), shared with accel-kvm-snp.c: installs
 * the no-op handler (without SA_RESTART, so KVM_RUN returns EINTR), and
 * kicks a vCPU: sets run->immediate_exit and signals its thread (if it has
 * one and is not the caller). Async-signal-safe.
 */
int accel_kvm_install_kick_handler(struct snp_err *err) SNP_MUST_CHECK;
void accel_kvm_kick_thread(struct kvm_run *run, atomic_bool *has_thread, pthread_t thread);

/*
 * Translates run (run_size bytes mapped) into *ex, checking every field
 * first: a port I/O exit must have size 1, 2 or 4, count >= 1 and
 * data_offset + size * count within run_size (else VCPU_EXIT_INTERNAL); an
 * exit reason it does not know is VCPU_EXIT_UNKNOWN with its KVM name.
 * ex->u.pio.data / ex->u.mmio.data point into run.
 */
void accel_kvm_decode_exit(struct kvm_run *run, size_t run_size, struct vcpu_exit *ex);

#endif
