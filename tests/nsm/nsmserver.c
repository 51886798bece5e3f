/* cs-nsmserver: a small NSM (New Session Manager) server for chanstrip's session tests,
 * on liblo, because Debian 12 packages no nsmd.
 *
 * It listens on a free UDP port (liblo 0.31 binds every address; the URL it prints names
 * 127.0.0.1) and prints, one line each on stdout:
 *   url osc.udp://127.0.0.1:PORT/                 first, the NSM_URL to give the client
 *   client HOST PORT                              where an announce came from (before the
 *                                                  announce line)
 *   announce NAME CAPS EXE MAJOR MINOR PID        (answered with /reply, or /error when
 *                                                  "refuse" was asked for)
 *   reply PATH MESSAGE                            a client's /reply
 *   error PATH CODE MESSAGE                       a client's /error
 *   is_dirty, is_clean                            dirtiness reports
 *   osc PATH TYPES ARG...                         anything else (answers to "get")
 *   foreign PATH                                  a message not from the announced address
 * and reads commands, one a line, on stdin:
 *   open PATH DISPLAY_NAME CLIENT_ID              /nsm/client/open to the announced client
 *   save                                          /nsm/client/save
 *   foreign open PATH DISPLAY_NAME CLIENT_ID      the same, to the announced client, but from
 *   foreign save                                  a second socket of ours (another port): an
 *                                                  impostor the client must not obey
 *   get PORT OSCPATH                              an OSC get (no argument) to 127.0.0.1:PORT,
 *                                                 from this socket: the answer comes back here
 *   refuse                                        answer the next announce with /error
 *   quit
 * Like nsmd, it tells clients apart by the address the announce came from, and every
 * client message must come from that address (the NSM API's lo_send_from rule). */
#include <errno.h>
#include <lo/lo.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lo_server srv;
static lo_server impostor; /* sends the "foreign" commands */
static lo_address client; /* where the last announce came from */
static int refuse;

static int same_addr(lo_address a, lo_address b)
{
	return a && b && strcmp(lo_address_get_hostname(a), lo_address_get_hostname(b)) == 0 &&
	       strcmp(lo_address_get_port(a), lo_address_get_port(b)) == 0;
}

/* liblo packs arguments at 4-byte offsets: copy them out rather than access the 8-byte
 * aligned union through a misaligned pointer */
static const char *arg_s(const lo_arg *a) { return (const char *)a; }
static int32_t arg_i(const lo_arg *a)
{
	int32_t v;
	memcpy(&v, a, sizeof(v));
	return v;
}

static void print_arg(char t, lo_arg *a)
{
	float f;
	double d;
	int64_t h;
	switch (t) {
	case 'f': memcpy(&f, a, sizeof(f)); printf(" %g", (double)f); break;
	case 'd': memcpy(&d, a, sizeof(d)); printf(" %g", d); break;
	case 'i': printf(" %d", arg_i(a)); break;
	case 'h': memcpy(&h, a, sizeof(h)); printf(" %lld", (long long)h); break;
	case 's':
	case 'S': printf(" %s", arg_s(a)); break;
	case 'T': printf(" true"); break;
	case 'F': printf(" false"); break;
	default: printf(" ?%c", t); break;
	}
}

static int on_announce(const char *path, const char *types, lo_arg **argv, int argc,
		       lo_message m, void *ctx)
{
	(void)path, (void)types, (void)argc, (void)ctx;
	lo_address src = lo_message_get_source(m);
	if (client)
		lo_address_free(client);
	client = lo_address_new(lo_address_get_hostname(src), lo_address_get_port(src));
	printf("client %s %s\n", lo_address_get_hostname(client), lo_address_get_port(client));
	printf("announce %s %s %s %d %d %d\n", arg_s(argv[0]), arg_s(argv[1]), arg_s(argv[2]), arg_i(argv[3]),
	       arg_i(argv[4]), arg_i(argv[5]));
	if (refuse) {
		refuse = 0;
		lo_send_from(client, srv, LO_TT_IMMEDIATE, "/error", "sis", "/nsm/server/announce",
			     -3, "blacklisted by the test");
	} else {
		lo_send_from(client, srv, LO_TT_IMMEDIATE, "/reply", "ssss", "/nsm/server/announce",
			     "welcome", "cs-nsmserver", ":server-control:optional-gui:");
	}
	return 0;
}

static int on_any(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
		  void *ctx)
{
	(void)ctx;
	int from_client = same_addr(lo_message_get_source(m), client);
	if (strncmp(path, "/strip/", 7) != 0 && !from_client) {
		printf("foreign %s\n", path);
		return 0;
	}
	if (strcmp(path, "/reply") == 0 && argc == 2 && strcmp(types, "ss") == 0) {
		printf("reply %s %s\n", arg_s(argv[0]), arg_s(argv[1]));
	} else if (strcmp(path, "/error") == 0 && argc == 3 && strcmp(types, "sis") == 0) {
		printf("error %s %d %s\n", arg_s(argv[0]), arg_i(argv[1]), arg_s(argv[2]));
	} else if (strcmp(path, "/nsm/client/is_dirty") == 0 && argc == 0) {
		printf("is_dirty\n");
	} else if (strcmp(path, "/nsm/client/is_clean") == 0 && argc == 0) {
		printf("is_clean\n");
	} else {
		printf("osc %s %s", path, types);
		for (int i = 0; i < argc; i++)
			print_arg(types[i], argv[i]);
		printf("\n");
	}
	return 0;
}

static void on_lo_error(int num, const char *msg, const char *where)
{
	fprintf(stderr, "cs-nsmserver: liblo error %d: %s %s\n", num, msg ? msg : "",
		where ? where : "");
}

/* One command line. 0, or 1 for quit. */
static int command(char *line)
{
	char *argv[5] = {0};
	int argc = 0;
	for (char *t = strtok(line, " \t\n"); t && argc < 5; t = strtok(NULL, " \t\n"))
		argv[argc++] = t;
	if (argc == 0)
		return 0;
	lo_server from = srv;
	if (strcmp(argv[0], "foreign") == 0) {
		from = impostor;
		memmove(argv, argv + 1, (size_t)(--argc) * sizeof(argv[0]));
		argv[argc] = NULL;
		if (argc == 0)
			return 0;
	}
	if (strcmp(argv[0], "quit") == 0)
		return 1;
	if (strcmp(argv[0], "refuse") == 0) {
		refuse = 1;
		return 0;
	}
	if (strcmp(argv[0], "get") == 0 && argc == 3) {
		lo_address a = lo_address_new("127.0.0.1", argv[1]);
		if (lo_send_from(a, srv, LO_TT_IMMEDIATE, argv[2], "") < 0)
			printf("cmd-failed get\n");
		lo_address_free(a);
		return 0;
	}
	if (!client) {
		printf("cmd-failed %s: no client has announced\n", argv[0]);
		return 0;
	}
	if (strcmp(argv[0], "open") == 0 && argc == 4) {
		lo_send_from(client, from, LO_TT_IMMEDIATE, "/nsm/client/open", "sss", argv[1],
			     argv[2], argv[3]);
	} else if (strcmp(argv[0], "save") == 0) {
		lo_send_from(client, from, LO_TT_IMMEDIATE, "/nsm/client/save", "");
	} else {
		printf("cmd-failed %s: unknown command\n", argv[0]);
	}
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	srv = lo_server_new_with_proto(NULL, LO_UDP, on_lo_error);
	impostor = lo_server_new_with_proto(NULL, LO_UDP, on_lo_error);
	if (!srv || !impostor) {
		fprintf(stderr, "cs-nsmserver: no UDP port\n");
		return 1;
	}
	lo_server_add_method(srv, "/nsm/server/announce", "sssiii", on_announce, NULL);
	lo_server_add_method(srv, NULL, NULL, on_any, NULL);
	printf("url osc.udp://127.0.0.1:%d/\n", lo_server_get_port(srv));

	/* stdin is read with read(), not stdio: a buffered second line would never wake poll */
	char buf[8192];
	size_t have = 0;
	int done = 0;
	while (!done) {
		struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
				      {.fd = lo_server_get_socket_fd(srv), .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("cs-nsmserver: poll");
			return 1;
		}
		if (p[1].revents & POLLIN)
			while (lo_server_recv_noblock(srv, 0) > 0)
				;
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(0, buf + have, sizeof(buf) - 1 - have);
			if (r <= 0)
				break; /* the test script went away */
			have += (size_t)r;
			buf[have] = '\0';
			char *nl;
			while (!done && (nl = strchr(buf, '\n'))) {
				*nl = '\0';
				done = command(buf);
				have -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, have + 1);
			}
			if (have == sizeof(buf) - 1)
				have = 0; /* an endless line: drop it */
		}
	}
	if (client)
		lo_address_free(client);
	lo_server_free(impostor);
	lo_server_free(srv);
	return 0;
}
