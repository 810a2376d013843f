/*
 * A library "not installed", for the tests of what snpvm says when a library
 * it loads on first use (util/dl.h) is missing: test programs define dlopen
 * (the static libraries' calls bind to it; everything else passes through
 * to the real one), and while a soname is hidden, a dlopen of it asks for
 * another name no system has, so the loader's own message reads as it would
 * on a host without the package.
 */
#ifndef SNPVM_TESTS_COMMON_DL_HIDE_H
#define SNPVM_TESTS_COMMON_DL_HIDE_H

/* Sends dlopen(soname) to dlopen(instead) from now on; dl_hide(NULL, NULL) ends it. */
void dl_hide(const char *soname, const char *instead);

#endif
