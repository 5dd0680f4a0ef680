/* lib/log.h - leveled logging by area, to stderr or to the systemd journal.
 *
 * lib/, the wire codecs and policy evaluation never log above debug: the
 * caller that acts on an error logs it, once (STYLE.md "Logging"). Messages
 * follow "Failed to <verb> <thing> '<value>': <reason>". Never pass a secret.
 */
#ifndef VX6_LIB_LOG_H
#define VX6_LIB_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_NOTICE = 2,
	LOG_LEVEL_INFO = 3,
	LOG_LEVEL_DEBUG = 4,
};

enum log_domain {
	LD_GENERAL = 0,
	LD_CONFIG,
	LD_ADMIN,
	LD_IDENTITY,
	LD_LINK,
	LD_TCP,
	LD_QUIC,
	LD_DHT,
	LD_ROUTE,
	LD_RELAY,
	LD_HS,
	LD_TUN,
	LD_POLICY,
	LD_BPF,
	LD__COUNT
};

/* Set the most verbose level that is emitted. Default LOG_LEVEL_NOTICE. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parse "err|warn|notice|info|debug" into *out_level. Return 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *out_level);
const char *log_level_name(enum log_level level);
const char *log_domain_name(enum log_domain domain);

/* Send messages to the journal (true) or to stderr (false). log_init() picks
 * the journal when $JOURNAL_STREAM says stderr is connected to it. */
void log_use_journal(bool on);
void log_init(const char *ident);

bool log_is_enabled(enum log_level level);

void log_msg(enum log_level level, enum log_domain domain, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(d, ...)	   log_msg(LOG_LEVEL_ERR, d, __VA_ARGS__)
#define log_warn(d, ...)   log_msg(LOG_LEVEL_WARN, d, __VA_ARGS__)
#define log_notice(d, ...) log_msg(LOG_LEVEL_NOTICE, d, __VA_ARGS__)
#define log_info(d, ...)   log_msg(LOG_LEVEL_INFO, d, __VA_ARGS__)
#define log_debug(d, ...)                                                                         \
	do {                                                                                      \
		if (log_is_enabled(LOG_LEVEL_DEBUG))                                              \
			log_msg(LOG_LEVEL_DEBUG, d, __VA_ARGS__);                                 \
	} while (0)

/* A token bucket for peer-triggered messages: at most `burst` messages, then
 * one per `interval_ms`. Embed one per message site (static is fine: the
 * daemon is single-threaded). */
struct log_ratelim {
	uint64_t interval_ms;
	uint32_t burst;
	uint32_t tokens;
	uint64_t last_ms;
	uint64_t suppressed;
};

#define LOG_RATELIM_INIT(interval_ms_, burst_)                                                   \
	{ .interval_ms = (interval_ms_), .burst = (burst_), .tokens = (burst_) }

/* Return true if a message may be emitted now. Counts suppressed messages. */
bool log_ratelim_allow(struct log_ratelim *rl, uint64_t now_ms);

#endif /* VX6_LIB_LOG_H */
