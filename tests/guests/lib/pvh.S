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
 * Only the bootstrap processor runs here; PVH starts no application processors.
 */
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
	ljmp $0x08, $pvh_start64
	.size pvh_start32, . - pvh_start32

	.code64
pvh_start64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $pvh_stack_top, %rsp
	xor %edi, %edi
	xor %esi, %esi
	jmp _start

	.section .rodata
	.balign 8
pvh_gdt:
	.quad 0                   /* null */
	.quad 0x00af9a000000ffff  /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff  /* 0x10: data */
pvh_gdt_end:
pvh_gdt_desc:
	.word pvh_gdt_end - pvh_gdt - 1
	.long pvh_gdt

	.section .bss
	.balign 4096
pvh_pt:
	.skip PVH_PT_PAGES * 4096
pvh_stack:
	.skip 16384
pvh_stack_top:

	.section .note.GNU-stack, "", @progbits
