/* oscfuzz.h: a liblo client that throws random OSC at a server. */
#ifndef CHANSTRIP_OSCFUZZ_H
#define CHANSTRIP_OSCFUZZ_H

#include <stdint.h>

/* Send count random messages to url (osc.udp://host:port/): real parameter paths, patterns
 * and junk paths; every OSC type with random values (NaN, Inf, huge, empty and long strings,
 * reply URLs, preset names with ../); 0 to 8 arguments; blobs up to 8 kB; raw random
 * datagrams and truncated messages. Replies are read and thrown away. Then /ping: returns 0
 * when /pong comes back within 2 s, -1 otherwise. */
int oscfuzz_run(const char *url, unsigned count, uint32_t seed);
/* Messages received during the last run, and how many of them were /error. */
unsigned oscfuzz_replies(unsigned *nerrors);

#endif
