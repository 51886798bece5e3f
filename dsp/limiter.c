#include "limiter.h"

#include "vec.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Kaiser window (beta 7) at u in [-1, 1]; the Bessel series converges fast enough here. */
static double lim_bessel_i0(double x)
{
	double s = 1.0, term = 1.0;
	for (int k = 1; k < 30; k++) {
		term *= (x / (2.0 * k)) * (x / (2.0 * k));
		s += term;
	}
	return s;
}

/* Phase p (1..3) at position m + p/4 from taps x[m - LIM_AHEAD + 1 .. m + LIM_AHEAD]:
 * windowed sinc with its cutoff at 0.5 fs, each phase normalised to unity at DC. */
static void lim_design(struct limiter *l)
{
	const double beta = 7.0, half = LIM_AHEAD + 0.5;
	double coef[LIM_PHASES][LIM_TAPS];
	for (int p = 1; p < LIM_PHASES; p++) {
		double sum = 0.0, *c = coef[p];
		for (int j = 0; j < LIM_TAPS; j++) {
			double d = (double)p / LIM_PHASES - (double)(j - (LIM_AHEAD - 1));
			double u = d / half;
			double w = lim_bessel_i0(beta * sqrt(1.0 - u * u)) / lim_bessel_i0(beta);
			double s = sin(M_PI * d) / (M_PI * d);
			c[j] = s * w;
			sum += c[j];
		}
		for (int j = 0; j < LIM_TAPS; j++)
			c[j] /= sum;
	}
	for (int j = 0; j < LIM_TAPS / 2; j++) {
		l->c2[j] = (float)coef[2][j];
		l->ks[j] = (float)(coef[1][j] + coef[1][LIM_TAPS - 1 - j]);
		l->kd[j] = (float)(coef[1][j] - coef[1][LIM_TAPS - 1 - j]);
	}
}

static void lim_update_times(struct limiter *l)
{
	float hold_ms = l->release_ms < LIM_HOLD_MAX_S * 1000.0f ? l->release_ms
								   : LIM_HOLD_MAX_S * 1000.0f;
	uint32_t hold = (uint32_t)(hold_ms * 0.001f * l->fs);
	l->win = 2 * LIM_GUARD + l->ramp + 1 + hold;
	l->rel_coef = expf(-1.0f / (l->release_ms * 0.001f * l->fs));
}

int limiter_init(struct limiter *l, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->fs = fs;
	l->ramp = (uint32_t)lrintf(LIM_RAMP_S * fs);
	if (l->ramp < 4)
		l->ramp = 4;
	if (l->ramp > LIM_RAMP_MAX || (uint32_t)(LIM_HOLD_MAX_S * fs) > LIM_HOLD_MAX)
		return -EINVAL;
	l->delay = LIM_AHEAD + LIM_GUARD + l->ramp;
	l->inv_ramp = 1.0 / l->ramp;
	l->xf_len = (uint32_t)lrintf(LIM_XFADE_S * fs);
	l->xf_pos = l->xf_len;
	l->release_ms = 50.0f;
	l->ceiling_db = -1.0f;
	l->target = 1.0f;
	l->link_gr.v = l->gv;
	l->link_gr.flat = 1;
	lim_design(l);
	lim_update_times(l);
	return 0;
}

void limiter_reset(struct limiter *l)
{
	memset(l->hist, 0, sizeof(l->hist));
	memset(l->dl, 0, sizeof(l->dl));
	memset(l->box, 0, sizeof(l->box));
	l->prev_u3 = 0.0f;
	l->dpos = l->qhead = l->qlen = l->t = l->bpos = 0;
	l->bsum = 0.0;
	l->env = 1.0f;
	l->min_gain = 1.0f;
	l->xf_pos = l->xf_len; /* a reset finishes any fade */
}

/* Switching on starts from silence in the delay line rather than from whatever it held
 * when it was last on, and fades in from the input; switching off fades back to the input
 * (the limiter keeps running until the fade ends). */
void limiter_set_enable(struct limiter *l, int on)
{
	on = on != 0;
	if (on == l->enable)
		return;
	if (on && l->xf_pos >= l->xf_len)
		limiter_reset(l);
	/* reversing a fade half way continues from the same mix */
	l->xf_pos = l->xf_pos < l->xf_len ? l->xf_len - l->xf_pos : 0;
	l->xf_in = on;
	l->enable = on;
}

void limiter_set_ceiling_db(struct limiter *l, float dbtp)
{
	l->ceiling_db = dbtp;
	l->target = dsp_db_to_gain(dbtp - LIM_MARGIN_DB);
}

void limiter_set_release_ms(struct limiter *l, float ms)
{
	l->release_ms = ms;
	lim_update_times(l);
}

int limiter_idle(const struct limiter *l) { return !l->enable && l->xf_pos >= l->xf_len; }

uint32_t limiter_latency(const struct limiter *l) { return l->enable ? l->delay : 0; }

/* The peak of |waveform| near the 4x point b (the largest of its interval, neighbours a and
 * c, signed as b): the parabola's vertex when b is a local maximum, else b. */
static inline float lim_refine(float a, float b, float c)
{
	float s = b < 0.0f ? -1.0f : 1.0f;
	a *= s, c *= s, b *= s;
	float den = 2.0f * b - a - c;
	if (!(a <= b && c <= b && den > 1e-20f))
		return b;
	float d = c - a;
	return b + d * d / (8.0f * den);
}

/* The three interpolated phases for four samples at a time (generic vectors: SSE2 or NEON,
 * plain code elsewhere), the accumulators in registers. Every output sums its taps in the
 * same order whatever the chunk, so the result does not depend on how the input is cut;
 * lanes past n read stale finite samples and are dropped. */
static void lim_phases(const struct limiter *l, const float *h, uint32_t n,
		       float y[LIM_PHASES - 1][DSP_MAX_CHUNK + 4])
{
	for (uint32_t i = 0; i < n; i += 4) {
		dsp_v4f s2 = {0}, ss = {0}, sd = {0};
		for (int j = 0; j < LIM_TAPS / 2; j++) {
			dsp_v4f a = dsp_load4f(h + i + j), b = dsp_load4f(h + i + LIM_TAPS - 1 - j);
			dsp_v4f sum = a + b, dif = a - b;
			s2 += sum * l->c2[j];
			ss += sum * l->ks[j];
			sd += dif * l->kd[j];
		}
		dsp_store4f(y[0] + i, (ss + sd) * 0.5f);
		dsp_store4f(y[1] + i, s2);
		dsp_store4f(y[2] + i, (ss - sd) * 0.5f);
	}
}

/* The true peak of interval m..m+1 from its four points (the sample, phases 1..3), the
 * largest refined with its neighbours (the previous interval's last point, the next
 * sample). */
static inline float lim_interval_peak(struct limiter *l, float xm, float y1, float y2, float y3,
				      float xm1)
{
	float u[LIM_PHASES + 2] = {l->prev_u3, xm, y1, y2, y3, xm1};
	l->prev_u3 = y3;
	int k = 1;
	for (int q = 2; q <= LIM_PHASES; q++)
		if (fabsf(u[q]) > fabsf(u[k]))
			k = q;
	return fabsf(lim_refine(u[k - 1], u[k], u[k + 1]));
}

/* q + k on the ring of LIM_WIN_CAP (k < LIM_WIN_CAP): a compare, not a division */
static inline uint32_t lim_ring(uint32_t q, uint32_t k)
{
	q += k;
	return q >= LIM_WIN_CAP ? q - LIM_WIN_CAP : q;
}

/* Push r at time t into the sliding minimum and return the minimum over the window. */
static inline float lim_window_min(struct limiter *l, float r)
{
	uint32_t t = l->t++;
	while (l->qlen && l->qv[lim_ring(l->qhead, l->qlen - 1)] >= r)
		l->qlen--;
	uint32_t tail = lim_ring(l->qhead, l->qlen);
	l->qv[tail] = r, l->qt[tail] = t, l->qlen++;
	while (t - l->qt[l->qhead] >= l->win)
		l->qhead = lim_ring(l->qhead, 1), l->qlen--;
	return l->qv[l->qhead];
}

/* The gain for the output sample now leaving the delay, from the newest r. */
static inline float lim_gain_next(struct limiter *l, float r)
{
	float h = lim_window_min(l, r);
	if (h < l->env)
		l->env = h;
	else
		l->env = h - (h - l->env) * l->rel_coef;
	float d = 1.0f - l->env;
	l->bsum += (double)d - (double)l->box[l->bpos];
	l->box[l->bpos] = d;
	if (++l->bpos == l->ramp)
		l->bpos = 0;
	/* below any reduction a float can express: exactly unity, so an untouched signal
	 * passes bit for bit (the running sum may keep a rounding residue) */
	if (l->bsum < 1e-9)
		return 1.0f;
	return (float)(1.0 - l->bsum * l->inv_ramp);
}

/* While switching on or off: out (limited, delayed) mixed with in by a raised cosine that
 * lands exactly on one of them. */
static void lim_crossfade(struct limiter *l, const float *in, float *out, uint32_t n)
{
	const float k = (float)M_PI / (float)l->xf_len;
	for (uint32_t i = 0; i < n; i++) {
		float w = 1.0f;
		if (l->xf_pos < l->xf_len)
			w = 0.5f - 0.5f * cosf(k * (float)l->xf_pos++);
		if (!l->xf_in)
			w = 1.0f - w;
		out[i] = w * out[i] + (1.0f - w) * in[i];
	}
}

/* The gain half: each sample's gain into l->g and the delayed sample it applies to into
 * l->dly (state advanced). */
static void lim_gain(struct limiter *l, const float *in, uint32_t n)
{
	float *h = l->hist;
	float y[LIM_PHASES - 1][DSP_MAX_CHUNK + 4];
	memcpy(h + LIM_TAPS - 1, in, n * sizeof(float));
	lim_phases(l, h, n, y);
	const float target = l->target;
	for (uint32_t i = 0; i < n; i++) {
		float pk = lim_interval_peak(l, h[i + LIM_AHEAD - 1], y[0][i], y[1][i], y[2][i],
					     h[i + LIM_AHEAD]);
		float r = pk > target ? target / pk : 1.0f;
		l->g[i] = lim_gain_next(l, r);
		uint32_t rd = (l->dpos - l->delay) & (LIM_DELAY_CAP - 1);
		l->dl[l->dpos] = in[i];
		l->dpos = (l->dpos + 1) & (LIM_DELAY_CAP - 1);
		l->dly[i] = l->dl[rd];
	}
	memmove(h, h + n, (LIM_TAPS - 1) * sizeof(float));
}

/* The apply half: the delayed samples times the gains g, the meter's lowest gain, the on/off
 * crossfade with the input. */
static void lim_apply(struct limiter *l, const float *g, const float *in, float *out,
		      uint32_t n)
{
	float ming = l->min_gain;
	for (uint32_t i = 0; i < n; i++) {
		out[i] = g[i] == 1.0f ? l->dly[i] : l->dly[i] * g[i];
		ming = g[i] < ming ? g[i] : ming;
	}
	l->min_gain = ming;
	if (l->xf_pos < l->xf_len)
		lim_crossfade(l, in, out, n);
}

void limiter_process(struct limiter *l, const float *in, float *out, uint32_t n)
{
	lim_gain(l, in, n);
	lim_apply(l, l->g, in, out, n);
}

/* The own reduction -ln g into gv_own and link_gr.v; when the chunk has none, gv_own is 0
 * and link_gr flat (v not written). v is set here, not once in init, so a copied state
 * points at its own buffer. */
static void lim_link_out(struct limiter *l, uint32_t n)
{
	uint32_t i = 0;
	while (i < n && l->g[i] == 1.0f)
		i++;
	l->link_gr.v = l->gv;
	l->link_gr.flat = i == n;
	if (l->link_gr.flat) {
		memset(l->gv_own, 0, n * sizeof(float));
		return;
	}
	for (i = 0; i < n; i++)
		l->gv_own[i] = l->gv[i] = -logf(l->g[i]);
}

void limiter_gain_lanes(struct limiter *const *l, unsigned nl, const float *const *in,
			uint32_t n)
{
	for (unsigned k = 0; k < nl; k++) {
		lim_gain(l[k], in[k], n);
		lim_link_out(l[k], n);
	}
}

/* The gains the link left in l->g: a value the link did not move keeps the own gain's bits
 * (so a member at link.amount 0 is its unlinked self); a moved one is exp(-v), never above
 * the own gain (the link only deepens, and rounding must not lift a peak past the
 * ceiling). */
static void lim_link_in(struct limiter *l, uint32_t n)
{
	if (l->link_gr.flat)
		return;
	for (uint32_t i = 0; i < n; i++) {
		float own = l->gv_own[i], v = l->gv[i];
		if (v != own) {
			float g = expf(-v);
			l->g[i] = g < l->g[i] ? g : l->g[i];
		}
	}
}

void limiter_apply_lanes(struct limiter *const *l, unsigned nl, const float *const *in,
			 float *const *out, uint32_t n)
{
	for (unsigned k = 0; k < nl; k++) {
		lim_link_in(l[k], n);
		lim_apply(l[k], l[k]->g, in[k], out[k], n);
	}
}

static int lim_stage_init(void *st, float fs) { return limiter_init(st, fs); }
static void lim_stage_reset(void *st) { limiter_reset(st); }
static int lim_stage_idle(const void *st) { return limiter_idle(st); }
static uint32_t lim_stage_latency(const void *st) { return limiter_latency(st); }
static float lim_stage_gr_take(void *st)
{
	return stage_take_gain(&((struct limiter *)st)->min_gain);
}

static void lim_stage_set(void *st, unsigned idx, float v)
{
	struct limiter *l = st;
	switch (P_LIM_ENABLE + (int)idx) {
	case P_LIM_ENABLE: limiter_set_enable(l, v >= 0.5f); break;
	case P_LIM_CEILING: limiter_set_ceiling_db(l, v); break;
	case P_LIM_RELEASE: limiter_set_release_ms(l, v); break;
	default: break;
	}
}

STAGE_EACH_LANE_ADAPTER(lim_stage_lanes, limiter, limiter_process)
STAGE_LINK_ADAPTERS(lim_stage, limiter, limiter_gain_lanes, limiter_apply_lanes)

const struct stage_desc lim_stage = {
	.name = "lim", .label = "true-peak limiter", .first = P_LIM_ENABLE, .last = P_LIM_RELEASE,
	.init = lim_stage_init, .reset = lim_stage_reset, .set = lim_stage_set,
	.process_lanes = lim_stage_lanes, .idle = lim_stage_idle, .latency = lim_stage_latency,
	.gr_take = lim_stage_gr_take,
	.gain_lanes = lim_stage_gain, .link_gr = lim_stage_gr, .apply_lanes = lim_stage_apply,
};
