/* wavtool: make and compare WAV files for the offline tests (libsndfile).
 *
 *   wavtool gen OUT.wav RATE CHANNELS FORMAT SECONDS SIGNAL
 *       FORMAT: pcm16 pcm24 pcm32 float; SIGNAL: noise | sine:HZ:PEAK | bursts | nan |
 *       left:HZ:PEAK (the sine in channel 1 only, -70 dBFS noise in the others)
 *   wavtool cmp A.wav B.wav TOL     max |a-b| over every sample; exit 1 if above TOL
 *                                   (TOL 0 = bit-exact float compare); also checks shape
 *   wavtool info A.wav              "frames channels rate peak rms" on one line
 */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *msg, const char *arg)
{
	fprintf(stderr, "wavtool: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	return 2;
}

static float *read_all(const char *path, SF_INFO *info)
{
	memset(info, 0, sizeof(*info));
	SNDFILE *f = sf_open(path, SFM_READ, info);
	if (!f)
		return NULL;
	float *buf = malloc(sizeof(float) * (size_t)(info->frames * info->channels + 1));
	if (buf && sf_readf_float(f, buf, info->frames) != info->frames) {
		free(buf);
		buf = NULL;
	}
	sf_close(f);
	return buf;
}

static int gen(int argc, char **argv)
{
	if (argc != 8)
		return fail("usage: gen OUT RATE CHANNELS FORMAT SECONDS SIGNAL", NULL);
	SF_INFO info = {.samplerate = atoi(argv[3]), .channels = atoi(argv[4])};
	const char *fmt = argv[5], *sig = argv[7];
	int sub = !strcmp(fmt, "pcm16") ? SF_FORMAT_PCM_16
		  : !strcmp(fmt, "pcm24") ? SF_FORMAT_PCM_24
		  : !strcmp(fmt, "pcm32") ? SF_FORMAT_PCM_32
					 : SF_FORMAT_FLOAT;
	info.format = SF_FORMAT_WAV | sub;
	sf_count_t n = (sf_count_t)(atof(argv[6]) * info.samplerate);
	SNDFILE *f = sf_open(argv[2], SFM_WRITE, &info);
	if (!f)
		return fail(sf_strerror(NULL), argv[2]);
	float *buf = malloc(sizeof(float) * (size_t)(n * info.channels + 1));
	uint32_t x = 12345;
	double hz = 1000.0, peak = 0.5;
	if (!strncmp(sig, "sine:", 5) || !strncmp(sig, "left:", 5))
		sscanf(sig + 5, "%lf:%lf", &hz, &peak);
	for (sf_count_t i = 0; i < n; i++)
		for (int c = 0; c < info.channels; c++) {
			double v;
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			double r = (double)x / 4294967296.0 * 2.0 - 1.0;
			if (!strcmp(sig, "noise"))
				v = 0.5 * r;
			else if (!strcmp(sig, "bursts")) /* loud, quiet, silent: moves every stage */
				v = r * ((i / (info.samplerate / 10)) % 3 == 0   ? 0.8
					 : (i / (info.samplerate / 10)) % 3 == 1 ? 0.05
										 : 0.0);
			else if (!strcmp(sig, "music")) { /* chord, kick every 0.5 s, hats, a swell */
				double t = (double)i / info.samplerate, bt = fmod(t, 0.5);
				double lvl = 0.3 * (0.6 + 0.4 * sin(2 * M_PI * t / 7));
				double chord = sin(2 * M_PI * 220 * t) + 0.7 * sin(2 * M_PI * 277.2 * t) +
					       0.5 * sin(2 * M_PI * 329.6 * t);
				double kick = sin(2 * M_PI * 55 * bt) * exp(-bt / 0.08);
				double hat = fmod(t, 0.25) < 0.02 ? 0.2 * r : 0.0;
				v = lvl * (0.3 * chord + kick + hat);
			} else if (!strncmp(sig, "left:", 5))
				v = c ? 3.1622777e-4 * r : peak * sin(2 * M_PI * hz * (double)i / info.samplerate);
			else if (!strcmp(sig, "nan"))
				v = (i % 1000 == 7) ? NAN : 0.25 * sin(2 * M_PI * hz * i / info.samplerate);
			else
				v = peak * sin(2 * M_PI * hz * (double)i / info.samplerate + c);
			buf[i * info.channels + c] = (float)v;
		}
	sf_writef_float(f, buf, n);
	free(buf);
	return sf_close(f) ? 2 : 0;
}

/* Print the largest difference; 0 when it is within tol. */
static int compare(const float *x, const float *y, const SF_INFO *info, double tol)
{
	double maxd = 0.0;
	sf_count_t worst = 0;
	for (sf_count_t i = 0; i < info->frames * info->channels; i++) {
		double d = fabs((double)x[i] - (double)y[i]);
		if (tol == 0.0 && memcmp(&x[i], &y[i], sizeof(float)) != 0 && d == 0.0)
			d = 1e-45; /* -0 vs +0 */
		if (d > maxd || d != d) {
			maxd = d != d ? INFINITY : d;
			worst = i;
		}
	}
	printf("max_abs_diff=%.3g (%.1f dBFS) at sample %lld\n", maxd,
	       maxd > 0 ? 20 * log10(maxd) : -999.0, (long long)(worst / info->channels));
	return maxd <= tol ? 0 : 1;
}

static int cmp(int argc, char **argv)
{
	SF_INFO a, b;
	if (argc != 5)
		return fail("usage: cmp A B TOL", NULL);
	double tol = atof(argv[4]);
	float *x = read_all(argv[2], &a), *y = read_all(argv[3], &b);
	int rc = 1;
	if (!x || !y) {
		rc = fail("cannot read", argv[x ? 3 : 2]);
	} else if (a.frames != b.frames || a.channels != b.channels ||
		   a.samplerate != b.samplerate) {
		fprintf(stderr, "wavtool: shape differs: %lld/%d/%d vs %lld/%d/%d\n",
			(long long)a.frames, a.channels, a.samplerate, (long long)b.frames, b.channels,
			b.samplerate);
	} else {
		rc = compare(x, y, &a, tol);
	}
	free(x);
	free(y);
	return rc;
}

static int info_cmd(int argc, char **argv)
{
	SF_INFO a;
	if (argc != 3)
		return fail("usage: info A", NULL);
	float *x = read_all(argv[2], &a);
	if (!x)
		return fail("cannot read", argv[2]);
	double peak = 0, ss = 0;
	for (sf_count_t i = 0; i < a.frames * a.channels; i++) {
		peak = fmax(peak, fabs(x[i]));
		ss += (double)x[i] * x[i];
	}
	printf("%lld %d %d %.6g %.6g\n", (long long)a.frames, a.channels, a.samplerate, peak,
	       sqrt(ss / (double)(a.frames * a.channels)));
	free(x);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "gen"))
		return gen(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "cmp"))
		return cmp(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "info"))
		return info_cmd(argc, argv);
	return fail("usage: wavtool gen|cmp|info ...", NULL);
}
