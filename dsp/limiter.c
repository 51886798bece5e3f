#include "limiter.h"

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
	double abs1 = 0.0, abs2 = 0.0;
	for (int j = 0; j < LIM_TAPS / 2; j++) {
		float c2 = (float)coef[2][j];
		float ks = (float)(coef[1][j] + coef[1][LIM_TAPS - 1 - j]);
		float kd = (float)(coef[1][j] - coef[1][LIM_TAPS - 1 - j]);
		l->c2v[j] = (dsp_v4f){c2, c2, c2, c2};
		l->ksv[j] = (dsp_v4f){ks, ks, ks, ks};
		l->kdv[j] = (dsp_v4f){kd, kd, kd, kd};
		abs2 += 2.0 * fabs(c2);
		abs1 += fmax(fabs(ks), fabs(kd));
	}
	/* |y| <= sum |taps| max |x| (phases 1 and 3: each pair's two taps, (ks +- kd) / 2,
	 * add up to max(|ks|, |kd|) in magnitude; phase 0 sums to 1, below either); a refined peak b + d^2 / (8 den)
	 * with a, c <= b is at most b + |d| / 8 <= 1.25 max |u|; 0.1 % more covers the float
	 * rounding of the sums */
	double s = abs1 > abs2 ? abs1 : abs2;
	l->quiet_k = (float)(1.25 * 1.001 * (s > 1.0 ? s : 1.0));
}

static void lim_update_times(struct limiter *l)
{
	float hold_ms = l->release_ms < LIM_HOLD_MAX_S * 1000.0f ? l->release_ms
								   : LIM_HOLD_MAX_S * 1000.0f;
	uint32_t hold = (uint32_t)(hold_ms * 0.001f * l->fs);
	l->win = 2 * LIM_GUARD + l->ramp + 1 + hold;
	l->rel_coef = expf(-1.0f / (l->release_ms * 0.001f * l->fs));
	l->at_rest = 0; /* the release's fixed point moves with its pole */
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
	l->dpos = l->rd = l->qhead = l->qlen = l->t = l->bpos = 0;
	l->at_rest = 0;
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

/* The three interpolated phases for four samples at a time (generic vectors: SSE2 or NEON,
 * plain code elsewhere), the accumulators in registers. Every output sums its taps in the
 * same order whatever the chunk, so the result does not depend on how the input is cut;
 * lanes past n read stale finite samples and are dropped. Phase 3 lands one place later
 * (y[2][i + 1]): y[2][0] is left for the previous chunk's last point. */
static void lim_phases(const struct limiter *l, const float *h, uint32_t n,
		       float y[LIM_PHASES - 1][DSP_MAX_CHUNK + 5])
{
	for (uint32_t i = 0; i < n; i += 4) {
		dsp_v4f s2 = {0}, ss = {0}, sd = {0};
		for (int j = 0; j < LIM_TAPS / 2; j++) {
			dsp_v4f a = dsp_load4f(h + i + j), b = dsp_load4f(h + i + LIM_TAPS - 1 - j);
			dsp_v4f sum = a + b, dif = a - b;
			s2 += sum * l->c2v[j];
			ss += sum * l->ksv[j];
			sd += dif * l->kdv[j];
		}
		dsp_store4f(y[0] + i, (ss + sd) * 0.5f);
		dsp_store4f(y[1] + i, s2);
		dsp_store4f(y[2] + i + 1, (ss - sd) * 0.5f);
	}
}

DSP_VEC_INLINE dsp_v4f lim_abs4(dsp_v4f v) { return (dsp_v4f)((dsp_v4i)v & 0x7fffffff); }

DSP_VEC_INLINE dsp_v4f lim_sel4(dsp_v4i m, dsp_v4f a, dsp_v4f b)
{
	return (dsp_v4f)(((dsp_v4i)a & m) | ((dsp_v4i)b & ~m));
}

/* The larger of a and b, lanewise (neither NaN): maxps where there is one. */
DSP_VEC_INLINE dsp_v4f lim_max4(dsp_v4f a, dsp_v4f b)
{
#if defined(__SSE2__)
	return (dsp_v4f)_mm_max_ps((__m128)a, (__m128)b);
#else
	return lim_sel4(a > b, a, b);
#endif
}

/* The peak of |waveform| near the 4x point b (the largest of its interval, neighbours a and
 * c, signed as b): the parabola's vertex when b is a local maximum, else b. Four intervals
 * at a time; the sign flip is exact, so every lane is the scalar formula's bits. */
DSP_VEC_INLINE dsp_v4f lim_refine4(dsp_v4f a, dsp_v4f b, dsp_v4f c)
{
	dsp_v4i sgn = (dsp_v4i)b & (int32_t)0x80000000;
	a = (dsp_v4f)((dsp_v4i)a ^ sgn), b = (dsp_v4f)((dsp_v4i)b ^ sgn);
	c = (dsp_v4f)((dsp_v4i)c ^ sgn);
	dsp_v4f den = 2.0f * b - a - c;
	dsp_v4i ok = (a <= b) & (c <= b) & (den > 1e-20f);
	dsp_v4f d = c - a;
	dsp_v4f v = b + d * d / (8.0f * den);
	return lim_abs4(lim_sel4(ok, v, b));
}

/* Each interval m..m+1's gain request r = min(1, target / peak) into r[0..n-1] (four at a
 * time, lanes past n dropped). The peak: the largest of the interval's four points (the
 * sample, phases 1..3; the first on a tie) refined with its neighbours (the previous
 * interval's last point, the next sample). */
static void lim_requests(const struct limiter *l, const float *h,
			 float y[LIM_PHASES - 1][DSP_MAX_CHUNK + 5], uint32_t n, float *r)
{
	const dsp_v4f target = {l->target, l->target, l->target, l->target};
	for (uint32_t i = 0; i < n; i += 4) {
		dsp_v4f p = dsp_load4f(y[2] + i), x0 = dsp_load4f(h + i + LIM_AHEAD - 1);
		dsp_v4f y1 = dsp_load4f(y[0] + i), y2 = dsp_load4f(y[1] + i);
		dsp_v4f y3 = dsp_load4f(y[2] + i + 1), x1 = dsp_load4f(h + i + LIM_AHEAD);
		dsp_v4f best = lim_abs4(x0), a = p, b = x0, c = y1;
		dsp_v4i m = lim_abs4(y1) > best;
		best = lim_sel4(m, lim_abs4(y1), best);
		a = lim_sel4(m, x0, a), b = lim_sel4(m, y1, b), c = lim_sel4(m, y2, c);
		m = lim_abs4(y2) > best;
		best = lim_sel4(m, lim_abs4(y2), best);
		a = lim_sel4(m, y1, a), b = lim_sel4(m, y2, b), c = lim_sel4(m, y3, c);
		m = lim_abs4(y3) > best;
		a = lim_sel4(m, y2, a), b = lim_sel4(m, y3, b), c = lim_sel4(m, x1, c);
		dsp_v4f pk = lim_refine4(a, b, c);
		dsp_v4f one = {1.0f, 1.0f, 1.0f, 1.0f};
		dsp_store4f(r + i, lim_sel4(pk > target, target / pk, one));
	}
}

/* q + k on the ring of LIM_WIN_CAP (k < LIM_WIN_CAP): a compare, not a division */
static inline uint32_t lim_ring(uint32_t q, uint32_t k)
{
	q += k;
	return q >= LIM_WIN_CAP ? q - LIM_WIN_CAP : q;
}

/* The gain recursion's state, copied into locals for a chunk: stores into the queue (float)
 * could otherwise alias env and force reloads. */
struct lim_run {
	float env, coef, *qv, *box, *g;
	double bsum, inv_ramp;
	uint32_t bpos, qhead, qlen, t, win, ramp, *qt;
};

DSP_VEC_INLINE void lim_run_load(struct lim_run *s, struct limiter *l)
{
	*s = (struct lim_run){
		.env = l->env, .coef = l->rel_coef, .qv = l->qv, .box = l->box, .g = l->g,
		.bsum = l->bsum, .inv_ramp = l->inv_ramp, .bpos = l->bpos, .qhead = l->qhead,
		.qlen = l->qlen, .t = l->t, .win = l->win, .ramp = l->ramp, .qt = l->qt,
	};
}

DSP_VEC_INLINE void lim_run_store(const struct lim_run *s, struct limiter *l)
{
	l->env = s->env, l->bsum = s->bsum;
	l->bpos = s->bpos, l->qhead = s->qhead, l->qlen = s->qlen, l->t = s->t;
}

/* The gain g[i] for the output sample now leaving the delay, from the request ri: the
 * minimum of r over the window (a monotonic queue of (value, time): amortised O(1)), the
 * instant-attack one-pole release, the box average. */
DSP_VEC_INLINE void lim_run_step(struct lim_run *s, float ri, uint32_t i)
{
	while (s->qlen && s->qv[lim_ring(s->qhead, s->qlen - 1)] >= ri)
		s->qlen--;
	uint32_t tail = lim_ring(s->qhead, s->qlen);
	s->qv[tail] = ri, s->qt[tail] = s->t, s->qlen++;
	while (s->t - s->qt[s->qhead] >= s->win)
		s->qhead = lim_ring(s->qhead, 1), s->qlen--;
	s->t++;
	float h = s->qv[s->qhead];
	/* h == env gives h either way: at a constant h the release's chain is skipped */
	if (h <= s->env)
		s->env = h;
	else
		s->env = h - (h - s->env) * s->coef;
	float d = 1.0f - s->env;
	s->bsum += (double)d - (double)s->box[s->bpos];
	s->box[s->bpos] = d;
	if (++s->bpos == s->ramp)
		s->bpos = 0;
	/* below any reduction a float can express: exactly unity, so an untouched signal
	 * passes bit for bit (the running sum may keep a rounding residue) */
	s->g[i] = s->bsum < 1e-9 ? 1.0f : (float)(1.0 - s->bsum * s->inv_ramp);
}

/* The gains g[0..n-1] from the requests r[0..n-1]. */
static void lim_gain_run(struct limiter *l, const float *r, uint32_t n)
{
	struct lim_run s;
	lim_run_load(&s, l);
	for (uint32_t i = 0; i < n; i++)
		lim_run_step(&s, r[i], i);
	lim_run_store(&s, l);
	l->at_rest = 0;
}

/* Two lanes' recursions in one loop: each is a serial chain, and the processor overlaps
 * two independent ones. */
static void lim_gain_run2(struct limiter *l0, const float *r0, struct limiter *l1,
			  const float *r1, uint32_t n)
{
	struct lim_run s0, s1;
	lim_run_load(&s0, l0);
	lim_run_load(&s1, l1);
	for (uint32_t i = 0; i < n; i++) {
		lim_run_step(&s0, r0[i], i);
		lim_run_step(&s1, r1[i], i);
	}
	lim_run_store(&s0, l0);
	lim_run_store(&s1, l1);
	l0->at_rest = l1->at_rest = 0;
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

/* The chunk into the delay line (block copies through the ring); l->rd is where its delayed
 * samples start there. They stay in place until the next chunk: the ring holds the delay
 * and a chunk more. */
_Static_assert(LIM_AHEAD + LIM_GUARD + LIM_RAMP_MAX + DSP_MAX_CHUNK <= LIM_DELAY_CAP,
	       "the delay line holds the longest delay and a chunk");

static void lim_delay(struct limiter *l, const float *in, uint32_t n)
{
	const uint32_t cap = LIM_DELAY_CAP, mask = LIM_DELAY_CAP - 1;
	l->rd = (l->dpos - l->delay) & mask;
	uint32_t k = cap - l->dpos < n ? cap - l->dpos : n;
	memcpy(l->dl + l->dpos, in, k * sizeof(float));
	memcpy(l->dl, in + k, (n - k) * sizeof(float));
	l->dpos = (l->dpos + n) & mask;
}

/* Whether no interval of the chunk can reach the target, from the history's largest |x|:
 * every 4x point is at most quiet_k / 1.25 times it, the previous chunk's last one is known,
 * and a refined peak is at most 1.25 times the largest point (quiet_k holds both). Then
 * every request is exactly 1 and the search can be skipped. */
static int lim_quiet(const struct limiter *l, const float *h, uint32_t n)
{
	dsp_v4f m0 = {0}, m1 = {0};
	uint32_t i = 0, len = n + LIM_TAPS - 1;
	for (; i + 8 <= len; i += 8) {
		m0 = lim_max4(m0, lim_abs4(dsp_load4f(h + i)));
		m1 = lim_max4(m1, lim_abs4(dsp_load4f(h + i + 4)));
	}
	if (i + 4 <= len)
		m0 = lim_max4(m0, lim_abs4(dsp_load4f(h + i)));
	m1 = lim_max4(m1, lim_abs4(dsp_load4f(h + len - 4))); /* the rest, overlapping */
	m0 = lim_max4(m0, m1);
	float mx = 0.0f;
	for (int k = 0; k < 4; k++)
		mx = m0[k] > mx ? m0[k] : mx;
	float bound = mx * l->quiet_k, pu = 1.25f * 1.001f * fabsf(l->prev_u3);
	bound = pu > bound ? pu : bound;
	return bound < l->target;
}

/* Whether the gain is at rest under requests of 1: the window's minimum is 1 (the queue is
 * increasing, so its head is), the release is at its fixed point and the box holds its
 * value throughout. Then every sample's gain is the same and the state only moves in time. */
static int lim_settled(const struct limiter *l)
{
	if (!l->qlen || l->qv[l->qhead] != 1.0f)
		return 0;
	if (1.0f - (1.0f - l->env) * l->rel_coef != l->env)
		return 0;
	float d = 1.0f - l->env;
	for (uint32_t k = 0; k < l->ramp; k++)
		if (l->box[k] != d)
			return 0;
	return 1;
}

/* n samples of lim_gain_run with requests of 1 from a settled state, in one step. */
static void lim_gain_settled(struct limiter *l, uint32_t n)
{
	l->qt[l->qhead] = l->t + n - 1;
	l->t += n;
	l->bpos = (l->bpos + n) % l->ramp;
	float g = l->bsum < 1e-9 ? 1.0f : (float)(1.0 - l->bsum * l->inv_ramp);
	for (uint32_t i = 0; i < n; i++)
		l->g[i] = g;
}

/* The gain half but the recursion: the requests into r, or 0 when the chunk needed none
 * (the gain at rest: g already written); the chunk into the delay line. A chunk that cannot
 * reach the target skips the detector (only its last 4x point is kept); one that also finds
 * the gain at rest skips the recursion. Both give the bits of the full path. */
static int lim_gain_pre(struct limiter *l, const float *in, uint32_t n, float *r)
{
	float *h = l->hist;
	float y[LIM_PHASES - 1][DSP_MAX_CHUNK + 5];
	int run = 1;
	memcpy(h + LIM_TAPS - 1, in, n * sizeof(float));
	if (!l->full_path && lim_quiet(l, h, n)) {
		lim_phases(l, h + n - 1, 1, y);
		l->prev_u3 = y[2][1];
		if (l->at_rest || lim_settled(l)) {
			l->at_rest = 1; /* stays so while chunks are quiet */
			lim_gain_settled(l, n);
			run = 0;
		} else {
			for (uint32_t i = 0; i < n; i++)
				r[i] = 1.0f;
		}
	} else {
		y[2][0] = l->prev_u3;
		lim_phases(l, h, n, y);
		lim_requests(l, h, y, n, r);
		l->prev_u3 = y[2][n];
	}
	lim_delay(l, in, n);
	memmove(h, h + n, (LIM_TAPS - 1) * sizeof(float));
	return run;
}

/* The gain half for nl lanes: each sample's gain into l->g, the delayed samples it applies
 * to in the ring (l->rd); state advanced. The recursions run two lanes at a time. */
static void lim_gain_lanes(struct limiter *const *l, unsigned nl, const float *const *in,
			   uint32_t n)
{
	float r[2][DSP_MAX_CHUNK + 4];
	unsigned k = 0;
	while (k < nl) {
		int run0 = lim_gain_pre(l[k], in[k], n, r[0]);
		if (!run0) {
			k++;
			continue;
		}
		unsigned k1 = k + 1;
		while (k1 < nl && !lim_gain_pre(l[k1], in[k1], n, r[1]))
			k1++;
		if (k1 < nl)
			lim_gain_run2(l[k], r[0], l[k1], r[1], n);
		else
			lim_gain_run(l[k], r[0], n);
		k = k1 + 1;
	}
}

/* out = x g, x itself where g is exactly 1 (so the untouched signal keeps its bits). */
static void lim_mul(const float *g, const float *x, float *out, uint32_t n)
{
	const dsp_v4f one = {1.0f, 1.0f, 1.0f, 1.0f};
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		dsp_v4f gv = dsp_load4f(g + i), xv = dsp_load4f(x + i);
		dsp_store4f(out + i, lim_sel4(gv == one, xv, xv * gv));
	}
	for (; i < n; i++)
		out[i] = g[i] == 1.0f ? x[i] : x[i] * g[i];
}

/* The apply half: the delayed samples (in the ring, from l->rd) times the gains g, the
 * meter's lowest gain, the on/off crossfade with the input. */
static void lim_apply(struct limiter *l, const float *g, const float *in, float *out,
		      uint32_t n)
{
	uint32_t k = LIM_DELAY_CAP - l->rd < n ? LIM_DELAY_CAP - l->rd : n;
	lim_mul(g, l->dl + l->rd, out, k);
	lim_mul(g + k, l->dl, out + k, n - k);
	dsp_v4f mv = {l->min_gain, l->min_gain, l->min_gain, l->min_gain};
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		dsp_v4f gv = dsp_load4f(g + i);
		mv = lim_sel4(gv < mv, gv, mv);
	}
	float ming = mv[0];
	for (int j = 1; j < 4; j++)
		ming = mv[j] < ming ? mv[j] : ming;
	for (; i < n; i++)
		ming = g[i] < ming ? g[i] : ming;
	l->min_gain = ming;
	if (l->xf_pos < l->xf_len)
		lim_crossfade(l, in, out, n);
}

void limiter_process(struct limiter *l, const float *in, float *out, uint32_t n)
{
	lim_gain_lanes(&l, 1, &in, n);
	lim_apply(l, l->g, in, out, n);
}

/* process_lanes: the gains of all lanes (two recursions at a time), then each applied */
static void lim_stage_lanes(void *const *st, unsigned nl, const float *const *in,
			    float *const *out, const float **res, uint32_t n)
{
	struct limiter *lanes[DSP_LANES_MAX] = {0};
	for (unsigned k = 0; k < nl; k++)
		lanes[k] = st[k];
	lim_gain_lanes(lanes, nl, in, n);
	for (unsigned k = 0; k < nl; k++) {
		lim_apply(lanes[k], lanes[k]->g, in[k], out[k], n);
		res[k] = out[k];
	}
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
	if (l->at_rest) { /* one gain for the chunk (a release that ended a hair under 1) */
		float v = -logf(l->g[0]);
		for (i = 0; i < n; i++)
			l->gv_own[i] = l->gv[i] = v;
		return;
	}
	for (i = 0; i < n; i++)
		l->gv_own[i] = l->gv[i] = -logf(l->g[i]);
}

void limiter_gain_lanes(struct limiter *const *l, unsigned nl, const float *const *in,
			uint32_t n)
{
	lim_gain_lanes(l, nl, in, n);
	for (unsigned k = 0; k < nl; k++)
		lim_link_out(l[k], n);
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

STAGE_LINK_ADAPTERS(lim_stage, limiter, limiter_gain_lanes, limiter_apply_lanes)

const struct stage_desc lim_stage = {
	.name = "lim", .label = "true-peak limiter", .first = P_LIM_ENABLE, .last = P_LIM_RELEASE,
	.init = lim_stage_init, .reset = lim_stage_reset, .set = lim_stage_set,
	.process_lanes = lim_stage_lanes, .idle = lim_stage_idle, .latency = lim_stage_latency,
	.gr_take = lim_stage_gr_take,
	.gain_lanes = lim_stage_gain, .link_gr = lim_stage_gr, .apply_lanes = lim_stage_apply,
};
