/* abclick.c: A/B recall while a tone plays, through the engine as JACK runs it (values
 * queued to a running engine, applied by engine_process between 256-frame blocks) and the
 * control layer's A/B commands.
 *   cs-abclick OUT.raw ab|direct gain|comp
 * writes the strip's output as raw float32 and the sample indices of the recalls to stdout;
 * "direct" sets the same values with ctl_set instead of recalling (a recall must be exactly
 * that); "gain" makes B differ in smoothed gains (out.gain -12 dB, comp.makeup +6 dB,
 * comp.mix 50 %), "comp" in the compressor's threshold and ratio as well.
 * test-midi-ab.py measures the clicks.
 *
 * The tone: 1 kHz at -12 dBFS plus white noise at -110 dBFS RMS (the floor of a good
 * 24-bit converter; a digital sine alone has a floor near -140 dB, below what any gain
 * glide's start leaves above 8 kHz). A: defaults with the compressor on. Recalls at 0.5 s
 * (B), 1.0 s (A), swap at 1.5 s (B). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

#define FS 48000
#define BLOCK 256
#define SECONDS 2

static void set(struct control *c, const char *path, double v)
{
	struct ctl_sel sel;
	char why[CTL_REASON_MAX];
	struct ctl_arg a = {.kind = CTL_ARG_NUMBER, .num = v};
	if (ctl_resolve(c, path, &sel, why) < 0 || ctl_set(c, &sel, &a, 0, why) < 0) {
		fprintf(stderr, "abclick: %s: %s\n", path, why);
		exit(1);
	}
}

/* B's differences from A (A: the defaults with the compressor on). */
static const struct {
	const char *path;
	double a, b;
	int comp_only;
} diffs[] = {
	{"/strip/1/out/gain", 0, -12, 0},
	{"/strip/1/comp/makeup", 0, 6, 0},
	{"/strip/1/comp/mix", 100, 50, 0},
	{"/strip/1/comp/threshold", -18, -30, 1},
	{"/strip/1/comp/ratio", 4, 8, 1},
};
static int use_comp, direct;

static void set_side(struct control *c, int b)
{
	for (size_t k = 0; k < sizeof(diffs) / sizeof(diffs[0]); k++)
		if (use_comp || !diffs[k].comp_only)
			set(c, diffs[k].path, b ? diffs[k].b : diffs[k].a);
}

static void ab(struct control *c, const char *path, int slot)
{
	struct ctl_sel sel;
	char why[CTL_REASON_MAX];
	int rc = ctl_resolve(c, path, &sel, why);
	if (rc == 0 && sel.kind == CTL_AB_STORE)
		rc = ctl_ab_store(c, &sel, slot, why);
	else if (rc == 0 && direct)
		set_side(c, slot);
	else if (rc == 0 && sel.kind == CTL_AB_RECALL)
		rc = ctl_ab_recall(c, &sel, slot, 0, why);
	else if (rc == 0)
		rc = ctl_ab_swap(c, &sel, 0, why);
	if (rc < 0) {
		fprintf(stderr, "abclick: %s: %s\n", path, why);
		exit(1);
	}
}

/* Uniform white noise of the given RMS (deterministic). */
static float noise(uint32_t *x, float rms)
{
	*x = *x * 1664525u + 1013904223u;
	return rms * sqrtf(3.0f) * ((float)(*x >> 8) / 8388608.0f - 1.0f);
}

int main(int argc, char **argv)
{
	struct engine e;
	char err[256];
	float in[BLOCK], out[BLOCK];
	uint32_t rng = 1;
	if (argc != 4 || engine_init(&e, 1, FS, NULL) < 0)
		return 2;
	direct = !strcmp(argv[2], "direct");
	use_comp = !strcmp(argv[3], "comp");
	struct control *c = ctl_new(&e, err, sizeof(err));
	/* a second handle (another transport) recalls what the first stored: one set of slots */
	struct control *c2 = ctl_new(&e, err, sizeof(err));
	FILE *f = fopen(argv[1], "wb");
	if (!c || !c2 || !f)
		return 2;
	set(c, "/strip/1/comp/enable", 1);
	ab(c, "/strip/1/ab/store", 0);
	set_side(c, 1);
	ab(c, "/strip/1/ab/store", 1);
	ab(c, "/strip/1/ab/recall", 0);
	engine_start(&e); /* from here on, values cross to the audio side as under JACK */
	const float *ip[1] = {in};
	float *op[1] = {out};
	double w = 2 * M_PI * 1000.0 / FS;
	int step = 0;
	for (long t0 = 0; t0 < (long)FS * SECONDS; t0 += BLOCK) {
		if (step < 3 && t0 >= (long)FS / 2 * (step + 1)) { /* 0.5, 1.0, 1.5 s */
			if (step == 0)
				ab(c2, "/strip/1/ab/recall", 1);
			else if (step == 1)
				ab(c2, "/strip/1/ab/recall", 0);
			else
				ab(c2, "/strip/1/ab/swap", 1);
			printf("%ld\n", t0);
			step++;
		}
		for (int i = 0; i < BLOCK; i++)
			in[i] = (float)(pow(10, -12 / 20.0) * sin(w * (double)(t0 + i))) +
				noise(&rng, powf(10, -110 / 20.0f));
		engine_process(&e, ip, op, BLOCK);
		fwrite(out, sizeof(float), BLOCK, f);
	}
	fclose(f);
	engine_stop(&e);
	ctl_free(c2);
	ctl_free(c);
	engine_free(&e);
	return 0;
}
