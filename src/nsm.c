/* nsm.c: NSM (New Session Manager, API 1.1) client side. See nsm.h for the life cycle.
 *
 * One UDP socket of our own, read only by the control thread (nsm_begin's wait, then nsm_poll
 * from the control loop), so the handlers below may use the engine's control side directly
 * and need no locks of their own. liblo encodes and decodes; the socket is ours because
 * liblo 0.31's servers bind every interface, and a session manager's commands write files
 * where they say: the socket is bound to the local address that reaches the manager
 * (loopback for a manager on this host), and only datagrams from the manager's own address
 * are obeyed. Every message to the manager leaves from that socket: nsmd tells its clients
 * apart by the address their announce came from. */
#include "nsm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "control.h"
#include "monoclock.h"
#include "preset.h"

#define NSM_API_MAJOR 1
#define NSM_API_MINOR 1
#define NSM_APP_NAME "chanstrip"
/* ":dirty:" only: no :switch: (the JACK client is named once), no :optional-gui: */
#define NSM_CAPABILITIES ":dirty:"

/* The NSM API's error codes. A failed save answers ERR_GENERAL: the API names
 * ERR_SAVE_FAILED but gives it no number. */
#define NSM_ERR_GENERAL -1
#define NSM_ERR_NOT_NOW -8
#define NSM_ERR_BAD_PROJECT -9
#define NSM_ERR_CREATE_FAILED -10

/* Warn once if the session manager has not answered the announce after this long. */
#define NSM_ANNOUNCE_WARN_MS 5000
/* How long nsm_begin's wait sleeps on the socket before it looks at the signal fd again. */
#define NSM_WAIT_SLICE_MS 50
#define NSM_PATH_MAX 1024
/* Messages from anyone but the manager: one log line per this interval at most. */
#define NSM_FOREIGN_LOG_MS 10000
/* The largest datagram read; NSM messages are a few hundred bytes. */
#define NSM_DGRAM_MAX 65536

struct nsm {
	int fd;
	struct sockaddr_storage mgr; /* the manager, from NSM_URL: the only sender obeyed */
	socklen_t mgr_len;
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
	struct preset_ext ext; /* the MIDI maps saved with the values */

	/* after nsm_opened */
	struct engine *e;
	int dirty; /* what the session manager was last told (0: clean) */
	double dirty_poll_ms;
	int send_failed_logged;

	/* messages ignored because they did not come from the manager */
	double foreign_log_ms;
	unsigned foreign_unlogged;
};

/* fmt is always a literal: the prefix joins it at compile time */
#define nsm_log(...) log_line("NSM: " __VA_ARGS__)

int nsm_wanted(void)
{
	const char *url = getenv("NSM_URL");
	return url && *url;
}

/* ---- addresses ---------------------------------------------------------------------------- */

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 */
static int addr_is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss_family == AF_INET6) {
		const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(v6) || (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127);
	}
	return 0;
}

static int addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return -1;
}

static int addr_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)a)->sin6_addr,
					  &((const struct sockaddr_in6 *)b)->sin6_addr);
	return 0;
}

/* The manager's address: its port, and its host, where every loopback address is the same
 * host (a manager named osc.udp://myhost:PORT/ with myhost at 127.0.1.1 answers from
 * 127.0.0.1, the source the kernel picks toward our loopback socket). */
static int from_manager(const struct nsm *n, const struct sockaddr_storage *src)
{
	if (addr_port(src) != addr_port(&n->mgr))
		return 0;
	if (addr_same_host(src, &n->mgr))
		return 1;
	return src->ss_family == n->mgr.ss_family && addr_is_loopback(src) &&
	       addr_is_loopback(&n->mgr);
}

static void addr_text(const struct sockaddr_storage *a, socklen_t len, char *out, size_t size)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	if (getnameinfo((const struct sockaddr *)a, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, size, "?");
	else
		snprintf(out, size, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

/* Resolve NSM_URL into n->mgr. 0, 1 when it is not an OSC URL, -EPROTONOSUPPORT for
 * anything but UDP, or -EINVAL with the resolver's reason in err. */
static int manager_resolve(struct nsm *n, char *err, size_t errlen)
{
	lo_address a = lo_address_new_from_url(n->url);
	struct addrinfo hints = {0}, *res = NULL;
	int rc;
	if (!a)
		return 1;
	if (lo_address_get_protocol(a) != LO_UDP) {
		lo_address_free(a);
		snprintf(err, errlen, "NSM: %s: only osc.udp session managers are supported", n->url);
		return -EPROTONOSUPPORT;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(lo_address_get_hostname(a), lo_address_get_port(a), &hints, &res);
	lo_address_free(a);
	if (rc != 0) {
		snprintf(err, errlen, "NSM: %s: %s", n->url, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(&n->mgr, res->ai_addr, res->ai_addrlen);
	n->mgr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The socket, bound to the local address the kernel would send to the manager from (a
 * connected probe tells which): loopback for a manager on this host, never every
 * interface. 0 or -errno with the reason in err. */
static int socket_open(struct nsm *n, char *err, size_t errlen)
{
	struct sockaddr_storage self;
	socklen_t len = sizeof(self);
	int probe = socket(n->mgr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = probe < 0 ? -errno : 0;
	if (!rc && (connect(probe, (struct sockaddr *)&n->mgr, n->mgr_len) < 0 ||
		    getsockname(probe, (struct sockaddr *)&self, &len) < 0))
		rc = -errno;
	if (probe >= 0)
		close(probe);
	if (!rc && (n->fd = socket(n->mgr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		rc = -errno;
	if (!rc) {
		if (self.ss_family == AF_INET)
			((struct sockaddr_in *)&self)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&self)->sin6_port = 0;
		if (bind(n->fd, (struct sockaddr *)&self, len) < 0)
			rc = -errno;
	}
	if (rc)
		snprintf(err, errlen, "NSM: cannot open a UDP socket to talk to %s: %s", n->url,
			 strerror(-rc));
	return rc;
}

/* ---- sending ------------------------------------------------------------------------------ */

/* Send m (freed here) to the manager from our socket. 0 or -errno. */
static int send_raw(struct nsm *n, const char *path, lo_message m)
{
	char buf[NSM_PATH_MAX * 2 + 512];
	size_t size = sizeof(buf);
	int rc = -ENOMEM;
	if (m && lo_message_length(m, path) > sizeof(buf))
		rc = -EMSGSIZE;
	else if (m && lo_message_serialise(m, path, buf, &size))
		rc = sendto(n->fd, buf, size, 0, (struct sockaddr *)&n->mgr, n->mgr_len) ==
			     (ssize_t)size
			     ? 0
			     : -errno;
	if (m)
		lo_message_free(m);
	return rc;
}

static void send_msg(struct nsm *n, const char *path, lo_message m)
{
	int rc = send_raw(n, path, m);
	if (rc < 0 && !n->send_failed_logged) {
		n->send_failed_logged = 1;
		nsm_log("cannot send %s to %s: %s", path, n->url, strerror(-rc));
	}
}

static void reply_ok(struct nsm *n, const char *to, const char *msg)
{
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, to);
		lo_message_add_string(m, msg);
	}
	send_msg(n, "/reply", m);
}

static void reply_error(struct nsm *n, const char *to, int code, const char *msg)
{
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, to);
		lo_message_add_int32(m, code);
		lo_message_add_string(m, msg);
	}
	send_msg(n, "/error", m);
}

static void send_dirty(struct nsm *n, int dirty)
{
	send_msg(n, dirty ? "/nsm/client/is_dirty" : "/nsm/client/is_clean", lo_message_new());
	n->dirty = dirty;
}

/* argv[0] as launched, as the API asks: nsmd starts it again from this. 0 or -errno. */
static int send_announce(struct nsm *n)
{
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, NSM_APP_NAME);
		lo_message_add_string(m, NSM_CAPABILITIES);
		lo_message_add_string(m, program_invocation_name);
		lo_message_add_int32(m, NSM_API_MAJOR);
		lo_message_add_int32(m, NSM_API_MINOR);
		lo_message_add_int32(m, (int32_t)getpid());
	}
	return send_raw(n, "/nsm/server/announce", m);
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
		for (size_t i = 0; i < n->state.nprofiles; i++)
			if (n->state.profiles[i].strip >= (int)ns) {
				snprintf(why, len, "%s: nr.profile for strip %d, but the session has "
					 "%u", n->state_path, n->state.profiles[i].strip + 1, ns);
				preset_free(&n->state);
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
	float(*v)[P_COUNT] = malloc(engine_nstrips(e) * sizeof(*v));
	if (!v) {
		reply_error(n, "/nsm/client/save", NSM_ERR_GENERAL, "out of memory");
		if (took && !n->dirty)
			send_dirty(n, 1);
		return;
	}
	engine_get_all(e, v);
	snprintf(title, sizeof(title), "%s strips=%u", NSM_STATE_TITLE, engine_nstrips(e));
	struct preset_profile *prof = malloc(engine_nstrips(e) * sizeof(*prof));
	char *extra = n->ext.text ? malloc(PRESET_EXT_TEXT_MAX) : NULL;
	int rc = -ENOMEM;
	if (!prof || (n->ext.text && !extra)) {
		snprintf(err, sizeof(err), "out of memory");
	} else {
		if (extra)
			n->ext.text(n->ext.ctx, extra, PRESET_EXT_TEXT_MAX);
		struct preset_extras ex = {prof, ctl_nr_profiles(e, prof), extra};
		rc = preset_write_file_ext(n->state_path, title, (const float(*)[P_COUNT])v,
					   engine_nstrips(e), &ex, err, sizeof(err));
	}
	free(prof);
	free(extra);
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

static void on_reply(struct nsm *n, const char *types, lo_arg **argv, int argc)
{
	if (argc < 1 || types[0] != 's' || strcmp(arg_s(argv[0]), "/nsm/server/announce") != 0)
		return;
	if (n->announce_state == 0) {
		n->announce_state = 1;
		nsm_log("under session management by '%s' (%s)",
			argc >= 3 && types[2] == 's' ? arg_s(argv[2]) : "?", n->url);
	}
}

static void on_error(struct nsm *n, const char *types, lo_arg **argv, int argc)
{
	if (argc < 1 || types[0] != 's')
		return;
	if (strcmp(arg_s(argv[0]), "/nsm/server/announce") == 0) {
		n->announce_state = -1;
		snprintf(n->refused, sizeof(n->refused), "%s (error %d)",
			 argc >= 3 && types[2] == 's' ? arg_s(argv[2]) : "no reason given",
			 argc >= 2 && types[1] == 'i' ? arg_i(argv[1]) : 0);
	} else {
		nsm_log("the session manager reports an error for %s", arg_s(argv[0]));
	}
}

static void on_open(struct nsm *n, const char *types, lo_arg **argv, int argc)
{
	char why[NSM_PATH_MAX + 256];
	if (argc != 3 || strcmp(types, "sss") != 0)
		return;
	if (n->open_received) {
		/* no :switch: capability: nsmd restarts the client instead; anyone else is told */
		reply_error(n, "/nsm/client/open", NSM_ERR_NOT_NOW,
			    "chanstrip cannot switch sessions: restart it");
		return;
	}
	const char *sess = arg_s(argv[0]), *id = arg_s(argv[2]);
	if (!*id || strlen(id) >= sizeof(n->client_id)) {
		reply_error(n, "/nsm/client/open", NSM_ERR_GENERAL, "bad client id");
		return;
	}
	int code = session_open(n, sess, why, sizeof(why));
	if (code) {
		nsm_log("cannot open session '%s': %s", sess, why);
		reply_error(n, "/nsm/client/open", code, why);
		return; /* stay up: the session manager may send another open */
	}
	snprintf(n->client_id, sizeof(n->client_id), "%s", id);
	n->open_received = 1;
	nsm_log("open '%s' as '%s': %s", sess, id,
		n->has_state ? "state loaded" : "new session, starting from the command line");
}

static void on_save(struct nsm *n, int argc)
{
	if (argc != 0)
		return;
	if (!n->e)
		reply_error(n, "/nsm/client/save", NSM_ERR_NOT_NOW,
			    n->open_received ? "chanstrip is still starting" : "no session is open");
	else
		session_save(n);
}

/* A datagram from anyone but the manager: dropped unread, one log line per
 * NSM_FOREIGN_LOG_MS at most (a flood must not flood the log). */
static void on_foreign(struct nsm *n, const char *path, const struct sockaddr_storage *src,
		       socklen_t len)
{
	char from[INET6_ADDRSTRLEN + 16], mgr[INET6_ADDRSTRLEN + 16];
	double t = monoclock_ms();
	if (n->foreign_log_ms && t - n->foreign_log_ms < NSM_FOREIGN_LOG_MS) {
		n->foreign_unlogged++;
		return;
	}
	addr_text(src, len, from, sizeof(from));
	addr_text(&n->mgr, n->mgr_len, mgr, sizeof(mgr));
	if (n->foreign_unlogged)
		nsm_log("ignored %s from %s: only the session manager (%s) is obeyed (and %u more "
			"messages from others since the last such line)",
			path ? path : "a datagram", from, mgr, n->foreign_unlogged);
	else
		nsm_log("ignored %s from %s: only the session manager (%s) is obeyed",
			path ? path : "a datagram", from, mgr);
	n->foreign_log_ms = t;
	n->foreign_unlogged = 0;
}

/* One datagram: anything but a message from the manager is ignored (bundles too: session
 * managers send none). session_is_loaded and anything unknown: nothing to do. */
static void dispatch(struct nsm *n, void *data, size_t size, const struct sockaddr_storage *src,
		     socklen_t srclen)
{
	int res;
	const char *path = lo_get_path(data, (ssize_t)size);
	if (!from_manager(n, src)) {
		on_foreign(n, path, src, srclen);
		return;
	}
	lo_message m = path ? lo_message_deserialise(data, size, &res) : NULL;
	if (!m)
		return;
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	int argc = lo_message_get_argc(m);
	if (!types)
		types = "";
	if (strcmp(path, "/reply") == 0)
		on_reply(n, types, argv, argc);
	else if (strcmp(path, "/error") == 0)
		on_error(n, types, argv, argc);
	else if (strcmp(path, "/nsm/client/open") == 0)
		on_open(n, types, argv, argc);
	else if (strcmp(path, "/nsm/client/save") == 0)
		on_save(n, argc);
	lo_message_free(m);
}

/* Read whatever has arrived, waiting at most ms for the first datagram. */
static void drain(struct nsm *n, int ms)
{
	static char buf[NSM_DGRAM_MAX];
	struct pollfd p = {.fd = n->fd, .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return;
	for (;;) {
		struct sockaddr_storage src;
		socklen_t len = sizeof(src);
		ssize_t r = recvfrom(n->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src,
				     &len);
		if (r < 0)
			return;
		dispatch(n, buf, (size_t)r, &src, len);
	}
}

/* ---- life cycle --------------------------------------------------------------------------- */

static void nsm_free(struct nsm *n)
{
	if (!n)
		return;
	if (n->fd >= 0)
		close(n->fd);
	preset_free(&n->state);
	free(n);
}

void nsm_set_preset_ext(struct nsm *n, const struct preset_ext *x)
{
	if (n && x)
		n->ext = *x;
}

/* The session's values in place of the command line's, when it has a state file. */
static void options_from_session(const struct nsm *n, struct options *out)
{
	out->name = n->client_id;
	if (!n->has_state)
		return;
	out->channels = n->nstrips;
	out->channels_given = 1;
	out->assign = n->state.assign;
	out->src = n->state.src; /* kept parallel to assign */
	out->nassign = n->state.n;
	out->profiles = n->state.profiles;
	out->nprofiles = n->state.nprofiles;
	out->midi_maps = n->state.midi; /* the session's maps replace --midi-map */
	out->nmidi_maps = n->state.nmidi;
	/* A restored session's connections are the session's (jackpatch restores them);
	 * connecting the physical inputs again would feed a strip twice once the user has
	 * routed it elsewhere. A new session connects as usual, once. */
	out->no_connect = 1;
	out->connect = NULL;
	out->connect_out = NULL;
}

/* Wait for the open. 0 when open, 1 on a pending signal, -EPERM when refused. */
static int wait_open(struct nsm *n, int sigfd, char *err, size_t errlen)
{
	double t0 = monoclock_ms();
	int warned = 0;
	while (!n->open_received) {
		struct pollfd p = {.fd = sigfd, .events = POLLIN};
		if (sigfd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
			return 1;
		drain(n, NSM_WAIT_SLICE_MS);
		if (n->announce_state < 0) {
			snprintf(err, errlen, "NSM: the session manager at %s refused chanstrip: %s",
				 n->url, n->refused);
			return -EPERM;
		}
		if (!warned && n->announce_state == 0 &&
		    monoclock_ms() - t0 > NSM_ANNOUNCE_WARN_MS) {
			warned = 1;
			nsm_log("no answer from the session manager at %s yet; still waiting", n->url);
		}
	}
	return 0;
}

/* A session with its socket open, or NULL: *rc is then 0 (run unmanaged) or -errno. */
static struct nsm *nsm_new(const char *url, const struct options *in, int *rc, char *err,
			   size_t errlen)
{
	struct nsm *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "NSM: out of memory");
		*rc = -ENOMEM;
		return NULL;
	}
	n->fd = -1;
	n->in = in;
	snprintf(n->url, sizeof(n->url), "%s", url);
	*rc = manager_resolve(n, err, errlen);
	if (*rc == 1) {
		/* the NSM API: an invalid NSM_URL means no session management */
		nsm_log("NSM_URL '%s' is not an OSC URL (osc.udp://host:port/): running without "
			"session management",
			url);
		*rc = 0;
	} else if (*rc == 0 && (*rc = socket_open(n, err, errlen)) == 0) {
		return n;
	}
	nsm_free(n);
	return NULL;
}

int nsm_begin(struct nsm **np, int sigfd, const struct options *in, struct options *out,
	      char *err, size_t errlen)
{
	const char *url = getenv("NSM_URL");
	struct nsm *n;
	int rc;

	*np = NULL;
	*out = *in;
	if (!url || !*url)
		return 0;
	if (!(n = nsm_new(url, in, &rc, err, errlen)))
		return rc;
	if ((rc = send_announce(n)) < 0) {
		snprintf(err, errlen, "NSM: cannot send the announce to %s: %s", url, strerror(-rc));
		nsm_free(n);
		return -EIO;
	}
	nsm_log("announced to %s; waiting for the session manager to open a session", url);
	if ((rc = wait_open(n, sigfd, err, errlen)) != 0) {
		nsm_free(n);
		return rc;
	}
	options_from_session(n, out);
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
	n->dirty_poll_ms = monoclock_ms();
	snprintf(msg, sizeof(msg), "%u strip%s%s", engine_nstrips(e), engine_nstrips(e) == 1 ? "" : "s",
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
	double t = monoclock_ms();
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
