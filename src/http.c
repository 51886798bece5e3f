/* http.c: the HTTP + WebSocket transport over the control layer (control.h), with civetweb.
 *
 * - HTTP (civetweb's worker threads): OSCQuery's namespace (GET /, GET /strip/1/comp?VALUE,
 *   GET /?HOST_INFO) rendered from ctl_param_info() and ctl_get(), and the page's three
 *   files under /ui. Nothing is written over plain HTTP.
 * - WebSocket on the same port: LISTEN/IGNORE (JSON text frames), sets as binary OSC
 *   frames (liblo decodes them; ctl_lo_arg() turns arguments into values), presets as JSON
 *   commands. Changes and meters go out as binary OSC (ctl_lo_value(), ctl_lo_meter()).
 * - One send thread renders the control layer's change feed and the meters into each
 *   client's bounded queue; each client has a writer thread that empties its queue into the
 *   socket, so a slow reader blocks nobody else and is dropped when its queue is full.
 *
 * Why civetweb: Debian ships it with WebSocket support (mg_check_feature(16)); it serves
 * HTTP and WebSocket on one port from one small C API. Its own frame reader (1.15) allocates
 * and fills a whole frame, up to 2 GiB, before a handler can refuse it, and has no size
 * option. So civetweb does the handshake only: the ready handler then reads frames itself
 * from the connection's socket into a buffer of HTTP_WS_FRAME_MAX and refuses a larger
 * frame by its header, before any of the payload is read. Memory per client is fixed.
 *
 * Security: the Host header must name this server (DNS rebinding), an Origin header must be
 * this server's own origin (a page elsewhere cannot open the WebSocket, the only way to
 * change anything), and every client is bounded in queue, frame size and message rate.
 *
 * Locks: engine lock -> control's feed locks -> h->lock -> a client's qlock. Nothing calls
 * into the engine or the control layer while holding h->lock. */
#include "http.h"

#include <civetweb.h>
#include <ctype.h>
#include <errno.h>
#include <lo/lo.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "monoclock.h"
#include "osc.h"

#define HTTP_ORIGIN_BASE 0x4000 /* ctl origin of WebSocket client k: base + k */
#define HTTP_JSON_MAX (32u << 20)
#define HTTP_FILE_MAX (1u << 20)
#define HTTP_LOG_BURST 20
#define HTTP_LOG_PER_S 5

enum { FILE_HTML, FILE_JS, FILE_CSS, FILE_COUNT };
static const char *const file_names[FILE_COUNT] = {"index.html", "app.js", "style.css"};
static const char *const file_types[FILE_COUNT] = {
	"text/html; charset=utf-8", "text/javascript; charset=utf-8", "text/css; charset=utf-8"};

struct ws_client {
	int used; /* a live client: the send thread queues to it */
	int held; /* the slot is taken, until client_end has freed everything */
	unsigned slot;
	struct http *h;
	struct mg_connection *conn; /* NULL: a fuzzing client */
	uint8_t *listen;            /* [nstrips * P_COUNT]: values streamed */
	uint32_t *meter_mask;       /* [nstrips]: bit j field j, bit MF_COUNT the whole message */
	unsigned nlisten, nmeter;
	int sub_slot; /* ctl_subs slot while meters are listened to, else -1 */
	char name[64];
	double tokens, tokens_s; /* incoming message rate */

	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	uint8_t *q; /* ring of [u32 len][u8 opcode][payload] */
	size_t qhead, qlen;
	int dead, stop; /* dead: overflowed or a write failed, nothing more is queued */
	const char *dead_why;
	int dead_code;   /* the close frame's status code (RFC 6455 7.4.1) */
	int close_sent;  /* the writer has sent the close frame */
	pthread_t writer;
	int writer_started;
};

struct http {
	struct engine *e;
	struct control *ctl;
	unsigned nstrips;
	struct mg_context *mg;
	char url[96];
	char bind[64], hostname[256], name[64], osc_ip[64];
	int port, osc_port;
	char *file[FILE_COUNT];
	size_t file_len[FILE_COUNT];
	char web_dir[512];

	struct ctl_feed *feed;
	pthread_t tx;
	int tx_started;
	atomic_int stop, mg_stopped;
	int mg_lib; /* mg_init_library() done: mg_exit_library() at the end */
	pthread_mutex_t lock; /* clients, subs */
	pthread_cond_t cond;
	struct ctl_subs subs; /* meter scheduling and taps; slot get_slot serves GET */
	int get_slot;
	struct ws_client client[HTTP_WS_MAX_CLIENTS];
	/* Slots promised by ws_connect to handshakes whose ready handler has not run yet
	 * (monotonic seconds, 0 = none): the capacity is checked at connect time, so a client
	 * told 101 always gets its slot. A promise civetweb never redeems (its handshake failed
	 * after our yes) lapses after HTTP_WS_PROMISE_S. */
	double promised_s[HTTP_WS_MAX_CLIENTS];

	struct ctl_log log;
};

/* One line on stderr, rate-limited (HTTP_LOG_BURST, then HTTP_LOG_PER_S). */
#define http_log(h, ...) ctl_log(&(h)->log, __VA_ARGS__)


/* ---- JSON output -------------------------------------------------------------------- */

struct jbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = cap <= HTTP_JSON_MAX ? realloc(b->p, cap) : NULL;
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		jb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* a string literal, its length counted by the compiler */
#define JB_LIT(b, lit) jb_put((b), (lit), sizeof(lit) - 1)

static void jb_str(struct jbuf *b, const char *s)
{
	JB_LIT(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			jb_put(b, e, 2);
		} else if (c < 0x20) {
			jb_printf(b, "\\u%04x", c);
		} else {
			jb_put(b, (const char *)&c, 1);
		}
	}
	JB_LIT(b, "\"");
}

/* JSON has no Inf or NaN: meters at silence say -Infinity, written as null. */
static void jb_num(struct jbuf *b, double v)
{
	if (isfinite(v))
		jb_printf(b, "%.9g", v);
	else
		JB_LIT(b, "null");
}

/* ---- the namespace ------------------------------------------------------------------ */

enum attr {
	A_FULL_PATH, A_CONTENTS, A_TYPE, A_VALUE, A_RANGE, A_ACCESS, A_UNIT, A_DESCRIPTION,
	A_CLIPMODE, A_COUNT
};
static const char *const attr_names[A_COUNT] = {
	"FULL_PATH", "CONTENTS", "TYPE", "VALUE", "RANGE", "ACCESS", "UNIT", "DESCRIPTION",
	"CLIPMODE"};

/* What a GET renders: one attribute (attr >= 0) or the whole node. */
struct render {
	struct http *h;
	struct jbuf *b;
	float (*v)[P_COUNT];          /* values of every strip */
	float (*mf)[MF_COUNT];        /* meters of every strip */
	uint8_t *have;
	int attr;                     /* -1: all */
	int present;                  /* the attribute was on the node */
};

/* Attribute name, then its value rendered by the caller. Whole nodes separate with ','. */
static int attr_begin(struct render *r, enum attr a, int *first)
{
	if (r->attr >= 0 && r->attr != (int)a)
		return 0;
	r->present = 1;
	if (!*first)
		JB_LIT(r->b, ",");
	*first = 0;
	jb_str(r->b, attr_names[a]);
	JB_LIT(r->b, ":");
	return 1;
}

static void param_range(struct render *r, const struct ctl_param_info *pi)
{
	JB_LIT(r->b, "[{");
	if (pi->steps || pi->enum_names || !strcmp(pi->type, "bool")) {
		JB_LIT(r->b, "\"VALS\":[");
		unsigned n = pi->steps ? pi->nsteps : (unsigned)(pi->max - pi->min) + 1;
		for (unsigned k = 0; k < n; k++) {
			if (k)
				JB_LIT(r->b, ",");
			jb_num(r->b, pi->steps ? pi->steps[k] : pi->min + (float)k);
		}
		JB_LIT(r->b, "],");
	}
	jb_printf(r->b, "\"MIN\":%.9g,\"MAX\":%.9g}]", (double)pi->min, (double)pi->max);
}

/* chanstrip's own attributes, which the page needs to draw a control: default, taper,
 * kind and enum names (OSCQuery allows attributes beyond its list). */
static void param_extra(struct render *r, const struct ctl_param_info *pi)
{
	jb_printf(r->b, ",\"X_DEFAULT\":%.9g,\"X_TAPER\":", (double)pi->def);
	jb_str(r->b, pi->taper);
	JB_LIT(r->b, ",\"X_KIND\":");
	jb_str(r->b, pi->type);
	if (pi->enum_names) {
		JB_LIT(r->b, ",\"X_ENUM\":[");
		for (unsigned k = 0; pi->enum_names[k]; k++) {
			if (k)
				JB_LIT(r->b, ",");
			jb_str(r->b, pi->enum_names[k]);
		}
		JB_LIT(r->b, "]");
	}
}

static void render_param(struct render *r, unsigned strip, enum param_id id)
{
	struct ctl_param_info pi;
	char path[CTL_PATH_MAX];
	int first = 1;
	ctl_param_info(r->h->ctl, id, &pi);
	ctl_param_path(r->h->ctl, strip, id, 0, path, sizeof(path));
	if (r->attr < 0)
		JB_LIT(r->b, "{");
	if (attr_begin(r, A_FULL_PATH, &first))
		jb_str(r->b, path);
	if (attr_begin(r, A_TYPE, &first))
		jb_str(r->b, "f");
	if (attr_begin(r, A_VALUE, &first)) {
		JB_LIT(r->b, "[");
		jb_num(r->b, r->v[strip][id]);
		JB_LIT(r->b, "]");
	}
	if (attr_begin(r, A_RANGE, &first))
		param_range(r, &pi);
	if (attr_begin(r, A_ACCESS, &first))
		JB_LIT(r->b, "3");
	if (attr_begin(r, A_UNIT, &first)) {
		JB_LIT(r->b, "[");
		jb_str(r->b, pi.unit);
		JB_LIT(r->b, "]");
	}
	if (attr_begin(r, A_DESCRIPTION, &first))
		jb_str(r->b, pi.help);
	if (attr_begin(r, A_CLIPMODE, &first))
		JB_LIT(r->b, "[\"both\"]");
	if (r->attr < 0) {
		param_extra(r, &pi);
		JB_LIT(r->b, "}");
	}
}

static const char *field_unit(int j)
{
	const char *n = meter_field_names[j];
	size_t l = strlen(n);
	if (j == MF_CLIPS)
		return "count";
	if (l > 4 && !strcmp(n + l - 4, "dbfs"))
		return "dBFS";
	if (l > 4 && !strcmp(n + l - 4, "dbtp"))
		return "dBTP";
	if (l > 3 && !strcmp(n + l - 3, "dbu"))
		return "dBu";
	if (l > 3 && !strcmp(n + l - 3, "dbv"))
		return "dBV";
	return "dB";
}

/* /strip/N/meter/<field>: a read-only float, the value since the last GET. */
static void render_field(struct render *r, unsigned strip, int j)
{
	int first = 1;
	if (r->attr < 0)
		JB_LIT(r->b, "{");
	if (attr_begin(r, A_FULL_PATH, &first))
		jb_printf(r->b, "\"/strip/%u/meter/%s\"", strip + 1, meter_field_names[j]);
	if (attr_begin(r, A_TYPE, &first))
		jb_str(r->b, "f");
	if (r->have[strip] && attr_begin(r, A_VALUE, &first)) {
		JB_LIT(r->b, "[");
		jb_num(r->b, r->mf[strip][j]);
		JB_LIT(r->b, "]");
	}
	if (attr_begin(r, A_ACCESS, &first))
		JB_LIT(r->b, "1");
	if (attr_begin(r, A_UNIT, &first)) {
		JB_LIT(r->b, "[");
		jb_str(r->b, field_unit(j));
		JB_LIT(r->b, "]");
	}
	if (attr_begin(r, A_DESCRIPTION, &first))
		jb_printf(r->b, "\"meter %s (read only)\"", meter_field_names[j]);
	if (r->attr < 0)
		JB_LIT(r->b, "}");
}

/* A container: its FULL_PATH and CONTENTS, or one of them. children() renders the members
 * ("name":{...},...). For /strip/N/meter it is also the whole meter message (TYPE of
 * MF_COUNT floats, read only). */
static void render_container(struct render *r, const char *path, int meter_msg,
			     void (*children)(struct render *, const void *), const void *ctx)
{
	int first = 1;
	if (r->attr < 0)
		JB_LIT(r->b, "{");
	if (attr_begin(r, A_FULL_PATH, &first))
		jb_str(r->b, path);
	if (meter_msg && attr_begin(r, A_TYPE, &first)) {
		char t[MF_COUNT + 1];
		memset(t, 'f', MF_COUNT);
		t[MF_COUNT] = '\0';
		jb_str(r->b, t);
	}
	if (meter_msg && attr_begin(r, A_ACCESS, &first))
		JB_LIT(r->b, "1");
	if (attr_begin(r, A_CONTENTS, &first)) {
		JB_LIT(r->b, "{");
		int saved = r->attr;
		r->attr = -1;
		children(r, ctx);
		r->attr = saved;
		JB_LIT(r->b, "}");
	}
	if (r->attr < 0)
		JB_LIT(r->b, "}");
}

struct modref {
	unsigned strip;
	char mod[32];
};

static size_t mod_len(const char *relpath)
{
	const char *s = strchr(relpath, '/');
	return s ? (size_t)(s - relpath) : strlen(relpath);
}

/* A member's name in CONTENTS, after a ',' unless it is the first. */
static void jb_key(struct jbuf *b, int *first, const char *key)
{
	if (!*first)
		JB_LIT(b, ",");
	*first = 0;
	jb_str(b, key);
	JB_LIT(b, ":");
}

static void module_children(struct render *r, const void *ctx)
{
	const struct modref *m = ctx;
	size_t ml = strlen(m->mod);
	int first = 1;
	for (int p = 0; p < P_COUNT; p++) {
		const char *rel = ctl_relpath(r->h->ctl, (enum param_id)p);
		if (mod_len(rel) != ml || strncmp(rel, m->mod, ml))
			continue;
		jb_key(r->b, &first, rel + ml + 1);
		render_param(r, m->strip, (enum param_id)p);
	}
	for (int j = 0; !strcmp(m->mod, "meter") && j < MF_COUNT; j++) {
		jb_key(r->b, &first, meter_field_names[j]);
		render_field(r, m->strip, j);
	}
}

static void render_module(struct render *r, unsigned strip, const char *mod)
{
	struct modref m = {.strip = strip};
	char path[96];
	snprintf(m.mod, sizeof(m.mod), "%.31s", mod);
	snprintf(path, sizeof(path), "/strip/%u/%.31s", strip + 1, mod);
	render_container(r, path, !strcmp(mod, "meter"), module_children, &m);
}

/* The modules in table order, each once; "meter" too when no parameter is in it. */
static unsigned module_list(struct http *h, char mods[][32], unsigned max)
{
	unsigned n = 0;
	int meter = 0;
	for (int p = 0; p < P_COUNT && n < max; p++) {
		const char *rel = ctl_relpath(h->ctl, (enum param_id)p);
		size_t l = mod_len(rel);
		if (l >= 32 || (n && strlen(mods[n - 1]) == l && !strncmp(mods[n - 1], rel, l)))
			continue;
		memcpy(mods[n], rel, l);
		mods[n][l] = '\0';
		meter |= !strcmp(mods[n], "meter");
		n++;
	}
	if (!meter && n < max)
		snprintf(mods[n++], 32, "meter");
	return n;
}

/* The strip's commands (control.c resolves them; ws_compare runs them): write-only nodes.
 * Store and recall take the slot as a string; swap and reset take nothing, which OSC 1.1
 * writes as the type Nil ("N"). */
static const struct cmd_node {
	const char *rel, *type, *desc;
} cmd_nodes[] = {
	{"ab/store", "s", "store every value of the strip in slot A or B"},
	{"ab/recall", "s", "recall slot A or B (the values glide like any change)"},
	{"ab/swap", "N", "store into the slot in use and recall the other"},
	{"reset", "N", "every parameter of the strip to its default"},
};
#define CMD_NODES (sizeof(cmd_nodes) / sizeof(cmd_nodes[0]))

static void render_cmd(struct render *r, unsigned strip, const struct cmd_node *cn)
{
	char path[64];
	int first = 1;
	snprintf(path, sizeof(path), "/strip/%u/%s", strip + 1, cn->rel);
	if (r->attr < 0)
		JB_LIT(r->b, "{");
	if (attr_begin(r, A_FULL_PATH, &first))
		jb_str(r->b, path);
	if (attr_begin(r, A_TYPE, &first))
		jb_str(r->b, cn->type);
	if (attr_begin(r, A_ACCESS, &first))
		JB_LIT(r->b, "2");
	if (!strcmp(cn->type, "s") && attr_begin(r, A_RANGE, &first))
		JB_LIT(r->b, "[{\"VALS\":[\"A\",\"B\"]}]");
	if (attr_begin(r, A_DESCRIPTION, &first))
		jb_str(r->b, cn->desc);
	if (r->attr < 0)
		JB_LIT(r->b, "}");
}

/* /strip/N/ab: the A/B commands */
static void ab_children(struct render *r, const void *ctx)
{
	unsigned strip = *(const unsigned *)ctx;
	int first = 1;
	for (size_t k = 0; k < CMD_NODES; k++)
		if (!strncmp(cmd_nodes[k].rel, "ab/", 3)) {
			jb_key(r->b, &first, cmd_nodes[k].rel + 3);
			render_cmd(r, strip, &cmd_nodes[k]);
		}
}

static void render_ab(struct render *r, unsigned strip)
{
	char path[32];
	snprintf(path, sizeof(path), "/strip/%u/ab", strip + 1);
	render_container(r, path, 0, ab_children, &strip);
}

static void strip_children(struct render *r, const void *ctx)
{
	unsigned strip = *(const unsigned *)ctx;
	char mods[P_COUNT + 1][32];
	unsigned n = module_list(r->h, mods, P_COUNT + 1);
	int first = 1;
	for (unsigned k = 0; k < n; k++) {
		jb_key(r->b, &first, mods[k]);
		render_module(r, strip, mods[k]);
	}
	jb_key(r->b, &first, "ab");
	render_ab(r, strip);
	for (size_t k = 0; k < CMD_NODES; k++)
		if (!strchr(cmd_nodes[k].rel, '/')) {
			jb_key(r->b, &first, cmd_nodes[k].rel);
			render_cmd(r, strip, &cmd_nodes[k]);
		}
}

static void render_strip(struct render *r, unsigned strip)
{
	char path[32];
	snprintf(path, sizeof(path), "/strip/%u", strip + 1);
	render_container(r, path, 0, strip_children, &strip);
}

static void strips_children(struct render *r, const void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < r->h->nstrips; i++) {
		jb_printf(r->b, "%s\"%u\":", i ? "," : "", i + 1);
		render_strip(r, i);
	}
}

static void root_children(struct render *r, const void *ctx)
{
	(void)ctx;
	JB_LIT(r->b, "\"strip\":");
	render_container(r, "/strip", 0, strips_children, NULL);
}

/* ---- GET ----------------------------------------------------------------------------- */

static int parse_strip(const struct http *h, const char *s, const char **rest, unsigned *strip)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || v < 1 || v > h->nstrips || (*end && *end != '/'))
		return -1;
	*strip = (unsigned)v - 1;
	*rest = *end ? end + 1 : end;
	return 0;
}

/* A module name of the namespace, or -1. */
static int find_module(struct http *h, const char *s, size_t l, char out[32])
{
	char mods[P_COUNT + 1][32];
	unsigned n = module_list(h, mods, P_COUNT + 1);
	for (unsigned k = 0; k < n; k++)
		if (strlen(mods[k]) == l && !strncmp(mods[k], s, l)) {
			memcpy(out, mods[k], 32);
			return 0;
		}
	return -1;
}

/* Render the node at path. 0, or -1 when there is none. */
static int render_path(struct render *r, const char *path)
{
	struct http *h = r->h;
	const char *rest;
	unsigned strip;
	char mod[32];
	if (!strcmp(path, "/") || !*path) {
		render_container(r, "/", 0, root_children, NULL);
		return 0;
	}
	if (!strcmp(path, "/strip") || !strcmp(path, "/strip/")) {
		render_container(r, "/strip", 0, strips_children, NULL);
		return 0;
	}
	if (strncmp(path, "/strip/", 7) || parse_strip(h, path + 7, &rest, &strip) < 0)
		return -1;
	if (!*rest) {
		render_strip(r, strip);
		return 0;
	}
	if (!strcmp(rest, "ab")) {
		render_ab(r, strip);
		return 0;
	}
	for (size_t k = 0; k < CMD_NODES; k++)
		if (!strcmp(rest, cmd_nodes[k].rel)) {
			render_cmd(r, strip, &cmd_nodes[k]);
			return 0;
		}
	size_t ml = strcspn(rest, "/");
	if (find_module(h, rest, ml, mod) < 0)
		return -1;
	if (!rest[ml]) {
		render_module(r, strip, mod);
		return 0;
	}
	const char *leaf = rest + ml + 1;
	for (int j = 0; !strcmp(mod, "meter") && j < MF_COUNT; j++)
		if (!strcmp(leaf, meter_field_names[j])) {
			render_field(r, strip, j);
			return 0;
		}
	for (int p = 0; p < P_COUNT; p++)
		if (!strcmp(ctl_relpath(h->ctl, (enum param_id)p), rest)) {
			render_param(r, strip, (enum param_id)p);
			return 0;
		}
	return -1;
}

static void send_reply(struct mg_connection *conn, int status, const char *type,
		       const char *body, size_t n)
{
	mg_printf(conn,
		  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		  "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
		  "Connection: close\r\n\r\n",
		  status, mg_get_response_code_text(NULL, status), type, n);
	mg_write(conn, body, n);
}

static int reply_text(struct mg_connection *conn, int status, const char *msg)
{
	char body[400];
	int n = snprintf(body, sizeof(body), "%s\n", msg);
	send_reply(conn, status, "text/plain; charset=utf-8", body, (size_t)n);
	return status;
}

static void host_info(struct http *h, struct jbuf *b, const char *host)
{
	JB_LIT(b, "{\"NAME\":");
	jb_str(b, h->name);
	if (h->osc_port) {
		/* a wildcard OSC address is reached at the address the client used for us */
		char ip[64];
		snprintf(ip, sizeof(ip), "%s", h->osc_ip);
		if (!strcmp(ip, "0.0.0.0") || !strcmp(ip, "::")) {
			snprintf(ip, sizeof(ip), "%s", host ? host : "127.0.0.1");
			ip[strcspn(ip, ":")] = '\0';
		}
		JB_LIT(b, ",\"OSC_IP\":");
		jb_str(b, ip);
		jb_printf(b, ",\"OSC_PORT\":%d,\"OSC_TRANSPORT\":\"UDP\"", h->osc_port);
	}
	jb_printf(b, ",\"WS_PORT\":%d,\"EXTENSIONS\":{", h->port);
	for (int a = 0; a < A_COUNT; a++)
		jb_printf(b, "\"%s\":true,", attr_names[a]);
	static const char rest[] = "\"LISTEN\":true,\"PATH_CHANGED\":false,\"TAGS\":false,"
				   "\"EXTENDED_TYPE\":false,\"CRITICAL\":false,"
				   "\"OVERLOADS\":false,\"HTML\":true}}";
	jb_put(b, rest, sizeof(rest) - 1);
}

static void value_into(void *ctx, unsigned strip, enum param_id id, int norm, float v)
{
	float (*out)[P_COUNT] = ctx;
	if (!norm)
		out[strip][id] = v;
}

static void render_values(struct render *r)
{
	struct ctl_sel sel = {.kind = CTL_PARAM, .nsel = r->h->nstrips, .nparam = P_COUNT};
	char why[CTL_REASON_MAX];
	memset(sel.strip, 1, r->h->nstrips);
	memset(sel.param, 1, sizeof(sel.param));
	ctl_get(r->h->ctl, &sel, value_into, r->v, why);
	pthread_mutex_lock(&r->h->lock);
	int slot = r->h->get_slot;
	pthread_mutex_unlock(&r->h->lock);
	memset(r->have, 0, r->h->nstrips);
	if (slot >= 0) {
		ctl_meters_fold(r->h->subs.meters);
		ctl_meters_take(r->h->subs.meters, (unsigned)slot, r->mf, r->have);
	}
}

static int handle_oscquery(struct http *h, struct mg_connection *conn, const char *path,
			   const char *query)
{
	struct jbuf b = {0};
	struct render r = {.h = h, .b = &b, .attr = -1};
	int status = 200;
	if (query && !strcmp(query, "HOST_INFO")) {
		host_info(h, &b, mg_get_header(conn, "Host"));
	} else {
		for (int a = 0; query && a < A_COUNT && r.attr < 0; a++)
			if (!strcmp(query, attr_names[a]))
				r.attr = a;
		if (query && r.attr < 0)
			return reply_text(conn, 400, "unknown attribute (expected one of FULL_PATH, "
						     "CONTENTS, TYPE, VALUE, RANGE, ACCESS, UNIT, "
						     "DESCRIPTION, CLIPMODE, HOST_INFO)");
		r.v = malloc(h->nstrips * sizeof(*r.v));
		r.mf = malloc(h->nstrips * sizeof(*r.mf));
		r.have = malloc(h->nstrips);
		if (r.v && r.mf && r.have) {
			render_values(&r);
			if (r.attr >= 0)
				JB_LIT(&b, "{");
			status = render_path(&r, path) < 0 ? 404 : 200;
			if (r.attr >= 0)
				JB_LIT(&b, "}");
		} else {
			b.oom = 1;
		}
		free(r.v);
		free(r.mf);
		free(r.have);
		if (status == 200 && r.attr >= 0 && !r.present)
			status = 204;
	}
	if (status == 404)
		status = reply_text(conn, 404, "no such node (GET / lists the namespace)");
	else if (b.oom)
		status = reply_text(conn, 500, "out of memory");
	else if (status == 204)
		mg_printf(conn, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	else
		send_reply(conn, 200, "application/json", b.p, b.n);
	free(b.p);
	return status;
}

static int handle_ui(struct http *h, struct mg_connection *conn, const char *path)
{
	int f = -1;
	if (!strcmp(path, "/ui")) {
		mg_printf(conn, "HTTP/1.1 302 Found\r\nLocation: /ui/\r\nContent-Length: 0\r\n"
				"Connection: close\r\n\r\n");
		return 302;
	}
	if (!strcmp(path, "/ui/") || !strcmp(path, "/ui/index.html"))
		f = FILE_HTML;
	for (int k = FILE_JS; k < FILE_COUNT; k++)
		if (!strcmp(path + 4, file_names[k]))
			f = k;
	if (f < 0)
		return reply_text(conn, 404, "no such file (the page is /ui/)");
	if (!h->file[f]) {
		char msg[700];
		snprintf(msg, sizeof(msg), "the page's files are not installed (looked in %s)",
			 h->web_dir);
		return reply_text(conn, 404, msg);
	}
	send_reply(conn, 200, file_types[f], h->file[f], h->file_len[f]);
	return 200;
}

/* Every request, WebSocket upgrades included, passes here first. */
static int begin_request(struct mg_connection *conn)
{
	struct http *h = mg_get_user_data(mg_get_context(conn));
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *host = mg_get_header(conn, "Host");
	const char *path = ri->local_uri ? ri->local_uri : "/";
	if (!http_host_ok(h, host)) {
		http_log(h, "refused a request for Host '%.60s' from %s", host ? host : "(none)",
			 ri->remote_addr);
		return reply_text(conn, 403, "Host not allowed (use this server's address)");
	}
	if (!http_origin_ok(mg_get_header(conn, "Origin"), host)) {
		http_log(h, "refused a request from Origin '%.60s'", mg_get_header(conn, "Origin"));
		return reply_text(conn, 403, "cross-origin requests are not allowed");
	}
	if (mg_get_header(conn, "Upgrade"))
		return 0; /* civetweb hands it to the WebSocket handlers */
	if (strcmp(ri->request_method, "GET") && strcmp(ri->request_method, "HEAD"))
		return reply_text(conn, 405, "only GET (changes go over the WebSocket)");
	if (!strncmp(path, "/ui", 3) && (!path[3] || path[3] == '/'))
		return handle_ui(h, conn, path);
	return handle_oscquery(h, conn, path, ri->query_string);
}

/* ---- Host and Origin ------------------------------------------------------------------ */

static int is_numeric_host(const char *s)
{
	unsigned char buf[16];
	char tmp[64];
	size_t l = strlen(s);
	if (l >= 2 && s[0] == '[' && s[l - 1] == ']' && l - 2 < sizeof(tmp)) {
		memcpy(tmp, s + 1, l - 2);
		tmp[l - 2] = '\0';
		return inet_pton(AF_INET6, tmp, buf) == 1;
	}
	return inet_pton(AF_INET, s, buf) == 1;
}

/* host[:port] into its host (brackets kept for IPv6) and port (0: none); -1 if malformed */
static int split_host(const char *in, char *host, size_t n, long *port)
{
	const char *colon = in[0] == '[' ? strstr(in, "]:") : strrchr(in, ':');
	size_t l = strlen(in);
	*port = 0;
	if (colon) {
		if (in[0] == '[')
			colon++;
		char *end;
		errno = 0;
		*port = strtol(colon + 1, &end, 10);
		if (*end || errno || *port < 1 || *port > 65535)
			return -1;
		l = (size_t)(colon - in);
	}
	if (!l || l >= n)
		return -1;
	memcpy(host, in, l);
	host[l] = '\0';
	return 0;
}

/* A rebinding attack reaches us under the attacker's host name; an address literal or a
 * name of this machine cannot be rebound. */
int http_host_ok(const struct http *h, const char *in)
{
	char host[256];
	long port;
	if (!in || split_host(in, host, sizeof(host), &port) < 0)
		return 0;
	if (port && h && port != h->port)
		return 0;
	if (!strcasecmp(host, "localhost") || is_numeric_host(host))
		return 1;
	if (!h)
		return 0;
	if (!strcasecmp(host, h->bind))
		return 1;
	if (h->hostname[0]) {
		size_t l = strlen(h->hostname);
		if (!strcasecmp(host, h->hostname) ||
		    (!strncasecmp(host, h->hostname, l) && !strcasecmp(host + l, ".local")))
			return 1;
	}
	return 0;
}

int http_origin_ok(const char *origin, const char *host)
{
	if (!origin)
		return 1; /* not a browser page: a local program, which could do anything anyway */
	if (!host || strncmp(origin, "http://", 7))
		return 0;
	return !strcasecmp(origin + 7, host);
}

/* ---- JSON commands -------------------------------------------------------------------- */

struct jparse {
	const char *p, *end;
};

static void jp_ws(struct jparse *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* A JSON string into out (n bytes, truncated text is an error); \u escapes beyond ASCII
 * become '?', which no path or preset name holds. */
static int jp_string(struct jparse *j, char *out, size_t n)
{
	size_t k = 0;
	if (j->p >= j->end || *j->p != '"')
		return -1;
	for (j->p++; j->p < j->end && *j->p != '"'; j->p++) {
		char c = *j->p;
		if ((unsigned char)c < 0x20)
			return -1;
		if (c == '\\') {
			if (++j->p >= j->end)
				return -1;
			const char *esc = strchr("\"\\/bfnrtu", *j->p);
			if (!esc || !*j->p)
				return -1;
			c = "\"\\/\b\f\n\r\t?"[esc - "\"\\/bfnrtu"];
			if (*j->p == 'u') {
				for (int d = 1; d <= 4; d++)
					if (j->p + d >= j->end || !isxdigit((unsigned char)j->p[d]))
						return -1;
				j->p += 4;
			}
		}
		if (k + 1 >= n)
			return -1;
		out[k++] = c;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	out[k] = '\0';
	return 0;
}

static int jp_number(struct jparse *j, double *out)
{
	char tmp[64];
	size_t l = 0;
	while (j->p + l < j->end && l < sizeof(tmp) - 1 && strchr("+-.0123456789eE", j->p[l]))
		l++;
	if (!l || l >= sizeof(tmp) - 1)
		return -1;
	memcpy(tmp, j->p, l);
	tmp[l] = '\0';
	char *e;
	*out = strtod(tmp, &e);
	if (*e || !isfinite(*out))
		return -1;
	j->p += l;
	return 0;
}

/* One "KEY": value pair of the command object. */
static int jp_member(struct jparse *j, struct http_cmd *cmd, char *why)
{
	char key[32], sval[HTTP_CMD_STR_MAX];
	double num = 0;
	int is_num;
	if (jp_string(j, key, sizeof(key)) < 0)
		return snprintf(why, CTL_REASON_MAX, "bad JSON: expected a \"KEY\""), -1;
	jp_ws(j);
	if (j->p >= j->end || *j->p++ != ':')
		return snprintf(why, CTL_REASON_MAX, "bad JSON: expected ':' after \"%s\"", key), -1;
	jp_ws(j);
	is_num = j->p < j->end && *j->p != '"';
	if (is_num ? jp_number(j, &num) < 0 : jp_string(j, sval, sizeof(sval)) < 0)
		return snprintf(why, CTL_REASON_MAX, "bad JSON: \"%s\" takes a string or a number "
						     "(strings at most %d bytes)",
				key, HTTP_CMD_STR_MAX - 1),
		       -1;
	if (!strcmp(key, "COMMAND") && !is_num)
		snprintf(cmd->command, sizeof(cmd->command), "%.31s", sval);
	else if (!strcmp(key, "DATA") && !is_num)
		snprintf(cmd->data, sizeof(cmd->data), "%s", sval);
	else if (!strcmp(key, "DATA") || !strcmp(key, "RATE")) {
		if (!strcmp(key, "RATE"))
			cmd->rate_hz = num;
		else
			cmd->num = num, cmd->has_num = 1;
	} else
		return snprintf(why, CTL_REASON_MAX, "bad JSON: unexpected \"%s\" (expected "
						     "COMMAND, DATA, RATE)", key),
		       -1;
	return 0;
}

int http_parse_command(const char *text, size_t n, struct http_cmd *cmd, char *why)
{
	struct jparse j = {text, text + n};
	memset(cmd, 0, sizeof(*cmd));
	cmd->rate_hz = -1;
	jp_ws(&j);
	if (j.p >= j.end || *j.p++ != '{') {
		snprintf(why, CTL_REASON_MAX, "bad JSON: expected an object {\"COMMAND\": ...}");
		return -1;
	}
	for (int k = 0;; k++) {
		jp_ws(&j);
		if (!k && j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		if (k >= 8 || jp_member(&j, cmd, why) < 0) {
			if (k >= 8)
				snprintf(why, CTL_REASON_MAX, "bad JSON: too many members");
			return -1;
		}
		jp_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		snprintf(why, CTL_REASON_MAX, "bad JSON: expected ',' or '}'");
		return -1;
	}
	jp_ws(&j);
	if (j.p != j.end) {
		snprintf(why, CTL_REASON_MAX, "bad JSON: text after the object");
		return -1;
	}
	if (!cmd->command[0]) {
		snprintf(why, CTL_REASON_MAX, "bad JSON: no \"COMMAND\"");
		return -1;
	}
	return 0;
}

/* ---- client queues ---------------------------------------------------------------------- */

static void ring_copy_in(struct ws_client *c, const void *src, size_t n)
{
	size_t pos = (c->qhead + c->qlen) % HTTP_WS_QUEUE_BYTES;
	size_t first = HTTP_WS_QUEUE_BYTES - pos < n ? HTTP_WS_QUEUE_BYTES - pos : n;
	memcpy(c->q + pos, src, first);
	memcpy(c->q, (const uint8_t *)src + first, n - first);
	c->qlen += n;
}

static void ring_copy_out(struct ws_client *c, void *dst, size_t n)
{
	size_t first = HTTP_WS_QUEUE_BYTES - c->qhead < n ? HTTP_WS_QUEUE_BYTES - c->qhead : n;
	memcpy(dst, c->q + c->qhead, first);
	memcpy((uint8_t *)dst + first, c->q, n - first);
	c->qhead = (c->qhead + n) % HTTP_WS_QUEUE_BYTES;
	c->qlen -= n;
}

/* Queue one frame. A full queue means the client reads slower than we send: it is dropped
 * (its writer sends a close) rather than let the queue grow. */
static void ws_queue(struct ws_client *c, int opcode, const void *data, size_t n)
{
	uint8_t hdr[5] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n,
			  (uint8_t)opcode};
	int dropped = 0;
	pthread_mutex_lock(&c->qlock);
	if (!c->dead && c->qlen + sizeof(hdr) + n > HTTP_WS_QUEUE_BYTES) {
		c->dead = dropped = 1;
		c->dead_why = "too slow: send queue full";
	}
	if (!c->dead) {
		ring_copy_in(c, hdr, sizeof(hdr));
		ring_copy_in(c, data, n);
	}
	pthread_cond_signal(&c->qcond);
	pthread_mutex_unlock(&c->qlock);
	if (dropped)
		http_log(c->h, "%s: too slow (%d kB queued): closing", c->name,
			 HTTP_WS_QUEUE_BYTES >> 10);
}

static void ws_queue_osc(struct ws_client *c, const char *path, lo_message m)
{
	uint8_t buf[1024];
	size_t n = sizeof(buf);
	if (lo_message_serialise(m, path, buf, &n))
		ws_queue(c, MG_WEBSOCKET_OPCODE_BINARY, buf, n);
}

static void ws_queue_json(struct ws_client *c, struct jbuf *b)
{
	if (!b->oom && b->n <= HTTP_WS_FRAME_MAX)
		ws_queue(c, MG_WEBSOCKET_OPCODE_TEXT, b->p, b->n);
	free(b->p);
}

static void ws_error(struct ws_client *c, const char *path, const char *why)
{
	struct jbuf b = {0};
	JB_LIT(&b, "{\"COMMAND\":\"ERROR\",\"DATA\":{\"PATH\":");
	jb_str(&b, path);
	JB_LIT(&b, ",\"MESSAGE\":");
	jb_str(&b, why);
	JB_LIT(&b, "}}");
	ws_queue_json(c, &b);
	http_log(c->h, "%s: %.100s: %s", c->name, path, why);
}

/* The client's writer: its queue into the socket, one frame at a time. */
static void *ws_writer(void *arg)
{
	struct ws_client *c = arg;
	uint8_t *frame = malloc(HTTP_WS_FRAME_MAX + 5);
	pthread_mutex_lock(&c->qlock);
	while (frame && !c->stop) {
		if (c->dead) {
			int code = c->dead_code ? c->dead_code : 1008; /* policy violation */
			pthread_mutex_unlock(&c->qlock);
			char body[64];
			int n = snprintf(body, sizeof(body), "%c%c%s", code >> 8, code & 0xff,
					 c->dead_why);
			mg_websocket_write(c->conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, body,
					   (size_t)n);
			pthread_mutex_lock(&c->qlock);
			c->close_sent = 1;
			pthread_cond_broadcast(&c->qcond);
			while (!c->stop)
				pthread_cond_wait(&c->qcond, &c->qlock);
			break;
		}
		if (!c->qlen) {
			pthread_cond_wait(&c->qcond, &c->qlock);
			continue;
		}
		uint8_t hdr[5];
		ring_copy_out(c, hdr, 5);
		size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		ring_copy_out(c, frame, n);
		pthread_mutex_unlock(&c->qlock);
		int rc = mg_websocket_write(c->conn, hdr[4], (const char *)frame, n);
		pthread_mutex_lock(&c->qlock);
		if (rc <= 0 && !c->dead) {
			c->dead = 1;
			c->dead_why = "write failed or timed out";
		}
	}
	pthread_mutex_unlock(&c->qlock);
	free(frame);
	return NULL;
}

/* The connection is to end: its writer sends a close frame with code and why. The first
 * reason stays. */
static void client_kill(struct ws_client *c, int code, const char *why)
{
	pthread_mutex_lock(&c->qlock);
	if (!c->dead) {
		c->dead = 1;
		c->dead_code = code;
		c->dead_why = why;
	}
	pthread_cond_broadcast(&c->qcond);
	pthread_mutex_unlock(&c->qlock);
}

static int client_dead(struct ws_client *c)
{
	pthread_mutex_lock(&c->qlock);
	int dead = c->dead;
	pthread_mutex_unlock(&c->qlock);
	return dead;
}

/* ---- client slots ----------------------------------------------------------------------- */

static void client_free(struct ws_client *c)
{
	free(c->listen);
	free(c->meter_mask);
	free(c->q);
	c->listen = NULL;
	c->meter_mask = NULL;
	c->q = NULL;
}

/* A connection's slot redeems one of ws_connect's promises (any: they are alike), in the
 * same locked step, so that no connect in between counts the client twice or not at all.
 * Caller holds h->lock. */
static void ws_promise_redeem(struct http *h)
{
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++)
		if (h->promised_s[k] > 0) {
			h->promised_s[k] = 0;
			return;
		}
}

/* A slot with its buffers; NULL when all HTTP_WS_MAX_CLIENTS are taken. */
static struct ws_client *client_new(struct http *h, struct mg_connection *conn, const char *who)
{
	struct ws_client *c = NULL;
	pthread_mutex_lock(&h->lock);
	if (conn)
		ws_promise_redeem(h);
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS && !c; k++)
		if (!h->client[k].held)
			c = &h->client[k];
	if (c) {
		memset(c, 0, sizeof(*c));
		c->used = c->held = 1;
		c->slot = (unsigned)(c - h->client);
	}
	pthread_mutex_unlock(&h->lock);
	if (!c)
		return NULL;
	c->h = h;
	c->conn = conn;
	c->sub_slot = -1;
	c->tokens = HTTP_WS_MSGS_BURST;
	c->tokens_s = monoclock_s();
	snprintf(c->name, sizeof(c->name), "%s", who);
	pthread_mutex_init(&c->qlock, NULL);
	pthread_cond_init(&c->qcond, NULL);
	c->listen = calloc((size_t)h->nstrips * P_COUNT, 1);
	c->meter_mask = calloc(h->nstrips, sizeof(*c->meter_mask));
	c->q = malloc(HTTP_WS_QUEUE_BYTES);
	if (!c->listen || !c->meter_mask || !c->q ||
	    (conn && pthread_create(&c->writer, NULL, ws_writer, c) != 0)) {
		client_free(c);
		pthread_mutex_lock(&h->lock);
		c->used = c->held = 0;
		pthread_mutex_unlock(&h->lock);
		return NULL;
	}
	c->writer_started = conn != NULL;
	return c;
}

static void client_end(struct ws_client *c)
{
	struct http *h = c->h;
	pthread_mutex_lock(&h->lock);
	if (c->sub_slot >= 0)
		ctl_subs_remove(&h->subs, (unsigned)c->sub_slot);
	c->used = 0; /* the send thread queues nothing more from here */
	int any = 0;
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++)
		any |= h->client[k].used && h->client[k].nlisten;
	ctl_feed_set_active(h->feed, any);
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_lock(&c->qlock);
	c->stop = 1;
	pthread_cond_signal(&c->qcond);
	pthread_mutex_unlock(&c->qlock);
	if (c->writer_started)
		pthread_join(c->writer, NULL);
	pthread_cond_destroy(&c->qcond);
	pthread_mutex_destroy(&c->qlock);
	client_free(c);
	pthread_mutex_lock(&h->lock);
	c->held = 0; /* only now may client_new reuse the slot */
	pthread_mutex_unlock(&h->lock);
}

/* ---- LISTEN / IGNORE ------------------------------------------------------------------ */

/* Meters: bit j of a strip's mask is field j, bit MF_COUNT the whole message. The client's
 * ctl_subs slot (its meter tap and schedule) exists while any bit is set. Caller holds
 * h->lock. */
static void meters_update(struct ws_client *c, double rate_hz)
{
	struct http *h = c->h;
	unsigned n = 0;
	for (unsigned i = 0; i < h->nstrips; i++)
		n += c->meter_mask[i] != 0;
	c->nmeter = n;
	if (!n && c->sub_slot >= 0) {
		ctl_subs_remove(&h->subs, (unsigned)c->sub_slot);
		c->sub_slot = -1;
	}
	if (!n)
		return;
	struct ctl_sub want = {.keylen = 1, .exempt = 1, .confirmed = 1};
	want.key[0] = (uint8_t)('A' + c->slot);
	snprintf(want.name, sizeof(want.name), "%s", c->name);
	want.rate_hz = (float)rate_hz;
	if (c->sub_slot >= 0 && rate_hz <= 0)
		want.rate_hz = h->subs.sub[c->sub_slot].rate_hz;
	if (want.rate_hz <= 0)
		want.rate_hz = OSC_METER_RATE_DEFAULT;
	if (want.rate_hz > OSC_METER_RATE_MAX)
		want.rate_hz = OSC_METER_RATE_MAX;
	int renewed, nev;
	struct ctl_sub gone;
	c->sub_slot = ctl_subs_add(&h->subs, &want, monoclock_s(), &renewed, &gone, &nev);
	if (c->sub_slot < 0)
		c->sub_slot = -1;
}

/* Values below a container path ("/", "/strip", "/strip/N", "/strip/N/module"): bit k of
 * out[strip * P_COUNT + id]. 0, or -1 when path is no container. */
static int container_sel(struct http *h, const char *path, struct ctl_sel *sel)
{
	const char *rest = "";
	unsigned strip;
	memset(sel, 0, sizeof(*sel));
	sel->kind = CTL_PARAM;
	if (!strcmp(path, "/") || !strcmp(path, "/strip")) {
		memset(sel->strip, 1, h->nstrips);
	} else if (!strncmp(path, "/strip/", 7) && parse_strip(h, path + 7, &rest, &strip) == 0 &&
		   !strchr(rest, '/')) {
		sel->strip[strip] = 1;
	} else {
		return -1;
	}
	for (int p = 0; p < P_COUNT; p++) {
		const char *rel = ctl_relpath(h->ctl, (enum param_id)p);
		if (!*rest || (mod_len(rel) == strlen(rest) && !strncmp(rel, rest, strlen(rest))))
			sel->param[p] = 1;
	}
	for (int p = 0; p < P_COUNT; p++)
		sel->nparam += sel->param[p];
	for (unsigned i = 0; i < h->nstrips; i++)
		sel->nsel += sel->strip[i];
	return sel->nparam ? 0 : -1;
}

/* A meter field path /strip/N/meter/<field> (patterns in N allowed): its bit, or -1. */
static int meter_field_sel(struct http *h, const char *path, struct ctl_sel *sel)
{
	char base[CTL_PATH_MAX], why[CTL_REASON_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof(base))
		return -1;
	memcpy(base, path, (size_t)(slash - path));
	base[slash - path] = '\0';
	if (ctl_resolve(h->ctl, base, sel, why) < 0 || sel->kind != CTL_METER)
		return -1;
	for (int j = 0; j < MF_COUNT; j++)
		if (!strcmp(slash + 1, meter_field_names[j]))
			return j;
	return -1;
}

static void listen_apply(struct ws_client *c, const struct ctl_sel *sel, int meter_bit, int on,
			 double rate_hz)
{
	struct http *h = c->h;
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->nstrips; i++) {
		if (!sel->strip[i])
			continue;
		if (meter_bit >= 0) {
			uint32_t bit = 1u << meter_bit;
			c->meter_mask[i] = on ? c->meter_mask[i] | bit : c->meter_mask[i] & ~bit;
			continue;
		}
		for (int p = 0; p < P_COUNT; p++) {
			uint8_t *l = &c->listen[i * P_COUNT + (unsigned)p];
			if (!(sel->param[p] & 1) || *l == (uint8_t)on)
				continue;
			c->nlisten = on ? c->nlisten + 1 : c->nlisten - 1;
			*l = (uint8_t)on;
		}
	}
	if (meter_bit >= 0)
		meters_update(c, rate_hz);
	int any = 0;
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++)
		any |= h->client[k].used && h->client[k].nlisten;
	ctl_feed_set_active(h->feed, any);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static void value_current(void *ctx, unsigned strip, enum param_id id, int norm, float v)
{
	struct ws_client *c = ctx;
	char path[CTL_PATH_MAX];
	lo_message m = ctl_lo_value(c->h->ctl, strip, id, norm, v, path, sizeof(path));
	if (m) {
		ws_queue_osc(c, path, m);
		lo_message_free(m);
	}
}

/* LISTEN or IGNORE a value, a container (every value below it), /strip/N/meter (the whole
 * meter message) or /strip/N/meter/<field>; patterns in N as in OSC. */
static void cmd_listen(struct ws_client *c, const struct http_cmd *cmd, int on)
{
	struct http *h = c->h;
	struct ctl_sel sel;
	char why[CTL_REASON_MAX];
	int bit = -1;
	if (ctl_resolve(h->ctl, cmd->data, &sel, why) == 0) {
		if (sel.kind == CTL_METER)
			bit = MF_COUNT;
		else if (sel.kind != CTL_PARAM) {
			ws_error(c, cmd->data, "not a value to listen to");
			return;
		}
	} else if (container_sel(h, cmd->data, &sel) < 0 &&
		   (bit = meter_field_sel(h, cmd->data, &sel)) < 0) {
		ws_error(c, cmd->data, why);
		return;
	}
	listen_apply(c, &sel, bit, on, cmd->rate_hz);
	if (on && bit < 0) /* a new listener starts from the values in force */
		ctl_get(h->ctl, &sel, value_current, c, why);
}

/* ---- presets and sets ------------------------------------------------------------------ */

static void reply_json(struct ws_client *c, const char *command, const char *data)
{
	struct jbuf b = {0};
	JB_LIT(&b, "{\"COMMAND\":");
	jb_str(&b, command);
	JB_LIT(&b, ",\"DATA\":");
	jb_put(&b, data, strlen(data));
	JB_LIT(&b, "}");
	ws_queue_json(c, &b);
}

static void list_one(void *ctx, const char *name)
{
	struct jbuf *b = ctx;
	if (b->n > 1)
		JB_LIT(b, ",");
	if (b->n < HTTP_WS_FRAME_MAX - 200) /* a longer list is cut, never a frame too big */
		jb_str(b, name);
}

static void cmd_preset(struct ws_client *c, const struct http_cmd *cmd)
{
	struct http *h = c->h;
	char path[1024], why[CTL_REASON_MAX];
	if (!strcmp(cmd->command, "PRESET_LIST")) {
		struct jbuf b = {0};
		JB_LIT(&b, "[");
		ctl_preset_list(list_one, &b);
		JB_LIT(&b, "]");
		if (!b.oom)
			reply_json(c, "PRESET_LIST", b.p);
		free(b.p);
		return;
	}
	int load = !strcmp(cmd->command, "PRESET_LOAD");
	int rc = load ? ctl_preset_load(h->ctl, cmd->data, HTTP_ORIGIN_BASE + (int)c->slot, path,
					sizeof(path), why)
		      : ctl_preset_save(h->ctl, cmd->data, path, sizeof(path), why);
	if (rc < 0) {
		ws_error(c, load ? "PRESET_LOAD" : "PRESET_SAVE", why);
		return;
	}
	struct jbuf b = {0};
	jb_str(&b, cmd->data);
	if (!b.oom)
		reply_json(c, load ? "PRESET_LOADED" : "PRESET_SAVED", b.p);
	free(b.p);
	http_log(h, "%s: preset '%s' %s %s", c->name, cmd->data, load ? "loaded from" : "saved to",
		 path);
}

static void ws_text(struct ws_client *c, const char *data, size_t n)
{
	struct http_cmd cmd;
	char why[CTL_REASON_MAX];
	if (http_parse_command(data, n, &cmd, why) < 0) {
		ws_error(c, "", why);
		return;
	}
	if (!strcmp(cmd.command, "LISTEN") || !strcmp(cmd.command, "IGNORE"))
		cmd_listen(c, &cmd, !strcmp(cmd.command, "LISTEN"));
	else if (!strcmp(cmd.command, "PRESET_LIST") || !strcmp(cmd.command, "PRESET_LOAD") ||
		 !strcmp(cmd.command, "PRESET_SAVE"))
		cmd_preset(c, &cmd);
	else
		ws_error(c, cmd.command, "unknown command (expected LISTEN, IGNORE, PRESET_LIST, "
					 "PRESET_LOAD, PRESET_SAVE)");
}

/* /strip/N/ab/store A|B, /strip/N/ab/recall A|B, /strip/N/ab/swap, /strip/N/reset. The
 * values they set reach every listener, this client included (its page shows them). */
static int ws_compare(struct ws_client *c, const struct ctl_sel *sel, int argc,
		      const char *types, lo_arg **argv, char *why)
{
	struct control *ctl = c->h->ctl;
	int slotted = sel->kind == CTL_AB_STORE || sel->kind == CTL_AB_RECALL;
	if (argc == 1 && types[0] == LO_NIL)
		argc = 0; /* the namespace's TYPE "N" for swap and reset */
	if (slotted != (argc == 1)) {
		snprintf(why, CTL_REASON_MAX, slotted ? "expected the slot: A or B"
						      : "takes no arguments");
		return -1;
	}
	int slot = 0;
	if (slotted) {
		struct ctl_arg a = ctl_lo_arg(types[0], argv[0]);
		if (a.kind != CTL_ARG_STRING) {
			snprintf(why, CTL_REASON_MAX, "expected the slot: A or B");
			return -1;
		}
		if ((slot = ctl_ab_slot(a.str, why)) < 0)
			return -1;
	}
	switch (sel->kind) {
	case CTL_AB_STORE: return ctl_ab_store(ctl, sel, slot, why);
	case CTL_AB_RECALL: return ctl_ab_recall(ctl, sel, slot, CTL_ORIGIN_NONE, why);
	case CTL_AB_SWAP: return ctl_ab_swap(ctl, sel, CTL_ORIGIN_NONE, why);
	default: return ctl_reset(ctl, sel, CTL_ORIGIN_NONE, why);
	}
}

/* A binary frame: one OSC message "/strip/N/module/param[/norm] value", set all or
 * nothing as over UDP. */
static void ws_binary(struct ws_client *c, const char *data, size_t n)
{
	struct http *h = c->h;
	char why[CTL_REASON_MAX], path[128];
	const char *nul = n ? memchr(data, '\0', n) : NULL;
	snprintf(path, sizeof(path), "%.*s", nul ? (int)(nul - data) : 0, data);
	if (!nul || data[0] != '/') {
		ws_error(c, "", "malformed frame (binary frames are OSC messages; bundles are not "
				"taken)");
		return;
	}
	int result = 0;
	lo_message m = lo_message_deserialise((void *)data, n, &result);
	if (!m) {
		snprintf(why, sizeof(why), "malformed OSC message (liblo error %d)", result);
		ws_error(c, path, why);
		return;
	}
	struct ctl_sel sel;
	const char *types = lo_message_get_types(m);
	int argc = types ? lo_message_get_argc(m) : 0;
	if (ctl_resolve(h->ctl, path, &sel, why) < 0) {
		ws_error(c, path, why);
	} else if (sel.kind == CTL_AB_STORE || sel.kind == CTL_AB_RECALL ||
		   sel.kind == CTL_AB_SWAP || sel.kind == CTL_RESET) {
		if (ws_compare(c, &sel, argc, types, lo_message_get_argv(m), why) < 0)
			ws_error(c, path, why);
	} else if (argc != 1) {
		ws_error(c, path, "expected one value");
	} else if (sel.kind != CTL_PARAM) {
		ws_error(c, path, "meters are read only (LISTEN to them)");
	} else {
		struct ctl_arg a = ctl_lo_arg(types[0], lo_message_get_argv(m)[0]);
		if (ctl_set(h->ctl, &sel, &a, HTTP_ORIGIN_BASE + (int)c->slot, why) < 0)
			ws_error(c, path, why);
	}
	lo_message_free(m);
}

/* Token bucket: HTTP_WS_MSGS_BURST, then HTTP_WS_MSGS_PER_S. */
static int rate_ok(struct ws_client *c)
{
	double t = monoclock_s();
	c->tokens = fmin(HTTP_WS_MSGS_BURST, c->tokens + (t - c->tokens_s) * HTTP_WS_MSGS_PER_S);
	c->tokens_s = t;
	if (c->tokens < 1)
		return 0;
	c->tokens -= 1;
	return 1;
}

/* One frame from the client. 1 keeps the connection, 0 closes it. */
static int ws_frame(struct ws_client *c, int bits, const char *data, size_t n)
{
	int op = bits & 0xf;
	const char *why = NULL;
	if (op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE || op == MG_WEBSOCKET_OPCODE_PONG ||
	    op == MG_WEBSOCKET_OPCODE_PING)
		return 1; /* civetweb answers pings and ends on a close */
	if (n > HTTP_WS_FRAME_MAX)
		why = "frame too large";
	else if (!(bits & 0x80) || op == MG_WEBSOCKET_OPCODE_CONTINUATION)
		why = "fragmented messages are not taken";
	else if (!rate_ok(c))
		why = "too many messages";
	else if (op != MG_WEBSOCKET_OPCODE_TEXT && op != MG_WEBSOCKET_OPCODE_BINARY)
		why = "unknown frame type";
	if (why) {
		client_kill(c, n > HTTP_WS_FRAME_MAX ? 1009 : 1008, why);
		http_log(c->h, "%s: %s: closing", c->name, why);
		return 0;
	}
	if (op == MG_WEBSOCKET_OPCODE_TEXT)
		ws_text(c, data, n);
	else
		ws_binary(c, data, n);
	pthread_mutex_lock(&c->qlock);
	int dead = c->dead;
	pthread_mutex_unlock(&c->qlock);
	return !dead;
}

/* ---- the frame reader --------------------------------------------------------------------- */

/* The socket of the connection civetweb has just upgraded: the one whose peer is the
 * request's remote address and port and whose local port is ours. civetweb 1.15 has no call
 * that returns it; the connection's thread is in ws_ready, so the descriptor stays open and
 * is not read by civetweb while we use it. -1 when not found. */
static int ws_socket(const struct http *h, const struct mg_request_info *ri)
{
	DIR *d = opendir("/proc/self/fd");
	int found = -1;
	struct dirent *e;
	while (d && found < 0 && (e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		struct sockaddr_storage peer, self;
		socklen_t pl = sizeof(peer), sl = sizeof(self);
		char addr[INET6_ADDRSTRLEN];
		if (*end || end == e->d_name || fd == dirfd(d) ||
		    getpeername((int)fd, (struct sockaddr *)&peer, &pl) < 0 ||
		    getsockname((int)fd, (struct sockaddr *)&self, &sl) < 0 ||
		    peer.ss_family != self.ss_family)
			continue;
		int pport, sport;
		if (peer.ss_family == AF_INET) {
			const struct sockaddr_in *p = (void *)&peer, *q = (void *)&self;
			inet_ntop(AF_INET, &p->sin_addr, addr, sizeof(addr));
			pport = ntohs(p->sin_port), sport = ntohs(q->sin_port);
		} else if (peer.ss_family == AF_INET6) {
			const struct sockaddr_in6 *p = (void *)&peer, *q = (void *)&self;
			inet_ntop(AF_INET6, &p->sin6_addr, addr, sizeof(addr));
			pport = ntohs(p->sin6_port), sport = ntohs(q->sin6_port);
		} else {
			continue;
		}
		if (pport == ri->remote_port && sport == h->port && !strcmp(addr, ri->remote_addr))
			found = (int)fd;
	}
	if (d)
		closedir(d);
	return found;
}

struct ws_rx {
	struct ws_client *c;
	int fd;
	double last_rx_s, last_ping_s;
	uint8_t *buf; /* HTTP_WS_FRAME_MAX */
};

/* Between frames: a ping after HTTP_WS_PING_S of silence, and a close once the client has
 * been silent for HTTP_WS_PINGS_MAX pings (a peer gone without a FIN). */
static void rx_idle(struct ws_rx *r, double t)
{
	if (t - r->last_rx_s > HTTP_WS_PING_S * HTTP_WS_PINGS_MAX)
		client_kill(r->c, 1001, "no answer to pings");
	else if (t - r->last_rx_s > HTTP_WS_PING_S && t - r->last_ping_s > HTTP_WS_PING_S) {
		ws_queue(r->c, MG_WEBSOCKET_OPCODE_PING, "", 0);
		r->last_ping_s = t;
	}
}

/* n bytes of the frame that began at *start_s (< 0: none has begun; the first byte begins
 * it). 0, or -1 when the connection is to end (the client is then dead, or gone). */
static int rx_bytes(struct ws_rx *r, uint8_t *out, size_t n, double *start_s)
{
	size_t got = 0;
	while (got < n) {
		if (client_dead(r->c))
			return -1;
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		int k = poll(&p, 1, 100); /* short: a stop or a kill is seen within 0.1 s */
		double t = monoclock_s();
		if (k > 0) {
			ssize_t m = recv(r->fd, out + got, n - got, 0);
			if (m == 0 || (m < 0 && errno != EINTR && errno != EAGAIN)) {
				client_kill(r->c, 1001, "closed by the client");
				return -1;
			}
			if (m > 0) {
				got += (size_t)m;
				r->last_rx_s = t;
				if (*start_s < 0)
					*start_s = t;
			}
		} else if (k < 0 && errno != EINTR) {
			client_kill(r->c, 1011, "read failed");
			return -1;
		} else if (*start_s < 0) {
			rx_idle(r, t);
		} else if (t - *start_s > HTTP_WS_FRAME_TIMEOUT_MS / 1000.0) {
			client_kill(r->c, 1008, "too slow: a frame took longer than the limit");
			http_log(r->c->h, "%s: a frame took longer than %d ms: closing", r->c->name,
				 HTTP_WS_FRAME_TIMEOUT_MS);
			return -1;
		}
	}
	return 0;
}

/* Why a frame header is refused before its payload is read, or NULL. */
static const char *rx_refuse(uint8_t b0, uint8_t b1, uint64_t len, int *code)
{
	int op = b0 & 0xf, control = op & 0x8;
	*code = 1002; /* protocol error */
	if (b0 & 0x70)
		return "reserved bits set (no extension was agreed)";
	if (!(b1 & 0x80))
		return "unmasked frame (a client must mask)";
	if (control && (len > 125 || !(b0 & 0x80)))
		return "bad control frame";
	*code = 1009; /* message too big */
	if (len > HTTP_WS_FRAME_MAX)
		return "frame too large";
	return NULL;
}

/* One frame: 1 keep reading, 0 end. */
static int rx_frame(struct ws_rx *r)
{
	uint8_t hdr[14];
	double start_s = -1;
	if (rx_bytes(r, hdr, 2, &start_s) < 0)
		return 0;
	size_t ext = (hdr[1] & 0x7f) == 126 ? 2 : (hdr[1] & 0x7f) == 127 ? 8 : 0;
	size_t more = ext + ((hdr[1] & 0x80) ? 4 : 0);
	if (rx_bytes(r, hdr + 2, more, &start_s) < 0)
		return 0;
	uint64_t len = hdr[1] & 0x7f;
	if (ext) {
		len = 0;
		for (size_t k = 0; k < ext; k++)
			len = len << 8 | hdr[2 + k];
	}
	int code;
	const char *why = rx_refuse(hdr[0], hdr[1], len, &code);
	if (why) {
		client_kill(r->c, code, why);
		http_log(r->c->h, "%s: %s (%llu bytes): closing", r->c->name, why,
			 (unsigned long long)len);
		return 0;
	}
	if (rx_bytes(r, r->buf, (size_t)len, &start_s) < 0)
		return 0;
	const uint8_t *mask = hdr + 2 + ext;
	for (size_t k = 0; k < len; k++)
		r->buf[k] ^= mask[k & 3];
	int op = hdr[0] & 0xf;
	if (op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) {
		client_kill(r->c, 1000, "");
		return 0;
	}
	if (op == MG_WEBSOCKET_OPCODE_PING)
		ws_queue(r->c, MG_WEBSOCKET_OPCODE_PONG, r->buf, (size_t)len);
	if (op == MG_WEBSOCKET_OPCODE_PING || op == MG_WEBSOCKET_OPCODE_PONG)
		return 1;
	return ws_frame(r->c, hdr[0], (const char *)r->buf, (size_t)len);
}

/* Frames until the connection is to end, then the writer's close frame, then the socket is
 * shut so that civetweb's own reader, which runs after this, ends at once. */
static void ws_read_frames(struct ws_client *c, int fd)
{
	struct ws_rx r = {.c = c, .fd = fd, .last_rx_s = monoclock_s(), .last_ping_s = 0};
	r.buf = malloc(HTTP_WS_FRAME_MAX);
	if (!r.buf)
		client_kill(c, 1011, "out of memory");
	while (r.buf && rx_frame(&r))
		;
	free(r.buf);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2; /* a client that does not read cannot hold us */
	pthread_mutex_lock(&c->qlock);
	while (!c->close_sent && !c->stop &&
	       pthread_cond_timedwait(&c->qcond, &c->qlock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&c->qlock);
	shutdown(fd, SHUT_RDWR);
}


/* ---- civetweb's WebSocket callbacks ------------------------------------------------------ */

/* Clients held plus live promises; caller holds h->lock. */
static unsigned ws_slots_taken(struct http *h, double now_s)
{
	unsigned n = 0;
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++) {
		if (h->promised_s[k] > 0 && now_s - h->promised_s[k] > HTTP_WS_PROMISE_S)
			h->promised_s[k] = 0;
		n += h->client[k].held + (h->promised_s[k] > 0);
	}
	return n;
}

static int ws_connect(const struct mg_connection *conn, void *ud)
{
	struct http *h = ud;
	/* without its socket, civetweb's own reader would take frames of any size */
	if (ws_socket(h, mg_get_request_info(conn)) < 0) {
		http_log(h, "refused a WebSocket: cannot find the connection's socket");
		return 1;
	}
	/* Host and Origin were checked in begin_request; this is the capacity, promised here
	 * because the handshake's 101 goes out before ws_ready runs */
	double now_s = monoclock_s();
	pthread_mutex_lock(&h->lock);
	unsigned n = ws_slots_taken(h, now_s);
	if (n < HTTP_WS_MAX_CLIENTS)
		for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++)
			if (h->promised_s[k] == 0) {
				h->promised_s[k] = now_s;
				break;
			}
	pthread_mutex_unlock(&h->lock);
	if (n >= HTTP_WS_MAX_CLIENTS) {
		http_log(h, "refused a WebSocket: %u clients already", n);
		/* civetweb would just drop the connection: say why, still in HTTP */
		char why[64];
		snprintf(why, sizeof(why), "too many WebSocket clients (at most %d)",
			 HTTP_WS_MAX_CLIENTS);
		reply_text((struct mg_connection *)conn, 503, why);
		return 1;
	}
	return 0;
}

static void ws_ready(struct mg_connection *conn, void *ud)
{
	struct http *h = ud;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	char who[64];
	snprintf(who, sizeof(who), "%s:%d", ri->remote_addr, ri->remote_port);
	int fd = ws_socket(h, ri);
	struct ws_client *c = fd >= 0 ? client_new(h, conn, who) : NULL;
	mg_set_user_connection_data(conn, c);
	if (!c) {
		/* ws_connect kept the capacity: here only memory or the socket can be missing */
		static const char why[] = "\x03\xf3" "cannot serve this connection";
		http_log(h, "%s: cannot serve this WebSocket (out of memory or no socket)", who);
		mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, why, sizeof(why) - 1);
		if (fd >= 0) /* civetweb's reader, which runs next, ends at once */
			shutdown(fd, SHUT_RDWR);
		return;
	}
	ws_read_frames(c, fd);
}

/* Only what civetweb still had buffered after our reader ended: nothing more is taken. */
static int ws_data(struct mg_connection *conn, int bits, char *data, size_t n, void *ud)
{
	(void)conn, (void)bits, (void)data, (void)n, (void)ud;
	return 0;
}

static void ws_close(const struct mg_connection *conn, void *ud)
{
	struct ws_client *c = mg_get_user_connection_data(conn);
	(void)ud;
	if (c)
		client_end(c);
}

/* ---- the send thread ----------------------------------------------------------------------- */

/* Runs under the engine lock (control.h): only signal. */
static void http_feed_wake(void *ctx)
{
	struct http *h = ctx;
	pthread_mutex_lock(&h->lock);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* Every pending change to every client listening to it, but not back to the client that
 * made it. Caller holds h->lock. */
static void tx_feedback(struct http *h, struct ctl_scratch *x)
{
	size_t n = ctl_feed_take(h->feed, x->chg, x->nchg);
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++) {
		struct ws_client *c = &h->client[k];
		if (!c->used || !c->nlisten)
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct ctl_change *ch = &x->chg[i];
			if (!c->listen[ch->strip * P_COUNT + ch->id] ||
			    ch->origin == HTTP_ORIGIN_BASE + (int)k)
				continue;
			value_current(c, ch->strip, ch->id, 0, ch->value);
		}
	}
}

static void tx_meter_send(struct http *h, struct ws_client *c, struct ctl_scratch *x)
{
	char path[64];
	for (unsigned i = 0; i < h->nstrips; i++) {
		uint32_t mask = c->meter_mask[i];
		for (int j = -1; x->have[i] && mask && j < MF_COUNT; j++) {
			if (!(mask & (1u << (j < 0 ? MF_COUNT : j))))
				continue;
			lo_message m = ctl_lo_meter(i, x->fields[i], j, path, sizeof(path));
			if (!m)
				return;
			ws_queue_osc(c, path, m);
			lo_message_free(m);
		}
	}
}

/* Meters for every client that is due. Caller holds h->lock. */
static void tx_meters(struct http *h, struct ctl_scratch *x, double t)
{
	if (!ctl_subs_fold_due(&h->subs, &h->lock, t))
		return;
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++) {
		struct ws_client *c = &h->client[k];
		if (!c->used || c->sub_slot < 0 || !ctl_subs_meter_due(&h->subs, (unsigned)c->sub_slot, t))
			continue;
		/* not under h->lock: the fields read the calibration under the engine lock */
		unsigned tap = (unsigned)c->sub_slot;
		pthread_mutex_unlock(&h->lock);
		ctl_meters_take(h->subs.meters, tap, x->fields, x->have);
		pthread_mutex_lock(&h->lock);
		if (c->used && c->sub_slot == (int)tap)
			tx_meter_send(h, c, x);
	}
}

static void *tx_main(void *arg)
{
	struct http *h = arg;
	struct ctl_scratch x;
	if (ctl_scratch_init(&x, h->ctl) < 0) {
		http_log(h, "out of memory: LISTEN streams are off");
		return NULL;
	}
	pthread_mutex_lock(&h->lock);
	while (!atomic_load(&h->stop)) {
		if (ctl_wait_due(&h->cond, &h->lock, h->feed, &h->subs))
			continue;
		tx_feedback(h, &x);
		tx_meters(h, &x, monoclock_s());
	}
	pthread_mutex_unlock(&h->lock);
	ctl_scratch_fini(&x);
	return NULL;
}

/* ---- start / stop ---------------------------------------------------------------------- */

static int file_read(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	char *buf = malloc(HTTP_FILE_MAX);
	size_t n = buf ? fread(buf, 1, HTTP_FILE_MAX, f) : 0;
	fclose(f);
	if (!buf || n == HTTP_FILE_MAX) {
		free(buf);
		return -EFBIG;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The page: the installed files, else (running from the build tree) the source's. */
static void load_files(struct http *h, const char *dir)
{
	struct stat st;
	if (!dir)
		dir = stat(CHANSTRIP_WEB_DIR "/index.html", &st) == 0 ? CHANSTRIP_WEB_DIR
								      : CHANSTRIP_SOURCE_WEB_DIR;
	snprintf(h->web_dir, sizeof(h->web_dir), "%s", dir);
	for (int k = 0; k < FILE_COUNT; k++) {
		char path[700];
		snprintf(path, sizeof(path), "%s/%s", dir, file_names[k]);
		if (file_read(path, &h->file[k], &h->file_len[k]) < 0)
			http_log(h, "warning: %s: cannot read it; /ui will answer 404", path);
	}
}

static int http_init_state(struct http *h, struct engine *e, char *err, size_t errlen)
{
	h->e = e;
	h->nstrips = engine_nstrips(e);
	h->get_slot = -1;
	ctl_log_init(&h->log, "http", HTTP_LOG_BURST, HTTP_LOG_PER_S);
	pthread_mutex_init(&h->lock, NULL);
	ctl_cond_init(&h->cond);
	if (!(h->ctl = ctl_new(e, err, errlen)))
		return -1;
	/* one more slot than clients: the last serves GET's meter values */
	if (ctl_subs_init(&h->subs, h->ctl, HTTP_WS_MAX_CLIENTS + 1, 1e12) < 0 ||
	    !(h->feed = ctl_feed_new(h->ctl, http_feed_wake, h))) {
		snprintf(err, errlen, "HTTP: out of memory or no meter reader left");
		return -1;
	}
	struct ctl_sub get = {.keylen = 1, .exempt = 1, .confirmed = 1, .rate_hz = 1e-6f};
	int renewed, nev;
	struct ctl_sub gone;
	snprintf(get.name, sizeof(get.name), "GET");
	h->get_slot = ctl_subs_add(&h->subs, &get, monoclock_s(), &renewed, &gone, &nev);
	h->subs.sub[h->get_slot].next_meter_s = 1e300; /* never "due": GET takes it itself */
	return 0;
}

struct http *http_new_unbound(struct engine *e, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "HTTP: out of memory");
		return NULL;
	}
	if (http_init_state(h, e, err, errlen) < 0) {
		http_stop(h);
		return NULL;
	}
	snprintf(h->bind, sizeof(h->bind), "127.0.0.1");
	snprintf(h->name, sizeof(h->name), "chanstrip");
	h->port = HTTP_DEFAULT_PORT;
	return h;
}

/* Our frame reader (ws_read_frames) does the pings and timeouts of an open WebSocket;
 * civetweb's own reader only runs for the moment after ours has shut the socket. */
static int civetweb_start(struct http *h, char *err, size_t errlen)
{
	char ports[96], threads[16], timeout[16];
	snprintf(ports, sizeof(ports), "%s:%d", h->bind, h->port);
	snprintf(threads, sizeof(threads), "%d", HTTP_WS_MAX_CLIENTS + 4);
	snprintf(timeout, sizeof(timeout), "%d", HTTP_WS_IO_TIMEOUT_MS);
	const char *opts[] = {"listening_ports", ports, "num_threads", threads,
			      "request_timeout_ms", timeout, "websocket_timeout_ms", "500",
			      "enable_websocket_ping_pong", "yes", "enable_keep_alive", "no",
			      NULL};
	struct mg_callbacks cb = {0};
	cb.begin_request = begin_request;
	mg_init_library(0);
	h->mg_lib = 1;
	if (!(h->mg = mg_start(&cb, h, opts))) {
		snprintf(err, errlen, "HTTP: cannot listen on %s port %d (in use, or not an address "
				      "of this machine: choose --http-port or --http-bind)",
			 h->bind, h->port);
		return -1;
	}
	mg_set_websocket_handler(h->mg, "/", ws_connect, ws_ready, ws_data, ws_close, h);
	snprintf(h->url, sizeof(h->url), "http://%s:%d/", h->bind, h->port);
	return 0;
}

struct http *http_start(struct engine *e, const struct http_config *cfg, char *err,
			size_t errlen)
{
	if (cfg->port < 1 || cfg->port > 65535) {
		snprintf(err, errlen, "HTTP port %d is not 1..65535", cfg->port);
		return NULL;
	}
	if (!mg_check_feature(16)) {
		snprintf(err, errlen, "HTTP: this civetweb is built without WebSocket support");
		return NULL;
	}
	struct http *h = http_new_unbound(e, err, errlen);
	if (!h)
		return NULL;
	snprintf(h->bind, sizeof(h->bind), "%s", cfg->bind && *cfg->bind ? cfg->bind : "127.0.0.1");
	snprintf(h->name, sizeof(h->name), "%s", cfg->name ? cfg->name : "chanstrip");
	snprintf(h->osc_ip, sizeof(h->osc_ip), "%s", cfg->osc_bind ? cfg->osc_bind : "127.0.0.1");
	h->osc_port = cfg->osc_port;
	h->port = cfg->port;
	if (gethostname(h->hostname, sizeof(h->hostname) - 1) < 0)
		h->hostname[0] = '\0';
	load_files(h, cfg->web_dir);
	if (pthread_create(&h->tx, NULL, tx_main, h) != 0) {
		snprintf(err, errlen, "HTTP: cannot start the send thread");
		goto fail;
	}
	h->tx_started = 1;
	if (civetweb_start(h, err, errlen) < 0)
		goto fail;
	return h;
fail:
	http_stop(h);
	return NULL;
}

const char *http_url(const struct http *h) { return h ? h->url : ""; }

int http_feed_frame(struct http *h, int opcode, const char *data, size_t n)
{
	struct ws_client *c = client_new(h, NULL, "fuzz");
	if (!c)
		return 0;
	int keep = ws_frame(c, opcode, data, n);
	client_end(c);
	return keep;
}

static void *stopper_main(void *arg)
{
	struct http *h = arg;
	mg_stop(h->mg); /* closes every connection: ws_close ends each client */
	atomic_store(&h->mg_stopped, 1);
	return NULL;
}

/* civetweb's accept loop looks at its stop flag only between polls of up to 2 s, so a
 * plain mg_stop() can take that long (past the exit watchdog). A connection to our own port
 * wakes the poll; repeated until the stop is done, since one that arrives before the flag
 * is set is just accepted. Open WebSockets are asked to close for the same reason. */
static void civetweb_stop(struct http *h)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h->port)};
	pthread_t t;
	if (inet_pton(AF_INET, h->bind, &to.sin_addr) != 1 || to.sin_addr.s_addr == INADDR_ANY)
		inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	pthread_mutex_lock(&h->lock);
	for (unsigned k = 0; k < HTTP_WS_MAX_CLIENTS; k++) {
		struct ws_client *c = &h->client[k];
		if (!c->used)
			continue;
		pthread_mutex_lock(&c->qlock); /* its writer sends the close */
		if (!c->dead) {
			c->dead = 1;
			c->dead_why = "server stopping";
		}
		pthread_cond_signal(&c->qcond);
		pthread_mutex_unlock(&c->qlock);
	}
	pthread_mutex_unlock(&h->lock);
	if (pthread_create(&t, NULL, stopper_main, h) != 0) {
		mg_stop(h->mg);
		return;
	}
	while (!atomic_load(&h->mg_stopped)) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			(void)!connect(fd, (const struct sockaddr *)&to, sizeof(to));
			close(fd);
		}
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	pthread_join(t, NULL);
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	if (h->mg)
		civetweb_stop(h);
	if (h->mg_lib)
		mg_exit_library();
	atomic_store(&h->stop, 1);
	if (h->tx_started) {
		pthread_mutex_lock(&h->lock);
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->tx, NULL);
	}
	ctl_feed_free(h->feed); /* after this no engine change reaches http_feed_wake */
	ctl_subs_fini(&h->subs);
	ctl_free(h->ctl);
	for (int k = 0; k < FILE_COUNT; k++)
		free(h->file[k]);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	ctl_log_fini(&h->log);
	free(h);
}
