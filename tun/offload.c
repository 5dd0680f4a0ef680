/* tun/offload.c - the vnet header codec, the IPv6 parse of packets read
 * from TUN, and checksum completion (docs/tun.md "Reading"). The vnet
 * header layout is virtio spec 1.2 §5.1.6 (struct virtio_net_hdr, legacy
 * 10-byte form, little-endian as TUN uses it on every host once
 * TUNSETVNETLE is set); IPv6 and its extension headers are RFC 8200 §3-§4.
 * Segmentation is in tun/gso.c, coalescing in tun/gro.c.
 */
#include "tun/offload.h"

#include <errno.h>
#include <string.h>

#include "lib/wire.h"
#include "tun/csum.h"
#include "tun/offload_internal.h"

static uint16_t load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static void store_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int tun_vnet_decode(const uint8_t *p, struct tun_vnet_hdr *out)
{
	struct tun_vnet_hdr h = {
	    .flags = p[0],
	    .gso_type = p[1],
	    .hdr_len = load_le16(p + 2),
	    .gso_size = load_le16(p + 4),
	    .csum_start = load_le16(p + 6),
	    .csum_offset = load_le16(p + 8),
	};

	/* One of NEEDS_CSUM or DATA_VALID at most: they contradict. */
	if (h.flags & ~(TUN_VNET_F_NEEDS_CSUM | TUN_VNET_F_DATA_VALID) ||
	    h.flags == (TUN_VNET_F_NEEDS_CSUM | TUN_VNET_F_DATA_VALID))
		return -EBADMSG;
	switch (h.gso_type & ~TUN_VNET_GSO_ECN) {
	case TUN_VNET_GSO_NONE:
	case TUN_VNET_GSO_TCPV4:
	case TUN_VNET_GSO_UDP:
	case TUN_VNET_GSO_TCPV6:
	case TUN_VNET_GSO_UDP_L4:
		break;
	default:
		return -EBADMSG;
	}
	*out = h;
	return 0;
}

void tun_vnet_encode(const struct tun_vnet_hdr *h, uint8_t *p)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	store_le16(p + 2, h->hdr_len);
	store_le16(p + 4, h->gso_size);
	store_le16(p + 6, h->csum_start);
	store_le16(p + 8, h->csum_offset);
}

/* One extension header at `off`: return its length, or 0 if it does not
 * fit in the packet. RFC 8200 §4.3-§4.6; AH is RFC 4302 §2.2. */
static size_t exthdr_len(const uint8_t *pkt, size_t len, size_t off, uint8_t nh)
{
	size_t n;

	if (len - off < 8)
		return 0;
	if (nh == TUN_NH_FRAGMENT)
		n = 8;
	else if (nh == TUN_NH_AH)
		n = ((size_t)pkt[off + 1] + 2) * 4;
	else
		n = ((size_t)pkt[off + 1] + 1) * 8;
	return n <= len - off ? n : 0;
}

int tun_ipv6_walk(const uint8_t *pkt, size_t len, struct tun_ipv6_l4 *out)
{
	struct tun_ipv6_l4 l4 = {0};
	uint8_t nh = pkt[6];
	size_t off = TUN_IPV6_HDR_LEN, n;

	for (unsigned i = 0; i <= TUN_EXTHDR_MAX; i++) {
		switch (nh) {
		case TUN_NH_HOPOPTS:
			if (i != 0)
				return -EBADMSG; /* RFC 8200 §4.1: only right after the IPv6 header
						  */
			break;
		case TUN_NH_ROUTING:
			l4.has_routing = true;
			break;
		case TUN_NH_FRAGMENT:
			l4.is_fragment = true;
			if (len - off >= 8 && (wire_load_u16(pkt + off + 2) & 0xfff8) != 0)
				goto stop; /* not the first fragment: no upper-layer header */
			break;
		case TUN_NH_DSTOPTS:
		case TUN_NH_AH:
			break;
		default:
			goto stop; /* upper layer, ESP or No Next Header */
		}
		if (i == TUN_EXTHDR_MAX)
			return -EBADMSG;
		n = exthdr_len(pkt, len, off, nh);
		if (!n)
			return -EBADMSG;
		nh = pkt[off];
		off += n;
	}
	return -EBADMSG; /* not reached: the loop returns or stops */
stop:
	l4.proto = nh;
	l4.off = (uint16_t)off;
	*out = l4;
	return 0;
}

/* The TCP or UDP header length at l4->off, 0 for other protocols, or -1 if
 * a TCP/UDP header is truncated or malformed. */
static int l4_hdr_len(const uint8_t *pkt, size_t len, const struct tun_ipv6_l4 *l4)
{
	size_t left = len - l4->off;
	size_t doff;

	if (l4->is_fragment)
		return 0; /* a first fragment may end inside its L4 header */
	if (l4->proto == TUN_NH_UDP)
		return left >= TUN_UDP_HDR_LEN ? TUN_UDP_HDR_LEN : -1;
	if (l4->proto != TUN_NH_TCP)
		return 0;
	if (left < TUN_TCP_HDR_MIN)
		return -1;
	doff = (size_t)(pkt[l4->off + 12] >> 4) * 4;
	return doff >= TUN_TCP_HDR_MIN && doff <= left ? (int)doff : -1;
}

/* NEEDS_CSUM is only ever set by the kernel on TCP and UDP, pointing at
 * their checksum field (the device offers no SCTP CRC or tunnel offload).
 * Anything else could make tun_pkt_csum_complete() write a "checksum" into
 * some other header field, so it is refused. */
static int check_csum(const struct tun_pkt_info *info, const struct tun_ipv6_l4 *l4)
{
	const struct tun_vnet_hdr *v = &info->vnet;

	if (!(v->flags & TUN_VNET_F_NEEDS_CSUM))
		return 0;
	if (!info->l4_hdr_len)
		return -EPROTONOSUPPORT; /* not TCP or UDP, or a fragment */
	if (v->csum_start != l4->off ||
	    v->csum_offset != (l4->proto == TUN_NH_TCP ? TUN_TCP_CSUM_OFF : TUN_UDP_CSUM_OFF))
		return -EBADMSG;
	return 0;
}

/* Check the vnet header against the parsed packet and set info->gso. */
static int check_vnet(struct tun_pkt_info *info, const struct tun_ipv6_l4 *l4)
{
	const struct tun_vnet_hdr *v = &info->vnet;
	uint8_t type = v->gso_type & (uint8_t)~TUN_VNET_GSO_ECN;
	uint8_t proto = type == TUN_VNET_GSO_TCPV6 ? TUN_NH_TCP : TUN_NH_UDP;
	int r = check_csum(info, l4);

	if (r < 0)
		return r;
	if (type == TUN_VNET_GSO_NONE) {
		info->gso = TUN_GSO_NONE;
		return v->gso_type ? -EBADMSG : 0; /* ECN bit without GSO */
	}
	if (type == TUN_VNET_GSO_TCPV4 || type == TUN_VNET_GSO_UDP)
		return -EPROTONOSUPPORT;
	if (type == TUN_VNET_GSO_UDP_L4 && (v->gso_type & TUN_VNET_GSO_ECN))
		return -EBADMSG;
	if (l4->proto != proto || !info->l4_hdr_len || v->gso_size == 0)
		return -EBADMSG;
	if (l4->has_routing || l4->is_fragment)
		return -EPROTONOSUPPORT; /* pseudo-header would need the final destination */
	info->gso = proto == TUN_NH_TCP ? TUN_GSO_TCP : TUN_GSO_UDP;
	return 0;
}

int tun_pkt_parse(const uint8_t *buf, size_t len, struct tun_pkt_info *out)
{
	struct tun_pkt_info info = {0};
	struct tun_ipv6_l4 l4;
	const uint8_t *pkt = buf + TUN_VNET_HDR_LEN;
	int r;

	if (len <= TUN_VNET_HDR_LEN)
		return -EBADMSG;
	if (tun_vnet_decode(buf, &info.vnet) < 0)
		return -EBADMSG;
	info.len = len - TUN_VNET_HDR_LEN;
	if (pkt[0] >> 4 != 6)
		return -EAFNOSUPPORT;
	if (info.len < TUN_IPV6_HDR_LEN || info.len > TUN_PKT_MAX_LEN)
		return -EBADMSG;
	/* Payload length 0 with bytes after the header would be a jumbogram
	 * (RFC 2675): the device's GSO limit never makes one, so reject. */
	if ((size_t)wire_load_u16(pkt + 4) + TUN_IPV6_HDR_LEN != info.len)
		return -EBADMSG;
	if (tun_ipv6_walk(pkt, info.len, &l4) < 0)
		return -EBADMSG;
	r = l4_hdr_len(pkt, info.len, &l4);
	if (r < 0)
		return -EBADMSG;
	info.l4_proto = l4.proto;
	info.l4_off = l4.off;
	info.l4_hdr_len = (uint16_t)r;
	r = check_vnet(&info, &l4);
	if (r < 0)
		return r;
	*out = info;
	return 0;
}

void tun_pkt_csum_complete(struct tun_pkt_info *info, uint8_t *pkt)
{
	size_t start = info->vnet.csum_start;
	uint8_t *field = pkt + start + info->vnet.csum_offset;

	if (!(info->vnet.flags & TUN_VNET_F_NEEDS_CSUM))
		return;
	/* The field holds the pseudo-header partial, so summing everything
	 * from csum_start includes it: that is the whole point of the
	 * csum_start/csum_offset contract. */
	wire_store_u16(field, tun_csum_final(tun_csum_add(0, pkt + start, info->len - start)));
	info->vnet.flags &= (uint8_t)~TUN_VNET_F_NEEDS_CSUM;
}
