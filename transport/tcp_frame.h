/* transport/tcp_frame.h - the TCP link's wire format (docs/wire.md §3):
 * handshake payloads and the plaintext frames carried inside Noise
 * transport messages. Pure codecs; no I/O, no logging.
 *
 * On the TCP byte stream every message is len u16 || body. The first two
 * messages are Noise_IK_25519_ChaChaPoly_BLAKE2b handshake messages (prologue
 * TCP_PROLOGUE); every later body is a Noise transport message whose nonce
 * is its index in that direction (TCP is ordered), and whose plaintext is
 * one frame: type u8 || fields.
 */
#ifndef VX6_TRANSPORT_TCP_FRAME_H
#define VX6_TRANSPORT_TCP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_PROLOGUE	     "vx6 link v1 tcp"
#define TCP_WIRE_VERSION     1
#define TCP_INIT_PAYLOAD_LEN 42 /* version, flags, ed25519 key[32], timestamp u64 */
#define TCP_RESP_PAYLOAD_LEN 2	/* version, flags */
#define TCP_MSG_MAX	     65535
#define TCP_FRAME_MAX	     (TCP_MSG_MAX - 16) /* plaintext after the AEAD tag */
#define TCP_STREAM_HDR_LEN   6			/* type, sid u32, flags */
#define TCP_STREAM_CHUNK_MAX (TCP_FRAME_MAX - TCP_STREAM_HDR_LEN)
#define TCP_CONN_SID	     0xffffffffu /* STREAM_CREDIT for the connection window */
#define TCP_STREAM_FLAG_FIN  0x01

enum tcp_frame_type {
	TCP_FRAME_CONFIRM = 0x01,  /* first frame from the initiator: key confirmation */
	TCP_FRAME_DATAGRAM = 0x02, /* payload */
	TCP_FRAME_STREAM = 0x03,   /* sid u32, flags u8, data */
	TCP_FRAME_RESET = 0x04,	   /* sid u32, code u32 */
	TCP_FRAME_CREDIT = 0x05,   /* sid u32 (TCP_CONN_SID: connection), bytes u32 */
	TCP_FRAME_REKEY = 0x06,	   /* sender's next frame uses REKEY(k) */
	TCP_FRAME_CLOSE = 0x07,	   /* reason u8 */
};

struct tcp_init_payload {
	uint8_t ed25519_pk[32];
	uint64_t timestamp_ms; /* Unix ms; must grow per initiator key */
};

/* A decoded frame. `data` borrows the input buffer. */
struct tcp_frame {
	uint8_t type;
	uint32_t sid;
	uint8_t flags;
	uint32_t value; /* RESET code, CREDIT bytes, CLOSE reason */
	const uint8_t *data;
	size_t len;
};

void tcp_init_payload_encode(const struct tcp_init_payload *p, uint8_t out[TCP_INIT_PAYLOAD_LEN]);
/* Exact length, known version, flags zero. Return 0, -EPROTONOSUPPORT or
 * -EBADMSG; *out written only on success. */
int tcp_init_payload_decode(struct tcp_init_payload *out, const uint8_t *buf, size_t len);
void tcp_resp_payload_encode(uint8_t out[TCP_RESP_PAYLOAD_LEN]);
int tcp_resp_payload_decode(const uint8_t *buf, size_t len);

/* Decode one plaintext frame (total: exact lengths, flags known, no
 * trailing bytes). Return 0, -ENOMSG (unknown type) or -EBADMSG. */
int tcp_frame_decode(struct tcp_frame *out, const uint8_t *buf, size_t len);

/* Write the header of a frame into `out` and return its length: the
 * caller appends `data` (DATAGRAM/STREAM) itself, which keeps the hot path
 * free of copies. Return -EINVAL for an unknown type or bad flags. */
int tcp_frame_header(const struct tcp_frame *f, uint8_t out[16]);

#endif /* VX6_TRANSPORT_TCP_FRAME_H */
