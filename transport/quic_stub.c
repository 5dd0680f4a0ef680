/* transport/quic_stub.c - the QUIC transport in builds without it
 * (-DVX6_QUIC=OFF): the constructor fails with -EPROTONOSUPPORT, so
 * callers handle "no QUIC" at run time and never write #ifdef. The real
 * implementation is transport/quic*.c (docs/quic.md).
 */
#include "transport/quic.h"
#include "transport/transport.h"

#include <errno.h>
#include <string.h>

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

void quic_transport_get_stats(const struct transport *t, struct quic_transport_stats *out)
{
	(void)t;
	memset(out, 0, sizeof(*out));
}

int quic_transport_input_for_fuzz(struct transport *t, const struct sockaddr_in6 *from,
				  const uint8_t *buf, size_t len)
{
	(void)t;
	(void)from;
	(void)buf;
	(void)len;
	return -EPROTONOSUPPORT;
}

void quic_transport_set_key_update(struct transport *t, uint64_t after_bytes, uint64_t after_ms)
{
	(void)t;
	(void)after_bytes;
	(void)after_ms;
}
