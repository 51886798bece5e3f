/* True-peak limiter against its definition (limiter.h): the output's true peak, measured by an
 * independent 16x interpolator (Kaiser-windowed sinc, 64 taps each side, in double) that
 * shares nothing with the limiter's detector, stays within 0.1 dB of the ceiling with the
 * input 10 dB over it; the latency is what it reports and at most 1.5 ms at 48 kHz; an input
 * that never reaches the ceiling comes out delayed bit for bit; limiting a 100 Hz sine by
 * 6 dB distorts it by at most 1 % THD; the gain-reduction meter reads the real reduction. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limiter.h"
#include "link.h"
#include "strip.h"
#include "refpeak.h"
#include "testutil.h"

#define FS 48000.0f
#define NS 96000

static void lim_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	limiter_process(ctx, in, out, n);
}


static void setup(struct limiter *l, float fs, float ceiling_db, float release_ms)
{
	ck_assert_int_eq(stage_init_defaults(&lim_stage, l, fs), 0);
	limiter_set_ceiling_db(l, ceiling_db);
	limiter_set_release_ms(l, release_ms);
	limiter_set_enable(l, 1);
	limiter_reset(l);
}

/* Scale x so its reference true peak is db dBTP. */
static void scale_to_tp(float *x, size_t n, double db)
{
	double g = pow(10.0, db / 20.0) / ref_true_peak(x, n);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(x[i] * g);
}

/* Uniform white noise through a 201-tap Kaiser-windowed sinc low-pass at 20 kHz. */
static void lowpassed_noise(float *x, size_t n, float fs, uint32_t *r)
{
	static float w[NS];
	for (size_t i = 0; i < n; i++)
		w[i] = tu_uniform(r, -1.0f, 1.0f);
	ref_lowpass201(w, x, n, fmin(20000.0, 0.45 * fs) / fs);
}

enum sig { SIG_NOISE, SIG_KICK, SIG_BURSTS, SIG_COUNT };
static const char *const sig_name[] = {"white noise", "kick with clicks", "12 kHz bursts"};

static void make_signal(float *x, size_t n, enum sig s, float fs)
{
	uint32_t r = 1234;
	memset(x, 0, n * sizeof(float));
	switch (s) {
	case SIG_NOISE: /* white up to 20 kHz (or 0.45 fs), as a converter delivers it */
		lowpassed_noise(x, n, fs, &r);
		break;
	case SIG_KICK: /* a pitch-dropping kick every 250 ms, clicks (one sample, and two equal
			* samples whose true peak is 1.27x theirs) between them */
		for (size_t i = 0; i < n; i++) {
			double t = fmod((double)i / fs, 0.25);
			double ph = 2 * M_PI * (45.0 * t + 80.0 * 0.03 * (1.0 - exp(-t / 0.03)));
			x[i] = (float)(sin(ph) * exp(-t / 0.12));
		}
		for (size_t i = (size_t)(0.1 * fs); i + 2 < n; i += (size_t)(0.25 * fs)) {
			x[i] = 0.9f;
			x[i + (size_t)(0.05 * fs)] = x[i + (size_t)(0.05 * fs) + 1] = -0.8f;
		}
		break;
	case SIG_BURSTS: /* rectangular 20 ms bursts at 12 kHz, 45 degrees off the samples */
		for (size_t i = 0; i < n; i++)
			if ((size_t)((double)i / fs / 0.02) % 2 == 0)
				x[i] = (float)sin(2 * M_PI * 12000.0 * i / fs + M_PI / 4);
		break;
	default:
		break;
	}
}

static double run_tp(enum sig s, float fs, float ceiling_db)
{
	static struct limiter l;
	static float in[NS], out[NS];
	size_t n = (size_t)fs; /* 1 s */
	if (n > NS)
		n = NS;
	make_signal(in, n, s, fs);
	scale_to_tp(in, n, ceiling_db + 10.0);
	setup(&l, fs, ceiling_db, 50.0f);
	tu_run_blocks(lim_fn, &l, in, out, n, 64);
	return 20.0 * log10(ref_true_peak(out, n));
}

START_TEST(true_peak_within_ceiling)
{
	for (int s = 0; s < SIG_COUNT; s++) {
		double tp = run_tp((enum sig)s, FS, -1.0f);
		printf("lim 48 kHz, %s +10 dB over -1 dBTP: output true peak %.3f dBTP\n",
		       sig_name[s], tp);
		ck_assert_msg(tp <= -0.9, "%s: %.3f dBTP", sig_name[s], tp);
		ck_assert_msg(tp >= -1.5, "%s: %.3f dBTP: limits too hard", sig_name[s], tp);
	}
}
END_TEST

START_TEST(true_peak_other_rates)
{
	static const float rates[] = {22050.0f, 44100.0f, 96000.0f};
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++)
		for (int s = 0; s < SIG_COUNT; s++) {
			if (s == SIG_BURSTS && rates[k] < 30000.0f)
				continue; /* 12 kHz is above Nyquist there */
			double tp = run_tp((enum sig)s, rates[k], -3.0f);
			printf("lim %.0f Hz, %s +10 dB over -3 dBTP: %.3f dBTP\n", (double)rates[k],
			       sig_name[s], tp);
			ck_assert_msg(tp <= -2.9, "%.0f Hz %s: %.3f", (double)rates[k], sig_name[s],
				      tp);
		}
}
END_TEST

START_TEST(latency_reported_and_short)
{
	static struct limiter l;
	static const float rates[] = {22050.0f, 44100.0f, 48000.0f, 96000.0f, 192000.0f, 384000.0f};
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		setup(&l, rates[k], -1.0f, 50.0f);
		double ms = 1000.0 * limiter_latency(&l) / rates[k];
		printf("lim latency at %.0f Hz: %u samples, %.3f ms\n", (double)rates[k],
		       limiter_latency(&l), ms);
		ck_assert(ms <= 1.5 || rates[k] < 44100.0f);
		limiter_set_enable(&l, 0);
		ck_assert_uint_eq(limiter_latency(&l), 0);
	}
	/* the strip reports it while enabled, nothing while off */
	static struct strip s;
	ck_assert_int_eq(strip_init(&s, FS, NULL), 0);
	ck_assert_uint_eq(strip_latency_samples(&s), 0);
	strip_set_param(&s, P_LIM_ENABLE, 1.0f);
	setup(&l, FS, -1.0f, 50.0f);
	ck_assert_uint_eq(strip_latency_samples(&s), limiter_latency(&l));
	ck_assert_uint_le(limiter_latency(&l), 72);
}
END_TEST

/* Enabled, never reached: the input delayed by the reported latency, bit for bit; the delay
 * is the real one (a click comes out exactly latency samples later). */
START_TEST(untouched_is_delayed_bit_for_bit)
{
	static struct limiter l;
	static float in[NS], out[NS];
	setup(&l, FS, -1.0f, 50.0f);
	tu_noise(in, NS, 0.5, 7);
	scale_to_tp(in, NS, -1.5); /* just under the ceiling, however the noise falls */
	in[5000] = 0.7f;
	tu_run_blocks(lim_fn, &l, in, out, NS, 37);
	uint32_t d = limiter_latency(&l);
	for (uint32_t i = 0; i < d; i++)
		ck_assert_float_eq(out[i], 0.0f);
	ck_assert_int_eq(memcmp(out + d, in, (NS - d) * sizeof(float)), 0);
	ck_assert_float_eq(l.min_gain, 1.0f);
}
END_TEST

/* THD (harmonics 2..20) of a 100 Hz sine limited by 6 dB, release 50 ms; and the GR meter
 * against the real reduction (fundamental out / in). */
START_TEST(thd_and_gr_meter)
{
	static struct limiter l;
	static float in[NS], out[NS];
	const float ceiling = -1.0f;
	setup(&l, FS, ceiling, 50.0f);
	/* a sine's true peak is its amplitude: 6 dB over the ceiling */
	tu_sine(in, NS, pow(10.0, (ceiling + 6.0) / 20.0), 100.0, FS, 0.3);
	tu_run_blocks(lim_fn, &l, in, out, NS / 2, 64);
	(void)stage_take_gain(&l.min_gain);
	tu_run_blocks(lim_fn, &l, in + NS / 2, out + NS / 2, NS / 2, 64);
	float gr = lim_stage.gr_take(&l);
	const float *y = out + NS / 2;
	double h1 = tu_tone_amp(y, NS / 2, 100.0, FS), hp = 0.0;
	for (int k = 2; k <= 20; k++) {
		double a = tu_tone_amp(y, NS / 2, 100.0 * k, FS);
		hp += a * a;
	}
	double thd = 100.0 * sqrt(hp) / h1;
	double real_db = 20.0 * log10(h1 / pow(10.0, (ceiling + 6.0) / 20.0));
	double meter_db = 20.0 * log10(gr);
	printf("lim 100 Hz, 6 dB over, release 50 ms: THD %.4f %%, reduction %.3f dB, GR meter "
	       "%.3f dB\n", thd, real_db, meter_db);
	ck_assert_msg(thd <= 1.0, "THD %.3f %%", thd);
	ck_assert_msg(fabs(real_db - meter_db) <= 0.2, "meter %.3f vs %.3f", meter_db, real_db);
	ck_assert_msg(fabs(real_db + 6.0) < 0.5, "reduction %.3f dB", real_db);
}
END_TEST

/* Switching on and off while a -12 dBFS 1 kHz tone plays (the ceiling never reached): the
 * delay comes and goes through a crossfade, so no sample-to-sample step exceeds the tone's
 * own largest step by more than 20 % (a switch in one sample jumps by up to 0.4). */
START_TEST(switching_crossfades)
{
	enum { NX = 48000 };
	static struct limiter l;
	static float x[NX], y[NX];
	double a = pow(10.0, -12.0 / 20.0), tone_step = a * 2.0 * M_PI * 1000.0 / FS;
	setup(&l, FS, -1.0f, 50.0f);
	limiter_set_enable(&l, 0);
	limiter_reset(&l);
	tu_sine(x, NX, a, 1000.0, FS, 0.0);
	for (uint32_t i = 0; i < NX; i += 64) {
		if (i == 12032)
			limiter_set_enable(&l, 1);
		if (i == 30016)
			limiter_set_enable(&l, 0);
		if (limiter_idle(&l))
			memcpy(y + i, x + i, 64 * sizeof(float));
		else
			limiter_process(&l, x + i, y + i, 64);
	}
	double worst = 0.0;
	for (uint32_t i = 1; i < NX; i++)
		worst = fmax(worst, fabs((double)y[i] - y[i - 1]));
	printf("limiter on/off: largest step %.4f, the tone's %.4f\n", worst, tone_step);
	ck_assert_double_le(worst, 1.2 * tone_step);
	ck_assert_int_eq(limiter_idle(&l), 1);
}
END_TEST

START_TEST(off_is_idle)
{
	static struct limiter l;
	setup(&l, FS, -1.0f, 50.0f);
	ck_assert_int_eq(limiter_idle(&l), 0);
	limiter_set_enable(&l, 0);
	/* busy while it fades back to the input, idle after */
	ck_assert_int_eq(limiter_idle(&l), 0);
	float z[64] = {0}, o[64];
	for (uint32_t k = 0; k < (uint32_t)(LIM_XFADE_S * FS) + 64; k += 64)
		limiter_process(&l, z, o, 64);
	ck_assert_int_eq(limiter_idle(&l), 1);
	/* the table's default is off */
	ck_assert_int_eq(stage_init_defaults(&lim_stage, &l, FS), 0);
	ck_assert_int_eq(limiter_idle(&l), 1);
}
END_TEST

/* The shortcuts (a chunk that cannot reach the ceiling skips the detector; one that also
 * finds the gain at rest skips its recursion) give the full path's bits: the same input
 * with and without them (full_path), in chunks of 64, of 1 and of varying sizes 1..64 (the
 * bound looks at the chunk and the detector's history, so short chunks pass it more often).
 * The input: 12 kHz bursts and kicks 6 dB over the ceiling, noise near it (limited now and
 * then; the bound fails, or passes at the lower level), silence long enough for a 5 ms
 * release to come to rest, a quiet sine, and isolated worst cases for the half-sample
 * interpolator (every tap's sign, x[k] = (-1)^k sgn(1/2 - k)) 1 dB over the ceiling: their
 * true peak is several times their largest sample, which the bound has to know. */
START_TEST(shortcuts_are_exact)
{
	static struct limiter l;
	static float in[NS], out[2][NS];
	static float kick[NS], worst[NS];
	make_signal(in, NS, SIG_BURSTS, FS);
	make_signal(kick, NS, SIG_KICK, FS);
	memset(worst, 0, sizeof(worst));
	for (size_t i = 200; i + 200 < NS; i += 480)
		for (int k = -15; k <= 16; k++)
			worst[(long)i + k] = (k % 2 ? -1.0f : 1.0f) * (k <= 0 ? 1.0f : -1.0f);
	double wg = 1.0 / ref_true_peak(worst, 480); /* one of them at 0 dBTP */
	for (size_t i = 0; i < NS; i++)
		worst[i] = (float)(worst[i] * wg);
	uint32_t r = 99;
	for (size_t i = 0; i < NS; i++) {
		size_t seg = (i / 4800) % 7; /* 100 ms each */
		float u = tu_uniform(&r, -1.0f, 1.0f);
		in[i] = seg == 0 ? 2.0f * in[i] : seg == 1 ? 0.85f * u : seg == 2 ? 0.0f
			: seg == 3 ? 1.8f * kick[i] : seg == 4 ? 0.5f * u
			: seg == 5 ? worst[i] : 0.01f * (float)sin(2 * M_PI * 440.0 * i / FS);
	}
	for (int run = 0; run < 6; run++) {
		setup(&l, FS, -1.0f, 5.0f);
		l.full_path = run % 2;
		uint32_t seed = 5;
		float ming = 1.0f;
		for (size_t i = 0; i < NS;) {
			uint32_t c = run < 2 ? 64 : run < 4 ? 1
				: 1 + (uint32_t)tu_uniform(&seed, 0.0f, 63.99f);
			if (c > NS - i)
				c = (uint32_t)(NS - i);
			limiter_process(&l, in + i, out[run % 2] + i, c);
			ming = fminf(ming, l.min_gain);
			i += c;
		}
		ck_assert(ming < 0.6f);
		if (run % 2)
			ck_assert_int_eq(memcmp(out[0], out[1], sizeof(out[0])), 0);
	}
}
END_TEST

/* Linked (link.h): the noise and the kick +10 dB over -1 dBTP, fully linked, and the 12 kHz
 * bursts at -6 dBTP (never over) following them at 50 %, in chunks of 64 through the two
 * halves and link_combine as the strip runs them. Every output's true peak (the independent
 * 16x reference) stays within 0.1 dB of the ceiling; the fully linked pair applies one gain
 * (within 1e-6); the follower is turned down by half of the leaders' reduction in dB (its
 * gain against exp(ln(leader's gain) / 2), within 1e-5), its own detector asking for none;
 * and the two halves with nothing to link give limiter_process' bits. */
START_TEST(linked_true_peak_within_ceiling)
{
	enum { NL = 3, NC = 64 };
	static struct limiter l[NL], ref;
	static float in[NL][NS], out[NL][NS], solo[NS];
	const float amt[NL] = {1.0f, 1.0f, 0.5f};
	const enum sig sg[NL] = {SIG_NOISE, SIG_KICK, SIG_BURSTS};
	const size_t n = (size_t)FS;
	for (int k = 0; k < NL; k++) {
		make_signal(in[k], n, sg[k], FS);
		scale_to_tp(in[k], n, k < 2 ? 9.0 : -6.0);
		setup(&l[k], FS, -1.0f, 50.0f);
	}
	float a[NL][NC], mx[NC];
	double worst_pair = 0.0, worst_half = 0.0, min_g2 = 1.0;
	for (size_t i = 0; i < n; i += NC) {
		struct limiter *pl[NL] = {&l[0], &l[1], &l[2]};
		const float *pin[NL] = {in[0] + i, in[1] + i, in[2] + i};
		float *pout[NL] = {out[0] + i, out[1] + i, out[2] + i};
		struct stage_gr *gr[NL];
		const float *pa[NL];
		limiter_gain_lanes(pl, NL, pin, NC);
		for (int k = 0; k < NL; k++) {
			ck_assert(k < 2 || l[k].link_gr.flat); /* the bursts alone ask for nothing */
			for (int j = 0; j < NC; j++)
				a[k][j] = amt[k];
			gr[k] = &l[k].link_gr, pa[k] = a[k];
		}
		link_combine(gr, pa, NL, NC, mx);
		limiter_apply_lanes(pl, NL, pin, pout, NC);
		for (int j = 0; j < NC; j++) {
			double g0 = l[0].g[j], g1 = l[1].g[j], lead = fmin(g0, g1);
			worst_pair = fmax(worst_pair, fabs(g0 - g1) / lead);
			worst_half = fmax(worst_half, fabs(l[2].g[j] - sqrt(lead)));
			min_g2 = fmin(min_g2, l[2].g[j]);
		}
	}
	for (int k = 0; k < NL; k++) {
		double tp = 20.0 * log10(ref_true_peak(out[k], n));
		printf("lim linked, %s: output true peak %.3f dBTP\n", sig_name[sg[k]], tp);
		ck_assert_msg(tp <= -0.9, "%s: %.3f dBTP", sig_name[sg[k]], tp);
	}
	printf("lim linked: pair's gains differ by %.2g, follower off half by %.2g, its deepest "
	       "%.2f dB\n", worst_pair, worst_half, 20.0 * log10(min_g2));
	ck_assert_double_le(worst_pair, 1e-6);
	ck_assert_double_le(worst_half, 1e-5);
	ck_assert_double_le(20.0 * log10(min_g2), -3.0);
	/* alone in its group: the halves are the whole */
	setup(&ref, FS, -1.0f, 50.0f);
	setup(&l[0], FS, -1.0f, 50.0f);
	tu_run_blocks(lim_fn, &ref, in[1], solo, n, NC);
	for (size_t i = 0; i < n; i += NC) {
		struct limiter *pl = &l[0];
		const float *pin = in[1] + i;
		float *pout = out[0] + i;
		struct stage_gr *gr = &l[0].link_gr;
		const float *pa = a[0];
		limiter_gain_lanes(&pl, 1, &pin, NC);
		link_combine(&gr, &pa, 1, NC, mx);
		limiter_apply_lanes(&pl, 1, &pin, &pout, NC);
	}
	ck_assert_int_eq(memcmp(solo, out[0], n * sizeof(float)), 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("limiter");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, true_peak_within_ceiling);
	tcase_add_test(tc, true_peak_other_rates);
	tcase_add_test(tc, latency_reported_and_short);
	tcase_add_test(tc, untouched_is_delayed_bit_for_bit);
	tcase_add_test(tc, thd_and_gr_meter);
	tcase_add_test(tc, off_is_idle);
	tcase_add_test(tc, switching_crossfades);
	tcase_add_test(tc, linked_true_peak_within_ceiling);
	tcase_add_test(tc, shortcuts_are_exact);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
