/* transport/link_msg.h - link control messages carried in datagrams and
 * the bench stream header (docs/wire.md §4). Pure codecs, no I/O.
 *
 * A datagram whose first byte is 0x60..0x6f is an IPv6 packet; anything
 * else is a control message whose first byte is its type:
 *   PING (0x01): token u64, pad_len zero bytes (0 <= pad_len <= LINK_MSG_PAD_MAX)
 *   PONG (0x02): token u64, the same number of zero bytes as the PING had
 * The bench stream (kind LINK_STREAM_BENCH) starts with kind u8 = 1 and
 * length u64, then `length` payload bytes and FIN; the sink answers with
 * sha256[32] and received u64, then FIN.
 */
#ifndef VX6_TRANSPORT_LINK_MSG_H
#define VX6_TRANSPORT_LINK_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_MSG_PING	     0x01
#define LINK_MSG_PONG	     0x02
#define LINK_MSG_HDR_LEN     9	  /* type + token */
#define LINK_MSG_PAD_MAX     1391 /* TP_DATAGRAM_MAX - LINK_MSG_HDR_LEN */
#define LINK_BENCH_HDR_LEN   9u	  /* kind + length */
#define LINK_BENCH_REPLY_LEN 40u
#define LINK_BENCH_MAX_BYTES (64ull << 30)

struct link_msg {
	uint8_t type;
	uint64_t token;
	uint16_t pad_len;
};

/* True if the datagram is an IPv6 packet rather than a control message. */
static inline bool link_msg_is_packet(const uint8_t *buf, size_t len)
{
	return len > 0 && (buf[0] >> 4) == 6;
}

/* Decode a control message. Write *out only on success. Return 0,
 * -ENOMSG (unknown type) or -EBADMSG (short, pad too long, pad not zero). */
int link_msg_decode(struct link_msg *out, const uint8_t *buf, size_t len);

/* Encode into `buf` (`cap` bytes). Return the length or -ENOSPC/-EINVAL. */
int link_msg_encode(const struct link_msg *m, uint8_t *buf, size_t cap);

/* Bench stream header and reply. Decoders need exactly their length. */
void link_bench_hdr_encode(uint8_t out[LINK_BENCH_HDR_LEN], uint64_t length);
int link_bench_hdr_decode(const uint8_t in[LINK_BENCH_HDR_LEN], uint64_t *out_length);
void link_bench_reply_encode(uint8_t out[LINK_BENCH_REPLY_LEN], const uint8_t sha[32],
			     uint64_t received);
void link_bench_reply_decode(const uint8_t in[LINK_BENCH_REPLY_LEN], uint8_t out_sha[32],
			     uint64_t *out_received);

#endif /* VX6_TRANSPORT_LINK_MSG_H */
