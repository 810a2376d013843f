/* Giving up every capability (util/caps.h). */
#include "util/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int caps_drop_all(struct snp_err *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return snp_err_sys(err, "caps: PR_SET_NO_NEW_PRIVS");
	/* EINVAL: a kernel without ambient capabilities has none to clear */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return snp_err_sys(err, "caps: clearing the ambient set");
	/* the effective set decides: after setuid to a user the bounding set is still full */
	if (syscall(SYS_capget, &hdr, data) != 0)
		return snp_err_sys(err, "caps: capget");
	if (data[0].effective & (1u << CAP_SETPCAP)) {
		/* up to the kernel's last capability: PR_CAPBSET_DROP says EINVAL past it */
		for (unsigned long c = 0; c <= 63; c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
				return snp_err_sys(err, "caps: dropping capability %lu", c);
	}
	memset(data, 0, sizeof(data));
	hdr.pid = 0;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return snp_err_sys(err, "caps: capset");
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return snp_err_sys(err, "caps: capget");
	if (data[0].effective | data[1].effective | data[0].permitted | data[1].permitted)
		return snp_errf(err, SNP_E_SYS, "caps: capabilities remain after capset");
	return 0;
}
