/* cli/cmd.h - the vx6 commands, one file each (cmd_<name>.c), in the manner
 * of wireguard-tools' subcommands.h.
 *
 * Each command has a `_main` for the dispatch table in main.c and a
 * `_parse` that only parses, so tests can check every usage error (text
 * and exit code) without running anything. Parsers print help to ctx->out
 * and one-line usage errors to ctx->err; they may set ctx->json and (init)
 * ctx->state_dir. Parsed strings are borrowed from argv.
 */
#ifndef VX6_CLI_CMD_H
#define VX6_CLI_CMD_H

#include <stdbool.h>

#include "cli/cli.h"

struct identity;

struct cmd_init_args {
	const char *name;    /* required; [a-z0-9-], 1..63 characters */
	const char *network; /* default OVERLAY_DEFAULT_NET */
	bool force;	     /* replace an existing identity */
};

/* vx6 init --name NAME [--network NETWORK] [--state-dir DIR] [--force] */
enum cli_parse cmd_init_parse(struct cli_ctx *ctx, int argc, char **argv,
			      struct cmd_init_args *out);
int cmd_init_main(struct cli_ctx *ctx, int argc, char **argv);

/* vx6 identity show [--json] */
enum cli_parse cmd_identity_parse(struct cli_ctx *ctx, int argc, char **argv);
int cmd_identity_main(struct cli_ctx *ctx, int argc, char **argv);

/* Print the public half of `id` on ctx->out: name, network, node ID, public
 * key and overlay address, as aligned lines or (ctx->json) one JSON object.
 * Return 0 or -ENOMEM. */
int cmd_identity_print(const struct cli_ctx *ctx, const struct identity *id);

/* vx6 status [--json] */
enum cli_parse cmd_status_parse(struct cli_ctx *ctx, int argc, char **argv);
int cmd_status_main(struct cli_ctx *ctx, int argc, char **argv);

/* vx6 version [--json] */
enum cli_parse cmd_version_parse(struct cli_ctx *ctx, int argc, char **argv);
int cmd_version_main(struct cli_ctx *ctx, int argc, char **argv);

struct cmd_peer_args {
	const char *verb;      /* add | remove | list */
	const char *node;      /* add: public key; remove: key or node ID */
	const char *endpoint;  /* add: [IPV6]:PORT */
	const char *transport; /* add: tcp | quic; NULL = tcp */
};

/* vx6 peer add NODE_KEY --endpoint [IPV6]:PORT [--transport tcp|quic]
 * vx6 peer remove NODE | vx6 peer list [--json] */
enum cli_parse cmd_peer_parse(struct cli_ctx *ctx, int argc, char **argv,
			      struct cmd_peer_args *out);
int cmd_peer_main(struct cli_ctx *ctx, int argc, char **argv);

/* vx6 links [--json] */
int cmd_links_main(struct cli_ctx *ctx, int argc, char **argv);

struct cmd_probe_args {
	const char *node;
	unsigned long count, size, interval_ms; /* ping */
	unsigned long long bytes;		/* bench */
};

/* vx6 ping NODE [--count N] [--size BYTES] [--interval MS] [--json] */
enum cli_parse cmd_ping_parse(struct cli_ctx *ctx, int argc, char **argv,
			      struct cmd_probe_args *out);
int cmd_ping_main(struct cli_ctx *ctx, int argc, char **argv);

/* vx6 bench NODE [--bytes N[K|M|G]] [--json] */
enum cli_parse cmd_bench_parse(struct cli_ctx *ctx, int argc, char **argv,
			       struct cmd_probe_args *out);
int cmd_bench_main(struct cli_ctx *ctx, int argc, char **argv);

/* vx6 resolve NODE_ID|PUBLIC_KEY|NAME [--json]; vx6 peers [--json] */
int cmd_resolve_main(struct cli_ctx *ctx, int argc, char **argv);
int cmd_peers_main(struct cli_ctx *ctx, int argc, char **argv);

#define CMD_SERVICE_ALLOW_MAX 32

/* Arguments of `vx6 service`, `vx6 connect` and `vx6 forwards`. */
struct cmd_service_args {
	const char *pos[3]; /* positionals: verb and name, or the service name */
	unsigned n_pos;
	const char *target, *listen, *addr, *node, *transport;
	const char *allow[CMD_SERVICE_ALLOW_MAX];
	unsigned n_allow;
	bool private_;
};

/* vx6 service add NAME --target ADDR:PORT [--allow NODE|@GROUP ...] [--private]
 * vx6 service remove NAME | vx6 service list [--json] */
enum cli_parse cmd_service_parse(struct cli_ctx *ctx, int argc, char **argv,
				 struct cmd_service_args *out);
int cmd_service_main(struct cli_ctx *ctx, int argc, char **argv);
/* vx6 connect NODENAME.NAME --listen 127.0.0.1:PORT
 * vx6 connect --addr [IPV6]:PORT --node NODE_KEY NAME --listen ... */
enum cli_parse cmd_connect_parse(struct cli_ctx *ctx, int argc, char **argv,
				 struct cmd_service_args *out);
int cmd_connect_main(struct cli_ctx *ctx, int argc, char **argv);
/* vx6 forwards [--json] | vx6 forwards remove PORT */
enum cli_parse cmd_forwards_parse(struct cli_ctx *ctx, int argc, char **argv,
				  struct cmd_service_args *out);
int cmd_forwards_main(struct cli_ctx *ctx, int argc, char **argv);

#define CMD_GROUP_NODES_MAX 32

/* Arguments of `vx6 group`. */
struct cmd_group_args {
	const char *verb; /* add | remove | list */
	const char *name; /* the group, without '@' */
	const char *nodes[CMD_GROUP_NODES_MAX];
	unsigned n_nodes;
};

/* vx6 group add NAME NODE... | vx6 group remove NAME [NODE...]
 * vx6 group list [--json] */
enum cli_parse cmd_group_parse(struct cli_ctx *ctx, int argc, char **argv,
			       struct cmd_group_args *out);
int cmd_group_main(struct cli_ctx *ctx, int argc, char **argv);

#endif /* VX6_CLI_CMD_H */
