/* lib/wire.c - bounds-checked big-endian reader and writer (see wire.h). */
#include "lib/wire.h"

#include <netinet/in.h>
#include <string.h>

const uint8_t *wire_get_bytes(struct wire_rd *r, size_t n)
{
	const uint8_t *at = r->p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	if (n == 0)
		return at; /* NULL + 0 is undefined behaviour for an empty buffer */
	r->p += n;
	r->left -= n;
	return at;
}

uint8_t wire_get_u8(struct wire_rd *r)
{
	const uint8_t *p = wire_get_bytes(r, 1);

	return p ? p[0] : 0;
}

uint16_t wire_get_u16(struct wire_rd *r)
{
	const uint8_t *p = wire_get_bytes(r, 2);

	return p ? wire_load_u16(p) : 0;
}

uint32_t wire_get_u32(struct wire_rd *r)
{
	const uint8_t *p = wire_get_bytes(r, 4);

	return p ? wire_load_u32(p) : 0;
}

uint64_t wire_get_u64(struct wire_rd *r)
{
	const uint8_t *p = wire_get_bytes(r, 8);

	return p ? wire_load_u64(p) : 0;
}

void wire_get_copy(struct wire_rd *r, void *out, size_t n)
{
	const uint8_t *p = wire_get_bytes(r, n);

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

void wire_get_in6(struct wire_rd *r, struct in6_addr *out)
{
	wire_get_copy(r, out->s6_addr, 16);
}

uint8_t *wire_put_space(struct wire_wr *w, size_t n)
{
	uint8_t *at = w->p;

	if (w->bad || n > w->left) {
		w->bad = true;
		return NULL;
	}
	if (n == 0)
		return at;
	w->p += n;
	w->left -= n;
	w->len += n;
	return at;
}

void wire_put_bytes(struct wire_wr *w, const void *src, size_t n)
{
	uint8_t *p = wire_put_space(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void wire_put_u8(struct wire_wr *w, uint8_t v)
{
	uint8_t *p = wire_put_space(w, 1);

	if (p)
		p[0] = v;
}

void wire_put_u16(struct wire_wr *w, uint16_t v)
{
	uint8_t *p = wire_put_space(w, 2);

	if (p)
		wire_store_u16(p, v);
}

void wire_put_u32(struct wire_wr *w, uint32_t v)
{
	uint8_t *p = wire_put_space(w, 4);

	if (p)
		wire_store_u32(p, v);
}

void wire_put_u64(struct wire_wr *w, uint64_t v)
{
	uint8_t *p = wire_put_space(w, 8);

	if (p)
		wire_store_u64(p, v);
}

void wire_put_in6(struct wire_wr *w, const struct in6_addr *a)
{
	wire_put_bytes(w, a->s6_addr, 16);
}
