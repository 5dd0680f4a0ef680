/* transport/udp.h - what the UDP transport exposes beyond transport.h:
 * transport-level counters and tuning hooks for tests and benchmarks.
 *
 * The UDP transport (tp_udp_new() in transport/transport.h, wire format
 * docs/wire.md §3.9) is datagram-only: tp_stream_open(), tp_stream_write()
 * and tp_stream_reset() return -EPROTONOSUPPORT and tp_stream_consumed()
 * does nothing. The link layer carries streams over TCP or QUIC and uses
 * this transport for the packet path, where it sends many datagrams per
 * system call (sendmmsg, UDP GSO) and reads many per call (recvmmsg,
 * UDP GRO). It keeps no keepalive of its own: the link layer pings.
 *
 * Every function here takes a transport made by tp_udp_new(); another kind
 * (or NULL) is ignored, or reads as zeros. Event-loop context only.
 */
#ifndef VX6_TRANSPORT_UDP_H
#define VX6_TRANSPORT_UDP_H

#include <stdbool.h>
#include <stdint.h>

struct transport;

/* Counters of one UDP transport (its socket), not of a connection. */
struct udp_transport_stats {
	uint64_t rx_packets;	    /* UDP datagrams received (GRO segments counted one by one) */
	uint64_t rx_reads;	    /* recvmmsg() calls that returned data */
	uint64_t rx_gro;	    /* ... datagrams that arrived coalesced by GRO */
	uint64_t rx_garbage;	    /* dropped before reaching a connection: malformed,
				     * unknown index, handshake that did not authenticate */
	uint64_t tx_packets;	    /* UDP datagrams handed to the kernel */
	uint64_t tx_calls;	    /* sendmsg()/sendmmsg() calls */
	uint64_t tx_gso;	    /* ... messages sent as one GSO super-datagram */
	uint64_t tx_errors;	    /* datagrams the kernel refused (lost) */
	uint64_t tx_queue_full;	    /* datagrams dropped: the send queue was full */
	uint64_t rejects_sent;	    /* REJECT answers to INITs that did not authenticate */
	uint64_t resets_sent;	    /* RESET answers to DATA for unknown indices */
	uint64_t keys_made[2];	    /* key pairs made, by UDP_CIPHER_* (udp_wire.h) */
	uint32_t conns;		    /* connections alive (any state) */
	uint32_t conns_handshaking; /* ... of which not established yet */
	bool gso;		    /* UDP_SEGMENT in use (kernel support, not disabled) */
	bool gro;		    /* UDP_GRO enabled on the socket */
	uint8_t cipher;		    /* UDP_CIPHER_* that our INITs offer */
};

/* Copy the counters of `t` into *out (all zeros for another kind). */
void udp_transport_get_stats(const struct transport *t, struct udp_transport_stats *out);

/* Start a new handshake once the current keys are `after_ms` old or have
 * sent `after_messages` datagrams (defaults 120 s and 2^60, docs/wire.md
 * §3.9); keys stop working `after_ms` + 60 s after they were made. For
 * tests and benchmarks. */
void udp_transport_set_rekey(struct transport *t, uint64_t after_ms, uint64_t after_messages);

/* Retransmit an unanswered INIT every `retransmit_ms` (default 1000, with
 * up to a third less of jitter) and give up after `timeout_ms` (default
 * TP_HANDSHAKE_TIMEOUT_MS). For tests. */
void udp_transport_set_handshake(struct transport *t, uint64_t retransmit_ms, uint64_t timeout_ms);

/* The cipher of the handshakes this transport starts (UDP_CIPHER_* of
 * transport/udp_wire.h; the responder takes what an INIT names). The
 * default is noise_cipher_default(). For tests and benchmarks. Return 0,
 * or -EINVAL for another value or kind of transport. */
int udp_transport_set_cipher(struct transport *t, unsigned cipher);

/* Use UDP GSO (when the kernel has it) or not: without it, each datagram
 * is its own message in sendmmsg(). For tests and benchmarks. */
void udp_transport_set_gso(struct transport *t, bool on);

#endif /* VX6_TRANSPORT_UDP_H */
