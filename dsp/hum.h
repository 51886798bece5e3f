/* hum.h: mains hum removal, run inside the preamp after the low cut and before the curve.
 *
 * One notch per harmonic k f_mains (k = 1 .. pre.hum_harmonics, those below 0.45 fs), in
 * series. Each notch is a trapezoidal state-variable filter (Simper's SVF: the bilinear
 * notch (s^2 + 1) / (s^2 + s/Q + 1), prewarped so the zero sits exactly on k f_mains), whose
 * coefficients g = tan(pi f / fs) and k = 1/Q keep the notch where it belongs in float even
 * at 50 Hz and 192 kHz (a direct-form notch's 2 cos(w) rounds the zero away there).
 *
 * Every notch has the same -3 dB width, HUM_BW_HZ: at +-0.3 Hz of its centre (mains drifts)
 * it still takes |H| = 0.3 / sqrt(0.3^2 + (BW/2)^2), -22 dB, off; 100 Hz away it moves the
 * level by less than 0.01 dB. A change of pre.hum or pre.hum_harmonics fades the notches
 * out (HUM_FADE_MS), switches them while they are silent, and fades the new set in: the
 * notches start from rest, where they pass their input unchanged. */
#ifndef CHANSTRIP_HUM_H
#define CHANSTRIP_HUM_H

#include <stdint.h>

#define HUM_MAX_HARMONICS 10
#define HUM_BW_HZ 7.5f
#define HUM_FADE_MS 10.0f

struct hum_notch {
	float a1, a2, a3, k; /* SVF coefficients */
	float ic1, ic2;      /* its state */
};

struct hum {
	float fs;
	int mode_req, harm_req; /* as set: mode 0 off, 1 50 Hz, 2 60 Hz */
	int mode, harm;         /* what the notches are built for */
	unsigned count;         /* notches in use */
	uint32_t mix, fade_len; /* 0 (dry) .. fade_len (notched) */
	float fade_inv;
	uint32_t clock;
	struct hum_notch n[HUM_MAX_HARMONICS];
};

void hum_init(struct hum *h, float fs);
void hum_reset(struct hum *h);
void hum_set_mode(struct hum *h, int mode);         /* 0 off, 1 50 Hz, 2 60 Hz */
void hum_set_harmonics(struct hum *h, int harmonics); /* 1 .. 10 */
/* An exact copy (off, no fade running): hum_run returns its input. */
static inline int hum_idle(const struct hum *h)
{
	return h->mode == 0 && h->mode_req == 0 && h->mix == 0;
}
/* in -> buf (n <= DSP_MAX_CHUNK); returns the buffer that holds the output: in when idle. */
const float *hum_run(struct hum *h, const float *in, float *buf, uint32_t n);
/* hum_run on nl (1..DSP_LANES_MAX) lanes: u[l] in, replaced by the buffer that holds lane l's
 * output (buf[l], or u[l] itself when idle); the same bits as hum_run lane by lane. Steady
 * lanes with as many notches run side by side in vectors. */
void hum_run_lanes(struct hum *const *h, unsigned nl, const float **u, float *const *buf,
		   uint32_t n);

#endif
