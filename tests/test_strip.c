/* The strip as a whole: neutral is bit-exact, block size never changes the result, bad input
 * stays contained. Module behaviour is tested in each module's own test file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biquad.h"
#include "strip.h"
#include "testutil.h"

#define FS 48000.0f
#define N 48000

static void strip_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	strip_process(ctx, in, out, n);
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
				      strncmp(param_table[p].key, "strip.", 6) == 0,
			      "%s belongs to no stage (nor to the strip or the meters)",
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
				float v = tu_random_param(id, &r);
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
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
