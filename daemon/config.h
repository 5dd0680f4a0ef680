/* daemon/config.h - vx6d's JSON configuration: load, validate, defaults.
 *
 * A config is parsed and validated completely off to the side into a new
 * struct daemon_config; the daemon swaps it in only when it is valid, so a
 * bad file on SIGHUP leaves the running config untouched. Every error names
 * the file, the line and column of the offending value, and the field
 * ("/etc/vx6/vx6d.json:4:15: admin.listen: '8.8.8.8:80' is not a loopback
 * address"). Schema and defaults: docs/operations.md "Configuration".
 */
#ifndef VX6_DAEMON_CONFIG_H
#define VX6_DAEMON_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "daemon/peer_entry.h"
#include "lib/log.h"

#define CONFIG_DEFAULT_PATH	  "/etc/vx6/vx6d.json"
#define CONFIG_DEFAULT_STATE_DIR  "/var/lib/vx6"
#define CONFIG_DEFAULT_ADMIN_SOCK "admin.sock"
#define CONFIG_DEFAULT_ADMIN_TCP  "127.0.0.1:7600"
#define CONFIG_FILE_MAX_LEN	  (256 * 1024)
#define CONFIG_LISTEN_MAX	  8
#define CONFIG_PEERS_MAX	  64
#define CONFIG_LIFETIME_MIN_S	  60u
#define CONFIG_LIFETIME_MAX_S	  (30u * 24 * 3600)
#define CONFIG_DEFAULT_LIFETIME_S 86400u
#define CONFIG_DEFAULT_TUN_NAME	  "vx6"
#define CONFIG_DEFAULT_TUN_MTU	  1400u /* TP_DATAGRAM_MAX: every transport carries it */

struct config_listen {
	struct in6_addr addr; /* :: means every address; not advertised */
	uint16_t port;
	uint8_t transport; /* enum record_transport */
};

struct daemon_config {
	char path[PATH_MAX];	  /* file it came from; "" for built-in defaults */
	char state_dir[PATH_MAX]; /* absolute */
	enum log_level log_level;
	char admin_unix[PATH_MAX]; /* absolute path; "" disables the unix socket */
	bool admin_tcp_enabled;
	struct in6_addr admin_tcp_addr; /* loopback only; v4 as ::ffff:127.x */
	bool admin_tcp_v4;
	uint16_t admin_tcp_port;
	uint32_t admin_max_body; /* bytes */
	unsigned n_listen;
	struct config_listen listen[CONFIG_LISTEN_MAX];
	unsigned n_peers; /* peers to keep a link to, from the file */
	struct peer_entry peers[CONFIG_PEERS_MAX];
	uint32_t record_lifetime_s;
	bool tun_enabled;	    /* create the TUN device (needs CAP_NET_ADMIN) */
	char tun_name[16];	    /* interface name; "%d" picks a free number */
	unsigned tun_mtu;	    /* overlay MTU; default fits every transport */
	uint32_t link_keepalive_ms; /* link timers (transport/link.h); defaults LINK_*_MS */
	uint32_t link_dead_ms;
	uint32_t link_idle_close_ms;
};

/* Command-line values that override the file, re-applied on every reload. */
struct config_overrides {
	const char *state_dir; /* NULL: from the file or default */
	const char *log_level; /* NULL: from the file or default */
};

/* Load the config at `path` (NULL: CONFIG_DEFAULT_PATH if it exists, else
 * built-in defaults), apply `ov`, and validate. On success store a new
 * config (caller frees with free()) in *out_cfg. On failure write a
 * one-line message into `err` and return -ENOENT (named file missing),
 * -EINVAL (syntax or schema), -EFBIG, or another negative errno. */
int daemon_config_load(const char *path, const struct config_overrides *ov,
		       struct daemon_config **out_cfg, char *err, size_t err_cap);

/* Parse config text (the fuzz and unit tests enter here); NULL `text` gives
 * the built-in defaults. `name` labels error messages. Same contract as daemon_config_load(). */
int daemon_config_parse(const char *text, size_t len, const char *name,
			const struct config_overrides *ov, struct daemon_config **out_cfg,
			char *err, size_t err_cap);

/* Parse "A.B.C.D:PORT" or "[V6]:PORT". Return 0 or -EINVAL. */
int config_parse_hostport(const char *s, struct in6_addr *out_addr, bool *out_v4,
			  uint16_t *out_port);

#endif /* VX6_DAEMON_CONFIG_H */
