/*
 * A guest that runs until it is told to stop (tests/mgmt.sh): it sleeps
 * in hlt and wakes on a 10 ms LAPIC timer, and at each wake reads the
 * ACPI PM1 status register (a port exit kvmini counts, so `kvmini stat`
 * sees its exits move about 100 times a second while it runs).  When the
 * power-button status bit is set (`kvmini shutdown`) it says so on COM1
 * and powers off.
 */
#include "apic.h"
#include "cpu.h"
#include "io.h"
#include "runtime.h"
#include "serial.h"

#define VEC_TIMER  0x40
#define PERIOD	   625000 /* 10 ms at 1 GHz / 16 */
#define PM1_STS	   0x600
#define PM1_PWRBTN (1U << 8)

static void on_timer(struct int_frame *f)
{
	(void)f;
	lapic_eoi();
}

int main(const struct hvm_start_info *si)
{
	uint32_t wakes = 0;

	(void)si;
	set_int_handler(VEC_TIMER, on_timer);
	pic_disable();
	lapic_enable();
	lapic_timer_start(VEC_TIMER, PERIOD, 16, 1);
	printf("mgmt_idle: running\n");
	for (;;) {
		safe_halt();
		wakes++;
		if (inw(PM1_STS) & PM1_PWRBTN)
			break;
	}
	outw(PM1_STS, PM1_PWRBTN); /* write 1 to clear, as a driver would */
	printf("mgmt_idle: power button pressed after %u wakes; "
	       "powering off\n",
	       wakes);
	poweroff();
}
