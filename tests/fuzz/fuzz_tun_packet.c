/* tests/fuzz/fuzz_tun_packet.c - what the TUN device hands over (a vnet
 * header and an IPv6 packet) through tun/offload.c, tun/gso.c, tun/gro.c
 * and tun/icmp6.c. Properties, beyond no crash and no out-of-bounds access
 * (every segment gets its own heap buffer of exactly the size it may use,
 * so ASan sees a one-byte overrun):
 *   - the vnet header re-encodes to the same 10 bytes;
 *   - a parsed super-packet splits into segments that each parse, carry a
 *     valid checksum, and whose payloads join into the original payload;
 *   - coalescing those segments again gives writes that parse, whose
 *     payloads join into the same bytes, and whose super-packets split back
 *     into exactly the segments that went in;
 *   - an ICMPv6 error about the packet fits 1280 bytes, quotes its start
 *     and has a valid checksum.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include "tun/csum.h"
#include "tun/gro.h"
#include "tun/icmp6.h"
#include "tun/offload.h"

#define SEGS_MAX 160

static uint8_t *seg_mem[SEGS_MAX], *seg_copy[SEGS_MAX];
static struct tun_seg segs[SEGS_MAX];
static uint8_t joined[TUN_PKT_MAX_LEN], flat[TUN_VNET_HDR_LEN + TUN_PKT_MAX_LEN];

static size_t payload_off(const struct tun_pkt_info *info)
{
	return (size_t)info->l4_off + info->l4_hdr_len;
}

/* A segment with a zero vnet header in front must parse, and if GSO made
 * it, its checksum must verify. Return its payload offset. */
static size_t check_segment(const uint8_t *seg, size_t len, bool csum)
{
	struct tun_pkt_info info;
	uint32_t acc;

	memset(flat, 0, TUN_VNET_HDR_LEN);
	memcpy(flat + TUN_VNET_HDR_LEN, seg, len);
	if (tun_pkt_parse(flat, TUN_VNET_HDR_LEN + len, &info) < 0)
		abort();
	if (csum) {
		acc = tun_csum_pseudo6(seg + 8, seg + 24, (uint32_t)(len - info.l4_off),
				       info.l4_proto);
		if (tun_csum_fold(tun_csum_add(acc, seg + info.l4_off, len - info.l4_off)) !=
		    0xffff)
			abort();
	}
	return payload_off(&info);
}

/* Coalesce segs[0..n) (tcp: the segments came from a TCP super-packet)
 * and check the writes against the copies taken before. */
static void check_gro(unsigned n, const uint8_t *payload, size_t payload_len)
{
	static struct tun_gro *g;
	struct iovec iov[TUN_GRO_IOV_MAX];
	struct tun_vnet_hdr v;
	struct tun_pkt_info info;
	size_t at = 0, len;
	unsigned next = 0;
	int k, r;

	if (!g && !(g = tun_gro_new(TUN_GRO_VERIFY_CSUM)))
		abort();
	tun_gro_reset(g);
	for (unsigned i = 0; i < n; i++)
		if (tun_gro_add(g, segs[i].buf, segs[i].len) < 0)
			abort();
	for (unsigned w = 0; w < tun_gro_count(g); w++) {
		k = tun_gro_get(g, w, &v, iov, TUN_GRO_IOV_MAX);
		if (k <= 0)
			abort();
		tun_vnet_encode(&v, flat);
		len = TUN_VNET_HDR_LEN;
		for (int j = 0; j < k; j++) {
			memcpy(flat + len, iov[j].iov_base, iov[j].iov_len);
			len += iov[j].iov_len;
		}
		if (tun_pkt_parse(flat, len, &info) < 0)
			abort();
		len -= TUN_VNET_HDR_LEN + payload_off(&info);
		if (at + len > payload_len ||
		    memcmp(flat + TUN_VNET_HDR_LEN + payload_off(&info), payload + at, len))
			abort();
		at += len;
		/* Split again: the very segments that went in, in order. */
		r = tun_gso_segment(&info, flat + TUN_VNET_HDR_LEN, segs + next, n - next);
		if (r != k)
			abort();
		for (int j = 0; j < r; j++, next++)
			if (memcmp(segs[next].buf, seg_copy[next], segs[next].len) != 0)
				abort();
	}
	if (at != payload_len || next != n)
		abort();
}

static void check_segments(const struct tun_pkt_info *info, const uint8_t *pkt)
{
	unsigned count = tun_gso_count(info), n;
	size_t hdrs = payload_off(info), cap, at = 0, off;
	int r;

	if (count > SEGS_MAX)
		count = SEGS_MAX; /* and expect -ENOSPC below */
	cap = info->gso == TUN_GSO_NONE ? info->len : hdrs + info->vnet.gso_size;
	for (unsigned i = 0; i < count; i++) {
		seg_mem[i] = malloc(cap);
		segs[i] = (struct tun_seg){.buf = seg_mem[i], .cap = cap};
	}
	r = tun_gso_segment(info, pkt, segs, count);
	if (r == -ENOSPC && tun_gso_count(info) > SEGS_MAX)
		goto out;
	if (r <= 0 || (unsigned)r != tun_gso_count(info))
		abort();
	n = (unsigned)r;
	for (unsigned i = 0; i < n; i++) {
		if (segs[i].len > segs[i].cap)
			abort();
		off = check_segment(segs[i].buf, segs[i].len, info->gso != TUN_GSO_NONE);
		if (info->gso == TUN_GSO_NONE)
			break;
		if (off != hdrs || at + segs[i].len - off > info->len - hdrs)
			abort();
		memcpy(joined + at, segs[i].buf + off, segs[i].len - off);
		at += segs[i].len - off;
	}
	if (info->gso == TUN_GSO_NONE)
		goto out;
	if (at != info->len - hdrs || memcmp(joined, pkt + hdrs, at) != 0)
		abort();
	if (info->gso == TUN_GSO_TCP && n <= TUN_GRO_BATCH_MAX) {
		for (unsigned i = 0; i < n; i++) {
			seg_copy[i] = malloc(segs[i].len);
			memcpy(seg_copy[i], segs[i].buf, segs[i].len);
		}
		check_gro(n, pkt + hdrs, at);
		for (unsigned i = 0; i < n; i++)
			free(seg_copy[i]);
	}
out:
	for (unsigned i = 0; i < count; i++)
		free(seg_mem[i]);
}

static void check_icmp6(const uint8_t *pkt, size_t len)
{
	static const struct in6_addr me = {{{0xfd, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}};
	uint8_t out[TUN_ICMP6_ERR_MAX_LEN];
	size_t n;
	uint32_t acc;

	if (tun_icmp6_ptb_build(out, sizeof(out), &me, 1280, pkt, len, &n) < 0)
		return;
	if (n > sizeof(out) || n < 48 || memcmp(out + 48, pkt, n - 48) != 0)
		abort();
	acc = tun_csum_pseudo6(out + 8, out + 24, (uint32_t)(n - 40), 58);
	if (tun_csum_fold(tun_csum_add(acc, out + 40, n - 40)) != 0xffff)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tun_vnet_hdr v;
	struct tun_pkt_info info;
	uint8_t again[TUN_VNET_HDR_LEN], *copy;

	if (len >= TUN_VNET_HDR_LEN && tun_vnet_decode(data, &v) == 0) {
		tun_vnet_encode(&v, again);
		if (memcmp(again, data, TUN_VNET_HDR_LEN) != 0)
			abort();
	}
	if (len > TUN_VNET_HDR_LEN)
		check_icmp6(data + TUN_VNET_HDR_LEN, len - TUN_VNET_HDR_LEN);
	if (tun_pkt_parse(data, len, &info) < 0)
		return 0;
	/* An exact-size copy, so reads past the packet are caught. */
	copy = malloc(info.len);
	memcpy(copy, data + TUN_VNET_HDR_LEN, info.len);
	check_segments(&info, copy);
	free(copy);
	return 0;
}
