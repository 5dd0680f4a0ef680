/* daemon/services.h - the "services" subsystem (services.c): named services
 * and forwarded ports (routing/service.h) wired into vx6d. The tables live
 * in <state_dir>/services.json and forwards.json (atomic writes); each
 * service is published as a signed service record "NODENAME.NAME". The
 * JSON forms (services_json.c) are shared by the state files and the admin
 * API, so both accept and refuse the same things with the same messages.
 */
#ifndef VX6_DAEMON_SERVICES_H
#define VX6_DAEMON_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct daemon;
struct link;
struct svc_service;
struct svc_forward;

#define SERVICES_FILE "services.json"
#define FORWARDS_FILE "forwards.json"

/* Link hooks from daemon/links.c; no-ops while the subsystem is down. */
int daemon_services_stream_open(struct daemon *d, struct link *l, uint64_t sid, uint8_t kind);
void daemon_services_stream_data(struct daemon *d, struct link *l, uint64_t sid, const uint8_t *buf,
				 size_t len, bool fin);
void daemon_services_stream_reset(struct daemon *d, struct link *l, uint64_t sid, uint32_t code);
void daemon_services_stream_writable(struct daemon *d, struct link *l, uint64_t sid);
void daemon_services_link_up(struct daemon *d, struct link *l);
void daemon_services_link_down(struct daemon *d, struct link *l);

/* Parse one service {"name", "target", "allow": [ID|KEY...], "visibility"}
 * or one forward {"service", "listen"[, "node", "addr", "transport"]}. On
 * failure write "<field>: <reason>" into `err` and return -EINVAL. */
int services_svc_from_json(const json_t *o, struct svc_service *out, char *err, size_t cap);
int services_fwd_from_json(const json_t *o, struct svc_forward *out, char *err, size_t cap);
json_t *services_svc_to_json(const struct svc_service *s);
json_t *services_fwd_to_json(const struct svc_forward *f);

/* Admin API operations (api_services.c). Return 0 or -errno with a
 * message in `err`: -EINVAL (400), -ENOENT (404), -EEXIST (409), -ENOSPC
 * (507), other (500). */
int daemon_services_set(struct daemon *d, const struct svc_service *s, char *err, size_t cap);
int daemon_services_remove(struct daemon *d, const char *name, char *err, size_t cap);
int daemon_forwards_add(struct daemon *d, const struct svc_forward *f, char *err, size_t cap);
int daemon_forwards_remove(struct daemon *d, uint16_t port, char *err, size_t cap);
json_t *daemon_services_json(struct daemon *d);
/* With `with_stats`, each forward also has "accepted", "refused" and
 * "active" (connections); the state file has none. */
json_t *daemon_forwards_json(struct daemon *d, bool with_stats);

#endif /* VX6_DAEMON_SERVICES_H */
