/* tests/unit/test_replay.c - transport/replay: the sliding replay window.
 *
 * A numbered table of steps run in order on one window, then a randomized
 * differential test against a naive reference: a sorted set of every
 * accepted counter, with the same window length and counter limit, which
 * knows nothing about bitmaps, blocks or laps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport/replay.h"
#include "transport/replay_internal.h"

#define W   ((uint64_t)REPLAY_WINDOW_LEN)
#define LIM REPLAY_REJECT_AFTER_MESSAGES
/* 500 laps of the bitmap past the block after 3008's: J - 64 shares its
 * bit (and its word) with 3008, the top before the jump. */
#define J (UINT64_C(3072) + UINT64_C(500) * REPLAY_BITMAP_BITS)

struct step {
	unsigned num;
	const char *what;
	bool reset; /* start from an empty window first */
	uint64_t counter;
	int want;
};

static const struct step steps[] = {
    {1, "first message", false, 0, 0},
    {2, "in order", false, 1, 0},
    {3, "in order", false, 2, 0},
    {4, "duplicate of the top", false, 2, -EALREADY},
    {5, "duplicate of the first", false, 0, -EALREADY},
    {6, "gap forward", false, 10, 0},
    {7, "out of order inside the window", false, 5, 0},
    {8, "out-of-order duplicate", false, 5, -EALREADY},
    {9, "gap filled just below the top", false, 9, 0},
    {10, "jump to 3000", false, 3000, 0},
    {11, "oldest counter still in the window", false, 3001 - W, 0},
    {12, "one older than the window", false, 3000 - W, -ERANGE},
    {13, "accepted long ago, now too old", false, 10, -ERANGE},
    {14, "last of a 64-bit word", false, 3007, 0},
    {15, "first of the next word", false, 3008, 0},
    {16, "back across the word boundary", false, 3006, 0},
    {17, "far jump, 500 laps of the bitmap", false, J, 0},
    {18, "shares the old top's bit and word: cleared by the jump", false, J - 64, 0},
    {19, "shares its bit with 3000", false, J - 72, 0},
    {20, "everything before the jump is too old", false, 3008, -ERANGE},
    {21, "oldest counter in the new window", false, J + 1 - W, 0},
    {22, "exactly one lap ahead of the top", false, J + REPLAY_BITMAP_BITS, 0},
    {23, "its lap-old twin is too old", false, J, -ERANGE},
    {24, "shares its bit with case 21; the lap jump cleared it", false,
     J + 1 - W + REPLAY_BITMAP_BITS, 0},
    {25, "empty window: any counter is new", true, 123456789, 0},
    {26, "below a first message far from zero", false, 123456789 - 1000, 0},
    {27, "the last usable counter", true, LIM - 1, 0},
    {28, "its duplicate", false, LIM - 1, -EALREADY},
    {29, "the limit itself", false, LIM, -EKEYEXPIRED},
    {30, "the reserved Noise nonce", false, UINT64_MAX, -EKEYEXPIRED},
    {31, "just below, inside the window", false, LIM - 2, 0},
    {32, "zero, long gone", false, 0, -ERANGE},
    {33, "limit on an empty window", true, LIM, -EKEYEXPIRED},
};

static void test_table(void **state)
{
	struct replay_window w;

	(void)state;
	replay_window_init(&w);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *s = &steps[i];
		int pre, got;

		assert_int_equal(s->num, i + 1);
		if (s->reset)
			replay_window_init(&w);
		pre = replay_window_check(&w, s->counter);
		got = replay_window_check_and_update(&w, s->counter);
		if (pre != s->want || got != s->want)
			fail_msg("case %u (%s): counter %llu: check %d, update %d, want %d", s->num,
				 s->what, (unsigned long long)s->counter, pre, got, s->want);
	}
}

static void test_limits(void **state)
{
	struct replay_window w;

	(void)state;
	assert_true(LIM == UINT64_C(18446744073709543423)); /* 2^64 - 2^13 - 1 */
	assert_true(replay_counter_is_usable(LIM - 1));
	assert_false(replay_counter_is_usable(LIM));
	assert_false(replay_counter_is_usable(UINT64_MAX));
	assert_true(W == REPLAY_BITMAP_BITS - 64);
	/* check() never records. */
	replay_window_init(&w);
	assert_int_equal(replay_window_check(&w, 7), 0);
	assert_int_equal(replay_window_check(&w, 7), 0);
	assert_int_equal(replay_window_check_and_update(&w, 7), 0);
	assert_int_equal(replay_window_check(&w, 7), -EALREADY);
}

/* ---- differential test -------------------------------------------------- */

struct ref {
	uint64_t next;	/* one above the highest accepted, 0 for none */
	uint64_t *seen; /* sorted accepted counters still inside the window */
	size_t n, cap;
};

static size_t ref_find(const struct ref *r, uint64_t c)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->seen[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int ref_check_and_update(struct ref *r, uint64_t c)
{
	size_t at, drop = 0;

	if (c >= LIM)
		return -EKEYEXPIRED;
	if (c < r->next && r->next - c > W)
		return -ERANGE;
	at = ref_find(r, c);
	if (at < r->n && r->seen[at] == c)
		return -EALREADY;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->seen = realloc(r->seen, r->cap * sizeof(*r->seen));
		assert_non_null(r->seen);
	}
	memmove(&r->seen[at + 1], &r->seen[at], (r->n - at) * sizeof(*r->seen));
	r->seen[at] = c;
	r->n++;
	if (c >= r->next)
		r->next = c + 1;
	/* Forget what can never be asked about again. */
	while (drop < r->n && r->next - r->seen[drop] > W)
		drop++;
	memmove(r->seen, &r->seen[drop], (r->n - drop) * sizeof(*r->seen));
	r->n -= drop;
	return 0;
}

static uint64_t rng_state;
static uint64_t recent[16]; /* last accepted counters, kept across window slides */
static unsigned n_recent;

static uint64_t rng(void) /* splitmix64 */
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A counter near the interesting places: the top, the window's edge,
 * recent history, small and far jumps, anything at all. */
static uint64_t pick(const struct ref *r, uint64_t base)
{
	uint64_t top = r->next ? r->next - 1 : base;
	uint64_t k = rng() % 100;

	if (k < 35)
		return top + rng() % 4;
	if (k < 60)
		return top - rng() % (W + 64);
	if (k < 65 && r->n)
		return r->seen[rng() % r->n];
	if (k < 72 && n_recent) {
		/* The same bit, laps later: just below the top. */
		uint64_t old = recent[rng() % (n_recent < 16 ? n_recent : 16)];

		if (old <= top)
			return old + (top - old) / REPLAY_BITMAP_BITS * REPLAY_BITMAP_BITS;
	}
	if (k < 78)
		return top + rng() % 3000;
	if (k < 82)
		return top + (rng() % 4) * REPLAY_BITMAP_BITS + rng() % 128 - 64;
	if (k < 86)
		return r->next - W + rng() % 3 - 1;
	if (k < 98)
		return top + (rng() >> (20 + rng() % 44));
	return rng();
}

static void test_differential(void **state)
{
	const uint64_t bases[] = {0, UINT64_C(1) << 32, UINT64_C(0x5eed0fa11e5), LIM - 50000};
	unsigned outcomes[4] = {0}; /* accepted, duplicate, too old, expired */

	(void)state;
	rng_state = UINT64_C(0x76783620726570); /* fixed: failures reproduce */
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		struct replay_window w;
		struct ref r = {0};

		replay_window_init(&w);
		n_recent = 0;
		for (unsigned i = 0; i < 30000; i++) {
			uint64_t c = i == 0 ? bases[b] : pick(&r, bases[b]);
			int want = ref_check_and_update(&r, c);
			int got = replay_window_check_and_update(&w, c);

			if (got != want)
				fail_msg(
				    "base %zu step %u: counter %llu (top %llu): got %d, want %d", b,
				    i, (unsigned long long)c, (unsigned long long)r.next, got,
				    want);
			if (want == 0)
				recent[n_recent++ % 16] = c;
			outcomes[want == 0 ? 0 : want == -EALREADY ? 1 : want == -ERANGE ? 2 : 3]++;
		}
		free(r.seen);
	}
	/* The generator reached every outcome, so the comparison meant something. */
	for (int i = 0; i < 4; i++)
		assert_true(outcomes[i] > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
