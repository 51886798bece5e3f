/* atomicfile.h: the destination is either untouched or the whole new file, and no temporary
 * file is ever left behind, whichever step fails. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "testutil.h"

static char dir[256];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cs-atomicfile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Entries in dir, "." and ".." aside. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void remove_dir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The whole content of path into buf (NUL-terminated). */
static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void write_old(const char *path)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("old\n", f);
	fclose(f);
}

START_TEST(commit_replaces_whole_file)
{
	char path[300], buf[64];
	struct atomicfile a;
	struct stat st;
	make_dir();
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	write_old(path);
	ck_assert_int_eq(atomicfile_open(&a, path), 0);
	FILE *f = atomicfile_stream(&a);
	ck_assert_ptr_nonnull(f);
	fputs("new\n", f);
	slurp(path, buf, sizeof(buf));
	ck_assert_str_eq(buf, "old\n"); /* nothing visible before the commit */
	ck_assert_int_eq(entries(), 2);
	ck_assert_int_eq(atomicfile_commit(&a, NULL), 0);
	slurp(path, buf, sizeof(buf));
	ck_assert_str_eq(buf, "new\n");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(entries(), 1);
	atomicfile_abandon(&a); /* after a commit: a no-op */
	ck_assert_int_eq(entries(), 1);
	remove_dir();
}
END_TEST

/* A descriptor writer (as libsndfile is) and a sync before the commit. */
START_TEST(descriptor_sync_then_commit)
{
	char path[300], buf[64];
	struct atomicfile a;
	make_dir();
	snprintf(path, sizeof(path), "%s/out.bin", dir);
	ck_assert_int_eq(atomicfile_open(&a, path), 0);
	ck_assert_int_eq(write(a.fd, "abc", 3), 3);
	ck_assert_int_eq(atomicfile_sync(&a, NULL), 0);
	ck_assert_int_eq(access(path, F_OK), -1); /* synced, not yet in place */
	ck_assert_int_eq(atomicfile_commit(&a, NULL), 0);
	slurp(path, buf, sizeof(buf));
	ck_assert_str_eq(buf, "abc");
	ck_assert_int_eq(entries(), 1);
	remove_dir();
}
END_TEST

START_TEST(abandon_keeps_old_file)
{
	char path[300], buf[64];
	struct atomicfile a;
	make_dir();
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	write_old(path);
	ck_assert_int_eq(atomicfile_open(&a, path), 0);
	fputs("half", atomicfile_stream(&a));
	atomicfile_abandon(&a);
	atomicfile_abandon(&a); /* twice: a no-op */
	slurp(path, buf, sizeof(buf));
	ck_assert_str_eq(buf, "old\n");
	ck_assert_int_eq(entries(), 1);
	remove_dir();
}
END_TEST

/* A rename that fails (the destination is a directory) says so and leaves no temporary. */
START_TEST(failed_rename_cleans_up)
{
	char path[300];
	struct atomicfile a;
	const char *step = NULL;
	make_dir();
	snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(atomicfile_open(&a, path), 0);
	fputs("data", atomicfile_stream(&a));
	ck_assert_int_eq(atomicfile_commit(&a, &step), -EISDIR);
	ck_assert_str_eq(step, "rename into place");
	ck_assert_int_eq(entries(), 1); /* only the directory */
	remove_dir();
}
END_TEST

START_TEST(open_errors)
{
	char path[5000];
	struct atomicfile a;
	make_dir();
	snprintf(path, sizeof(path), "%s/no/such/dir/out.txt", dir);
	ck_assert_int_eq(atomicfile_open(&a, path), -ENOENT);
	atomicfile_abandon(&a); /* safe after a failed open */
	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(atomicfile_open(&a, path), -ENAMETOOLONG);
	atomicfile_abandon(&a);
	ck_assert_int_eq(entries(), 0);
	remove_dir();
}
END_TEST

int main(void)
{
	Suite *su = suite_create("atomicfile");
	TCase *tc = tcase_create("atomicfile");
	tcase_add_test(tc, commit_replaces_whole_file);
	tcase_add_test(tc, descriptor_sync_then_commit);
	tcase_add_test(tc, abandon_keeps_old_file);
	tcase_add_test(tc, failed_rename_cleans_up);
	tcase_add_test(tc, open_errors);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
