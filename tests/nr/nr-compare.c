/* nr-compare: chanstrip's noise suppressor beside speexdsp's preprocessor denoiser on the
 * same material and the same three measures (nr_quality.h):
 *
 *   nr-compare [--quick]
 *
 * prints table rows per noise and SNR: chanstrip at 12 dB of reduction; speexdsp asked for
 * 12 dB (it removes about half of that from the pauses); and speexdsp asked for as much as
 * takes its pauses down as far as chanstrip's (the least of -18, -24, -36 and -60 dB that
 * does, else -60), so that the voice is compared at the most noise reduction it reaches. speexdsp runs on 10 ms frames
 * of 16-bit samples (its interface), its output aligned on the clean speech by correlation.
 * A benchmark program, not a test: tests/test_nr.c holds the targets. */
#include <math.h>
#include <speex/speex_preprocess.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nr.h"
#include "nr_quality.h"

static void run_chanstrip(const struct nrq_signal *s, float *out, size_t *lag)
{
	static struct nr r;
	if (nr_init(&r, (float)s->fs) || stage_init_defaults(&nr_stage, &r, (float)s->fs))
		exit(1);
	nr_stage.set(&r, P_NR_ENABLE - nr_stage.first, 1.0f);
	nr_reset(&r);
	nr_process(&r, s->noisy, out, (uint32_t)s->n);
	*lag = nr_stage.latency(&r);
}

static void run_speex(const struct nrq_signal *s, int db, float *out, size_t *lag)
{
	int frame = (int)lround(s->fs * 0.01), on = 1;
	SpeexPreprocessState *st = speex_preprocess_state_init(frame, (int)s->fs);
	spx_int16_t *buf = malloc(sizeof(spx_int16_t) * (size_t)frame);
	if (!st || !buf)
		exit(1);
	speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
	speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &db);
	memset(out, 0, sizeof(float) * s->n);
	for (size_t i = 0; i + (size_t)frame <= s->n; i += (size_t)frame) {
		for (int k = 0; k < frame; k++) {
			double v = s->noisy[i + k] * 32768.0;
			buf[k] = (spx_int16_t)lrint(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
		}
		speex_preprocess_run(st, buf);
		for (int k = 0; k < frame; k++)
			out[i + k] = buf[k] / 32768.0f;
	}
	speex_preprocess_state_destroy(st);
	free(buf);
	*lag = nrq_find_lag(s, out, (size_t)(0.03 * s->fs));
}

static void print_row(enum nrq_noise kind, int snr, const char *who, const struct nrq_result *q)
{
	printf("%-5s %4d %-13s %8.2f dB %9.2f dB %8.2f LU %+8.2f dB\n", nrq_noise_name(kind), snr,
	       who, q->pause_drop_db, q->voiced_change_db, q->loud_change_lu,
	       q->mus_out_db - q->mus_in_db);
}

static int measure_speex(const struct nrq_signal *s, int db, float *out, struct nrq_result *q)
{
	size_t lag;
	run_speex(s, db, out, &lag);
	return nrq_measure(s, out, lag, (size_t)(0.25 * s->fs), s->n, q);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 && !strcmp(argv[1], "--quick") ? 6.0 : 12.0;
	printf("# 48 kHz, %.0f s of voiced speech-like material after 0.5 s of noise\n", secs);
	printf("# targets: pause drop >= 10 dB; voiced 200 Hz-4 kHz change within 1 dB; loudness "
	       "within 0.5 LU; musical noise (pause log-spectrum spread over the input's) <= 2 dB\n");
	printf("%-5s %4s %-13s %11s %12s %11s %11s\n", "noise", "snr", "denoiser", "pause drop",
	       "voiced", "loudness", "musical");
	for (int kind = 0; kind < 2; kind++)
		for (int snr = 10; snr <= 20; snr += 10) {
			struct nrq_signal s;
			if (nrq_make(&s, 48000, secs, 0.5, (enum nrq_noise)kind, snr, 3))
				return 1;
			float *out = malloc(sizeof(float) * s.n);
			size_t lag;
			struct nrq_result q, sq;
			run_chanstrip(&s, out, &lag);
			if (nrq_measure(&s, out, lag, (size_t)(0.25 * s.fs), s.n, &q))
				return 1;
			print_row((enum nrq_noise)kind, snr, "chanstrip", &q);
			if (measure_speex(&s, -12, out, &sq))
				return 1;
			print_row((enum nrq_noise)kind, snr, "speexdsp -12", &sq);
			static const int more[] = {-18, -24, -36, -60};
			int db = -12;
			for (unsigned i = 0; i < 4 && sq.pause_drop_db < q.pause_drop_db - 0.05; i++) {
				db = more[i];
				if (measure_speex(&s, db, out, &sq))
					return 1;
			}
			char who[32];
			snprintf(who, sizeof(who), "speexdsp %d", db);
			print_row((enum nrq_noise)kind, snr, who, &sq);
			free(out);
			nrq_free(&s);
		}
	return 0;
}
