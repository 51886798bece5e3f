/* osc.h: the OSC server (liblo), a transport over the control layer (control.h). Nothing
 * here touches DSP state directly: every change goes through the control layer. */
#ifndef CHANSTRIP_OSC_H
#define CHANSTRIP_OSC_H

#include <stddef.h>
#include <sys/socket.h>

#include "engine.h"

/* Limits, documented in chanstrip(1) (man/osc.man.in). */
#define OSC_MAX_SUBSCRIBERS 16     /* more get /error, unless one is idle (evicted) */
#define OSC_SUBSCRIBE_TIMEOUT_S 60 /* a subscription ends unless renewed within this */
#define OSC_METER_RATE_DEFAULT 20  /* Hz, /subscribe without a rate */
#define OSC_METER_RATE_MAX 50      /* Hz, higher requests are lowered to this */
#define OSC_LOG_BURST 20           /* error log lines in a burst ... */
#define OSC_LOG_PER_S 5            /* ... then at most this many per second */
#define OSC_PACKET_WORK_MAX 20000  /* messages + replies one datagram may cause (a get of
				    * every value of 256 strips fits) */

struct osc;

/* Listen on bind:port (UDP; bind is a numeric IPv4/IPv6 address or a host name, NULL or ""
 * means 127.0.0.1; port 0 picks a free port, see osc_url). Registers an engine listener
 * (feedback) and a meter reader. Returns NULL with a message in err on failure. */
struct osc *osc_start(struct engine *e, const char *bind, int port, char *err, size_t errlen);
struct midictl;
/* The MIDI transport /midi/... talks to, and whose maps presets carry (NULL: none). Call
 * before the JACK client starts. */
void osc_set_midi(struct osc *s, struct midictl *m);
/* osc.udp://host:port/ as the log line shows it. */
const char *osc_url(const struct osc *s);
void osc_stop(struct osc *s);
/* The server's auto gain (its status goes to the subscribers): for --autogain. */
struct autogain *osc_autogain(struct osc *s);
/* Tests: subscriptions from now on expire after this many seconds (default
 * OSC_SUBSCRIBE_TIMEOUT_S). */
void osc_set_subscribe_timeout(struct osc *s, double seconds);
/* Tests: a subscriber whose host has been silent this long may be evicted for a new one
 * (default 30 s). */
void osc_set_subscriber_idle(struct osc *s, double seconds);
/* Fuzzing and tests: run the receive thread's packet handler on one datagram, synchronously,
 * as if it had arrived from `from` (replies are sent to real addresses as usual). */
void osc_feed_packet(struct osc *s, const void *data, size_t n, const struct sockaddr *from,
		     socklen_t fromlen);

#endif
