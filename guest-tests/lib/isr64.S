/*
 * Interrupt and exception entry for the 64-bit guests: one stub per vector
 * pushes the vector (and a 0 where the CPU pushes no error code), the
 * common path saves the general registers as struct int_frame (lib/cpu.h)
 * and calls int_dispatch(frame).  Also run_user(): the switch to CPL3 and
 * the way back (a ud2 at user_exit_ud2, or int $0x81).
 */
#define VEC_USER_RETURN 0x81

	.code64
	.text

/* the CPU pushes an error code for 8, 10-14, 17, 21, 29, 30 */
.macro stub vec
	.balign 16
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm

	.globl isr_stubs
isr_stubs:
	.altmacro
	.set i, 0
	.rept 256
	stub %i
	.set i, i + 1
	.endr
	.noaltmacro

isr_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	/* keep the stack 16-byte aligned for the C call */
	mov %rsp, %rbx
	and $-16, %rsp
	call int_dispatch
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp		/* vector, error */
	iretq

/*
 * uint64_t run_user(uint64_t (*fn)(uint64_t), uint64_t arg, int irqs,
 *                   int iopl3)
 * Saves the callee-saved registers, points the TSS's RSP0 below them (an
 * interrupt at CPL3 lands there) and irets to user_entry at CPL3.
 */
	.globl run_user
run_user:
	movl $-1, user_fault_vector(%rip)
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, kernel_rsp(%rip)
	mov %rsp, %rax
	and $-16, %rax
	mov %rax, tss64 + 4(%rip)	/* RSP0 */
	mov $0x2, %eax			/* RFLAGS: reserved bit */
	test %edx, %edx
	jz 1f
	or $0x200, %eax			/* IF */
1:	test %ecx, %ecx
	jz 2f
	or $0x3000, %eax		/* IOPL 3 */
2:	pushq $0x23			/* SS: user data */
	pushq $0x01f00000		/* RSP: USER_STACK_TOP */
	push %rax			/* RFLAGS */
	pushq $0x2b			/* CS: user code */
	lea user_entry(%rip), %rax
	push %rax
	mov %rdi, %rax			/* fn */
	mov %rsi, %rdi			/* arg */
	xor %esi, %esi
	xor %edx, %edx
	xor %ecx, %ecx
	iretq

/*
 * CPL3: call fn(arg), hand the result back through an exception: ud2 at
 * user_exit_ud2, which int_dispatch turns into user_return.  Not int $0x81
 * or syscall: on kvm_pvm an int from CPL3 raises #UD, and syscall arrives
 * at LSTAR still at CPL3 (CS 0x2b); exceptions from CPL3 do work there.
 */
user_entry:
	mov $0x23, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	call *%rax
	.globl user_exit_ud2
user_exit_ud2:
	ud2

/* from C (int_dispatch): user_return with the result in rdi */
	.globl user_return_c
user_return_c:
	mov %rdi, %rax

/* vector 0x81 (DPL 3, works on KVM but not on kvm_pvm) and the ud2 path:
 * drop the interrupt frame, return from run_user with rax */
	.globl user_return
user_return:
	mov kernel_rsp(%rip), %rsp
	mov $0x10, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %ss
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.bss
	.balign 8
kernel_rsp:
	.quad 0
	.section .note.GNU-stack, "", @progbits
