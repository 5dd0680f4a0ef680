/* transport/replay.c - sliding replay window over 64-bit counters, in the
 * style of RFC 6479 (see replay.h). Counter c lives in bit c % 64 of word
 * (c / 64) % REPLAY_WORDS. When the top moves to a later block, the words
 * it moves past are cleared first, so a bit left by a counter one lap
 * older is never read as this lap's. */
#include "transport/replay_internal.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

void replay_window_init(struct replay_window *w)
{
	memset(w, 0, sizeof(*w));
}

bool replay_counter_is_usable(uint64_t counter)
{
	return counter < REPLAY_REJECT_AFTER_MESSAGES;
}

static size_t word_index(uint64_t counter)
{
	return (size_t)((counter / REPLAY_WORD_BITS) % REPLAY_WORDS);
}

static uint64_t bit_of(uint64_t counter)
{
	return UINT64_C(1) << (counter % REPLAY_WORD_BITS);
}

int replay_window_check(const struct replay_window *w, uint64_t counter)
{
	if (!replay_counter_is_usable(counter))
		return -EKEYEXPIRED;
	if (counter >= w->next)
		return 0; /* beyond the top: new by definition */
	if (w->next - counter > REPLAY_WINDOW_LEN)
		return -ERANGE;
	if (w->bitmap[word_index(counter)] & bit_of(counter))
		return -EALREADY;
	return 0;
}

int replay_window_check_and_update(struct replay_window *w, uint64_t counter)
{
	int r = replay_window_check(w, counter);

	if (r < 0)
		return r;
	if (counter >= w->next) {
		/* Slide: clear every block from the old top (exclusive) to the
		 * new one (inclusive), at most the whole bitmap. With nothing
		 * accepted yet the bitmap is already clear. */
		if (w->next > 0) {
			uint64_t old_block = (w->next - 1) / REPLAY_WORD_BITS;
			uint64_t new_block = counter / REPLAY_WORD_BITS;
			uint64_t n = new_block - old_block;

			if (n > REPLAY_WORDS)
				n = REPLAY_WORDS;
			for (uint64_t i = 1; i <= n; i++)
				w->bitmap[word_index((old_block + i) * REPLAY_WORD_BITS)] = 0;
		}
		w->next = counter + 1;
	}
	w->bitmap[word_index(counter)] |= bit_of(counter);
	return 0;
}
