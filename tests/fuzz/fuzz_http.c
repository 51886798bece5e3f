/* fuzz_http.c: what the HTTP/WebSocket transport parses itself (civetweb parses HTTP and
 * WebSocket framing). The first byte of an input chooses:
 *   0: a JSON command (http_parse_command), the rest of the input as its text;
 *   1: a WebSocket frame through a client's handler (http_feed_frame): byte 1 is the
 *      frame's FIN/opcode bits, the rest its payload (text: JSON commands; binary: OSC);
 *   2: a Host and an Origin header (http_host_ok, http_origin_ok), split at the first '\n'.
 * Then one DSP block must come out finite (a set may have changed values). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fuzz_common.h"
#include "http.h"

#define FUZZ_HTTP_STRIPS 2

static struct engine eng;
static struct http *srv;

static void fuzz_http_init(void)
{
	char err[256];
	setenv("CHANSTRIP_PRESET_HOME", fuzz_tmpdir(), 1);
	if (engine_init(&eng, FUZZ_HTTP_STRIPS, 48000.0f, strip_simd_select(0)) < 0)
		fuzz_die("engine_init failed");
	if (!(srv = http_new_unbound(&eng, err, sizeof(err))))
		fuzz_die("%s", err);
}

static void headers(const uint8_t *d, size_t n)
{
	char host[512], origin[512];
	const uint8_t *nl = memchr(d, '\n', n);
	size_t hl = nl ? (size_t)(nl - d) : n;
	snprintf(host, sizeof(host), "%.*s", (int)(hl < 511 ? hl : 511), (const char *)d);
	size_t ol = nl ? n - hl - 1 : 0;
	snprintf(origin, sizeof(origin), "%.*s", (int)(ol < 511 ? ol : 511),
		 nl ? (const char *)nl + 1 : "");
	(void)http_host_ok(srv, host);
	(void)http_origin_ok(nl ? origin : NULL, host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_cmd cmd;
	char why[CTL_REASON_MAX];
	if (!srv)
		fuzz_http_init();
	if (size < 1)
		return 0;
	fuzz_engine_defaults(&eng);
	switch (data[0] % 3) {
	case 0: (void)http_parse_command((const char *)data + 1, size - 1, &cmd, why); break;
	case 1:
		if (size >= 2)
			(void)http_feed_frame(srv, data[1], (const char *)data + 2, size - 2);
		break;
	default: headers(data + 1, size - 1); break;
	}
	fuzz_block_check(&eng, "HTTP input");
	return 0;
}
