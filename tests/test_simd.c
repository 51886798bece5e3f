/* SIMD kernels against the scalar reference, on every variant this CPU supports: random
 * data, odd lengths (253 and every length 0..80), misaligned buffers.
 *
 * Error bound: 0 ulp. The kernels use only correctly rounded IEEE operations in the
 * reference's order and no FMA (sat.h), so every variant must give the reference's bits;
 * the preamp relies on it for block-size invariance (the vector body and the scalar tail
 * must agree wherever a block happens to end). */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "sat.h"
#include "strip.h"
#include "testutil.h"

/* Every kernel variant this CPU supports against its reference (cpu.h), through one generic
 * loop: the same random data and settings, odd lengths and misaligned buffers, and bit
 * equality of everything a kernel produces (outputs, and a module's state and meters).
 *
 * Error bound: 0 ulp, for every kernel. They use only correctly rounded IEEE operations in
 * the reference's order and no FMA (sat.h, truepeak.c, cpu.h), so every variant must give the
 * reference's bits; the modules rely on it for block-size invariance (a vector body and a
 * scalar tail must agree wherever a block happens to end). */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "sat.h"
#include "strip.h"
#include "testutil.h"
#include "truepeak.h"
#include "eq.h"
#include "enh.h"
#include "hum.h"
#include "air.h"

#define LEN 253     /* the longest run, odd */
#define PAD 16      /* room for misalignment and for the true-peak kernel's overread */
#define MOD_LEN 759 /* samples per lane in a module case: 3 x 253 */
#define MOD_LANES DSP_LANES_MAX

/* What one kernel run produced: floats and raw state bytes, compared bit for bit. */
struct kout {
	float f[MOD_LANES * MOD_LEN + 2 * LEN * 8];
	size_t nf;
	unsigned char st[1 << 20];
	size_t nst;
};

static void put_f(struct kout *o, const float *x, size_t n)
{
	ck_assert_uint_le(o->nf + n, sizeof(o->f) / sizeof(o->f[0]));
	memcpy(o->f + o->nf, x, n * sizeof(float));
	o->nf += n;
}

static void put_st(struct kout *o, const void *p, size_t n)
{
	ck_assert_uint_le(o->nst + n, sizeof(o->st));
	memcpy(o->st + o->nst, p, n);
	o->nst += n;
}

/* One named kernel (or a module's set of them) run with the kernels of `a`: n samples (per
 * call for the module kernels), buffers misaligned by mis floats, data drawn from seed. */
struct kcase {
	const char *name;
	uint32_t min_len, max_len; /* every length from min to max, then LEN if it is not 0 */
	uint32_t long_len;
	void (*run)(const struct dsp_arch *a, uint32_t seed, uint32_t n, unsigned mis,
		    struct kout *o);
};

static float ua[LEN + PAD], ga[LEN + PAD], ya[LEN + PAD];

static void run_sat(const struct dsp_arch *a, uint32_t seed, uint32_t n, unsigned mis,
		    struct kout *o)
{
	float *u = ua + mis + 1, *g = ga + (mis ^ 3) + 1, *y = ya + ((mis + 5) & 7) + 1;
	struct sat_curve curves[3];
	sat_curve_init(&curves[0], 0.0f);
	sat_curve_init(&curves[1], 0.3f);
	sat_curve_init(&curves[2], 0.3f);
	sat_curve_set_rneg(&curves[2], 0.35f); /* the tube's knee curve */
	tu_noise(ua, LEN + PAD, 4.0, seed);
	tu_noise(ga, LEN + PAD, 2.0, seed * 7 + 1);
	a->mul_const(y, u, -1.7f, n);
	put_f(o, y, n);
	a->mul(y, u, g, n);
	put_f(o, y, n);
	for (int c = 0; c < 3; c++)
		for (float d = 1.0f; d < 100.0f; d *= 7.3f) {
			a->sat_adaa(y, u, d, u[-1] * d, &curves[c], n);
			put_f(o, y, n);
		}
}

static void run_truepeak(const struct dsp_arch *a, uint32_t seed, uint32_t n, unsigned mis,
			 struct kout *o)
{
	static float x[TRUEPEAK_HIST + LEN + PAD];
	tu_noise(x, sizeof(x) / sizeof(x[0]), 3.0, seed);
	float r = a->truepeak_max(x + TRUEPEAK_HIST + mis, n);
	put_f(o, &r, 1);
}

/* Up to MOD_LANES strips at random settings that change while audio runs, fed misaligned
 * signals in calls of n samples, all through each module's lanes call at once. The meters get
 * the raw signals, NaN and Inf included; the stages get them finite, as the strip hands them
 * on (a NaN's sign and payload are not part of their contract). */
enum mod_kind { MOD_PREAMP, MOD_GATE, MOD_COMP, MOD_DEESS, MOD_METER };

static struct strip mod_s[MOD_LANES];
static float mod_in[MOD_LANES][MOD_LEN + PAD], mod_out[MOD_LANES][MOD_LEN + PAD];

static unsigned mod_setup(enum mod_kind k, const struct dsp_arch *a, uint32_t *r, unsigned mis)
{
	unsigned lanes = 1 + tu_lcg(r) % MOD_LANES;
	for (unsigned l = 0; l < lanes; l++) {
		ck_assert_int_eq(strip_init(&mod_s[l], 48000.0f, a), 0);
		for (int id = 0; id < P_COUNT; id++)
			strip_set_param(&mod_s[l], (enum param_id)id,
					tu_random_param((enum param_id)id, r));
		strip_reset(&mod_s[l]);
		float *x = mod_in[l] + mis;
		tu_lane_signal(x, MOD_LEN, l, r);
		for (uint32_t i = 0; i < MOD_LEN && k != MOD_METER; i++)
			x[i] = isfinite(x[i]) ? x[i] : 0.0f;
	}
	return lanes;
}

static void mod_poke(unsigned lanes, uint32_t *r)
{
	for (unsigned l = 0; l < lanes; l++)
		if (tu_lcg(r) % 8 == 0) {
			enum param_id id = (enum param_id)(tu_lcg(r) % P_COUNT);
			strip_set_param(&mod_s[l], id, tu_random_param(id, r));
		}
}

static void mod_call(enum mod_kind k, unsigned lanes, const float **in, float **out, uint32_t n)
{
	struct preamp *p[MOD_LANES];
	struct gate *g[MOD_LANES];
	struct comp *c[MOD_LANES];
	struct deess *d[MOD_LANES];
	const float *res[MOD_LANES];
	for (unsigned l = 0; l < lanes; l++) {
		p[l] = &mod_s[l].st.pre, g[l] = &mod_s[l].st.gate;
		c[l] = &mod_s[l].st.comp, d[l] = &mod_s[l].st.deess;
	}
	switch (k) {
	case MOD_PREAMP:
		preamp_run_lanes(p, lanes, in, out, res, n);
		for (unsigned l = 0; l < lanes; l++)
			if (res[l] != out[l])
				memcpy(out[l], res[l], n * sizeof(float));
		break;
	case MOD_GATE: gate_process_lanes(g, lanes, in, out, n); break;
	case MOD_COMP: comp_process_lanes(c, lanes, in, out, n); break;
	case MOD_DEESS: deess_process_lanes(d, lanes, in, out, n); break;
	case MOD_METER:
		for (unsigned l = 0; l < lanes; l++) {
			struct meter *m = &mod_s[l].meter;
			out[l][0] = (float)meter_input(m, in[l], n);
			if (l % 2)
				meter_output(m, in[l], n);
			meter_output_gain(m, in[l], l % 3 ? 0.7f : 1.0f, out[l], n);
		}
		break;
	}
}

/* Everything a module carries from call to call: its fields up to its scratch buffers
 * (whose contents no call reads before writing), but the kernel table it was given. */
#define MOD_STATE(o, field, l, scratch)                                                          \
	do {                                                                                     \
		__typeof__(mod_s[0].field) copy_; /* padding too: not an assignment */           \
		memcpy(&copy_, &mod_s[l].field, sizeof(copy_));                                  \
		copy_.arch = NULL;                                                               \
		put_st(o, &copy_, offsetof(__typeof__(copy_), scratch));                         \
	} while (0)

static void run_module(enum mod_kind k, const struct dsp_arch *a, uint32_t seed, uint32_t n,
		       unsigned mis, struct kout *o)
{
	uint32_t r = seed;
	unsigned lanes = mod_setup(k, a, &r, mis);
	const float *in[MOD_LANES];
	float *out[MOD_LANES];
	for (uint32_t done = 0; done < MOD_LEN; done += n) {
		uint32_t m = n < MOD_LEN - done ? n : MOD_LEN - done;
		mod_poke(lanes, &r);
		for (unsigned l = 0; l < lanes; l++)
			in[l] = mod_in[l] + mis + done, out[l] = mod_out[l] + (mis ^ 1) + done;
		mod_call(k, lanes, in, out, m);
	}
	for (unsigned l = 0; l < lanes; l++) {
		struct meter_snapshot snap;
		put_f(o, mod_out[l] + (mis ^ 1), MOD_LEN);
		switch (k) {
		case MOD_PREAMP: MOD_STATE(o, st.pre, l, u); break;
		case MOD_GATE: MOD_STATE(o, st.gate, l, buf_env); break;
		case MOD_COMP: MOD_STATE(o, st.comp, l, buf_sc); break;
		case MOD_DEESS: MOD_STATE(o, st.deess, l, buf_band); break;
		case MOD_METER:
			meter_take(&mod_s[l].meter, &snap);
			put_st(o, &snap, sizeof(snap));
			break;
		}
	}
}

#define MOD_RUN(fn, kind)                                                                        \
	static void fn(const struct dsp_arch *a, uint32_t seed, uint32_t n, unsigned mis,       \
		       struct kout *o)                                                          \
	{                                                                                        \
		run_module(kind, a, seed, n, mis, o);                                            \
	}
MOD_RUN(run_preamp, MOD_PREAMP)
MOD_RUN(run_gate, MOD_GATE)
MOD_RUN(run_comp, MOD_COMP)
MOD_RUN(run_deess, MOD_DEESS)
MOD_RUN(run_meter, MOD_METER)

/* Any length for the saturation and true-peak kernels; a module's calls take 1 to
 * DSP_MAX_CHUNK samples (MOD_LEN in all). */
static const struct kcase kcases[] = {
	{"mul_const, mul, sat_adaa", 0, 80, LEN, run_sat},
	{"truepeak_max", 0, 80, LEN, run_truepeak},
	{"preamp_run_1, preamp_steady_n", 1, DSP_MAX_CHUNK, 0, run_preamp},
	{"gate_run_1, gate_run_n", 1, DSP_MAX_CHUNK, 0, run_gate},
	{"comp_run_1, comp_run_n", 1, DSP_MAX_CHUNK, 0, run_comp},
	{"deess_run_1, deess_run_n", 1, DSP_MAX_CHUNK, 0, run_deess},
	{"meter_input, meter_output, meter_output_gain", 1, DSP_MAX_CHUNK, 0, run_meter},
};
#define NKCASES (sizeof(kcases) / sizeof(kcases[0]))

/* The one loop: every case, every variant but the reference, every length, buffers
 * misaligned by 0..7 floats, against the reference on the same data. */
START_TEST(variants_match_reference)
{
	static struct kout want, got;
	const struct kcase *kc = &kcases[_i];
	int nv = dsp_arch_count();
	ck_assert_int_ge(nv, 1);
	ck_assert_ptr_eq(dsp_arch_variant(nv - 1), &dsp_arch_c);
	for (int v = 0; v < nv - 1; v++) {
		const struct dsp_arch *a = dsp_arch_variant(v);
		unsigned runs = 0;
		for (uint32_t n = kc->min_len; n <= kc->max_len + 1; n++)
			for (unsigned mis = 0; mis < 8; mis++) {
				uint32_t len = n <= kc->max_len ? n : kc->long_len;
				uint32_t seed = 17 + 131 * mis + len;
				if (len == 0 && n > kc->max_len)
					break;
				want.nf = want.nst = got.nf = got.nst = 0;
				kc->run(&dsp_arch_c, seed, len, mis, &want);
				kc->run(a, seed, len, mis, &got);
				ck_assert_uint_eq(want.nf, got.nf);
				ck_assert_uint_eq(want.nst, got.nst);
				ck_assert_msg(!memcmp(want.f, got.f, want.nf * sizeof(float)) &&
						      !memcmp(want.st, got.st, want.nst),
					      "%s: %s differs from c at length %u, misaligned by %u",
					      kc->name, a->name, len, mis);
				runs++;
			}
		printf("simd %-5s vs c: %s: %u runs, bit-identical\n", a->name, kc->name, runs);
	}
}
END_TEST

START_TEST(adaa_is_exact_where_the_textbook_form_is_ill_conditioned)
{
	/* x[n] = x[n-1]: ADAA must return f(x) itself, without a branch or a 0/0 */
	struct sat_curve c;
	sat_curve_init(&c, 0.3f);
	float u[64], y[64];
	for (int i = 0; i < 64; i++)
		u[i] = 0.37f;
	for (int v = 0; v < dsp_arch_count(); v++) {
		dsp_arch_variant(v)->sat_adaa(y, u, 3.0f, 0.37f * 3.0f, &c, 64);
		for (int i = 0; i < 64; i++)
			ck_assert_float_eq_tol(y[i], sat_naive(0.37f * 3.0f, &c), 1e-6f);
	}
	/* and silence is exactly silence */
	memset(u, 0, sizeof(u));
	dsp_arch_variant(0)->sat_adaa(y, u, 10.0f, 0.0f, &c, 64);
	for (int i = 0; i < 64; i++)
		ck_assert_float_eq(y[i], 0.0f);
}
END_TEST

/* The knee curve's antiderivative in double, the closed form of sat.h: K(v) = c_v^2
 * (sqrt(1 + (v / c_v)^2) - 1), F(x) = (K(x + b) - k(b) x) / k'(b). */
static double knee_F(double x, double b, double c)
{
	double v = x + b, cv = v < 0.0 ? c : 1.0;
	double k = cv * cv * (sqrt(1.0 + (v / cv) * (v / cv)) - 1.0);
	return (k - b / sqrt(1.0 + b * b) * x) * pow(1.0 + b * b, 1.5);
}

START_TEST(knee_adaa_matches_its_closed_form)
{
	/* every variant, on a random walk that crosses the knee's 0 (v = 0, x = -b) often, and
	 * on a constant below it: the mean of f over each segment, against the double-precision
	 * difference quotient of F (well conditioned in double for these steps) */
	struct sat_curve c;
	const double b = 0.3, cc = 2.5;
	sat_curve_init(&c, (float)b);
	sat_curve_set_rneg(&c, (float)(1.0 / cc));
	float u[67], y[67];
	uint32_t r = 7;
	u[0] = -0.3f;
	for (int i = 1; i < 67; i++)
		u[i] = tu_uniform(&r, -0.6f, 0.0f);
	u[40] = u[41] = -2.0f; /* equal samples on the knee's side: f itself */
	int straddles = 0;
	for (int v = 0; v < dsp_arch_count(); v++) {
		dsp_arch_variant(v)->sat_adaa(y, u + 1, 1.0f, u[0], &c, 66);
		for (int i = 1; i < 67; i++) {
			double x1 = u[i], x0 = u[i - 1], want;
			if (fabs(x1 - x0) > 1e-6)
				want = (knee_F(x1, b, cc) - knee_F(x0, b, cc)) / (x1 - x0);
			else /* f itself */
				want = (x1 + b) / sqrt(1.0 + (x1 + b) * (x1 + b) / (x1 + b < 0 ? cc * cc : 1.0));
			if (fabs(x1 - x0) <= 1e-6)
				want = (want - b / sqrt(1.0 + b * b)) * pow(1.0 + b * b, 1.5);
			straddles += v == 0 && (x1 + b < 0) != (x0 + b < 0);
			ck_assert_msg(fabs(y[i - 1] - want) < 2e-6, "%s sample %d: %.9g, want %.9g",
				      dsp_arch_variant(v)->name, i, y[i - 1], want);
		}
	}
	ck_assert_int_ge(straddles, 10);
}
END_TEST

START_TEST(selection)
{
	ck_assert_ptr_eq(dsp_arch_select(1), &dsp_arch_c);
	ck_assert_str_eq(strip_simd_name(dsp_arch_select(1)), "c");
	ck_assert_str_eq(strip_simd_name(NULL), "c");
	const struct dsp_arch *best = dsp_arch_select(0);
	ck_assert_ptr_eq(best, dsp_arch_variant(0));
	ck_assert_ptr_eq(strip_simd_select(0), best);
	const char *name = best->name;
	ck_assert(!strcmp(name, "avx2") || !strcmp(name, "sse2") || !strcmp(name, "neon") ||
		  !strcmp(name, "c"));
	/* the CPU runs every table offered, best first */
	uint32_t flags = dsp_cpu_flags();
	for (int v = 0; v < dsp_arch_count(); v++) {
		const struct dsp_arch *a = dsp_arch_variant(v);
		ck_assert_uint_eq(a->cpu_flags & flags, a->cpu_flags);
		ck_assert(a->sat_adaa && a->truepeak_max && a->preamp_run_1 && a->preamp_steady_n &&
			  a->gate_run_1 && a->gate_run_n && a->comp_run_1 && a->comp_run_n &&
			  a->deess_run_1 && a->deess_run_n && a->meter_input && a->meter_output &&
			  a->meter_output_gain && a->mul && a->mul_const);
	}
	ck_assert_ptr_null(dsp_arch_variant(dsp_arch_count()));
	printf("simd variant chosen: %s (%d supported)\n", name, dsp_arch_count());
}
END_TEST

START_TEST(strip_output_does_not_depend_on_variant)
{
	static struct strip s;
	static float in[48000], ref[48000], out[48000];
	tu_noise(in, 48000, 0.5, 77);
	for (int os = 1; os <= 4; os *= 4) {
		for (int v = dsp_arch_count() - 1; v >= 0; v--) {
			const struct dsp_arch *a = dsp_arch_variant(v); /* the reference first */
			ck_assert_int_eq(strip_init(&s, 48000.0f, a), 0);
			strip_set_param(&s, P_PRE_GAIN, 18.0f);
			strip_set_param(&s, P_PRE_MODEL, 1.0f);
			strip_set_param(&s, P_PRE_DRIVE, 15.0f);
			strip_set_param(&s, P_PRE_OVERSAMPLE, (float)os);
			strip_reset(&s);
			strip_process(&s, in, a == &dsp_arch_c ? ref : out, 48000);
			if (a != &dsp_arch_c)
				ck_assert_msg(memcmp(ref, out, sizeof(out)) == 0,
					      "%s differs from c", a->name);
		}
	}
}
END_TEST

/* Every module on, random settings per channel that change while audio runs, channels in lane
 * groups, through strip_process_many(): the best kernels give exactly the reference's bits,
 * outputs and meters. */
#define VAR_CH 12
#define VAR_LEN 24000
START_TEST(many_strips_do_not_depend_on_variant)
{
	static struct strip s[VAR_CH];
	static float in[VAR_CH][VAR_LEN], out[2][VAR_CH][VAR_LEN];
	struct meter_snapshot snap[2][VAR_CH];
	const char *best = "c";
	for (int v = 0; v < 2; v++) {
		uint32_t r = 99;
		const struct dsp_arch *a = dsp_arch_select(v == 0);
		best = a->name;
		for (unsigned c = 0; c < VAR_CH; c++) {
			ck_assert_int_eq(strip_init(&s[c], 48000.0f, a), 0);
			for (int id = 0; id < P_COUNT; id++)
				strip_set_param(&s[c], (enum param_id)id,
						tu_random_param((enum param_id)id, &r));
			strip_reset(&s[c]);
			tu_lane_signal(in[c], VAR_LEN, c, &r);
		}
		for (uint32_t done = 0; done < VAR_LEN;) {
			uint32_t k = 1 + tu_lcg(&r) % 300;
			k = k < VAR_LEN - done ? k : VAR_LEN - done;
			const float *pin[VAR_CH];
			float *pout[VAR_CH];
			for (unsigned c = 0; c < VAR_CH; c++) {
				if (tu_lcg(&r) % 10 == 0) {
					enum param_id id = (enum param_id)(tu_lcg(&r) % P_COUNT);
					strip_set_param(&s[c], id, tu_random_param(id, &r));
				}
				pin[c] = in[c] + done;
				pout[c] = out[v][c] + done;
			}
			strip_process_many(s, VAR_CH, pin, pout, k);
			done += k;
		}
		for (unsigned c = 0; c < VAR_CH; c++)
			strip_meter_take(&s[c], &snap[v][c]);
	}
	for (unsigned c = 0; c < VAR_CH; c++) {
		ck_assert_msg(memcmp(out[0][c], out[1][c], sizeof(out[0][c])) == 0,
			      "channel %u differs between c and %s", c, best);
		ck_assert_int_eq(memcmp(&snap[0][c], &snap[1][c], sizeof(snap[0][c])), 0);
	}
}
END_TEST

/* The tone stages' lanes kernels (steady lanes side by side in vectors, one lane's stages fused
 * in one loop) against their general per-lane path: random settings per lane, enabled most of
 * the time and changed now and then while audio runs (glides, fades, lanes whose grids differ),
 * random chunk lengths, 1..DSP_LANES_MAX lanes. Error bound: 0 ulp, outputs and whole states. */
#define TONE_LEN 12000
typedef void (*tone_each_fn)(void *st, const float *in, float *out, uint32_t n);

static void tone_each_eq(void *st, const float *in, float *out, uint32_t n)
{
	eq_process_each(st, in, out, n);
}
static void tone_each_enh(void *st, const float *in, float *out, uint32_t n)
{
	enh_process_each(st, in, out, n);
}

static const struct {
	const struct stage_desc *d;
	tone_each_fn each;
	size_t size;
} tone_cases[] = {
	{&eq_stage, tone_each_eq, sizeof(struct eq)},
	{&enh_stage, tone_each_enh, sizeof(struct enh)},
};

static void tone_set_random(const struct stage_desc *d, void *st, uint32_t *r, int settle)
{
	for (enum param_id id = d->first; id <= d->last; id++) {
		float v = tu_random_param(id, r);
		if (id == d->first || param_table[id].type == PT_BOOL)
			v = tu_lcg(r) % 4 != 0; /* on most of the time */
		d->set(st, (unsigned)(id - d->first), v);
	}
	if (settle)
		d->reset(st);
}

START_TEST(tone_lanes_match_each_lane)
{
	const struct stage_desc *d = tone_cases[_i].d;
	static union {
		struct eq eq;
		struct enh enh;
	} st[2][DSP_LANES_MAX];
	static float in[DSP_LANES_MAX][TONE_LEN], out[2][DSP_LANES_MAX][TONE_LEN];
	for (unsigned nl = 1; nl <= DSP_LANES_MAX; nl++) {
		for (int v = 0; v < 2; v++) {
			uint32_t r = 1234 + nl;
			for (unsigned l = 0; l < nl; l++) {
				ck_assert_int_eq(stage_init_defaults(d, &st[v][l], 48000.0f), 0);
				tone_set_random(d, &st[v][l], &r, 1);
				tu_lane_signal(in[l], TONE_LEN, l, &r);
				for (uint32_t i = 1; i < TONE_LEN && l % 2; i++) /* dull: HF lift */
					in[l][i] = in[l][i - 1] + 0.1f * (in[l][i] - in[l][i - 1]);
			}
			for (uint32_t done = 0; done < TONE_LEN;) {
				uint32_t k = 1 + tu_lcg(&r) % DSP_MAX_CHUNK;
				k = k < TONE_LEN - done ? k : TONE_LEN - done;
				const float *pin[DSP_LANES_MAX], *res[DSP_LANES_MAX];
				float *pout[DSP_LANES_MAX];
				void *ps[DSP_LANES_MAX];
				for (unsigned l = 0; l < nl; l++) {
					if (tu_lcg(&r) % 60 == 0)
						tone_set_random(d, &st[v][l], &r, 0);
					pin[l] = in[l] + done, pout[l] = out[v][l] + done;
					ps[l] = &st[v][l];
				}
				if (v == 0)
					for (unsigned l = 0; l < nl; l++)
						tone_cases[_i].each(ps[l], pin[l], pout[l], k);
				else
					d->process_lanes(ps, nl, pin, pout, res, k);
				done += k;
			}
		}
		for (unsigned l = 0; l < nl; l++) {
			ck_assert_msg(memcmp(out[0][l], out[1][l], sizeof(out[0][l])) == 0,
				      "%s: lane %u of %u differs from its per-lane path", d->name, l,
				      nl);
			ck_assert_int_eq(memcmp(&st[0][l], &st[1][l], tone_cases[_i].size), 0);
		}
	}
}
END_TEST

/* The hum notches' lanes path against hum_run lane by lane: random mains and harmonics per
 * lane, changed now and then (fades, switches, lanes whose grids differ). 0 ulp. */
START_TEST(hum_lanes_match_each_lane)
{
	static struct hum h[2][DSP_LANES_MAX];
	static float in[DSP_LANES_MAX][TONE_LEN], out[2][DSP_LANES_MAX][TONE_LEN];
	static float buf[2][DSP_LANES_MAX][DSP_MAX_CHUNK];
	for (unsigned nl = 1; nl <= DSP_LANES_MAX; nl++) {
		for (int v = 0; v < 2; v++) {
			uint32_t r = 77 + nl;
			for (unsigned l = 0; l < nl; l++) {
				hum_init(&h[v][l], 48000.0f);
				hum_set_mode(&h[v][l], 1 + (int)(tu_lcg(&r) % 8 == 0));
				hum_set_harmonics(&h[v][l], tu_lcg(&r) % 8 == 0 ? 3 : 5);
				hum_reset(&h[v][l]);
				tu_lane_signal(in[l], TONE_LEN, l, &r);
			}
			for (uint32_t done = 0; done < TONE_LEN;) {
				uint32_t k = 1 + tu_lcg(&r) % DSP_MAX_CHUNK;
				k = k < TONE_LEN - done ? k : TONE_LEN - done;
				const float *u[DSP_LANES_MAX];
				float *b[DSP_LANES_MAX];
				struct hum *ph[DSP_LANES_MAX];
				for (unsigned l = 0; l < nl; l++) {
					if (tu_lcg(&r) % 80 == 0)
						hum_set_mode(&h[v][l], (int)(tu_lcg(&r) % 3));
					if (tu_lcg(&r) % 80 == 0)
						hum_set_harmonics(&h[v][l], 1 + (int)(tu_lcg(&r) % 10));
					u[l] = in[l] + done, b[l] = buf[v][l], ph[l] = &h[v][l];
				}
				if (v == 0)
					for (unsigned l = 0; l < nl; l++)
						u[l] = hum_run(ph[l], u[l], b[l], k);
				else
					hum_run_lanes(ph, nl, u, b, k);
				for (unsigned l = 0; l < nl; l++)
					memcpy(out[v][l] + done, u[l], k * sizeof(float));
				done += k;
			}
		}
		for (unsigned l = 0; l < nl; l++) {
			ck_assert_msg(memcmp(out[0][l], out[1][l], sizeof(out[0][l])) == 0,
				      "hum: lane %u of %u differs from hum_run", l, nl);
			ck_assert_int_eq(memcmp(&h[0][l], &h[1][l], sizeof(h[0][l])), 0);
		}
	}
}
END_TEST

/* The air shelves' lanes path against the general path lane by lane: random pre.air per lane
 * (0 dB, idle, a quarter of the time), changed now and then (glides, lanes whose grids differ). */
START_TEST(air_lanes_match_each_lane)
{
	static struct air a[2][DSP_LANES_MAX];
	static float x[2][DSP_LANES_MAX][TONE_LEN];
	for (unsigned nl = 1; nl <= DSP_LANES_MAX; nl++) {
		for (int v = 0; v < 2; v++) {
			uint32_t r = 55 + nl;
			for (unsigned l = 0; l < nl; l++) {
				air_init(&a[v][l], 48000.0f);
				air_set_db(&a[v][l], tu_lcg(&r) % 4 ? tu_uniform(&r, 0.5f, 8.0f) : 0.0f);
				air_reset(&a[v][l]);
				tu_lane_signal(x[v][l], TONE_LEN, l, &r);
			}
			for (uint32_t done = 0; done < TONE_LEN;) {
				uint32_t k = 1 + tu_lcg(&r) % DSP_MAX_CHUNK;
				k = k < TONE_LEN - done ? k : TONE_LEN - done;
				float *px[DSP_LANES_MAX];
				struct air *pa[DSP_LANES_MAX];
				for (unsigned l = 0; l < nl; l++) {
					if (tu_lcg(&r) % 100 == 0)
						air_set_db(&a[v][l], tu_lcg(&r) % 3
									 ? tu_uniform(&r, 0.5f, 8.0f)
									 : 0.0f);
					px[l] = x[v][l] + done, pa[l] = &a[v][l];
				}
				if (v == 0)
					for (unsigned l = 0; l < nl; l++)
						air_run_each(pa[l], px[l], k);
				else
					air_run_lanes(pa, nl, px, k);
				done += k;
			}
		}
		for (unsigned l = 0; l < nl; l++) {
			ck_assert_msg(memcmp(x[0][l], x[1][l], sizeof(x[0][l])) == 0,
				      "air: lane %u of %u differs from air_run_each", l, nl);
			ck_assert_int_eq(memcmp(&a[0][l], &a[1][l], sizeof(a[0][l])), 0);
		}
	}
}
END_TEST

/* The preamp's curve path with its lanes side by side (the default 2x half-bands, the curves,
 * the loudness followers, then the hum notches and air shelves of all lanes) against
 * preamp_run() lane by lane, on every variant: 1..DSP_LANES_MAX lanes, mostly a curve at the
 * default oversampling with the low cut, hum removal and air on, and drive, model, low cut,
 * hum, air and oversampling changed now and then while audio runs (glides, fades, ducks, lanes
 * whose grids differ after a reset). 0 ulp: outputs and whole states. */
static void pre_set_random(struct preamp *p, uint32_t *r)
{
	switch (tu_lcg(r) % 8) {
	case 0: preamp_set_drive_db(p, tu_uniform(r, 0.0f, 36.0f)); break;
	case 1: preamp_set_model(p, (int)(tu_lcg(r) % PREAMP_MODEL_COUNT)); break;
	case 2: preamp_set_hpf_hz(p, tu_lcg(r) % 4 ? tu_uniform(r, 20.0f, 300.0f) : 0.0f); break;
	case 3: hum_set_mode(&p->hum, (int)(tu_lcg(r) % 3)); break;
	case 4: air_set_db(&p->air, tu_lcg(r) % 3 ? tu_uniform(r, 0.5f, 8.0f) : 0.0f); break;
	case 5: preamp_set_oversample(p, tu_lcg(r) % 4 ? 1 : 2); break;
	case 6: preamp_set_gain_db(p, tu_uniform(r, -6.0f, 24.0f)); break;
	default: preamp_reset(p); break;
	}
}

START_TEST(preamp_curve_lanes_match_each_lane)
{
	static struct preamp pr[2][DSP_LANES_MAX];
	static float in[DSP_LANES_MAX][TONE_LEN], out[2][DSP_LANES_MAX][TONE_LEN];
	const struct dsp_arch *a = dsp_arch_variant(_i);
	for (unsigned nl = 1; nl <= DSP_LANES_MAX; nl++) {
		for (int v = 0; v < 2; v++) {
			uint32_t r = 99 + nl;
			for (unsigned l = 0; l < nl; l++) {
				struct preamp *p = &pr[v][l];
				ck_assert_int_eq(stage_init_defaults(&pre_stage, p, 48000.0f), 0);
				p->arch = a;
				preamp_set_gain_db(p, 6.0f);
				preamp_set_model(p, 1 + (int)((nl + l) % 2)); /* tube, transformer */
				preamp_set_drive_db(p, tu_uniform(&r, 0.0f, 30.0f));
				preamp_set_hpf_hz(p, l % 3 ? 80.0f : 0.0f);
				hum_set_mode(&p->hum, l % 2 ? 1 : 0);
				air_set_db(&p->air, l % 4 ? 3.0f : 0.0f);
				preamp_reset(p);
				tu_lane_signal(in[l], TONE_LEN, l, &r);
				for (uint32_t i = 0; i < TONE_LEN; i++)
					in[l][i] = isfinite(in[l][i]) ? in[l][i] : 0.0f;
			}
			for (uint32_t done = 0; done < TONE_LEN;) {
				uint32_t k = 1 + tu_lcg(&r) % DSP_MAX_CHUNK;
				k = k < TONE_LEN - done ? k : TONE_LEN - done;
				const float *pin[DSP_LANES_MAX], *res[DSP_LANES_MAX];
				float *pout[DSP_LANES_MAX];
				struct preamp *pp[DSP_LANES_MAX];
				for (unsigned l = 0; l < nl; l++) {
					if (tu_lcg(&r) % 40 == 0)
						pre_set_random(&pr[v][l], &r);
					pin[l] = in[l] + done, pout[l] = out[v][l] + done;
					pp[l] = &pr[v][l];
				}
				if (v == 0)
					for (unsigned l = 0; l < nl; l++)
						res[l] = preamp_run(pp[l], pin[l], pout[l], k);
				else
					preamp_run_lanes(pp, nl, pin, pout, res, k);
				for (unsigned l = 0; l < nl; l++)
					if (res[l] != pout[l])
						memcpy(pout[l], res[l], k * sizeof(float));
				done += k;
			}
		}
		for (unsigned l = 0; l < nl; l++) {
			ck_assert_msg(memcmp(out[0][l], out[1][l], sizeof(out[0][l])) == 0,
				      "preamp (%s): lane %u of %u differs from preamp_run", a->name,
				      l, nl);
			ck_assert_int_eq(memcmp(&pr[0][l], &pr[1][l], offsetof(struct preamp, u)), 0);
		}
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("simd");
	TCase *tc = tcase_create("simd");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, variants_match_reference, 0, NKCASES);
	tcase_add_test(tc, adaa_is_exact_where_the_textbook_form_is_ill_conditioned);
	tcase_add_test(tc, knee_adaa_matches_its_closed_form);
	tcase_add_test(tc, selection);
	tcase_add_test(tc, strip_output_does_not_depend_on_variant);
	tcase_add_test(tc, many_strips_do_not_depend_on_variant);
	tcase_add_test(tc, hum_lanes_match_each_lane);
	tcase_add_test(tc, air_lanes_match_each_lane);
	tcase_add_loop_test(tc, preamp_curve_lanes_match_each_lane, 0, dsp_arch_count());
	tcase_add_loop_test(tc, tone_lanes_match_each_lane, 0,
			    (int)(sizeof(tone_cases) / sizeof(tone_cases[0])));
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
