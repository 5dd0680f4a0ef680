/* transport/udp_wire.c - UDP link messages and handshake payloads
 * (docs/wire.md §3.9). Total decoders over lib/wire.h; encoders are their
 * canonical inverses, which tests/fuzz/fuzz_udp_msg.c checks. */
#include "transport/udp_wire.h"

#include <errno.h>
#include <string.h>

#include "lib/wire.h"

#define NOISE_MSG_MAX 65535 /* any Noise message (docs/noise.md §3.4) */

/* Fixed fields after the 4-byte type/reserved prefix, per type. */
static int decode_fields(struct udp_msg *m, struct wire_rd *r)
{
	switch (m->type) {
	case UDP_MSG_INIT:
		m->sender = wire_get_u32(r);
		m->session = wire_get_u32(r);
		m->body_len = UDP_IK_MSG1_LEN;
		break;
	case UDP_MSG_RESP:
		m->sender = wire_get_u32(r);
		m->receiver = wire_get_u32(r);
		m->body_len = UDP_IK_MSG2_LEN;
		break;
	case UDP_MSG_REJECT:
		m->receiver = wire_get_u32(r);
		m->body_len = UDP_ECHO_LEN;
		break;
	case UDP_MSG_RESET:
		m->receiver = wire_get_u32(r);
		m->body_len = UDP_RESET_TOKEN_LEN;
		break;
	case UDP_MSG_DATA:
	case UDP_MSG_CLOSE:
		m->receiver = wire_get_u32(r);
		m->counter = wire_get_u64(r);
		m->body_len = r->left; /* the ciphertext: everything after */
		if (m->body_len < UDP_TAG_LEN || m->body_len > NOISE_MSG_MAX)
			return -EBADMSG;
		if (m->type == UDP_MSG_CLOSE && m->body_len != 1 + UDP_TAG_LEN)
			return -EBADMSG;
		break;
	default:
		return -ENOMSG;
	}
	return 0;
}

int udp_msg_decode(struct udp_msg *out, const uint8_t *buf, size_t len)
{
	struct udp_msg m = {0};
	struct wire_rd r;
	const uint8_t *reserved;
	int rc;

	wire_rd_init(&r, buf, len);
	m.type = wire_get_u8(&r);
	reserved = wire_get_bytes(&r, 3);
	if (r.bad)
		return -EBADMSG;
	rc = decode_fields(&m, &r);
	if (rc < 0)
		return rc;
	m.body = wire_get_bytes(&r, m.body_len);
	if (!wire_rd_is_done(&r))
		return -EBADMSG; /* short, or trailing bytes */
	if (m.type == UDP_MSG_INIT) {
		m.cipher = reserved[0];
		if (m.cipher > UDP_CIPHER_AESGCM)
			return -EBADMSG;
	} else if (reserved[0]) {
		return -EBADMSG;
	}
	if (reserved[1] | reserved[2])
		return -EBADMSG;
	if (m.type == UDP_MSG_INIT || m.type == UDP_MSG_RESP) {
		if (m.sender == 0)
			return -EBADMSG;
	}
	if (m.type != UDP_MSG_INIT && m.receiver == 0)
		return -EBADMSG; /* index 0 is never given out */
	*out = m;
	return 0;
}

static size_t body_len_for(const struct udp_msg *m)
{
	switch (m->type) {
	case UDP_MSG_INIT:
		return UDP_IK_MSG1_LEN;
	case UDP_MSG_RESP:
		return UDP_IK_MSG2_LEN;
	case UDP_MSG_REJECT:
		return UDP_ECHO_LEN;
	case UDP_MSG_RESET:
		return UDP_RESET_TOKEN_LEN;
	case UDP_MSG_CLOSE:
		return 1 + UDP_TAG_LEN;
	case UDP_MSG_DATA:
		return m->body_len >= UDP_TAG_LEN && m->body_len <= NOISE_MSG_MAX ? m->body_len : 0;
	default:
		return 0;
	}
}

int udp_msg_encode(const struct udp_msg *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wire_wr w;
	size_t body = body_len_for(m);

	if (body == 0 || body != m->body_len || !m->body)
		return -EINVAL;
	if (m->type == UDP_MSG_INIT ? m->sender == 0 : m->receiver == 0)
		return -EINVAL;
	if (m->type == UDP_MSG_RESP && m->sender == 0)
		return -EINVAL;
	if (m->type == UDP_MSG_INIT ? m->cipher > UDP_CIPHER_AESGCM : m->cipher != 0)
		return -EINVAL;
	wire_wr_init(&w, out, cap);
	wire_put_u8(&w, m->type);
	wire_put_u8(&w, m->cipher);
	wire_put_bytes(&w, "\0\0", 2);
	switch (m->type) {
	case UDP_MSG_INIT:
		wire_put_u32(&w, m->sender);
		wire_put_u32(&w, m->session);
		break;
	case UDP_MSG_RESP:
		wire_put_u32(&w, m->sender);
		wire_put_u32(&w, m->receiver);
		break;
	case UDP_MSG_DATA:
	case UDP_MSG_CLOSE:
		wire_put_u32(&w, m->receiver);
		wire_put_u64(&w, m->counter);
		break;
	default: /* REJECT, RESET */
		wire_put_u32(&w, m->receiver);
		break;
	}
	wire_put_bytes(&w, m->body, body);
	if (w.bad)
		return -ENOSPC;
	*out_len = w.len;
	return 0;
}

void udp_data_header_put(uint8_t out[UDP_DATA_HDR_LEN], uint8_t type, uint32_t receiver,
			 uint64_t counter)
{
	out[0] = type;
	out[1] = out[2] = out[3] = 0;
	wire_store_u32(out + 4, receiver);
	wire_store_u64(out + 8, counter);
}

void udp_init_payload_encode(const struct udp_init_payload *p, uint8_t out[UDP_INIT_PAYLOAD_LEN])
{
	struct wire_wr w;

	wire_wr_init(&w, out, UDP_INIT_PAYLOAD_LEN);
	wire_put_u8(&w, UDP_WIRE_VERSION);
	wire_put_u8(&w, 0);
	wire_put_bytes(&w, p->ed25519_pk, sizeof(p->ed25519_pk));
	wire_put_u64(&w, p->timestamp_ms);
}

int udp_init_payload_decode(struct udp_init_payload *out, const uint8_t *buf, size_t len)
{
	struct udp_init_payload p;
	struct wire_rd r;
	uint8_t version, flags;

	wire_rd_init(&r, buf, len);
	version = wire_get_u8(&r);
	flags = wire_get_u8(&r);
	wire_get_copy(&r, p.ed25519_pk, sizeof(p.ed25519_pk));
	p.timestamp_ms = wire_get_u64(&r);
	if (!wire_rd_is_done(&r))
		return -EBADMSG;
	if (version != UDP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (flags != 0)
		return -EBADMSG;
	*out = p;
	return 0;
}

void udp_resp_payload_encode(const uint8_t token[UDP_RESET_TOKEN_LEN],
			     uint8_t out[UDP_RESP_PAYLOAD_LEN])
{
	out[0] = UDP_WIRE_VERSION;
	out[1] = 0;
	memcpy(out + 2, token, UDP_RESET_TOKEN_LEN);
}

int udp_resp_payload_decode(uint8_t out_token[UDP_RESET_TOKEN_LEN], const uint8_t *buf, size_t len)
{
	if (len != UDP_RESP_PAYLOAD_LEN)
		return -EBADMSG;
	if (buf[0] != UDP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (buf[1] != 0)
		return -EBADMSG;
	memcpy(out_token, buf + 2, UDP_RESET_TOKEN_LEN);
	return 0;
}
