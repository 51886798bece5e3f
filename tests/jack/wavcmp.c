/* cs-wavcmp: compare a recorded channel with a reference after aligning them.
 *
 *   cs-wavcmp REF.wav REFCH TEST.wav TESTCH [--max-lag N] [--skip-ms MS] [--tol-db DB]
 *            [--expect-lag N] [--min-change-db DB]
 *
 * The lag is the shift (TEST[i + lag] ~ REF[i]) with the highest cross-correlation within
 * +-max-lag samples (default 1024). After the skip (default 50 ms) it reports the largest
 * absolute difference and the residual's RMS relative to REF's RMS, both in dB, and fails
 * when the largest difference exceeds --tol-db (dBFS, default -80). --expect-lag fails on
 * any other lag. --min-change-db instead demands that TEST's RMS differs from REF's by at
 * least that many dB (used to show the audio was processed, not passed through).
 * --ref-offset N compares from REF's sample N on (REF[N + i] is the reference's sample i).
 * Channels count from 1. Exit status: 0 pass, 1 fail, 2 usage/IO error.
 *
 *   cs-wavcmp --pad IN.wav OUT.wav MS
 *
 * writes IN with MS milliseconds of silence in front (32-bit float). */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_channel(const char *path, int ch, size_t *frames, int *fs)
{
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "cs-wavcmp: %s: %s\n", path, sf_strerror(NULL));
		return NULL;
	}
	if (ch < 1 || ch > info.channels) {
		fprintf(stderr, "cs-wavcmp: %s has %d channels, no channel %d\n", path,
			info.channels, ch);
		return NULL;
	}
	float *inter = malloc((size_t)info.frames * info.channels * sizeof(float));
	float *v = malloc(((size_t)info.frames + 1) * sizeof(float));
	if (!inter || !v || sf_readf_float(sf, inter, info.frames) != info.frames) {
		fprintf(stderr, "cs-wavcmp: %s: cannot read\n", path);
		return NULL;
	}
	for (sf_count_t i = 0; i < info.frames; i++)
		v[i] = inter[i * info.channels + ch - 1];
	free(inter);
	sf_close(sf);
	*frames = (size_t)info.frames;
	*fs = info.samplerate;
	return v;
}

static int pad(const char *in_path, const char *out_path, double ms)
{
	SF_INFO info = {0};
	SNDFILE *in = sf_open(in_path, SFM_READ, &info);
	if (!in) {
		fprintf(stderr, "cs-wavcmp: %s: %s\n", in_path, sf_strerror(NULL));
		return 2;
	}
	size_t lead = (size_t)(ms * info.samplerate / 1000.0);
	size_t total = lead + (size_t)info.frames;
	float *v = calloc(total * info.channels, sizeof(float));
	if (!v || sf_readf_float(in, v + lead * info.channels, info.frames) != info.frames) {
		fprintf(stderr, "cs-wavcmp: %s: cannot read\n", in_path);
		return 2;
	}
	sf_close(in);
	SF_INFO oi = {.samplerate = info.samplerate, .channels = info.channels,
		      .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
	SNDFILE *out = sf_open(out_path, SFM_WRITE, &oi);
	if (!out || sf_writef_float(out, v, (sf_count_t)total) != (sf_count_t)total ||
	    sf_close(out)) {
		fprintf(stderr, "cs-wavcmp: %s: cannot write\n", out_path);
		return 2;
	}
	free(v);
	return 0;
}

static double db(double x) { return x > 1e-30 ? 20.0 * log10(x) : -600.0; }

int main(int argc, char **argv)
{
	long max_lag = 1024, expect_lag = 0, ref_offset = 0;
	int has_expect = 0, has_change = 0;
	double skip_ms = 50.0, tol_db = -80.0, min_change_db = 0.0;
	size_t nr, nt;
	int fsr, fst;

	if (argc == 5 && !strcmp(argv[1], "--pad"))
		return pad(argv[2], argv[3], atof(argv[4]));
	if (argc < 5) {
		fprintf(stderr, "usage: cs-wavcmp REF.wav REFCH TEST.wav TESTCH [--max-lag N] "
				"[--skip-ms MS] [--tol-db DB] [--expect-lag N] [--min-change-db DB]\n");
		return 2;
	}
	for (int i = 5; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--max-lag"))
			max_lag = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--skip-ms"))
			skip_ms = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--tol-db"))
			tol_db = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--expect-lag"))
			expect_lag = atol(argv[i + 1]), has_expect = 1;
		else if (!strcmp(argv[i], "--ref-offset"))
			ref_offset = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--min-change-db"))
			min_change_db = atof(argv[i + 1]), has_change = 1;
		else {
			fprintf(stderr, "cs-wavcmp: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	float *r = read_channel(argv[1], atoi(argv[2]), &nr, &fsr);
	float *t = read_channel(argv[3], atoi(argv[4]), &nt, &fst);
	if (!r || !t)
		return 2;
	if (ref_offset < 0 || (size_t)ref_offset >= nr) {
		fprintf(stderr, "cs-wavcmp: --ref-offset %ld is outside REF\n", ref_offset);
		return 2;
	}
	r += ref_offset;
	nr -= (size_t)ref_offset;
	float *r_alloc = r - ref_offset;
	if (fsr != fst) {
		fprintf(stderr, "cs-wavcmp: sample rates differ (%d, %d)\n", fsr, fst);
		return 1;
	}

	/* the lag with the highest correlation */
	long best = 0;
	double best_c = -1e300;
	for (long lag = -max_lag; lag <= max_lag; lag++) {
		double acc = 0.0;
		for (size_t i = 0; i < nr; i++) {
			long j = (long)i + lag;
			if (j >= 0 && (size_t)j < nt)
				acc += (double)r[i] * t[j];
		}
		if (acc > best_c)
			best_c = acc, best = lag;
	}

	size_t skip = (size_t)(skip_ms * fsr / 1000.0), n = 0;
	double maxd = 0.0, sd = 0.0, sr = 0.0, st = 0.0;
	size_t at = 0;
	for (size_t i = skip; i < nr; i++) {
		long j = (long)i + best;
		if (j < 0 || (size_t)j >= nt)
			continue;
		double d = fabs((double)t[j] - r[i]);
		if (d > maxd)
			maxd = d, at = i;
		sd += d * d;
		sr += (double)r[i] * r[i];
		st += (double)t[j] * t[j];
		n++;
	}
	if (!n || sr <= 0.0) {
		fprintf(stderr, "cs-wavcmp: nothing to compare (reference silent or no overlap)\n");
		return 1;
	}
	double change = 10.0 * log10((st + 1e-30) / sr);
	printf("lag %ld samples, %zu compared, max |diff| %.1f dBFS at %.3f s, residual %.1f dB "
	       "re reference RMS, level change %+.2f dB\n",
	       best, n, db(maxd), (double)at / fsr, 10.0 * log10((sd + 1e-60) / sr), change);
	int fail = 0;
	if (has_expect && best != expect_lag) {
		printf("FAIL: lag %ld, expected %ld\n", best, expect_lag);
		fail = 1;
	}
	if (has_change) {
		if (fabs(change) < min_change_db) {
			printf("FAIL: level changed by %.2f dB, expected at least %.2f dB\n", change,
			       min_change_db);
			fail = 1;
		}
	} else if (db(maxd) > tol_db) {
		printf("FAIL: max |diff| %.1f dBFS exceeds the tolerance %.1f dBFS\n", db(maxd),
		       tol_db);
		fail = 1;
	}
	free(r_alloc);
	free(t);
	return fail;
}
