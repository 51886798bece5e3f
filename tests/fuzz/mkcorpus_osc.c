/* mkcorpus_osc.c: writes the OSC seed corpus (corpus-osc/) as liblo encodes it
 * (lo_message_serialise, lo_bundle_serialise): for every parameter a set, a get and a /norm
 * set, then the other addresses of chanstrip(1), wildcards, a reply URL, bundles. Run by
 * hand when the address space changes: mkcorpus_osc FOLDER. */
#include <lo/lo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

static const char *dir;
static unsigned count;

static void save(const char *what, void *buf, size_t n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%03u-%s", dir, count++, what);
	for (char *c = path + strlen(dir) + 1; *c; c++)
		if (*c == '/' || *c == '*' || *c == ' ')
			*c = '_';
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	free(buf);
}

static void msg(const char *path, lo_message m)
{
	size_t n = 0;
	void *buf = lo_message_serialise(m, path, NULL, &n);
	save(path, buf, n);
	lo_message_free(m);
}

/* lo_message_add_varargs is liblo's own type-string adder (as lo_send uses; the end marker
 * lets it check the arguments against the types) */
#define send_types(path, ...) send_types_(path, __VA_ARGS__, LO_ARGS_END)
static void send_types_(const char *path, const char *types, ...)
{
	va_list ap;
	lo_message m = lo_message_new();
	va_start(ap, types);
	lo_message_add_varargs(m, types, ap);
	va_end(ap);
	msg(path, m);
}

static void param_msgs(void)
{
	char path[128];
	for (int p = 0; p < P_COUNT; p++) {
		const struct param_def *d = &param_table[p];
		char rel[64];
		snprintf(rel, sizeof(rel), "%s", d->key);
		for (char *c = rel; *c; c++)
			if (*c == '.')
				*c = '/';
		snprintf(path, sizeof(path), "/strip/%d/%s", p % 2 + 1, rel);
		if (d->type == PT_ENUM)
			send_types(path, "s", d->enum_names[1] ? d->enum_names[1] : d->enum_names[0]);
		else if (d->type == PT_BOOL)
			send_types(path, "i", 1);
		else if (d->type == PT_STEPS)
			send_types(path, "f", (double)d->def);
		else
			send_types(path, "f", (double)(d->min + d->max) / 2);
		send_types(path, "");
		snprintf(path, sizeof(path), "/strip/*/%s/norm", rel);
		send_types(path, "f", 0.75);
	}
}

static void bundles(void)
{
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_message m1 = lo_message_new(), m2 = lo_message_new();
	lo_message_add_float(m1, -30.0f);
	lo_message_add_string(m2, "tube");
	lo_bundle_add_message(b, "/strip/1/comp/threshold", m1);
	lo_bundle_add_message(b, "/strip/2/pre/model", m2);
	size_t n = 0;
	void *buf = lo_bundle_serialise(b, NULL, &n);
	save("bundle", buf, n);
	lo_bundle_free_recursive(b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	param_msgs();
	send_types("/strip/1/comp/threshold", "fs", -20.0, "osc.udp://127.0.0.1:9/");
	send_types("/strip/{1,2}/comp/[rt]*", "");
	send_types("/strip/1/meter/hold", "");
	send_types("/strip/2/meter/reset", "");
	send_types("/params", "");
	send_types("/ping", "");
	send_types("/ping", "s", "osc.udp://localhost:9/");
	send_types("/status", "");
	send_types("/xruns", "");
	send_types("/subscribe", "");
	send_types("/subscribe", "si", "osc.udp://127.0.0.1:9/", 50);
	send_types("/subscribe/port", "ii", 9, 10);
	send_types("/unsubscribe", "");
	send_types("/unsubscribe", "s", "osc.udp://127.0.0.1:9/");
	send_types("/preset/list", "");
	send_types("/preset/load", "s", "vocal-condenser");
	send_types("/preset/save", "s", "fuzzed");
	send_types("/strip/1/gate/threshold", "d", -40.0);
	send_types("/strip/1/comp/ratio", "h", (int64_t)4);
	send_types("/strip/1/comp/enable", "T");
	bundles();
	printf("%u inputs in %s\n", count, dir);
	return 0;
}
