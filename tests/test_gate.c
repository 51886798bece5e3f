/* Gate / expander against its definition (gate.h): unity above the threshold, range below
 * threshold - hysteresis, no state change inside the hysteresis band, exactly hold*fs samples
 * of unity after the level drops; plus the module contract (exact bypass, block-size
 * invariance, no subnormal state). Levels are DC or squares, whose detected level is exact. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "testutil.h"

#define FS 48000.0f
#define NS 96000

static void gate_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	gate_process(ctx, in, out, n);
}

static void gate_setup(struct gate *g, float thr, float hyst, float range)
{
	ck_assert_int_eq(stage_init_defaults(&gate_stage, g, FS), 0);
	gate_set_threshold_db(g, thr);
	gate_set_hysteresis_db(g, hyst);
	gate_set_range_db(g, range);
	gate_set_enable(g, 1);
	gate_reset(g);
}

static float lvl(float db) { return powf(10.0f, db / 20.0f); }

/* Square wave at `db` dBFS (period 96 samples) into buf[from..to). */
static void square(float *buf, size_t from, size_t to, float db)
{
	float a = lvl(db);
	for (size_t i = from; i < to; i++)
		buf[i] = (i / 48) % 2 ? -a : a;
}

START_TEST(open_is_unity_closed_is_range)
{
	static struct gate g;
	static float in[NS], out[NS];
	/* just above the threshold: passes bit for bit */
	gate_setup(&g, -40.0f, 3.0f, 40.0f);
	square(in, 0, NS, -39.9f);
	tu_run_blocks(gate_fn, &g, in, out, NS, 64);
	ck_assert_int_eq(memcmp(in + NS / 2, out + NS / 2, NS / 2 * sizeof(float)), 0);
	/* below threshold - hysteresis: attenuated by range */
	for (int mode = 0; mode < 2; mode++) {
		gate_setup(&g, -40.0f, 3.0f, 40.0f);
		gate_set_mode(&g, mode);
		gate_set_ratio(&g, 3.0f);
		square(in, 0, NS, -43.1f);
		tu_run_blocks(gate_fn, &g, in, out, NS / 2, 64);
		g.min_gain = 1.0f; /* the meter's reset: it starts closed, at -range */
		tu_run_blocks(gate_fn, &g, in + NS / 2, out + NS / 2, NS / 2, 64);
		double got = tu_db(out[NS - 1] / in[NS - 1]);
		double want = mode == GATE_MODE_GATE ? -40.0 : (-43.1 + 40.0) * 2.0;
		printf("gate %s: -43.1 dBFS square -> gain %.5f dB (want %.5f)\n",
		       mode ? "expander" : "gate", got, want);
		ck_assert(fabs(got - want) < 0.1);
		ck_assert(fabs(tu_db(g.min_gain) - want) < 0.1);
	}
}
END_TEST

/* Inside (threshold - hysteresis, threshold] the state holds, open or closed. */
START_TEST(hysteresis_band_keeps_state)
{
	static struct gate g;
	static float in[NS], out[NS];
	/* open at -30 (it starts closed, so after its attack), then -42 (band is -43..-40):
	 * stays open at unity */
	gate_setup(&g, -40.0f, 3.0f, 40.0f);
	square(in, 0, NS / 4, -30.0f);
	square(in, NS / 4, NS, -42.0f);
	tu_run_blocks(gate_fn, &g, in, out, NS, 64);
	ck_assert_int_eq(memcmp(in + NS / 8, out + NS / 8, sizeof(in) - NS / 8 * sizeof(float)), 0);
	/* closed by -50, then -40.5: stays closed at -range */
	gate_setup(&g, -40.0f, 3.0f, 40.0f);
	square(in, 0, NS / 2, -50.0f);
	square(in, NS / 2, NS, -40.5f);
	tu_run_blocks(gate_fn, &g, in, out, NS, 64);
	ck_assert(fabs(tu_db(out[NS / 2 - 1] / in[NS / 2 - 1]) + 40.0) < 0.1);
	ck_assert(fabs(tu_db(out[NS - 1] / in[NS - 1]) + 40.0) < 0.1);
	ck_assert(!g.open);
	/* and above the threshold it opens */
	square(in, 0, NS, -39.5f);
	tu_run_blocks(gate_fn, &g, in, out, NS, 64);
	ck_assert(g.open && out[NS - 1] == in[NS - 1]);
}
END_TEST

/* DC at -30 dBFS, then -60: count the samples after the drop whose gain is exactly 1.0. The
 * detector reaches threshold - hysteresis after n_c = ceil(ln(thr_c / A) / ln(alpha_D))
 * samples (its own release); then the hold adds exactly hold*fs. */
static long unity_run(float hold_ms)
{
	static struct gate g;
	static float in[NS], out[NS];
	gate_setup(&g, -40.0f, 3.0f, 40.0f);
	gate_set_hold_ms(&g, hold_ms);
	for (size_t i = 0; i < NS; i++)
		in[i] = i < NS / 2 ? lvl(-30.0f) : lvl(-60.0f);
	tu_run_blocks(gate_fn, &g, in, out, NS, 29);
	long k = NS / 2;
	while (k < NS && out[k] == in[k])
		k++;
	ck_assert(k < NS && out[k] < in[k]);
	return k - NS / 2;
}

START_TEST(hold_is_exact)
{
	double a_d = exp(-1.0 / (GATE_DET_RELEASE_MS * 1e-3 * FS));
	long n_c = (long)ceil(log(pow(10.0, -43.0 / 20.0) / pow(10.0, -30.0 / 20.0)) / log(a_d));
	long r0 = unity_run(0.0f), r50 = unity_run(50.0f), r500 = unity_run(500.0f);
	printf("gate hold: unity for %ld samples after the drop with hold 0 (detector n_c %ld), "
	       "%ld with 50 ms (+%ld, want 2400 - 720), %ld with 500 ms (+%ld, want 24000 - 720)\n",
	       r0, n_c, r50, r50 - r0, r500, r500 - r0);
	/* hold 0 still holds GATE_HOLD_MIN_MS (720 samples) */
	const long hmin = lrint(GATE_HOLD_MIN_MS * 1e-3 * FS);
	ck_assert(labs(r0 - n_c - hmin) <= 1);
	ck_assert_int_eq(r50 - r0, 2400 - hmin);
	ck_assert_int_eq(r500 - r0, 24000 - hmin);
}
END_TEST

/* Attack and release are one-poles in dB with alpha = exp(-1/(tau fs)). */
START_TEST(attack_release_time_constants)
{
	static struct gate g;
	static float in[NS], out[NS];
	gate_setup(&g, -40.0f, 3.0f, 40.0f);
	gate_set_attack_ms(&g, 5.0f);
	gate_set_release_ms(&g, 200.0f);
	gate_set_hold_ms(&g, 0.0f);
	/* closed by -50 dBFS DC, opened by -20 dBFS at NS/2 */
	for (size_t i = 0; i < NS; i++)
		in[i] = i < NS / 2 ? lvl(-50.0f) : lvl(-20.0f);
	tu_run_blocks(gate_fn, &g, in, out, NS, 64);
	size_t k = NS / 2;
	while (tu_db(out[k] / in[k]) < -40.0 * exp(-1.0))
		k++;
	double t = (double)(k - NS / 2 + 1) * 1000.0 / FS;
	printf("gate attack: 63.2 %% of 40 dB after %.4f ms (tau 5 ms)\n", t);
	ck_assert(fabs(t - 5.0) < 0.1);
}
END_TEST

START_TEST(disabled_copies_exactly)
{
	static struct gate g;
	static float in[NS], out[NS];
	tu_burst_noise(in, NS, 3, 0.001f);
	gate_setup(&g, -30.0f, 6.0f, 60.0f);
	gate_set_sc_hpf_hz(&g, 200.0f);
	gate_set_hold_ms(&g, 5.0f);
	tu_run_blocks(gate_fn, &g, in, out, NS / 2, 64);
	gate_set_enable(&g, 0);
	tu_run_blocks(gate_fn, &g, in, out, NS / 2, 64);
	tu_run_blocks(gate_fn, &g, in + NS / 2, out + NS / 2, NS / 2, 64);
	ck_assert_int_eq(memcmp(in + NS / 2, out + NS / 2, NS / 2 * sizeof(float)), 0);
}
END_TEST

static void setup_busy(struct gate *g, int mode, float attack_ms)
{
	gate_setup(g, -30.0f, 4.0f, 50.0f);
	gate_set_mode(g, mode);
	gate_set_attack_ms(g, attack_ms);
	gate_set_hold_ms(g, 10.0f);
	gate_set_release_ms(g, 30.0f);
	gate_set_sc_hpf_hz(g, 100.0f);
}

START_TEST(block_split_invariant)
{
	static struct gate g;
	static float in[NS], ref[NS], out[NS];
	tu_burst_noise(in, NS, 17, 0.001f);
	for (int mode = 0; mode < 2; mode++) {
		for (int slow = 0; slow < 2; slow++) {
			float att = slow ? 80.0f : 0.3f; /* slower and faster than release */
			setup_busy(&g, mode, att);
			tu_run_blocks(gate_fn, &g, in, ref, NS, DSP_MAX_CHUNK);
			uint32_t seed = 7;
			for (int run = 0; run < 3; run++) {
				setup_busy(&g, mode, att);
				tu_run_random_blocks(gate_fn, &g, in, out, NS, run == 0 ? 1 : DSP_MAX_CHUNK,
						     &seed);
				ck_assert_int_eq(memcmp(ref, out, sizeof(out)), 0);
			}
		}
	}
}
END_TEST

START_TEST(no_subnormal_state_after_silence)
{
	static struct gate g;
	static float in[DSP_MAX_CHUNK], out[DSP_MAX_CHUNK];
	for (int mode = 0; mode < 2; mode++) {
		gate_setup(&g, -60.0f, 3.0f, 0.0f); /* range 0: the gain target is "0 dB" */
		gate_set_mode(&g, mode);
		gate_set_sc_hpf_hz(&g, 20.0f);
		gate_set_hold_ms(&g, 0.0f);
		memset(in, 0, sizeof(in));
		in[0] = 1.0f;
		for (long i = 0; i < 10L * 48000 / DSP_MAX_CHUNK; i++) {
			gate_process(&g, in, out, DSP_MAX_CHUNK);
			in[0] = 0.0f;
			ck_assert(!tu_bad_float(out, DSP_MAX_CHUNK));
		}
		ck_assert(!tu_bad_value(g.env) && !tu_bad_value(g.g_db) && !tu_bad_value(g.xfade.cur));
		ck_assert(!tu_bad_value(g.hpf_s.z1) && !tu_bad_value(g.hpf_s.z2));
		ck_assert(!tu_bad_float(g.buf_env, DSP_MAX_CHUNK) &&
			  !tu_bad_float(g.buf_g, DSP_MAX_CHUNK));
	}
}
END_TEST

/* The multi-lane kernel against the one-lane one: for nl = 1..8 lanes with different settings
 * and signals, parameters changed between chunks (so smoothing, crossfades, state changes and
 * high-pass on/off are in flight) and random chunk lengths, every output sample and the whole
 * struct (state, min_gain, scratch) equal what gate_process() gives each lane alone. */
#define LANE_NS 24000

/* Parameter `what` (0..10, see lane_poke) set to v. */
static void lane_set(struct gate *g, unsigned what, float v)
{
	switch (what) {
	case 0: gate_set_enable(g, v != 0.0f); break;
	case 1: gate_set_threshold_db(g, v); break;
	case 2: gate_set_hysteresis_db(g, v); break;
	case 3: gate_set_range_db(g, v); break;
	case 4: gate_set_attack_ms(g, v); break;
	case 5: gate_set_hold_ms(g, v); break;
	case 6: gate_set_release_ms(g, v); break;
	case 7: gate_set_mode(g, (int)v); break;
	case 8: gate_set_ratio(g, v); break;
	default: gate_set_sc_hpf_hz(g, v); break;
	}
}

/* One random parameter change (or none), applied the same to both copies. Enable is picked
 * twice as often as the others, and a third of its changes switch the lane off. */
static void lane_poke(struct gate *a, struct gate *b, uint32_t *s)
{
	static const float lo[] = {0, -70, 0, 0, 0.01f, 0, 1, 0, 1, 20};
	static const float hi[] = {0, -5, 12, 90, 100, 20, 200, 0, 10, 2000};
	uint32_t what = tu_lcg(s) % 24;
	if (what >= 11)
		return;
	what = what == 10 ? 0 : what;
	float v = tu_uniform(s, lo[what], hi[what]);
	if (what == 0)
		v = (float)(tu_lcg(s) % 3 != 0);
	else if (what == 7)
		v = (float)(tu_lcg(s) % 2);
	else if (what == 9 && tu_lcg(s) % 2)
		v = 0.0f; /* high-pass off */
	lane_set(a, what, v);
	lane_set(b, what, v);
}

START_TEST(lanes_equal_single)
{
	static struct gate ref[DSP_LANES_MAX], lane[DSP_LANES_MAX];
	static float in[DSP_LANES_MAX][LANE_NS], out[DSP_LANES_MAX][DSP_MAX_CHUNK];
	static float out_ref[DSP_MAX_CHUNK];
	uint32_t s = 12345;
	long checked = 0;
	for (unsigned nl = 1; nl <= DSP_LANES_MAX; nl++) {
		for (unsigned l = 0; l < nl; l++) {
			/* bursts at a per-lane level, then silence and loud squares */
			float quiet = tu_uniform(&s, 0.0001f, 0.1f);
			tu_burst_noise(in[l], LANE_NS, 100 * nl + l, quiet);
			float scale = tu_uniform(&s, 0.01f, 2.0f);
			for (size_t i = 0; i < LANE_NS; i++)
				in[l][i] *= scale;
			size_t at = tu_lcg(&s) % (LANE_NS - 4000);
			memset(in[l] + at, 0, 2000 * sizeof(float));
			for (size_t i = at + 2000; i < at + 4000; i++)
				in[l][i] = in[l][i] > 0.0f ? 1.5f : -1.5f;

			struct gate *g = &ref[l];
			ck_assert_int_eq(
				stage_init_defaults(&gate_stage, g, l % 2 ? 44100.0f : FS), 0);
			gate_set_threshold_db(g, tu_uniform(&s, -60.0f, -10.0f));
			gate_set_hysteresis_db(g, tu_uniform(&s, 0.0f, 10.0f));
			gate_set_range_db(g, tu_uniform(&s, 0.0f, 80.0f));
			gate_set_attack_ms(g, tu_uniform(&s, 0.05f, 20.0f));
			gate_set_hold_ms(g, tu_uniform(&s, 0.0f, 20.0f));
			gate_set_release_ms(g, tu_uniform(&s, 2.0f, 100.0f));
			gate_set_mode(g, (int)(tu_lcg(&s) % 2));
			gate_set_ratio(g, tu_uniform(&s, 1.0f, 6.0f));
			float hpf_hz = tu_lcg(&s) % 2 ? 0.0f : tu_uniform(&s, 20.0f, 500.0f);
			gate_set_sc_hpf_hz(g, hpf_hz);
			gate_set_enable(g, (int)(tu_lcg(&s) % 4 != 0));
			if (tu_lcg(&s) % 2)
				gate_reset(g); /* else the enable crossfade starts in flight */
			memcpy(&lane[l], g, sizeof(*g));
		}
		size_t pos = 0;
		for (int chunk = 0; chunk < 600; chunk++) {
			uint32_t n = 1 + tu_lcg(&s) % DSP_MAX_CHUNK;
			if (pos + n > LANE_NS)
				pos = 0;
			struct gate *gp[DSP_LANES_MAX];
			const float *ip[DSP_LANES_MAX];
			float *op[DSP_LANES_MAX];
			for (unsigned l = 0; l < nl; l++) {
				if (tu_lcg(&s) % 8 == 0)
					lane_poke(&ref[l], &lane[l], &s);
				gp[l] = &lane[l];
				ip[l] = in[l] + pos;
				op[l] = out[l];
			}
			gate_process_lanes(gp, nl, ip, op, n);
			for (unsigned l = 0; l < nl; l++) {
				gate_process(&ref[l], ip[l], out_ref, n);
				ck_assert_msg(memcmp(out_ref, out[l], n * sizeof(float)) == 0,
					      "nl %u lane %u chunk %d: output differs", nl, l,
					      chunk);
				ck_assert_msg(memcmp(&ref[l], &lane[l], sizeof(ref[l])) == 0,
					      "nl %u lane %u chunk %d: state differs", nl, l,
					      chunk);
				checked += n;
			}
			pos += n;
		}
	}
	printf("gate lanes: %ld lane-samples equal to the one-lane path\n", checked);
}
END_TEST

/* It starts closed: sub-threshold noise is attenuated from the first sample (it used to
 * pass at 0 dB for the first 50 ms and be 30 dB down only after 180 ms), in both modes. */
START_TEST(starts_closed)
{
	static struct gate g;
	static float in[NS], out[NS];
	const size_t n50 = (size_t)(0.050 * FS);
	for (int mode = 0; mode < 2; mode++) {
		ck_assert_int_eq(stage_init_defaults(&gate_stage, &g, FS), 0);
		gate_set_enable(&g, 1);
		gate_set_mode(&g, mode);
		gate_reset(&g);
		tu_noise(in, n50, lvl(-60.0f), 7); /* default threshold -50 dBFS */
		tu_run_blocks(gate_fn, &g, in, out, n50, 64);
		double drop = tu_db(tu_rms(in, n50)) - tu_db(tu_rms(out, n50));
		printf("gate %s: first 50 ms of -60 dBFS noise %.1f dB down\n",
		       mode ? "expander" : "gate", drop);
		/* gate: range 40 dB; expander: its static gain, ratio 2 at 10 dB below: -10 dB */
		ck_assert(drop >= (mode ? 9.5 : 30.0));
	}
}
END_TEST

/* A 55 Hz note fading 5 dB/s through the threshold (hold 0, hysteresis 3 dB): the number of
 * times the gate re-opens after first closing. */
static int reopenings(void)
{
	static struct gate g;
	const float thr = -40.0f;
	const size_t n = (size_t)(4.0f * FS);
	gate_setup(&g, thr, 3.0f, 40.0f);
	gate_set_hold_ms(&g, 0.0f);
	int was_open = 0, closed_once = 0, reopen = 0;
	for (size_t i = 0; i < n; i++) {
		float t = (float)i / FS, db = thr + 10.0f - 5.0f * t; /* +10 .. -10 dB */
		float x = lvl(db) * sinf(2.0f * (float)M_PI * 55.0f * t), y;
		gate_process(&g, &x, &y, 1);
		if (was_open && !g.open)
			closed_once = 1;
		if (!was_open && g.open && closed_once)
			reopen++;
		was_open = g.open;
	}
	return reopen;
}

START_TEST(low_note_does_not_chatter)
{
	int r = reopenings();
	printf("gate: a 55 Hz note fading 5 dB/s re-opens %d times (LSP's gate: once)\n", r);
	ck_assert_int_le(r, 2);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("gate");
	TCase *tc = tcase_create("gate");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, open_is_unity_closed_is_range);
	tcase_add_test(tc, hysteresis_band_keeps_state);
	tcase_add_test(tc, hold_is_exact);
	tcase_add_test(tc, attack_release_time_constants);
	tcase_add_test(tc, disabled_copies_exactly);
	tcase_add_test(tc, block_split_invariant);
	tcase_add_test(tc, no_subnormal_state_after_silence);
	tcase_add_test(tc, lanes_equal_single);
	tcase_add_test(tc, starts_closed);
	tcase_add_test(tc, low_note_does_not_chatter);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
