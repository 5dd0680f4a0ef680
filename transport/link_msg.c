/* transport/link_msg.c - link control message codecs (docs/wire.md §4). */
#include "transport/link_msg.h"

#include <errno.h>
#include <string.h>

#include "lib/wire.h"

int link_msg_decode(struct link_msg *out, const uint8_t *buf, size_t len)
{
	struct wire_rd r;
	struct link_msg m;
	const uint8_t *pad;

	wire_rd_init(&r, buf, len);
	m.type = wire_get_u8(&r);
	if (r.bad)
		return -EBADMSG;
	if (m.type != LINK_MSG_PING && m.type != LINK_MSG_PONG)
		return -ENOMSG;
	m.token = wire_get_u64(&r);
	if (r.bad || r.left > LINK_MSG_PAD_MAX)
		return -EBADMSG;
	m.pad_len = (uint16_t)r.left;
	pad = wire_get_bytes(&r, r.left);
	for (size_t i = 0; pad && i < m.pad_len; i++)
		if (pad[i] != 0)
			return -EBADMSG; /* reserved: padding is zero */
	if (!wire_rd_is_done(&r))
		return -EBADMSG;
	*out = m;
	return 0;
}

int link_msg_encode(const struct link_msg *m, uint8_t *buf, size_t cap)
{
	struct wire_wr w;
	uint8_t *pad;

	if ((m->type != LINK_MSG_PING && m->type != LINK_MSG_PONG) || m->pad_len > LINK_MSG_PAD_MAX)
		return -EINVAL;
	wire_wr_init(&w, buf, cap);
	wire_put_u8(&w, m->type);
	wire_put_u64(&w, m->token);
	pad = wire_put_space(&w, m->pad_len);
	if (w.bad)
		return -ENOSPC;
	if (m->pad_len)
		memset(pad, 0, m->pad_len);
	return (int)w.len;
}

void link_bench_hdr_encode(uint8_t out[LINK_BENCH_HDR_LEN], uint64_t length)
{
	out[0] = 1; /* LINK_STREAM_BENCH */
	wire_store_u64(out + 1, length);
}

int link_bench_hdr_decode(const uint8_t in[LINK_BENCH_HDR_LEN], uint64_t *out_length)
{
	uint64_t n = wire_load_u64(in + 1);

	if (in[0] != 1 || n > LINK_BENCH_MAX_BYTES)
		return -EBADMSG;
	*out_length = n;
	return 0;
}

void link_bench_reply_encode(uint8_t out[LINK_BENCH_REPLY_LEN], const uint8_t sha[32],
			     uint64_t received)
{
	memcpy(out, sha, 32);
	wire_store_u64(out + 32, received);
}

void link_bench_reply_decode(const uint8_t in[LINK_BENCH_REPLY_LEN], uint8_t out_sha[32],
			     uint64_t *out_received)
{
	memcpy(out_sha, in, 32);
	*out_received = wire_load_u64(in + 32);
}
