/* SPDX-License-Identifier: GPL-2.0 */
/* ACPI fixed hardware: PM1 event/control, PM timer, reset register. */
#ifndef KVMINI_ACPI_PM_H
#define KVMINI_ACPI_PM_H

struct vm;
struct acpi_pm;

struct acpi_pm *acpi_pm_create(struct vm *vm);
/* Latch a power-button press; the guest sees an SCI if it enabled one. */
void acpi_pm_press_power_button(struct acpi_pm *pm);

#endif
