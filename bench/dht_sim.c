/* bench/dht_sim.c - the real DHT engine (discovery/dht*.c) over a simulated
 * network of N nodes, in one process: message latency, loss, churn.
 * Results and how to run it: bench/dht_sim.md.
 *
 * Every node is a struct dht with the daemon's code paths: messages are
 * encoded, "sent" through the send callback into a time-ordered event
 * queue, and decoded by dht_input() at the receiver after a random delay
 * (or lost). Timers are dht_next_deadline_ms()/dht_tick(), scheduled per
 * node in the same queue, so an idle node costs nothing. Time is virtual.
 *
 * Phases: (1) N nodes join one after another, each through one random
 * live node (dht_bootstrap(), a lookup for its own ID); (2) P nodes
 * publish their signed node records (dht_publish()); (3) R rounds: a
 * fraction of the nodes leaves without notice and as many new nodes join,
 * then lookups from random live nodes: FIND_VALUE for a published record,
 * FIND_NODE for a random live node. Reported per lookup: success, hops,
 * messages (requests + replies).
 *
 * Signatures: records are really signed and, by default, really verified
 * (every STORE and every value a lookup receives: cheap next to the NODES
 * traffic). --no-verify sets cfg.insecure_skip_verify, which exists for
 * this simulator only; the daemon never sets it (discovery/dht.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "discovery/dht.h"
#include "identity/record.h"
#include "lib/log.h"
#include "lib/secure.h"

#define WALL0 1700000000u

struct opts {
	unsigned n, k, alpha, lookups, rounds, publish;
	double churn, loss;
	unsigned lat_min, lat_max; /* ms */
	uint64_t seed;
	bool verify;
};

struct node {
	struct dht *dht;
	struct dht_contact c;
	uint64_t sched; /* time of its pending tick event, UINT64_MAX if none */
	uint32_t seed;	/* key seed: keys are re-derived when a record is signed */
	bool alive;
	/* the last lookup result this node got */
	bool done;
	int status;
	unsigned hops, msgs, n_values;
	bool found_target;
	uint8_t want[32];
	uint8_t value[NODE_RECORD_MAX_LEN];
	uint16_t value_len;
};

struct msg {
	uint32_t from, to;
	uint16_t len;
	uint8_t b[];
};

struct event {
	uint64_t t, seq;
	uint32_t node; /* tick target, or UINT32_MAX for a message */
	struct msg *m;
};

static struct {
	struct opts o;
	struct node *nodes;
	uint32_t n_nodes, cap_nodes;
	uint32_t *map; /* open addressing: node ID prefix -> index + 1 */
	size_t map_cap;
	struct event *heap;
	size_t n_heap, cap_heap;
	uint64_t now, seq, rng;
	uint64_t sent, lost, dead_drops, join_retries;
	struct dht_config cfg;
} S;

/* ---- small helpers ----------------------------------------------------------- */

static uint64_t rnd(void)
{
	S.rng ^= S.rng << 13;
	S.rng ^= S.rng >> 7;
	S.rng ^= S.rng << 17;
	return S.rng;
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static void *xalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		fprintf(stderr, "dht_sim: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t id_hash(const struct node_id *id)
{
	uint64_t h;

	memcpy(&h, id->b, sizeof(h));
	return h;
}

static void map_put(const struct node_id *id, uint32_t idx)
{
	size_t at = (size_t)id_hash(id) & (S.map_cap - 1);

	while (S.map[at])
		at = (at + 1) & (S.map_cap - 1);
	S.map[at] = idx + 1;
}

static int64_t map_get(const struct node_id *id)
{
	size_t at = (size_t)id_hash(id) & (S.map_cap - 1);

	for (; S.map[at]; at = (at + 1) & (S.map_cap - 1)) {
		uint32_t i = S.map[at] - 1;

		if (dht_id_is_equal(&S.nodes[i].c.id, id))
			return i;
	}
	return -1;
}

/* ---- the event queue: a binary heap on (time, sequence) ---------------------- */

static bool ev_less(const struct event *a, const struct event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void ev_push(uint64_t t, uint32_t node, struct msg *m)
{
	size_t i;

	if (S.n_heap == S.cap_heap) {
		S.cap_heap = S.cap_heap ? S.cap_heap * 2 : 1024;
		S.heap = realloc(S.heap, S.cap_heap * sizeof(*S.heap));
		if (!S.heap)
			exit(1);
	}
	i = S.n_heap++;
	S.heap[i] = (struct event){t, S.seq++, node, m};
	while (i > 0 && ev_less(&S.heap[i], &S.heap[(i - 1) / 2])) {
		struct event tmp = S.heap[i];

		S.heap[i] = S.heap[(i - 1) / 2];
		S.heap[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

static struct event ev_pop(void)
{
	struct event top = S.heap[0];
	size_t i = 0;

	S.heap[0] = S.heap[--S.n_heap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct event tmp;

		if (l < S.n_heap && ev_less(&S.heap[l], &S.heap[m]))
			m = l;
		if (r < S.n_heap && ev_less(&S.heap[r], &S.heap[m]))
			m = r;
		if (m == i)
			break;
		tmp = S.heap[i];
		S.heap[i] = S.heap[m];
		S.heap[m] = tmp;
		i = m;
	}
	return top;
}

/* After any call into a node's engine: make sure a tick is queued for its
 * next deadline. Older tick events for it are recognised as stale. */
static void reschedule(uint32_t i)
{
	struct node *n = &S.nodes[i];
	uint64_t d = dht_next_deadline_ms(n->dht);

	if (d == UINT64_MAX || d >= n->sched)
		return;
	if (d < S.now)
		d = S.now;
	n->sched = d;
	ev_push(d, i, NULL);
}

/* ---- callbacks ------------------------------------------------------------- */

static int sim_send(void *ctx, const struct dht_contact *to, const uint8_t *b, size_t len)
{
	struct node *from = ctx;
	int64_t at = map_get(&to->id);
	uint64_t lat;
	struct msg *m;

	if (at < 0)
		return -EHOSTUNREACH;
	S.sent++;
	if (rnd01() < S.o.loss) {
		S.lost++;
		return 0; /* lost on the way: the sender times out */
	}
	m = xalloc(sizeof(*m) + len);
	m->from = (uint32_t)(from - S.nodes);
	m->to = (uint32_t)at;
	m->len = (uint16_t)len;
	memcpy(m->b, b, len);
	lat = S.o.lat_min + rnd() % (S.o.lat_max - S.o.lat_min + 1);
	ev_push(S.now + lat, UINT32_MAX, m);
	return 0;
}

static void sim_done(void *ctx, const struct dht_lookup_result *res)
{
	struct node *n = ctx;

	n->done = true;
	n->status = res->status;
	n->hops = res->hops;
	n->msgs = res->queries + res->replies;
	n->n_values = res->n_values;
	n->found_target = false;
	for (unsigned i = 0; i < res->n_closest; i++)
		n->found_target |= memcmp(res->closest[i].id.b, n->want, 32) == 0;
	n->value_len = 0;
	if (res->n_values > 0) {
		n->value_len = res->values[0].len;
		memcpy(n->value, res->values[0].b, res->values[0].len);
	}
}

static uint64_t sim_wall(void *ctx)
{
	(void)ctx;
	return WALL0 + S.now / 1000;
}

/* ---- running ------------------------------------------------------------------ */

static void run_one_event(void)
{
	struct event ev = ev_pop();

	S.now = ev.t;
	if (ev.node != UINT32_MAX) {
		struct node *n = &S.nodes[ev.node];

		if (!n->alive || n->sched != ev.t)
			return; /* stale */
		n->sched = UINT64_MAX;
		dht_tick(n->dht, S.now);
		reschedule(ev.node);
		return;
	}
	if (S.nodes[ev.m->to].alive) {
		dht_input(S.nodes[ev.m->to].dht, &S.nodes[ev.m->from].c.id, ev.m->b, ev.m->len,
			  S.now);
		reschedule(ev.m->to);
	} else {
		S.dead_drops++;
	}
	free(ev.m);
}

/* Run until node `i` reports a lookup result (the lookup has its own
 * deadline, so this ends). */
static void run_until_done(uint32_t i)
{
	while (!S.nodes[i].done && S.n_heap > 0)
		run_one_event();
}

/* Run everything due up to `t`, then set the clock to `t`. */
static void run_until(uint64_t t)
{
	while (S.n_heap > 0 && S.heap[0].t <= t)
		run_one_event();
	S.now = t;
}

/* ---- nodes ---------------------------------------------------------------------- */

static void node_keys(uint32_t seed, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t s[32] = {0};

	memcpy(s, &seed, sizeof(seed));
	memcpy(s + 8, &S.o.seed, sizeof(S.o.seed));
	sec_ed25519_from_seed(pk, sk, s);
}

static uint32_t node_add(void)
{
	struct dht_callbacks cb = {.send = sim_send, .lookup_done = sim_done, .wall_s = sim_wall};
	uint32_t i = S.n_nodes++;
	struct node *n = &S.nodes[i];
	uint8_t sk[64];

	if (i >= S.cap_nodes) {
		fprintf(stderr, "dht_sim: node table full\n");
		exit(1);
	}
	memset(n, 0, sizeof(*n));
	n->seed = i;
	node_keys(i, n->c.pk, sk);
	sec_wipe(sk, sizeof(sk));
	node_id_from_pubkey(&n->c.id, n->c.pk);
	n->sched = UINT64_MAX;
	n->alive = true;
	cb.ctx = n;
	if (dht_new(&S.cfg, &n->c, &cb, S.now, &n->dht) < 0) {
		fprintf(stderr, "dht_sim: dht_new failed\n");
		exit(1);
	}
	map_put(&n->c.id, i);
	return i;
}

static uint32_t random_alive(void)
{
	for (;;) {
		uint32_t i = (uint32_t)(rnd() % S.n_nodes);

		if (S.nodes[i].alive)
			return i;
	}
}

/* A new node enters through one random live node it knows; if nobody
 * answers (both tries lost), it tries another, as the daemon tries every
 * peer in its registry. Return the messages of the successful attempt. */
static unsigned node_join(void)
{
	uint32_t i = node_add(), via, id;
	unsigned msgs = 0;

	if (i == 0)
		return 0;
	for (int attempt = 0; attempt < 5; attempt++) {
		do
			via = random_alive();
		while (via == i);
		S.nodes[i].done = false;
		memcpy(S.nodes[i].want, S.nodes[i].c.id.b, 32);
		if (dht_bootstrap(S.nodes[i].dht, &S.nodes[via].c, 1, S.now, &id) < 0)
			exit(1);
		reschedule(i);
		run_until_done(i);
		msgs += S.nodes[i].msgs;
		if (S.nodes[i].status == 0)
			break;
		S.join_retries++;
	}
	return msgs;
}

/* Leaving is silent: its engine is freed, messages to it vanish. */
static void node_leave(uint32_t i)
{
	S.nodes[i].alive = false;
	S.nodes[i].dht = dht_free(S.nodes[i].dht);
}

static size_t node_record(uint32_t i, uint8_t *buf)
{
	struct node_record r = {0};
	uint8_t sk[64];
	size_t len;

	node_keys(S.nodes[i].seed, r.pk, sk);
	r.seq = 1;
	r.issued = WALL0;
	r.expires = WALL0 + 7 * 24 * 3600;
	snprintf(r.name, sizeof(r.name), "n%u", i);
	r.n_endpoints = 1;
	r.ep[0].addr.s6_addr[0] = 0x20;
	r.ep[0].addr.s6_addr[15] = 1;
	r.ep[0].port = 4433;
	r.ep[0].transport = RECORD_TRANSPORT_QUIC;
	if (node_record_sign(&r, sk) < 0 || node_record_encode(&r, buf, NODE_RECORD_MAX_LEN, &len))
		exit(1);
	sec_wipe(sk, sizeof(sk));
	return len;
}

/* ---- measurement --------------------------------------------------------------- */

struct tally {
	unsigned n, ok;
	unsigned *hops, *msgs; /* hops of successes; messages of all */
};

static void tally_add(struct tally *t, bool ok, unsigned hops, unsigned msgs)
{
	if (ok)
		t->hops[t->ok++] = hops;
	t->msgs[t->n++] = msgs;
}

static int cmp_u(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

static void mean_p95(unsigned *v, unsigned n, double *mean, unsigned *p95)
{
	double sum = 0;

	*mean = 0;
	*p95 = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_u);
	for (unsigned i = 0; i < n; i++)
		sum += v[i];
	*mean = sum / n;
	*p95 = v[(unsigned)ceil(0.95 * n) - 1];
}

static int tally_print(char *out, size_t cap, const char *what, struct tally *t)
{
	double hm, mm;
	unsigned hp, mp;

	mean_p95(t->hops, t->ok, &hm, &hp);
	mean_p95(t->msgs, t->n, &mm, &mp);
	return snprintf(out, cap,
			"  %-10s %5u lookups  success %6.2f%%  hops mean %.2f p95 %u  "
			"msgs mean %.1f p95 %u\n",
			what, t->n, t->n ? 100.0 * t->ok / t->n : 0.0, hm, hp, mm, mp);
}

/* ---- phases ------------------------------------------------------------------------ */

struct published {
	uint32_t owner;
	uint16_t len;
	uint8_t rec[NODE_RECORD_MAX_LEN];
};

static void publish_all(struct published *pub, unsigned count)
{
	for (unsigned p = 0; p < count; p++) {
		uint32_t i = random_alive(), id;

		pub[p].owner = i;
		pub[p].len = (uint16_t)node_record(i, pub[p].rec);
		S.nodes[i].done = false;
		memset(S.nodes[i].want, 0, 32);
		if (dht_publish(S.nodes[i].dht, pub[p].rec, pub[p].len, S.now, &id) < 0 || id == 0)
			exit(1);
		reschedule(i);
		run_until_done(i);
	}
}

static void churn_step(unsigned count, struct tally *joins)
{
	for (unsigned c = 0; c < count; c++)
		node_leave(random_alive());
	for (unsigned c = 0; c < count; c++) {
		unsigned msgs = node_join();

		tally_add(joins, S.nodes[S.n_nodes - 1].status == 0, 0, msgs);
	}
}

static void lookup_value(const struct published *pub, unsigned n_pub, struct tally *t)
{
	const struct published *p;
	uint32_t from, id;
	struct node *n;

	do
		p = &pub[rnd() % n_pub];
	while (!S.nodes[p->owner].alive);
	do
		from = random_alive();
	while (from == p->owner);
	n = &S.nodes[from];
	n->done = false;
	memset(n->want, 0, 32);
	if (dht_find_value(n->dht, S.nodes[p->owner].c.id.b, S.now, &id) < 0)
		exit(1);
	reschedule(from);
	run_until_done(from);
	tally_add(t,
		  n->status == 0 && n->value_len == p->len && memcmp(n->value, p->rec, p->len) == 0,
		  n->hops, n->msgs);
}

static void lookup_node(struct tally *t)
{
	uint32_t from = random_alive(), to, id;
	struct node *n = &S.nodes[from];

	do
		to = random_alive();
	while (to == from);
	n->done = false;
	memcpy(n->want, S.nodes[to].c.id.b, 32);
	if (dht_find_node(n->dht, n->want, S.now, &id) < 0)
		exit(1);
	reschedule(from);
	run_until_done(from);
	tally_add(t, n->status == 0 && n->found_target, n->hops, n->msgs);
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static struct tally tally_new(unsigned n)
{
	struct tally t = {0};

	t.hops = xalloc((n + 1) * sizeof(unsigned));
	t.msgs = xalloc((n + 1) * sizeof(unsigned));
	return t;
}

static void tally_free(struct tally *t)
{
	free(t->hops);
	free(t->msgs);
}

static void sim_setup(const struct opts *o)
{
	unsigned joins = (unsigned)(o->churn * o->n + 0.5) + o->rounds;

	memset(&S, 0, sizeof(S));
	S.o = *o;
	S.rng = o->seed * 0x9E3779B97F4A7C15ull | 1;
	S.cap_nodes = o->n + joins + 1;
	S.nodes = xalloc(S.cap_nodes * sizeof(*S.nodes));
	for (S.map_cap = 1024; S.map_cap < 2 * (size_t)S.cap_nodes;)
		S.map_cap *= 2;
	S.map = xalloc(S.map_cap * sizeof(*S.map));
	S.now = 1000;
	dht_config_default(&S.cfg);
	S.cfg.k = o->k;
	S.cfg.alpha = o->alpha;
	S.cfg.refresh_ms = 0; /* see dht_sim.md: tables are kept by traffic alone */
	S.cfg.query_rate = S.cfg.store_rate = 0;
	S.cfg.global_query_rate = S.cfg.global_store_rate = 0;
	S.cfg.rate_sources = 4;
	S.cfg.insecure_skip_verify = !o->verify;
	S.cfg.seed = S.rng;
}

/* One configuration; the report goes to `out`. */
static void simulate(const struct opts *o, char *out, size_t cap)
{
	struct tally joins, val, node;
	struct published *pub;
	struct timespec t0;
	unsigned leave_per_round, per_round, len = 0, join_p95;
	double t_join, t_total, join_mean;
	struct rusage ru;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sim_setup(o);
	joins = tally_new(S.cap_nodes);
	val = tally_new(o->lookups);
	node = tally_new(o->lookups);
	for (unsigned i = 0; i < o->n; i++) {
		unsigned msgs = node_join();

		tally_add(&joins, i == 0 || S.nodes[i].status == 0, 0, msgs);
	}
	t_join = secs_since(&t0);
	pub = xalloc(o->publish * sizeof(*pub));
	publish_all(pub, o->publish);
	leave_per_round = (unsigned)(o->churn * o->n / o->rounds + 0.5);
	per_round = o->lookups / o->rounds;
	for (unsigned r = 0; r < o->rounds; r++) {
		churn_step(leave_per_round, &joins);
		run_until(S.now + 30000); /* let the dust settle: timeouts, pings */
		for (unsigned l = 0; l < per_round; l++) {
			if (l % 2 == 0)
				lookup_value(pub, o->publish, &val);
			else
				lookup_node(&node);
		}
	}
	t_total = secs_since(&t0);
	getrusage(RUSAGE_SELF, &ru);
	len += (unsigned)snprintf(out + len, cap - len,
				  "N=%u k=%u alpha=%u churn=%.0f%% loss=%.1f%% latency=%u-%u ms "
				  "verify=%s seed=%" PRIu64 "\n",
				  o->n, o->k, o->alpha, 100 * o->churn, 100 * o->loss, o->lat_min,
				  o->lat_max, o->verify ? "on" : "off", o->seed);
	len += (unsigned)tally_print(out + len, cap - len, "find_value", &val);
	len += (unsigned)tally_print(out + len, cap - len, "find_node", &node);
	mean_p95(joins.msgs, joins.n, &join_mean, &join_p95);
	len += (unsigned)snprintf(out + len, cap - len,
				  "  joins %u (msgs mean %.1f p95 %u, retried %" PRIu64
				  "), published %u, messages %" PRIu64 " (lost %" PRIu64
				  ", to departed nodes %" PRIu64 ")\n"
				  "  wall %.1f s (joins %.1f s), max RSS %.0f MiB\n",
				  joins.n, join_mean, join_p95, S.join_retries, o->publish, S.sent,
				  S.lost, S.dead_drops, t_total, t_join,
				  (double)ru.ru_maxrss / 1024.0);
	tally_free(&joins);
	tally_free(&val);
	tally_free(&node);
	free(pub);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dht_sim [-n nodes] [-k k] [-a alpha] [-l lookups] [-r rounds]\n"
		"               [-c churn 0..1] [-p loss 0..1] [-L min-max ms] [-P published]\n"
		"               [-s seed] [--no-verify] [--matrix] [-j jobs]\n"
		"  --matrix runs N = 1000, 10000, 100000 with churn 0 and 20 %%, -j at once\n");
	exit(2);
}

/* The unsigned options, by letter. */
static unsigned *uopt(struct opts *o, int c)
{
	switch (c) {
	case 'n':
		return &o->n;
	case 'k':
		return &o->k;
	case 'a':
		return &o->alpha;
	case 'l':
		return &o->lookups;
	case 'r':
		return &o->rounds;
	case 'P':
		return &o->publish;
	default:
		return NULL;
	}
}

static bool opts_are_valid(const struct opts *o, unsigned jobs)
{
	return o->n >= 2 && o->k >= 1 && o->k <= DHT_K_MAX && o->alpha >= 1 &&
	       o->alpha <= DHT_ALPHA_MAX && o->rounds >= 1 && o->lookups >= o->rounds &&
	       o->publish >= 1 && o->churn >= 0 && o->churn < 1 && o->loss >= 0 && o->loss < 1 &&
	       o->lat_min <= o->lat_max && jobs >= 1;
}

static void parse(int argc, char **argv, struct opts *o, bool *matrix, unsigned *jobs)
{
	static const struct option longs[] = {
	    {"no-verify", no_argument, NULL, 'V'}, {"matrix", no_argument, NULL, 'M'}, {0}};
	int c;

	*o = (struct opts){.n = 1000, .k = 20, .alpha = 3, .lookups = 1000, .rounds = 10};
	o->publish = 500;
	o->loss = 0.01;
	o->lat_min = 10;
	o->lat_max = 150;
	o->seed = 1;
	o->verify = true;
	while ((c = getopt_long(argc, argv, "n:k:a:l:r:c:p:L:P:s:j:", longs, NULL)) != -1) {
		if (uopt(o, c))
			*uopt(o, c) = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 'c')
			o->churn = strtod(optarg, NULL);
		else if (c == 'p')
			o->loss = strtod(optarg, NULL);
		else if (c == 'L' && sscanf(optarg, "%u-%u", &o->lat_min, &o->lat_max) != 2)
			usage();
		else if (c == 's')
			o->seed = strtoull(optarg, NULL, 10);
		else if (c == 'j')
			*jobs = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 'V')
			o->verify = false;
		else if (c == 'M')
			*matrix = true;
		else if (c != 'L')
			usage();
	}
	if (optind != argc || !opts_are_valid(o, *jobs))
		usage();
}

/* Run `n` configurations, at most `jobs` at once, each in its own process
 * (its own memory high-water mark); print each report whole, in order. */
static void run_many(const struct opts *cfgs, unsigned n, unsigned jobs)
{
	char(*reports)[2048] = xalloc(n * sizeof(*reports));
	int(*pipes)[2] = xalloc(n * sizeof(*pipes));
	pid_t *pids = xalloc(n * sizeof(*pids));
	unsigned started = 0, reaped = 0;

	while (reaped < n) {
		while (started < n && started - reaped < jobs) {
			if (pipe(pipes[started]) < 0)
				exit(1);
			pids[started] = fork();
			if (pids[started] == 0) {
				char rep[2048];

				close(pipes[started][0]);
				simulate(&cfgs[started], rep, sizeof(rep));
				if (write(pipes[started][1], rep, strlen(rep)) < 0)
					_exit(1);
				_exit(0);
			}
			close(pipes[started][1]);
			started++;
		}
		{
			ssize_t got =
			    read(pipes[reaped][0], reports[reaped], sizeof(reports[0]) - 1);

			reports[reaped][got > 0 ? got : 0] = '\0';
			close(pipes[reaped][0]);
			waitpid(pids[reaped], NULL, 0);
			fputs(reports[reaped], stdout);
			fflush(stdout);
			reaped++;
		}
	}
	free(reports);
	free(pipes);
	free(pids);
}

int main(int argc, char **argv)
{
	struct opts o, cfgs[6];
	bool matrix = false;
	unsigned jobs = 1;

	parse(argc, argv, &o, &matrix, &jobs);
	if (sec_init() < 0)
		return 1;
	log_set_level(LOG_LEVEL_ERR); /* the skip-verify warning, once per node */
	if (!matrix) {
		run_many(&o, 1, 1);
		return 0;
	}
	for (unsigned i = 0; i < 6; i++) {
		static const unsigned sizes[] = {1000, 10000, 100000};

		cfgs[i] = o;
		cfgs[i].n = sizes[i / 2];
		cfgs[i].churn = i % 2 ? 0.2 : 0;
	}
	run_many(cfgs, 6, jobs);
	return 0;
}
