/* The strip as a whole: neutral is bit-exact, block size never changes the result, bad input
 * stays contained. Module behaviour is tested in each module's own test file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biquad.h"
#include "link.h"
#include "strip.h"
#include "testutil.h"

#define FS 48000.0f
#define N 48000

static void strip_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	strip_process(ctx, in, out, n);
}

/* strip_process_many over n samples in blocks of block. */
static void run_many_blocks(struct strip *s, unsigned count, const float *const *in,
			       float *const *out, size_t n, uint32_t block)
{
	for (size_t i = 0; i < n; i += block) {
		uint32_t k = n - i < block ? (uint32_t)(n - i) : block;
		const float *pin[8];
		float *pout[8];
		for (unsigned c = 0; c < count; c++)
			pin[c] = in[c] + i, pout[c] = out[c] + i;
		strip_process_many(s, count, pin, pout, k);
	}
}

START_TEST(neutral_is_bit_exact)
{
	static struct strip s;
	static float in[N], out[N];
	ck_assert_int_eq(strip_init(&s, FS, strip_simd_select(0)), 0);
	tu_noise(in, N, 1.0, 7);
	in[100] = 1.0f, in[101] = -1.0f, in[102] = 1e-30f; /* extremes and a subnormal-ish value */
	strip_process(&s, in, out, N);
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
}
END_TEST

/* Every module on with non-default settings: cutting the input into blocks of 1, 16, 64, 256
 * or 1000 samples gives the same output to the bit. */
static void strip_all_on(struct strip *s)
{
	ck_assert_int_eq(strip_init(s, FS, strip_simd_select(0)), 0);
	strip_set_param(s, P_PRE_GAIN, 12.0f);
	strip_set_param(s, P_PRE_HPF, 80.0f);
	strip_set_param(s, P_PRE_MODEL, 1.0f);
	strip_set_param(s, P_PRE_DRIVE, 9.0f);
	strip_set_param(s, P_GATE_ENABLE, 1.0f);
	strip_set_param(s, P_GATE_THRESHOLD, -40.0f);
	strip_set_param(s, P_COMP_ENABLE, 1.0f);
	strip_set_param(s, P_COMP_THRESHOLD, -24.0f);
	strip_set_param(s, P_DEESS_ENABLE, 1.0f);
	strip_set_param(s, P_DEESS_THRESHOLD, -40.0f);
	strip_set_param(s, P_OUT_GAIN, -3.0f);
	strip_set_param(s, P_LIM_ENABLE, 1.0f);
	strip_set_param(s, P_LIM_CEILING, -12.0f);
	strip_reset(s);
}

START_TEST(block_size_invariant)
{
	static struct strip s;
	static float in[N], ref[N], out[N];
	static const uint32_t blocks[] = {1, 16, 64, 256, 1000, 4096};
	tu_noise(in, N, 0.3, 11);
	for (size_t i = 0; i < N; i++) /* bursts, so every dynamics stage moves */
		in[i] *= ((i / 4800) % 3 == 0) ? 0.01f : 1.0f;
	strip_all_on(&s);
	tu_run_blocks(strip_fn, &s, in, ref, N, 333);
	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		strip_all_on(&s);
		tu_run_blocks(strip_fn, &s, in, out, N, blocks[b]);
		ck_assert_msg(memcmp(ref, out, sizeof(out)) == 0, "block %u differs", blocks[b]);
	}
}
END_TEST

START_TEST(in_place_equals_out_of_place)
{
	static struct strip s;
	static float in[N], out[N], buf[N];
	tu_noise(in, N, 0.5, 3);
	strip_all_on(&s);
	strip_process(&s, in, out, N);
	memcpy(buf, in, sizeof(buf));
	strip_all_on(&s);
	strip_process(&s, buf, buf, N);
	ck_assert_int_eq(memcmp(out, buf, sizeof(buf)), 0);
}
END_TEST

/* NaN/Inf arriving in the audio is contained: output stays finite and the strip recovers. */
START_TEST(nan_input_is_contained)
{
	static struct strip s;
	static float in[N], out[N];
	tu_sine(in, N, 0.5, 1000.0, FS, 0.0);
	for (size_t i = 1000; i < 1100; i++)
		in[i] = (i & 1) ? NAN : INFINITY;
	in[2000] = -INFINITY;
	strip_all_on(&s);
	strip_process(&s, in, out, N);
	ck_assert_int_eq(tu_bad_float(out, N), 0);
	/* and it still passes signal afterwards */
	ck_assert(tu_rms(out + N / 2, N / 2) > 0.01);
}
END_TEST

/* A finite value far beyond any converter (1e20: its square overflows a float) is not audio:
 * the strip makes it silence, as NaN, and meters it as clipped. Through the compressor's RMS
 * detector it used to latch the gain at -90 dB for good (output 9.5e-6 for a 0.3 sine). */
#define BURST 128
#define LONG_N (6 * N)

static void burst_then_sine(float *x, size_t n, float burst)
{
	tu_sine(x, n, 0.3, 1000.0, FS, 0.0);
	for (size_t i = 0; i < BURST; i++)
		x[i] = (i & 1) ? 0.0f - burst : burst; /* +0.0 for no burst, as the strip makes it */
}

START_TEST(huge_input_is_silence_comp_rms_recovers)
{
	static struct strip s;
	static float in[2 * N], ref_in[2 * N], out[2 * N], ref[2 * N];
	struct meter_snapshot snap;
	burst_then_sine(in, 2 * N, 1e20f);
	burst_then_sine(ref_in, 2 * N, 0.0f);
	for (int pass = 0; pass < 2; pass++) {
		ck_assert_int_eq(strip_init(&s, FS, strip_simd_select(0)), 0);
		strip_set_param(&s, P_COMP_ENABLE, 1.0f);
		strip_set_param(&s, P_COMP_DETECTOR, 1.0f); /* rms */
		strip_reset(&s);
		strip_process(&s, pass ? in : ref_in, pass ? out : ref, 2 * N);
		strip_meter_take(&s, &snap);
	}
	double got = tu_db(tu_rms(out + N - N / 10, N / 10));
	double want = tu_db(tu_rms(ref + N - N / 10, N / 10));
	printf("1e20 burst, comp rms: output %.2f dB at 0.9..1 s (without the burst %.2f dB)\n",
	       got, want);
	ck_assert_double_eq_tol(got, want, 0.01);
	ck_assert_int_eq(memcmp(out, ref, sizeof(out)), 0); /* the burst was silence */
	ck_assert_uint_eq(snap.clips, 1);                    /* and counted, as one clip run */
}
END_TEST

/* The largest input that is still audio (just below 2^32) at the preamp's full gain, with
 * every dynamics stage on (comp peak and rms detector): the output stays finite and nothing
 * latches. The level at the compressor is +262 dBFS, so it comes back at its release speed
 * from its 120 dB ceiling (under 1 s at 100 ms, after the RMS detector's 0.6 s to forget
 * 260 dB): the output level matches a run without the burst within 2 s, and every meter
 * (whose 300 ms integrator has as much to forget) within 6 s. */
static void run_loud(struct strip *s, const float *in, float *out, int detector,
		     float f[MF_COUNT])
{
	struct meter_snapshot snap;
	struct meter_hold hold;
	ck_assert_int_eq(strip_init(s, FS, strip_simd_select(0)), 0);
	strip_set_param(s, P_PRE_GAIN, 70.0f);
	strip_set_param(s, P_GATE_ENABLE, 1.0f);
	strip_set_param(s, P_COMP_ENABLE, 1.0f);
	strip_set_param(s, P_COMP_DETECTOR, (float)detector);
	strip_set_param(s, P_DEESS_ENABLE, 1.0f);
	strip_reset(s);
	strip_process(s, in, out, LONG_N - N / 10);
	strip_meter_take(s, &snap);
	strip_process(s, in + LONG_N - N / 10, out + LONG_N - N / 10, N / 10);
	strip_meter_take(s, &snap);
	meter_hold_reset(&hold);
	meter_fields(&snap, &hold, 18.0f, f);
}

START_TEST(huge_audio_every_detector_recovers)
{
	static struct strip s;
	static float in[LONG_N], ref_in[LONG_N], out[LONG_N], ref[LONG_N];
	float f[MF_COUNT], fr[MF_COUNT];
	burst_then_sine(in, LONG_N, 4.29e9f);
	burst_then_sine(ref_in, LONG_N, 0.0f);
	run_loud(&s, in, out, _i, f);
	run_loud(&s, ref_in, ref, _i, fr);
	ck_assert_int_eq(tu_bad_float(out, LONG_N), 0);
	double got = tu_db(tu_rms(out + 2 * N - N / 10, N / 10));
	double want = tu_db(tu_rms(ref + 2 * N - N / 10, N / 10));
	printf("4.29e9 burst at +70 dB, comp %s: output %.3f dB at 1.9..2 s (without: %.3f)\n",
	       _i ? "rms" : "peak", got, want);
	ck_assert_double_eq_tol(got, want, 0.01);
	for (int k = 0; k < MF_COUNT; k++) {
		/* integrated loudness and LRA remember the whole run, the burst included, by
		 * definition (until /strip/N/loudness/reset) */
		if (k == MF_CLIPS || k == MF_LUFS_I || k == MF_LRA)
			continue;
		ck_assert_msg(fabsf(f[k] - fr[k]) < 0.01f, "%s %.3f, without the burst %.3f",
			      meter_field_names[k], (double)f[k], (double)fr[k]);
	}
}
END_TEST

/* The chain's descriptors against the parameter table and the meter fields: every stage owns
 * exactly the rows keyed "<name>.", no row belongs to two stages, only meter.* (read on the
 * control side) belongs to none; the dynamics stages (gr_take) are the meter's GR fields, in
 * chain order, named "<name>_gr_db"; every stage but the output gain (which the strip runs
 * itself, fused with the output meter when the stages after it are idle) processes audio. */
START_TEST(chain_matches_table_and_meters)
{
	int owner[P_COUNT];
	int gr = 0;
	for (int p = 0; p < P_COUNT; p++)
		owner[p] = -1;
	ck_assert_uint_ge(strip_chain_len, 2);
	for (unsigned i = 0; i < strip_chain_len; i++) {
		const struct stage_desc *d = strip_chain[i];
		size_t len = strlen(d->name);
		ck_assert_ptr_nonnull(d->label);
		ck_assert(d->init && d->reset && d->set);
		ck_assert_int_le(d->first, d->last);
		ck_assert_msg((d->process_lanes == NULL) == (strcmp(d->name, "out") == 0),
			      "%s: process_lanes", d->name);
		for (int p = d->first; p <= (int)d->last; p++) {
			ck_assert_msg(owner[p] < 0, "%s owned twice", param_table[p].key);
			owner[p] = (int)i;
			ck_assert_msg(strncmp(param_table[p].key, d->name, len) == 0 &&
					      param_table[p].key[len] == '.',
				      "%s in stage %s", param_table[p].key, d->name);
		}
		if (d->gr_take) {
			char want[64];
			snprintf(want, sizeof(want), "%s_gr_db", d->name);
			ck_assert_int_lt(gr, METER_GR_COUNT);
			ck_assert_str_eq(meter_field_names[MF_CLIPS + 1 + gr], want);
			gr++;
		}
	}
	ck_assert_int_eq(gr, METER_GR_COUNT);
	for (int p = 0; p < P_COUNT; p++)
		ck_assert_msg(owner[p] >= 0 || strncmp(param_table[p].key, "meter.", 6) == 0 ||
				      strncmp(param_table[p].key, "strip.", 6) == 0 ||
				      strncmp(param_table[p].key, "link.", 5) == 0,
			      "%s belongs to no stage (nor to the strip, the link or the meters)",
			      param_table[p].key);
}
END_TEST

/* The strip's meter take hands over each dynamics stage's lowest gain and restarts it. */
START_TEST(meter_take_reads_every_gr_stage)
{
	static struct strip s;
	static float in[N], out[N];
	struct meter_snapshot snap;
	strip_all_on(&s);
	tu_burst_noise(in, N, 9, 1e-4f); /* loud enough to compress, gaps to gate */
	strip_process(&s, in, out, N);
	strip_meter_take(&s, &snap);
	for (int k = 0; k < METER_GR_COUNT; k++)
		ck_assert_msg(snap.gr_gain[k] < 0.99f, "%s: gain %g",
			      meter_field_names[MF_CLIPS + 1 + k], (double)snap.gr_gain[k]);
	strip_meter_take(&s, &snap);
	for (int k = 0; k < METER_GR_COUNT; k++)
		ck_assert_float_eq(snap.gr_gain[k], 1.0f);
}
END_TEST

START_TEST(rejects_unsupported_rate)
{
	static struct strip s;
	ck_assert_int_ne(strip_init(&s, 1000.0f, strip_simd_select(0)), 0);
	ck_assert_int_ne(strip_init(&s, NAN, strip_simd_select(0)), 0);
	ck_assert_int_eq(strip_init(&s, 44100.0f, strip_simd_select(0)), 0);
	ck_assert_int_eq(strip_init(&s, 192000.0f, strip_simd_select(0)), 0);
}
END_TEST

START_TEST(out_gain_is_smoothed_and_lands_exactly)
{
	static struct strip s;
	static float in[N], out[N];
	for (size_t i = 0; i < N; i++)
		in[i] = 0.5f;
	ck_assert_int_eq(strip_init(&s, FS, strip_simd_select(0)), 0);
	strip_set_param(&s, P_OUT_GAIN, -6.0f);
	strip_process(&s, in, out, N);
	/* no jump: the first sample moves less than 1 % of the change */
	ck_assert(fabsf(out[0] - 0.5f) < 0.01f * 0.5f * (1.0f - 0.501187f));
	ck_assert_float_eq(out[N - 1], 0.5f * dsp_db_to_gain(-6.0f));
	strip_set_param(&s, P_OUT_GAIN, 0.0f);
	strip_process(&s, in, out, N);
	ck_assert_float_eq(out[N - 1], 0.5f); /* back to exactly unity */
}
END_TEST

/* ---- many strips at once ------------------------------------------------------------- */

#define LANE_STRIPS 20
#define LANE_CHUNKS 400

/* strip_process_many() (channels in lane groups, recursions interleaved) gives, for every
 * strip, exactly what strip_process() gives on its own: every output sample and every meter
 * snapshot, with settings that differ per strip and change while audio runs (so fades,
 * glides, idle stages and oversampling changes are in flight in some lanes and not others). */
START_TEST(lanes_equal_single_strips)
{
	static struct strip ref[LANE_STRIPS], lan[LANE_STRIPS];
	static float in[LANE_STRIPS][DSP_MAX_CHUNK * 3], out_ref[DSP_MAX_CHUNK * 3],
		out[LANE_STRIPS][DSP_MAX_CHUNK * 3];
	const unsigned counts[] = {1, 2, 3, 5, 8, 9, LANE_STRIPS};
	uint32_t r = 12345u + (uint32_t)_i;
	unsigned count = counts[_i];
	for (unsigned c = 0; c < count; c++) {
		ck_assert_int_eq(strip_init(&ref[c], FS, strip_simd_select(0)), 0);
		for (int id = 0; id < P_COUNT; id++)
			strip_set_param(&ref[c], (enum param_id)id,
					tu_random_param((enum param_id)id, &r));
		strip_set_param(&ref[c], P_LINK_GROUP, 0.0f); /* one strip alone cannot link */
		strip_reset(&ref[c]);
		lan[c] = ref[c];
	}
	for (int k = 0; k < LANE_CHUNKS; k++) {
		uint32_t n = 1 + tu_lcg(&r) % (DSP_MAX_CHUNK * 3);
		const float *pin[LANE_STRIPS];
		float *pout[LANE_STRIPS];
		for (unsigned c = 0; c < count; c++) {
			if (tu_lcg(&r) % 20 == 0) { /* a setting changes now and then */
				enum param_id id = (enum param_id)(tu_lcg(&r) % P_COUNT);
				float v = id == P_LINK_GROUP ? 0.0f : tu_random_param(id, &r);
				strip_set_param(&ref[c], id, v);
				strip_set_param(&lan[c], id, v);
			}
			tu_lane_signal(in[c], n, c, &r);
			pin[c] = in[c];
			pout[c] = out[c];
		}
		strip_process_many(lan, count, pin, pout, n);
		for (unsigned c = 0; c < count; c++) {
			strip_process(&ref[c], in[c], out_ref, n);
			ck_assert_msg(memcmp(out_ref, out[c], n * sizeof(float)) == 0,
				      "%u strips: strip %u differs in chunk %d", count, c, k);
			if (k % 37 == 0) {
				struct meter_snapshot a, b;
				strip_meter_take(&ref[c], &a);
				strip_meter_take(&lan[c], &b);
				ck_assert_msg(memcmp(&a, &b, sizeof(a)) == 0,
					      "%u strips: strip %u meters differ", count, c);
			}
		}
	}
}
END_TEST


/* strip.bypass at 1 (settled): the output is the input delayed by the latency the strip
 * reports, to the bit, whatever the chain does; the latency stays what it was. */
START_TEST(bypass_is_the_input_delayed)
{
	static struct strip s;
	enum { NB = 4096 };
	static float in[NB], out[NB];
	strip_all_on(&s);
	strip_set_param(&s, P_PRE_OVERSAMPLE, 4.0f);
	strip_reset(&s);
	uint32_t lat = strip_latency_samples(&s);
	ck_assert_uint_gt(lat, 0);
	strip_set_param(&s, P_STRIP_BYPASS, 1.0f);
	strip_reset(&s);
	ck_assert_uint_eq(strip_latency_samples(&s), lat);
	tu_noise(in, NB, 0.5, 7);
	tu_run_blocks(strip_fn, &s, in, out, NB, 100);
	for (uint32_t i = 0; i < NB; i++)
		ck_assert_float_eq(out[i], (i < lat ? 0.0f : in[i - lat]));
}
END_TEST

/* Largest energy above 8 kHz (two Butterworth high-passes, 24 dB/oct) in 10 ms windows,
 * dBFS. */
static double hf_peak_db(const float *x, size_t n)
{
	struct biquad_coef c;
	struct biquad_state a = {0}, b = {0};
	biquad_design(&c, BQ_HIGHPASS, FS, 8000.0, 0.7071067811865476, 0.0);
	size_t w = (size_t)(FS / 100.0);
	double worst = 0.0, acc = 0.0;
	for (size_t i = 0; i < n; i++) {
		float y = biquad_tick(&c, &b, biquad_tick(&c, &a, x[i]));
		if (i >= w) /* past the filters' own start */
			acc += (double)y * y;
		if (i % w == w - 1) {
			worst = acc / (double)w > worst ? acc / (double)w : worst;
			acc = 0.0;
		}
	}
	return 10.0 * log10(worst + 1e-30);
}

/* Bypass in and out while a -12 dBFS 1 kHz tone plays through a strip that changes it (gain,
 * compression, oversampling): no click, the energy above 8 kHz stays within 10 dB of what
 * the same strip gives without the switches. */
START_TEST(bypass_switches_without_click)
{
	static struct strip s;

	static float in[N], ref[N], out[N];
	tu_sine(in, N, pow(10.0, -12.0 / 20.0), 1000.0, FS, 0.0);
	for (int pass = 0; pass < 2; pass++) {
		ck_assert_int_eq(strip_init(&s, FS, strip_simd_select(0)), 0);
		strip_set_param(&s, P_PRE_GAIN, 6.0f);
		strip_set_param(&s, P_PRE_OVERSAMPLE, 2.0f);
		strip_set_param(&s, P_COMP_ENABLE, 1.0f);
		strip_set_param(&s, P_COMP_THRESHOLD, -20.0f);
		strip_reset(&s);
		float *o = pass ? out : ref;
		for (uint32_t i = 0; i < N; i += 256) {
			if (pass && i == 12032)
				strip_set_param(&s, P_STRIP_BYPASS, 1.0f);
			if (pass && i == 30208)
				strip_set_param(&s, P_STRIP_BYPASS, 0.0f);
			strip_process(&s, in + i, o + i, N - i < 256 ? N - i : 256);
		}
	}
	double floor_db = hf_peak_db(ref, N), sw_db = hf_peak_db(out, N);
	double limit_db = (floor_db > -85.0 ? floor_db : -85.0) + 10.0;
	printf("bypass: HF floor %.1f dBFS, with switches %.1f dBFS\n", floor_db, sw_db);
	ck_assert_double_le(sw_db, limit_db);
}
END_TEST

/* ---- stereo link ------------------------------------------------------------------------ */

#define LINK_N 24000 /* 0.5 s: settle, then measure over the next LINK_N */

/* A pair of strips, left fed inl and right inr (2 * LINK_N each), both set up by setup; group
 * 0 = not linked. gr_db[c]: strip c's gain reduction of dynamics stage k (METER_GR_*) over the
 * second half, in dB. */
static void link_pair_gr(void (*setup)(struct strip *), int group, float amount_pct,
			 const float *inl, const float *inr, int k, double gr_db[2])
{
	static struct strip s[2];
	static float out[2][2 * LINK_N];
	for (int c = 0; c < 2; c++) {
		ck_assert_int_eq(strip_init(&s[c], FS, strip_simd_select(0)), 0);
		setup(&s[c]);
		strip_set_param(&s[c], P_LINK_GROUP, (float)group);
		strip_set_param(&s[c], P_LINK_AMOUNT, amount_pct);
		strip_reset(&s[c]);
	}
	for (int half = 0; half < 2; half++) {
		const float *pin[2] = {inl + half * LINK_N, inr + half * LINK_N};
		float *pout[2] = {out[0] + half * LINK_N, out[1] + half * LINK_N};
		run_many_blocks(s, 2, pin, pout, LINK_N, 256);
		for (int c = 0; c < 2; c++) {
			struct meter_snapshot snap;
			strip_meter_take(&s[c], &snap);
			gr_db[c] = -tu_db(snap.gr_gain[k]);
		}
	}
}

static void link_comp_on(struct strip *s)
{
	strip_set_param(s, P_COMP_ENABLE, 1.0f);
	strip_set_param(s, P_COMP_THRESHOLD, -24.0f);
	strip_set_param(s, P_COMP_RATIO, 4.0f);
}

static void link_gate_on(struct strip *s)
{
	strip_set_param(s, P_GATE_ENABLE, 1.0f);
	strip_set_param(s, P_GATE_THRESHOLD, -40.0f);
	strip_set_param(s, P_GATE_RANGE, 40.0f);
}

static void link_deess_on(struct strip *s)
{
	strip_set_param(s, P_DEESS_ENABLE, 1.0f);
	strip_set_param(s, P_DEESS_THRESHOLD, -30.0f);
}

static void link_lim_on(struct strip *s)
{
	strip_set_param(s, P_LIM_ENABLE, 1.0f);
	strip_set_param(s, P_LIM_CEILING, -12.0f);
}

/* link_combine against its definition, v_j + a_j (max_m v_m - v_j), by hand: a flat member
 * counts as 0 and is written out only when it moves; a lone or all-flat group is left alone;
 * a member at 1 gets the maximum exactly. */
START_TEST(link_combine_closed_form)
{
	float v0[2] = {1.0f, 5.0f}, v1[2] = {3.0f, 2.0f}, v2[2] = {7.0f, 7.0f}, v3[2] = {9, 9};
	float a0[2] = {1.0f, 1.0f}, a1[2] = {0.5f, 0.5f}, a2[2] = {0.25f, 0.25f}, z[2] = {0, 0};
	float mx[2];
	struct stage_gr g0 = {v0, 0}, g1 = {v1, 0}, g2 = {v2, 1}, g3 = {v3, 1};
	struct stage_gr *gr[4] = {&g0, &g1, &g2, &g3};
	const float *a[4] = {a0, a1, a2, z};
	link_combine(gr, a, 4, 2, mx);
	ck_assert(v0[0] == 3.0f && v0[1] == 5.0f);
	ck_assert(v1[0] == 3.0f && v1[1] == 3.5f);
	ck_assert(g2.flat == 0 && v2[0] == 0.75f && v2[1] == 1.25f);
	ck_assert(g3.flat == 1 && v3[0] == 9.0f); /* at 0 it stays as it was: flat */
	g2.flat = 1, v2[0] = 7.0f;
	struct stage_gr *flat[2] = {&g2, &g3};
	link_combine(flat, a, 2, 2, mx); /* nobody reduces: nothing to share */
	ck_assert(g2.flat == 1 && v2[0] == 7.0f);
	link_combine(gr, a, 1, 2, mx); /* alone */
	ck_assert(v0[0] == 3.0f);
}
END_TEST

/* A -6 dBFS tone in the left strip only (6 kHz for the de-esser, 1 kHz otherwise), the right
 * one quiet (-70 dBFS noise): not linked, the right strip's stage does what its own input
 * asks (no reduction for the compressor, de-esser and limiter at -12 dBTP, a closed gate); linked at 100 % it
 * applies the left's reduction (within 0.1 dB), at 50 % half of the way in dB (within
 * 0.2 dB); linked at 0 % it is left alone. The left strip is the leader throughout. */
START_TEST(link_pulls_the_quiet_side)
{
	static const struct {
		void (*setup)(struct strip *);
		int k;
		double hz;
	} st[] = {{link_comp_on, METER_GR_COMP, 1000.0},
		  {link_gate_on, METER_GR_GATE, 1000.0},
		  {link_deess_on, METER_GR_DEESS, 6000.0},
		  {link_lim_on, METER_GR_LIM, 1000.0}};
	static float inl[2 * LINK_N], inr[2 * LINK_N];
	tu_sine(inl, 2 * LINK_N, 0.5011872, st[_i].hz, FS, 0.0);
	tu_noise(inr, 2 * LINK_N, 3.1622777e-4, 5);
	double own[2], l100[2], l50[2], l0[2];
	link_pair_gr(st[_i].setup, 0, 100.0f, inl, inr, st[_i].k, own);
	link_pair_gr(st[_i].setup, 1, 100.0f, inl, inr, st[_i].k, l100);
	link_pair_gr(st[_i].setup, 3, 50.0f, inl, inr, st[_i].k, l50);
	link_pair_gr(st[_i].setup, 16, 0.0f, inl, inr, st[_i].k, l0);
	printf("link %s: own L %.3f R %.3f dB; 100 %%: R %.3f; 50 %%: R %.3f; 0 %%: R %.3f\n",
	       meter_field_names[MF_CLIPS + 1 + st[_i].k], own[0], own[1], l100[1], l50[1], l0[1]);
	if (st[_i].k == METER_GR_GATE) {
		ck_assert_double_lt(own[0], 0.01); /* the tone holds the left gate open */
		ck_assert_double_gt(own[1], 39.9); /* the quiet side alone closes */
	} else {
		ck_assert_double_gt(own[0], 3.0); /* the tone is reduced */
		ck_assert_double_lt(own[1], 0.01); /* the quiet side alone is not */
	}
	for (int c = 0; c < 2; c++) /* the leader never moves */
		ck_assert_double_eq_tol(l100[0], own[0], 1e-6);
	ck_assert_double_eq_tol(l100[1], own[0], 0.1);
	ck_assert_double_eq_tol(l50[1], own[1] + 0.5 * (own[0] - own[1]), 0.2);
	ck_assert_double_eq_tol(l0[1], own[1], 1e-9);
}
END_TEST

/* Fully linked gates open and close together: a tone on the left for 0.25 s then nothing,
 * -70 dBFS noise on the right throughout; every 10 ms both strips report the same gain
 * reduction, open while the tone plays, closed at the end. Not linked, the right one never
 * opens. */
START_TEST(linked_gates_open_and_close_together)
{
	static struct strip s[2];
	static float inl[N], inr[N], out[2][N];
	tu_sine(inl, N / 4, 0.5011872, 1000.0, FS, 0.0);
	memset(inl + N / 4, 0, sizeof(float) * (N - N / 4));
	tu_noise(inr, N, 3.1622777e-4, 9);
	for (int linked = 0; linked < 2; linked++) {
		for (int c = 0; c < 2; c++) {
			ck_assert_int_eq(strip_init(&s[c], FS, strip_simd_select(0)), 0);
			link_gate_on(&s[c]);
			strip_set_param(&s[c], P_LINK_GROUP, linked ? 2.0f : 0.0f);
			strip_reset(&s[c]);
		}
		int open_r = 0;
		double last[2] = {0, 0};
		for (size_t i = 0; i < N; i += 480) {
			const float *pin[2] = {inl + i, inr + i};
			float *pout[2] = {out[0] + i, out[1] + i};
			strip_process_many(s, 2, pin, pout, 480);
			for (int c = 0; c < 2; c++) {
				struct meter_snapshot snap;
				strip_meter_take(&s[c], &snap);
				last[c] = -tu_db(snap.gr_gain[METER_GR_GATE]);
			}
			if (linked)
				ck_assert_msg(last[0] == last[1], "at %zu: %g vs %g dB", i, last[0],
					      last[1]);
			if (i >= 9600 && i < N / 4) /* the tone, after the start's own hold */
				open_r += last[1] < 1.0;
		}
		ck_assert_double_gt(last[0], 39.9); /* both closed at the end */
		ck_assert_double_gt(last[1], 39.9);
		if (linked)
			ck_assert_int_eq(open_r, 5); /* open with the tone */
		else
			ck_assert_int_eq(open_r, 0);
	}
}
END_TEST

/* Linked strips (groups across lane groups, amounts that differ and change, strips in no
 * group among them), every stage on: any block size gives the same bits, and each link group
 * run on its own through strip_process_many gives every member's bits (so neither the lane
 * grouping nor the other groups matter); at link.amount 0 a member gives exactly what it gives
 * unlinked. */
#define LINK_STRIPS 11
static const int link_groups[LINK_STRIPS] = {1, 2, 0, 1, 3, 3, 2, 0, 1, 16, 16};

static void link_strips_setup(struct strip *s, unsigned count, const int *groups, float amount0)
{
	for (unsigned c = 0; c < count; c++) {
		strip_all_on(&s[c]);
		strip_set_param(&s[c], P_COMP_THRESHOLD, -30.0f - 2.0f * (float)c);
		strip_set_param(&s[c], P_LINK_GROUP, (float)groups[c]);
		strip_set_param(&s[c], P_LINK_AMOUNT, c == 0 ? amount0 : 40.0f + 6.0f * (float)c);
		strip_reset(&s[c]);
	}
}

static void link_signals(float (*in)[N], unsigned count)
{
	for (unsigned c = 0; c < count; c++) {
		tu_noise(in[c], N, 0.3, 11 + c);
		for (size_t i = 0; i < N; i++) /* bursts at different times, so each side leads */
			in[c][i] *= (((i + 1700 * c) / 4800) % 3 == 0) ? 0.01f : 1.0f;
	}
}

static void link_run(struct strip *s, unsigned count, float (*in)[N], float (*out)[N],
		     uint32_t block, unsigned glide)
{
	for (size_t i = 0; i < N; i += block) {
		size_t end = i < N / 2 ? N / 2 : N; /* blocks stop at the change */
		uint32_t n = end - i < block ? (uint32_t)(end - i) : block;
		const float *pin[LINK_STRIPS];
		float *pout[LINK_STRIPS];
		for (unsigned c = 0; c < count; c++)
			pin[c] = in[c] + i, pout[c] = out[c] + i;
		if (i == N / 2) /* an amount glides */
			strip_set_param(&s[glide], P_LINK_AMOUNT, 100.0f);
		strip_process_many(s, count, pin, pout, n);
		i -= block - n;
	}
}

START_TEST(linked_block_size_and_grouping_invariant)
{
	static struct strip s[LINK_STRIPS];
	static float in[LINK_STRIPS][N], ref[LINK_STRIPS][N], out[LINK_STRIPS][N];
	static const uint32_t blocks[] = {1, 64, 1000};
	link_signals(in, LINK_STRIPS);
	link_strips_setup(s, LINK_STRIPS, link_groups, 70.0f);
	link_run(s, LINK_STRIPS, in, ref, 333, 3);
	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		link_strips_setup(s, LINK_STRIPS, link_groups, 70.0f);
		link_run(s, LINK_STRIPS, in, out, blocks[b], 3);
		ck_assert_msg(memcmp(ref, out, sizeof(out)) == 0, "block %u differs", blocks[b]);
	}
	/* group 1 (strips 0, 3, 8) on its own */
	static struct strip g[3];
	static float gin[3][N], gout[3][N];
	const unsigned mem[3] = {0, 3, 8};
	const int gg[3] = {1, 1, 1};
	for (int j = 0; j < 3; j++) {
		link_strips_setup(g, 3, gg, 70.0f);
		memcpy(gin[j], in[mem[j]], sizeof(gin[j]));
	}
	/* the members' own settings: strip_all_on with their thresholds and amounts */
	for (int j = 0; j < 3; j++) {
		strip_all_on(&g[j]);
		strip_set_param(&g[j], P_COMP_THRESHOLD, -30.0f - 2.0f * (float)mem[j]);
		strip_set_param(&g[j], P_LINK_GROUP, 1.0f);
		strip_set_param(&g[j], P_LINK_AMOUNT,
				mem[j] == 0 ? 70.0f : 40.0f + 6.0f * (float)mem[j]);
		strip_reset(&g[j]);
	}
	link_run(g, 3, gin, gout, 333, 1);
	for (int j = 0; j < 3; j++)
		ck_assert_msg(memcmp(gout[j], ref[mem[j]], sizeof(gout[j])) == 0,
			      "member %u differs run alone", mem[j]);
	/* a member at amount 0 is its unlinked self; a linked member is not */
	static struct strip u;
	static float uout[N];
	link_strips_setup(s, LINK_STRIPS, link_groups, 0.0f);
	link_run(s, LINK_STRIPS, in, out, 333, 3);
	strip_all_on(&u);
	strip_set_param(&u, P_COMP_THRESHOLD, -30.0f);
	strip_reset(&u);
	strip_process(&u, in[0], uout, N);
	ck_assert(memcmp(uout, out[0], sizeof(uout)) == 0);
	ck_assert(memcmp(uout, ref[0], sizeof(uout)) != 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("strip");
	TCase *tc = tcase_create("strip");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, neutral_is_bit_exact);
	tcase_add_test(tc, block_size_invariant);
	tcase_add_test(tc, in_place_equals_out_of_place);
	tcase_add_test(tc, nan_input_is_contained);
	tcase_add_test(tc, huge_input_is_silence_comp_rms_recovers);
	tcase_add_loop_test(tc, huge_audio_every_detector_recovers, 0, 2);
	tcase_add_test(tc, rejects_unsupported_rate);
	tcase_add_test(tc, chain_matches_table_and_meters);
	tcase_add_test(tc, meter_take_reads_every_gr_stage);
	tcase_add_test(tc, out_gain_is_smoothed_and_lands_exactly);
	tcase_add_loop_test(tc, lanes_equal_single_strips, 0, 7);
	tcase_add_test(tc, bypass_is_the_input_delayed);
	tcase_add_test(tc, bypass_switches_without_click);
	tcase_add_test(tc, link_combine_closed_form);
	tcase_add_loop_test(tc, link_pulls_the_quiet_side, 0, 4);
	tcase_add_test(tc, linked_gates_open_and_close_together);
	tcase_add_test(tc, linked_block_size_and_grouping_invariant);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
