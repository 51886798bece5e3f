/* cs-oscwav: signals and levels for the OSC integration tests.
 *
 *   cs-oscwav gen OUT.wav SECONDS PEAK FREQ_HZ   mono 48 kHz float sine of that peak
 *   cs-oscwav level IN.wav CH SKIP_S             prints "rms_dbfs peak_dbfs nonfinite"
 *
 * rms_dbfs is the plain RMS (a sine of peak 1 reads -3.01), over the channel after SKIP_S.
 * Exit status: 0, 1 on a non-finite sample (level), 2 usage/IO error. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int gen(const char *path, double secs, double peak, double freq)
{
	SF_INFO info = {.samplerate = 48000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	if (!sf) {
		fprintf(stderr, "cs-oscwav: %s: %s\n", path, sf_strerror(NULL));
		return 2;
	}
	size_t n = (size_t)(secs * 48000.0);
	for (size_t i = 0; i < n; i++) {
		float x = (float)(peak * sin(2.0 * M_PI * freq * (double)i / 48000.0));
		sf_writef_float(sf, &x, 1);
	}
	sf_close(sf);
	return 0;
}

static int level(const char *path, int ch, double skip_s)
{
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "cs-oscwav: %s: %s\n", path, sf_strerror(NULL));
		return 2;
	}
	if (ch < 1 || ch > info.channels) {
		fprintf(stderr, "cs-oscwav: %s has no channel %d\n", path, ch);
		sf_close(sf);
		return 2;
	}
	float *frame = malloc(sizeof(float) * (size_t)info.channels);
	size_t skip = (size_t)(skip_s * info.samplerate), i = 0, n = 0, bad = 0;
	double sum = 0, peak = 0;
	while (sf_readf_float(sf, frame, 1) == 1) {
		float x = frame[ch - 1];
		if (!isfinite(x))
			bad++;
		else if (i >= skip) {
			sum += (double)x * x;
			peak = fabs(x) > peak ? fabs(x) : peak;
			n++;
		}
		i++;
	}
	sf_close(sf);
	free(frame);
	double rms = n ? sqrt(sum / (double)n) : 0;
	printf("%.4f %.4f %zu\n", rms > 0 ? 20 * log10(rms) : -400.0, peak > 0 ? 20 * log10(peak) : -400.0,
	       bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "gen"))
		return gen(argv[2], atof(argv[3]), atof(argv[4]), atof(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "level"))
		return level(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: cs-oscwav gen OUT.wav SECONDS PEAK FREQ | level IN.wav CH SKIP_S\n");
	return 2;
}
