/* daemon/main.c - vx6d: parse the command line, load the config, start the
 * subsystems, run the one event loop, and stop cleanly on SIGTERM/SIGINT.
 * SIGHUP reloads the config. Startup errors are printed once, as one line
 * "vx6d: <reason>", and exit 1; usage errors exit 2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "daemon/daemon.h"
#include "lib/log.h"
#include "lib/secure.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vx6d [--config FILE] [--state-dir DIR] [--log-level LEVEL]\n"
		   "            [--check-config] [--version] [--help]\n"
		   "\n"
		   "  -c, --config FILE      config file (default " CONFIG_DEFAULT_PATH
		   " if present)\n"
		   "  -s, --state-dir DIR    state directory (default " CONFIG_DEFAULT_STATE_DIR ")\n"
		   "  -l, --log-level LEVEL  err, warn, notice, info or debug\n"
		   "  -n, --check-config     validate the config and exit\n"
		   "  -V, --version          print the version and exit\n");
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (d->stopping)
		return;
	d->stopping = true;
	log_notice(LD_GENERAL, "Received %s; shutting down", strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	event_base_loopexit(d->base, NULL);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)sig;
	(void)what;
	sd_notify(0, "RELOADING=1");
	daemon_reload(d);
	sd_notify(0, "READY=1");
}

/* libevent's own messages go through our log (never straight to stderr,
 * where a startup error must be exactly one line). */
static void on_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_err(LD_GENERAL, "libevent: %s", msg);
	else
		log_debug(LD_GENERAL, "libevent: %s", msg);
}

static int parse_args(int argc, char **argv, struct daemon *d, bool *out_check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:s:l:nVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->config_path = optarg;
			break;
		case 's':
			d->ov.state_dir = optarg;
			break;
		case 'l':
			d->ov.log_level = optarg;
			break;
		case 'n':
			*out_check = true;
			break;
		case 'V':
			printf("vx6d %s\n", VX6_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "vx6d: option '%s' needs a value; see 'vx6d --help'\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "vx6d: unknown option '%s'; see 'vx6d --help'\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vx6d: unexpected argument '%s'; see 'vx6d --help'\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int add_signal(struct daemon *d, struct event **ev, int sig, event_callback_fn fn)
{
	*ev = evsignal_new(d->base, sig, fn, d);
	return *ev && event_add(*ev, NULL) == 0 ? 0 : -ENOMEM;
}

static void free_signals(struct daemon *d)
{
	struct event **evs[] = { &d->sig_term, &d->sig_int, &d->sig_hup };

	for (unsigned i = 0; i < 3; i++) {
		if (*evs[i])
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
}

int main(int argc, char **argv)
{
	struct daemon d = { .lock_fd = -1, .config_generation = 1 };
	char err[1024];
	bool check_only = false;
	int r, status = 1;

	log_init("vx6d");
	event_set_log_callback(on_libevent_log);
	if (parse_args(argc, argv, &d, &check_only) < 0)
		return 2;
	if (sec_init() < 0) {
		fprintf(stderr, "vx6d: Failed to initialize libsodium\n");
		return 1;
	}
	r = daemon_config_load(d.config_path, &d.ov, &d.cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "vx6d: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("%s: OK\n", d.cfg->path[0] ? d.cfg->path : "(defaults)");
		free(d.cfg);
		return 0;
	}
	log_set_level(d.cfg->log_level);
	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	if (!d.base || add_signal(&d, &d.sig_term, SIGTERM, on_stop_signal) < 0 ||
	    add_signal(&d, &d.sig_int, SIGINT, on_stop_signal) < 0 ||
	    add_signal(&d, &d.sig_hup, SIGHUP, on_hup) < 0) {
		fprintf(stderr, "vx6d: Failed to set up the event loop\n");
		goto out;
	}
	r = daemon_start(&d, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "vx6d: %s\n", err);
		goto out;
	}
	{
		char id[NODE_ID_STR_LEN + 1], addr[INET6_ADDRSTRLEN];

		node_id_to_str(&d.ident.id, id);
		inet_ntop(AF_INET6, &d.ident.addr, addr, sizeof(addr));
		log_notice(LD_GENERAL, "vx6d %s ready: node '%s' id %s address %s", VX6_VERSION,
			   d.ident.name, id, addr);
		sd_notifyf(0, "READY=1\nSTATUS=node %s (%s)\nMAINPID=%ld", d.ident.name, addr,
			   (long)getpid());
	}
	if (event_base_dispatch(d.base) < 0) {
		log_err(LD_GENERAL, "Failed to run the event loop");
		daemon_stop(&d);
		goto out;
	}
	daemon_stop(&d);
	log_notice(LD_GENERAL, "vx6d stopped");
	status = 0;
out:
	free_signals(&d);
	if (d.base)
		event_base_free(d.base);
	free(d.cfg);
	return status;
}
