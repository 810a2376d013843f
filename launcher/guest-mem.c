#include "launcher/guest-mem.h"

#include <errno.h>
#include <sys/mman.h>

int guest_mem_alloc(struct guest_mem *m, uint64_t size, struct snp_err *err)
{
	void *p;

	m->hva = NULL;
	m->size = 0;
	if (size < GUEST_MEM_MIN_SIZE || size > GUEST_MEM_MAX_SIZE || size % (2ull << 20) != 0)
		return snp_errf(err, SNP_E_INVALID,
				"guest memory: size %llu MiB: want a multiple of 2 MiB from %llu to %llu MiB",
				(unsigned long long)(size >> 20),
				(unsigned long long)(GUEST_MEM_MIN_SIZE >> 20),
				(unsigned long long)(GUEST_MEM_MAX_SIZE >> 20));
	/* MAP_NORESERVE: a 3 GiB guest that touches 64 MiB costs 64 MiB. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return errno == ENOMEM ? snp_errf(err, SNP_E_NOMEM, "guest memory: %llu MiB: out of memory",
						  (unsigned long long)(size >> 20))
				       : snp_err_sys(err, "guest memory: mmap %llu MiB",
						     (unsigned long long)(size >> 20));
	m->hva = p;
	m->size = size;
	return 0;
}

void guest_mem_free(struct guest_mem *m)
{
	if (m->hva)
		munmap(m->hva, m->size);
	m->hva = NULL;
	m->size = 0;
}

uint8_t *guest_mem_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (!m->hva || gpa >= m->size || len > m->size - gpa)
		return NULL;
	return m->hva + gpa;
}
