/* air.c: the preamp's high lift (see air.h). */
#include "air.h"

#include <string.h>

void air_init(struct air *a, float fs)
{
	memset(a, 0, sizeof(*a));
	a->hz = AIR_HZ < 0.35f * fs ? AIR_HZ : 0.35f * fs;
	eq_band_init(&a->band, EQ_HIGH_SHELF, fs);
	eq_band_set(&a->band, 0.0f, a->hz, AIR_Q);
	eq_band_jump(&a->band);
}

void air_reset(struct air *a)
{
	eq_band_jump(&a->band);
	a->clock = 0;
}

void air_set_db(struct air *a, float db)
{
	int was_idle = air_idle(a);
	eq_band_set(&a->band, db, a->hz, AIR_Q);
	if (was_idle)
		a->clock = 0; /* starts on a fresh grid: its bits never depend on when it idled */
}

void air_run(struct air *a, float *x, uint32_t n)
{
	while (n > 0 && !air_idle(a)) {
		uint32_t pos = a->clock % EQ_GRID, k = EQ_GRID - pos;
		if (pos == 0)
			eq_band_grid(&a->band);
		if (k > n)
			k = n;
		if (eq_band_active(&a->band))
			eq_band_run(&a->band, x, x, k, pos);
		a->clock += k;
		x += k;
		n -= k;
	}
}
