/* osc.h: the OSC server (liblo), owned by the OSC issue. Nothing here touches DSP state
 * directly: every change goes through engine_set()/engine_apply(). */
#ifndef CHANSTRIP_OSC_H
#define CHANSTRIP_OSC_H

#include <stddef.h>

#include "engine.h"

struct osc;

/* Listen on bind:port (UDP). Returns NULL with a message in err on failure. */
struct osc *osc_start(struct engine *e, const char *bind, int port, char *err, size_t errlen);
/* osc.udp://host:port/ as the log line shows it. */
const char *osc_url(const struct osc *s);
void osc_stop(struct osc *s);

#endif
