/* transport/replay_internal.h - layout of the replay window, for
 * transport/ sources that embed it in a link and for tests/unit. */
#ifndef VX6_TRANSPORT_REPLAY_INTERNAL_H
#define VX6_TRANSPORT_REPLAY_INTERNAL_H

#include <stdint.h>

#include "transport/replay.h"

#define REPLAY_WORD_BITS 64
#define REPLAY_WORDS	 (REPLAY_BITMAP_BITS / REPLAY_WORD_BITS)

_Static_assert((REPLAY_WORDS & (REPLAY_WORDS - 1)) == 0, "bitmap words: a power of two");

struct replay_window {
	/* One above the highest accepted counter; 0 while nothing was. */
	uint64_t next;
	/* Bit c % REPLAY_BITMAP_BITS is set when counter c was accepted; only
	 * the words of the REPLAY_WORDS blocks ending at the top are valid. */
	uint64_t bitmap[REPLAY_WORDS];
};

#endif /* VX6_TRANSPORT_REPLAY_INTERNAL_H */
