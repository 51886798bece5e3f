#include "link.h"

/* The group's largest value per sample into mx[0..n), flat members counting as 0. 0 when
 * every member is flat (nothing to share). */
static int link_max(struct stage_gr *const *gr, unsigned k, uint32_t n, float *restrict mx)
{
	int any = 0;
	for (uint32_t i = 0; i < n; i++)
		mx[i] = 0.0f;
	for (unsigned j = 0; j < k; j++) {
		if (gr[j]->flat)
			continue;
		const float *restrict v = gr[j]->v;
		if (!any) {
			for (uint32_t i = 0; i < n; i++)
				mx[i] = v[i];
			any = 1;
			continue;
		}
		for (uint32_t i = 0; i < n; i++)
			mx[i] = v[i] > mx[i] ? v[i] : mx[i];
	}
	/* a flat member is a 0 among the others */
	for (unsigned j = 0; any && j < k; j++)
		if (gr[j]->flat) {
			for (uint32_t i = 0; i < n; i++)
				mx[i] = mx[i] > 0.0f ? mx[i] : 0.0f;
			break;
		}
	return any;
}

static int link_all_zero(const float *a, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != 0.0f)
			return 0;
	return 1;
}

void link_combine(struct stage_gr *const *gr, const float *const *a, unsigned k, uint32_t n,
		  float *restrict mx)
{
	if (k < 2 || !link_max(gr, k, n, mx))
		return;
	for (unsigned j = 0; j < k; j++) {
		const float *restrict aj = a[j];
		if (link_all_zero(aj, n))
			continue;
		float *restrict v = gr[j]->v;
		if (gr[j]->flat) {
			for (uint32_t i = 0; i < n; i++)
				v[i] = 0.0f;
			gr[j]->flat = 0;
		}
		/* v + a (mx - v) as (1 - a) v + a mx: exactly the leader's value at a = 1
		 * (v + (mx - v) may be an ulp off it), so fully linked members apply the same
		 * gain bit for bit, and exactly v at 0; and no select, so the loop vectorises */
		for (uint32_t i = 0; i < n; i++)
			v[i] = (1.0f - aj[i]) * v[i] + aj[i] * mx[i];
	}
}
