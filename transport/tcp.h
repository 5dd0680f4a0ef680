/* transport/tcp.h - TCP-transport specifics beyond transport/transport.h:
 * tuning hooks for tests and benchmarks. */
#ifndef VX6_TRANSPORT_TCP_H
#define VX6_TRANSPORT_TCP_H

#include <stdint.h>

struct transport;

/* Rekey each direction after `after_bytes` sent or `after_ms` passed
 * (defaults: 1 GiB, 120 s; docs/wire.md §3.7). `t` must be a TCP transport. */
void tcp_transport_set_rekey(struct transport *t, uint64_t after_bytes, uint64_t after_ms);

/* The cipher (enum noise_cipher_suite) of the handshakes this transport
 * starts; a responder takes what message 1 names. The default is
 * noise_cipher_default(). For tests and benchmarks. Return 0, or -EINVAL
 * for another value or kind of transport. */
int tcp_transport_set_cipher(struct transport *t, unsigned cipher);

#endif /* VX6_TRANSPORT_TCP_H */
