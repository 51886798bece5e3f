/* nr_quality.h: the noise suppressor's test material and its three quality measures, shared
 * by tests/test_nr.c (the targets) and tests/nr/nr-compare.c (the same measures for
 * speexdsp's denoiser beside chanstrip's).
 *
 * Material: voiced speech-like sound (a glottal-like harmonic source with -6 dB/octave
 * roll-off, three formant resonators that move per syllable, 180-350 ms syllables with 20 ms
 * ramps, 120-600 ms pauses of exact silence) mixed with stationary noise at a given SNR
 * (active speech power over noise power): pink (Kellet's filter, -3 dB/octave) or fan-like
 * (low-pass rumble with resonances at the blade rate and its harmonic, and some hiss).
 *
 * Measures, on 20 ms frames of the clean speech's time line (the output taken lag samples
 * later), in double precision with a direct DFT (independent of FFTW):
 *   pause_drop_db     input power over output power in the pauses (frames of exact silence
 *                     from 30 ms before to 30 ms after);
 *   voiced_change_db  mean over voiced frames (within 10 dB of the active level) of the
 *                     output's minus the clean speech's 200 Hz-4 kHz band level;
 *   loud_change_lu    integrated loudness (libebur128, BS.1770) of the output minus that of
 *                     the clean speech;
 *   mus_in_db, mus_out_db  in the pauses, per DFT bin of 200 Hz-8 kHz (clamped below
 *                     Nyquist) the standard deviation over the frames of the log power (dB),
 *                     averaged over the bins: of the input noise and of the residual. Isolated
 *                     random spectral peaks (musical noise) raise the residual's. */
#ifndef NR_QUALITY_H
#define NR_QUALITY_H

#include <stddef.h>
#include <stdint.h>

enum nrq_noise { NRQ_PINK, NRQ_FAN };

struct nrq_signal {
	double fs;
	size_t n;
	float *clean, *noise, *noisy;
	size_t onset; /* first sample of speech */
};

struct nrq_result {
	double pause_drop_db, voiced_change_db, loud_change_lu, mus_in_db, mus_out_db;
	unsigned n_pause, n_voiced;
};

/* seconds of material, the first lead_s of them noise alone. 0 or -1 (no memory). */
int nrq_make(struct nrq_signal *s, double fs, double seconds, double lead_s,
	     enum nrq_noise kind, double snr_db, uint32_t seed);
void nrq_free(struct nrq_signal *s);
/* Measure out (s->n samples, delayed by lag against the clean speech) over the clean time
 * line from..to (samples). 0, or -1 when libebur128 fails. */
int nrq_measure(const struct nrq_signal *s, const float *out, size_t lag, size_t from,
		size_t to, struct nrq_result *r);
/* The lag 0..max_lag at which out correlates best with the clean speech. */
size_t nrq_find_lag(const struct nrq_signal *s, const float *out, size_t max_lag);
const char *nrq_noise_name(enum nrq_noise kind);

#endif
