/*
 * A heavy loop at CPL3: fill 8 MiB with w[i] = i * K and sum it back,
 * through run_user().  The sum has a closed form, checked at CPL0.  On
 * kvm_pvm only CPL3 runs natively (CPL0 is emulated), so the runner shows
 * the rate of both as information; nothing asserts on time.
 */
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define K	   0x9e3779b97f4a7c15ULL
#define USER_WORDS ((8u << 20) / 8)
#define KERN_WORDS (16384u / 8)

static uint64_t fill_and_sum(uint64_t words)
{
	uint64_t *w = (uint64_t *)USER_SCRATCH, s = 0;

	if (current_cpl() != 3 && words == USER_WORDS)
		return 0; /* not at CPL3: the check below fails */
	for (uint64_t i = 0; i < words; i++)
		w[i] = i * K;
	barrier();
	for (uint64_t i = 0; i < words; i++)
		s += w[i];
	return s;
}

static uint64_t expect(uint64_t n)
{
	/* sum of i * K for i < n, mod 2^64 */
	uint64_t tri = n % 2 ? n * ((n - 1) / 2) : (n / 2) * (n - 1);

	return tri * K;
}

static uint32_t ms(struct pm_clock *c)
{
	pm_clock_sample(c);
	return c->ticks / (PM_TMR_HZ / 1000);
}

static uint64_t user_cpl(uint64_t unused)
{
	(void)unused;
	return current_cpl();
}

int main(const struct hvm_start_info *si)
{
	struct pm_clock c;
	uint64_t sum;
	uint32_t t_user, t_kern;

	(void)si;
	test_check(current_cpl() == 0, "cpl3_loop_kernel_cpl",
		   "main runs at CPL %u", current_cpl());
	test_check(run_user(user_cpl, 0, 0, 0) == 3, "cpl3_loop_user_cpl",
		   "run_user code is not at CPL3");
	pm_clock_start(&c);
	sum = run_user(fill_and_sum, USER_WORDS, 1, 0);
	t_user = ms(&c);
	test_check(sum == expect(USER_WORDS), "cpl3_loop_sum",
		   "sum %llx, want %llx", (unsigned long long)sum,
		   (unsigned long long)expect(USER_WORDS));
	pm_clock_start(&c);
	sum = fill_and_sum(KERN_WORDS);
	t_kern = ms(&c);
	test_check(sum == expect(KERN_WORDS), "cpl3_loop_kernel_sum",
		   "sum %llx, want %llx", (unsigned long long)sum,
		   (unsigned long long)expect(KERN_WORDS));
	printf("info: CPL3 %u KiB in %u ms, CPL0 %u KiB in %u ms\n",
	       USER_WORDS / 128, t_user, KERN_WORDS / 128, t_kern);
	return 0;
}
