/* transport/udp_io.c - the UDP transport's socket on the event loop:
 * batched receive (recvmmsg, each message possibly a UDP GRO
 * super-datagram split by its gso_size), dispatch of every datagram by
 * message type, and the send queue, flushed with sendmmsg where each
 * message is a run of equal-sized datagrams to one peer sent with a
 * UDP_SEGMENT cmsg (UDP GSO). docs/wire.md §3.9.
 *
 * Linux semantics relied on (Documentation/networking/segmentation-offloads
 * and udp(7)): with UDP_SEGMENT every segment but the last has gso_size
 * bytes and the last may be shorter; at most 64 segments (UDP_MAX_SEGMENTS
 * before 6.x) and one IP payload (65535) per send. With UDP_GRO the kernel
 * may hand us several datagrams of one flow in one read, reporting their
 * size in a UDP_GRO cmsg; only the last may be shorter.
 *
 * It does not own the protocol: handshakes are udp_conn.c, keys and the
 * datagram path udp_data.c.
 */
#include "transport/udp_internal.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/log.h"

#ifndef SOL_UDP
#define SOL_UDP IPPROTO_UDP
#endif

union udp_cmsg {
	uint8_t b[UDP_CMSG_LEN];
	struct cmsghdr align;
};

_Static_assert(UDP_CMSG_LEN >= CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)),
	       "room for the cmsgs we send and receive");

static struct log_ratelim drop_rl = LOG_RATELIM_INIT(1000, 10);

void udp_count_garbage(struct udp_transport *ut, const struct sockaddr_in6 *from, const char *why)
{
	char addr[INET6_ADDRSTRLEN];

	ut->stats.rx_garbage++;
	if (log_is_enabled(LOG_LEVEL_DEBUG) && log_ratelim_allow(&drop_rl, clock_mono_ms())) {
		inet_ntop(AF_INET6, &from->sin6_addr, addr, sizeof(addr));
		log_debug(LD_LINK, "Dropped a UDP datagram from [%s]:%u: %s", addr,
			  (unsigned)ntohs(from->sin6_port), why);
	}
}

/* ---- the socket ---- */

static void set_buffer(int fd, int force_opt, int opt)
{
	int len = UDP_SOCK_BUF_LEN;

	/* The *FORCE variants pass net.core.[rw]mem_max (root only): a
	 * 64 KiB burst per read or write needs far more than the default. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &len, sizeof(len)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &len, sizeof(len));
}

static void probe_offloads(struct udp_transport *ut)
{
	int zero = 0, one = 1;

	/* UDP_SEGMENT as a socket option sets a default segment size; 0 keeps
	 * per-send control. Success means the kernel has UDP GSO (4.18+). */
	ut->gso_kernel = setsockopt(ut->fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
	ut->gso_on = ut->gso_kernel;
	ut->gro = setsockopt(ut->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
}

int udp_socket_open(struct udp_transport *ut, const struct sockaddr_in6 *listen)
{
	struct sockaddr_in6 any = {.sin6_family = AF_INET6};
	socklen_t len = sizeof(ut->bound);
	int one = 1;

	if (listen && listen->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	ut->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ut->fd < 0)
		return -errno;
	/* V6ONLY: one address family, one pktinfo format. */
	if (setsockopt(ut->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(ut->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
		return -errno;
	set_buffer(ut->fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_buffer(ut->fd, SO_SNDBUFFORCE, SO_SNDBUF);
	probe_offloads(ut);
	if (bind(ut->fd, (const struct sockaddr *)(listen ? listen : &any), sizeof(any)) < 0 ||
	    getsockname(ut->fd, (struct sockaddr *)&ut->bound, &len) < 0)
		return -errno;
	return 0;
}

/* ---- receive ---- */

void udp_input(struct udp_transport *ut, const struct sockaddr_in6 *from,
	       const struct in6_pktinfo *local, uint8_t *buf, size_t len)
{
	struct udp_msg m;
	int r;

	ut->stats.rx_packets++;
	r = udp_msg_decode(&m, buf, len);
	if (r < 0) {
		udp_count_garbage(ut, from,
				  r == -ENOMSG ? "unknown message type" : "malformed message");
		return;
	}
	switch (m.type) {
	case UDP_MSG_DATA:
	case UDP_MSG_CLOSE:
		udp_on_data(ut, &m, from, local, buf);
		break;
	case UDP_MSG_INIT:
		udp_on_init(ut, &m, from, local);
		break;
	case UDP_MSG_RESP:
		udp_on_resp(ut, &m, from, local);
		break;
	case UDP_MSG_REJECT:
		udp_on_reject(ut, &m, from);
		break;
	case UDP_MSG_RESET:
		udp_on_reset(ut, &m, from);
		break;
	default: /* the decoder returns -ENOMSG first */
		udp_count_garbage(ut, from, "unknown message type");
		break;
	}
}

/* The local address from IPV6_PKTINFO (:: if absent) and the GRO segment
 * size (0: one datagram). */
static size_t parse_cmsgs(struct msghdr *msg, struct in6_pktinfo *local)
{
	struct cmsghdr *cm;
	size_t gso = 0;

	memset(local, 0, sizeof(*local));
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(*local))) {
			memcpy(local, CMSG_DATA(cm), sizeof(*local));
			if (!IN6_IS_ADDR_LINKLOCAL(&local->ipi6_addr))
				local->ipi6_ifindex = 0; /* let routing pick the interface */
		} else if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			gso = v > 0 ? (size_t)v : 0;
		}
	}
	return gso;
}

/* One message from recvmmsg: a datagram, or a GRO train of them. */
static void rx_message(struct udp_transport *ut, struct msghdr *msg, size_t len)
{
	const struct sockaddr_in6 *from = msg->msg_name;
	struct in6_pktinfo local;
	uint8_t *buf = msg->msg_iov[0].iov_base;
	size_t seg;

	seg = parse_cmsgs(msg, &local);
	if (len == 0 || msg->msg_namelen != sizeof(*from) || from->sin6_family != AF_INET6 ||
	    (msg->msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		ut->stats.rx_packets++;
		udp_count_garbage(ut, from, "truncated or not IPv6");
		return;
	}
	if (seg == 0 || seg > len)
		seg = len;
	else
		ut->stats.rx_gro += (len + seg - 1) / seg;
	for (size_t off = 0; off < len; off += seg)
		udp_input(ut, from, &local, buf + off, len - off < seg ? len - off : seg);
}

static int rx_batch(struct udp_transport *ut, struct mmsghdr *msgs, struct iovec *iov,
		    struct sockaddr_in6 *from, union udp_cmsg *cm)
{
	int n;

	for (unsigned i = 0; i < UDP_RX_SLOTS; i++) {
		iov[i].iov_base = ut->rxq + (size_t)i * UDP_RX_SLOT_LEN;
		iov[i].iov_len = UDP_RX_SLOT_LEN;
		msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
						  .msg_namelen = sizeof(from[i]),
						  .msg_iov = &iov[i],
						  .msg_iovlen = 1,
						  .msg_control = cm[i].b,
						  .msg_controllen = sizeof(cm[i].b)};
		msgs[i].msg_len = 0;
	}
	do {
		n = recvmmsg(ut->fd, msgs, UDP_RX_SLOTS, MSG_DONTWAIT, NULL);
	} while (n < 0 && errno == EINTR);
	return n;
}

void udp_on_readable(int fd, short what, void *arg)
{
	struct udp_transport *ut = arg;
	struct mmsghdr msgs[UDP_RX_SLOTS];
	struct iovec iov[UDP_RX_SLOTS];
	struct sockaddr_in6 from[UDP_RX_SLOTS];
	union udp_cmsg cm[UDP_RX_SLOTS];

	(void)fd;
	(void)what;
	ut->in_read = true;
	for (unsigned b = 0; b < UDP_RX_BUDGET; b++) {
		const struct tp_callbacks *cb = &ut->base.cb;
		int n = rx_batch(ut, msgs, iov, from, cm);

		if (n <= 0)
			break; /* EAGAIN, or an ICMP error we have no use for */
		ut->stats.rx_reads++;
		ut->now_ms = clock_mono_ms();
		for (int i = 0; i < n; i++)
			rx_message(ut, &msgs[i].msg_hdr, msgs[i].msg_len);
		/* The layer above flushes what it coalesced, then what it sent
		 * in reply leaves in one go. */
		if (cb->datagram_batch_end)
			cb->datagram_batch_end(cb->ctx);
		udp_txq_flush(ut);
		if (n < UDP_RX_SLOTS)
			break; /* drained */
	}
	ut->in_read = false;
}

/* ---- send ---- */

static bool same_dest(const struct udp_tx_run *run, const struct sockaddr_in6 *to,
		      const struct in6_pktinfo *from)
{
	return run->to.sin6_port == to->sin6_port && run->to.sin6_scope_id == to->sin6_scope_id &&
	       memcmp(&run->to.sin6_addr, &to->sin6_addr, sizeof(to->sin6_addr)) == 0 &&
	       memcmp(&run->from, from, sizeof(*from)) == 0;
}

size_t udp_txq_room(const struct udp_transport *ut)
{
	return UDP_TXQ_BYTES - ut->txq_used;
}

uint8_t *udp_txq_reserve(struct udp_transport *ut, const struct sockaddr_in6 *to,
			 const struct in6_pktinfo *from, size_t len)
{
	static const struct in6_pktinfo none;
	struct udp_tx_run *run = NULL;
	uint8_t *p;

	if (!from)
		from = &none;
	if (len == 0 || len > UINT16_MAX || len > udp_txq_room(ut))
		return NULL;
	if (ut->n_runs > ut->run_head)
		run = &ut->runs[ut->n_runs - 1];
	if (run && ut->gso_on && !run->sealed && len <= run->seg && run->n < UDP_GSO_SEGS_MAX &&
	    run->bytes + len <= UDP_GSO_BYTES_MAX && same_dest(run, to, from)) {
		run->n++;
		run->bytes += (uint32_t)len;
		run->sealed = len < run->seg; /* a short segment ends the run */
	} else {
		if (ut->n_runs >= UDP_TXQ_RUNS)
			return NULL;
		run = &ut->runs[ut->n_runs++];
		run->to = *to;
		run->from = *from;
		run->off = (uint32_t)ut->txq_used;
		run->bytes = (uint32_t)len;
		run->seg = (uint16_t)len;
		run->n = 1;
		run->sealed = false;
	}
	p = ut->txq + ut->txq_used;
	ut->txq_used += len;
	return p;
}

void udp_txq_schedule(struct udp_transport *ut)
{
	/* A read batch flushes when it ends; a blocked socket when it drains. */
	if (ut->in_read || ut->tx_blocked || ut->freeing || ut->run_head == ut->n_runs)
		return;
	event_active(ut->tx_ev, EV_WRITE, 0);
}

static size_t put_cmsg(uint8_t *at, int level, int type, const void *data, size_t len)
{
	struct cmsghdr cm = {.cmsg_len = CMSG_LEN(len), .cmsg_level = level, .cmsg_type = type};

	memcpy(at, &cm, sizeof(cm));
	memcpy(at + CMSG_LEN(0), data, len);
	return CMSG_SPACE(len);
}

/* Fill `mh` for `len` bytes at `off` to the run's peer; `seg` > 0 adds a
 * UDP_SEGMENT cmsg. */
static void build_msg(struct udp_transport *ut, const struct udp_tx_run *run, size_t off,
		      size_t len, uint16_t seg, struct msghdr *mh, struct iovec *iov,
		      union udp_cmsg *cm)
{
	size_t clen = 0;

	iov->iov_base = ut->txq + off;
	iov->iov_len = len;
	*mh = (struct msghdr){.msg_name = (void *)&run->to,
			      .msg_namelen = sizeof(run->to),
			      .msg_iov = iov,
			      .msg_iovlen = 1};
	memset(cm->b, 0, sizeof(cm->b));
	if (!IN6_IS_ADDR_UNSPECIFIED(&run->from.ipi6_addr))
		clen += put_cmsg(cm->b, IPPROTO_IPV6, IPV6_PKTINFO, &run->from, sizeof(run->from));
	if (seg)
		clen += put_cmsg(cm->b + clen, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	if (clen) {
		mh->msg_control = cm->b;
		mh->msg_controllen = clen;
	}
}

static int send_msgs(struct udp_transport *ut, struct mmsghdr *msgs, unsigned n)
{
	int r;

	do {
		r = sendmmsg(ut->fd, msgs, n, 0);
	} while (r < 0 && errno == EINTR);
	ut->stats.tx_calls++;
	return r < 0 ? -errno : r;
}

/* Send a run's datagrams one per message (no GSO). Return 0 or -errno
 * of the first failure; datagrams after it are lost and counted. */
static int send_run_plain(struct udp_transport *ut, const struct udp_tx_run *run)
{
	struct mmsghdr msgs[UDP_TX_VEC];
	struct iovec iov[UDP_TX_VEC];
	union udp_cmsg cm[UDP_TX_VEC];
	unsigned done = 0;

	while (done < run->n) {
		unsigned k = 0;
		int r;

		for (; k < UDP_TX_VEC && done + k < run->n; k++) {
			size_t off = (size_t)(done + k) * run->seg;
			size_t len = run->bytes - off < run->seg ? run->bytes - off : run->seg;

			build_msg(ut, run, run->off + off, len, 0, &msgs[k].msg_hdr, &iov[k],
				  &cm[k]);
		}
		r = send_msgs(ut, msgs, k);
		if (r <= 0) {
			ut->stats.tx_errors += run->n - done;
			return r < 0 ? r : -EIO;
		}
		ut->stats.tx_packets += (unsigned)r;
		done += (unsigned)r;
	}
	return 0;
}

/* The kernel refused a message. A GSO run refused for GSO's sake (no
 * checksum offload on the route: EIO; an old or odd stack: EINVAL,
 * EOPNOTSUPP) is sent again one by one, and if that works GSO is off for
 * good: detected once. */
static void run_failed(struct udp_transport *ut, const struct udp_tx_run *run, int err)
{
	static struct log_ratelim rl = LOG_RATELIM_INIT(1000, 3);

	if (run->n > 1 && (err == -EIO || err == -EINVAL || err == -EOPNOTSUPP)) {
		if (send_run_plain(ut, run) == 0) {
			ut->gso_on = ut->gso_kernel = false;
			log_notice(LD_LINK,
				   "UDP GSO refused by the kernel (%s); sending datagrams "
				   "one by one",
				   strerror(-err));
		}
		return;
	}
	ut->stats.tx_errors += run->n;
	if (log_ratelim_allow(&rl, clock_mono_ms()))
		log_info(LD_LINK, "Failed to send a UDP datagram: %s", strerror(-err));
}

void udp_txq_flush(struct udp_transport *ut)
{
	struct mmsghdr msgs[UDP_TX_VEC];
	struct iovec iov[UDP_TX_VEC];
	union udp_cmsg cm[UDP_TX_VEC];

	while (ut->run_head < ut->n_runs && !ut->tx_blocked) {
		unsigned k = 0;
		int r;

		for (; k < UDP_TX_VEC && ut->run_head + k < ut->n_runs; k++) {
			const struct udp_tx_run *run = &ut->runs[ut->run_head + k];

			build_msg(ut, run, run->off, run->bytes, run->n > 1 ? run->seg : 0,
				  &msgs[k].msg_hdr, &iov[k], &cm[k]);
		}
		r = send_msgs(ut, msgs, k);
		if (r == -EAGAIN || r == -EWOULDBLOCK) {
			/* Socket buffer full: keep the rest, resume when writable. */
			ut->tx_blocked = true;
			if (!ut->freeing)
				event_add(ut->tx_ev, NULL);
			return;
		}
		if (r <= 0) {
			run_failed(ut, &ut->runs[ut->run_head], r < 0 ? r : -EIO);
			ut->run_head++;
			continue;
		}
		for (int i = 0; i < r; i++) {
			const struct udp_tx_run *run = &ut->runs[ut->run_head + (unsigned)i];

			ut->stats.tx_packets += run->n;
			ut->stats.tx_gso += run->n > 1;
		}
		ut->run_head += (unsigned)r;
	}
	if (ut->run_head == ut->n_runs) {
		ut->run_head = ut->n_runs = 0;
		ut->txq_used = 0;
	}
}

void udp_on_tx(int fd, short what, void *arg)
{
	struct udp_transport *ut = arg;

	(void)fd;
	(void)what;
	ut->tx_blocked = false;
	udp_txq_flush(ut);
}

int udp_txq_push(struct udp_transport *ut, const struct sockaddr_in6 *to,
		 const struct in6_pktinfo *from, const uint8_t *buf, size_t len)
{
	uint8_t *p = udp_txq_reserve(ut, to, from, len);

	if (!p) {
		ut->stats.tx_queue_full++;
		return -ENOBUFS;
	}
	memcpy(p, buf, len);
	udp_txq_schedule(ut);
	return 0;
}
