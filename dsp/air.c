/* air.c: the preamp's high lift (see air.h). */
#include "air.h"

#include <string.h>

#include "vec.h"

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

void air_run_each(struct air *a, float *x, uint32_t n)
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

/* Settled (no glide, no ramp: a grid step only cleans the state, as eq_band_grid does), the
 * whole call is one loop with the state in registers rather than a call per grid period that
 * reloads it: air_run_each's bits. */
static int air_steady(const struct air *a)
{
	return !air_idle(a) && !a->band.moving && !a->band.ramp;
}

static void air_run_steady(struct air *a, float *x, uint32_t n)
{
	const struct biquad_coef c = a->band.c;
	struct biquad_state z = a->band.z;
	uint32_t pos = a->clock % EQ_GRID;
	for (uint32_t i = 0; i < n;) {
		if ((pos + i) % EQ_GRID == 0)
			z.z1 = eq_clean(z.z1), z.z2 = eq_clean(z.z2);
		uint32_t end = i + EQ_GRID - (pos + i) % EQ_GRID;
		for (end = end < n ? end : n; i < end; i++)
			x[i] = biquad_tick(&c, &z, x[i]);
	}
	a->band.z = z;
	a->clock += n;
}

void air_run(struct air *a, float *x, uint32_t n)
{
	if (air_steady(a))
		air_run_steady(a, x, n);
	else
		air_run_each(a, x, n);
}

/* ---- lanes side by side ----------------------------------------------------------------------
 * Lanes whose shelves are settled (no glide, no ramp: a grid step only cleans the state) and on
 * the same grid position run in vectors of four, biquad_tick's operations on every lane, the
 * state cleaned where eq_band_grid would clean it: air_run's bits. */

#define AIR_GROUPS_MAX (DSP_LANES_MAX / 4)

/* eq_band_grid's hygiene of a settled band (eq.c: eq_clean), on four lanes. */
static inline __attribute__((always_inline)) dsp_v4f air_clean_v4(dsp_v4f z)
{
	dsp_v4f a = (dsp_v4f)((dsp_v4i)z & 0x7fffffff);
	dsp_v4i keep = (a >= 1e-20f) & (a <= 3.40282347e38f);
	return (dsp_v4f)((dsp_v4i)z & keep);
}

static inline __attribute__((always_inline)) void
air_run_v4(struct air *const *a, unsigned nl, float *const *x, uint32_t n, const unsigned groups)
{
	struct biquad_coef_v4 c[AIR_GROUPS_MAX];
	struct biquad_state_v4 z[AIR_GROUPS_MAX];
	dsp_v4f v[DSP_MAX_CHUNK * AIR_GROUPS_MAX];
	static const struct biquad_state rest;
	for (unsigned g = 0; g < groups; g++)
		for (unsigned q = 0; q < 4; q++) {
			unsigned l = 4 * g + q;
			biquad_coef_put_v4(&c[g], q, &a[l < nl ? l : 0]->band.c);
			biquad_state_put_v4(&z[g], q, l < nl ? &a[l]->band.z : &rest);
			for (uint32_t i = 0; i < n; i++)
				v[groups * i + g][q] = l < nl ? x[l][i] : 0.0f;
		}
	uint32_t pos = a[0]->clock % EQ_GRID;
	for (uint32_t i = 0; i < n; i++) {
		if ((pos + i) % EQ_GRID == 0)
			for (unsigned g = 0; g < groups; g++)
				z[g].z1 = air_clean_v4(z[g].z1), z[g].z2 = air_clean_v4(z[g].z2);
		for (unsigned g = 0; g < groups; g++)
			v[groups * i + g] = biquad_tick_v4(&c[g], &z[g], v[groups * i + g]);
	}
	for (unsigned l = 0; l < nl; l++) {
		for (uint32_t i = 0; i < n; i++)
			x[l][i] = v[groups * i + l / 4][l % 4];
		biquad_state_get_v4(&a[l]->band.z, &z[l / 4], l % 4);
		a[l]->clock += n;
	}
}

void air_run_lanes(struct air *const *a, unsigned nl, float *const *x, uint32_t n)
{
	int fused = nl > 1 && n > 0;
	for (unsigned l = 0; l < nl && fused; l++)
		fused = air_steady(a[l]) && a[l]->clock % EQ_GRID == a[0]->clock % EQ_GRID;
	if (!fused) {
		for (unsigned l = 0; l < nl; l++)
			air_run(a[l], x[l], n);
		return;
	}
	if (nl <= 4)
		air_run_v4(a, nl, x, n, 1);
	else
		air_run_v4(a, nl, x, n, 2);
}
