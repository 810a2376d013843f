/*
 * fw_cfg (launcher/dev-fw-cfg.h). Behaviour follows QEMU hw/nvram/fw_cfg.c:
 * a select resets the read offset; reads past an item's end, or of a key
 * nothing holds, give 0 (DMA reads fill the buffer with zeros); the
 * combined port accepts byte accesses (data) and a 16-bit write (select);
 * other widths there read all-ones and are dropped. The DMA descriptor
 * (FWCfgDmaAccess: be32 control, be32 length, be64 address) and every buffer
 * it names are checked against guest RAM through guest_mem_hva(): a buffer
 * outside RAM (MMIO, past the end, wrapping, too long) sets the ERROR bit
 * the guest sees; a descriptor outside RAM, where no status can be written
 * back, stops the VM with a message naming the address. Nothing is
 * writable (a WRITE sets ERROR), as on QEMU without writable files.
 *
 * Under SNP (the snp backend) the descriptor and every buffer must be in
 * shared pages, as OVMF's fw_cfg driver places them (a bounce buffer it
 * decrypts: MemEncryptSevClearPageEncMask). The VMM's view of a private page
 * is not the guest's data (its launch plaintext, or zeroes once released),
 * so a buffer there sets the ERROR bit and a descriptor there stops the VM,
 * as for addresses outside RAM. emu and sim keep no private/shared map.
 */
#include "launcher/dev-fw-cfg.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "abi/endian.h"
#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/io.h"
#include "launcher/machine.h"
#include "launcher/vm-state.h"

#define FW_CFG_INVALID 0xffff
#define FW_CFG_MAX_FILE_LEN (16u << 20)
#define FW_CFG_DMA_DESC_LEN 16

struct fw_cfg_item {
	uint8_t *data;
	uint32_t len;
	char name[FW_CFG_MAX_FILE_PATH]; /* files only: NUL-terminated */
};

struct fw_cfg {
	struct fw_cfg_item item[FW_CFG_MAX_ENTRY];
	unsigned nfiles;
	uint16_t cur;    /* selected key, or FW_CFG_INVALID */
	uint32_t off;    /* read offset in it */
	uint32_t dma_hi; /* the high half written at 0x514 */
};

static int set_item(struct fw_cfg *f, uint16_t key, const void *data, size_t len,
		    struct snp_err *err)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return snp_errf(err, SNP_E_NOMEM, "fw_cfg: item 0x%x: out of memory", key);
	if (len)
		memcpy(copy, data, len);
	free(f->item[key].data);
	f->item[key].data = copy;
	f->item[key].len = (uint32_t)len;
	return 0;
}

static int cmp_files(const void *a, const void *b)
{
	const struct fw_cfg_item *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* FILE_DIR: be32 count, then one entry per file, sorted by name. */
static int rebuild_file_dir(struct fw_cfg *f, struct snp_err *err)
{
	const struct fw_cfg_item *files[FW_CFG_MAX_ENTRY - FW_CFG_FILE_FIRST];
	uint8_t dir[4 + FW_CFG_FILE_SIZE * (FW_CFG_MAX_ENTRY - FW_CFG_FILE_FIRST)];
	unsigned i;

	for (i = 0; i < f->nfiles; i++)
		files[i] = &f->item[FW_CFG_FILE_FIRST + i];
	qsort(files, f->nfiles, sizeof(files[0]), cmp_files);
	memset(dir, 0, sizeof(dir));
	be32_put(dir, f->nfiles);
	for (i = 0; i < f->nfiles; i++) {
		uint8_t *e = dir + 4 + FW_CFG_FILE_SIZE * i;

		be32_put(e, files[i]->len);
		be16_put(e + 4, (uint16_t)(files[i] - f->item));
		memcpy(e + 8, files[i]->name, strlen(files[i]->name));
	}
	return set_item(f, FW_CFG_FILE_DIR, dir, 4 + FW_CFG_FILE_SIZE * (size_t)f->nfiles, err);
}

int fw_cfg_add_file(struct vm *vm, const char *name, const void *data, size_t len,
		    struct snp_err *err)
{
	struct fw_cfg *f = vm->fw_cfg;
	size_t nlen = strlen(name);
	uint16_t key;
	int ret;

	if (nlen == 0 || nlen >= FW_CFG_MAX_FILE_PATH)
		return snp_errf(err, SNP_E_INVALID, "fw_cfg: file name of %zu bytes (1..%d)",
				   nlen, FW_CFG_MAX_FILE_PATH - 1);
	if (len > FW_CFG_MAX_FILE_LEN)
		return snp_errf(err, SNP_E_INVALID, "fw_cfg: file %s: %zu bytes (at most %u)",
				   name, len, FW_CFG_MAX_FILE_LEN);
	for (unsigned i = 0; i < f->nfiles; i++)
		if (strcmp(f->item[FW_CFG_FILE_FIRST + i].name, name) == 0)
			return snp_errf(err, SNP_E_INVALID, "fw_cfg: file %s added twice", name);
	if (FW_CFG_FILE_FIRST + f->nfiles >= FW_CFG_MAX_ENTRY)
		return snp_errf(err, SNP_E_NOMEM, "fw_cfg: no key left for file %s", name);
	key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles);
	if ((ret = set_item(f, key, data, len, err)) != 0)
		return ret;
	memcpy(f->item[key].name, name, nlen + 1);
	f->nfiles++;
	return rebuild_file_dir(f, err);
}

static void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
	f->cur = key < FW_CFG_MAX_ENTRY ? key : FW_CFG_INVALID;
	f->off = 0;
}

static uint8_t fw_cfg_read_byte(struct fw_cfg *f)
{
	const struct fw_cfg_item *e;

	if (f->cur == FW_CFG_INVALID)
		return 0;
	e = &f->item[f->cur];
	if (!e->data || f->off >= e->len)
		return 0;
	return e->data[f->off++];
}

/* [gpa, gpa + len) in guest RAM and, under SNP, in shared pages: its host address, else NULL. */
static uint8_t *dma_hva(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_hva(vm->mem, gpa, len);

	if (p && vm->cfg.snp && !backend_snp_is_shared(vm->cfg.snp, gpa, len ? len : 1))
		return NULL;
	return p;
}

/* Runs the descriptor at gpa. Returns false when it is not in (shared) RAM: the VM must stop. */
static bool fw_cfg_dma(struct fw_cfg *f, const struct vm *vm, uint64_t gpa)
{
	uint8_t *desc = dma_hva(vm, gpa, FW_CFG_DMA_DESC_LEN);
	uint32_t control, length;
	uint64_t addr;

	if (!desc)
		return false;
	control = be32_get(desc);
	length = be32_get(desc + 4);
	addr = be64_get(desc + 8);
	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(f, (uint16_t)(control >> 16));
	control &= ~(uint32_t)FW_CFG_DMA_CTL_ERROR;
	if (control & FW_CFG_DMA_CTL_WRITE)
		control |= FW_CFG_DMA_CTL_ERROR; /* nothing here is writable */
	while (length > 0 && !(control & FW_CFG_DMA_CTL_ERROR)) {
		const struct fw_cfg_item *e = f->cur == FW_CFG_INVALID ? NULL : &f->item[f->cur];
		bool have = e && e->data && f->off < e->len;
		uint32_t n = have ? e->len - f->off : length;
		uint8_t *buf;

		if (n > length)
			n = length;
		if (control & FW_CFG_DMA_CTL_READ) {
			if (!(buf = dma_hva(vm, addr, n))) {
				control |= FW_CFG_DMA_CTL_ERROR;
				break;
			}
			if (have)
				memcpy(buf, e->data + f->off, n);
			else
				memset(buf, 0, n);
		}
		if (have)
			f->off += n;
		addr += n;
		length -= n;
	}
	/* the status goes back into the descriptor: 0, or the ERROR bit */
	be32_put(desc, control & FW_CFG_DMA_CTL_ERROR);
	return true;
}

static enum io_result fw_cfg_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
				bool is_write, void *opaque)
{
	static const char dma_sig[] = "QEMU CFG";
	struct fw_cfg *f = opaque;
	uint64_t gpa;

	if (off < FW_CFG_PORT_DMA - FW_CFG_PORT_SEL) {
		if (off >= 2)
			return IO_CONTINUE; /* 0x512, 0x513: nobody's, all-ones */
		if (len != 1 && !(is_write && len == 2 && off == 0)) {
			/* QEMU refuses the access (fw_cfg_comb_valid): a read gives 0 */
			if (!is_write)
				memset(data, 0, len);
			return IO_CONTINUE;
		}
		if (!is_write)
			data[0] = fw_cfg_read_byte(f);
		else if (len == 2)
			fw_cfg_select(f, le16_get(data));
		return IO_CONTINUE;
	}
	off -= FW_CFG_PORT_DMA - FW_CFG_PORT_SEL;
	if (!is_write) {
		memcpy(data, dma_sig + off, len); /* io_find keeps off + len <= 8 */
		return IO_CONTINUE;
	}
	if (len != 4 || (off != 0 && off != 4))
		return IO_CONTINUE;
	if (off == 0) {
		f->dma_hi = be32_get(data);
		return IO_CONTINUE;
	}
	gpa = (uint64_t)f->dma_hi << 32 | be32_get(data);
	f->dma_hi = 0;
	if (fw_cfg_dma(f, vcpu->vm, gpa))
		return IO_CONTINUE;
	if (guest_mem_hva(vcpu->vm->mem, gpa, FW_CFG_DMA_DESC_LEN))
		vcpu_end(vcpu->vm, vcpu, VM_END_ERROR, -1, 0,
			 "vCPU %u: fw_cfg DMA descriptor at 0x%llx is in private memory (SNP: "
			 "DMA descriptors and buffers must be in shared pages)",
			 vcpu->idx, (unsigned long long)gpa);
	else
		vcpu_end(vcpu->vm, vcpu, VM_END_ERROR, -1, 0,
			 "vCPU %u: fw_cfg DMA descriptor at 0x%llx is not in guest RAM (0x%llx bytes)",
			 vcpu->idx, (unsigned long long)gpa, (unsigned long long)vcpu->vm->mem->size);
	return IO_STOP;
}

/* etc/e820: one RAM entry, GPA 0 to the memory size (docs/launch-layout.md). */
static int fw_cfg_add_e820(struct vm *vm, struct snp_err *err)
{
	uint8_t e820[FW_CFG_E820_ENTRY_SIZE];

	le64_put(e820, 0);
	le64_put(e820 + 8, vm->mem->size);
	le32_put(e820 + 16, FW_CFG_E820_RAM);
	return fw_cfg_add_file(vm, "etc/e820", e820, sizeof(e820), err);
}

static int set_le32_item(struct fw_cfg *f, uint16_t key, uint32_t v, struct snp_err *err)
{
	uint8_t b[4];

	le32_put(b, v);
	return set_item(f, key, b, sizeof(b), err);
}

/*
 * The measured direct boot items, split as QEMU's x86_load_linux does for an
 * SEV guest (hw/i386/x86-common.c; Linux Documentation/arch/x86/boot.rst):
 * setup = (setup_sects at 0x1f1, 4 if 0, + 1) * 512 bytes from the start of
 * the file, unmodified (QEMU leaves the header alone under SEV so that the
 * firmware's hash of setup + kernel is the hash of the file); kernel = the
 * rest; cmdline with its NUL (size strlen + 1); initrd as is, only if given.
 * These are the bytes the kernel-hashes table measured.
 */
static int fw_cfg_add_kernel(struct fw_cfg *f, const struct vm_config *cfg, struct snp_err *err)
{
	const char *cmdline = cfg->kernel_cmdline ? cfg->kernel_cmdline : "";
	size_t setup_len, cmd_len = strlen(cmdline) + 1;
	unsigned sects;
	int ret;

	if (cfg->kernel_len > UINT32_MAX || cfg->initrd_len > UINT32_MAX || cmd_len > UINT32_MAX)
		return snp_errf(err, SNP_E_INVALID, "fw_cfg: kernel, initrd or cmdline over 4 GiB");
	sects = cfg->kernel_len > 0x1f1 ? cfg->kernel[0x1f1] : 0;
	setup_len = ((size_t)(sects ? sects : 4) + 1) * 512;
	if (setup_len > cfg->kernel_len)
		return snp_errf(err, SNP_E_INVALID,
				"fw_cfg: kernel: invalid header: setup of %zu bytes, file of %zu",
				setup_len, cfg->kernel_len);
	if ((ret = set_le32_item(f, FW_CFG_SETUP_SIZE, (uint32_t)setup_len, err)) != 0 ||
	    (ret = set_item(f, FW_CFG_SETUP_DATA, cfg->kernel, setup_len, err)) != 0 ||
	    (ret = set_le32_item(f, FW_CFG_KERNEL_SIZE, (uint32_t)(cfg->kernel_len - setup_len),
				 err)) != 0 ||
	    (ret = set_item(f, FW_CFG_KERNEL_DATA, cfg->kernel + setup_len,
			    cfg->kernel_len - setup_len, err)) != 0 ||
	    (ret = set_le32_item(f, FW_CFG_CMDLINE_SIZE, (uint32_t)cmd_len, err)) != 0 ||
	    (ret = set_item(f, FW_CFG_CMDLINE_DATA, cmdline, cmd_len, err)) != 0)
		return ret;
	if (!cfg->initrd)
		return 0;
	if ((ret = set_le32_item(f, FW_CFG_INITRD_SIZE, (uint32_t)cfg->initrd_len, err)) != 0 ||
	    (ret = set_item(f, FW_CFG_INITRD_DATA, cfg->initrd, cfg->initrd_len, err)) != 0)
		return ret;
	return 0;
}

static int fw_cfg_init(struct vm *vm, struct snp_err *err)
{
	struct fw_cfg *f = calloc(1, sizeof(*f));
	uint8_t id[4], ram[8], cpus[2];
	int ret;

	if (!f)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	vm->fw_cfg = f;
	f->cur = FW_CFG_INVALID;
	le32_put(id, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	le64_put(ram, vm->mem->size);
	le16_put(cpus, (uint16_t)vm->nvcpus);
	if ((ret = set_item(f, FW_CFG_SIGNATURE, "QEMU", 4, err)) != 0 ||
	    (ret = set_item(f, FW_CFG_ID, id, sizeof(id), err)) != 0 ||
	    (ret = set_item(f, FW_CFG_RAM_SIZE, ram, sizeof(ram), err)) != 0 ||
	    (ret = set_item(f, FW_CFG_NB_CPUS, cpus, sizeof(cpus), err)) != 0 ||
	    (ret = set_item(f, FW_CFG_MAX_CPUS, cpus, sizeof(cpus), err)) != 0 ||
	    (ret = rebuild_file_dir(f, err)) != 0 || (ret = fw_cfg_add_e820(vm, err)) != 0 ||
	    (vm->cfg.kernel && (ret = fw_cfg_add_kernel(f, &vm->cfg, err)) != 0))
		return ret;
	return io_register(&vm->io, IO_PIO, FW_CFG_PORT_SEL, FW_CFG_NPORTS, fw_cfg_io, f, err);
}

static void fw_cfg_exit(struct vm *vm)
{
	struct fw_cfg *f = vm->fw_cfg;

	if (!f)
		return;
	for (unsigned i = 0; i < FW_CFG_MAX_ENTRY; i++)
		free(f->item[i].data);
	free(f);
	vm->fw_cfg = NULL;
}

const struct dev_ops fw_cfg_dev = {
	.name = "fw-cfg",
	.init = fw_cfg_init,
	.exit = fw_cfg_exit,
};
