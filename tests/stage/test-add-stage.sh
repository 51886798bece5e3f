#!/bin/bash
# test-add-stage.sh SOURCE_ROOT: adding a stage is its own .h/.c pair, its parameter rows, one
# row of the chain, one line of dsp/meson.build, and nothing else.
#
# Copies the source tree to a temp folder, adds a test-only gain stage "tgain" (it reports
# its gain as gain reduction) with exactly those edits, builds the program and the man page
# (-Dwerror=true), and checks that the stage appears everywhere a stage must, with no other
# edit: --list-params, the offline --meters CSV header (tgain_gr_db, between the de-esser's
# and the output's fields) and its values, the audio (its gain is applied), the man page
# (parameters, chain diagram, meter fields) and, over real OSC on a dummy-backend jackd,
# /params and a get of the new parameter.
# Environment: FIXTURES (tests/fixtures). Exit 0 pass, 1 fail, 77 skip (no jackd or
# liblo-tools: the JACK part only).
src=$1
CHANSTRIP=/nonexistent # set once built; lib.sh's start_chanstrip runs it
# shellcheck source=../jack/lib.sh
. "$src/tests/jack/lib.sh"
command -v oscsend >/dev/null || skip "oscsend (liblo-tools) is not installed"
command -v oscdump >/dev/null || skip "oscdump (liblo-tools) is not installed"

tree=$TMP/tree
mkdir -p "$tree"
# the source files (tracked, or new and not ignored, when a git checkout; else all but builds)
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z -co --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$tree" -xf - ||
		fail "cannot copy the tree"
else
	(cd "$src" && tar --exclude='./build*' -cf - .) | tar -C "$tree" -xf - ||
		fail "cannot copy the tree"
fi

# ---- the stage: its own .h/.c pair ----
cat >"$tree/dsp/teststage.h" <<'H'
/* teststage.h: a test-only gain stage (tests/stage/test-add-stage.sh). */
#ifndef CHANSTRIP_TESTSTAGE_H
#define CHANSTRIP_TESTSTAGE_H

#include "stage.h"

struct tgain {
	int enabled;
	float gain;     /* linear */
	float min_gain; /* lowest gain applied since the meter took it */
};

extern const struct stage_desc tgain_stage;

#endif
H
cat >"$tree/dsp/teststage.c" <<'C'
#include "teststage.h"

#include <errno.h>

#include "dsp.h"

static int tgain_init(void *st, float fs)
{
	struct tgain *t = st;
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	t->min_gain = 1.0f;
	return 0;
}

static void tgain_reset(void *st) { ((struct tgain *)st)->min_gain = 1.0f; }

static void tgain_set(void *st, unsigned idx, float v)
{
	struct tgain *t = st;
	if (P_TGAIN_ENABLE + (int)idx == P_TGAIN_ENABLE)
		t->enabled = v != 0.0f;
	else
		t->gain = dsp_db_to_gain(v);
}

static int tgain_idle(const void *st) { return !((const struct tgain *)st)->enabled; }

static void tgain_lanes(void *const *st, unsigned nl, const float *const *in, float *const *out,
			const float **res, uint32_t n)
{
	for (unsigned l = 0; l < nl; l++) {
		struct tgain *t = st[l];
		for (uint32_t i = 0; i < n; i++)
			out[l][i] = in[l][i] * t->gain;
		t->min_gain = t->gain < t->min_gain ? t->gain : t->min_gain;
		res[l] = out[l];
	}
}

static float tgain_gr_take(void *st) { return stage_take_gain(&((struct tgain *)st)->min_gain); }

const struct stage_desc tgain_stage = {
	.name = "tgain",
	.label = "test gain",
	.first = P_TGAIN_ENABLE,
	.last = P_TGAIN_GAIN,
	.init = tgain_init,
	.reset = tgain_reset,
	.set = tgain_set,
	.process_lanes = tgain_lanes,
	.idle = tgain_idle,
	.gr_take = tgain_gr_take,
};
C

# ---- its parameter rows, its chain row, its source line: each edit must apply ----
# insert FILE before|after LINE: the lines on stdin go before/after the one line equal to LINE
insert() {
	local f=$tree/$1
	ADD=$(cat) WHERE=$2 AT=$3 awk '
		$0 == ENVIRON["AT"] { n++; if (ENVIRON["WHERE"] == "before") print ENVIRON["ADD"] }
		{ print }
		$0 == ENVIRON["AT"] && ENVIRON["WHERE"] == "after" { print ENVIRON["ADD"] }
		END { exit n != 1 }' "$f" >"$f.new" ||
		fail "$1: no single line '$3' to insert at (the file changed: update this test)"
	mv "$f.new" "$f"
}
insert dsp/params.h before $'\t/* output and metering */' <<'ROWS'
	/* test gain */
	P_TGAIN_ENABLE,
	P_TGAIN_GAIN,
ROWS
# (the table's initialisers are designated: the rows may go at its end)
insert dsp/params.c before '};' <<'ROWS'
	[P_TGAIN_ENABLE] = {"tgain.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL,
			    0, "test gain on"},
	[P_TGAIN_GAIN] = {"tgain.gain", "dB", -24, 0, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			  "test gain"},
ROWS
insert dsp/chain.h after '#include "preamp.h"' <<'ROWS'
#include "teststage.h"
ROWS
insert dsp/chain.h before $'\tX(out, OUT, outgain, NOGR)         \\' <<'ROWS'
	X(tgain, TGAIN, tgain, GR)         \
ROWS
insert dsp/meson.build after "  'strip.c'," <<'ROWS'
  'teststage.c',
ROWS
log "edited (lines naming tgain): $(cd "$tree" &&
	grep -ci tgain dsp/params.h dsp/params.c dsp/chain.h dsp/meson.build | tr '\n' ' ')"

# ---- build the program and the man page only ----
bld=$TMP/build
meson setup "$bld" "$tree" -Dwerror=true >"$TMP/setup.log" 2>&1 || fail "meson setup"
meson compile -C "$bld" chanstrip chanstrip.1 >"$TMP/compile.log" 2>&1 || fail "meson compile"
CHANSTRIP=$bld/src/chanstrip
log "built $CHANSTRIP"

# ---- --list-params ----
"$CHANSTRIP" --list-params --format tsv >"$TMP/params.tsv" || fail "--list-params"
for k in tgain.enable tgain.gain; do
	grep -q "^$k	" "$TMP/params.tsv" || fail "--list-params lacks $k"
done
log "ok: --list-params has tgain.enable and tgain.gain"

# ---- the meters CSV header and values, and the audio ----
in=$FIXTURES/regress-in.wav
"$CHANSTRIP" --offline "$in" "$TMP/out.wav" --set tgain.enable=1 --set tgain.gain=-6 \
	--meters "$TMP/m.csv" 2>"$TMP/offline.log" || fail "offline run"
head -1 "$TMP/m.csv" | grep -q ',deess_gr_db,tgain_gr_db,lim_gr_db,out_peak_dbfs,' ||
	fail "meters CSV header lacks tgain_gr_db between deess_gr_db and lim_gr_db: $(head -1 "$TMP/m.csv")"
gr=$(sed -n 2p "$TMP/m.csv" | cut -d, -f"$(head -1 "$TMP/m.csv" | tr ',' '\n' |
	grep -n '^tgain_gr_db$' | cut -d: -f1)")
[ "$gr" = "6.00" ] || fail "tgain_gr_db reads $gr, want 6.00"
"$CHANSTRIP" --offline "$in" "$TMP/ref.wav" --meters "$TMP/ref.csv" 2>/dev/null ||
	fail "offline reference run"
# col CSV FIELD: the column of FIELD; max_of CSV FIELD: its largest value
col() { head -1 "$1" | tr ',' '\n' | grep -n "^$2\$" | cut -d: -f1; }
max_of() { tail -n +2 "$1" | cut -d, -f"$(col "$1" "$2")" | sort -g | tail -1; }
out_pk=$(max_of "$TMP/m.csv" out_peak_dbfs)
ref_pk=$(max_of "$TMP/ref.csv" out_peak_dbfs)
awk -v a="$out_pk" -v b="$ref_pk" 'BEGIN { d = b - a - 6.0; exit !(d < 0.02 && d > -0.02) }' ||
	fail "the stage is not in the audio: output peak $out_pk dBFS, without it $ref_pk"
log "ok: meters CSV has tgain_gr_db = $gr; output peak $out_pk dBFS (without: $ref_pk)"

# ---- the man page ----
man=$bld/man/chanstrip.1
grep -q '^\.B tgain\\\\\?\.gain$\|^\.B tgain\.gain$' "$man" || fail "man page lacks tgain.gain"
grep -q '^\.B .*\btgain_gr_db\b' "$man" || fail "man page meter list lacks tgain_gr_db"
grep -q 'test gain' "$man" || fail "man page chain diagram lacks the stage"
log "ok: man page has the parameters, the meter field and the chain entry"

# ---- /params and a get over real OSC ----
start_jackd 256
OSCP=$(free_udp_port)
DUMPP=$(free_udp_port)
oscdump -L "$DUMPP" >"$TMP/dump.txt" 2>"$TMP/oscdump.log" &
PIDS+=($!)
start_chanstrip cs -c 1 --no-connect --osc-port "$OSCP" --set tgain.gain=-3
url=osc.udp://127.0.0.1:$DUMPP/
sleep 0.2
oscsend 127.0.0.1 "$OSCP" /params s "$url" || fail "oscsend /params"
oscsend 127.0.0.1 "$OSCP" /strip/1/tgain/gain s "$url" || fail "oscsend get"
wait_until 5 grep -q '/params/end' "$TMP/dump.txt" || fail "no /params/end from chanstrip"
wait_until 5 grep -q '^.*/strip/1/tgain/gain f -3' "$TMP/dump.txt" ||
	fail "no reply to a get of /strip/1/tgain/gain: $(tail -3 "$TMP/dump.txt")"
for p in gain enable; do
	grep -q "/param .*/strip/\*/tgain/$p" "$TMP/dump.txt" || fail "/params does not list tgain/$p"
done
log "ok: /params lists tgain/enable and tgain/gain; /strip/1/tgain/gain reads -3"
log "PASS"
