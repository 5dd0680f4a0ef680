/* daemon/state.c - the "state" subsystem: the state directory, the
 * single-instance lock, the node identity and our signed node record.
 *
 * Files (docs/operations.md "State directory"): vx6d.lock (flock, holds our
 * PID), identity.key + identity.json (identity/), node.record (our last
 * signed record, docs/wire.md §2). Every write is atomic (lib/fs.h), so a
 * kill -9 at any moment leaves a complete old or new file; the temporaries
 * such a kill leaves behind are removed at the next start, under the lock.
 */
#include "daemon/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "daemon/addr_watch.h"
#include "daemon/discovery.h"
#include "lib/clock.h"
#include "lib/fs.h"
#include "lib/log.h"

#define NODE_RECORD_FILE "node.record"
#define LOCK_FILE	 "vx6d.lock"

static int lock_take(struct daemon *d, char *err, size_t err_cap)
{
	char path[PATH_MAX], pid[32], held[32] = "";
	ssize_t n;
	int fd, len;

	if (fs_path_join(path, sizeof(path), d->cfg->state_dir, LOCK_FILE) < 0) {
		snprintf(err, err_cap, "state dir '%s' is too long", d->cfg->state_dir);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, err_cap, "Failed to open lock file '%s': %s", path,
			 strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = read(fd, held, sizeof(held) - 1);
		held[n > 0 ? n : 0] = '\0';
		held[strcspn(held, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			snprintf(err, err_cap,
				 "another vx6d (pid %s) is already running on state dir '%s'",
				 held[0] ? held : "?", d->cfg->state_dir);
		else
			snprintf(err, err_cap, "Failed to lock '%s': %s", path, strerror(e));
		close(fd);
		return -e;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		snprintf(err, err_cap, "Failed to write lock file '%s': %s", path,
			 strerror(errno));
		close(fd);
		return -EIO;
	}
	d->lock_fd = fd;
	return 0;
}

static void lock_release(struct daemon *d)
{
	char path[PATH_MAX];

	if (d->lock_fd < 0)
		return;
	if (fs_path_join(path, sizeof(path), d->cfg->state_dir, LOCK_FILE) == 0)
		unlink(path); /* still holding the lock, so no one else owns it */
	close(d->lock_fd);
	d->lock_fd = -1;
}

/* Remove "<name>.tmp.<pid>" files left by a write that a crash cut short.
 * Safe only under the lock: no other vx6d writes here. */
static void remove_stale_temporaries(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!dh)
		return;
	while ((e = readdir(dh))) {
		if (!strstr(e->d_name, ".tmp."))
			continue;
		if (fs_path_join(path, sizeof(path), dir, e->d_name) == 0 && unlink(path) == 0)
			log_info(LD_GENERAL, "Removed interrupted write '%s'", path);
	}
	closedir(dh);
}

/* Load the record a previous run left, so the next sequence number is
 * higher. A missing file is fine; an unreadable, corrupt or foreign one is
 * an error the operator must look at (it could be tampering). */
static int record_load(struct daemon *d, char *err, size_t err_cap)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len;
	struct node_record rec;
	int r;

	fs_path_join(path, sizeof(path), d->cfg->state_dir, NODE_RECORD_FILE);
	r = fs_read_file(path, NODE_RECORD_MAX_LEN, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, err_cap, "Failed to read state file '%s': %s", path,
			 r == -EFBIG ? "larger than any node record (corrupt)" : strerror(-r));
		return r;
	}
	r = node_record_decode(&rec, buf, len);
	free(buf);
	if (r == 0 && memcmp(rec.pk, d->ident.pk, NODE_PK_LEN) != 0)
		r = -EKEYREJECTED;
	if (r == 0 && node_record_verify(&rec, rec.issued) == -EBADMSG)
		r = -EBADMSG;
	if (r < 0) {
		snprintf(err, err_cap,
			 "Failed to read state file '%s': %s; move it away to start with a "
			 "fresh record",
			 path,
			 r == -EKEYREJECTED ? "it belongs to another node key"
			 : r == -EBADMSG    ? "corrupt (bad encoding or signature)"
					    : "unsupported version");
		return -EINVAL;
	}
	d->record = rec;
	d->have_record = true;
	return 0;
}

int daemon_node_publish(struct daemon *d)
{
	struct node_record rec;
	uint8_t buf[NODE_RECORD_MAX_LEN];
	char path[PATH_MAX];
	uint64_t now = clock_wall_s(), now_us = now * 1000000u;
	size_t len;
	int r;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.pk, d->ident.pk, NODE_PK_LEN);
	snprintf(rec.name, sizeof(rec.name), "%s", d->ident.name);
	/* Higher than anything we issued before, and (through the clock) than
	 * anything a previous incarnation that lost its state issued. */
	rec.seq = d->have_record && d->record.seq >= now_us ? d->record.seq + 1 : now_us;
	rec.issued = now;
	rec.expires = now + d->cfg->record_lifetime_s;
	for (unsigned i = 0; i < d->cfg->n_listen && rec.n_endpoints < RECORD_ENDPOINTS_MAX;
	     i++) {
		const struct config_listen *l = &d->cfg->listen[i];
		struct in6_addr host[ADDR_WATCH_MAX];
		size_t n = 1;

		/* A listener on "::" is reachable at every usable address the
		 * host has now (daemon/addr_watch.c follows changes). */
		if (IN6_IS_ADDR_UNSPECIFIED(&l->addr))
			n = daemon_addr_watch_get(d, host, ADDR_WATCH_MAX);
		else
			host[0] = l->addr;
		for (size_t k = 0; k < n && rec.n_endpoints < RECORD_ENDPOINTS_MAX; k++) {
			rec.ep[rec.n_endpoints].addr = host[k];
			rec.ep[rec.n_endpoints].port = l->port;
			rec.ep[rec.n_endpoints].transport = l->transport;
			rec.n_endpoints++;
		}
	}
	r = node_record_sign(&rec, d->ident.sk);
	if (r == 0)
		r = node_record_encode(&rec, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	fs_path_join(path, sizeof(path), d->cfg->state_dir, NODE_RECORD_FILE);
	r = fs_write_atomic(path, buf, len, 0644);
	if (r < 0) {
		d->stats.state_write_errors++;
		return r;
	}
	d->record = rec;
	d->have_record = true;
	d->stats.record_publishes++;
	daemon_discovery_record_changed(d);
	return 0;
}

static int state_init(struct daemon *d, char *err, size_t err_cap)
{
	struct stat st;
	int r;

	if (stat(d->cfg->state_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_cap,
			 "state dir '%s' does not exist; create an identity with 'vx6 init "
			 "--name NAME --state-dir %s'",
			 d->cfg->state_dir, d->cfg->state_dir);
		return -ENOENT;
	}
	r = lock_take(d, err, err_cap);
	if (r < 0)
		return r;
	remove_stale_temporaries(d->cfg->state_dir);
	r = identity_load(d->cfg->state_dir, true, &d->ident, err, err_cap);
	if (r < 0)
		goto err_unlock;
	r = record_load(d, err, err_cap);
	if (r < 0)
		goto err_ident;
	r = daemon_node_publish(d);
	if (r < 0) {
		snprintf(err, err_cap, "Failed to write state file '%s/%s': %s",
			 d->cfg->state_dir, NODE_RECORD_FILE, strerror(-r));
		goto err_ident;
	}
	return 0;

err_ident:
	identity_clear(&d->ident);
err_unlock:
	lock_release(d);
	return r;
}

static void state_shutdown(struct daemon *d)
{
	identity_clear(&d->ident);
	lock_release(d);
}

/* New advertised endpoints or lifetime mean a new record. */
static void state_reload(struct daemon *d, const struct daemon_config *old)
{
	int r;

	if (strcmp(old->state_dir, d->cfg->state_dir) != 0)
		log_notice(LD_CONFIG, "state_dir changes take effect after a restart; still "
				      "using '%s'",
			   old->state_dir);
	if (old->n_listen == d->cfg->n_listen &&
	    memcmp(old->listen, d->cfg->listen, sizeof(old->listen[0]) * old->n_listen) == 0 &&
	    old->record_lifetime_s == d->cfg->record_lifetime_s)
		return;
	r = daemon_node_publish(d);
	if (r < 0)
		log_err(LD_GENERAL, "Failed to publish node record after reload: %s",
			strerror(-r));
}

static void state_metrics(struct daemon *d, struct evbuffer *out);

const struct daemon_subsys daemon_subsys_state = {
	.name = "state",
	.init = state_init,
	.shutdown = state_shutdown,
	.reload = state_reload,
	.metrics = state_metrics,
};

static void state_metrics(struct daemon *d, struct evbuffer *out)
{
	evbuffer_add_printf(out,
			    "# HELP vx6_node_record_seq Sequence number of our signed node record.\n"
			    "# TYPE vx6_node_record_seq gauge\n"
			    "vx6_node_record_seq %llu\n"
			    "# HELP vx6_node_record_publishes_total Node records signed and stored.\n"
			    "# TYPE vx6_node_record_publishes_total counter\n"
			    "vx6_node_record_publishes_total %llu\n"
			    "# HELP vx6_state_write_errors_total Failed state file writes.\n"
			    "# TYPE vx6_state_write_errors_total counter\n"
			    "vx6_state_write_errors_total %llu\n",
			    (unsigned long long)d->record.seq,
			    (unsigned long long)d->stats.record_publishes,
			    (unsigned long long)d->stats.state_write_errors);
}
