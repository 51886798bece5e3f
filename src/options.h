/* options.h: the command line, parsed once in main(). */
#ifndef CHANSTRIP_OPTIONS_H
#define CHANSTRIP_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "midi.h"
#include "paramio.h"
#include "preset.h"

#define OSC_DEFAULT_PORT 9010

enum run_mode { MODE_JACK, MODE_OFFLINE, MODE_LIST_PARAMS, MODE_HELP, MODE_VERSION };

struct options {
	enum run_mode mode;
	/* every --preset and --set, flattened in the order given; src[i].preset numbers the
	 * --preset it came from (1-based, into preset_names), 0 for --set */
	struct param_assign *assign;
	struct param_src *src;
	size_t nassign;
	const char **preset_names;
	unsigned npresets;
	char notice[512]; /* one line for stderr (preset lines skipped, a shipped preset
			   * hidden by the user's), or empty */
	/* the first option given that only one mode takes, its long name ("meter-view") */
	const char *jack_only, *offline_only, *list_only;
	/* nr.profile lines of every --preset, in order (applied after the values) */
	struct preset_profile *profiles;
	size_t nprofiles;
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
	/* HTTP: OSCQuery, WebSocket and the page at /ui */
	int http_port; /* 0 = off */
	int http_port_given;
	const char *http_bind;
	/* MIDI */
	int midi; /* JACK MIDI ports and maps (default on; --no-midi) */
	struct midi_spec *midi_maps; /* --midi-map and the maps of --preset files, in order */
	size_t nmidi_maps;
	int midi_map_given; /* --midi-map was on the command line (an error offline) */
	struct midi_spec *midi_learn; /* --midi-learn, in order (placeholder controllers) */
	size_t nmidi_learn;
};

/* Parse argv. On error returns a negative errno with a one-line message in err (no
 * newline). Presets are loaded and every --set is checked here, before anything runs, and
 * in JACK mode fitted to --channels (o->notice says what was skipped). An option that does
 * not apply to the mode is an error naming the mode. */
int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen);
void options_free(struct options *o);

/* Fit o->assign to nstrips strips (preset_fit_strips): 0, 1 with a notice in msg, or
 * -ENODEV with the error in msg. */
int options_fit_strips(struct options *o, unsigned nstrips, char *msg, size_t len);
void options_usage(FILE *f);

#endif
