/* tun/netlink.h - configure the TUN device through rtnetlink (libnl-route-3):
 * MTU, link up, and the node's overlay address. No shelling out to `ip`.
 *
 * The address goes on the device with the overlay's prefix length (/48,
 * docs/tun.md "Addressing"), so the kernel installs the /48 route with it
 * and removes both with the device. IFA_F_NODAD: the address is ours by
 * construction, and DAD would only delay the first packets.
 *
 * Each call opens its own netlink socket and blocks for the kernel's
 * answer (microseconds): startup and reload only, never per packet.
 * Errors are -errno; `err` (err_len bytes, may be NULL) then says which
 * step failed and why, for the caller to log. Needs CAP_NET_ADMIN.
 */
#ifndef VX6_TUN_NETLINK_H
#define VX6_TUN_NETLINK_H

#include <stddef.h>

struct in6_addr;

#define TUN_MTU_MIN 1280 /* IPv6 minimum link MTU (RFC 8200 §5) */
#define TUN_MTU_MAX 65535

/* Set the MTU of interface `ifindex` (TUN_MTU_MIN..TUN_MTU_MAX, else
 * -EINVAL) and bring it up. Return 0 or -errno (-EPERM, -ENODEV, ...). */
int tun_nl_link_set(int ifindex, unsigned mtu, char *err, size_t err_len);

/* Add `addr`/`prefix_len` (1..128) to interface `ifindex` with IFA_F_NODAD,
 * replacing the same address if present. Return 0 or -errno. */
int tun_nl_addr_add(int ifindex, const struct in6_addr *addr, unsigned prefix_len, char *err,
		    size_t err_len);

/* Remove `addr`/`prefix_len` from `ifindex`. Return 0, -EADDRNOTAVAIL if it
 * was not there, or another -errno. Closing the TUN fd removes the device
 * and everything on it; this is for changing the address of a live one. */
int tun_nl_addr_del(int ifindex, const struct in6_addr *addr, unsigned prefix_len, char *err,
		    size_t err_len);

#endif /* VX6_TUN_NETLINK_H */
