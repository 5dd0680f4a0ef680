/* tun/gso.c - software GSO: split a TSO/USO super-packet read from TUN
 * into segments that each fit the overlay MTU, the way a NIC would (docs/
 * tun.md "Segmentation"). TCP rules follow what Linux's tcp_gso_segment()
 * produces on the wire: sequence numbers advance by the payload before the
 * segment, FIN and PSH stay on the last segment only, CWR on the first
 * only (RFC 3168 §6.1.2: CWR marks the first new data after a window
 * reduction). UDP (USO) splits the payload into one datagram per gso_size
 * bytes with its own length. Checksums are computed from scratch per
 * segment over the pseudo-header with the segment's length, so whatever
 * partial the kernel left in the field does not matter.
 */
#include "tun/offload.h"

#include <errno.h>
#include <string.h>

#include "lib/wire.h"
#include "tun/csum.h"
#include "tun/offload_internal.h"

static size_t payload_len(const struct tun_pkt_info *info)
{
	return info->len - info->l4_off - info->l4_hdr_len;
}

unsigned tun_gso_count(const struct tun_pkt_info *info)
{
	size_t n = payload_len(info);

	if (info->gso == TUN_GSO_NONE || n == 0 || info->vnet.gso_size == 0)
		return 1;
	return (unsigned)((n + info->vnet.gso_size - 1) / info->vnet.gso_size);
}

/* Is `info` something tun_pkt_parse() could have produced for a GSO
 * packet? Guards the arithmetic below against a caller's bad struct. */
static bool info_is_segmentable(const struct tun_pkt_info *info)
{
	size_t min = info->gso == TUN_GSO_TCP ? TUN_TCP_HDR_MIN : TUN_UDP_HDR_LEN;

	if (info->gso != TUN_GSO_TCP && info->gso != TUN_GSO_UDP)
		return false;
	return info->len <= TUN_PKT_MAX_LEN && info->l4_off >= TUN_IPV6_HDR_LEN &&
	       info->l4_hdr_len >= min && (size_t)info->l4_off + info->l4_hdr_len <= info->len &&
	       info->vnet.gso_size > 0;
}

static int copy_one(const struct tun_pkt_info *info, const uint8_t *pkt, struct tun_seg *seg)
{
	struct tun_pkt_info copy = *info;

	if (info->len > seg->cap)
		return -ENOSPC;
	memcpy(seg->buf, pkt, info->len);
	if (info->vnet.flags & TUN_VNET_F_NEEDS_CSUM) {
		if ((size_t)info->vnet.csum_start + info->vnet.csum_offset + 2 > info->len)
			return -EINVAL;
		tun_pkt_csum_complete(&copy, seg->buf);
	}
	seg->len = info->len;
	return 1;
}

/* Fix up the headers of segment `i` of `count` (payload `n` bytes that
 * start `off` bytes into the super-packet's payload) and its checksum. */
static void seg_finish(const struct tun_pkt_info *info, uint8_t *s, size_t off, size_t n,
		       unsigned i, unsigned count)
{
	uint8_t *l4 = s + info->l4_off;
	size_t l4_len = info->l4_hdr_len + n;
	uint8_t nh, *field;
	uint32_t acc;

	wire_store_u16(s + 4, (uint16_t)(info->l4_off - TUN_IPV6_HDR_LEN + l4_len));
	if (info->gso == TUN_GSO_TCP) {
		nh = TUN_NH_TCP;
		field = l4 + TUN_TCP_CSUM_OFF;
		wire_store_u32(l4 + 4, wire_load_u32(l4 + 4) + (uint32_t)off);
		if (i + 1 < count)
			l4[13] &= (uint8_t) ~(TUN_TCP_F_FIN | TUN_TCP_F_PSH);
		if (i > 0)
			l4[13] &= (uint8_t)~TUN_TCP_F_CWR;
	} else {
		nh = TUN_NH_UDP;
		field = l4 + TUN_UDP_CSUM_OFF;
		wire_store_u16(l4 + 4, (uint16_t)l4_len);
	}
	wire_store_u16(field, 0);
	acc = tun_csum_pseudo6(s + 8, s + 24, (uint32_t)l4_len, nh);
	acc = tun_csum_add(acc, l4, l4_len);
	wire_store_u16(field, tun_csum_final(acc));
}

int tun_gso_segment(const struct tun_pkt_info *info, const uint8_t *pkt, struct tun_seg *segs,
		    unsigned n_segs)
{
	size_t hdrs, left, off = 0, n;
	unsigned count;

	if (n_segs == 0)
		return -ENOSPC;
	if (info->gso == TUN_GSO_NONE)
		return copy_one(info, pkt, &segs[0]);
	if (!info_is_segmentable(info))
		return -EINVAL;
	hdrs = (size_t)info->l4_off + info->l4_hdr_len;
	left = info->len - hdrs;
	count = tun_gso_count(info);
	if (count > n_segs)
		return -ENOSPC;
	for (unsigned i = 0; i < count; i++) {
		n = left < info->vnet.gso_size ? left : info->vnet.gso_size;
		if (hdrs + n > segs[i].cap)
			return -ENOSPC;
		memcpy(segs[i].buf, pkt, hdrs);
		memcpy(segs[i].buf + hdrs, pkt + hdrs + off, n);
		seg_finish(info, segs[i].buf, off, n, i, count);
		segs[i].len = hdrs + n;
		off += n;
		left -= n;
	}
	return (int)count;
}
