/* lib/clock.h - monotonic and wall time. Monotonic time drives timers and
 * rate limits; wall time (Unix seconds) only stamps records and expiry. */
#ifndef VX6_LIB_CLOCK_H
#define VX6_LIB_CLOCK_H

#include <stdint.h>

/* Monotonic time since an arbitrary origin. Never goes back. */
uint64_t clock_mono_ns(void);
uint64_t clock_mono_ms(void);

/* The monotonic time of the last scheduler tick (CLOCK_MONOTONIC_COARSE):
 * about 8 x cheaper to read, up to one tick (1-4 ms) behind and never
 * ahead of clock_mono_ms(), so `clock_mono_ms() - coarse` cannot go
 * negative. For per-packet "last seen" stamps only. */
uint64_t clock_mono_coarse_ms(void);

/* Wall-clock time in Unix seconds. */
uint64_t clock_wall_s(void);

#endif /* VX6_LIB_CLOCK_H */
