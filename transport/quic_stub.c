/* transport/quic_stub.c - tp_quic_new() for builds with -DVX6_QUIC=OFF:
 * QUIC stays optional (DESIGN.md), and callers never write #ifdef. */
#include "transport/transport.h"

#include <errno.h>

int tp_quic_new(struct event_base *base, const struct tp_identity *id,
		const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
		struct transport **out_t)
{
	(void)base;
	(void)id;
	(void)listen;
	(void)cb;
	(void)out_t;
	return -EPROTONOSUPPORT;
}
