/* rtcheck.c: the real-time-safety test build of chanstrip.
 *
 * tests/rtcheck/meson.build links this file, main.c and a copy of jackclient.c compiled with
 * -DCHANSTRIP_RTCHECK into chanstrip-rtcheck, with -Wl,--wrap for every function below. Each
 * wrapper counts the calls made while the calling thread is inside chanstrip's JACK process
 * callback (a thread-local flag that jackclient.c sets around the whole callback body) and
 * then does the real call. At exit the counts are printed; any call from the process
 * callback, too few process cycles, or wrappers that do not work make the exit status 1.
 *
 * While it runs, a control thread of its own changes parameters on every strip (engine_set
 * and engine_apply, values from the parameter table's own mapping, pre.oversample included so
 * the latency changes), and reads meters at 50 Hz as the terminal view and OSC do.
 *
 * --wrap reaches every call made from objects linked into the executable (src/, dsp/);
 * calls inside shared libraries (libjack's jack_port_get_buffer, libc internals) are not
 * seen. */
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include "engine.h"
#include "jack_rtcheck.h"

#define RT_FUNCS(X)                                                                                \
	X(malloc) X(calloc) X(realloc) X(free) X(posix_memalign) X(aligned_alloc)                  \
	X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_mutex_unlock)                     \
	X(pthread_cond_wait) X(pthread_cond_timedwait) X(pthread_cond_signal)                      \
	X(pthread_cond_broadcast) X(pthread_rwlock_rdlock) X(pthread_rwlock_wrlock)                \
	X(sem_wait) X(sem_timedwait) X(sem_post) X(nanosleep) X(usleep) X(sleep)                   \
	X(clock_nanosleep) X(write) X(read) X(poll) X(close) X(fopen) X(printf)                     \
	X(fprintf) X(vfprintf) X(puts) X(fputs) X(fputc) X(fwrite) X(putchar) X(fflush)            \
	X(__printf_chk) X(__fprintf_chk) X(__vfprintf_chk) X(syslog) X(jack_ringbuffer_create)

enum {
#define X(f) RT_##f,
	RT_FUNCS(X)
#undef X
	RT_N
};
static const char *const rt_names[RT_N] = {
#define X(f) #f,
	RT_FUNCS(X)
#undef X
};

static _Thread_local int in_process;
static atomic_ulong rt_calls[RT_N];
static atomic_ulong cycles;

#define COUNT(f)                                                                                   \
	do {                                                                                       \
		if (in_process)                                                                    \
			atomic_fetch_add_explicit(&rt_calls[RT_##f], 1, memory_order_relaxed);    \
	} while (0)

/* the wrappers: declare the real function, count, forward */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n) { COUNT(malloc); return __real_malloc(n); }
void *__real_calloc(size_t a, size_t b);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_calloc(size_t a, size_t b) { COUNT(calloc); return __real_calloc(a, b); }
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n) { COUNT(realloc); return __real_realloc(p, n); }
void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p) { COUNT(free); __real_free(p); }
int __real_posix_memalign(void **p, size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n)
{
	COUNT(posix_memalign);
	return __real_posix_memalign(p, a, n);
}
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n) { COUNT(aligned_alloc); return __real_aligned_alloc(a, n); }

#define WRAP1(ret, f, T1)                                                                          \
	ret __real_##f(T1 a);                                                                      \
	ret __wrap_##f(T1 a);                                                                      \
	ret __wrap_##f(T1 a) { COUNT(f); return __real_##f(a); }
#define WRAP2(ret, f, T1, T2)                                                                      \
	ret __real_##f(T1 a, T2 b);                                                                \
	ret __wrap_##f(T1 a, T2 b);                                                                \
	ret __wrap_##f(T1 a, T2 b) { COUNT(f); return __real_##f(a, b); }
#define WRAP3(ret, f, T1, T2, T3)                                                                  \
	ret __real_##f(T1 a, T2 b, T3 c);                                                          \
	ret __wrap_##f(T1 a, T2 b, T3 c);                                                          \
	ret __wrap_##f(T1 a, T2 b, T3 c) { COUNT(f); return __real_##f(a, b, c); }
#define WRAP4(ret, f, T1, T2, T3, T4)                                                              \
	ret __real_##f(T1 a, T2 b, T3 c, T4 d);                                                    \
	ret __wrap_##f(T1 a, T2 b, T3 c, T4 d);                                                    \
	ret __wrap_##f(T1 a, T2 b, T3 c, T4 d) { COUNT(f); return __real_##f(a, b, c, d); }

WRAP1(int, pthread_mutex_lock, pthread_mutex_t *)
WRAP1(int, pthread_mutex_trylock, pthread_mutex_t *)
WRAP1(int, pthread_mutex_unlock, pthread_mutex_t *)
WRAP2(int, pthread_cond_wait, pthread_cond_t *, pthread_mutex_t *)
WRAP3(int, pthread_cond_timedwait, pthread_cond_t *, pthread_mutex_t *, const struct timespec *)
WRAP1(int, pthread_cond_signal, pthread_cond_t *)
WRAP1(int, pthread_cond_broadcast, pthread_cond_t *)
WRAP1(int, pthread_rwlock_rdlock, pthread_rwlock_t *)
WRAP1(int, pthread_rwlock_wrlock, pthread_rwlock_t *)
WRAP1(int, sem_wait, sem_t *)
WRAP2(int, sem_timedwait, sem_t *, const struct timespec *)
WRAP1(int, sem_post, sem_t *)
WRAP2(int, nanosleep, const struct timespec *, struct timespec *)
WRAP1(int, usleep, useconds_t)
WRAP1(unsigned, sleep, unsigned)
WRAP4(int, clock_nanosleep, clockid_t, int, const struct timespec *, struct timespec *)
WRAP3(ssize_t, write, int, const void *, size_t)
WRAP3(ssize_t, read, int, void *, size_t)
WRAP3(int, poll, struct pollfd *, nfds_t, int)
WRAP1(int, close, int)
WRAP2(FILE *, fopen, const char *, const char *)
WRAP1(int, puts, const char *)
WRAP2(int, fputs, const char *, FILE *)
WRAP2(int, fputc, int, FILE *)
WRAP4(size_t, fwrite, const void *, size_t, size_t, FILE *)
WRAP1(int, putchar, int)
WRAP1(int, fflush, FILE *)
WRAP3(int, vfprintf, FILE *, const char *, va_list)
WRAP4(int, __vfprintf_chk, FILE *, int, const char *, va_list)
WRAP1(jack_ringbuffer_t *, jack_ringbuffer_create, size_t)

/* variadic ones forward to the v- forms */
int __wrap_printf(const char *fmt, ...);
int __wrap_printf(const char *fmt, ...)
{
	va_list ap;
	COUNT(printf);
	va_start(ap, fmt);
	int r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}
int __wrap_fprintf(FILE *f, const char *fmt, ...);
int __wrap_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	COUNT(fprintf);
	va_start(ap, fmt);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}
int __wrap___printf_chk(int flag, const char *fmt, ...);
int __wrap___printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	(void)flag;
	COUNT(__printf_chk);
	va_start(ap, fmt);
	int r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}
int __wrap___fprintf_chk(FILE *f, int flag, const char *fmt, ...);
int __wrap___fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	(void)flag;
	COUNT(__fprintf_chk);
	va_start(ap, fmt);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}
void __wrap_syslog(int pri, const char *fmt, ...);
void __wrap_syslog(int pri, const char *fmt, ...)
{
	(void)pri, (void)fmt;
	COUNT(syslog);
}

/* ---- hooks called by jackclient.c ------------------------------------------------------- */

void rtcheck_process_enter(void)
{
	in_process = 1;
	atomic_fetch_add_explicit(&cycles, 1, memory_order_relaxed);
}

void rtcheck_process_leave(void) { in_process = 0; }

static struct {
	pthread_t thread;
	int running;
	atomic_int stop;
	struct engine *e;
	unsigned long sets, applies, reads, eagain;
	int selftest_ok;
} drv;

static void *volatile sink;

/* The wrappers must see calls from code in the executable: make a few with the flag set
 * and check they were counted (then forget them). */
static int selftest(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	unsigned long before[3] = {atomic_load(&rt_calls[RT_malloc]), atomic_load(&rt_calls[RT_free]),
				   atomic_load(&rt_calls[RT_pthread_mutex_lock])};
	in_process = 1;
	sink = malloc(32);
	free(sink);
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	in_process = 0;
	int ok = atomic_load(&rt_calls[RT_malloc]) > before[0] &&
		 atomic_load(&rt_calls[RT_free]) > before[1] &&
		 atomic_load(&rt_calls[RT_pthread_mutex_lock]) > before[2];
	for (int i = 0; i < RT_N; i++)
		atomic_store(&rt_calls[i], 0);
	return ok;
}

static uint32_t rng_state = 12345;
static float frand(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return (float)(rng_state >> 8) / 16777216.0f;
}

static void *driver(void *arg)
{
	struct engine *e = arg;
	int reader = engine_meter_reader_add(e);
	struct timespec tick = {0, 5 * 1000 * 1000};
	unsigned n = 0;
	while (!atomic_load(&drv.stop)) {
		/* one value on one strip or all of them */
		enum param_id id = (enum param_id)(n % P_COUNT);
		int strip = (n / P_COUNT) % 2 ? -1 : (int)(n % e->nstrips);
		if (engine_set(e, strip, id, param_from_norm(id, frand())) == 0)
			drv.sets++;
		else
			drv.eagain++;
		/* a preset-like list now and then, with oversampling (latency) changes */
		if (n % 25 == 0) {
			struct param_assign a[3] = {
				{-1, P_PRE_OVERSAMPLE, param_from_norm(P_PRE_OVERSAMPLE, frand())},
				{-1, P_COMP_ENABLE, (float)(n / 25 % 2)},
				{0, P_PRE_GAIN, param_from_norm(P_PRE_GAIN, frand() * 0.5f)},
			};
			if (engine_apply(e, a, 3, NULL) == 0)
				drv.applies++;
		}
		/* meters at ~50 Hz */
		if (reader >= 0 && n % 4 == 0) {
			struct meter_snapshot snap;
			struct meter_hold hold;
			float f[MF_COUNT];
			engine_meters_poll(e);
			for (unsigned s = 0; s < e->nstrips; s++)
				if (engine_meter_read(e, reader, s, &snap, &hold) == 0) {
					engine_meter_fields(e, s, &snap, &hold, f);
					drv.reads++;
				}
		}
		n++;
		nanosleep(&tick, NULL);
	}
	return NULL;
}

void rtcheck_started(struct engine *e)
{
	drv.selftest_ok = selftest();
	drv.e = e;
	drv.running = pthread_create(&drv.thread, NULL, driver, e) == 0;
}

void rtcheck_stopping(void)
{
	if (!drv.running)
		return;
	atomic_store(&drv.stop, 1);
	pthread_join(drv.thread, NULL);
	drv.running = 0;
}

int rtcheck_exit_status(int rc)
{
	unsigned long total = 0;
	rtcheck_stopping();
	fprintf(stderr, "rtcheck: %lu process cycles; control thread: %lu sets, %lu lists, %lu meter "
			"reads, %lu retries (ring full)\n",
		atomic_load(&cycles), drv.sets, drv.applies, drv.reads, drv.eagain);
	for (int i = 0; i < RT_N; i++) {
		unsigned long k = atomic_load(&rt_calls[i]);
		if (k)
			fprintf(stderr, "rtcheck: FAIL: %lu call%s to %s from the process callback\n", k,
				k == 1 ? "" : "s", rt_names[i]);
		total += k;
	}
	if (!drv.selftest_ok) {
		fprintf(stderr, "rtcheck: FAIL: the wrappers did not count the self-test's calls\n");
		return 1;
	}
	if (atomic_load(&cycles) < 100) {
		fprintf(stderr, "rtcheck: FAIL: only %lu process cycles ran\n", atomic_load(&cycles));
		return 1;
	}
	if (total)
		return 1;
	fprintf(stderr, "rtcheck: OK: 0 calls to %d wrapped functions from the process callback\n",
		RT_N);
	return rc;
}
