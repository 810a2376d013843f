#include "util/dl.h"

#include <dlfcn.h>

int dl_open(const char *soname, const char *const *names, void **fns, size_t n, void **handle,
	    struct snp_err *err)
{
	void *h;

	*handle = NULL;
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return snp_errf(err, SNP_E_UNSUPPORTED, "cannot load %s: %s", soname, dlerror());
	for (size_t i = 0; i < n; i++) {
		(void)dlerror();
		fns[i] = dlsym(h, names[i]);
		if (fns[i] == NULL) {
			snp_errf(err, SNP_E_UNSUPPORTED, "%s has no %s", soname, names[i]);
			dlclose(h);
			return SNP_E_UNSUPPORTED;
		}
	}
	*handle = h;
	return 0;
}

void dl_close(void *handle)
{
	if (handle)
		dlclose(handle);
}
