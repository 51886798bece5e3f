/* chanstrip-bench: ns per sample per channel for each module and the full strip.
 *
 *   chanstrip-bench [--quick] [--wav FILE.wav] [--simd auto|c|both] [--path lanes|single|both]
 *                   [--only CONFIG] [--period N] [--channels N]
 *
 * Each configuration runs over the same signal (the lv2bench test signal when --wav names it,
 * else a synthetic speech-like burst pattern at two levels over -40 dBFS noise), at periods
 * 16, 64 and 256 and 1, 2, 8, 32 and 64 channels, and reports the median of several timed
 * passes. --path says how several channels run: "lanes" (what the JACK client and the offline
 * engine do: strip_process_many(), channels in groups of up to 8 with their recursions
 * interleaved), "single" (strip_process() per channel, one after the other) or both, one table
 * each. A last table times the noise suppressor alone beside speexdsp's preprocessor denoiser
 * (the cost comparison the suppressor is held to). Meter snapshots are taken 200 times a
 * second, as under JACK. "meters" is a strip with every stage off: the baseline every strip
 * pays (input and output meters incl. true peak). A benchmark, not a test: it never fails on speed. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <speex/speex_preprocess.h>

#include "denormal.h"
#include "nr.h"
#include "strip.h"

#define FS 48000.0f
/* Meter periods handed over per second, as the JACK engine does (ENGINE_METER_PUSH_HZ): each
 * snapshot restarts the period maxima, and with them the true-peak work a period needs. */
#define METER_TAKE_HZ 200

struct config {
	const char *name;
	const char *sets[40]; /* "key=value" pairs, NULL-terminated */
};

static const struct config configs[] = {
	{"meters", {NULL}},
	{"pre.clean", {"pre.gain=12", NULL}},
	{"pre.tube", {"pre.gain=12", "pre.model=tube", "pre.drive=12", "pre.hpf=80", NULL}},
	{"pre.transformer", {"pre.gain=12", "pre.model=transformer", "pre.drive=12", NULL}},
	{"pre.tube.os4", {"pre.model=tube", "pre.drive=12", "pre.oversample=4", NULL}},
	{"gate", {"gate.enable=1", "gate.threshold=-35", NULL}},
	{"comp", {"comp.enable=1", "comp.threshold=-24", "comp.ratio=4", NULL}},
	{"deess.split", {"deess.enable=1", "deess.freq=5000", "deess.threshold=-30", NULL}},
	{"pre.hum", {"pre.hum=50", "pre.hum_harmonics=5", NULL}},
	{"pre.air", {"pre.air=4", NULL}},
	{"eq", {"eq.enable=1", "eq.low_gain=3", "eq.mid_gain=-3", "eq.high_gain=2", NULL}},
	{"enh", {"enh.enable=1", "enh.hf=50", "enh.lf=50", NULL}},
	{"nr", {"nr.enable=1", NULL}},
	{"vocal-dynamic", /* presets/vocal-dynamic.preset, as measure-load.sh runs under JACK */
	 {"pre.hpf=80", "pre.model=transformer", "pre.drive=3", "gate.enable=1", "gate.mode=expander",
	  "gate.ratio=2", "gate.threshold=-30", "comp.enable=1", "comp.threshold=-22", "comp.ratio=3",
	  "comp.attack=5", "comp.release=80", "comp.makeup=3", "deess.enable=1", "deess.threshold=-32",
	  "deess.range=8", NULL}},
	{"full", /* every stage on: saturation with ADAA, gate, comp, split de-esser, tone stages */
	 {"pre.gain=6", "pre.hpf=80", "pre.model=tube", "pre.drive=12", "gate.enable=1",
	  "gate.threshold=-35", "comp.enable=1", "comp.threshold=-24", "deess.enable=1",
	  "deess.freq=5000", "deess.threshold=-30",
	  /* the tone stages: hum removal and air in the preamp, EQ, enhancer */
	  "pre.hum=50", "pre.air=4", "eq.enable=1", "eq.low_gain=3", "eq.mid_gain=-3",
	  "eq.high_gain=2", "enh.enable=1", "enh.hf=50", "enh.lf=50", NULL}},
	{"lim", {"lim.enable=1", "pre.gain=12", NULL}}, /* limiting ~10 dB on speech */
	{"full.lim", /* "full" with the true-peak limiter (the loudness meters always run) */
	 {"pre.gain=6", "pre.hpf=80", "pre.model=tube", "pre.drive=12", "gate.enable=1",
	  "gate.threshold=-35", "comp.enable=1", "comp.threshold=-24", "deess.enable=1",
	  "deess.freq=5000", "deess.threshold=-30", "pre.hum=50", "pre.air=4", "eq.enable=1",
	  "eq.low_gain=3", "eq.mid_gain=-3", "eq.high_gain=2", "enh.enable=1", "enh.hf=50",
	  "enh.lf=50", "lim.enable=1", NULL}},
	{"full.link", /* "full" with every channel in link group 1 (dsp/link.h) */
	 {"pre.gain=6", "pre.hpf=80", "pre.model=tube", "pre.drive=12", "gate.enable=1",
	  "gate.threshold=-35", "comp.enable=1", "comp.threshold=-24", "deess.enable=1",
	  "deess.freq=5000", "deess.threshold=-30", "link.group=1", NULL}},
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* the kernels of the variant being measured */
static const struct dsp_arch *bench_arch;

static int apply(struct strip *s, const struct config *c)
{
	if (strip_init(s, FS, bench_arch) < 0)
		return -1;
	for (int i = 0; c->sets[i]; i++) {
		char key[64];
		const char *eq = strchr(c->sets[i], '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq - c->sets[i]), c->sets[i]);
		int id = param_find(key);
		float v;
		if (id < 0)
			return -1;
		int e = param_enum_index((enum param_id)id, eq + 1);
		v = e >= 0 ? (float)e : strtof(eq + 1, NULL);
		if (param_check((enum param_id)id, v) < 0)
			return -1;
		strip_set_param(s, (enum param_id)id, v);
	}
	strip_reset(s);
	return 0;
}

static float *signal_make(size_t *len, const char *wav)
{
	float *x;
	if (wav) {
		SF_INFO info = {0};
		SNDFILE *f = sf_open(wav, SFM_READ, &info);
		if (!f || info.channels != 1) {
			fprintf(stderr, "chanstrip-bench: %s: need a readable mono WAV\n", wav);
			exit(1);
		}
		x = malloc(sizeof(float) * (size_t)info.frames);
		*len = (size_t)sf_readf_float(f, x, info.frames);
		sf_close(f);
		return x;
	}
	/* 10 s: 300 ms syllables at -6 and -24 dBFS with 5 kHz "sibilants", pauses, noise floor */
	*len = 10 * (size_t)FS;
	x = malloc(sizeof(float) * *len);
	uint32_t r = 1;
	for (size_t i = 0; i < *len; i++) {
		r ^= r << 13, r ^= r >> 17, r ^= r << 5;
		double noise = ((double)r / 4294967296.0 * 2.0 - 1.0);
		double t = (double)i / FS;
		int syl = (int)(t / 0.3);
		double env = (syl % 4 == 3) ? 0.0 : ((syl / 8) % 2 ? 0.063 : 0.5);
		double voice = sin(2 * M_PI * 140 * t) + 0.5 * sin(2 * M_PI * 280 * t) +
			       (syl % 5 == 1 ? 0.6 * noise * sin(2 * M_PI * 5000 * t) : 0.0);
		x[i] = (float)(env * 0.6 * voice + 0.0173 * noise);
	}
	return x;
}

static int cmp_double(const void *a, const void *b)
{
	double d = *(const double *)a - *(const double *)b;
	return (d > 0) - (d < 0);
}

/* ns per sample per channel, median of `passes` timed runs over `frames` samples. */
static double bench_one(const struct config *c, unsigned nch, unsigned period, const float *sig,
			size_t siglen, size_t frames, int passes, int lanes)
{
	struct strip *strips;
	float *out = malloc(sizeof(float) * period * nch);
	const float **pin = malloc(sizeof(*pin) * nch);
	float **pout = malloc(sizeof(*pout) * nch);
	double t[15];
	if (posix_memalign((void **)&strips, 64, nch * sizeof(*strips)) || !out || !pin || !pout)
		exit(1);
	for (unsigned ch = 0; ch < nch; ch++)
		pout[ch] = out + (size_t)ch * period;
	for (unsigned ch = 0; ch < nch; ch++)
		if (apply(&strips[ch], c) < 0) {
			fprintf(stderr, "chanstrip-bench: bad config %s\n", c->name);
			exit(1);
		}
	const size_t take_every = (size_t)(FS / METER_TAKE_HZ);
	for (int p = 0; p < passes + 1; p++) {
		double t0 = now_s();
		size_t pos = 0, since_take = 0;
		for (size_t done = 0; done + period <= frames; done += period) {
			if (pos + period > siglen)
				pos = 0;
			for (unsigned ch = 0; ch < nch; ch++) {
				/* channels read the signal at different offsets, as real inputs differ */
				size_t off = (pos + ch * 4801u) % (siglen - period);
				pin[ch] = sig + off;
				if (!lanes)
					strip_process(&strips[ch], pin[ch], pout[ch], period);
			}
			if (lanes)
				strip_process_many(strips, nch, pin, pout, period);
			pos += period;
			if ((since_take += period) >= take_every) {
				struct meter_snapshot snap;
				for (unsigned ch = 0; ch < nch; ch++)
					strip_meter_take(&strips[ch], &snap);
				since_take = 0;
			}
		}
		if (p > 0) /* the first pass warms caches and predictors */
			t[p - 1] = (now_s() - t0) * 1e9 / ((double)frames * nch);
	}
	qsort(t, (size_t)passes, sizeof(double), cmp_double);
	free(strips);
	free(out);
	free(pin);
	free(pout);
	return t[passes / 2];
}

/* The noise suppressor alone against speexdsp's preprocessor with only its denoiser on (the
 * Debian library a user would otherwise reach for), in the same run on the same signal, one
 * channel: ns per sample, median of `passes`. speexdsp takes 10 ms frames of 16-bit samples,
 * so its figure includes the conversion from and to float that a float host pays. */
static double bench_nr_alone(const float *sig, size_t siglen, size_t frames, int passes)
{
	static struct nr r;
	float out[256];
	double t[15];
	if (nr_init(&r, FS) || stage_init_defaults(&nr_stage, &r, FS))
		exit(1);
	nr_stage.set(&r, 0, 1.0f);
	nr_reset(&r);
	for (int p = 0; p < passes + 1; p++) {
		double t0 = now_s();
		for (size_t done = 0, pos = 0; done + 256 <= frames; done += 256, pos += 256) {
			pos = pos + 256 > siglen ? 0 : pos;
			nr_process(&r, sig + pos, out, 256);
		}
		if (p > 0)
			t[p - 1] = (now_s() - t0) * 1e9 / (double)frames;
	}
	qsort(t, (size_t)passes, sizeof(double), cmp_double);
	return t[passes / 2];
}

static double bench_speex(const float *sig, size_t siglen, size_t frames, int passes)
{
	enum { FRAME = 480 };
	int on = 1, db = -12;
	spx_int16_t buf[FRAME];
	float out[FRAME];
	double t[15];
	SpeexPreprocessState *st = speex_preprocess_state_init(FRAME, (int)FS);
	if (!st)
		exit(1);
	speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
	speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &db);
	for (int p = 0; p < passes + 1; p++) {
		double t0 = now_s();
		for (size_t done = 0, pos = 0; done + FRAME <= frames; done += FRAME, pos += FRAME) {
			pos = pos + FRAME > siglen ? 0 : pos;
			for (int k = 0; k < FRAME; k++) {
				float v = sig[pos + k] * 32768.0f;
				buf[k] = (spx_int16_t)lrintf(v > 32767.0f ? 32767.0f
								: (v < -32768.0f ? -32768.0f : v));
			}
			speex_preprocess_run(st, buf);
			for (int k = 0; k < FRAME; k++)
				out[k] = buf[k] * (1.0f / 32768.0f);
			__asm__ volatile("" : : "r"(out) : "memory"); /* keep the conversion */
		}
		if (p > 0)
			t[p - 1] = (now_s() - t0) * 1e9 / (double)frames;
	}
	speex_preprocess_state_destroy(st);
	qsort(t, (size_t)passes, sizeof(double), cmp_double);
	return t[passes / 2];
}

static void bench_denoisers(const float *sig, size_t siglen, size_t frames, int passes)
{
	double a = bench_nr_alone(sig, siglen, frames, passes);
	double b = bench_speex(sig, siglen, frames, passes);
	printf("# denoisers alone, 48 kHz, 1 channel, ns per sample (median of %d)\n", passes);
	printf("%-16s %9.2f\n%-16s %9.2f\n", "nr (chanstrip)", a, "speexdsp denoise", b);
	printf("# nr costs %.2fx speexdsp's preprocessor denoiser (%s)\n", a / b,
	       a < b ? "cheaper" : "NOT cheaper");
}

int main(int argc, char **argv)
{
	unsigned periods[] = {16, 64, 256};
	static const unsigned channels[] = {1, 2, 8, 32, 64};
	const char *wav = NULL, *simd = "both", *only = NULL, *path = "lanes";
	unsigned only_period = 0, only_channels = 0;
	int quick = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--wav") && i + 1 < argc)
			wav = argv[++i];
		else if (!strcmp(argv[i], "--simd") && i + 1 < argc)
			simd = argv[++i];
		else if (!strcmp(argv[i], "--path") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "lanes") || !strcmp(argv[i + 1], "single") ||
			  !strcmp(argv[i + 1], "both")))
			path = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--period") && i + 1 < argc)
			only_period = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--channels") && i + 1 < argc)
			only_channels = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: chanstrip-bench [--quick] [--wav FILE] [--simd auto|c|both] "
					"[--path lanes|single|both] [--only CONFIG] [--period N] "
					"[--channels N]\n");
			return 2;
		}
	}
	if (only_period) { /* any period, e.g. 32 for the JACK load target */
		periods[0] = only_period;
		periods[1] = periods[2] = 0;
	}
	size_t siglen;
	float *sig = signal_make(&siglen, wav);
	dsp_denormals_flush();
	/* enough audio per measurement to swamp timer noise, bounded for many channels */
	size_t base_frames = quick ? 48000 : 4 * 48000;
	int passes = quick ? 3 : 5;

	for (int variant = 0; variant < 4; variant++) {
		int force_c = variant / 2 == 0, lanes = variant % 2 == 0;
		if ((force_c && !strcmp(simd, "auto")) || (!force_c && !strcmp(simd, "c")) ||
		    (lanes && !strcmp(path, "single")) || (!lanes && !strcmp(path, "lanes")))
			continue;
		bench_arch = strip_simd_select(force_c);
		printf("# simd=%s, path=%s, 48 kHz, ns per sample per channel (median of %d)\n",
		       strip_simd_name(bench_arch), lanes ? "lanes" : "single", passes);
		printf("%-16s %6s", "config", "period");
		for (size_t c = 0; c < sizeof(channels) / sizeof(channels[0]); c++)
			printf(" %7s%-2u", "ch=", channels[c]);
		printf("\n");
		for (size_t k = 0; k < NCONFIGS; k++)
			for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
				if ((only && strcmp(only, configs[k].name)) || periods[p] == 0)
					continue;
				printf("%-16s %6u", configs[k].name, periods[p]);
				for (size_t c = 0; c < sizeof(channels) / sizeof(channels[0]); c++) {
					if (only_channels && only_channels != channels[c]) {
						printf(" %9s", "-");
						continue;
					}
					size_t frames = base_frames / (channels[c] > 8 ? channels[c] / 8 : 1);
					double ns = bench_one(&configs[k], channels[c], periods[p], sig,
							      siglen, frames, passes, lanes);
					printf(" %9.2f", ns);
					fflush(stdout);
				}
				printf("\n");
			}
	}
	if (!only || !strcmp(only, "nr"))
		bench_denoisers(sig, siglen, 4 * base_frames, passes);
	free(sig);
	return 0;
}
