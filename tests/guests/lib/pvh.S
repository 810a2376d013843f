/*
 * PVH entry, so the same ELF boots under QEMU (-kernel guest.elf) for the
 * baseline. QEMU finds the XEN_ELFNOTE_PHYS32_ENTRY note (type 18, name "Xen",
 * xen/include/public/elfnote.h; QEMU hw/i386/x86.c read_pvh_start_addr reads
 * the descriptor as a 64-bit value for an ELF64) and its firmware enters
 * pvh_start32 in 32-bit protected mode, paging off, EBX = hvm_start_info
 * (unused here). This stub builds its own identity map of 0..4 GiB with 2 MiB
 * pages and a GDT, enters long mode and jumps to the common 64-bit entry
 * _start with RDI = 0 (vCPU 0), RSI = 0 (no boot parameters: the guest uses
 * the layout's defaults) and RSP = a stack inside the image.
 *
 * snpvm ignores the note: it enters e_entry (_start) directly in long mode.
 * PVH starts the bootstrap processor only; a guest that wants more vCPUs
 * calls pvh_start_aps() (lib/pvh.c), which starts them through the trampoline
 * below.
 */
#include "pvh.h"

#define PVH_PT_PAGES 6 /* PML4, PDPT, 4 page directories */

	.section .note.Xen, "a", @note
	.balign 4
	.long 4          /* namesz: "Xen\0" */
	.long 8          /* descsz */
	.long 18         /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad pvh_start32
	.balign 4

	.code32
	.section .text.pvh, "ax", @progbits
	.globl pvh_start32
	.type pvh_start32, @function
pvh_start32:
	cli
	cld
	mov %ebx, pvh_start_info   /* struct hvm_start_info, for the command line */
	/* Zero the page tables: the loader's handling of .bss is not relied on. */
	mov $pvh_pt, %edi
	mov $(PVH_PT_PAGES * 4096 / 4), %ecx
	xor %eax, %eax
	rep stosl
	/* PML4[0] -> PDPT; PDPT[0..3] -> the four page directories (present, writable). */
	movl $(pvh_pt + 0x1000 + 3), pvh_pt
	movl $(pvh_pt + 0x2000 + 3), pvh_pt + 0x1000
	movl $(pvh_pt + 0x3000 + 3), pvh_pt + 0x1008
	movl $(pvh_pt + 0x4000 + 3), pvh_pt + 0x1010
	movl $(pvh_pt + 0x5000 + 3), pvh_pt + 0x1018
	/* 2048 PDEs: entry i maps i * 2 MiB (PS | writable | present); high dwords stay 0. */
	mov $(pvh_pt + 0x2000), %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, (%edi, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jb 1b

	lgdt pvh_gdt_desc
	call pvh_long_mode
	ljmp $0x08, $pvh_start64
	.size pvh_start32, . - pvh_start32

/* Paging on the page tables at pvh_pt, long mode enabled (the caller's far jump activates it). */
pvh_long_mode:
	mov %cr4, %eax
	or $0x620, %eax          /* PAE | OSFXSR | OSXMMEXCPT, as snpvm's CR4 */
	mov %eax, %cr4
	mov $pvh_pt, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx    /* EFER */
	rdmsr
	or $0x100, %eax          /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80050033, %eax     /* PG | AM | WP | NE | ET | MP | PE, as snpvm's CR0 */
	mov %eax, %cr0
	ret

	.code64
pvh_start64:
	mov $pvh_stack_top, %rsp
	xor %edi, %edi
	/* fall through */
/* Both paths: data segments for long mode, no boot parameters, the common entry. */
pvh_enter64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	xor %esi, %esi
	jmp _start

/*
 * Application processors (pvh_start_aps in lib/pvh.c): the SIPI starts each
 * in real mode at PVH_TRAMPOLINE_GPA, where the BSP copied this code. It loads
 * the GDT, enters protected mode, then long mode on the BSP's page tables, and
 * continues in the image at pvh_ap64. Position-dependent on the copy address:
 * every address below is PVH_TRAMPOLINE_GPA + (label - pvh_trampoline).
 */
#define TRAMP(label) (PVH_TRAMPOLINE_GPA + (label - pvh_trampoline))
	.globl pvh_trampoline, pvh_trampoline_end
	.code16
pvh_trampoline:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl TRAMP(pvh_tramp_gdt_desc)
	mov %cr0, %eax
	or $1, %eax              /* PE */
	mov %eax, %cr0
	ljmpl $0x18, $TRAMP(pvh_tramp32)
	.code32
pvh_tramp32:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $TRAMP(pvh_trampoline_end), %esp /* a few bytes of stack for the call, in the copy page */
	mov $pvh_long_mode, %eax /* absolute: this copy does not run where it was linked */
	call *%eax
	ljmp $0x08, $pvh_ap64
	.balign 8
pvh_tramp_gdt_desc:
	.word pvh_gdt_end - pvh_gdt - 1
	.long pvh_gdt
	.balign 16
	.skip 64
pvh_trampoline_end:

	.code64
pvh_ap64:
	/* vCPU index in arrival order, 1..PVH_MAX_APS; more APs than that spin here. */
	mov $1, %edi
	lock xadd %edi, pvh_ap_next
	cmp $PVH_MAX_APS, %edi
	ja 2f
	mov %rdi, %rsp
	shl $12, %rsp
	add $pvh_ap_stacks, %rsp
	jmp pvh_enter64
2:	pause
	jmp 2b

	.section .rodata
	.balign 8
pvh_gdt:
	.quad 0                   /* null */
	.quad 0x00af9a000000ffff  /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff  /* 0x10: data */
	.quad 0x00cf9a000000ffff  /* 0x18: 32-bit code (the AP trampoline) */
pvh_gdt_end:
pvh_gdt_desc:
	.word pvh_gdt_end - pvh_gdt - 1
	.long pvh_gdt

	.data
	.balign 4
pvh_ap_next:
	.long 1

	.section .bss
	.balign 4096
pvh_pt:
	.skip PVH_PT_PAGES * 4096
pvh_stack:
	.skip 16384
pvh_stack_top:
	/* AP i's stack is the page below pvh_ap_stacks + i * 4096 (i = 1..PVH_MAX_APS). */
	.skip PVH_MAX_APS * 4096
pvh_ap_stacks = pvh_stack_top
	.globl pvh_start_info
	.balign 8
pvh_start_info:
	.long 0

	.section .note.GNU-stack, "", @progbits
