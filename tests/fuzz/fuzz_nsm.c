/* fuzz_nsm.c: the NSM session state loader. Each input is the content of a session's
 * "<path>.chanstrip" file, opened the way /nsm/client/open does it (session_open: the
 * "strips=N" header, then the preset parser, then the strip range check); a state that
 * loads is applied to an engine of the strip count it asks for, with no audio thread, and
 * one DSP block must come out finite.
 *
 * session_open is private to nsm.c, so this file includes nsm.c: the fuzzed code is the
 * program's own, compiled here (the harness does not link the library's copy of nsm.o). */
#include "../../src/nsm.c"

#include "fuzz_common.h"

static struct engine eng;
static struct options opts = {.channels = 2};
static struct nsm nsm_state = {.in = &opts};
static char session[512], state_file[600];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[NSM_PATH_MAX + 256];
	size_t bad;

	if (!session[0]) {
		snprintf(session, sizeof(session), "%s/session", fuzz_tmpdir());
		snprintf(state_file, sizeof(state_file), "%s%s", session, NSM_STATE_SUFFIX);
	}
	FILE *f = fopen(state_file, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fuzz_die("cannot write %s", state_file);
	if (session_open(&nsm_state, session, why, sizeof(why)) != 0)
		return 0;
	if (!nsm_state.has_state)
		fuzz_die("%s exists but session_open did not load it", state_file);
	/* the JACK client sizes its engine from the session, then applies its state */
	if (eng.nstrips != nsm_state.nstrips) {
		if (eng.nstrips)
			engine_free(&eng);
		if (engine_init(&eng, nsm_state.nstrips, 48000.0f, strip_simd_select(0)) < 0)
			fuzz_die("engine_init(%u strips) failed", nsm_state.nstrips);
	} else {
		fuzz_engine_defaults(&eng);
	}
	if (engine_apply(&eng, nsm_state.state.assign, nsm_state.state.n, &bad) < 0)
		fuzz_die("session_open accepted a state the engine refuses (assignment %zu)", bad);
	preset_free(&nsm_state.state);
	fuzz_block_check(&eng, "NSM state");
	return 0;
}
