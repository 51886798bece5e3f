#include "loudness.h"

#include "truepeak.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* The analog prototypes behind BS.1770-4's 48 kHz coefficients: a high shelf (f0, gain, Q and
 * the band-edge exponent that reproduce the table) and a 2nd-order high-pass. The bilinear
 * transform prewarped at f0 maps them to any rate. */
#define KW_SHELF_F0 1681.974450955533
#define KW_SHELF_DB 3.999843853973347
#define KW_SHELF_Q 0.7071752369554196
#define KW_SHELF_VB_EXP 0.4996667741545416
#define KW_HP_F0 38.13547087602444
#define KW_HP_Q 0.5003270373238773

static void loud_design(struct loudness *l, double fs)
{
	double k = tan(M_PI * KW_SHELF_F0 / fs);
	double vh = pow(10.0, KW_SHELF_DB / 20.0), vb = pow(vh, KW_SHELF_VB_EXP);
	double a0 = 1.0 + k / KW_SHELF_Q + k * k;
	l->sb[0] = (vh + vb * k / KW_SHELF_Q + k * k) / a0;
	l->sb[1] = 2.0 * (k * k - vh) / a0;
	l->sb[2] = (vh - vb * k / KW_SHELF_Q + k * k) / a0;
	l->sa[0] = 2.0 * (k * k - 1.0) / a0;
	l->sa[1] = (1.0 - k / KW_SHELF_Q + k * k) / a0;
	k = tan(M_PI * KW_HP_F0 / fs);
	a0 = 1.0 + k / KW_HP_Q + k * k;
	l->hb[0] = 1.0, l->hb[1] = -2.0, l->hb[2] = 1.0;
	l->ha[0] = 2.0 * (k * k - 1.0) / a0;
	l->ha[1] = (1.0 - k / KW_HP_Q + k * k) / a0;
}

int loudness_init(struct loudness *l, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	loud_design(l, fs);
	l->block_len = (uint32_t)lrint(0.1 * fs);
	loudness_reset(l);
	return 0;
}

void loudness_reset_integrated(struct loudness *l)
{
	memset(&l->gate_i, 0, sizeof(l->gate_i));
	memset(&l->gate_lra, 0, sizeof(l->gate_lra));
	l->nblocks = 0;
	l->lufs_i = DSP_DB_FLOOR;
	l->lra = 0.0f;
}

void loudness_reset(struct loudness *l)
{
	l->s1 = l->s2 = l->h1 = l->h2 = 0.0;
	l->block_pos = 0;
	l->block_acc = 0.0;
	memset(l->blocks, 0, sizeof(l->blocks));
	l->bidx = 0;
	l->lufs_m = l->lufs_s = DSP_DB_FLOOR;
	l->updates = 0;
	loudness_reset_integrated(l);
}

double loudness_lufs(double ms)
{
	if (!(ms > 1e-15))
		return DSP_DB_FLOOR;
	return -0.691 + 10.0 * log10(ms);
}

void loud_hist_add(struct loud_hist *h, double ms)
{
	double lufs = loudness_lufs(ms);
	if (!(lufs > LOUD_ABS_GATE))
		return;
	long k = lrint(floor((lufs - LOUD_HIST_MIN) / LOUD_HIST_STEP));
	if (k >= LOUD_HIST_BINS)
		k = LOUD_HIST_BINS - 1;
	for (long i = k + 1; i <= LOUD_HIST_BINS; i += i & -i)
		h->count[i]++, h->energy[i] += ms;
	h->total++;
	h->total_energy += ms;
}

/* The first bin at or above lufs (the gate falls inside it: the whole bin counts). */
static long loud_bin(double lufs)
{
	double k = floor((lufs - LOUD_HIST_MIN) / LOUD_HIST_STEP);
	return k < 0.0 ? 0 : k > LOUD_HIST_BINS ? LOUD_HIST_BINS : (long)k;
}

/* Count and energy of bins 0 .. k - 1. */
static void loud_prefix(const struct loud_hist *h, long k, uint64_t *count, double *energy)
{
	uint64_t c = 0;
	double e = 0.0;
	for (long i = k; i > 0; i -= i & -i)
		c += h->count[i], e += h->energy[i];
	*count = c, *energy = e;
}

/* Mean square of the bins from k on, and their count. */
static double loud_hist_mean(const struct loud_hist *h, long from, uint64_t *count)
{
	uint64_t c;
	double e;
	loud_prefix(h, from, &c, &e);
	*count = h->total - c;
	return *count ? (h->total_energy - e) / (double)*count : 0.0;
}

double loud_hist_integrated(const struct loud_hist *h, double rel_gate_lu)
{
	uint64_t n;
	if (h->total == 0)
		return DSP_DB_FLOOR;
	double gate = loudness_lufs(h->total_energy / (double)h->total) + rel_gate_lu;
	return loudness_lufs(loud_hist_mean(h, loud_bin(gate), &n));
}

/* The centre of the bin holding the block of rank `rank` (0-based, by loudness). */
static double loud_hist_rank(const struct loud_hist *h, uint64_t rank)
{
	long pos = 0;
	for (long step = LOUD_HIST_TOP; step > 0; step >>= 1)
		if (pos + step <= LOUD_HIST_BINS && h->count[pos + step] <= rank)
			pos += step, rank -= h->count[pos];
	return LOUD_HIST_MIN + (pos + 0.5) * LOUD_HIST_STEP;
}

double loud_hist_range(const struct loud_hist *h)
{
	uint64_t n, below;
	double e;
	if (h->total == 0)
		return 0.0;
	double gate = loudness_lufs(h->total_energy / (double)h->total) + LOUD_REL_GATE_LRA;
	long from = loud_bin(gate);
	loud_prefix(h, from, &below, &e);
	n = h->total - below;
	if (n == 0)
		return 0.0;
	uint64_t r10 = below + (uint64_t)llround(0.10 * (double)(n - 1));
	uint64_t r95 = below + (uint64_t)llround(0.95 * (double)(n - 1));
	return loud_hist_rank(h, r95) - loud_hist_rank(h, r10);
}

/* Mean square of the last k blocks (the ring holds zeros before the first ones). */
static double loud_recent(const struct loudness *l, unsigned k)
{
	double s = 0.0;
	for (unsigned i = 1; i <= k; i++)
		s += l->blocks[(l->bidx + LOUD_S_BLOCKS - i) % LOUD_S_BLOCKS];
	return s / k;
}

/* A 100 ms block is complete: momentary, short-term, the gating histograms. The integrated
 * value and the range are recomputed here too (two passes over 2000 bins every 100 ms). */
static void loud_block_done(struct loudness *l)
{
	l->blocks[l->bidx] = l->block_acc / l->block_len;
	l->bidx = (l->bidx + 1) % LOUD_S_BLOCKS;
	l->block_acc = 0.0;
	l->block_pos = 0;
	l->nblocks++;
	l->updates++;
	double m = loud_recent(l, LOUD_M_BLOCKS), s = loud_recent(l, LOUD_S_BLOCKS);
	l->lufs_m = (float)loudness_lufs(m);
	l->lufs_s = (float)loudness_lufs(s);
	if (l->nblocks >= LOUD_M_BLOCKS) {
		loud_hist_add(&l->gate_i, m);
		l->lufs_i = (float)loud_hist_integrated(&l->gate_i, LOUD_REL_GATE_I);
	}
	if (l->nblocks >= LOUD_S_BLOCKS) {
		loud_hist_add(&l->gate_lra, s);
		l->lra = (float)loud_hist_range(&l->gate_lra);
	}
}

/* The two K-weighting biquads (transposed direct form II, the high-pass with its fixed
 * zeros 1, -2, 1) over n samples, returning the sum of squares; no branch inside, so the
 * compiler keeps the states in registers. */
static double loud_kweight(struct loudness *l, const float *x, uint32_t n)
{
	double s1 = l->s1, s2 = l->s2, h1 = l->h1, h2 = l->h2, acc = 0.0;
	const double sb0 = l->sb[0], sb1 = l->sb[1], sb2 = l->sb[2], sa1 = l->sa[0],
		     sa2 = l->sa[1], ha1 = l->ha[0], ha2 = l->ha[1];
	for (uint32_t i = 0; i < n; i++) {
		double v = x[i];
		double y = sb0 * v + s1;
		s1 = sb1 * v - sa1 * y + s2;
		s2 = sb2 * v - sa2 * y;
		double z = y + h1;
		h1 = -2.0 * y - ha1 * z + h2;
		h2 = y - ha2 * z;
		acc += z * z;
	}
	/* silence decays the states towards subnormals: stop them there */
	if (fabs(s1) + fabs(s2) + fabs(h1) + fabs(h2) < 1e-30)
		s1 = s2 = h1 = h2 = 0.0;
	l->s1 = s1, l->s2 = s2, l->h1 = h1, l->h2 = h2;
	return acc;
}

void loudness_process(struct loudness *l, const float *x, uint32_t n)
{
	while (n > 0) {
		uint32_t k = l->block_len - l->block_pos;
		k = k < n ? k : n;
		l->block_acc += loud_kweight(l, x, k);
		l->block_pos += k;
		if (l->block_pos == l->block_len)
			loud_block_done(l);
		x += k, n -= k;
	}
}

int loudness_prog_init(struct loudness_prog *p, unsigned nch, struct loudness *ch,
		       struct truepeak *tp, float fs)
{
	memset(p, 0, sizeof(*p));
	p->nch = nch, p->ch = ch, p->tp = tp;
	for (unsigned c = 0; c < nch; c++) {
		int err = loudness_init(&ch[c], fs);
		if (err)
			return err;
		truepeak_reset(&tp[c]);
	}
	return 0;
}

/* Every channel has just completed the same block: combine. */
static void loud_prog_block(struct loudness_prog *p)
{
	double ms = 0.0, m = 0.0, s = 0.0;
	for (unsigned c = 0; c < p->nch; c++) {
		const struct loudness *l = &p->ch[c];
		ms += l->blocks[(l->bidx + LOUD_S_BLOCKS - 1) % LOUD_S_BLOCKS];
	}
	p->blocks[p->bidx] = ms;
	p->bidx = (p->bidx + 1) % LOUD_S_BLOCKS;
	p->nblocks++;
	for (unsigned i = 1; i <= LOUD_S_BLOCKS; i++) {
		double b = p->blocks[(p->bidx + LOUD_S_BLOCKS - i) % LOUD_S_BLOCKS];
		s += b;
		if (i <= LOUD_M_BLOCKS)
			m += b;
	}
	if (p->nblocks >= LOUD_M_BLOCKS)
		loud_hist_add(&p->gi, m / LOUD_M_BLOCKS);
	if (p->nblocks >= LOUD_S_BLOCKS)
		loud_hist_add(&p->glra, s / LOUD_S_BLOCKS);
}

void loudness_prog_process(struct loudness_prog *p, const float *const *x, uint32_t n)
{
	for (uint32_t off = 0; off < n;) {
		const struct loudness *l0 = &p->ch[0];
		uint32_t k = l0->block_len - l0->block_pos;
		k = k < n - off ? k : n - off;
		k = k < DSP_MAX_CHUNK ? k : DSP_MAX_CHUNK;
		for (unsigned c = 0; c < p->nch; c++) {
			loudness_process(&p->ch[c], x[c] + off, k);
			float tp = truepeak_process_ref(&p->tp[c], x[c] + off, k);
			for (uint32_t i = 0; i < k; i++)
				tp = fmaxf(tp, fabsf(x[c][off + i]));
			p->tp_max = fmaxf(p->tp_max, tp);
		}
		if (p->ch[0].block_pos == 0)
			loud_prog_block(p);
		off += k;
	}
}

double loudness_prog_integrated(const struct loudness_prog *p)
{
	return loud_hist_integrated(&p->gi, LOUD_REL_GATE_I);
}

double loudness_prog_range(const struct loudness_prog *p) { return loud_hist_range(&p->glra); }

double loudness_prog_true_peak_db(const struct loudness_prog *p)
{
	return dsp_gain_to_db(p->tp_max);
}
