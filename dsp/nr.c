#include "nr.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <fftw3.h>

/* Time constants of the estimators, in seconds, turned into per-frame coefficients at init
 * so that every sample rate (every hop length) behaves the same. Cohen and Berdugo's MCRA
 * values at their 8 ms hop (alpha_s 0.8, alpha_d 0.95). The decision-directed smoothing is
 * shorter than the usual 0.98 per frame: that value is there to keep the gain from following
 * every random peak of noise alone, which here the speech gate does (no frame without speech
 * leaves the floor), and its slow rise at each onset and its low SNR estimate on weak voiced
 * harmonics cost 0.1-0.2 dB of voiced level (measured with 0.08 s against 0.02 s). */
#define NR_TAU_SMOOTH_S 0.036f
#define NR_TAU_NOISE_S 0.16f
#define NR_TAU_DD_S 0.02f
#define NR_MIN_WINDOW_S 0.8f  /* MCRA minimum search window */
#define NR_START_S 0.05f      /* the minimum follows at a stream's start (nr_track_noise) */
#define NR_PRESENCE_RATIO 5.0f /* smoothed power over its minimum above which speech is present */
#define NR_GAIN_PRESENCE 2.0f  /* smoothed power over the noise estimate where the gain opens */
#define NR_ONSET_PRESENCE 4.0f /* the same over two frames: opens at once on an onset */
/* The speech gate: the mean over the bins of 150 Hz-4 kHz of the log likelihood ratio of
 * speech against noise at the maximum-likelihood SNR, gamma - ln gamma - 1 where the
 * periodogram over the noise estimate gamma exceeds 1 (Sohn, Kim and Sung 1999), averaged
 * over two frames. Noise alone gives 0.13 on average and stayed below 0.5 in 600 frames of
 * pink and fan noise; the weakest 1 % of voiced frames at 10 dB SNR give 0.5 and more. */
#define NR_GATE_LO_HZ 150.0f
#define NR_GATE_HI_HZ 4000.0f
#define NR_GATE_LLR 0.5f
#define NR_GATE_HOLD_S 0.01f  /* the gate stays open this long after the last frame over */
#define NR_PROB_POLE 0.2f     /* speech presence probability smoothing per frame */
#define NR_XI_MIN 0.003f      /* a priori SNR floor (-25 dB) */
#define NR_FADE_S 0.02f       /* on/off crossfade */
#define NR_LATENCY_MAX_S 0.012f

/* ---- FFT plans ------------------------------------------------------------------------- */

/* FFTW's planner is not thread-safe (only fftwf_execute* is), and strips are built on
 * control threads (engine_init, a sample-rate change), so plan creation is serialised by
 * this mutex. It is taken in init only, never in the audio thread. Plans are shared by every
 * strip of one frame size and live until the process ends: a handful of sizes at most, and
 * freeing them would need a count of users that no strip_init/strip has a place for. */
#define NR_PLAN_SLOTS 16
static pthread_mutex_t nr_plan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint32_t n;
	fftwf_plan fwd, inv;
} nr_plans[NR_PLAN_SLOTS];

static int nr_plan_get(uint32_t n, fftwf_plan *fwd, fftwf_plan *inv)
{
	int err = -ENOMEM;
	pthread_mutex_lock(&nr_plan_lock);
	for (unsigned i = 0; i < NR_PLAN_SLOTS; i++) {
		if (nr_plans[i].n == n) {
			*fwd = nr_plans[i].fwd, *inv = nr_plans[i].inv;
			err = 0;
			break;
		}
		if (nr_plans[i].n != 0)
			continue;
		/* planned on FFTW's own aligned arrays: the strips' arrays are aligned alike
		 * (nr_aligned), which the new-array execute functions require */
		float *t = fftwf_malloc(sizeof(float) * n);
		fftwf_complex *c = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
		if (t && c) {
			nr_plans[i].fwd = fftwf_plan_dft_r2c_1d((int)n, t, c, FFTW_ESTIMATE);
			nr_plans[i].inv = fftwf_plan_dft_c2r_1d((int)n, c, t, FFTW_ESTIMATE);
			if (nr_plans[i].fwd && nr_plans[i].inv) {
				nr_plans[i].n = n;
				*fwd = nr_plans[i].fwd, *inv = nr_plans[i].inv;
				err = 0;
			}
		}
		fftwf_free(t);
		fftwf_free(c);
		break;
	}
	pthread_mutex_unlock(&nr_plan_lock);
	return err;
}

/* The 64-byte aligned start of a buffer inside the struct. Computed from the address each
 * time, so a copied struct still works. */
static inline float *nr_aligned(float *raw)
{
	uintptr_t p = (uintptr_t)raw;
	return (float *)((p + 63u) & ~(uintptr_t)63u);
}

/* ---- setup ----------------------------------------------------------------------------- */

uint32_t nr_frame_size(float fs)
{
	uint32_t lim = (uint32_t)(NR_LATENCY_MAX_S * fs), best = 16;
	for (uint32_t p = 16; p <= NR_FFT_MAX; p *= 2) {
		if (p <= lim)
			best = p;
		if (3 * p / 2 <= lim && 3 * p / 2 <= NR_FFT_MAX && 3 * p / 2 > best)
			best = 3 * p / 2;
	}
	return best;
}

static float nr_pole(float tau_s, float fs, uint32_t hop)
{
	return expf(-(float)hop / (tau_s * fs));
}

int nr_init(struct nr *r, float fs)
{
	if (!(fs >= 8000.0f && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->fs = fs;
	r->n_fft = nr_frame_size(fs);
	r->hop = r->n_fft / 2;
	r->bins = r->n_fft / 2 + 1;
	fftwf_plan f, i;
	int err = nr_plan_get(r->n_fft, &f, &i);
	if (err)
		return err;
	r->fwd = f, r->inv = i;
	/* periodic sqrt-Hann: its square is a Hann window, whose copies at half-frame steps
	 * sum to exactly 1, so analysis times synthesis reconstructs with unit gain */
	for (uint32_t k = 0; k < r->n_fft; k++)
		r->win[k] = sqrtf(0.5f - 0.5f * cosf(2.0f * (float)M_PI * (float)k /
						      (float)r->n_fft));
	r->a_s = nr_pole(NR_TAU_SMOOTH_S, fs, r->hop);
	r->a_d = nr_pole(NR_TAU_NOISE_S, fs, r->hop);
	r->a_dd = nr_pole(NR_TAU_DD_S, fs, r->hop);
	r->min_frames = (uint32_t)(NR_MIN_WINDOW_S * fs / (float)r->hop) + 1;
	r->start_frames = (uint32_t)(NR_START_S * fs / (float)r->hop);
	r->gate_hold_frames = (uint32_t)ceilf(NR_GATE_HOLD_S * fs / (float)r->hop);
	float df = fs / (float)r->n_fft, hi = fminf(NR_GATE_HI_HZ, 0.45f * fs);
	r->gate_k0 = (uint32_t)ceilf(NR_GATE_LO_HZ / df);
	r->gate_k1 = (uint32_t)floorf(hi / df);
	r->fade_step = 1.0f / (NR_FADE_S * fs);
	r->floor_gain = 1.0f;
	r->over = 1.0f;
	atomic_init(&r->profile_seq, 0);
	return 0;
}

/* Clear the stream and the estimators (a new signal follows). */
static void nr_stream_clear(struct nr *r)
{
	memset(r->in_fifo, 0, sizeof(r->in_fifo));
	memset(r->ola, 0, sizeof(r->ola));
	memset(r->out_ready, 0, sizeof(r->out_ready));
	memset(r->dry_ready, 0, sizeof(r->dry_ready));
	memset(r->clean, 0, sizeof(r->clean));
	memset(r->prob, 0, sizeof(r->prob));
	memset(r->gprob, 0, sizeof(r->gprob));
	r->gate_llr = 0.0f;
	r->gate_hold = 0;
	r->pos = 0;
	r->frames = 0;
	r->min_count = 0;
}

void nr_reset(struct nr *r)
{
	nr_stream_clear(r);
	r->running = r->enable;
	r->fade = r->enable ? 1.0f : 0.0f;
	r->preroll = 0;
	r->learn_left = 0;
}

static void nr_set_enable(struct nr *r, int on)
{
	r->enable = on;
	if (on && !r->running) {
		/* the first frame is whole after n_fft samples: until then the dry input goes
		 * on, then the crossfade starts */
		nr_stream_clear(r);
		r->running = 1;
		r->preroll = r->n_fft;
	}
}

static void nr_set(void *st, unsigned idx, float v)
{
	struct nr *r = st;
	switch (P_NR_ENABLE + (int)idx) {
	case P_NR_ENABLE:
		nr_set_enable(r, v != 0.0f);
		break;
	case P_NR_AMOUNT:
		r->floor_gain = v == 0.0f ? 1.0f : dsp_db_to_gain(-v);
		break;
	case P_NR_MODE:
		r->mode = (int)v;
		break;
	case P_NR_THRESHOLD:
		r->over = v == 0.0f ? 1.0f : expf(v * 0.23025850929940458f);
		break;
	case P_NR_LISTEN:
		r->listen = v != 0.0f;
		break;
	default:
		break;
	}
}

/* ---- profile --------------------------------------------------------------------------- */

float nr_profile_hz(unsigned i)
{
	return 20.0f * powf(1000.0f, (float)i / (float)(NR_PROFILE_POINTS - 1));
}

/* Expected |Y|^2 of a bin for a one-sided noise density of 1 per Hz: a density P gives a
 * variance P fs / 2, and a window w passes sum(w^2) = n/2 (sqrt-Hann) times the variance. */
static float nr_bin_scale(const struct nr *r)
{
	return 0.5f * r->fs * 0.5f * (float)r->n_fft;
}

/* Profile points -> expected |Y|^2 per bin: dB interpolated linearly over log frequency,
 * held flat beyond the end points. */
static void nr_profile_to_bins(struct nr *r)
{
	const float step = log2f(1000.0f) / (float)(NR_PROFILE_POINTS - 1);
	float scale = nr_bin_scale(r);
	for (uint32_t k = 0; k < r->bins; k++) {
		float f = (float)k * r->fs / (float)r->n_fft;
		float x = f > 20.0f ? log2f(f / 20.0f) / step : 0.0f;
		unsigned i = x >= (float)(NR_PROFILE_POINTS - 1) ? NR_PROFILE_POINTS - 2 : (unsigned)x;
		float t = x - (float)i;
		t = t > 1.0f ? 1.0f : t;
		float db = r->profile_db[i] + t * (r->profile_db[i + 1] - r->profile_db[i]);
		r->profile[k] = scale * expf(db * 0.23025850929940458f);
	}
}

static float nr_clamp_db(float v)
{
	return isfinite(v) ? (v < -200.0f ? -200.0f : (v > 0.0f ? 0.0f : v)) : -200.0f;
}

/* Mean |Y|^2 per bin -> profile points: the mean power of the bins within each point's
 * band (between the geometric midpoints to its neighbours), or the nearest bin where the
 * band holds none (low frequencies at low rates). */
static void nr_profile_from_bins(struct nr *r, const float *pw)
{
	float scale = nr_bin_scale(r), df = r->fs / (float)r->n_fft;
	const float half = powf(1000.0f, 0.5f / (float)(NR_PROFILE_POINTS - 1));
	float out[NR_PROFILE_POINTS];
	for (unsigned i = 0; i < NR_PROFILE_POINTS; i++) {
		float fc = nr_profile_hz(i), lo = fc / half, hi = fc * half;
		uint32_t k0 = (uint32_t)ceilf(lo / df), k1 = (uint32_t)floorf(hi / df);
		k0 = k0 < 1 ? 1 : k0;
		k1 = k1 > r->bins - 2 ? r->bins - 2 : k1;
		double sum = 0.0;
		uint32_t cnt = 0;
		for (uint32_t k = k0; k <= k1; k++, cnt++)
			sum += pw[k];
		if (cnt == 0) {
			uint32_t k = (uint32_t)lroundf(fc / df);
			k = k < 1 ? 1 : (k > r->bins - 2 ? r->bins - 2 : k);
			sum = pw[k], cnt = 1;
		}
		out[i] = nr_clamp_db(dsp_power_to_db((float)(sum / cnt) / scale));
	}
	nr_profile_set(r, out);
}

void nr_profile_set(struct nr *r, const float db[NR_PROFILE_POINTS])
{
	/* a reader on another thread retries while the count is odd or has moved */
	atomic_fetch_add_explicit(&r->profile_seq, 1, memory_order_acq_rel);
	for (unsigned i = 0; i < NR_PROFILE_POINTS; i++)
		r->profile_db[i] = nr_clamp_db(db[i]);
	atomic_fetch_add_explicit(&r->profile_seq, 1, memory_order_acq_rel);
	r->has_profile = 1;
	nr_profile_to_bins(r);
}

void nr_profile_stage(struct nr *r, unsigned i, float db)
{
	if (i >= NR_PROFILE_POINTS)
		return;
	r->profile_in[i] = db;
	if (i == NR_PROFILE_POINTS - 1)
		nr_profile_set(r, r->profile_in);
}

int nr_profile_get(const struct nr *r, float out_db[NR_PROFILE_POINTS])
{
	unsigned s0, s1;
	do {
		s0 = atomic_load_explicit(&r->profile_seq, memory_order_acquire);
		memcpy(out_db, r->profile_db, sizeof(r->profile_db));
		atomic_thread_fence(memory_order_acquire);
		s1 = atomic_load_explicit(&r->profile_seq, memory_order_relaxed);
	} while ((s0 & 1u) || s0 != s1);
	return s0 != 0;
}

void nr_learn_start(struct nr *r, float seconds)
{
	float s = seconds < 0.1f ? 0.1f : (seconds > 30.0f ? 30.0f : seconds);
	memset(r->learn_acc, 0, sizeof(r->learn_acc));
	r->learn_taken = 0;
	r->learn_left = (uint32_t)ceilf(s * r->fs / (float)r->hop);
}

int nr_learning(const struct nr *r) { return r->learn_left > 0; }

static void nr_learn_frame(struct nr *r, const float *pw)
{
	for (uint32_t k = 0; k < r->bins; k++)
		r->learn_acc[k] += pw[k];
	r->learn_taken++;
	if (--r->learn_left == 0) {
		float inv = 1.0f / (float)r->learn_taken;
		for (uint32_t k = 0; k < r->bins; k++)
			r->learn_acc[k] *= inv;
		nr_profile_from_bins(r, r->learn_acc);
		/* in this session the profile keeps every bin (a steep low end, where the
		 * points are sparse, matters most); the points are what a preset carries */
		memcpy(r->profile, r->learn_acc, sizeof(float) * r->bins);
	}
}

/* ---- the spectral gain ----------------------------------------------------------------- */

/* MCRA: the periodogram smoothed over three bins and in time; its minimum over a sliding
 * window (two half windows, Cohen's simplification of Martin's search) is the noise floor
 * seen; where the smoothed power stays within NR_PRESENCE_RATIO of it, speech is absent and
 * the noise estimate averages the periodogram; where speech is likely, it holds. */
static void nr_track_noise(struct nr *r, const float *pw)
{
	uint32_t nb = r->bins;
	int first = r->frames == 2, wrap = ++r->min_count >= r->min_frames;
	/* For the first NR_START_S of a stream the minimum follows the smoothed power instead
	 * of holding its least value: seeded on one frame's periodogram, the minimum kept that
	 * frame's trough for a whole window (up to 1.6 s), every later frame stood more than
	 * NR_PRESENCE_RATIO above it and counted as speech, and the estimate was not updated
	 * (for a fan, seeded in a trough of its slowly swelling resonances, it was a fifth of
	 * the noise after 1 s and the gate opened in the pauses, which fell 7.6 dB, not 12). */
	int start = r->frames - 1 <= r->start_frames;
	for (uint32_t k = 0; k < nb; k++) {
		float l = pw[k > 0 ? k - 1 : k + 1], h = pw[k + 1 < nb ? k + 1 : k - 1];
		float sf = 0.25f * l + 0.5f * pw[k] + 0.25f * h;
		if (first) {
			r->smooth[k] = r->smin[k] = r->stmp[k] = r->fast[k] = sf;
			r->noise[k] = sf;
			continue;
		}
		r->fast[k] = 0.5f * r->fast[k] + 0.5f * sf;
		float s = r->a_s * r->smooth[k] + (1.0f - r->a_s) * sf;
		r->smooth[k] = s;
		if (start) {
			r->smin[k] = r->stmp[k] = s;
		} else if (wrap) {
			r->smin[k] = fminf(r->stmp[k], s);
			r->stmp[k] = s;
		} else {
			r->smin[k] = fminf(r->smin[k], s);
			r->stmp[k] = fminf(r->stmp[k], s);
		}
		float present = s > NR_PRESENCE_RATIO * r->smin[k] ? 1.0f : 0.0f;
		float p = NR_PROB_POLE * r->prob[k] + (1.0f - NR_PROB_POLE) * present;
		r->prob[k] = p;
		float ad = r->a_d + (1.0f - r->a_d) * p;
		/* The first frames of a syllable pass before p rises: one frame 20 dB above the
		 * noise would raise the estimate several times over and the speech would be
		 * suppressed for the next second. A noise periodogram (chi-square, 2 degrees of
		 * freedom) exceeds NR_PRESENCE_RATIO times its mean with probability e^-5, so
		 * clipping there biases the estimate by 0.7 % only. */
		float lim = NR_PRESENCE_RATIO * r->noise[k];
		float x = pw[k] < lim ? pw[k] : lim;
		r->noise[k] = ad * r->noise[k] + (1.0f - ad) * x;
	}
	if (wrap)
		r->min_count = 0;
}

/* The speech gate (NR_GATE_LLR): 1 while the frame, or one within NR_GATE_HOLD_S before it,
 * holds speech. Without it each bin decides alone, and in the pauses a few bins in a hundred
 * opened: on the tail of a loud syllable (the smoothed spectra take tens of ms to fall back)
 * and on the slow swells of a fan's narrow resonances, which the MCRA estimate, updated only
 * between them, sits below. Those few bins carry the low-frequency power, so the pauses fell
 * 10.3 dB instead of the 12 the floor gives; gated, they fall by the floor. */
static int nr_gate(struct nr *r, const float *pw, const float *noise)
{
	float acc = 0.0f;
	for (uint32_t k = r->gate_k0; k <= r->gate_k1; k++) {
		float q = pw[k] / (r->over * noise[k] + 1e-30f);
		if (q > 1.0f)
			acc += q - logf(q) - 1.0f;
	}
	acc /= (float)(r->gate_k1 - r->gate_k0 + 1);
	float llr = 0.5f * (acc + r->gate_llr);
	r->gate_llr = acc;
	if (llr > NR_GATE_LLR)
		r->gate_hold = r->gate_hold_frames + 1;
	else if (r->gate_hold > 0)
		r->gate_hold--;
	return r->gate_hold > 0;
}

/* Decision-directed a priori SNR and its Wiener gain, floored, weighted by presence; then
 * a bin between two open ones opens part way (the three-bin mean, where that is higher).
 * Only raised, never lowered: the plain three-bin mean took a quarter of the gain off each
 * side of a voice harmonic standing between bins at the floor (the low harmonics of a voice
 * are about one bin apart), which was most of the voiced loss left once the gate kept the
 * pauses at the floor (-0.29 dB and -0.44 LU against -0.13 dB and -0.28 LU, fan noise at
 * 10 dB SNR). */
static void nr_gain(struct nr *r, const float *pw, const float *noise)
{
	uint32_t nb = r->bins;
	float g_min = r->floor_gain, a = r->a_dd;
	float *g = r->gain;
	int speech = nr_gate(r, pw, noise);
	for (uint32_t k = 0; k < nb; k++) {
		float lam = r->over * noise[k] + 1e-30f;
		float post = pw[k] / lam - 1.0f;
		float xi = a * r->clean[k] / lam + (1.0f - a) * (post > 0.0f ? post : 0.0f);
		xi = xi > NR_XI_MIN ? xi : NR_XI_MIN;
		float w = xi / (1.0f + xi);
		/* the fourth root of the Wiener gain: a bin at 0 dB SNR in a frame with speech
		 * loses 1.5 dB instead of the square root's 3 (the noise let through there is
		 * under the voice; the pauses are the gate's): voiced level -0.11 dB against
		 * -0.22, loudness -0.11 LU against -0.21, mean of pink and fan noise at 10 dB
		 * SNR over six takes */
		float gw = sqrtf(sqrtf(w));
		gw = gw > g_min ? gw : g_min;
		/* weighted by the bin's speech presence: a bin of noise alone beside the voice
		 * stays at the floor even where its decision-directed SNR has been lifted by
		 * a random peak (or the slow swell of a fan's narrow resonance) */
		float pres = (r->smooth[k] > NR_GAIN_PRESENCE * lam ||
			       r->fast[k] > NR_ONSET_PRESENCE * lam) ? 1.0f : 0.0f;
		float pg = NR_PROB_POLE * r->gprob[k] + (1.0f - NR_PROB_POLE) * pres;
		r->gprob[k] = pg;
		g[k] = speech ? g_min + pg * (gw - g_min) : g_min;
		/* the clean estimate the next frame's SNR starts from: the power this gain
		 * (before the presence weighting) leaves, as in Ephraim and Malah's rule; the
		 * Wiener estimate w^2 in its place set the SNR of weak harmonics lower still
		 * (0.05 dB more voiced loss, measured with the square-root gain) */
		r->clean[k] = gw * gw * pw[k];
	}
	float prev = g[0];
	for (uint32_t k = 1; k + 1 < nb; k++) {
		float cur = g[k];
		g[k] = fmaxf(cur, 0.25f * prev + 0.5f * cur + 0.25f * g[k + 1]);
		prev = cur;
	}
}

/* One hop: the frame in in_fifo -> its processed copy added into ola. */
static void nr_frame(struct nr *r)
{
	uint32_t n = r->n_fft, nb = r->bins;
	float *t = nr_aligned(r->time_raw), *c = nr_aligned(r->spec_raw);
	float pw[NR_BINS_MAX];
	for (uint32_t k = 0; k < n; k++)
		t[k] = r->in_fifo[k] * r->win[k];
	fftwf_execute_dft_r2c((fftwf_plan)r->fwd, t, (fftwf_complex *)c);
	float total = 0.0f;
	for (uint32_t k = 0; k < nb; k++) {
		pw[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
		total += pw[k];
	}
	if (!isfinite(total)) {
		/* cannot happen with the input checked, but a bad frame must not reach the
		 * estimators: it is left out, the state carries on */
		memset(c, 0, sizeof(float) * 2 * nb);
	} else {
		/* The first frame of a stream holds half a frame of zeros: it would seed the
		 * minimum far too low, and the tracker would call everything speech until its
		 * window turns over. It passes unchanged; the estimators start on the second. */
		int whole = r->frames++ > 0;
		if (r->learn_left && whole)
			nr_learn_frame(r, pw);
		int learned = r->mode == NR_LEARNED && r->has_profile;
		/* the tracker runs in both modes: its presence probability weights the gain,
		 * and switching to adaptive finds an estimate that is up to date */
		if (whole) {
			nr_track_noise(r, pw);
			nr_gain(r, pw, learned ? r->profile : r->noise);
		} else {
			for (uint32_t k = 0; k < nb; k++)
				r->gain[k] = 1.0f;
		}
		float s = 1.0f / (float)n;
		for (uint32_t k = 0; k < nb; k++) {
			float g = (r->listen ? 1.0f - r->gain[k] : r->gain[k]) * s;
			c[2 * k] *= g, c[2 * k + 1] *= g;
		}
	}
	fftwf_execute_dft_c2r((fftwf_plan)r->inv, (fftwf_complex *)c, t);
	for (uint32_t k = 0; k < n; k++)
		r->ola[k] += t[k] * r->win[k];
	uint32_t h = r->hop;
	memcpy(r->out_ready, r->ola, sizeof(float) * h);
	memmove(r->ola, r->ola + h, sizeof(float) * (n - h));
	memset(r->ola + n - h, 0, sizeof(float) * h);
	memcpy(r->dry_ready, r->in_fifo, sizeof(float) * h);
	memmove(r->in_fifo, r->in_fifo + h, sizeof(float) * (n - h));
}

/* ---- audio ----------------------------------------------------------------------------- */

/* Samples that are not audio become silence here too (the strip already does this; a
 * module used alone must not let one NaN poison its estimators). */
static inline float nr_sane(float x) { return fabsf(x) < 4.2949673e9f ? x : 0.0f; }

/* One stretch within a hop: take input, give out the delayed processed signal, mixed with
 * the dry input while fading. */
static void nr_stretch(struct nr *r, const float *in, float *out, uint32_t m)
{
	float *dst = r->in_fifo + r->n_fft - r->hop + r->pos;
	const float *wet = r->out_ready + r->pos;
	for (uint32_t i = 0; i < m; i++)
		dst[i] = nr_sane(in[i]);
	uint32_t i = 0;
	for (; i < m && r->preroll > 0; i++, r->preroll--)
		out[i] = in[i];
	int target = r->enable;
	if (r->fade == (float)target) {
		for (; i < m; i++)
			out[i] = target ? wet[i] : in[i];
	} else {
		for (; i < m; i++) {
			float f = r->fade + (target ? r->fade_step : -r->fade_step);
			f = f > 1.0f ? 1.0f : (f < 0.0f ? 0.0f : f);
			r->fade = f;
			/* equal power: the dry and the delayed signal are not in phase */
			float gw = sinf(0.5f * (float)M_PI * f), gd = cosf(0.5f * (float)M_PI * f);
			out[i] = gw * wet[i] + gd * in[i];
		}
	}
	r->pos += m;
	if (r->pos == r->hop) {
		nr_frame(r);
		r->pos = 0;
	}
}

void nr_process(struct nr *r, const float *in, float *out, uint32_t n)
{
	for (uint32_t done = 0; done < n;) {
		uint32_t m = r->hop - r->pos;
		m = m < n - done ? m : n - done;
		nr_stretch(r, in + done, out + done, m);
		done += m;
	}
	if (!r->enable && r->fade == 0.0f)
		r->running = 0;
}

/* ---- descriptor ------------------------------------------------------------------------ */

static int nr_stage_init(void *st, float fs) { return nr_init(st, fs); }
static void nr_stage_reset(void *st) { nr_reset(st); }
static int nr_stage_idle(const void *st) { return !((const struct nr *)st)->running; }
static uint32_t nr_stage_latency(const void *st)
{
	const struct nr *r = st;
	return r->enable ? r->n_fft : 0;
}

STAGE_EACH_LANE_ADAPTER(nr_stage_lanes, nr, nr_process)

const struct stage_desc nr_stage = {
	.name = "nr", .label = "noise suppressor", .first = P_NR_ENABLE, .last = P_NR_LISTEN,
	.init = nr_stage_init, .reset = nr_stage_reset, .set = nr_set,
	.process_lanes = nr_stage_lanes, .idle = nr_stage_idle, .latency = nr_stage_latency,
};
