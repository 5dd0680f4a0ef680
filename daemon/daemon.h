/* daemon/daemon.h - the vx6d process: its one event loop, the subsystem
 * table, and the state every subsystem shares.
 *
 * daemon/ owns the single struct event_base. Subsystems are initialized low
 * to high in the order of the table in daemon.c and shut down in reverse.
 * Everything here runs on the loop thread. daemon/ holds no protocol logic:
 * it wires modules together and serves the admin API.
 */
#ifndef VX6_DAEMON_DAEMON_H
#define VX6_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "identity/identity.h"
#include "identity/record.h"

struct event_base;
struct event;
struct evbuffer;
struct admin_server;
struct link_mgr;
struct peer_store;
struct router;
struct discovery;
struct addr_watch;
struct services;

/* Counters the daemon itself keeps (subsystems keep their own). */
struct daemon_stats {
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	uint64_t record_publishes;
	uint64_t state_write_errors;
};

struct daemon {
	struct event_base *base;
	struct daemon_config *cfg; /* current config; owned; swapped on reload */
	const char *config_path;   /* from the command line; NULL: default */
	struct config_overrides ov;
	unsigned config_generation; /* 1 at start, +1 per successful reload */
	uint64_t start_mono_ms;

	int lock_fd; /* flock on <state_dir>/vx6d.lock; -1 when not held */
	struct identity ident;
	struct node_record record; /* our current signed node record */
	bool have_record;

	struct link_mgr *links;	   /* owned: peer links over every transport */
	struct peer_store *peers;  /* owned: peers.json */
	struct router *router;	   /* owned: TUN and the packet path; NULL without TUN */
	struct discovery *disc;	   /* owned: registry and DHT */
	struct addr_watch *addrs;  /* owned: the host's underlay addresses */
	struct services *svcs;	   /* owned: named services and forwards */
	struct admin_server *admin;
	struct event *sig_term, *sig_int, *sig_hup;
	unsigned n_up; /* subsystems initialized, for unwinding */
	bool stopping;
	struct daemon_stats stats;
};

/* One row of the subsystem table. `init` fills `err` with a one-line reason
 * on failure and logs nothing (main prints it once). `reload` is called
 * after a new config was validated and swapped in, with the old one; it
 * must not fail (a subsystem that cannot apply a field says so in a log
 * line and keeps running). `metrics` appends Prometheus text. */
struct daemon_subsys {
	const char *name;
	int (*init)(struct daemon *d, char *err, size_t err_cap);
	void (*shutdown)(struct daemon *d);
	void (*reload)(struct daemon *d, const struct daemon_config *old);
	void (*metrics)(struct daemon *d, struct evbuffer *out);
};

/* Initialize every subsystem in order; on failure shut down those already
 * up, in reverse, and return the error. */
int daemon_start(struct daemon *d, char *err, size_t err_cap);
/* Shut down every initialized subsystem in reverse order. */
void daemon_stop(struct daemon *d);

/* Re-read the config file; on success swap it in and tell each subsystem.
 * On failure keep the running config and log why. Return 0 or -errno. */
int daemon_reload(struct daemon *d);

/* Append every subsystem's metrics to `out`. */
void daemon_metrics_write(struct daemon *d, struct evbuffer *out);

uint64_t daemon_uptime_s(const struct daemon *d);

/* Sign a fresh node record with a higher sequence number from the current
 * config and write it durably to <state_dir>/node.record before returning.
 * Return 0 or -errno (the previous record stays in force on failure). */
int daemon_node_publish(struct daemon *d);

/* Subsystems implemented in their own files. */
extern const struct daemon_subsys daemon_subsys_addrwatch; /* addr_watch.c */
extern const struct daemon_subsys daemon_subsys_state;	/* node_state.c */
extern const struct daemon_subsys daemon_subsys_links;	/* links.c */
extern const struct daemon_subsys daemon_subsys_discovery; /* discovery.c */
extern const struct daemon_subsys daemon_subsys_dataplane; /* dataplane.c */
extern const struct daemon_subsys daemon_subsys_services;  /* services.c */
extern const struct daemon_subsys daemon_subsys_admin;	/* admin.c */

#endif /* VX6_DAEMON_DAEMON_H */
