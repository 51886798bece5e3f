/* options.c: the command line: one small handler per option that takes a value, then the
 * checks of what the options say together. */
#include "options.h"

#include "autogain.h"

#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "preset.h"

void options_usage(FILE *f)
{
	fputs("usage: chanstrip [options]                      run as a JACK client\n"
	      "       chanstrip --offline IN.wav OUT.wav [options]\n"
	      "       chanstrip --list-params [--format text|tsv|man|markdown]\n"
	      "\n"
	      "  -c, --channels N        strips (JACK mode; default 2)\n"
	      "  -n, --name NAME         JACK client name (default chanstrip)\n"
	      "      --server NAME       JACK server to connect to (default: the default server)\n"
	      "      --connect PATTERN   capture ports feeding the strips, in order\n"
	      "                          (default: the physical capture ports)\n"
	      "      --no-connect        leave the inputs unconnected\n"
	      "      --connect-out PATTERN  playback/DAW ports for the outputs, in order\n"
	      "      --reconnect         when the JACK server goes away, wait and come back\n"
	      "      --meter-view        full-screen meters on the terminal (q quits)\n"
	      "  -p, --osc-port PORT     OSC UDP port (default 9010; 0 = no OSC)\n"
	      "      --osc-bind ADDR     OSC listen address (default 127.0.0.1)\n"
	      "      --http-port PORT    OSCQuery/WebSocket/page port (default 9011; 0 = off)\n"
	      "      --http-bind ADDR    HTTP listen address (default 127.0.0.1)\n"
	      "  -P, --preset NAME|FILE  apply a preset (repeatable, in order with --set)\n"
	      "  -s, --set [N:]KEY=VALUE set a parameter on strip N or all strips (repeatable)\n"
	      "      --midi, --no-midi   JACK MIDI ports midi_in/midi_out (default on)\n"
	      "      --midi-map 'PATH CH CTL [MODE] [MIN MAX]'  map a MIDI controller (repeatable)\n"
	      "      --midi-learn 'PATH [MODE] [MIN MAX]'  map the next controller that moves\n"
	      "                          (repeatable: learnt in order)\n"
	      "      --offline IN OUT    process a WAV file instead of running under JACK\n"
	      "      --meters FILE.csv   (offline) write meter rows every 50 ms per strip\n"
	      "      --block N           (offline) processing block, 1..65536 (default 256)\n"
	      "      --out-format F      (offline) float (default), pcm16, pcm24, pcm32\n"
	      "      --allow-clip        (offline) write PCM output even where it clips\n"
	      "      --autogain[=S[:T]]  set pre.gain so input peaks land on T dBFS (default\n"
	      "                          -12): listen S s at start-up (default 10); offline:\n"
	      "                          analyse the whole file first\n"
	      "      --loudness-target LUFS (offline) two passes: measure, then set the output\n"
	      "                          gain (before the limiter) for this integrated loudness\n"
	      "      --simd auto|c       c forces the scalar reference kernels\n"
	      "      --list-params       print the parameter table\n"
	      "  -h, --help              this text\n"
	      "  -V, --version           version and SIMD variant\n",
	      f);
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi || s[0] == '-')
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* A numeric address must parse (so a typo fails here, before JACK is touched); host names
 * are left to the OSC server's resolver. */
static int bind_addr_ok(const char *a)
{
	unsigned char buf[16];
	if (!*a)
		return 0;
	if (strchr(a, ':'))
		return inet_pton(AF_INET6, a, buf) == 1;
	if (strspn(a, "0123456789.") == strlen(a))
		return inet_pton(AF_INET, a, buf) == 1;
	return 1;
}

/* Append n assignments; src NULL for --set (preset 0). */
static int push_assign(struct options *o, const struct param_assign *a,
		       const struct param_src *src, size_t n)
{
	struct param_assign *p = realloc(o->assign, (o->nassign + n) * sizeof(*p));
	if (p)
		o->assign = p;
	struct param_src *q = p ? realloc(o->src, (o->nassign + n) * sizeof(*q)) : NULL;
	if (!q)
		return -ENOMEM;
	o->src = q;
	memcpy(p + o->nassign, a, n * sizeof(*a));
	for (size_t i = 0; i < n; i++)
		q[o->nassign + i] = src ? (struct param_src){o->npresets, src[i].line}
					: (struct param_src){0, 0};
	o->nassign += n;
	return 0;
}

enum {
	OPT_OFFLINE = 256,
	OPT_LIST,
	OPT_FORMAT,
	OPT_CONNECT,
	OPT_NO_CONNECT,
	OPT_CONNECT_OUT,
	OPT_OSC_BIND,
	OPT_METERS,
	OPT_BLOCK,
	OPT_SIMD,
	OPT_RECONNECT,
	OPT_METER_VIEW,
	OPT_OUT_FORMAT,
	OPT_ALLOW_CLIP,
	OPT_LOUDNESS_TARGET,
	OPT_AUTOGAIN,
	OPT_SERVER,
	OPT_HTTP_PORT,
	OPT_HTTP_BIND,
	OPT_MIDI,
	OPT_NO_MIDI,
	OPT_MIDI_MAP,
	OPT_MIDI_LEARN,
};

static const struct option longopts[] = {
	{"channels", required_argument, 0, 'c'},
	{"name", required_argument, 0, 'n'},
	{"server", required_argument, 0, OPT_SERVER},
	{"connect", required_argument, 0, OPT_CONNECT},
	{"no-connect", no_argument, 0, OPT_NO_CONNECT},
	{"connect-out", required_argument, 0, OPT_CONNECT_OUT},
	{"reconnect", no_argument, 0, OPT_RECONNECT},
	{"meter-view", no_argument, 0, OPT_METER_VIEW},
	{"osc-port", required_argument, 0, 'p'},
	{"osc-bind", required_argument, 0, OPT_OSC_BIND},
	{"http-port", required_argument, 0, OPT_HTTP_PORT},
	{"http-bind", required_argument, 0, OPT_HTTP_BIND},
	{"preset", required_argument, 0, 'P'},
	{"set", required_argument, 0, 's'},
	{"midi", no_argument, 0, OPT_MIDI},
	{"no-midi", no_argument, 0, OPT_NO_MIDI},
	{"midi-map", required_argument, 0, OPT_MIDI_MAP},
	{"midi-learn", required_argument, 0, OPT_MIDI_LEARN},
	{"offline", no_argument, 0, OPT_OFFLINE},
	{"meters", required_argument, 0, OPT_METERS},
	{"block", required_argument, 0, OPT_BLOCK},
	{"out-format", required_argument, 0, OPT_OUT_FORMAT},
	{"allow-clip", no_argument, 0, OPT_ALLOW_CLIP},
	{"loudness-target", required_argument, 0, OPT_LOUDNESS_TARGET},
	{"autogain", optional_argument, 0, OPT_AUTOGAIN},
	{"simd", required_argument, 0, OPT_SIMD},
	{"list-params", no_argument, 0, OPT_LIST},
	{"format", required_argument, 0, OPT_FORMAT},
	{"help", no_argument, 0, 'h'},
	{"version", no_argument, 0, 'V'},
	{0, 0, 0, 0},
};

/* Every option handler: 0, or a negative errno with the message in err. */

static int opt_channels(struct options *o, const char *arg, char *err, size_t errlen)
{
	if (parse_uint(arg, 1, 256, &o->channels) < 0) {
		snprintf(err, errlen, "--channels: '%s' is not a number from 1 to 256", arg);
		return -EINVAL;
	}
	o->channels_given = 1;
	return 0;
}

static int opt_name(struct options *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg) {
		snprintf(err, errlen, "--name: empty client name");
		return -EINVAL;
	}
	o->name = arg;
	return 0;
}

static int opt_osc_port(struct options *o, const char *arg, char *err, size_t errlen)
{
	unsigned port;
	if (parse_uint(arg, 0, 65535, &port) < 0) {
		snprintf(err, errlen, "--osc-port: '%s' is not a port (0 to 65535)", arg);
		return -EINVAL;
	}
	o->osc_port = (int)port;
	o->osc_port_given = 1;
	return 0;
}

static int opt_osc_bind(struct options *o, const char *arg, char *err, size_t errlen)
{
	if (!bind_addr_ok(arg)) {
		snprintf(err, errlen,
			 "--osc-bind: '%s' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, "
			 "::1)",
			 arg);
		return -EINVAL;
	}
	o->osc_bind = arg;
	return 0;
}

static int opt_http(struct options *o, int c, const char *arg, char *err, size_t errlen)
{
	unsigned port;
	if (c == OPT_HTTP_BIND) {
		/* Debian's civetweb is built without IPv6 */
		if (strchr(arg, ':') || !bind_addr_ok(arg)) {
			snprintf(err, errlen, "--http-bind: '%s' is not an IPv4 address or host name "
					      "(e.g. 127.0.0.1, 0.0.0.0)", arg);
			return -EINVAL;
		}
		o->http_bind = arg;
		return 0;
	}
	if (parse_uint(arg, 0, 65535, &port) < 0) {
		snprintf(err, errlen, "--http-port: '%s' is not a port (0 to 65535)", arg);
		return -EINVAL;
	}
	o->http_port = (int)port;
	o->http_port_given = 1;
	return 0;
}

static int push_midi(struct options *o, const struct midi_spec *s, size_t n)
{
	struct midi_spec *v = realloc(o->midi_maps, (o->nmidi_maps + n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (n)
		memcpy(v + o->nmidi_maps, s, n * sizeof(*s));
	o->midi_maps = v;
	o->nmidi_maps += n;
	return 0;
}

static int opt_midi_map(struct options *o, const char *arg, char *err, size_t errlen)
{
	struct midi_spec s;
	char why[256];
	if (midi_spec_parse(arg, &s, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--midi-map '%s': %s", arg, why);
		return -EINVAL;
	}
	if (push_midi(o, &s, 1) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o->midi_map_given = 1;
	return 0;
}

/* 'PATH [MODE] [MIN MAX]': a map spec with a placeholder controller (channel 1, CC 0) that
 * the controller learnt replaces, as /midi/learn takes it. */
static int opt_midi_learn(struct options *o, const char *arg, char *err, size_t errlen)
{
	struct midi_spec s;
	char why[256], text[300];
	size_t k = strcspn(arg, " \t");
	int words = 0;
	for (const char *c = arg; *c; c++)
		words += (*c != ' ' && *c != '\t') && (c == arg || c[-1] == ' ' || c[-1] == '\t');
	if (words < 1 || words > 4 || words == 3)
		snprintf(why, sizeof(why), "expected PATH [MODE] [MIN MAX]");
	else if (snprintf(text, sizeof(text), "%.*s 1 0%s", (int)k, arg, arg + k) >=
		 (int)sizeof(text))
		snprintf(why, sizeof(why), "too long");
	else if (midi_spec_parse(text, &s, why, sizeof(why)) == 0) {
		struct midi_spec *v = realloc(o->midi_learn, (o->nmidi_learn + 1) * sizeof(*v));
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		v[o->nmidi_learn++] = s;
		o->midi_learn = v;
		return 0;
	}
	snprintf(err, errlen, "--midi-learn '%s': %s", arg, why);
	return -EINVAL;
}

static int opt_preset(struct options *o, const char *arg, char *err, size_t errlen)
{
	struct preset p;
	char why[512];
	int rc = preset_load(arg, &p, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "--preset: %s", why);
		return rc;
	}
	char path[1024];
	if (preset_name_valid(arg) && preset_find_name(arg, path, sizeof(path)) == 0)
		preset_hides_shipped(arg, path, o->notice, sizeof(o->notice));
	const char **names = realloc(o->preset_names, (o->npresets + 1) * sizeof(*names));
	if (!names) {
		preset_free(&p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o->preset_names = names;
	names[o->npresets++] = arg;
	rc = push_assign(o, p.assign, p.src, p.n);
	if (rc == 0 && p.nprofiles) {
		struct preset_profile *q = realloc(o->profiles, (o->nprofiles + p.nprofiles) *
								   sizeof(*q));
		if (!q)
			rc = -ENOMEM;
		else {
			memcpy(q + o->nprofiles, p.profiles, p.nprofiles * sizeof(*q));
			o->profiles = q;
			o->nprofiles += p.nprofiles;
		}
	}
	if (!rc && p.nmidi) { /* a preset with maps replaces the maps given before it */
		o->nmidi_maps = 0;
		rc = push_midi(o, p.midi, p.nmidi);
	}
	preset_free(&p);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

static int opt_set(struct options *o, const char *arg, char *err, size_t errlen)
{
	struct param_assign a;
	char why[512];
	int rc = paramio_parse_assign(arg, '=', &a, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "--set %s: %s", arg, why);
		return rc;
	}
	if ((rc = push_assign(o, &a, NULL, 1)) < 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* JACK matches port names with extended regular expressions: a pattern that does not
 * compile would otherwise be reported later as one that matches no port. */
static int opt_pattern(const char **dst, const char *opt, const char *arg, char *err,
		       size_t errlen)
{
	regex_t re;
	int rc = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char why[128];
		regerror(rc, &re, why, sizeof(why));
		snprintf(err, errlen, "%s: '%s' is not a valid pattern (extended regular expression: "
				      "%s)", opt, arg, why);
		return -EINVAL;
	}
	regfree(&re);
	*dst = arg;
	return 0;
}

static int opt_block(struct options *o, const char *arg, char *err, size_t errlen)
{
	if (parse_uint(arg, 1, 65536, &o->block) < 0) {
		snprintf(err, errlen, "--block: '%s' is not a number from 1 to 65536", arg);
		return -EINVAL;
	}
	return 0;
}

/* --autogain[=SECONDS[:TARGET_DBFS]] */
static int opt_autogain(struct options *o, const char *arg, char *err, size_t errlen)
{
	float secs = AUTOGAIN_SECONDS_DEF, target = AUTOGAIN_TARGET_DEF;
	if (arg) {
		char *end;
		errno = 0;
		secs = strtof(arg, &end);
		if (!errno && *end == ':')
			target = strtof(end + 1, &end);
		if (errno || *end || !(secs >= AUTOGAIN_SECONDS_MIN && secs <= AUTOGAIN_SECONDS_MAX) ||
		    !(target >= AUTOGAIN_TARGET_MIN && target <= AUTOGAIN_TARGET_MAX)) {
			snprintf(err, errlen, "--autogain: '%s' is not SECONDS[:TARGET_DBFS] with "
					      "seconds %g..%g and a target %g..%g dBFS", arg,
				 (double)AUTOGAIN_SECONDS_MIN, (double)AUTOGAIN_SECONDS_MAX,
				 (double)AUTOGAIN_TARGET_MIN, (double)AUTOGAIN_TARGET_MAX);
			return -EINVAL;
		}
	}
	o->autogain = 1;
	o->autogain_s = secs;
	o->autogain_target_dbfs = target;
	return 0;
}

static int opt_loudness_target(struct options *o, const char *arg, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	float v = strtof(arg, &end);
	if (errno || end == arg || *end || !(v >= -50.0f && v <= 0.0f)) {
		snprintf(err, errlen, "--loudness-target: '%s' is not a loudness from -50 to 0 LUFS "
				      "(e.g. -16 podcast, -23 EBU R128, -24 ATSC A/85)", arg);
		return -EINVAL;
	}
	o->loudness_target = v;
	o->loudness_target_given = 1;
	return 0;
}

static int opt_out_format(struct options *o, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "float") && strcmp(arg, "pcm16") && strcmp(arg, "pcm24") &&
	    strcmp(arg, "pcm32")) {
		snprintf(err, errlen, "--out-format: '%s' is not float, pcm16, pcm24 or pcm32", arg);
		return -EINVAL;
	}
	o->out_format = arg;
	return 0;
}

static int opt_simd(struct options *o, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "auto") && strcmp(arg, "c")) {
		snprintf(err, errlen, "--simd: '%s' is not auto or c", arg);
		return -EINVAL;
	}
	o->force_c = !strcmp(arg, "c");
	return 0;
}

static int opt_format(struct options *o, const char *arg, char *err, size_t errlen)
{
	if (paramio_list_format_parse(arg, &o->list_format) < 0) {
		snprintf(err, errlen, "--format: '%s' is not text, tsv, man or markdown", arg);
		return -EINVAL;
	}
	return 0;
}

/* Remember the first option given that only one mode takes (its long name). */
static void opt_note_mode(struct options *o, int c)
{
	const char **slot = NULL;
	switch (c) {
	case 'c': case 'n': case 'p': case OPT_SERVER: case OPT_CONNECT: case OPT_NO_CONNECT:
	case OPT_CONNECT_OUT: case OPT_RECONNECT: case OPT_METER_VIEW: case OPT_OSC_BIND:
	case OPT_HTTP_PORT: case OPT_HTTP_BIND: case OPT_MIDI: case OPT_NO_MIDI: case OPT_MIDI_MAP:
	case OPT_MIDI_LEARN:
		slot = &o->jack_only;
		break;
	case OPT_METERS: case OPT_BLOCK: case OPT_OUT_FORMAT: case OPT_ALLOW_CLIP:
	case OPT_LOUDNESS_TARGET:
		slot = &o->offline_only;
		break;
	case OPT_FORMAT:
		slot = &o->list_only;
		break;
	default:
		return;
	}
	for (int i = 0; longopts[i].name && !*slot; i++)
		if (longopts[i].val == c)
			*slot = longopts[i].name;
}

/* One option c from getopt_long, its value in optarg. */
static int opt_one(struct options *o, int c, char **argv, char *err, size_t errlen)
{
	opt_note_mode(o, c);
	switch (c) {
	case 'c': return opt_channels(o, optarg, err, errlen);
	case 'n': return opt_name(o, optarg, err, errlen);
	case OPT_SERVER: o->server = optarg; return 0;
	case OPT_CONNECT: return opt_pattern(&o->connect, "--connect", optarg, err, errlen);
	case OPT_NO_CONNECT: o->no_connect = 1; return 0;
	case OPT_CONNECT_OUT:
		return opt_pattern(&o->connect_out, "--connect-out", optarg, err, errlen);
	case OPT_RECONNECT: o->reconnect = 1; return 0;
	case OPT_METER_VIEW: o->meter_view = 1; return 0;
	case 'p': return opt_osc_port(o, optarg, err, errlen);
	case OPT_OSC_BIND: return opt_osc_bind(o, optarg, err, errlen);
	case OPT_HTTP_PORT:
	case OPT_HTTP_BIND: return opt_http(o, c, optarg, err, errlen);
	case 'P': return opt_preset(o, optarg, err, errlen);
	case 's': return opt_set(o, optarg, err, errlen);
	case OPT_MIDI: o->midi = 1; return 0;
	case OPT_NO_MIDI: o->midi = 0; return 0;
	case OPT_MIDI_MAP: return opt_midi_map(o, optarg, err, errlen);
	case OPT_MIDI_LEARN: return opt_midi_learn(o, optarg, err, errlen);
	case OPT_OFFLINE: o->mode = MODE_OFFLINE; return 0;
	case OPT_METERS: o->meters_path = optarg; return 0;
	case OPT_BLOCK: return opt_block(o, optarg, err, errlen);
	case OPT_OUT_FORMAT: return opt_out_format(o, optarg, err, errlen);
	case OPT_ALLOW_CLIP: o->allow_clip = 1; return 0;
	case OPT_LOUDNESS_TARGET: return opt_loudness_target(o, optarg, err, errlen);
	case OPT_AUTOGAIN: return opt_autogain(o, optarg, err, errlen);
	case OPT_SIMD: return opt_simd(o, optarg, err, errlen);
	case OPT_LIST: o->mode = MODE_LIST_PARAMS; return 0;
	case OPT_FORMAT: return opt_format(o, optarg, err, errlen);
	case 'h': o->mode = MODE_HELP; return 0;
	case 'V': o->mode = MODE_VERSION; return 0;
	case ':':
		snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		return -EINVAL;
	default:
		snprintf(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
		return -EINVAL;
	}
}

/* One rule: an option that does not apply to the mode is an error naming the mode and the
 * mode it is for. */
static int opt_check_mode(const struct options *o, char *err, size_t errlen)
{
	static const char *const mode_name[] = {
		[MODE_JACK] = "JACK mode", [MODE_OFFLINE] = "--offline",
		[MODE_LIST_PARAMS] = "--list-params"};
	const char *bad = NULL, *for_ = NULL, *why = "";
	if (o->mode != MODE_JACK && o->jack_only) {
		bad = o->jack_only;
		for_ = "JACK mode";
		if (o->mode == MODE_OFFLINE && o->channels_given)
			why = "; offline runs one strip per channel of IN.wav";
	} else if (o->mode != MODE_OFFLINE && o->offline_only) {
		bad = o->offline_only;
		for_ = "--offline";
		if (o->mode == MODE_JACK && o->meters_path)
			why = "; JACK mode sends meters over OSC";
	} else if (o->mode != MODE_LIST_PARAMS && o->list_only) {
		bad = o->list_only;
		for_ = "--list-params";
	}
	if (!bad)
		return 0;
	snprintf(err, errlen, "--%s does not apply to %s: it is for %s%s", bad, mode_name[o->mode],
		 for_, why);
	return -EINVAL;
}

int options_fit_strips(struct options *o, unsigned nstrips, char *msg, size_t len)
{
	return preset_fit_strips(o->assign, o->src, &o->nassign, nstrips, o->preset_names, o->npresets,
				 msg, len);
}

/* What the options say together, and the operands (argv[optind..]). */
static int opt_check(struct options *o, int argc, char **argv, char *err, size_t errlen)
{
	if (o->mode == MODE_HELP || o->mode == MODE_VERSION)
		return 0;
	if (opt_check_mode(o, err, errlen) < 0)
		return -EINVAL;
	if (o->mode == MODE_OFFLINE) {
		if (argc - optind != 2) {
			snprintf(err, errlen, "--offline needs IN.wav and OUT.wav");
			return -EINVAL;
		}
		o->in_path = argv[optind];
		o->out_path = argv[optind + 1];
	} else if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	} else if (o->mode == MODE_JACK) {
		/* --channels is known now: a --set for a strip past it is a bad command line */
		char msg[256];
		int rc = options_fit_strips(o, o->channels, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "%s", msg);
			return rc;
		}
		size_t n = strlen(o->notice);
		if (rc > 0)
			snprintf(o->notice + n, sizeof(o->notice) - n, "%s%s", n ? "; " : "", msg);
	}
	if (o->nmidi_learn && !o->midi) {
		snprintf(err, errlen, "--midi-learn needs the MIDI ports (--no-midi turns them off)");
		return -EINVAL;
	}
	if (o->no_connect && o->connect) {
		snprintf(err, errlen, "--connect and --no-connect contradict each other");
		return -EINVAL;
	}
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->mode = MODE_JACK;
	o->channels = 2;
	o->name = "chanstrip";
	o->block = 256;
	o->out_format = "float";
	o->osc_port = OSC_DEFAULT_PORT;
	o->osc_bind = "127.0.0.1";
	o->http_port = HTTP_DEFAULT_PORT;
	o->http_bind = "127.0.0.1";
	o->midi = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:n:p:P:s:hV", longopts, NULL)) != -1)
		if ((rc = opt_one(o, c, argv, err, errlen)) < 0)
			return rc;
	return opt_check(o, argc, argv, err, errlen);
}

void options_free(struct options *o)
{
	free(o->assign);
	free(o->src);
	free(o->preset_names);
	free(o->profiles);
	free(o->midi_maps);
	free(o->midi_learn);
	o->midi_learn = NULL;
	o->nmidi_learn = 0;
	o->assign = NULL;
	o->src = NULL;
	o->preset_names = NULL;
	o->nassign = 0;
	o->npresets = 0;
	o->profiles = NULL;
	o->nprofiles = 0;
	o->midi_maps = NULL;
	o->nmidi_maps = 0;
}
