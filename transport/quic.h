/* transport/quic.h - what the QUIC transport exposes beyond transport.h:
 * transport-level counters (packets that never reached a connection) and
 * a packet-input hook for the fuzz harness. docs/quic.md describes the
 * protocol profile.
 *
 * Both functions exist in every build: with VX6_QUIC=OFF tp_quic_new()
 * fails with -EPROTONOSUPPORT, so no struct transport of this kind exists,
 * and quic_stub.c answers with zeros and -EPROTONOSUPPORT.
 */
#ifndef VX6_TRANSPORT_QUIC_H
#define VX6_TRANSPORT_QUIC_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr_in6;
struct transport;

/* Counters of one QUIC transport (its UDP socket), not of a connection. */
struct quic_transport_stats {
	uint64_t rx_packets;	    /* UDP datagrams read from the socket */
	uint64_t rx_dropped;	    /* ... dropped before reaching a connection */
	uint64_t tx_packets;	    /* UDP datagrams sent */
	uint64_t tx_errors;	    /* sendmsg() failures (packet lost) */
	uint64_t resets_sent;	    /* stateless resets sent for unknown CIDs */
	uint32_t conns;		    /* connections alive (any state) */
	uint32_t conns_handshaking; /* ... of which not established yet */
};

/* Copy the counters of `t` into *out. A transport of another kind (or
 * NULL) reads as all zeros. Any context. */
void quic_transport_get_stats(const struct transport *t, struct quic_transport_stats *out);

/* Start a QUIC key update (RFC 9001 §6) after `after_bytes` sent or
 * `after_ms` passed since the last one (defaults QUIC_KEY_UPDATE_*: 1 GiB,
 * 120 s, like the TCP link's rekey). For tests and benchmarks. */
void quic_transport_set_key_update(struct transport *t, uint64_t after_bytes, uint64_t after_ms);

/* For tests/fuzz only: process `buf` as if the socket of `t` (made by
 * tp_quic_new) had just received it from `from`, including any replies it
 * sends and the callbacks it runs. `buf` is borrowed. Return 0, -EINVAL if
 * `t` is not a QUIC transport, or -EPROTONOSUPPORT without QUIC support.
 * Call it from outside any transport callback. */
int quic_transport_input_for_fuzz(struct transport *t, const struct sockaddr_in6 *from,
				  const uint8_t *buf, size_t len);

#endif /* VX6_TRANSPORT_QUIC_H */
