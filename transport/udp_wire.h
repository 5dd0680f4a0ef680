/* transport/udp_wire.h - the UDP link's wire format (docs/wire.md §3.9):
 * the six message types, their clear headers and the handshake payloads.
 * Pure codecs: no I/O, no logging, no clock.
 *
 * Every UDP payload is one message: type u8 || reserved[3] = 0 || fields,
 * except that an INIT names its cipher in the first reserved byte. INIT and
 * RESP carry Noise_IK_25519_<cipher>_BLAKE2b messages (prologue
 * UDP_PROLOGUE); DATA and CLOSE carry one Noise transport message under an
 * explicit counter, with the 16-byte clear header as associated data.
 */
#ifndef VX6_TRANSPORT_UDP_WIRE_H
#define VX6_TRANSPORT_UDP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UDP_PROLOGUE	     "vx6 link v1 udp"
#define UDP_WIRE_VERSION     1
#define UDP_TAG_LEN	     16
#define UDP_INIT_PAYLOAD_LEN 42 /* version, flags, ed25519 key[32], timestamp u64 */
#define UDP_RESP_PAYLOAD_LEN 18 /* version, flags, reset token[16] */
#define UDP_RESET_TOKEN_LEN  16
#define UDP_ECHO_LEN	     32 /* REJECT: the INIT's ephemeral key */
#define UDP_IK_MSG1_LEN	     (32 + 48 + UDP_INIT_PAYLOAD_LEN + UDP_TAG_LEN) /* 138 */
#define UDP_IK_MSG2_LEN	     (32 + UDP_RESP_PAYLOAD_LEN + UDP_TAG_LEN)	    /* 66 */
#define UDP_INIT_HDR_LEN     12 /* type, reserved[3], sender u32, session u32 */
#define UDP_RESP_HDR_LEN     12 /* type, reserved[3], sender u32, receiver u32 */
#define UDP_DATA_HDR_LEN     16 /* type, reserved[3], receiver u32, counter u64 */
#define UDP_INIT_LEN	     (UDP_INIT_HDR_LEN + UDP_IK_MSG1_LEN) /* 150 */
#define UDP_RESP_LEN	     (UDP_RESP_HDR_LEN + UDP_IK_MSG2_LEN) /* 78 */
#define UDP_REJECT_LEN	     (8 + UDP_ECHO_LEN)			  /* 40 */
#define UDP_RESET_LEN	     (8 + UDP_RESET_TOKEN_LEN)		  /* 24 */
#define UDP_DATA_MIN_LEN     (UDP_DATA_HDR_LEN + UDP_TAG_LEN)	  /* 32: empty = keepalive */
#define UDP_CLOSE_LEN	     (UDP_DATA_HDR_LEN + 1 + UDP_TAG_LEN) /* 33 */
#define UDP_OVERHEAD	     (UDP_DATA_HDR_LEN + UDP_TAG_LEN)	  /* per datagram */

/* The cipher byte of an INIT: enum noise_cipher_suite's values. */
#define UDP_CIPHER_CHACHAPOLY 0
#define UDP_CIPHER_AESGCM     1

enum udp_msg_type {
	UDP_MSG_INIT = 1,   /* handshake initiation: IK message 1 */
	UDP_MSG_RESP = 2,   /* handshake response: IK message 2 */
	UDP_MSG_REJECT = 3, /* an INIT the responder could not authenticate */
	UDP_MSG_DATA = 4,   /* one datagram (empty: key confirmation) */
	UDP_MSG_CLOSE = 5,  /* the sender closed the session */
	UDP_MSG_RESET = 6,  /* "I know no session for this index" (after a restart) */
};

/* A decoded message. Which fields are set depends on `type` (see the
 * table in docs/wire.md §3.9); the others are zero. `body` borrows the
 * input: the Noise message (INIT, RESP), the ciphertext (DATA, CLOSE),
 * the echo (REJECT) or the token (RESET). */
struct udp_msg {
	uint8_t type;
	uint8_t cipher;	   /* INIT: UDP_CIPHER_* of the handshake and its keys */
	uint32_t sender;   /* INIT, RESP: the sender's index for this handshake */
	uint32_t receiver; /* RESP, REJECT, DATA, CLOSE, RESET: the receiver's index */
	uint32_t session;  /* INIT: receiver index of the session it renews, 0 = new */
	uint64_t counter;  /* DATA, CLOSE: the explicit nonce */
	const uint8_t *body;
	size_t body_len;
};

struct udp_init_payload {
	uint8_t ed25519_pk[32];
	uint64_t timestamp_ms; /* Unix ms; grows with every INIT of one key */
};

/* Decode one message (total: exact lengths per type, reserved bytes zero,
 * an INIT's cipher known, indices non-zero, DATA at most `UDP_DATA_HDR_LEN + 65535` bytes). *out is
 * written only on success. Return 0, -ENOMSG (unknown type) or -EBADMSG. */
int udp_msg_decode(struct udp_msg *out, const uint8_t *buf, size_t len);

/* Encode `m` (its header and body) into `out` (`cap` bytes) and store the
 * length in *out_len. Return 0, -EINVAL (unknown type, a body of the wrong
 * length for its type, a zero index, a cipher outside an INIT or unknown)
 * or -ENOSPC. The canonical inverse of
 * udp_msg_decode(). */
int udp_msg_encode(const struct udp_msg *m, uint8_t *out, size_t cap, size_t *out_len);

/* Write the 16-byte header of a DATA or CLOSE message. Hot path: no checks
 * beyond what the caller guarantees (type DATA or CLOSE, receiver != 0). */
void udp_data_header_put(uint8_t out[UDP_DATA_HDR_LEN], uint8_t type, uint32_t receiver,
			 uint64_t counter);

void udp_init_payload_encode(const struct udp_init_payload *p, uint8_t out[UDP_INIT_PAYLOAD_LEN]);
/* Exact length, version 1, flags 0. Return 0, -EPROTONOSUPPORT or
 * -EBADMSG; *out written only on success. */
int udp_init_payload_decode(struct udp_init_payload *out, const uint8_t *buf, size_t len);

void udp_resp_payload_encode(const uint8_t token[UDP_RESET_TOKEN_LEN],
			     uint8_t out[UDP_RESP_PAYLOAD_LEN]);
/* As udp_init_payload_decode(); the token goes to `out_token`. */
int udp_resp_payload_decode(uint8_t out_token[UDP_RESET_TOKEN_LEN], const uint8_t *buf, size_t len);

#endif /* VX6_TRANSPORT_UDP_WIRE_H */
