/* tun/netlink.c - rtnetlink configuration of the TUN device through
 * libnl-route-3 (RTM_NEWLINK for MTU and IFF_UP, RTM_NEWADDR/RTM_DELADDR
 * for the overlay address). libnl reports NLE_* codes; they are mapped
 * back to errno once, here, so the rest of vx6 sees -errno only.
 */
#include "tun/netlink.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

/* libnl folds kernel errnos into its own codes (nl_syserr2nlerr()); undo
 * that for every code the kernel can send for these requests. */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_INTR:
		return -EINTR;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

static int sock_open(struct nl_sock **out, char *err, size_t err_len)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk) {
		set_err(err, err_len, "allocate netlink socket: out of memory");
		return -ENOMEM;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		set_err(err, err_len, "connect rtnetlink socket: %s", nl_geterror(r));
		nl_socket_free(sk);
		return nlerr_to_errno(r);
	}
	*out = sk;
	return 0;
}

int tun_nl_link_set(int ifindex, unsigned mtu, char *err, size_t err_len)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl_sock *sk = NULL;
	int r;

	if (mtu < TUN_MTU_MIN || mtu > TUN_MTU_MAX) {
		set_err(err, err_len, "set MTU %u: outside %u..%u", mtu, TUN_MTU_MIN, TUN_MTU_MAX);
		return -EINVAL;
	}
	r = sock_open(&sk, err, err_len);
	if (r < 0)
		return r;
	link = rtnl_link_alloc();
	change = rtnl_link_alloc();
	if (!link || !change) {
		set_err(err, err_len, "set MTU %u: out of memory", mtu);
		r = -ENOMEM;
		goto out;
	}
	rtnl_link_set_ifindex(link, ifindex);
	rtnl_link_set_mtu(change, mtu);
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(sk, link, change, 0);
	if (r < 0) {
		set_err(err, err_len, "set MTU %u and bring up interface %d: %s", mtu, ifindex,
			nl_geterror(r));
		r = nlerr_to_errno(r);
	}
out:
	rtnl_link_put(change);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return r;
}

/* Build the rtnl_addr for `addr`/`prefix_len` on `ifindex`. */
static struct rtnl_addr *addr_new(int ifindex, const struct in6_addr *addr, unsigned prefix_len)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET6, addr, sizeof(*addr));

	if (!a || !local || rtnl_addr_set_local(a, local) < 0) {
		nl_addr_put(local);
		rtnl_addr_put(a);
		return NULL;
	}
	nl_addr_put(local); /* rtnl_addr_set_local() took its own reference */
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, AF_INET6);
	rtnl_addr_set_prefixlen(a, (int)prefix_len);
	return a;
}

static int addr_op(int ifindex, const struct in6_addr *addr, unsigned prefix_len, bool add,
		   char *err, size_t err_len)
{
	char text[INET6_ADDRSTRLEN] = "?";
	struct nl_sock *sk = NULL;
	struct rtnl_addr *a;
	int r;

	inet_ntop(AF_INET6, addr, text, sizeof(text));
	if (prefix_len < 1 || prefix_len > 128) {
		set_err(err, err_len, "%s address %s/%u: bad prefix length", add ? "add" : "remove",
			text, prefix_len);
		return -EINVAL;
	}
	r = sock_open(&sk, err, err_len);
	if (r < 0)
		return r;
	a = addr_new(ifindex, addr, prefix_len);
	if (!a) {
		r = -ENOMEM;
		set_err(err, err_len, "add address %s/%u: out of memory", text, prefix_len);
		goto out;
	}
	if (add) {
		rtnl_addr_set_flags(a, IFA_F_NODAD);
		r = rtnl_addr_add(sk, a, NLM_F_REPLACE);
	} else {
		r = rtnl_addr_delete(sk, a, 0);
	}
	if (r < 0) {
		set_err(err, err_len, "%s address %s/%u on interface %d: %s",
			add ? "add" : "remove", text, prefix_len, ifindex, nl_geterror(r));
		r = nlerr_to_errno(r);
	}
	rtnl_addr_put(a);
out:
	nl_socket_free(sk);
	return r;
}

int tun_nl_addr_add(int ifindex, const struct in6_addr *addr, unsigned prefix_len, char *err,
		    size_t err_len)
{
	return addr_op(ifindex, addr, prefix_len, true, err, err_len);
}

int tun_nl_addr_del(int ifindex, const struct in6_addr *addr, unsigned prefix_len, char *err,
		    size_t err_len)
{
	return addr_op(ifindex, addr, prefix_len, false, err, err_len);
}
