/* daemon/config.c - parse and validate vx6d.json (see config.h).
 *
 * The schema is closed: an unknown field is an error, because a misspelt
 * option silently ignored is worse than a refusal. Values are checked for
 * type and range, and the error carries the position of the value in the
 * file (jsonx_locate), so an operator can go straight to it.
 */
#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity/record.h"
#include "lib/fs.h"
#include "lib/jsonx.h"
#include "transport/link.h"

struct parse_ctx {
	const char *text;
	size_t len;
	const char *name;
	char *err;
	size_t err_cap;
};

static int fail(const struct parse_ctx *pc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct parse_ctx *pc, const char *field, const char *fmt, ...)
{
	char msg[512];
	int line = 1, col = 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jsonx_locate(pc->text, pc->len, field, &line, &col);
	snprintf(pc->err, pc->err_cap, "%s:%d:%d: %s: %s", pc->name, line, col, field, msg);
	return -EINVAL;
}

int config_parse_hostport(const char *s, struct in6_addr *out_addr, bool *out_v4,
			  uint16_t *out_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	struct in6_addr a6;
	struct in_addr a4;
	bool v4;
	char *end;
	unsigned long port;
	size_t hl;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - s - 1);
		port_s = close + 2;
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL; /* bare IPv6 needs brackets */
		hl = (size_t)(colon - s);
		port_s = colon + 1;
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (port_s[0] < '0' || port_s[0] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET6, host, &a6) == 1 && s[0] == '[') {
		v4 = false;
	} else if (s[0] != '[' && inet_pton(AF_INET, host, &a4) == 1) {
		v4 = true;
		memset(&a6, 0, sizeof(a6));
		a6.s6_addr[10] = 0xff;
		a6.s6_addr[11] = 0xff;
		memcpy(&a6.s6_addr[12], &a4, 4);
	} else {
		return -EINVAL;
	}
	*out_addr = a6;
	*out_v4 = v4;
	*out_port = (uint16_t)port;
	return 0;
}

static bool is_loopback(const struct in6_addr *a, bool v4)
{
	return v4 ? a->s6_addr[12] == 127 : IN6_IS_ADDR_LOOPBACK(a);
}

static int get_string(const struct parse_ctx *pc, json_t *v, const char *field, const char **out)
{
	if (!json_is_string(v))
		return fail(pc, field, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(pc, field, "contains a NUL byte");
	*out = json_string_value(v);
	return 0;
}

static int get_uint(const struct parse_ctx *pc, json_t *v, const char *field, uint64_t lo,
		    uint64_t hi, uint64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return fail(pc, field, "expected an integer");
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < lo || (uint64_t)n > hi)
		return fail(pc, field, "%lld is out of range %llu..%llu", (long long)n,
			    (unsigned long long)lo, (unsigned long long)hi);
	*out = (uint64_t)n;
	return 0;
}

static int parse_path(const struct parse_ctx *pc, json_t *v, const char *field, char *out,
		      size_t cap, const char *base)
{
	const char *s = NULL;
	int n;

	if (get_string(pc, v, field, &s) < 0)
		return -EINVAL;
	if (s[0] == '\0')
		return fail(pc, field, "must not be empty");
	if (s[0] == '/' || !base)
		n = snprintf(out, cap, "%s", s);
	else
		n = snprintf(out, cap, "%s/%s", base, s);
	if (n < 0 || (size_t)n >= cap)
		return fail(pc, field, "path is too long");
	if (out[0] != '/')
		return fail(pc, field, "'%s' must be an absolute path", s);
	return 0;
}

static int parse_admin(const struct parse_ctx *pc, json_t *admin, struct daemon_config *c,
		       char *unix_rel, size_t rel_cap)
{
	const char *key, *s = NULL;
	json_t *v;
	uint64_t n = 0;

	if (!json_is_object(admin))
		return fail(pc, "admin", "expected an object");
	json_object_foreach(admin, key, v)
	{
		if (strcmp(key, "unix_socket") == 0) {
			if (json_is_null(v)) {
				unix_rel[0] = '\0';
				continue;
			}
			if (get_string(pc, v, "admin.unix_socket", &s) < 0)
				return -EINVAL;
			if (s[0] == '\0' || strlen(s) >= rel_cap || strlen(s) > 100)
				return fail(pc, "admin.unix_socket",
					    "'%s' must be 1..100 characters", s);
			strcpy(unix_rel, s);
		} else if (strcmp(key, "listen") == 0) {
			if (json_is_null(v)) {
				c->admin_tcp_enabled = false;
				continue;
			}
			if (get_string(pc, v, "admin.listen", &s) < 0)
				return -EINVAL;
			if (config_parse_hostport(s, &c->admin_tcp_addr, &c->admin_tcp_v4,
						  &c->admin_tcp_port) < 0)
				return fail(pc, "admin.listen",
					    "'%s' is not ADDRESS:PORT or [ADDRESS]:PORT", s);
			if (!is_loopback(&c->admin_tcp_addr, c->admin_tcp_v4))
				return fail(pc, "admin.listen",
					    "'%s' is not a loopback address (the admin API "
					    "never listens on the underlay)",
					    s);
			c->admin_tcp_enabled = true;
		} else if (strcmp(key, "max_body_bytes") == 0) {
			if (get_uint(pc, v, "admin.max_body_bytes", 1024, 1024 * 1024, &n) < 0)
				return -EINVAL;
			c->admin_max_body = (uint32_t)n;
		} else {
			char field[128];

			snprintf(field, sizeof(field), "admin.%s", key);
			return fail(pc, field, "unknown field");
		}
	}
	return 0;
}

static int parse_listen_one(const struct parse_ctx *pc, json_t *o, size_t i,
			    struct config_listen *out)
{
	char field[64];
	const char *key, *s = NULL;
	json_t *v;
	uint64_t n = 0;
	bool have_port = false;

	snprintf(field, sizeof(field), "listen[%zu]", i);
	if (!json_is_object(o))
		return fail(pc, field, "expected an object {address, port, transport}");
	memset(out, 0, sizeof(*out));
	out->transport = RECORD_TRANSPORT_TCP;
	json_object_foreach(o, key, v)
	{
		snprintf(field, sizeof(field), "listen[%zu].%s", i, key);
		if (strcmp(key, "address") == 0) {
			if (get_string(pc, v, field, &s) < 0)
				return -EINVAL;
			if (inet_pton(AF_INET6, s, &out->addr) != 1)
				return fail(pc, field, "'%s' is not an IPv6 address", s);
		} else if (strcmp(key, "port") == 0) {
			if (get_uint(pc, v, field, 1, 65535, &n) < 0)
				return -EINVAL;
			out->port = (uint16_t)n;
			have_port = true;
		} else if (strcmp(key, "transport") == 0) {
			if (get_string(pc, v, field, &s) < 0)
				return -EINVAL;
			if (record_transport_parse(s, &out->transport) < 0)
				return fail(pc, field, "'%s' is not tcp, quic or udp", s);
		} else {
			return fail(pc, field, "unknown field");
		}
	}
	if (!have_port) {
		snprintf(field, sizeof(field), "listen[%zu]", i);
		return fail(pc, field, "missing field 'port'");
	}
	return 0;
}

static int parse_listen(const struct parse_ctx *pc, json_t *arr, struct daemon_config *c)
{
	size_t i;
	json_t *o;

	if (!json_is_array(arr))
		return fail(pc, "listen", "expected an array");
	if (json_array_size(arr) > CONFIG_LISTEN_MAX)
		return fail(pc, "listen", "%zu entries; at most %d", json_array_size(arr),
			    CONFIG_LISTEN_MAX);
	json_array_foreach(arr, i, o)
	{
		if (parse_listen_one(pc, o, i, &c->listen[i]) < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (c->listen[j].port == c->listen[i].port &&
			    c->listen[j].transport == c->listen[i].transport &&
			    memcmp(&c->listen[j].addr, &c->listen[i].addr, 16) == 0) {
				char field[32];

				snprintf(field, sizeof(field), "listen[%zu]", i);
				return fail(pc, field, "duplicate of listen[%zu]", j);
			}
		}
	}
	c->n_listen = (unsigned)json_array_size(arr);
	return 0;
}

static int parse_peers(const struct parse_ctx *pc, json_t *arr, struct daemon_config *c)
{
	char field[96], err[256];
	const char *sub;
	size_t i;
	json_t *o;

	if (!json_is_array(arr))
		return fail(pc, "peers", "expected an array");
	if (json_array_size(arr) > CONFIG_PEERS_MAX)
		return fail(pc, "peers", "%zu entries; at most %d (add more with 'vx6 peer add')",
			    json_array_size(arr), CONFIG_PEERS_MAX);
	json_array_foreach(arr, i, o)
	{
		if (peer_entry_from_json(o, &c->peers[i], err, sizeof(err), &sub) < 0) {
			snprintf(field, sizeof(field), "peers[%zu]%s%s", i, sub[0] ? "." : "", sub);
			return fail(pc, field, "%s", err);
		}
		for (size_t j = 0; j < i; j++) {
			if (memcmp(c->peers[j].pk, c->peers[i].pk, 32) == 0) {
				snprintf(field, sizeof(field), "peers[%zu]", i);
				return fail(pc, field, "same public_key as peers[%zu]", j);
			}
		}
	}
	c->n_peers = (unsigned)json_array_size(arr);
	return 0;
}

static int parse_tun(const struct parse_ctx *pc, json_t *o, struct daemon_config *c)
{
	const char *key, *s = NULL;
	json_t *v;
	uint64_t n = 0;

	if (!json_is_object(o))
		return fail(pc, "tun", "expected an object {enabled, name, mtu}");
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "enabled") == 0) {
			if (!json_is_boolean(v))
				return fail(pc, "tun.enabled", "expected true or false");
			c->tun_enabled = json_is_true(v);
		} else if (strcmp(key, "name") == 0) {
			if (get_string(pc, v, "tun.name", &s) < 0)
				return -EINVAL;
			if (s[0] == '\0' || strlen(s) >= sizeof(c->tun_name) ||
			    strspn(s,
				   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "-_.%d") != strlen(s))
				return fail(
				    pc, "tun.name",
				    "'%s' is not an interface name (1..15 of [A-Za-z0-9-_.], "
				    "optionally %%d)",
				    s);
			strcpy(c->tun_name, s);
		} else if (strcmp(key, "mtu") == 0) {
			if (get_uint(pc, v, "tun.mtu", 1280, 65535, &n) < 0)
				return -EINVAL;
			c->tun_mtu = (unsigned)n;
		} else {
			char field[64];

			snprintf(field, sizeof(field), "tun.%s", key);
			return fail(pc, field, "unknown field");
		}
	}
	return 0;
}

/* "links": {"keepalive_ms", "dead_ms", "idle_close_ms"} (transport/link.h). */
static int parse_links(const struct parse_ctx *pc, json_t *o, struct daemon_config *c)
{
	static const struct {
		const char *key;
		uint64_t min, max;
	} f[3] = {{"keepalive_ms", 100, 60000},
		  {"dead_ms", 300, 600000},
		  {"idle_close_ms", 1000, 86400000}};
	uint32_t *out[3] = {&c->link_keepalive_ms, &c->link_dead_ms, &c->link_idle_close_ms};
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return fail(pc, "links",
			    "expected an object {keepalive_ms, dead_ms, idle_close_ms}");
	json_object_foreach(o, key, v)
	{
		char field[64];
		unsigned i;
		uint64_t n;

		for (i = 0; i < 3 && strcmp(key, f[i].key) != 0; i++)
			;
		snprintf(field, sizeof(field), "links.%s", key);
		if (i == 3)
			return fail(pc, field, "unknown field");
		if (get_uint(pc, v, field, f[i].min, f[i].max, &n) < 0)
			return -EINVAL;
		*out[i] = (uint32_t)n;
	}
	/* A link must miss at least three keepalives before it counts as dead,
	 * and an idle link outlives a dead one. */
	if (c->link_dead_ms < 3 * c->link_keepalive_ms)
		return fail(pc, "links.dead_ms", "%u is less than three keepalives (%u ms)",
			    c->link_dead_ms, 3 * c->link_keepalive_ms);
	if (c->link_idle_close_ms <= c->link_dead_ms)
		return fail(pc, "links.idle_close_ms", "%u is not longer than dead_ms (%u)",
			    c->link_idle_close_ms, c->link_dead_ms);
	return 0;
}

static void set_defaults(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->state_dir, CONFIG_DEFAULT_STATE_DIR);
	c->log_level = LOG_LEVEL_NOTICE;
	c->admin_max_body = 64 * 1024;
	c->record_lifetime_s = CONFIG_DEFAULT_LIFETIME_S;
	config_parse_hostport(CONFIG_DEFAULT_ADMIN_TCP, &c->admin_tcp_addr, &c->admin_tcp_v4,
			      &c->admin_tcp_port);
	c->admin_tcp_enabled = true;
	c->tun_enabled = true;
	strcpy(c->tun_name, CONFIG_DEFAULT_TUN_NAME);
	c->tun_mtu = CONFIG_DEFAULT_TUN_MTU;
	c->link_keepalive_ms = LINK_PING_MS;
	c->link_dead_ms = LINK_DEAD_MS;
	c->link_idle_close_ms = LINK_IDLE_CLOSE_MS;
}

static int parse_top(const struct parse_ctx *pc, json_t *root, struct daemon_config *c,
		     char *unix_rel, size_t rel_cap)
{
	const char *key, *s = NULL;
	json_t *v;
	uint64_t n = 0;

	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "state_dir") == 0) {
			if (parse_path(pc, v, "state_dir", c->state_dir, sizeof(c->state_dir),
				       NULL) < 0)
				return -EINVAL;
		} else if (strcmp(key, "log_level") == 0) {
			if (get_string(pc, v, "log_level", &s) < 0)
				return -EINVAL;
			if (log_level_parse(s, &c->log_level) < 0)
				return fail(pc, "log_level",
					    "'%s' is not err, warn, notice, info or debug", s);
		} else if (strcmp(key, "admin") == 0) {
			if (parse_admin(pc, v, c, unix_rel, rel_cap) < 0)
				return -EINVAL;
		} else if (strcmp(key, "listen") == 0) {
			if (parse_listen(pc, v, c) < 0)
				return -EINVAL;
		} else if (strcmp(key, "tun") == 0) {
			if (parse_tun(pc, v, c) < 0)
				return -EINVAL;
		} else if (strcmp(key, "peers") == 0) {
			if (parse_peers(pc, v, c) < 0)
				return -EINVAL;
		} else if (strcmp(key, "links") == 0) {
			if (parse_links(pc, v, c) < 0)
				return -EINVAL;
		} else if (strcmp(key, "record_lifetime_s") == 0) {
			if (get_uint(pc, v, "record_lifetime_s", CONFIG_LIFETIME_MIN_S,
				     CONFIG_LIFETIME_MAX_S, &n) < 0)
				return -EINVAL;
			c->record_lifetime_s = (uint32_t)n;
		} else {
			return fail(pc, key, "unknown field");
		}
	}
	return 0;
}

static int apply_overrides(struct daemon_config *c, const struct config_overrides *ov, char *err,
			   size_t err_cap)
{
	if (!ov)
		return 0;
	if (ov->state_dir) {
		if (ov->state_dir[0] != '/' || strlen(ov->state_dir) >= sizeof(c->state_dir)) {
			snprintf(err, err_cap, "--state-dir '%s' must be an absolute path",
				 ov->state_dir);
			return -EINVAL;
		}
		strcpy(c->state_dir, ov->state_dir);
	}
	if (ov->log_level && log_level_parse(ov->log_level, &c->log_level) < 0) {
		snprintf(err, err_cap, "--log-level '%s' is not err, warn, notice, info or debug",
			 ov->log_level);
		return -EINVAL;
	}
	return 0;
}

int daemon_config_parse(const char *text, size_t len, const char *name,
			const struct config_overrides *ov, struct daemon_config **out_cfg,
			char *err, size_t err_cap)
{
	struct parse_ctx pc = {text, len, name, err, err_cap};
	struct daemon_config *c;
	char unix_rel[128] = CONFIG_DEFAULT_ADMIN_SOCK;
	char perr[384];
	json_t *root = NULL;
	int r, n;

	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	set_defaults(c);
	if (text) {
		r = jsonx_parse_object(text, len, &root, perr, sizeof(perr));
		if (r < 0) {
			snprintf(err, err_cap, "%s:%s", name, perr);
			goto err;
		}
		r = parse_top(&pc, root, c, unix_rel, sizeof(unix_rel));
		if (r < 0)
			goto err;
	}
	r = apply_overrides(c, ov, err, err_cap);
	if (r < 0)
		goto err;
	if (unix_rel[0] == '\0') {
		c->admin_unix[0] = '\0';
	} else {
		n = unix_rel[0] == '/'
			? snprintf(c->admin_unix, sizeof(c->admin_unix), "%s", unix_rel)
			: snprintf(c->admin_unix, sizeof(c->admin_unix), "%s/%s", c->state_dir,
				   unix_rel);
		/* sockaddr_un.sun_path holds 108 bytes including the NUL. */
		if (n < 0 || n >= 108) {
			snprintf(err, err_cap,
				 "%s: admin.unix_socket: '%s' is longer than 107 bytes", name,
				 c->admin_unix);
			r = -EINVAL;
			goto err;
		}
	}
	json_decref(root);
	*out_cfg = c;
	return 0;
err:
	json_decref(root);
	free(c);
	return r;
}

int daemon_config_load(const char *path, const struct config_overrides *ov,
		       struct daemon_config **out_cfg, char *err, size_t err_cap)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int r;

	if (!path && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (!path) {
		r = daemon_config_parse(NULL, 0, "(defaults)", ov, out_cfg, err, err_cap);
		if (r == 0)
			(*out_cfg)->path[0] = '\0';
		return r;
	}
	r = fs_read_file(path, CONFIG_FILE_MAX_LEN, &text, &len);
	if (r < 0) {
		snprintf(err, err_cap, "Failed to read config '%s': %s", path,
			 r == -EFBIG ? "larger than 256 KiB" : strerror(-r));
		return r;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, err_cap, "%s: contains a NUL byte", path);
		free(text);
		return -EINVAL;
	}
	r = daemon_config_parse((const char *)text, len, path, ov, out_cfg, err, err_cap);
	free(text);
	if (r == 0 && snprintf((*out_cfg)->path, sizeof((*out_cfg)->path), "%s", path) >=
			  (int)sizeof((*out_cfg)->path)) {
		free(*out_cfg);
		snprintf(err, err_cap, "config path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	return r;
}
