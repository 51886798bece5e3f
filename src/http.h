/* http.h: the HTTP + WebSocket server (civetweb): OSCQuery's namespace over HTTP, value
 * streams and sets over a WebSocket, and the browser page at /ui. A transport over the
 * control layer (control.h), like osc.c: nothing here touches DSP state directly. */
#ifndef CHANSTRIP_HTTP_H
#define CHANSTRIP_HTTP_H

#include <stddef.h>

#include "engine.h"

/* Limits, documented in chanstrip(1). */
#define HTTP_DEFAULT_PORT 9011
#define HTTP_WS_MAX_CLIENTS 8          /* more WebSocket connections are refused (503) */
#define HTTP_WS_PROMISE_S 10.0         /* a handshake accepted but never made ready frees its slot */
#define HTTP_WS_FRAME_MAX 65536        /* a larger incoming frame closes the connection */
#define HTTP_WS_QUEUE_BYTES (256 << 10) /* per client: a slow reader past this is dropped */
#define HTTP_WS_MSGS_PER_S 2000        /* incoming frames per second per client ... */
#define HTTP_WS_MSGS_BURST 12000       /* ... after a burst this large (a page's LISTENs) */
#define HTTP_WS_IO_TIMEOUT_MS 2000     /* a write that cannot proceed this long fails */
#define HTTP_WS_FRAME_TIMEOUT_MS 5000  /* a frame begun must be whole within this */
#define HTTP_WS_PING_S 2.0             /* a silent client is pinged this often ... */
#define HTTP_WS_PINGS_MAX 5            /* ... and closed after this many pings' silence */

struct http_config {
	const char *bind;     /* numeric IPv4 address or host name; NULL: 127.0.0.1 */
	int port;             /* 1..65535 */
	const char *name;     /* HOST_INFO's NAME (the JACK client name) */
	const char *osc_bind; /* the UDP OSC server's address for HOST_INFO ... */
	int osc_port;         /* ... and port; 0: no OSC server */
	const char *web_dir;  /* the page's files; NULL: installed, else the source tree */
};

struct http;

/* Listen on cfg->bind:cfg->port. Registers an engine listener (feedback) and a meter
 * reader. NULL with a message in err on failure. */
struct http *http_start(struct engine *e, const struct http_config *cfg, char *err,
			size_t errlen);
/* http://host:port/ as the log line shows it. */
const char *http_url(const struct http *h);
void http_stop(struct http *h);

/* ---- parsing, exposed for the fuzz harness ------------------------------------------- */

#define HTTP_CMD_STR_MAX 256
struct http_cmd {
	char command[32];
	char data[HTTP_CMD_STR_MAX]; /* DATA as a string ("" when absent or a number) */
	double num;                  /* DATA or RATE as a number */
	int has_num;
	double rate_hz; /* RATE; < 0 when absent */
};
/* A WebSocket text frame: one flat JSON object {"COMMAND": "...", "DATA": "..."|number,
 * "RATE": number}. 0, or -1 with the reason in why (CTL_REASON_MAX). */
int http_parse_command(const char *text, size_t n, struct http_cmd *cmd, char *why);
/* Whether a request's Host header names this server (DNS rebinding guard): localhost,
 * a numeric address, the bind host or this machine's name, with our port or none. */
int http_host_ok(const struct http *h, const char *host);
/* Whether an Origin header (NULL: none) is this server's own origin for host. */
int http_origin_ok(const char *origin, const char *host);
/* Tests and fuzzing: a server without a socket over e (http_stop frees it). */
struct http *http_new_unbound(struct engine *e, char *err, size_t errlen);
/* Fuzzing: run one WebSocket frame (opcode, payload) through a fake client's handler.
 * 1: the connection stays, 0: it would be closed. */
int http_feed_frame(struct http *h, int opcode, const char *data, size_t n);

#endif
