#include "oscclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double oc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int oc_handler(const char *path, const char *types, lo_arg **argv, int argc,
		      lo_message msg, void *user)
{
	struct oc *c = user;
	(void)msg;
	if (c->n >= OC_MAXQ)
		return 0;
	struct oc_msg *m = &c->q[c->n++];
	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->argc = argc;
	m->t = oc_now();
	for (int k = 0; k < argc && k < OC_MAXARGS; k++) {
		m->types[k] = types[k];
		/* liblo packs arguments at 4-byte offsets: a double or int64 (and the lo_arg
		 * union itself) may be misaligned, so every number is read through memcpy */
		const void *a = argv[k];
		float f;
		double d;
		int32_t i;
		int64_t h;
		switch (types[k]) {
		case LO_FLOAT: memcpy(&f, a, sizeof(f)); m->f[k] = f; break;
		case LO_DOUBLE: memcpy(&d, a, sizeof(d)); m->f[k] = (float)d; break;
		case LO_INT32: memcpy(&i, a, sizeof(i)); m->f[k] = (float)i; m->i[k] = i; break;
		case LO_INT64: memcpy(&h, a, sizeof(h)); m->f[k] = (float)h; break;
		case LO_STRING:
		case LO_SYMBOL: snprintf(m->s[k], sizeof(m->s[k]), "%s", (const char *)a); break;
		default: break;
		}
	}
	return 0;
}

struct oc *oc_new(const char *server_url)
{
	struct oc *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->q = calloc(OC_MAXQ, sizeof(*c->q));
	c->srv = lo_server_new(NULL, NULL);
	c->to = lo_address_new_from_url(server_url);
	if (!c->q || !c->srv || !c->to) {
		oc_free(c);
		return NULL;
	}
	lo_server_add_method(c->srv, NULL, NULL, oc_handler, c);
	snprintf(c->url, sizeof(c->url), "osc.udp://127.0.0.1:%d/", lo_server_get_port(c->srv));
	return c;
}

void oc_free(struct oc *c)
{
	if (!c)
		return;
	if (c->srv)
		lo_server_free(c->srv);
	if (c->to)
		lo_address_free(c->to);
	free(c->q);
	free(c);
}

void oc_pump(struct oc *c, int ms)
{
	double end = oc_now() + ms / 1000.0;
	for (;;) {
		double left = end - oc_now();
		if (left <= 0)
			break;
		lo_server_recv_noblock(c->srv, (int)(left * 1000.0) + 1);
	}
	while (lo_server_recv_noblock(c->srv, 0) > 0)
		;
}

static struct oc_msg *oc_find(struct oc *c, const char *path)
{
	for (int k = 0; k < c->n; k++)
		if (!c->q[k].used && !strcmp(c->q[k].path, path))
			return &c->q[k];
	return NULL;
}

const struct oc_msg *oc_wait(struct oc *c, const char *path, int ms)
{
	double end = oc_now() + ms / 1000.0;
	struct oc_msg *m;
	while (!(m = oc_find(c, path))) {
		double left = end - oc_now();
		if (left <= 0)
			return NULL;
		lo_server_recv_noblock(c->srv, left > 0.01 ? 10 : 1);
	}
	m->used = 1;
	return m;
}

int oc_count(struct oc *c, const char *path)
{
	int n = 0;
	for (int k = 0; k < c->n; k++)
		n += !c->q[k].used && !strcmp(c->q[k].path, path);
	return n;
}

void oc_clear(struct oc *c)
{
	while (lo_server_recv_noblock(c->srv, 0) > 0)
		;
	c->n = 0;
}

int oc_sync(struct oc *c)
{
	/* UDP: after a flood the server's socket buffer may have dropped a /ping; ask again */
	for (int k = 0; k < 10; k++) {
		lo_send_from(c->to, c->srv, LO_TT_IMMEDIATE, "/ping", "");
		if (oc_wait(c, "/pong", 500))
			return 0;
	}
	return -1;
}
