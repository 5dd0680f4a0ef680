/* transport/tcp.h - TCP-transport specifics beyond transport/transport.h:
 * a tuning hook for tests and benchmarks. */
#ifndef VX6_TRANSPORT_TCP_H
#define VX6_TRANSPORT_TCP_H

#include <stdint.h>

struct transport;

/* Rekey each direction after `after_bytes` sent or `after_ms` passed
 * (defaults: 1 GiB, 120 s; docs/wire.md §3.7). `t` must be a TCP transport. */
void tcp_transport_set_rekey(struct transport *t, uint64_t after_bytes, uint64_t after_ms);

#endif /* VX6_TRANSPORT_TCP_H */
