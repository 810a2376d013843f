/*
 * The ELF entry point every test guest shares, entered in 64-bit long mode as
 * docs/launch-layout.md says: RDI = vCPU index, RSI = boot parameters GPA,
 * RSP = the top of this vCPU's stack (16-byte aligned). The call below leaves
 * RSP = 8 mod 16 at guest_start's first instruction, as the SysV ABI expects.
 * guest_start never returns (it ends with the debug-exit write).
 */
	.code64
	.section .text.start, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	cld
	xor %ebp, %ebp
	call guest_start
1:	pause
	jmp 1b
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
