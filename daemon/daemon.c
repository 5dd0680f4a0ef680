/* daemon/daemon.c - the subsystem table and the daemon lifecycle: start
 * (low to high), stop (reverse), reload (validate off to the side, swap in
 * one loop turn, notify subsystems, free the old copy), metrics.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "lib/clock.h"
#include "lib/log.h"

/* Initialization order, lowest layer first. Later issues add transport,
 * discovery, routing and tun rows between "state" and "admin". */
static const struct daemon_subsys *const subsystems[] = {
	&daemon_subsys_addrwatch,
	&daemon_subsys_state,
	&daemon_subsys_links,
	&daemon_subsys_discovery,
	&daemon_subsys_services,
	&daemon_subsys_dataplane,
	&daemon_subsys_admin,
};

#define N_SUBSYS (sizeof(subsystems) / sizeof(subsystems[0]))

int daemon_start(struct daemon *d, char *err, size_t err_cap)
{
	int r;

	d->start_mono_ms = clock_mono_ms();
	for (d->n_up = 0; d->n_up < N_SUBSYS; d->n_up++) {
		const struct daemon_subsys *s = subsystems[d->n_up];

		r = s->init(d, err, err_cap);
		if (r < 0) {
			log_debug(LD_GENERAL, "subsystem %s failed: %s", s->name, strerror(-r));
			daemon_stop(d);
			return r;
		}
		log_debug(LD_GENERAL, "subsystem %s up", s->name);
	}
	return 0;
}

void daemon_stop(struct daemon *d)
{
	while (d->n_up > 0) {
		const struct daemon_subsys *s = subsystems[--d->n_up];

		if (s->shutdown)
			s->shutdown(d);
		log_debug(LD_GENERAL, "subsystem %s down", s->name);
	}
}

int daemon_reload(struct daemon *d)
{
	struct daemon_config *fresh, *old;
	char err[768];
	int r;

	r = daemon_config_load(d->config_path, &d->ov, &fresh, err, sizeof(err));
	if (r < 0) {
		d->stats.reloads_failed++;
		log_err(LD_CONFIG, "Failed to reload config: %s; keeping the running config",
			err);
		return r;
	}
	old = d->cfg;
	d->cfg = fresh;
	log_set_level(fresh->log_level);
	for (unsigned i = 0; i < d->n_up; i++)
		if (subsystems[i]->reload)
			subsystems[i]->reload(d, old);
	free(old);
	d->config_generation++;
	d->stats.reloads_ok++;
	log_notice(LD_CONFIG, "Reloaded config '%s' (generation %u)",
		   fresh->path[0] ? fresh->path : "(defaults)", d->config_generation);
	return 0;
}

uint64_t daemon_uptime_s(const struct daemon *d)
{
	return (clock_mono_ms() - d->start_mono_ms) / 1000;
}

void daemon_metrics_write(struct daemon *d, struct evbuffer *out)
{
	evbuffer_add_printf(out,
			    "# HELP vx6_build_info vx6d version.\n"
			    "# TYPE vx6_build_info gauge\n"
			    "vx6_build_info{version=\"%s\"} 1\n"
			    "# HELP vx6_uptime_seconds Seconds since vx6d started.\n"
			    "# TYPE vx6_uptime_seconds gauge\n"
			    "vx6_uptime_seconds %llu\n"
			    "# HELP vx6_config_reloads_total Config reloads by result.\n"
			    "# TYPE vx6_config_reloads_total counter\n"
			    "vx6_config_reloads_total{result=\"ok\"} %llu\n"
			    "vx6_config_reloads_total{result=\"failed\"} %llu\n",
			    VX6_VERSION, (unsigned long long)daemon_uptime_s(d),
			    (unsigned long long)d->stats.reloads_ok,
			    (unsigned long long)d->stats.reloads_failed);
	for (unsigned i = 0; i < d->n_up; i++)
		if (subsystems[i]->metrics)
			subsystems[i]->metrics(d, out);
}
