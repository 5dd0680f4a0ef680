/* tun/gro.c - TCP segment coalescing before the TUN write (docs/tun.md
 * "Coalescing"). The merge rules are the conservative end of what the
 * kernel's own tcp_gro_receive()/ipv6_gro_receive() accept, so that the
 * kernel, segmenting the super-packet again where it must, reproduces the
 * segments bit for bit:
 *   - IPv6 with TCP as the first next header (no extension headers), the
 *     payload length matching the bytes, a well-formed TCP header;
 *   - same addresses and ports, same first IPv6 word (version, traffic
 *     class, flow label) and hop limit, same TCP data offset/reserved
 *     byte, same ACK number; options only NOP, EOL and Timestamps, and
 *     byte-identical (so the timestamps match);
 *   - flags ACK, or ACK|PSH on the last segment of a group; SYN, FIN, RST,
 *     URG, ECE and CWR never merge;
 *   - contiguous sequence numbers, every segment but the last carrying
 *     exactly the first one's payload (gso_size), the last at most that;
 *   - at most TUN_PKT_MAX_LEN bytes in the super-packet.
 * Anything else is written alone and closes the flow's open group, so a
 * flow's packets keep their order. The window field is not compared (the
 * kernel does not either); the head's window is the one written.
 */
#include "tun/gro.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "lib/wire.h"
#include "tun/csum.h"
#include "tun/offload.h"
#include "tun/offload_internal.h"

#define SLOTS	   256 /* flow hash slots: twice the most groups a batch can have */
#define SLOT_EMPTY 0xffff
#define NO_PKT	   0xffff

struct gro_pkt {
	uint8_t *pkt;  /* borrowed from the caller until reset */
	uint32_t len;  /* IPv6 packet length */
	uint16_t next; /* next packet of the same group, NO_PKT at the tail */
	uint16_t hdrs; /* IPv6 + TCP header bytes (TCP candidates only) */
};

struct gro_group {
	uint16_t head, tail;
	uint16_t n_pkts;
	uint16_t gso_size; /* payload bytes of the head segment */
	uint32_t len;	   /* IPv6 packet length once merged */
	uint32_t next_seq; /* sequence number the next segment must carry */
	bool open;	   /* another segment may still be appended */
	bool psh;	   /* the last segment carries PSH */
};

struct tun_gro {
	unsigned flags;
	unsigned n_pkts, n_groups;
	uint64_t merged;
	uint16_t slots[SLOTS]; /* group index of each flow's latest group, or SLOT_EMPTY */
	struct gro_pkt pkts[TUN_GRO_BATCH_MAX];
	struct gro_group groups[TUN_GRO_BATCH_MAX];
};

struct tun_gro *tun_gro_new(unsigned flags)
{
	struct tun_gro *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->flags = flags;
	tun_gro_reset(g);
	return g;
}

struct tun_gro *tun_gro_free(struct tun_gro *g)
{
	free(g);
	return NULL;
}

void tun_gro_reset(struct tun_gro *g)
{
	g->n_pkts = 0;
	g->n_groups = 0;
	memset(g->slots, 0xff, sizeof(g->slots));
}

/* A TCP segment whose flow we can key: IPv6, TCP right after the fixed
 * header, exact payload length, sane data offset. Return its header
 * bytes, or 0. */
static size_t tcp_hdrs(const uint8_t *p, size_t len)
{
	size_t doff;

	if (len < TUN_IPV6_HDR_LEN + TUN_TCP_HDR_MIN || p[0] >> 4 != 6 || p[6] != TUN_NH_TCP ||
	    (size_t)wire_load_u16(p + 4) + TUN_IPV6_HDR_LEN != len)
		return 0;
	doff = (size_t)(p[TUN_IPV6_HDR_LEN + 12] >> 4) * 4;
	if (doff < TUN_TCP_HDR_MIN || doff > len - TUN_IPV6_HDR_LEN)
		return 0;
	return TUN_IPV6_HDR_LEN + doff;
}

static bool csum_is_valid(const uint8_t *p, size_t len)
{
	uint32_t l4_len = (uint32_t)(len - TUN_IPV6_HDR_LEN);
	uint32_t acc = tun_csum_pseudo6(p + 8, p + 24, l4_len, TUN_NH_TCP);

	return tun_csum_fold(tun_csum_add(acc, p + TUN_IPV6_HDR_LEN, l4_len)) == 0xffff;
}

/* Options a merged segment may carry: NOP, End of Option List and
 * Timestamps (RFC 7323 §3), the only ones a bulk sender puts on data
 * segments; groups further require them byte-identical. SACK blocks or an
 * unknown option keep a segment out of any group. */
static bool opts_are_mergeable(const uint8_t *o, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (o[i] == 0) /* EOL: the rest is padding */
			return true;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (o[i] != 8 || n - i < 10 || o[i + 1] != 10)
			return false;
		i += 10;
	}
	return true;
}

/* May this segment be part of a merged group at all? */
static bool is_candidate(const struct tun_gro *g, const uint8_t *p, size_t len, size_t hdrs)
{
	uint8_t f = p[TUN_IPV6_HDR_LEN + 13];

	if (len == hdrs || (f != TUN_TCP_F_ACK && f != (TUN_TCP_F_ACK | TUN_TCP_F_PSH)))
		return false;
	if (!opts_are_mergeable(p + TUN_IPV6_HDR_LEN + TUN_TCP_HDR_MIN,
				hdrs - TUN_IPV6_HDR_LEN - TUN_TCP_HDR_MIN))
		return false;
	return !(g->flags & TUN_GRO_VERIFY_CSUM) || csum_is_valid(p, len);
}

/* Addresses and ports: bytes 8..39 of the IPv6 header, 0..3 of TCP. */
static unsigned flow_hash(const uint8_t *p)
{
	uint32_t h = 2166136261u, w;

	for (size_t off = 8; off < TUN_IPV6_HDR_LEN + 4; off += 4) {
		memcpy(&w, p + off, 4);
		h = (h ^ w) * 16777619u;
	}
	return (h ^ h >> 16) & (SLOTS - 1);
}

static bool same_flow(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a + 8, b + 8, TUN_IPV6_HDR_LEN - 8 + 4) == 0;
}

/* Return the slot holding `p`'s flow, or the empty slot where it goes.
 * The table never fills: at most TUN_GRO_BATCH_MAX flows in SLOTS slots. */
static uint16_t *flow_slot(struct tun_gro *g, const uint8_t *p)
{
	unsigned i = flow_hash(p);

	while (g->slots[i] != SLOT_EMPTY) {
		const struct gro_group *grp = &g->groups[g->slots[i]];

		if (same_flow(g->pkts[grp->head].pkt, p))
			break;
		i = (i + 1) & (SLOTS - 1);
	}
	return &g->slots[i];
}

static bool can_append(const struct tun_gro *g, const struct gro_group *grp, const uint8_t *p,
		       size_t len, size_t hdrs)
{
	const struct gro_pkt *head = &g->pkts[grp->head];
	const uint8_t *h = head->pkt, *ht = h + TUN_IPV6_HDR_LEN, *pt = p + TUN_IPV6_HDR_LEN;
	size_t payload = len - hdrs;

	if (!grp->open || head->hdrs != hdrs || payload > grp->gso_size ||
	    grp->len + payload > TUN_PKT_MAX_LEN)
		return false;
	if (memcmp(h, p, 4) != 0 || h[7] != p[7]) /* version, class, flow label; hop limit */
		return false;
	if (wire_load_u32(pt + 4) != grp->next_seq || memcmp(ht + 8, pt + 8, 5) != 0)
		return false; /* sequence; ACK number, data offset and reserved bits */
	return memcmp(ht + TUN_TCP_HDR_MIN, pt + TUN_TCP_HDR_MIN,
		      hdrs - TUN_IPV6_HDR_LEN - TUN_TCP_HDR_MIN) == 0; /* options */
}

static void group_start(struct tun_gro *g, unsigned idx, size_t hdrs, bool candidate)
{
	struct gro_group *grp = &g->groups[g->n_groups++];
	const uint8_t *p = g->pkts[idx].pkt;
	uint32_t payload = g->pkts[idx].len - (uint32_t)hdrs;

	*grp = (struct gro_group){
	    .head = (uint16_t)idx,
	    .tail = (uint16_t)idx,
	    .n_pkts = 1,
	    .len = g->pkts[idx].len,
	};
	if (!candidate)
		return;
	grp->gso_size = (uint16_t)payload;
	grp->next_seq = wire_load_u32(p + TUN_IPV6_HDR_LEN + 4) + payload;
	grp->psh = p[TUN_IPV6_HDR_LEN + 13] & TUN_TCP_F_PSH;
	grp->open = !grp->psh;
}

static void group_append(struct tun_gro *g, struct gro_group *grp, unsigned idx, size_t hdrs)
{
	const uint8_t *p = g->pkts[idx].pkt;
	uint32_t payload = g->pkts[idx].len - (uint32_t)hdrs;

	g->pkts[grp->tail].next = (uint16_t)idx;
	grp->tail = (uint16_t)idx;
	grp->n_pkts++;
	grp->len += payload;
	grp->next_seq += payload;
	grp->psh = p[TUN_IPV6_HDR_LEN + 13] & TUN_TCP_F_PSH;
	grp->open = !grp->psh && payload == grp->gso_size;
	g->merged++;
}

int tun_gro_add(struct tun_gro *g, uint8_t *pkt, size_t len)
{
	unsigned idx = g->n_pkts;
	uint16_t *slot;
	size_t hdrs;
	bool cand;

	if (len == 0 || len > TUN_PKT_MAX_LEN)
		return -EINVAL;
	if (idx == TUN_GRO_BATCH_MAX)
		return -ENOSPC;
	g->pkts[idx] = (struct gro_pkt){.pkt = pkt, .len = (uint32_t)len, .next = NO_PKT};
	g->n_pkts++;
	hdrs = tcp_hdrs(pkt, len);
	if (!hdrs) {
		group_start(g, idx, 0, false);
		return 0;
	}
	g->pkts[idx].hdrs = (uint16_t)hdrs;
	cand = is_candidate(g, pkt, len, hdrs);
	slot = flow_slot(g, pkt);
	if (*slot != SLOT_EMPTY) {
		struct gro_group *grp = &g->groups[*slot];

		if (cand && can_append(g, grp, pkt, len, hdrs)) {
			group_append(g, grp, idx, hdrs);
			return 1;
		}
	}
	/* The slot moves to the new group, so no later segment of this flow
	 * can join an earlier group and overtake this packet. */
	*slot = (uint16_t)g->n_groups;
	group_start(g, idx, hdrs, cand);
	return 0;
}

unsigned tun_gro_count(const struct tun_gro *g)
{
	return g->n_groups;
}

/* Rewrite the head of a merged group into the super-packet's header. */
static void head_fix(struct tun_gro *g, const struct gro_group *grp)
{
	uint8_t *h = g->pkts[grp->head].pkt, *th = h + TUN_IPV6_HDR_LEN;
	uint32_t l4_len = grp->len - TUN_IPV6_HDR_LEN;

	wire_store_u16(h + 4, (uint16_t)l4_len);
	if (grp->psh)
		th[13] |= TUN_TCP_F_PSH;
	/* NEEDS_CSUM: the field holds the folded, uncomplemented
	 * pseudo-header sum; the kernel adds the rest from csum_start. */
	wire_store_u16(th + TUN_TCP_CSUM_OFF,
		       tun_csum_fold(tun_csum_pseudo6(h + 8, h + 24, l4_len, TUN_NH_TCP)));
}

int tun_gro_get(struct tun_gro *g, unsigned i, struct tun_vnet_hdr *out_vnet, struct iovec *iov,
		unsigned iov_cap)
{
	const struct gro_group *grp = &g->groups[i];
	const struct gro_pkt *p = &g->pkts[grp->head];
	unsigned n = 0;

	if (iov_cap < grp->n_pkts)
		return -ENOSPC;
	*out_vnet = (struct tun_vnet_hdr){0};
	iov[n++] = (struct iovec){.iov_base = p->pkt, .iov_len = p->len};
	if (grp->n_pkts == 1)
		return 1;
	head_fix(g, grp);
	*out_vnet = (struct tun_vnet_hdr){
	    .flags = TUN_VNET_F_NEEDS_CSUM,
	    .gso_type = TUN_VNET_GSO_TCPV6,
	    .hdr_len = p->hdrs,
	    .gso_size = grp->gso_size,
	    .csum_start = TUN_IPV6_HDR_LEN,
	    .csum_offset = TUN_TCP_CSUM_OFF,
	};
	for (unsigned k = p->next; k != NO_PKT; k = g->pkts[k].next)
		iov[n++] = (struct iovec){.iov_base = g->pkts[k].pkt + g->pkts[k].hdrs,
					  .iov_len = g->pkts[k].len - g->pkts[k].hdrs};
	return (int)n;
}

uint64_t tun_gro_merged(const struct tun_gro *g)
{
	return g->merged;
}
