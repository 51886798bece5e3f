/* oscfuzz URL [COUNT [SEED]]: random OSC at a running chanstrip; exit 0 if it still answers
 * /ping afterwards. */
#include <stdio.h>
#include <stdlib.h>

#include "oscfuzz.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: oscfuzz osc.udp://HOST:PORT/ [COUNT [SEED]]\n");
		return 2;
	}
	unsigned count = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000;
	unsigned seed = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
	if (oscfuzz_run(argv[1], count, seed) < 0) {
		fprintf(stderr, "oscfuzz: no /pong from %s after %u messages\n", argv[1], count);
		return 1;
	}
	unsigned nerr, nrep = oscfuzz_replies(&nerr);
	printf("oscfuzz: %u messages sent, %u replies (%u /error), %s still answers /ping\n", count,
	       nrep, nerr, argv[1]);
	return 0;
}
