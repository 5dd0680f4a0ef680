/* transport/transport.c - what all transports share: names and the
 * generic destructor. Implementations live in tcp*.c and quic*.c. */
#include "transport/transport.h"

#include <stddef.h>

static const char *const reason_names[TP_CLOSE__COUNT] = {
    [TP_CLOSE_LOCAL] = "local",	    [TP_CLOSE_REMOTE] = "remote",     [TP_CLOSE_AUTH] = "auth",
    [TP_CLOSE_TIMEOUT] = "timeout", [TP_CLOSE_PROTOCOL] = "protocol", [TP_CLOSE_IO] = "io",
    [TP_CLOSE_REFUSED] = "refused", [TP_CLOSE_REPLACED] = "replaced",
};

const char *tp_close_reason_name(enum tp_close_reason why)
{
	return (unsigned)why < TP_CLOSE__COUNT ? reason_names[why] : "?";
}

const char *tp_kind_name(enum transport_kind kind)
{
	switch (kind) {
	case TRANSPORT_TCP:
		return "tcp";
	case TRANSPORT_QUIC:
		return "quic";
	case TRANSPORT_UDP:
		return "udp";
	}
	return "?";
}

struct transport *tp_free(struct transport *t)
{
	if (t)
		t->ops->free(t);
	return NULL;
}

void tp_set_admission(struct transport *t, unsigned pending_max, unsigned per_source_max,
		      unsigned rate_per_s, unsigned burst)
{
	t->limit.pending_max = pending_max;
	t->limit.per_source_max = per_source_max;
	t->limit.rate_per_s = rate_per_s;
	t->limit.burst = burst;
}

int tp_datagram_send_batch(struct tp_conn *c, const struct iovec *dgrams, size_t n,
			   size_t *out_sent)
{
	size_t i;
	int r = 0;

	if (c->t->ops->datagram_send_batch)
		return c->t->ops->datagram_send_batch(c, dgrams, n, out_sent);
	for (i = 0; i < n; i++) {
		r = c->t->ops->datagram_send(c, dgrams[i].iov_base, dgrams[i].iov_len);
		if (r < 0)
			break;
	}
	*out_sent = i;
	return r;
}
