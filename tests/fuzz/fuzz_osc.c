/* fuzz_osc.c: the OSC packet handler. Each input is one UDP datagram, handled by the real
 * server (osc_feed_packet) as if it came from a local client whose socket we own; then one
 * DSP block must come out finite.
 *
 * The engine has no audio thread (as before JACK starts): values apply straight to the
 * strips, so the block after a packet already runs with what the packet set. Every input
 * starts from the default parameters; subscriptions made by earlier inputs stay (they expire
 * as in the program). Presets saved over OSC land in a private folder. A MIDI transport
 * (no JACK ports) takes /midi/... requests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "midictl.h"
#include "osc.h"

#define FUZZ_OSC_STRIPS 2

static struct engine eng;
static struct osc *srv;
static int client_fd = -1;
static struct sockaddr_in client_addr;

static void fuzz_osc_init(void)
{
	char err[256];
	socklen_t len = sizeof(client_addr);

	setenv("CHANSTRIP_PRESET_HOME", fuzz_tmpdir(), 1);
	if (engine_init(&eng, FUZZ_OSC_STRIPS, 48000.0f, strip_simd_select(0)) < 0)
		fuzz_die("engine_init failed");
	if (!(srv = osc_start(&eng, "127.0.0.1", 0, err, sizeof(err))))
		fuzz_die("%s", err);
	/* the MIDI transport, so /midi/... and presets' midi.map lines reach real maps */
	struct midictl *midi = midictl_new(&eng, NULL, 0, err, sizeof(err));
	if (!midi)
		fuzz_die("%s", err);
	osc_set_midi(srv, midi);
	/* the pretend sender: replies and errors land here and are thrown away */
	client_addr.sin_family = AF_INET;
	client_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((client_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(client_fd, (struct sockaddr *)&client_addr, sizeof(client_addr)) < 0 ||
	    getsockname(client_fd, (struct sockaddr *)&client_addr, &len) < 0)
		fuzz_die("cannot open the client socket");
}

static void drain_replies(void)
{
	char buf[2048];
	while (recv(client_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv)
		fuzz_osc_init();
	fuzz_engine_defaults(&eng);
	osc_feed_packet(srv, data, size, (const struct sockaddr *)&client_addr,
			sizeof(client_addr));
	drain_replies();
	fuzz_block_check(&eng, "OSC packet");
	return 0;
}
