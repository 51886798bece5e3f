/* oscclient.h: a small liblo client for the tests: sends from its own lo_server socket (so
 * replies to the sender come back to it) and queues everything it receives. */
#ifndef CHANSTRIP_OSCCLIENT_H
#define CHANSTRIP_OSCCLIENT_H

#include <lo/lo.h>
#include <stdint.h>

#define OC_MAXQ 8192
#define OC_MAXARGS 32

struct oc_msg {
	char path[128];
	char types[OC_MAXARGS + 1];
	int argc;
	float f[OC_MAXARGS]; /* numbers (f, d, i, h) as float */
	int32_t i[OC_MAXARGS];
	char s[OC_MAXARGS][160];
	double t; /* arrival, CLOCK_MONOTONIC seconds */
	int used;
};

struct oc {
	lo_server srv;
	lo_address to;
	char url[64]; /* osc.udp://127.0.0.1:PORT/ : where this client listens */
	struct oc_msg *q;
	int n;
};

double oc_now(void);
/* A client talking to server_url. NULL on failure. */
struct oc *oc_new(const char *server_url);
void oc_free(struct oc *c);
/* Receive for ms milliseconds. */
void oc_pump(struct oc *c, int ms);
/* First unconsumed message with this exact path, waiting up to ms; NULL on timeout. The
 * message is marked consumed. */
const struct oc_msg *oc_wait(struct oc *c, const char *path, int ms);
/* How many unconsumed messages have this path (no waiting). */
int oc_count(struct oc *c, const char *path);
void oc_clear(struct oc *c);
/* /ping and wait for /pong: everything sent before has been handled. 0 or -1. */
int oc_sync(struct oc *c);

#endif
