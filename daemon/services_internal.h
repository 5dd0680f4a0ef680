/* daemon/services_internal.h - state of the services subsystem, shared by
 * daemon/services.c (lifecycle, publication, services and forwards) and
 * daemon/services_groups.c (groups, allow lists) only. Other subsystems use
 * daemon/services.h. */
#ifndef VX6_DAEMON_SERVICES_INTERNAL_H
#define VX6_DAEMON_SERVICES_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "daemon/services.h"

struct event;

struct services {
	struct daemon *d;
	struct svc_mgr *mgr; /* owned; its allow lists are the expanded ones */
	char svc_path[PATH_MAX], fwd_path[PATH_MAX], grp_path[PATH_MAX];
	struct event *republish;
	uint64_t last_seq;
	struct group_table *groups;		    /* owned; as in groups.json */
	struct services_def defs[SVC_SERVICES_MAX]; /* as configured; services.json */
	unsigned n_defs;
};

/* The configured service `name`, or NULL. */
struct services_def *services_def_find(struct services *ss, const char *name);
/* Give the manager `def` with its allow list expanded against the current
 * groups. Return 0, -E2BIG (too many nodes) or svc_service_set()'s error. */
int services_def_apply(struct services *ss, const struct services_def *def);
/* Read groups.json (a missing file is an empty table). Return 0 or
 * -errno with one line in `err`. */
int services_groups_load(struct services *ss, char *err, size_t cap);
/* Sign and publish our record of `def` (discovery decides where it goes). */
int services_publish(struct services *ss, const struct services_def *def);

#endif /* VX6_DAEMON_SERVICES_INTERNAL_H */
