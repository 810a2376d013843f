/* PEM input that never prompts: snpvm's keys are unencrypted, and a tool must not block on a tty. */
#ifndef SNPVM_UTIL_PEM_H
#define SNPVM_UTIL_PEM_H

/*
 * A pem_password_cb (OpenSSL PEM_read_bio_PrivateKey and friends) that supplies no
 * passphrase: OpenSSL then fails on an encrypted key instead of asking on the terminal.
 */
int pem_no_passphrase(char *buf, int size, int rwflag, void *u);

#endif
