/*
 * Starting the APs: INIT, SIPI, SIPI through the LAPIC ICR, a real-mode
 * trampoline at TRAMP_BASE (lib/trampoline.S), then long mode with the
 * BSP's page tables, GDT and IDT.  Each AP runs fn(its APIC ID) at CPL0
 * and then halts with interrupts off.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdint.h>

#define TRAMP_BASE 0x10000u

/* APIC IDs that reached ap_start64_c, and that returned from fn */
extern volatile uint64_t smp_online, smp_done;

/* start CPUs 1..ncpus-1 (APIC IDs = CPU indexes on kvmini), each running
 * fn; wait up to timeout_ms for all of them to finish fn.  Returns the
 * number of APs that finished. */
int smp_boot(uint32_t ncpus, void (*fn)(uint32_t cpu), uint32_t timeout_ms);

#endif
