#include "refpeak.h"

#include <math.h>

#define REF_OS 16
#define REF_HALF 64

double ref_bessel_i0(double x)
{
	double s = 1.0, t = 1.0;
	for (int k = 1; k < 40; k++) {
		t *= (x / (2.0 * k)) * (x / (2.0 * k));
		s += t;
	}
	return s;
}

double ref_true_peak(const float *x, size_t n)
{
	static double c[REF_OS][2 * REF_HALF];
	static int ready;
	if (!ready) {
		for (int p = 0; p < REF_OS; p++)
			for (int j = 0; j < 2 * REF_HALF; j++) {
				double d = (double)p / REF_OS - (double)(j - (REF_HALF - 1));
				double u = d / (REF_HALF + 0.5);
				double w = ref_bessel_i0(10.0 * sqrt(1.0 - u * u)) / ref_bessel_i0(10.0);
				c[p][j] = (d == 0.0 ? 1.0 : sin(M_PI * d) / (M_PI * d)) * w;
			}
		ready = 1;
	}
	double pk = 0.0;
	for (size_t m = 0; m + 1 < n; m++)
		for (int p = 0; p < REF_OS; p++) {
			double y = 0.0;
			for (int j = 0; j < 2 * REF_HALF; j++) {
				long k = (long)m + j - (REF_HALF - 1);
				if (k >= 0 && k < (long)n)
					y += c[p][j] * x[k];
			}
			pk = fmax(pk, fabs(y));
		}
	return pk;
}

void ref_lowpass201(const float *w, float *y, size_t n, double fc)
{
	double h[201];
	for (int k = -100; k <= 100; k++) {
		double u = k / 100.5, win = ref_bessel_i0(8.0 * sqrt(1.0 - u * u)) / ref_bessel_i0(8.0);
		h[k + 100] = (k == 0 ? 2.0 * fc : sin(2.0 * M_PI * fc * k) / (M_PI * k)) * win;
	}
	for (size_t i = 0; i < n; i++) {
		double s = 0.0;
		for (int k = -100; k <= 100; k++)
			if ((long)i - k >= 0 && (long)i - k < (long)n)
				s += h[k + 100] * w[(long)i - k];
		y[i] = (float)s;
	}
}
