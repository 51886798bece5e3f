/* jackclient.h: chanstrip's main job, a real-time JACK client. */
#ifndef CHANSTRIP_JACKCLIENT_H
#define CHANSTRIP_JACKCLIENT_H

#include "options.h"

/* Run until SIGINT/SIGTERM (or the server goes away without --reconnect). Returns the
 * process exit status; prints one clear line on stderr on failure. */
int jackclient_run(const struct options *o);

#endif
