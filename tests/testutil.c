#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tu_sine(float *buf, size_t n, double amp, double freq_hz, double fs, double phase_rad)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (float)(amp * sin(2.0 * M_PI * freq_hz * (double)i / fs + phase_rad));
}

void tu_noise(float *buf, size_t n, double amp, uint32_t seed)
{
	uint32_t x = seed ? seed : 1u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13; /* xorshift32: reproducible on every platform */
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (float)(amp * ((double)x / 2147483648.0 - 1.0));
	}
}

void tu_burst_noise(float *buf, size_t n, uint32_t seed, float quiet_gain)
{
	tu_noise(buf, n, 0.5, seed);
	for (size_t i = 0; i < n; i++)
		buf[i] *= ((i / 3000) % 3 == 0) ? quiet_gain : 1.0f;
}

double tu_rms(const float *buf, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += (double)buf[i] * buf[i];
	return n ? sqrt(s / (double)n) : 0.0;
}

double tu_peak(const float *buf, size_t n)
{
	double p = 0.0;
	for (size_t i = 0; i < n; i++)
		p = fmax(p, fabs((double)buf[i]));
	return p;
}

double tu_mean(const float *buf, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += buf[i];
	return n ? s / (double)n : 0.0;
}

double tu_tone_amp(const float *buf, size_t n, double freq_hz, double fs)
{
	double re = 0.0, im = 0.0, w = 2.0 * M_PI * freq_hz / fs;
	for (size_t i = 0; i < n; i++) {
		re += buf[i] * cos(w * (double)i);
		im -= buf[i] * sin(w * (double)i);
	}
	double a = 2.0 * sqrt(re * re + im * im) / (double)n;
	if (freq_hz == 0.0)
		a /= 2.0;
	return a;
}

double tu_db(double x) { return x > 0.0 ? 20.0 * log10(x) : -400.0; }

int tu_bad_value(float x)
{
	int c = fpclassify(x);
	return c == FP_SUBNORMAL || c == FP_NAN || c == FP_INFINITE;
}

int tu_bad_float(const float *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tu_bad_value(buf[i]))
			return 1;
	return 0;
}

void tu_run_blocks(tu_process_fn fn, void *ctx, const float *in, float *out, size_t n,
		   uint32_t block)
{
	for (size_t i = 0; i < n; i += block) {
		uint32_t k = (uint32_t)((n - i) < block ? (n - i) : block);
		fn(ctx, in + i, out + i, k);
	}
}

void tu_run_random_blocks(tu_process_fn fn, void *ctx, const float *in, float *out, size_t n,
			  uint32_t max_block, uint32_t *seed)
{
	size_t i = 0;
	while (i < n) {
		*seed = *seed * 1664525u + 1013904223u;
		uint32_t k = 1 + (*seed >> 16) % max_block;
		if (k > n - i)
			k = (uint32_t)(n - i);
		fn(ctx, in + i, out + i, k);
		i += k;
	}
}

uint32_t tu_lcg(uint32_t *r)
{
	*r = *r * 1664525u + 1013904223u;
	return *r >> 8;
}

float tu_uniform(uint32_t *r, float lo, float hi)
{
	return lo + (hi - lo) * (float)tu_lcg(r) / 16777216.0f;
}

static float tu_unit(uint32_t *r) { return tu_uniform(r, 0.0f, 1.0f); }

/* A random allowed value for parameter id; enables lean on, so every stage runs. */
float tu_random_param(enum param_id id, uint32_t *r)
{
	const struct param_def *d = &param_table[id];
	float v;
	switch (d->type) {
	case PT_BOOL: v = tu_unit(r) < (strstr(d->key, "enable") ? 0.8f : 0.3f); break;
	case PT_ENUM: {
		unsigned k = 0;
		while (d->enum_names[k])
			k++;
		v = (float)(tu_lcg(r) % k);
		break;
	}
	case PT_STEPS: v = d->steps[tu_lcg(r) % d->nsteps]; break;
	default:
		v = (d->flags & PF_ZERO_IS_OFF) && tu_unit(r) < 0.4f
			    ? 0.0f
			    : d->min + tu_unit(r) * (d->max - d->min);
	}
	ck_assert_int_eq(param_check(id, v), 0);
	return v;
}

/* Channel c's input: burst noise at a level of its own, with NaN/Inf now and then. */
void tu_lane_signal(float *x, uint32_t n, unsigned c, uint32_t *r)
{
	float level = 0.02f + 0.5f * (float)(c % 5) / 4.0f;
	for (uint32_t i = 0; i < n; i++) {
		float u = tu_unit(r) * 2.0f - 1.0f;
		x[i] = (tu_lcg(r) % 7000 < 3000 ? level : 0.003f) * u;
	}
	if (tu_lcg(r) % 50 == 0)
		x[tu_lcg(r) % n] = (tu_lcg(r) & 1) ? NAN : -INFINITY;
}

int tu_run_suite(Suite *su)
{
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A mono 16-bit PCM WAV (the speech fixture) as floats: a small RIFF reader keeps libsndfile
 * out of the unit tests. */
float *tu_read_wav16(const char *path, size_t *n_out, unsigned *fs_out)
{
	FILE *fp = fopen(path, "rb");
	unsigned char hdr[12], ck[8], fmt[16];
	float *x = NULL;
	int have_fmt = 0;
	if (!fp)
		return NULL;
	if (fread(hdr, 1, 12, fp) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4))
		goto out;
	while (fread(ck, 1, 8, fp) == 8) {
		uint32_t len = ck[4] | ck[5] << 8 | ck[6] << 16 | (uint32_t)ck[7] << 24;
		if (!memcmp(ck, "fmt ", 4) && len >= 16) {
			if (fread(fmt, 1, 16, fp) != 16 || fseek(fp, (long)(len - 16 + (len & 1)), SEEK_CUR))
				goto out;
			/* PCM, mono, 16 bits */
			if (fmt[0] != 1 || fmt[1] || fmt[2] != 1 || fmt[3] || fmt[14] != 16)
				goto out;
			*fs_out = fmt[4] | fmt[5] << 8 | fmt[6] << 16 | (uint32_t)fmt[7] << 24;
			have_fmt = 1;
		} else if (!memcmp(ck, "data", 4) && have_fmt) {
			size_t n = len / 2;
			unsigned char *raw = malloc(len);
			x = malloc(n * sizeof(float));
			if (!raw || !x || fread(raw, 1, len, fp) != len) {
				free(raw);
				free(x);
				x = NULL;
				goto out;
			}
			for (size_t i = 0; i < n; i++)
				x[i] = (float)(int16_t)(raw[2 * i] | raw[2 * i + 1] << 8) / 32768.0f;
			free(raw);
			*n_out = n;
			goto out;
		} else if (fseek(fp, (long)(len + (len & 1)), SEEK_CUR)) {
			goto out;
		}
	}
out:
	fclose(fp);
	return x;
}
