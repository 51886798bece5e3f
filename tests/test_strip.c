/* The strip as a whole: neutral is bit-exact, block size never changes the result, bad input
 * stays contained. Module behaviour is tested in each module's own test file. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	Suite *su = suite_create("strip");
	TCase *tc = tcase_create("strip");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, neutral_is_bit_exact);
	tcase_add_test(tc, block_size_invariant);
	tcase_add_test(tc, in_place_equals_out_of_place);
	tcase_add_test(tc, nan_input_is_contained);
	tcase_add_test(tc, rejects_unsupported_rate);
	tcase_add_test(tc, out_gain_is_smoothed_and_lands_exactly);
	tcase_add_loop_test(tc, lanes_equal_single_strips, 0, 7);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
