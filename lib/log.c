/* lib/log.c - leveled logging to stderr or the journal. Owns only the
 * process-wide level and sink; no policy about what is logged. */
#include "lib/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-journal.h>

static enum log_level cur_level = LOG_LEVEL_NOTICE;
static bool to_journal;
static const char *log_ident = "vx6";

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "err",	 [LOG_LEVEL_WARN] = "warn", [LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
};

static const char *const domain_names[LD__COUNT] = {
	[LD_GENERAL] = "general", [LD_CONFIG] = "config", [LD_ADMIN] = "admin",
	[LD_IDENTITY] = "identity", [LD_LINK] = "link",	   [LD_TCP] = "tcp",
	[LD_QUIC] = "quic",	    [LD_DHT] = "dht",	   [LD_ROUTE] = "route",
	[LD_RELAY] = "relay",	    [LD_HS] = "hs",	   [LD_TUN] = "tun",
	[LD_POLICY] = "policy",	    [LD_BPF] = "bpf",
};

static const int syslog_prio[] = {
	[LOG_LEVEL_ERR] = LOG_ERR,	 [LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_NOTICE] = LOG_NOTICE, [LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

int log_level_parse(const char *name, enum log_level *out_level)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out_level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

const char *log_domain_name(enum log_domain domain)
{
	if ((unsigned)domain >= LD__COUNT)
		return "?";
	return domain_names[domain];
}

void log_use_journal(bool on)
{
	to_journal = on;
}

void log_init(const char *ident)
{
	log_ident = ident;
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
	to_journal = getenv("JOURNAL_STREAM") != NULL;
}

bool log_is_enabled(enum log_level level)
{
	return level <= cur_level;
}

void log_msg(enum log_level level, enum log_domain domain, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_is_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (to_journal) {
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", syslog_prio[level],
				"SYSLOG_IDENTIFIER=%s", log_ident, "VX6_AREA=%s",
				log_domain_name(domain), NULL);
		return;
	}

	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s [%s] %s: %s\n", stamp, ts.tv_nsec / 1000000, log_ident,
		log_level_name(level), log_domain_name(domain), msg);
}

bool log_ratelim_allow(struct log_ratelim *rl, uint64_t now_ms)
{
	if (rl->interval_ms && now_ms - rl->last_ms >= rl->interval_ms) {
		uint64_t refill = (now_ms - rl->last_ms) / rl->interval_ms;

		rl->tokens = refill >= rl->burst ? rl->burst : rl->tokens + (uint32_t)refill;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	return true;
}
