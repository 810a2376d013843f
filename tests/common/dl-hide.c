/* The test programs' dlopen (tests/common/dl-hide.h). */
#include "tests/common/dl-hide.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

static const char *hidden, *replacement;

void dl_hide(const char *soname, const char *instead)
{
	hidden = soname;
	replacement = instead;
}

void *dlopen(const char *file, int mode);

void *dlopen(const char *file, int mode)
{
	void *(*next)(const char *, int) = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");

	if (hidden && file && strcmp(file, hidden) == 0)
		file = replacement;
	return next(file, mode);
}
