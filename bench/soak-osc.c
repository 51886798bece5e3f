/* cs-soak-osc: the control side of bench/soak.sh. Sends parameter sets to chanstrip's OSC
 * port at a steady rate (a random strip, a random parameter, a random value in its range,
 * from the parameter table) while SUBSCRIBERS sockets hold meter subscriptions (renewed
 * before they expire) and read everything sent to them. At the end it prints one line:
 *   sets=N meter_packets=N meter_bytes=N errors=N
 * (errors: /error replies to the sets; there should be none).
 *
 *   cs-soak-osc -p PORT -c STRIPS -r SETS_PER_S -d SECONDS [-s SUBSCRIBERS] [-m METER_HZ]
 *
 * pre.oversample (the one stepped parameter) is left alone: switching it changes the CPU
 * cost by up to 8x, which would make the soak's CPU figure a lottery. */
#include <arpa/inet.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "params.h"

#define SOAK_MAX_SUBS 16
#define SOAK_RENEW_S 20.0

struct soak_osc {
	struct sockaddr_in to;
	int set_fd, sub_fd[SOAK_MAX_SUBS];
	unsigned nsubs, nstrips;
	unsigned long sets, meter_packets, meter_bytes, errors;
	uint64_t rng;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint32_t rnd(struct soak_osc *o)
{
	o->rng = o->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(o->rng >> 33);
}

static int udp_socket(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int sz = 1 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

static void send_msg(struct soak_osc *o, int fd, const char *path, lo_message m)
{
	size_t n = 0;
	void *buf = lo_message_serialise(m, path, NULL, &n);
	if (buf)
		(void)!sendto(fd, buf, n, 0, (struct sockaddr *)&o->to, sizeof(o->to));
	free(buf);
	lo_message_free(m);
}

static void send_set(struct soak_osc *o)
{
	int p;
	do
		p = (int)(rnd(o) % P_COUNT);
	while (param_table[p].type == PT_STEPS);
	const struct param_def *d = &param_table[p];
	char path[128], rel[64];
	snprintf(rel, sizeof(rel), "%s", d->key);
	for (char *c = rel; *c; c++)
		if (*c == '.')
			*c = '/';
	snprintf(path, sizeof(path), "/strip/%u/%s/norm", rnd(o) % o->nstrips + 1, rel);
	lo_message m = lo_message_new();
	lo_message_add_float(m, (float)(rnd(o) % 10001) / 10000.0f); /* /norm: 0..1 */
	send_msg(o, o->set_fd, path, m);
	o->sets++;
}

static void subscribe_all(struct soak_osc *o, int meter_hz)
{
	for (unsigned k = 0; k < o->nsubs; k++) {
		lo_message m = lo_message_new();
		lo_message_add_int32(m, meter_hz);
		send_msg(o, o->sub_fd[k], "/subscribe", m);
	}
}

static void drain(struct soak_osc *o)
{
	char buf[65536];
	ssize_t n;
	while ((n = recv(o->set_fd, buf, sizeof(buf), 0)) > 0)
		if (!strncmp(buf, "/error", 6))
			o->errors++;
	for (unsigned k = 0; k < o->nsubs; k++)
		while ((n = recv(o->sub_fd[k], buf, sizeof(buf), 0)) > 0) {
			o->meter_packets++;
			o->meter_bytes += (unsigned long)n;
		}
}

int main(int argc, char **argv)
{
	static struct soak_osc o = {.rng = 0x5eed, .nstrips = 1};
	double rate = 100, seconds = 0;
	int opt, port = 0, meter_hz = 50;

	while ((opt = getopt(argc, argv, "p:c:r:d:s:m:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'c': o.nstrips = (unsigned)atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 's': o.nsubs = (unsigned)atoi(optarg); break;
		case 'm': meter_hz = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (port < 1 || port > 65535 || !o.nstrips || !(rate > 0) || !(seconds > 0) ||
	    o.nsubs > SOAK_MAX_SUBS)
		goto usage;
	o.to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if ((o.set_fd = udp_socket()) < 0)
		goto fail;
	for (unsigned k = 0; k < o.nsubs; k++)
		if ((o.sub_fd[k] = udp_socket()) < 0)
			goto fail;

	double t0 = now_s(), next_set = t0, next_renew = t0;
	struct timespec nap = {0, 1000 * 1000}; /* 1 ms: the set rate's resolution */
	for (double t = t0; t - t0 < seconds; t = now_s()) {
		if (t >= next_renew) {
			subscribe_all(&o, meter_hz);
			next_renew += SOAK_RENEW_S;
		}
		while (t >= next_set) {
			send_set(&o);
			next_set += 1.0 / rate;
		}
		drain(&o);
		nanosleep(&nap, NULL);
	}
	drain(&o);
	printf("sets=%lu meter_packets=%lu meter_bytes=%lu errors=%lu\n", o.sets, o.meter_packets,
	       o.meter_bytes, o.errors);
	return 0;
usage:
	fprintf(stderr, "usage: cs-soak-osc -p PORT -c STRIPS -r SETS_PER_S -d SECONDS "
			"[-s SUBSCRIBERS] [-m METER_HZ]\n");
	return 2;
fail:
	perror("cs-soak-osc: socket");
	return 1;
}
