/* options.h: the command line, parsed once in main(). */
#ifndef CHANSTRIP_OPTIONS_H
#define CHANSTRIP_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "paramio.h"

#define OSC_DEFAULT_PORT 9010

enum run_mode { MODE_JACK, MODE_OFFLINE, MODE_LIST_PARAMS, MODE_HELP, MODE_VERSION };

struct options {
	enum run_mode mode;
	/* every --preset and --set, flattened in the order given */
	struct param_assign *assign;
	size_t nassign;
	int force_c; /* --simd c */
	const struct dsp_arch *arch; /* the kernels, chosen once in main() from force_c */
	/* offline */
	const char *in_path, *out_path;
	const char *meters_path;
	unsigned block;
	const char *out_format; /* float (default), pcm16, pcm24, pcm32 */
	int allow_clip; /* --allow-clip: PCM output may clip (counted, warned) */
	int autogain; /* --autogain[=SECONDS[:TARGET]]: listen (live) or analyse (offline) first */
	float autogain_s, autogain_target_dbfs;
	int loudness_target_given;
	float loudness_target; /* --loudness-target LUFS, -50 .. 0 */
	/* --list-params */
	enum paramio_list_format list_format;
	/* JACK */
	unsigned channels;
	int channels_given;
	const char *name;
	const char *connect, *connect_out;
	int no_connect;
	int reconnect;
	int meter_view;
	const char *server; /* --server NAME: JACK server name (default: $JACK_DEFAULT_SERVER) */
	/* OSC */
	int osc_port; /* 0 = off */
	int osc_port_given; /* --osc-port was on the command line: failing to bind it is fatal */
	const char *osc_bind;
};

/* Parse argv. On error returns a negative errno with a one-line message in err (no
 * newline). Presets are loaded and every --set is checked here, before anything runs. */
int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen);
void options_free(struct options *o);
void options_usage(FILE *f);

#endif
