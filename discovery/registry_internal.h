/* discovery/registry_internal.h - the registry's layout, shared by
 * registry.c (records and aliases in memory), registry_file.c
 * (registry.bin) and registry_sync.c (peer sync), and tests/unit.
 */
#ifndef VX6_DISCOVERY_REGISTRY_INTERNAL_H
#define VX6_DISCOVERY_REGISTRY_INTERNAL_H

#include "discovery/registry.h"

/* One record of either kind, sorted by `sk` (key, then owner). */
struct reg_entry {
	struct dht_sync_key sk; /* node: (id, id); service: (service key, owner) */
	uint64_t seq, expires;
	uint64_t last_seen_s;
	uint8_t flags;	/* REGISTRY_F_* */
	uint8_t type;	/* RECORD_TYPE_NODE or SERVICE_RECORD_TYPE */
	bool is_public; /* node records always; services when visibility is public */
	union {
		struct node_record node;
		struct service_record svc;
	} rec;
};

struct reg_table {
	struct reg_entry **e; /* sorted by sk, strictly increasing */
	size_t n, cap, max;
};

struct reg_alias {
	char name[REGISTRY_ALIAS_LEN_MAX + 1];
	uint8_t key[SERVICE_KEY_LEN];
};

struct registry {
	struct registry_limits lim;
	struct reg_table nodes, services;
	struct reg_alias *aliases; /* sorted by name */
	size_t n_aliases;
	bool dirty;
	struct registry_stats stats;
};

/* Index of the first entry whose key is >= `sk` (n if none). */
size_t reg_table_lower(const struct reg_table *t, const struct dht_sync_key *sk);
/* Decode `rec` as a record of `type`, verify it at `now_s` and fill `e`
 * (flags 0, last seen now). Return 0, -EBADMSG, -ETIME or -EINVAL. */
int reg_entry_parse(struct reg_entry *e, uint8_t type, const uint8_t *rec, size_t len,
		    uint64_t now_s);
/* Encode an entry's record into `buf`. Return its length or 0. */
size_t reg_entry_encode(const struct reg_entry *e, uint8_t *buf, size_t cap);
/* Insert a decoded, verified entry (takes ownership) as a load does:
 * no eviction, no sequence rule. Return 0, -ENOSPC or -ENOMEM. */
int reg_table_append(struct reg_table *t, struct reg_entry *e);

#endif /* VX6_DISCOVERY_REGISTRY_INTERNAL_H */
