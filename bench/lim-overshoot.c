/* lim-overshoot: true-peak overshoot of a limiter above its ceiling, the measurement
 * bench/lim-vs-dpl.sh runs on chanstrip's limiter and on x42 dpl with the same signals.
 *
 *   lim-overshoot gen DIR CEILING_DB        write DIR/{noise,kick,bursts,fullband}.wav: each signal with
 *                                          its true peak 10 dB over the ceiling (48 kHz mono)
 *   lim-overshoot chanstrip DIR CEILING_DB  run chanstrip's limiter (release 50 ms, 64-sample
 *                                          blocks) over them into DIR/<signal>.chanstrip.wav
 *   lim-overshoot tp CEILING_DB FILE...     each file's true peak in dBTP and its overshoot over
 *                                          the ceiling, by two independent meters: a 16x
 *                                          Kaiser-windowed sinc interpolator in double (64 taps
 *                                          a side) and libebur128's true peak (BS.1770-4)
 *
 * The signals are the limiter test's (tests/test_limiter.c): white noise up to 20 kHz, a
 * pitch-dropping kick every 250 ms with one- and two-sample clicks between, rectangular 20 ms
 * bursts of 12 kHz 45 degrees off the samples; and uniform white noise with no low-pass
 * ("fullband": power up to Nyquist, where inter-sample peaks are largest). A measurement, not a test: peers are not
 * installed where the tests run. */
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limiter.h"
#include "refpeak.h"
#include "stage.h"

#define FS 48000
#define NS FS /* 1 s per signal */

static const char *const sig_name[] = {"noise", "kick", "bursts", "fullband"};
enum { SIG_COUNT = 4 };


static double lib_true_peak(const float *x, size_t n)
{
	ebur128_state *st = ebur128_init(1, FS, EBUR128_MODE_TRUE_PEAK);
	double tp = 0.0;
	if (!st || ebur128_add_frames_float(st, x, n) != EBUR128_SUCCESS ||
	    ebur128_true_peak(st, 0, &tp) != EBUR128_SUCCESS)
		tp = NAN;
	ebur128_destroy(&st);
	return tp;
}

static uint32_t lcg(uint32_t *r)
{
	*r = *r * 1664525u + 1013904223u;
	return *r;
}

/* Uniform white noise through a 201-tap Kaiser-windowed sinc low-pass at 20 kHz. */
static void lowpassed_noise(float *x, size_t n)
{
	static float w[NS];
	uint32_t r = 1234;
	for (size_t i = 0; i < n; i++)
		w[i] = (float)(lcg(&r) / 4294967296.0 * 2.0 - 1.0);
	ref_lowpass201(w, x, n, 20000.0 / FS);
}

static void make_signal(float *x, size_t n, int s)
{
	memset(x, 0, n * sizeof(float));
	if (s == 0) {
		lowpassed_noise(x, n);
	} else if (s == 1) {
		for (size_t i = 0; i < n; i++) {
			double t = fmod((double)i / FS, 0.25);
			double ph = 2 * M_PI * (45.0 * t + 80.0 * 0.03 * (1.0 - exp(-t / 0.03)));
			x[i] = (float)(sin(ph) * exp(-t / 0.12));
		}
		for (size_t i = FS / 10; i + 2 < n; i += FS / 4) {
			x[i] = 0.9f;
			x[i + FS / 20] = x[i + FS / 20 + 1] = -0.8f;
		}
	} else if (s == 3) {
		uint32_t r = 99;
		for (size_t i = 0; i < n; i++)
			x[i] = (float)(lcg(&r) / 4294967296.0 * 2.0 - 1.0);
	} else {
		for (size_t i = 0; i < n; i++)
			if ((size_t)((double)i / FS / 0.02) % 2 == 0)
				x[i] = (float)sin(2 * M_PI * 12000.0 * i / FS + M_PI / 4);
	}
}

static int wav_write(const char *path, const float *x, size_t n)
{
	SF_INFO info = {.samplerate = FS, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f || sf_writef_float(f, x, (sf_count_t)n) != (sf_count_t)n) {
		fprintf(stderr, "lim-overshoot: cannot write %s\n", path);
		return -1;
	}
	sf_close(f);
	return 0;
}

static size_t wav_read(const char *path, float *x, size_t cap)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f || info.channels != 1 || info.samplerate != FS) {
		fprintf(stderr, "lim-overshoot: %s: need a readable 48 kHz mono file\n", path);
		exit(1);
	}
	size_t n = (size_t)sf_readf_float(f, x, (sf_count_t)cap);
	sf_close(f);
	return n;
}

static int gen(const char *dir, float ceiling_db)
{
	static float x[NS];
	char path[4096];
	for (int s = 0; s < SIG_COUNT; s++) {
		make_signal(x, NS, s);
		double g = pow(10.0, (ceiling_db + 10.0) / 20.0) / ref_true_peak(x, NS);
		for (size_t i = 0; i < NS; i++)
			x[i] = (float)(x[i] * g);
		snprintf(path, sizeof(path), "%s/%s.wav", dir, sig_name[s]);
		if (wav_write(path, x, NS) < 0)
			return 1;
	}
	return 0;
}

static int run_chanstrip(const char *dir, float ceiling_db)
{
	static struct limiter l;
	static float x[NS], y[NS];
	char path[4096];
	for (int s = 0; s < SIG_COUNT; s++) {
		snprintf(path, sizeof(path), "%s/%s.wav", dir, sig_name[s]);
		size_t n = wav_read(path, x, NS);
		if (stage_init_defaults(&lim_stage, &l, (float)FS) < 0)
			return 1;
		limiter_set_ceiling_db(&l, ceiling_db);
		limiter_set_release_ms(&l, 50.0f);
		limiter_set_enable(&l, 1);
		limiter_reset(&l);
		for (size_t i = 0; i < n; i += 64)
			limiter_process(&l, x + i, y + i, (uint32_t)(n - i < 64 ? n - i : 64));
		snprintf(path, sizeof(path), "%s/%s.chanstrip.wav", dir, sig_name[s]);
		if (wav_write(path, y, n) < 0)
			return 1;
	}
	return 0;
}

static int tp(float ceiling_db, int nf, char **files)
{
	static float x[4 * NS];
	for (int f = 0; f < nf; f++) {
		size_t n = wav_read(files[f], x, sizeof(x) / sizeof(x[0]));
		double r = 20.0 * log10(ref_true_peak(x, n));
		double e = 20.0 * log10(lib_true_peak(x, n));
		printf("%-40s true peak %7.3f dBTP (16x sinc) %7.3f dBTP (libebur128): "
		       "over the ceiling by %+.3f / %+.3f dB\n",
		       files[f], r, e, r - ceiling_db, e - ceiling_db);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtof(argv[3], NULL));
	if (argc >= 4 && !strcmp(argv[1], "chanstrip"))
		return run_chanstrip(argv[2], strtof(argv[3], NULL));
	if (argc >= 4 && !strcmp(argv[1], "tp"))
		return tp(strtof(argv[2], NULL), argc - 3, argv + 3);
	fprintf(stderr, "usage: lim-overshoot gen DIR CEILING_DB | chanstrip DIR CEILING_DB | "
			"tp CEILING_DB FILE...\n");
	return 2;
}
