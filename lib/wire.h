/* lib/wire.h - bounds-checked big-endian reader and writer for wire formats.
 *
 * Both carry a sticky error flag: a read or write that does not fit sets
 * `bad`, returns 0/NULL, and every later call fails too, so a codec can do
 * all its gets or puts and check once at the end. No struct overlays on
 * untrusted bytes anywhere in vx6: decoders go through wire_rd.
 */
#ifndef VX6_LIB_WIRE_H
#define VX6_LIB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct in6_addr;

struct wire_rd {
	const uint8_t *p; /* next unread byte */
	size_t left;	  /* bytes remaining */
	bool bad;	  /* sticky: a read ran past the end */
};

struct wire_wr {
	uint8_t *p;  /* next byte to write */
	size_t left; /* room remaining */
	size_t len;  /* bytes written so far */
	bool bad;    /* sticky: a write did not fit */
};

static inline void wire_rd_init(struct wire_rd *r, const uint8_t *buf, size_t len)
{
	r->p = buf;
	r->left = len;
	r->bad = false;
}

static inline void wire_wr_init(struct wire_wr *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->left = cap;
	w->len = 0;
	w->bad = false;
}

/* Return a pointer to the next `n` bytes and consume them, or NULL (and set
 * `bad`) if fewer remain. The pointer borrows the reader's buffer. */
const uint8_t *wire_get_bytes(struct wire_rd *r, size_t n);
uint8_t wire_get_u8(struct wire_rd *r);
uint16_t wire_get_u16(struct wire_rd *r);
uint32_t wire_get_u32(struct wire_rd *r);
uint64_t wire_get_u64(struct wire_rd *r);
/* Copy `n` bytes into `out`; on failure `out` is zeroed. */
void wire_get_copy(struct wire_rd *r, void *out, size_t n);
void wire_get_in6(struct wire_rd *r, struct in6_addr *out);

/* True when the reader consumed everything and never failed. */
static inline bool wire_rd_is_done(const struct wire_rd *r)
{
	return !r->bad && r->left == 0;
}

/* Reserve `n` bytes and return where to write them, or NULL (sets `bad`). */
uint8_t *wire_put_space(struct wire_wr *w, size_t n);
void wire_put_bytes(struct wire_wr *w, const void *src, size_t n);
void wire_put_u8(struct wire_wr *w, uint8_t v);
void wire_put_u16(struct wire_wr *w, uint16_t v);
void wire_put_u32(struct wire_wr *w, uint32_t v);
void wire_put_u64(struct wire_wr *w, uint64_t v);
void wire_put_in6(struct wire_wr *w, const struct in6_addr *a);

/* Raw big-endian helpers for fixed positions in a buffer the caller has
 * already length-checked. */
static inline uint16_t wire_load_u16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline void wire_store_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t wire_load_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wire_store_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint64_t wire_load_u64(const uint8_t *p)
{
	return (uint64_t)wire_load_u32(p) << 32 | wire_load_u32(p + 4);
}

static inline void wire_store_u64(uint8_t *p, uint64_t v)
{
	wire_store_u32(p, (uint32_t)(v >> 32));
	wire_store_u32(p + 4, (uint32_t)v);
}

#endif /* VX6_LIB_WIRE_H */
