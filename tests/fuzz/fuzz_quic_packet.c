/* tests/fuzz/fuzz_quic_packet.c - arbitrary bytes as one UDP datagram
 * arriving at a listening QUIC transport (transport/quic.c): header
 * decoding, connection ID lookup, admission control, and for anything
 * that looks like a client Initial the whole ngtcp2 + GnuTLS server path,
 * including the replies it sends (to the discard port on loopback).
 *
 * Properties: no crash, no leak, no out-of-bounds access (ASan), and the
 * transport's accounting adds up: the datagram is counted once and either
 * was dropped or reached exactly one connection.
 *
 * Corpus (corpus/quic_packet/): client Initials captured from real vx6
 * dials (initial-*), and junk of the shapes the dispatcher sorts out
 * (junk-*). With VX6_QUIC=OFF the transport does not exist and every
 * input is accepted as is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <netinet/in.h>

#include <event2/event.h>

#include "lib/secure.h"
#include "transport/quic.h"
#include "transport/transport.h"

static uint8_t pk[32], sk[64];
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in6 from = lo;
	struct tp_identity id = {pk, sk};
	struct tp_callbacks cb = {0};
	struct quic_transport_stats st;
	struct event_base *base;
	struct transport *t;
	int r;

	if (!ready) {
		static const uint8_t seed[32] = {1, 2, 3}; /* fixed: reproducible runs */

		if (sec_init() < 0)
			abort();
		sec_ed25519_from_seed(pk, sk, seed);
		ready = true;
	}
	if (len == 0)
		return 0;
	base = event_base_new();
	if (!base)
		abort();
	r = tp_quic_new(base, &id, &lo, &cb, &t);
	if (r == -EPROTONOSUPPORT) {
		event_base_free(base);
		return 0;
	}
	if (r < 0)
		abort();
	from.sin6_port = htons(9); /* discard: replies go nowhere */
	if (quic_transport_input_for_fuzz(t, &from, data, len) != 0)
		abort();
	quic_transport_get_stats(t, &st);
	if (st.rx_packets != 1 || st.rx_dropped + st.conns != 1)
		abort();
	event_base_loop(base, EVLOOP_NONBLOCK); /* timers, pending flush, reaper */
	tp_free(t);
	event_base_free(base);
	return 0;
}
