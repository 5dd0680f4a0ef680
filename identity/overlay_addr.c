/* identity/overlay_addr.c - overlay network prefix and node address
 * derivation (docs/wire.md §1.2), and the name rule shared by node and
 * network names. Pure functions: no I/O, no allocation.
 */
#include "identity/overlay_addr.h"

#include <errno.h>
#include <string.h>

#include "identity/node_id.h"
#include "lib/secure.h"

#define OVERLAY_GLOBAL_ID_LABEL "vx6 overlay global id v1"
#define OVERLAY_ULA_BYTE	0xfd /* RFC 4193: fc00::/7 with L = 1 */
#define OVERLAY_IID_ID_LEN	10   /* node ID bytes in an address: 80 bits */

_Static_assert(1 + OVERLAY_GLOBAL_ID_LEN + OVERLAY_IID_ID_LEN == 16, "address layout");
_Static_assert((1 + OVERLAY_GLOBAL_ID_LEN) * 8 == OVERLAY_PREFIX_LEN, "prefix length");

static bool name_char_is_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool overlay_name_is_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strnlen(name, OVERLAY_NET_NAME_MAX + 1);
	if (n == 0 || n > OVERLAY_NET_NAME_MAX)
		return false;
	if (name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!name_char_is_valid(name[i]))
			return false;
	}
	return true;
}

int overlay_net_init(struct overlay_net *out, const char *name)
{
	struct overlay_net net;
	uint8_t h[SEC_HASH256_LEN];

	if (!overlay_name_is_valid(name))
		return -EINVAL;
	memset(&net, 0, sizeof(net));
	memcpy(net.name, name, strlen(name) + 1);
	/* §1.2: Global ID = first 40 bits of the labelled hash of the name. */
	sec_hash256(h, OVERLAY_GLOBAL_ID_LABEL, name, strlen(name));
	memcpy(net.global_id, h, OVERLAY_GLOBAL_ID_LEN);
	*out = net;
	return 0;
}

void overlay_net_prefix(const struct overlay_net *net, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = OVERLAY_ULA_BYTE;
	memcpy(&out->s6_addr[1], net->global_id, OVERLAY_GLOBAL_ID_LEN);
}

void overlay_addr_of(const struct overlay_net *net, const struct node_id *id, struct in6_addr *out)
{
	overlay_net_prefix(net, out);
	memcpy(&out->s6_addr[1 + OVERLAY_GLOBAL_ID_LEN], id->b, OVERLAY_IID_ID_LEN);
}

bool overlay_addr_is_of(const struct overlay_net *net, const struct node_id *id,
			const struct in6_addr *addr)
{
	struct in6_addr want;

	overlay_addr_of(net, id, &want);
	return memcmp(want.s6_addr, addr->s6_addr, sizeof(want.s6_addr)) == 0;
}

bool overlay_net_contains(const struct overlay_net *net, const struct in6_addr *addr)
{
	return addr->s6_addr[0] == OVERLAY_ULA_BYTE &&
	       memcmp(&addr->s6_addr[1], net->global_id, OVERLAY_GLOBAL_ID_LEN) == 0;
}
