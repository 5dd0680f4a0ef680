/* daemon/addr_watch.c - the "addrwatch" subsystem (see addr_watch.h). The
 * libnl cache manager keeps a cache of the host's addresses fed by
 * RTM_NEWADDR/RTM_DELADDR; its socket is a read event on the loop. Every
 * change recomputes the usable set; a different set re-signs the node
 * record, but only if some listener is bound to "::" (a listener bound to
 * one address advertises that address and nothing else). */
#include "daemon/addr_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <linux/if_addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>

#include "daemon/daemon.h"
#include "lib/log.h"

struct addr_watch {
	struct nl_sock *sock;
	struct nl_cache_mngr *mngr;
	struct nl_cache *cache;
	struct event *ev;
	struct in6_addr cur[ADDR_WATCH_MAX];
	size_t n;
	uint64_t changes;
};

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in6_addr));
}

static bool usable(struct daemon *d, struct rtnl_addr *a, struct in6_addr *out)
{
	struct nl_addr *local = rtnl_addr_get_local(a);
	unsigned flags = rtnl_addr_get_flags(a);

	if (rtnl_addr_get_family(a) != AF_INET6 || !local ||
	    nl_addr_get_len(local) != sizeof(*out))
		return false;
	if (flags & (IFA_F_TENTATIVE | IFA_F_DEPRECATED | IFA_F_DADFAILED))
		return false;
	memcpy(out, nl_addr_get_binary_addr(local), sizeof(*out));
	if (IN6_IS_ADDR_LOOPBACK(out) || IN6_IS_ADDR_LINKLOCAL(out) || IN6_IS_ADDR_MULTICAST(out))
		return false;
	return !overlay_net_contains(&d->ident.net, out); /* never advertise the overlay */
}

static size_t collect(struct daemon *d, struct nl_cache *cache, struct in6_addr *out)
{
	struct nl_object *o;
	size_t n = 0;

	for (o = nl_cache_get_first(cache); o && n < ADDR_WATCH_MAX; o = nl_cache_get_next(o))
		if (usable(d, (struct rtnl_addr *)o, &out[n]))
			n++;
	qsort(out, n, sizeof(out[0]), cmp_addr);
	return n;
}

static bool any_wildcard_listener(const struct daemon *d)
{
	for (unsigned i = 0; i < d->cfg->n_listen; i++)
		if (IN6_IS_ADDR_UNSPECIFIED(&d->cfg->listen[i].addr))
			return true;
	return false;
}

static void on_change(struct nl_cache *cache, struct nl_object *o, int action, void *arg)
{
	struct daemon *d = arg;
	struct addr_watch *aw = d->addrs;
	struct in6_addr now[ADDR_WATCH_MAX];
	size_t n = collect(d, cache, now);
	int r;

	(void)o;
	(void)action;
	if (n == aw->n && memcmp(now, aw->cur, n * sizeof(now[0])) == 0)
		return;
	memcpy(aw->cur, now, n * sizeof(now[0]));
	aw->n = n;
	aw->changes++;
	if (!any_wildcard_listener(d))
		return;
	log_notice(LD_GENERAL, "Underlay addresses changed (%zu usable); signing a new record", n);
	r = daemon_node_publish(d);
	if (r < 0)
		log_err(LD_GENERAL, "Failed to publish node record after an address change: %s",
			strerror(-r));
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct addr_watch *aw = ((struct daemon *)arg)->addrs;

	(void)fd;
	(void)what;
	nl_cache_mngr_data_ready(aw->mngr);
}

size_t daemon_addr_watch_get(struct daemon *d, struct in6_addr *out, size_t max)
{
	struct addr_watch *aw = d->addrs;
	size_t n;

	if (!aw)
		return 0;
	n = aw->n < max ? aw->n : max;
	memcpy(out, aw->cur, n * sizeof(out[0]));
	return n;
}

static void addrwatch_shutdown(struct daemon *d);

static int addrwatch_init(struct daemon *d, char *err, size_t cap)
{
	struct addr_watch *aw = calloc(1, sizeof(*aw));
	int r;

	if (!aw)
		return -ENOMEM;
	d->addrs = aw;
	aw->sock = nl_socket_alloc();
	r = aw->sock ? nl_cache_mngr_alloc(aw->sock, NETLINK_ROUTE, NL_AUTO_PROVIDE, &aw->mngr)
		     : -NLE_NOMEM;
	if (r == 0)
		r = nl_cache_mngr_add(aw->mngr, "route/addr", on_change, d, &aw->cache);
	if (r < 0) {
		snprintf(err, cap, "Failed to watch the host's addresses (netlink): %s",
			 nl_geterror(r));
		addrwatch_shutdown(d);
		return -EIO;
	}
	aw->ev = event_new(d->base, nl_cache_mngr_get_fd(aw->mngr), EV_READ | EV_PERSIST,
			   on_readable, d);
	if (!aw->ev || event_add(aw->ev, NULL) < 0) {
		addrwatch_shutdown(d);
		return -ENOMEM;
	}
	aw->n = collect(d, aw->cache, aw->cur);
	return 0;
}

static void addrwatch_shutdown(struct daemon *d)
{
	struct addr_watch *aw = d->addrs;

	if (!aw)
		return;
	if (aw->ev)
		event_free(aw->ev);
	if (aw->mngr)
		nl_cache_mngr_free(aw->mngr); /* frees its caches */
	else if (aw->sock)
		nl_socket_free(aw->sock);
	free(aw);
	d->addrs = NULL;
}

const struct daemon_subsys daemon_subsys_addrwatch = {
	.name = "addrwatch",
	.init = addrwatch_init,
	.shutdown = addrwatch_shutdown,
};
