// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI fixed hardware registers at ACPI_PM_BASE (the FADT points here):
 *   +0  PM1a_STS (write 1 to clear)   +2 PM1a_EN
 *   +4  PM1a_CNT: SCI_EN reads 1 (no SMI handshake); writing SLP_EN
 *       with the \_S5 SLP_TYP powers the machine off
 *   +8  PM_TMR: 32-bit, 3.579545 MHz
 *   +12 RESET_REG: writing RESET_VALUE resets the machine
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "acpi_pm.h"
#include "bus.h"
#include "layout.h"
#include "vm.h"

#define PM1_PWRBTN	      (1U << 8)
#define PM1_CNT_SCI_EN	      (1U << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN	      (1U << 13)
#define PM_TIMER_HZ	      3579545ULL

struct acpi_pm {
	pthread_mutex_t lock;
	struct vm *vm;
	uint16_t sts, en, cnt;
	int sci_level;
};

static void update_sci(struct acpi_pm *pm)
{
	int level = (pm->sts & pm->en) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		vm_set_irq_line(pm->vm, ACPI_SCI_IRQ, level);
	}
}

static uint32_t pm_timer(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((ts.tv_sec * PM_TIMER_HZ) +
			  (ts.tv_nsec * PM_TIMER_HZ) / 1000000000ULL);
}

static uint8_t reg_byte(struct acpi_pm *pm, unsigned int off)
{
	uint32_t v;

	switch (off & ~1U) {
	case 0x0: v = pm->sts; break;
	case 0x2: v = pm->en; break;
	case 0x4: v = pm->cnt | PM1_CNT_SCI_EN; break;
	case 0x8:
	case 0xa: return pm_timer() >> ((off - 8) * 8);
	default: return 0;
	}
	return v >> ((off & 1) * 8);
}

static uint64_t acpi_pm_read(void *opaque, uint64_t off, unsigned int size)
{
	struct acpi_pm *pm = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&pm->lock);
	if (off >= 8 && off + size <= 12 && size == 4) {
		v = pm_timer(); /* one sample for the whole register */
	} else {
		for (unsigned int i = 0; i < size && off + i < ACPI_PM_LEN; i++)
			v |= (uint64_t)reg_byte(pm, off + i) << (8 * i);
	}
	pthread_mutex_unlock(&pm->lock);
	return v;
}

static void write_cnt(struct acpi_pm *pm, uint16_t val)
{
	unsigned int slp_typ = (val >> PM1_CNT_SLP_TYP_SHIFT) & 7;

	pm->cnt = val & ~PM1_CNT_SLP_EN;
	if ((val & PM1_CNT_SLP_EN) && slp_typ == ACPI_S5_SLP_TYP)
		vm_request_stop(pm->vm, VM_STOP_POWEROFF, EXIT_OK);
}

static void write_byte(struct acpi_pm *pm, unsigned int off, uint8_t b)
{
	unsigned int shift = (off & 1) * 8;

	switch (off & ~1U) {
	case 0x0:
		pm->sts &= ~((uint16_t)b << shift); /* write 1 to clear */
		break;
	case 0x2: pm->en = (pm->en & ~(0xff << shift)) | b << shift; break;
	case 0x4:
		write_cnt(pm, (pm->cnt & ~(0xff << shift)) | b << shift);
		break;
	case 0xc:
		if (off == 0xc && b == ACPI_RESET_VALUE)
			vm_request_stop(pm->vm, VM_STOP_REBOOT, EXIT_OK);
		break;
	}
}

static void acpi_pm_write(void *opaque, uint64_t off, unsigned int size,
			  uint64_t val)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	if ((off & ~1U) == 4 && size == 2) {
		write_cnt(pm, val); /* SLP_TYP and SLP_EN together */
	} else {
		for (unsigned int i = 0; i < size && off + i < ACPI_PM_LEN; i++)
			write_byte(pm, off + i, val >> (8 * i));
	}
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static const struct io_ops acpi_pm_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};

struct acpi_pm *acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pthread_mutex_init(&pm->lock, NULL);
	pm->vm = vm;
	if (bus_register(&vm->pio, ACPI_PM_BASE, ACPI_PM_LEN, "acpi-pm",
			 &acpi_pm_ops, pm)) {
		free(pm);
		return NULL;
	}
	vm_own_device(vm, pm);
	return pm;
}

void acpi_pm_press_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= PM1_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}
