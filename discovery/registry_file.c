/* discovery/registry_file.c - registry.bin: the registry on disk
 * (docs/discovery.md "registry.bin").
 *
 * Layout, big-endian: magic "vx6 registry v1\n" (16 bytes), n_nodes u32,
 * n_services u32, n_aliases u32; each record as flags u8, last_seen u64,
 * len u16, record[len], nodes then services, each section in strictly
 * increasing key order; each alias as len u8, name, key[32], in strictly
 * increasing name order; then checksum[32] = BLAKE2b-256(REG_SUM_LABEL ||
 * every byte before it). Written with fs_write_atomic() (write, fsync,
 * rename, fsync the directory), so kill -9 at any moment leaves the old
 * file or the new one. The loader is total: one file, one registry, or an
 * error that says what is wrong where; it never keeps part of a file.
 */
#include "discovery/registry_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/overlay_addr.h"
#include "lib/fs.h"
#include "lib/secure.h"
#include "lib/wire.h"

#define REG_MAGIC	  "vx6 registry v1\n"
#define REG_MAGIC_LEN	  16
#define REG_SUM_LABEL	  "vx6 registry checksum v1"
#define REG_HDR_LEN	  (REG_MAGIC_LEN + 12)
#define REG_ENTRY_HDR	  11 /* flags, last_seen, len */
#define REG_ALIAS_MAX_LEN (1 + REGISTRY_ALIAS_LEN_MAX + SERVICE_KEY_LEN)

_Static_assert(sizeof(REG_MAGIC) - 1 == REG_MAGIC_LEN, "magic length");

/* The largest file this registry's limits can produce. */
static size_t max_file_len(const struct registry_limits *l)
{
	return REG_HDR_LEN + (size_t)l->nodes * (REG_ENTRY_HDR + NODE_RECORD_MAX_LEN) +
	       (size_t)l->services * (REG_ENTRY_HDR + SERVICE_RECORD_MAX_LEN) +
	       (size_t)l->aliases * REG_ALIAS_MAX_LEN + SEC_HASH256_LEN;
}

static void put_table(struct wire_wr *w, const struct reg_table *t)
{
	uint8_t rec[NODE_RECORD_MAX_LEN];

	for (size_t i = 0; i < t->n; i++) {
		size_t len = reg_entry_encode(t->e[i], rec, sizeof(rec));

		wire_put_u8(w, t->e[i]->flags);
		wire_put_u64(w, t->e[i]->last_seen_s);
		wire_put_u16(w, (uint16_t)len);
		wire_put_bytes(w, rec, len);
	}
}

int registry_save(struct registry *reg, const char *path)
{
	size_t cap = max_file_len(&reg->lim);
	uint8_t *buf = malloc(cap), *sum;
	struct wire_wr w;
	int r;

	if (!buf)
		return -ENOMEM;
	wire_wr_init(&w, buf, cap);
	wire_put_bytes(&w, REG_MAGIC, REG_MAGIC_LEN);
	wire_put_u32(&w, (uint32_t)reg->nodes.n);
	wire_put_u32(&w, (uint32_t)reg->services.n);
	wire_put_u32(&w, (uint32_t)reg->n_aliases);
	put_table(&w, &reg->nodes);
	put_table(&w, &reg->services);
	for (size_t i = 0; i < reg->n_aliases; i++) {
		size_t n = strlen(reg->aliases[i].name);

		wire_put_u8(&w, (uint8_t)n);
		wire_put_bytes(&w, reg->aliases[i].name, n);
		wire_put_bytes(&w, reg->aliases[i].key, SERVICE_KEY_LEN);
	}
	sum = wire_put_space(&w, SEC_HASH256_LEN);
	if (w.bad) {
		free(buf);
		return -EOVERFLOW; /* cannot happen: cap is the largest file */
	}
	sec_hash256(sum, REG_SUM_LABEL, buf, w.len - SEC_HASH256_LEN);
	r = fs_write_atomic(path, buf, w.len, 0600);
	free(buf);
	if (r == 0)
		reg->dirty = false;
	return r;
}

/* ---- loading ---------------------------------------------------------------- */

struct loader {
	struct wire_rd r;
	const uint8_t *start;
	uint64_t now_s;
	size_t expired;
	char *err;
	size_t err_cap;
};

__attribute__((format(printf, 2, 3))) static int fail(struct loader *ld, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ld->err, ld->err_cap, "offset %zu: ", (size_t)(ld->r.p - ld->start));
	if (n >= 0 && (size_t)n < ld->err_cap) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->err_cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int load_entry(struct loader *ld, struct reg_table *t, uint8_t type, const char *what,
		      size_t i, const struct dht_sync_key **prev)
{
	uint8_t flags = wire_get_u8(&ld->r);
	uint64_t seen = wire_get_u64(&ld->r);
	uint16_t len = wire_get_u16(&ld->r);
	const uint8_t *rec = wire_get_bytes(&ld->r, len);
	struct reg_entry *e;
	int r;

	if (!rec)
		return fail(ld, "%s record %zu: truncated", what, i);
	if (flags & ~REGISTRY_F_PINNED)
		return fail(ld, "%s record %zu: unknown flags 0x%02x", what, i, flags);
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	r = reg_entry_parse(e, type, rec, len, ld->now_s);
	if (r == -ETIME) {
		ld->expired++; /* stale, not corrupt: dropped and counted */
		free(e);
		return 0;
	}
	if (r < 0) {
		free(e);
		return fail(ld, "%s record %zu: %s", what, i,
			    r == -EBADMSG ? "does not decode or verify" : "bad times");
	}
	if (*prev && dht_sync_key_cmp(*prev, &e->sk) >= 0) {
		free(e);
		return fail(ld, "%s record %zu: out of order or duplicate", what, i);
	}
	e->flags = flags;
	e->last_seen_s = seen;
	if (reg_table_append(t, e) < 0) {
		free(e);
		return -ENOMEM; /* counts were checked against the limits */
	}
	*prev = &e->sk;
	return 0;
}

static int load_table(struct loader *ld, struct reg_table *t, uint32_t n, uint8_t type,
		      const char *what)
{
	const struct dht_sync_key *prev = NULL;

	for (uint32_t i = 0; i < n; i++) {
		int r = load_entry(ld, t, type, what, i, &prev);

		if (r < 0)
			return r;
	}
	return 0;
}

static int load_aliases(struct loader *ld, struct registry *reg, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		char name[REGISTRY_ALIAS_LEN_MAX + 1] = {0};
		uint8_t len = wire_get_u8(&ld->r);
		const uint8_t *s = wire_get_bytes(&ld->r, len <= REGISTRY_ALIAS_LEN_MAX ? len : 0);
		const uint8_t *key = wire_get_bytes(&ld->r, SERVICE_KEY_LEN);
		int r;

		if (!s || !key)
			return fail(ld, "alias %u: truncated", i);
		if (len > REGISTRY_ALIAS_LEN_MAX || memchr(s, '\0', len))
			return fail(ld, "alias %u: bad name", i);
		memcpy(name, s, len);
		if (!overlay_name_is_valid(name))
			return fail(ld, "alias %u: bad name", i);
		if (reg->n_aliases && strcmp(reg->aliases[reg->n_aliases - 1].name, name) >= 0)
			return fail(ld, "alias %u: out of order or duplicate", i);
		r = registry_alias_set(reg, name, key);
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_body(struct loader *ld, struct registry *reg)
{
	const uint8_t *magic = wire_get_bytes(&ld->r, REG_MAGIC_LEN);
	uint32_t n_nodes, n_svcs, n_aliases;
	int r;

	if (!magic || memcmp(magic, REG_MAGIC, REG_MAGIC_LEN) != 0)
		return fail(ld, "not a vx6 registry file (bad magic)");
	n_nodes = wire_get_u32(&ld->r);
	n_svcs = wire_get_u32(&ld->r);
	n_aliases = wire_get_u32(&ld->r);
	if (n_nodes > reg->lim.nodes || n_svcs > reg->lim.services || n_aliases > reg->lim.aliases)
		return fail(ld, "%u nodes, %u services, %u aliases: over the limits %u/%u/%u",
			    n_nodes, n_svcs, n_aliases, reg->lim.nodes, reg->lim.services,
			    reg->lim.aliases);
	r = load_table(ld, &reg->nodes, n_nodes, RECORD_TYPE_NODE, "node");
	if (r == 0)
		r = load_table(ld, &reg->services, n_svcs, SERVICE_RECORD_TYPE, "service");
	if (r == 0)
		r = load_aliases(ld, reg, n_aliases);
	if (r == 0 && ld->r.left != 0)
		return fail(ld, "%zu bytes after the last entry", ld->r.left);
	return r;
}

/* Swap the loaded tables into `reg`, whose tables are empty. */
static void adopt(struct registry *reg, struct registry *tmp)
{
	struct reg_table nodes = reg->nodes, svcs = reg->services;
	struct reg_alias *aliases = reg->aliases;

	reg->nodes = tmp->nodes;
	reg->services = tmp->services;
	reg->aliases = tmp->aliases;
	reg->n_aliases = tmp->n_aliases;
	tmp->nodes = nodes;
	tmp->services = svcs;
	tmp->aliases = aliases;
	tmp->n_aliases = 0;
}

int registry_load(struct registry *reg, const char *path, uint64_t now_s, size_t *out_expired,
		  char *err, size_t err_cap)
{
	struct loader ld = {.now_s = now_s, .err = err, .err_cap = err_cap};
	struct registry *tmp = NULL;
	uint8_t sum[SEC_HASH256_LEN], *buf = NULL;
	size_t len;
	int r;

	snprintf(err, err_cap, "no error");
	if (reg->nodes.n || reg->services.n || reg->n_aliases)
		return -EBUSY;
	r = fs_read_file(path, max_file_len(&reg->lim), &buf, &len);
	if (r < 0) {
		snprintf(err, err_cap, "%s",
			 r == -EFBIG ? "larger than the limits allow" : "cannot be read");
		return r;
	}
	ld.start = buf;
	wire_rd_init(&ld.r, buf, len);
	if (len < REG_HDR_LEN + SEC_HASH256_LEN) {
		r = fail(&ld, "truncated (%zu bytes)", len);
		goto out;
	}
	/* The checksum first: a torn or corrupted file says so, rather than
	 * whatever its first bad byte happens to look like. */
	sec_hash256(sum, REG_SUM_LABEL, buf, len - SEC_HASH256_LEN);
	if (!sec_equal(sum, buf + len - SEC_HASH256_LEN, SEC_HASH256_LEN)) {
		r = fail(&ld, "checksum mismatch: the file is corrupt");
		goto out;
	}
	ld.r.left -= SEC_HASH256_LEN;
	r = registry_new(&reg->lim, &tmp);
	if (r < 0)
		goto out;
	r = load_body(&ld, tmp);
	if (r < 0)
		goto out;
	adopt(reg, tmp);
	reg->dirty = ld.expired > 0; /* the next save drops them for good */
	reg->stats.expired += ld.expired;
	if (out_expired)
		*out_expired = ld.expired;
	snprintf(err, err_cap, "no error");
out:
	registry_free(tmp);
	free(buf);
	return r;
}
