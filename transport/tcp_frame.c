/* transport/tcp_frame.c - TCP link handshake payloads and frames
 * (docs/wire.md §3). Total decoders over lib/wire.h. */
#include "transport/tcp_frame.h"

#include <errno.h>
#include <string.h>

#include "lib/wire.h"

void tcp_init_payload_encode(const struct tcp_init_payload *p, uint8_t out[TCP_INIT_PAYLOAD_LEN])
{
	struct wire_wr w;

	wire_wr_init(&w, out, TCP_INIT_PAYLOAD_LEN);
	wire_put_u8(&w, TCP_WIRE_VERSION);
	wire_put_u8(&w, 0);
	wire_put_bytes(&w, p->ed25519_pk, 32);
	wire_put_u64(&w, p->timestamp_ms);
}

int tcp_init_payload_decode(struct tcp_init_payload *out, const uint8_t *buf, size_t len)
{
	struct wire_rd r;
	struct tcp_init_payload p;
	uint8_t version, flags;

	wire_rd_init(&r, buf, len);
	version = wire_get_u8(&r);
	flags = wire_get_u8(&r);
	wire_get_copy(&r, p.ed25519_pk, 32);
	p.timestamp_ms = wire_get_u64(&r);
	if (!wire_rd_is_done(&r))
		return -EBADMSG;
	if (version != TCP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (flags != 0)
		return -EBADMSG;
	*out = p;
	return 0;
}

void tcp_resp_payload_encode(uint8_t out[TCP_RESP_PAYLOAD_LEN])
{
	out[0] = TCP_WIRE_VERSION;
	out[1] = 0;
}

int tcp_resp_payload_decode(const uint8_t *buf, size_t len)
{
	if (len != TCP_RESP_PAYLOAD_LEN)
		return -EBADMSG;
	if (buf[0] != TCP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	return buf[1] == 0 ? 0 : -EBADMSG;
}

int tcp_frame_decode(struct tcp_frame *out, const uint8_t *buf, size_t len)
{
	struct wire_rd r;
	struct tcp_frame f = {0};

	wire_rd_init(&r, buf, len);
	f.type = wire_get_u8(&r);
	if (r.bad)
		return -EBADMSG;
	switch (f.type) {
	case TCP_FRAME_CONFIRM:
	case TCP_FRAME_REKEY:
		break;
	case TCP_FRAME_DATAGRAM:
		f.len = r.left;
		f.data = wire_get_bytes(&r, f.len);
		break;
	case TCP_FRAME_STREAM:
		f.sid = wire_get_u32(&r);
		f.flags = wire_get_u8(&r);
		f.len = r.left;
		f.data = wire_get_bytes(&r, f.len);
		if (f.flags & ~TCP_STREAM_FLAG_FIN || f.sid == TCP_CONN_SID)
			return -EBADMSG;
		if (f.len == 0 && !(f.flags & TCP_STREAM_FLAG_FIN))
			return -EBADMSG; /* an empty frame must carry FIN */
		break;
	case TCP_FRAME_RESET:
	case TCP_FRAME_CREDIT:
		f.sid = wire_get_u32(&r);
		f.value = wire_get_u32(&r);
		if (f.type == TCP_FRAME_RESET && f.sid == TCP_CONN_SID)
			return -EBADMSG;
		if (f.type == TCP_FRAME_CREDIT && f.value == 0)
			return -EBADMSG;
		break;
	case TCP_FRAME_CLOSE:
		f.value = wire_get_u8(&r);
		break;
	default:
		return -ENOMSG;
	}
	if (!wire_rd_is_done(&r))
		return -EBADMSG;
	*out = f;
	return 0;
}

int tcp_frame_header(const struct tcp_frame *f, uint8_t out[16])
{
	struct wire_wr w;

	wire_wr_init(&w, out, 16);
	wire_put_u8(&w, f->type);
	switch (f->type) {
	case TCP_FRAME_CONFIRM:
	case TCP_FRAME_REKEY:
	case TCP_FRAME_DATAGRAM:
		break;
	case TCP_FRAME_STREAM:
		if (f->flags & ~TCP_STREAM_FLAG_FIN)
			return -EINVAL;
		wire_put_u32(&w, f->sid);
		wire_put_u8(&w, f->flags);
		break;
	case TCP_FRAME_RESET:
	case TCP_FRAME_CREDIT:
		wire_put_u32(&w, f->sid);
		wire_put_u32(&w, f->value);
		break;
	case TCP_FRAME_CLOSE:
		wire_put_u8(&w, (uint8_t)f->value);
		break;
	default:
		return -EINVAL;
	}
	return w.bad ? -EINVAL : (int)w.len;
}
