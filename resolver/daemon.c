/*
 * daemon.c -- detaching, pidfile, state directory, privilege drop.
 */
#include "config.h"
#include "resolver/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "util/log.h"

static int
null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return log_errno_rc("/dev/null");
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0) {
		int rc = log_errno_rc("dup2");

		close(fd);
		return rc;
	}
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/* The parent's side of daemon_detach(): wait for the child's verdict. */
static void
wait_for_child(int fd)
{
	char status = 0;
	ssize_t n;

	do
		n = read(fd, &status, 1);
	while (n < 0 && errno == EINTR);
	_exit(n == 1 && status == 1 ? 0 : 1);
}

int
daemon_detach(int *ready_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return log_errno_rc("pipe");
	if ((pid = fork()) < 0) {
		int rc = log_errno_rc("fork");

		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid > 0) {
		close(fds[1]);
		wait_for_child(fds[0]);
	}
	close(fds[0]);
	*ready_fd = fds[1];
	if (setsid() < 0)
		return log_errno_rc("setsid");
	if (chdir("/") < 0)
		return log_errno_rc("chdir /");
	return 0;
}

void
daemon_ready(int ready_fd, int ok)
{
	char status = ok ? 1 : 0;
	ssize_t n;

	if (ready_fd < 0)
		return;
	if (ok)
		(void)null_stdio();
	do
		n = write(ready_fd, &status, 1);
	while (n < 0 && errno == EINTR);
	close(ready_fd);
}

int
daemon_pidfile_write(const char *path)
{
	FILE *fp;

	if (path[0] == '\0')
		return 0;
	if ((fp = fopen(path, "w")) == NULL)
		return log_errno_rc(path);
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0)
		return log_errno_rc(path);
	return 0;
}

void
daemon_pidfile_remove(const char *path)
{
	if (path[0] != '\0')
		(void)unlink(path);
}

static int
lookup_user(const char *username, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(username)) == NULL) {
		log_err("user \"%s\": %s", username,
		        errno ? strerror(errno) : "no such user");
		return errno ? -errno : -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* mkdir -p dir; *created tells whether the last component was made. */
static int
mkdir_p(char *dir, int *created)
{
	char *slash;

	*created = 0;
	for (slash = strchr(dir + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return log_errno_rc(dir);
		*slash = '/';
	}
	if (mkdir(dir, 0755) == 0)
		*created = 1;
	else if (errno != EEXIST)
		return log_errno_rc(dir);
	return 0;
}

int
daemon_make_parent_dir(const char *file, const char *username)
{
	char dir[PATH_MAX];
	char *slash;
	int created, rc;

	if (strlen(file) >= sizeof(dir)) {
		log_err("%s: path too long", file);
		return -ENAMETOOLONG;
	}
	strcpy(dir, file);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0; /* the current directory or "/" */
	*slash = '\0';
	if ((rc = mkdir_p(dir, &created)) < 0)
		return rc;
	return created ? daemon_chown(dir, username) : 0;
}

int
daemon_chown(const char *path, const char *username)
{
	uid_t uid;
	gid_t gid;
	int rc;

	if (username[0] == '\0')
		return 0;
	if ((rc = lookup_user(username, &uid, &gid)) < 0)
		return rc;
	if (chown(path, uid, gid) < 0)
		return log_errno_rc(path);
	return 0;
}

int
daemon_drop_privileges(const char *username)
{
	uid_t uid;
	gid_t gid;
	int rc;

	if (username[0] == '\0')
		return 0;
	if ((rc = lookup_user(username, &uid, &gid)) < 0)
		return rc;
	if (setgroups(1, &gid) < 0)
		return log_errno_rc("setgroups");
	if (setgid(gid) < 0)
		return log_errno_rc("setgid");
	if (setuid(uid) < 0)
		return log_errno_rc("setuid");
	log_info("running as user %s (uid %ld)", username, (long)uid);
	return 0;
}
