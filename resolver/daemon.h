/*
 * daemon.h -- process setup for cairnd: detaching, the pidfile, the state
 * directory and dropping privileges.
 *
 * Called only from main.c, at startup and shutdown, in the order: make the
 * state directory, detach, write the pidfile, open sockets and files (as
 * root if started as root), drop privileges. Each function logs its own
 * failure with the path or user at fault and returns a negative errno.
 */
#ifndef CAIRN_RESOLVER_DAEMON_H
#define CAIRN_RESOLVER_DAEMON_H

/*
 * Forks into the background. The child starts its own session, works in
 * "/" and gets *ready_fd; the parent waits until the child reports with
 * daemon_ready() and exits 0 if startup succeeded, 1 if not (or if the
 * child died), so a failing start is seen by whoever ran cairnd. Returns
 * 0 in the child or -errno (in the parent, if fork failed).
 */
int daemon_detach(int *ready_fd);

/*
 * Tells the waiting parent how startup went and closes ready_fd; on
 * success also points stdin/stdout/stderr at /dev/null (log to syslog
 * from then on). Nothing happens for ready_fd < 0 (foreground).
 */
void daemon_ready(int ready_fd, int ok);

/* Writes our pid to path (nothing if path is ""). Returns 0 or -errno. */
int daemon_pidfile_write(const char *path);

/* Removes path if it is not "". Failures are ignored. */
void daemon_pidfile_remove(const char *path);

/*
 * Creates the directory that will hold file (every missing component, mode
 * 0755). If username is not "" and the directory was created here, it is
 * given to that user so the cache stays writable after the privilege drop.
 * Returns 0 or -errno.
 */
int daemon_make_parent_dir(const char *file, const char *username);

/* Gives path to username and its group (nothing for ""), so it stays
 * usable after the privilege drop. Returns 0 or -errno (logged). */
int daemon_chown(const char *path, const char *username);

/*
 * Becomes username: supplementary groups, then gid, then uid
 * (setgroups/setgid/setuid, in that order, so none can be regained).
 * Nothing is done for "". Returns 0 or -errno (-ENOENT: no such user).
 */
int daemon_drop_privileges(const char *username);

#endif /* CAIRN_RESOLVER_DAEMON_H */
