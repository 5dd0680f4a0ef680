/* lib/clock.h - monotonic and wall time. Monotonic time drives timers and
 * rate limits; wall time (Unix seconds) only stamps records and expiry. */
#ifndef VX6_LIB_CLOCK_H
#define VX6_LIB_CLOCK_H

#include <stdint.h>

/* Monotonic time since an arbitrary origin. Never goes back. */
uint64_t clock_mono_ns(void);
uint64_t clock_mono_ms(void);

/* Wall-clock time in Unix seconds. */
uint64_t clock_wall_s(void);

#endif /* VX6_LIB_CLOCK_H */
