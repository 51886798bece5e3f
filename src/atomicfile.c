#include "atomicfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomicfile_open(struct atomicfile *a, const char *path)
{
	a->tmp[0] = '\0';
	a->fd = -1;
	a->f = NULL;
	if (snprintf(a->path, sizeof(a->path), "%s", path) >= (int)sizeof(a->path))
		return -ENAMETOOLONG;
	snprintf(a->tmp, sizeof(a->tmp), "%s.tmp.XXXXXX", path);
	a->fd = mkstemp(a->tmp);
	if (a->fd < 0) {
		int rc = -errno;
		a->tmp[0] = '\0';
		return rc;
	}
	/* mkstemp makes it 0600; the file is a user's document, not a secret */
	fchmod(a->fd, 0644);
	return 0;
}

FILE *atomicfile_stream(struct atomicfile *a)
{
	if (a->fd < 0 || a->f) {
		errno = EBADF;
		return NULL;
	}
	a->f = fdopen(a->fd, "w");
	return a->f;
}

/* Closes the temporary file (stream and descriptor): 0 or -errno. */
static int atomicfile_close(struct atomicfile *a)
{
	int rc = 0;
	if (a->f) {
		if (fclose(a->f) != 0)
			rc = -errno;
	} else if (a->fd >= 0 && close(a->fd) != 0) {
		rc = -errno;
	}
	a->f = NULL;
	a->fd = -1;
	return rc;
}

/* The step that failed, and its error, after removing the temporary file. */
static int atomicfile_fail(struct atomicfile *a, int rc, const char *what, const char **step)
{
	atomicfile_abandon(a);
	if (step)
		*step = what;
	return rc;
}

int atomicfile_sync(struct atomicfile *a, const char **step)
{
	int rc;
	if (!a->tmp[0])
		return atomicfile_fail(a, -EBADF, "write", step);
	if (a->fd < 0)
		return 0; /* synced and closed already */
	/* a stream's buffered errors show up in fflush or ferror; fsync before the rename so
	 * that after a crash the destination is the old file or the whole new one */
	errno = 0;
	if (a->f && (fflush(a->f) != 0 || ferror(a->f)))
		return atomicfile_fail(a, errno ? -errno : -EIO, "write", step);
	if (fsync(a->fd) != 0)
		return atomicfile_fail(a, -errno, "write", step);
	if ((rc = atomicfile_close(a)) < 0)
		return atomicfile_fail(a, rc, "close", step);
	return 0;
}

int atomicfile_commit(struct atomicfile *a, const char **step)
{
	int rc = atomicfile_sync(a, step);
	if (rc < 0)
		return rc;
	if (rename(a->tmp, a->path) != 0)
		return atomicfile_fail(a, -errno, "rename into place", step);
	a->tmp[0] = '\0';
	return 0;
}

void atomicfile_abandon(struct atomicfile *a)
{
	(void)atomicfile_close(a);
	if (a->tmp[0])
		unlink(a->tmp);
	a->tmp[0] = '\0';
}
