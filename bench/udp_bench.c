/* bench/udp_bench.c - the UDP transport alone, on loopback: datagrams per
 * second and Gbit/s for one link, with and without UDP GSO.
 *
 * Two processes (one per core on a 2-core machine), one transport each: the
 * sender dials, then for a fixed time sends batches of BATCH datagrams of
 * SIZE bytes with tp_datagram_send_batch() (what the TUN path does with a
 * 64 KiB super-packet cut into MSS-sized packets); the receiver counts what
 * its `datagram` callback delivers (decrypted, replay-checked) and how many
 * read batches it took. UDP has no flow control: when the receiver cannot
 * keep up, the kernel drops at its socket, and "received" is the goodput.
 * CPU seconds per GB come from getrusage() in each process (user + system;
 * on loopback the sender's system time includes the receive-side softirq).
 *
 *     udp_bench [-t SECONDS] [-b BATCH] [-s SIZE] [-n] [-c]   (defaults 5, 44, 1400)
 *     -n: without GSO (one message per datagram in sendmmsg)
 *     -c: ChaChaPoly instead of the default cipher (AESGCM with AES instructions)
 * Prints one line per run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/secure.h"
#include "lib/wire.h"
#include "transport/noise.h"
#include "transport/transport.h"
#include "transport/udp.h"
#include "transport/udp_wire.h"

#define BATCH_MAX 64
#define BURSTS	  4 /* batches per loop turn */

struct opts {
	unsigned seconds, batch;
	size_t size;
	bool gso;
	bool chacha;
};

struct side {
	uint8_t pk[32], sk[64];
	struct tp_identity id;
	struct transport *t;
	struct tp_conn *conn;
	bool up;
};

/* What the receiver reports back to the sender's process. */
struct rx_report {
	uint64_t dgrams, bytes, batches, reorders;
	uint64_t first_ns, last_ns;
	double cpu_s;
	struct udp_transport_stats st;
};

struct rx_state {
	struct side s;
	struct rx_report rep;
	uint64_t last_seq;
	int res_fd;
	struct event_base *base;
};

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void side_keys(struct side *s)
{
	uint8_t seed[32];

	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(s->pk, s->sk, seed);
	s->id.ed25519_pk = s->pk;
	s->id.ed25519_sk = s->sk;
}

static int on_established(void *ctx, struct tp_conn *c, const uint8_t pk[32], void *conn_ctx)
{
	struct side *s = ctx;

	(void)pk;
	(void)conn_ctx;
	s->conn = c;
	s->up = true;
	return 0;
}

static void on_closed(void *ctx, struct tp_conn *c, enum tp_close_reason why)
{
	struct side *s = ctx;

	(void)c;
	fprintf(stderr, "udp_bench: link closed (%s)\n", tp_close_reason_name(why));
	s->up = false;
	s->conn = NULL;
}

/* ---- receiver (child process) ---- */

static void rx_datagram(void *ctx, struct tp_conn *c, const uint8_t *buf, size_t len)
{
	struct rx_state *rx = ctx;
	uint64_t seq = len >= 8 ? wire_load_u64(buf) : 0;

	(void)c;
	if (!rx->rep.dgrams)
		rx->rep.first_ns = clock_mono_ns();
	rx->rep.dgrams++;
	rx->rep.bytes += len;
	if (seq < rx->last_seq)
		rx->rep.reorders++;
	rx->last_seq = seq;
}

static void rx_batch_end(void *ctx)
{
	struct rx_state *rx = ctx;

	rx->rep.batches++;
	rx->rep.last_ns = clock_mono_ns();
}

static void rx_on_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct rx_state *rx = arg;
	char q;

	(void)what;
	if (read(fd, &q, 1) != 1)
		q = 'q';
	rx->rep.cpu_s = cpu_seconds();
	udp_transport_get_stats(rx->s.t, &rx->rep.st);
	if (write(rx->res_fd, &rx->rep, sizeof(rx->rep)) != (ssize_t)sizeof(rx->rep))
		perror("udp_bench: write");
	event_base_loopbreak(rx->base);
}

static int run_receiver(struct rx_state *rx, int port_fd, int ctl_fd)
{
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct tp_callbacks cb = {.ctx = rx,
				  .established = on_established,
				  .datagram = rx_datagram,
				  .datagram_batch_end = rx_batch_end,
				  .closed = on_closed};
	struct sockaddr_in6 at;
	struct event *ctl;

	rx->base = event_base_new();
	if (!rx->base || tp_udp_new(rx->base, &rx->s.id, &lo, &cb, &rx->s.t) < 0 ||
	    tp_local_addr(rx->s.t, &at) < 0)
		return 1;
	if (write(port_fd, &at, sizeof(at)) != (ssize_t)sizeof(at))
		return 1;
	ctl = event_new(rx->base, ctl_fd, EV_READ, rx_on_ctl, rx);
	event_add(ctl, NULL);
	event_base_dispatch(rx->base);
	event_free(ctl);
	tp_free(rx->s.t);
	event_base_free(rx->base);
	return 0;
}

/* ---- sender (parent process) ---- */

struct tx_state {
	struct side s;
	const struct opts *o;
	struct event *ev;
	uint64_t seq, sent, dropped, start_ns, end_ns;
	bool done;
	uint8_t buf[BATCH_MAX][1500];
	struct iovec iov[BATCH_MAX];
};

static void tx_on_send(evutil_socket_t fd, short what, void *arg)
{
	struct tx_state *tx = arg;
	uint64_t now = clock_mono_ns();

	(void)fd;
	(void)what;
	if (!tx->s.conn || now - tx->start_ns >= (uint64_t)tx->o->seconds * 1000000000u) {
		tx->end_ns = now;
		tx->done = true;
		return;
	}
	for (unsigned b = 0; b < BURSTS; b++) {
		size_t n = 0;
		int r;

		for (unsigned i = 0; i < tx->o->batch; i++)
			wire_store_u64(tx->buf[i], tx->seq + i);
		r = tp_datagram_send_batch(tx->s.conn, tx->iov, tx->o->batch, &n);
		tx->seq += tx->o->batch;
		tx->sent += n;
		tx->dropped += tx->o->batch - n;
		if (r < 0 && r != -ENOBUFS) {
			fprintf(stderr, "udp_bench: send: %s\n", strerror(-r));
			tx->done = true;
			return;
		}
	}
	event_active(tx->ev, EV_TIMEOUT, 0); /* again, after the flush */
}

static void print_result(const struct opts *o, const struct tx_state *tx, double tx_cpu,
			 const struct rx_report *rep, const struct udp_transport_stats *txs)
{
	double tx_s = (double)(tx->end_ns - tx->start_ns) / 1e9;
	double rx_s =
	    rep->last_ns > rep->first_ns ? (double)(rep->last_ns - rep->first_ns) / 1e9 : 1e-9;
	double tx_gb = (double)tx->sent * (double)o->size / 1e9;
	double rx_gb = (double)rep->bytes / 1e9;

	printf("udp %s gso=%s size=%zu batch=%u: sent %.0f dgram/s (%.2f Gbit/s), received %.0f "
	       "dgram/s (%.2f Gbit/s, loss %.1f%%, %.1f dgram/read); sendmmsg %.1f dgram/call, "
	       "gso msgs %llu; CPU s/GB sender %.2f receiver %.2f\n",
	       o->chacha ? "chachapoly" : noise_cipher_suite_name(noise_cipher_default()),
	       o->gso ? "on" : "off", o->size, o->batch, (double)tx->sent / tx_s, tx_gb * 8 / tx_s,
	       (double)rep->dgrams / rx_s, rx_gb * 8 / rx_s,
	       tx->sent ? 100.0 * (double)(tx->sent - rep->dgrams) / (double)tx->sent : 0.0,
	       rep->st.rx_reads ? (double)rep->st.rx_packets / (double)rep->st.rx_reads : 0.0,
	       txs->tx_calls ? (double)txs->tx_packets / (double)txs->tx_calls : 0.0,
	       (unsigned long long)txs->tx_gso, tx_gb > 0 ? tx_cpu / tx_gb : 0.0,
	       rx_gb > 0 ? rep->cpu_s / rx_gb : 0.0);
	if (rep->reorders || tx->dropped)
		printf("  (reordered %llu, dropped at the send queue %llu)\n",
		       (unsigned long long)rep->reorders, (unsigned long long)tx->dropped);
}

static int run_sender(struct tx_state *tx, const uint8_t rx_pk[32], int port_fd, int ctl_fd,
		      int res_fd)
{
	struct tp_callbacks cb = {
	    .ctx = &tx->s, .established = on_established, .closed = on_closed};
	struct event_base *base = event_base_new();
	struct udp_transport_stats txs;
	struct sockaddr_in6 to;
	struct rx_report rep;
	double cpu0;
	uint64_t until;

	if (!base || read(port_fd, &to, sizeof(to)) != (ssize_t)sizeof(to) ||
	    tp_udp_new(base, &tx->s.id, NULL, &cb, &tx->s.t) < 0)
		return 1;
	udp_transport_set_gso(tx->s.t, tx->o->gso);
	if (tx->o->chacha)
		udp_transport_set_cipher(tx->s.t, UDP_CIPHER_CHACHAPOLY);
	if (tp_dial(tx->s.t, &to, rx_pk, NULL, &tx->s.conn) < 0)
		return 1;
	tx->s.conn = NULL;
	until = clock_mono_ms() + 3000;
	while (!tx->s.up && clock_mono_ms() < until)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	if (!tx->s.up)
		return 1;
	for (unsigned i = 0; i < BATCH_MAX; i++)
		tx->iov[i] = (struct iovec){tx->buf[i], tx->o->size};
	tx->ev = event_new(base, -1, 0, tx_on_send, tx);
	cpu0 = cpu_seconds();
	tx->start_ns = clock_mono_ns();
	event_active(tx->ev, EV_TIMEOUT, 0);
	while (!tx->done)
		event_base_loop(base, EVLOOP_ONCE);
	cpu0 = cpu_seconds() - cpu0;
	until = clock_mono_ms() + 300; /* let the receiver drain */
	while (clock_mono_ms() < until)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	udp_transport_get_stats(tx->s.t, &txs);
	if (write(ctl_fd, "q", 1) != 1 || read(res_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		return 1;
	print_result(tx->o, tx, cpu0, &rep, &txs);
	event_free(tx->ev);
	tp_free(tx->s.t);
	event_base_free(base);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int ch;

	*o = (struct opts){.seconds = 5, .batch = 44, .size = 1400, .gso = true};
	while ((ch = getopt(argc, argv, "t:b:s:nc")) != -1) {
		switch (ch) {
		case 't':
			o->seconds = (unsigned)atoi(optarg);
			break;
		case 'b':
			o->batch = (unsigned)atoi(optarg);
			break;
		case 's':
			o->size = (size_t)atoi(optarg);
			break;
		case 'n':
			o->gso = false;
			break;
		case 'c':
			o->chacha = true;
			break;
		default:
			return -1;
		}
	}
	if (o->seconds == 0 || o->batch == 0 || o->batch > BATCH_MAX || o->size < 8 ||
	    o->size > TP_DATAGRAM_MAX)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct rx_state rx;
	static struct tx_state tx;
	struct opts o;
	int port[2], ctl[2], res[2], status, r;
	pid_t pid;

	if (parse(argc, argv, &o) < 0) {
		fprintf(stderr,
			"usage: udp_bench [-t SECONDS] [-b BATCH<=64] [-s SIZE<=1400] [-n] [-c]\n");
		return 2;
	}
	if (sec_init() < 0 || pipe(port) < 0 || pipe(ctl) < 0 || pipe(res) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	side_keys(&rx.s);
	side_keys(&tx.s);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		rx.res_fd = res[1];
		_exit(run_receiver(&rx, port[1], ctl[0]));
	}
	tx.o = &o;
	r = run_sender(&tx, rx.s.pk, port[0], ctl[1], res[0]);
	if (r != 0) {
		fprintf(stderr, "udp_bench: the link did not come up\n");
		kill(pid, SIGTERM);
	}
	waitpid(pid, &status, 0);
	return r;
}
