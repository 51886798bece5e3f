/* nsm.c: NSM (New Session Manager, API 1.1) client side. See nsm.h for the life cycle.
 *
 * One liblo server of our own, never a liblo thread: it is read only by the control thread
 * (nsm_begin's wait, then nsm_poll from the control loop), so the handlers below may use the
 * engine's control side directly and need no locks of their own. Every message to the session
 * manager leaves from that server's socket (lo_send_from): nsmd tells its clients apart by
 * the address their announce came from. */
#include "nsm.h"

#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "preset.h"

#define NSM_API_MAJOR 1
#define NSM_API_MINOR 1
#define NSM_APP_NAME "chanstrip"
/* ":dirty:" only: no :switch: (the JACK client is named once), no :optional-gui: */
#define NSM_CAPABILITIES ":dirty:"

/* Error codes of the NSM API ("Error Code Definitions"). A failed save answers
 * ERR_GENERAL: the API names ERR_SAVE_FAILED but gives it no number. */
#define NSM_ERR_GENERAL -1
#define NSM_ERR_NOT_NOW -8
#define NSM_ERR_BAD_PROJECT -9
#define NSM_ERR_CREATE_FAILED -10

/* Warn once if the session manager has not answered the announce after this long. */
#define NSM_ANNOUNCE_WARN_MS 5000
/* How long nsm_begin's wait sleeps in liblo before it looks at the signal fd again. */
#define NSM_WAIT_SLICE_MS 50
#define NSM_PATH_MAX 1024

struct nsm {
	lo_server srv;
	lo_address mgr;
	char url[NSM_PATH_MAX];
	const struct options *in;

	int announce_state; /* 0 no answer yet, 1 accepted, -1 refused */
	char refused[256];

	/* the open: received and loaded (reply pending until nsm_opened), then answered */
	int open_received, open_answered;
	char client_id[256];
	char state_path[NSM_PATH_MAX];
	int has_state; /* the state file existed and was loaded */
	unsigned nstrips;
	struct preset state;

	/* after nsm_opened */
	struct engine *e;
	int dirty; /* what the session manager was last told (0: clean) */
	double dirty_poll_ms;
	int send_failed_logged;
};

static void nsm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void nsm_log(const char *fmt, ...)
{
	va_list ap;
	fputs("chanstrip: NSM: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int nsm_wanted(void)
{
	const char *url = getenv("NSM_URL");
	return url && *url;
}

/* ---- sending ------------------------------------------------------------------------------ */

static void sent(struct nsm *n, int rc, const char *path)
{
	if (rc < 0 && !n->send_failed_logged) {
		n->send_failed_logged = 1;
		nsm_log("cannot send %s to %s: %s", path, n->url, lo_address_errstr(n->mgr));
	}
}

static void reply_ok(struct nsm *n, const char *to, const char *msg)
{
	sent(n, lo_send_from(n->mgr, n->srv, LO_TT_IMMEDIATE, "/reply", "ss", to, msg), "/reply");
}

static void reply_error(struct nsm *n, const char *to, int code, const char *msg)
{
	sent(n, lo_send_from(n->mgr, n->srv, LO_TT_IMMEDIATE, "/error", "sis", to, code, msg),
	     "/error");
}

static void send_dirty(struct nsm *n, int dirty)
{
	const char *path = dirty ? "/nsm/client/is_dirty" : "/nsm/client/is_clean";
	sent(n, lo_send_from(n->mgr, n->srv, LO_TT_IMMEDIATE, path, ""), path);
	n->dirty = dirty;
}

/* ---- session state ------------------------------------------------------------------------ */

/* mkdir -p of the folder that holds path (NSM creates the session folder itself; this makes
 * a path below it work too). 0 or -errno. */
static int mkdir_parent(const char *path)
{
	char dir[NSM_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return preset_mkdir_p(dir);
}

/* The strip count from the header the state file's first comment lines carry
 * ("... chanstrip-session strips=N ..."). 1 and *n when found, 0 when there is none, -1 when
 * it is there but not a number. */
static int read_strip_count(const char *path, unsigned *n)
{
	static const char tag[] = NSM_STATE_TITLE " strips=";
	char line[512];
	int found = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f) && line[0] == '#') {
		const char *t = strstr(line, tag);
		if (!t)
			continue;
		char *end;
		errno = 0;
		unsigned long v = strtoul(t + sizeof(tag) - 1, &end, 10);
		if (errno || end == t + sizeof(tag) - 1 || (*end && !strchr(" \t\r\n(", *end)) ||
		    v == 0 || v > ENGINE_MAX_STRIPS)
			found = -1;
		else {
			*n = (unsigned)v;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* Open the session at path (NSM's path_to_instance_specific_project). 0, or an NSM error code
 * with the reason in why. Nothing of a bad state file is kept. */
static int session_open(struct nsm *n, const char *path, char *why, size_t len)
{
	struct stat st;
	char err[768];
	int rc;

	if (!*path) {
		snprintf(why, len, "empty session path");
		return NSM_ERR_CREATE_FAILED;
	}
	if (snprintf(n->state_path, sizeof(n->state_path), "%s%s", path, NSM_STATE_SUFFIX) >=
	    (int)sizeof(n->state_path)) {
		snprintf(why, len, "session path too long (%zu characters)", strlen(path));
		return NSM_ERR_CREATE_FAILED;
	}
	preset_free(&n->state);
	n->has_state = 0;
	n->nstrips = n->in->channels;

	if (stat(n->state_path, &st) == 0) {
		unsigned ns = n->in->channels;
		int hdr = read_strip_count(n->state_path, &ns);
		if (hdr < 0) {
			snprintf(why, len, "%s: bad 'strips=' in the header (1 to %d)", n->state_path,
				 ENGINE_MAX_STRIPS);
			return NSM_ERR_BAD_PROJECT;
		}
		if ((rc = preset_load_file(n->state_path, &n->state, err, sizeof(err))) < 0) {
			snprintf(why, len, "%s", err);
			return NSM_ERR_BAD_PROJECT;
		}
		for (size_t i = 0; i < n->state.n; i++)
			if (n->state.assign[i].strip >= (int)ns) {
				snprintf(why, len, "%s: sets strip %d, but the session has %u strip%s",
					 n->state_path, n->state.assign[i].strip + 1, ns,
					 ns == 1 ? "" : "s");
				preset_free(&n->state);
				return NSM_ERR_BAD_PROJECT;
			}
		n->nstrips = ns;
		n->has_state = 1;
		return 0;
	}
	/* ENOTDIR: a file where a folder should be, which creating the folder reports below */
	if (errno != ENOENT && errno != ENOTDIR) {
		snprintf(why, len, "%s: %s", n->state_path, strerror(errno));
		return NSM_ERR_BAD_PROJECT;
	}
	/* A new session. The state lives in memory until the first save, but a folder we
	 * cannot write to must fail now, not at the end of the recording: make the folder and
	 * try the very operation a save does (a temporary file beside the state file). */
	if ((rc = mkdir_parent(n->state_path)) < 0) {
		snprintf(why, len, "cannot create the folder of %s: %s", n->state_path, strerror(-rc));
		return NSM_ERR_CREATE_FAILED;
	}
	char probe[NSM_PATH_MAX + 16];
	snprintf(probe, sizeof(probe), "%s.tmp.XXXXXX", n->state_path);
	int fd = mkstemp(probe);
	if (fd < 0) {
		snprintf(why, len, "cannot write %s: %s", n->state_path, strerror(errno));
		return NSM_ERR_CREATE_FAILED;
	}
	close(fd);
	unlink(probe);
	return 0;
}

/* Write every strip's values. Answers the save either way. */
static void session_save(struct nsm *n)
{
	struct engine *e = n->e;
	char title[64], err[768];
	/* Take the flag before reading the values: a change that lands after the read sets it
	 * again and is reported at the next poll, never lost (engine_mark_clean() after the
	 * write could drop it). */
	int took = engine_take_dirty(e);
	float(*v)[P_COUNT] = malloc(e->nstrips * sizeof(*v));
	if (!v) {
		reply_error(n, "/nsm/client/save", NSM_ERR_GENERAL, "out of memory");
		if (took && !n->dirty)
			send_dirty(n, 1);
		return;
	}
	engine_get_all(e, v);
	snprintf(title, sizeof(title), "%s strips=%u", NSM_STATE_TITLE, e->nstrips);
	int rc = preset_write_file(n->state_path, title, (const float(*)[P_COUNT])v, e->nstrips,
				   err, sizeof(err));
	free(v);
	if (rc < 0) {
		nsm_log("save failed: %s", err);
		reply_error(n, "/nsm/client/save", NSM_ERR_GENERAL, err);
		if (took && !n->dirty)
			send_dirty(n, 1);
		return;
	}
	reply_ok(n, "/nsm/client/save", "saved");
	if (n->dirty)
		send_dirty(n, 0);
}

/* ---- handlers (control thread) ----------------------------------------------------------- */

/* liblo packs arguments at 4-byte offsets: read them without a member access through the
 * 8-byte aligned union (undefined behaviour, which UBSan reports) */
static const char *arg_s(const lo_arg *a) { return (const char *)a; }
static int32_t arg_i(const lo_arg *a)
{
	int32_t v;
	memcpy(&v, a, sizeof(v));
	return v;
}

static int on_reply(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
		    void *ctx)
{
	struct nsm *n = ctx;
	(void)path, (void)m;
	if (argc < 1 || types[0] != 's' || strcmp(arg_s(argv[0]), "/nsm/server/announce") != 0)
		return 0;
	if (n->announce_state == 0) {
		n->announce_state = 1;
		nsm_log("under session management by '%s' (%s)",
			argc >= 3 && types[2] == 's' ? arg_s(argv[2]) : "?", n->url);
	}
	return 0;
}

static int on_error(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
		    void *ctx)
{
	struct nsm *n = ctx;
	(void)path, (void)m;
	if (argc < 1 || types[0] != 's')
		return 0;
	if (strcmp(arg_s(argv[0]), "/nsm/server/announce") == 0) {
		n->announce_state = -1;
		snprintf(n->refused, sizeof(n->refused), "%s (error %d)",
			 argc >= 3 && types[2] == 's' ? arg_s(argv[2]) : "no reason given",
			 argc >= 2 && types[1] == 'i' ? arg_i(argv[1]) : 0);
	} else {
		nsm_log("the session manager reports an error for %s", arg_s(argv[0]));
	}
	return 0;
}

static int on_open(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
		   void *ctx)
{
	struct nsm *n = ctx;
	char why[NSM_PATH_MAX + 256];
	(void)path, (void)types, (void)argc, (void)m;
	if (n->open_received) {
		/* no :switch: capability: nsmd restarts the client instead; anyone else is told */
		reply_error(n, "/nsm/client/open", NSM_ERR_NOT_NOW,
			    "chanstrip cannot switch sessions: restart it");
		return 0;
	}
	const char *sess = arg_s(argv[0]), *id = arg_s(argv[2]);
	if (!*id || strlen(id) >= sizeof(n->client_id)) {
		reply_error(n, "/nsm/client/open", NSM_ERR_GENERAL, "bad client id");
		return 0;
	}
	int code = session_open(n, sess, why, sizeof(why));
	if (code) {
		nsm_log("cannot open session '%s': %s", sess, why);
		reply_error(n, "/nsm/client/open", code, why);
		return 0; /* stay up: the session manager may send another open */
	}
	snprintf(n->client_id, sizeof(n->client_id), "%s", id);
	n->open_received = 1;
	nsm_log("open '%s' as '%s': %s", sess, id,
		n->has_state ? "state loaded" : "new session, starting from the command line");
	return 0;
}

static int on_save(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
		   void *ctx)
{
	struct nsm *n = ctx;
	(void)path, (void)types, (void)argv, (void)argc, (void)m;
	if (!n->e)
		reply_error(n, "/nsm/client/save", NSM_ERR_NOT_NOW,
			    n->open_received ? "chanstrip is still starting" : "no session is open");
	else
		session_save(n);
	return 0;
}

/* session_is_loaded, and anything else: nothing to do */
static int on_other(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
		    void *ctx)
{
	(void)path, (void)types, (void)argv, (void)argc, (void)m, (void)ctx;
	return 0;
}

static void on_lo_error(int num, const char *msg, const char *where)
{
	fprintf(stderr, "chanstrip: NSM: liblo error %d: %s%s%s\n", num, msg ? msg : "",
		where ? " at " : "", where ? where : "");
}

/* ---- life cycle --------------------------------------------------------------------------- */

static void nsm_free(struct nsm *n)
{
	if (!n)
		return;
	if (n->srv)
		lo_server_free(n->srv);
	if (n->mgr)
		lo_address_free(n->mgr);
	preset_free(&n->state);
	free(n);
}

/* Read whatever has arrived, waiting at most ms for the first message. */
static void drain(struct nsm *n, int ms)
{
	while (lo_server_recv_noblock(n->srv, ms) > 0)
		ms = 0;
}

int nsm_begin(struct nsm **np, int sigfd, const struct options *in, struct options *out,
	      char *err, size_t errlen)
{
	const char *url = getenv("NSM_URL");
	struct nsm *n;

	*np = NULL;
	*out = *in;
	if (!url || !*url)
		return 0;
	if (!(n = calloc(1, sizeof(*n)))) {
		snprintf(err, errlen, "NSM: out of memory");
		return -ENOMEM;
	}
	n->in = in;
	snprintf(n->url, sizeof(n->url), "%s", url);
	n->mgr = lo_address_new_from_url(url);
	if (!n->mgr) {
		/* the NSM API: an invalid NSM_URL means no session management */
		nsm_log("NSM_URL '%s' is not an OSC URL (osc.udp://host:port/): running without "
			"session management",
			url);
		nsm_free(n);
		return 0;
	}
	n->srv = lo_server_new_with_proto(NULL, lo_address_get_protocol(n->mgr), on_lo_error);
	if (!n->srv) {
		snprintf(err, errlen, "NSM: cannot open an OSC socket to talk to %s", url);
		nsm_free(n);
		return -EIO;
	}
	lo_server_add_method(n->srv, "/reply", NULL, on_reply, n);
	lo_server_add_method(n->srv, "/error", NULL, on_error, n);
	lo_server_add_method(n->srv, "/nsm/client/open", "sss", on_open, n);
	lo_server_add_method(n->srv, "/nsm/client/save", "", on_save, n);
	lo_server_add_method(n->srv, NULL, NULL, on_other, n);

	/* argv[0] as launched, as the API asks: nsmd starts it again from this */
	const char *exe = program_invocation_name;
	if (lo_send_from(n->mgr, n->srv, LO_TT_IMMEDIATE, "/nsm/server/announce", "sssiii",
			 NSM_APP_NAME, NSM_CAPABILITIES, exe, NSM_API_MAJOR, NSM_API_MINOR,
			 (int)getpid()) < 0) {
		snprintf(err, errlen, "NSM: cannot send the announce to %s: %s", url,
			 lo_address_errstr(n->mgr));
		nsm_free(n);
		return -EIO;
	}
	nsm_log("announced to %s; waiting for the session manager to open a session", url);

	double t0 = now_ms();
	int warned = 0;
	while (!n->open_received) {
		struct pollfd p = {.fd = sigfd, .events = POLLIN};
		if (sigfd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
			nsm_free(n);
			return 1;
		}
		drain(n, NSM_WAIT_SLICE_MS);
		if (n->announce_state < 0) {
			snprintf(err, errlen, "NSM: the session manager at %s refused chanstrip: %s",
				 url, n->refused);
			nsm_free(n);
			return -EPERM;
		}
		if (!warned && n->announce_state == 0 && now_ms() - t0 > NSM_ANNOUNCE_WARN_MS) {
			warned = 1;
			nsm_log("no answer from the session manager at %s yet; still waiting", url);
		}
	}
	out->name = n->client_id;
	if (n->has_state) {
		out->channels = n->nstrips;
		out->channels_given = 1;
		out->assign = n->state.assign;
		out->nassign = n->state.n;
		/* A restored session's connections are the session's (jackpatch restores them);
		 * connecting the physical inputs again would feed a strip twice once the user
		 * has routed it elsewhere. A new session connects as usual, once. */
		out->no_connect = 1;
		out->connect = NULL;
		out->connect_out = NULL;
	}
	*np = n;
	return 0;
}

void nsm_opened(struct nsm *n, struct engine *e)
{
	char msg[128];
	if (!n)
		return;
	n->e = e;
	engine_take_dirty(e); /* what was just loaded is what the session holds */
	n->dirty = 0;
	n->dirty_poll_ms = now_ms();
	snprintf(msg, sizeof(msg), "%u strip%s%s", e->nstrips, e->nstrips == 1 ? "" : "s",
		 n->has_state ? ", state restored" : ", new session");
	reply_ok(n, "/nsm/client/open", msg);
	n->open_answered = 1;
}

void nsm_poll(struct nsm *n)
{
	if (!n)
		return;
	drain(n, 0);
	if (!n->e)
		return;
	double t = now_ms();
	if (t - n->dirty_poll_ms < NSM_DIRTY_POLL_MS)
		return;
	n->dirty_poll_ms = t;
	/* the flag only says "changed since the last look": once dirty, stay dirty (and
	 * silent) until a save */
	if (engine_take_dirty(n->e) && !n->dirty)
		send_dirty(n, 1);
}

void nsm_end(struct nsm *n)
{
	if (!n)
		return;
	if (n->open_received && !n->open_answered)
		reply_error(n, "/nsm/client/open", NSM_ERR_GENERAL,
			    "chanstrip could not start its JACK client (see its log)");
	nsm_free(n);
}
