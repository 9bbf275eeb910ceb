/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interrupt and exception entry stubs for all 256 vectors.
 *
 * Every stub makes the frame uniform (a dummy error code where the CPU
 * pushes none), pushes its vector number and jumps to isr_common, which
 * saves all general registers and the full x87/SSE state (fxsave): C code
 * anywhere may use SSE registers, so an interrupt must not corrupt them.
 */
	.section .text

/* Vectors for which the CPU pushes an error code (SDM vol. 3 table 6-1). */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
		    (v) == 29 || (v) == 30)

	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if HAS_ERR(vec)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	mov	%rsp, %rbx		/* struct trap_frame *; rbx is callee-saved */
	sub	$512, %rsp
	and	$~15, %rsp		/* fxsave needs 16-byte alignment, as does the ABI at call */
	fxsave64 (%rsp)
	cld				/* the ABI requires DF clear on function entry */
	mov	%rbx, %rdi
	call	trap_dispatch
	fxrstor64 (%rsp)
	mov	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	add	$16, %rsp		/* vector and error code */
	iretq
