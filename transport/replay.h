/* transport/replay.h - the receive-side replay window of a link: which
 * 64-bit message counters were already accepted under the current keys.
 *
 * An RFC 6479 style bitmap of REPLAY_BITMAP_BITS bits, one block of which
 * is kept as slack so the window slides a 64-bit word at a time: the
 * REPLAY_WINDOW_LEN counters below the highest accepted one stay
 * checkable, anything older is refused. Also the hard counter limit a
 * key may reach (WireGuard's REJECT_AFTER_MESSAGES). Pure computation:
 * no clock, no I/O, no allocation.
 *
 * Order on receive: replay_window_check() (cheap filter), then decrypt and
 * authenticate, then replay_window_check_and_update(). Updating before
 * authentication would let anyone slide the window forward with forged
 * counters and make the link drop genuine traffic.
 */
#ifndef VX6_TRANSPORT_REPLAY_H
#define VX6_TRANSPORT_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_BITMAP_BITS 2048
#define REPLAY_WINDOW_LEN  (REPLAY_BITMAP_BITS - 64) /* counters below the top still accepted */

/* Counters from this value up are never used: a sender must start a new
 * handshake before reaching it (2^64 - 2^13 - 1, as WireGuard). It also
 * keeps the reserved Noise nonce 2^64-1 off the wire. */
#define REPLAY_REJECT_AFTER_MESSAGES (UINT64_MAX - (UINT64_C(1) << 13))

struct replay_window; /* layout: transport/replay_internal.h */

/* Start a window that has accepted nothing (for a new key). */
void replay_window_init(struct replay_window *w);

/* Classify `counter` without recording it. Return 0 (new), -EALREADY
 * (duplicate), -ERANGE (older than the window) or -EKEYEXPIRED (at or
 * over REPLAY_REJECT_AFTER_MESSAGES: the key is used up). */
int replay_window_check(const struct replay_window *w, uint64_t counter);

/* Like replay_window_check(), and on 0 record `counter`, sliding the
 * window when it is the highest so far. Call only for an authenticated
 * message. */
int replay_window_check_and_update(struct replay_window *w, uint64_t counter);

/* True if a sender may still use `counter` with the current key. */
bool replay_counter_is_usable(uint64_t counter);

#endif /* VX6_TRANSPORT_REPLAY_H */
