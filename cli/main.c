/* cli/main.c - `vx6`, the command-line tool: the command table and main().
 * Everything else is in the vx6_cli library (cli.h, cmd.h), so tests can run
 * whole command lines. Commands talk to vx6d only through its admin API. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmd.h"

static const struct cli_cmd commands[] = {
    {"init", "create this node's identity (works without vx6d)", cmd_init_main},
    {"identity", "show this node's identity: 'vx6 identity show'", cmd_identity_main},
    {"status", "show what the running vx6d reports", cmd_status_main},
    {"version", "print the versions of vx6 and of the running vx6d", cmd_version_main},
    {"peer", "add, remove or list the peers vx6d keeps links to", cmd_peer_main},
    {"links", "show every peer link with its counters", cmd_links_main},
    {"peers", "list the nodes this one knows, with their link state", cmd_peers_main},
    {"resolve", "find a node's signed record (registry, then DHT)", cmd_resolve_main},
    {"ping", "ping a peer over its link (loss, RTT)", cmd_ping_main},
    {"bench", "send bytes to a peer over a link stream, check SHA-256", cmd_bench_main},
    {"service", "add, remove or list the services this node publishes", cmd_service_main},
    {"group", "add, remove or list groups of nodes for allow lists", cmd_group_main},
    {"connect", "forward a local port to a named service", cmd_connect_main},
    {"forwards", "list or remove forwarded ports", cmd_forwards_main},
};

int main(int argc, char **argv)
{
	return cli_run(commands, sizeof(commands) / sizeof(commands[0]), argc, argv, stdout,
		       stderr);
}
