/* monoclock.h: the one monotonic clock of the control side, for timeouts, rate limits and
 * log throttling (it never jumps when the wall clock is set). */
#ifndef CHANSTRIP_MONOCLOCK_H
#define CHANSTRIP_MONOCLOCK_H

#include <time.h>

static inline double monoclock_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double monoclock_ms(void) { return 1e3 * monoclock_s(); }

#endif
