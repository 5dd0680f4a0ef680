/* daemon/api_services.c - /api/v1/services and /api/v1/forwards
 * (docs/admin-api.md "Services", "Forwards"): the JSON forms and checks of
 * daemon/services_json.c, the operations of daemon/services.c, and the
 * errno-to-status mapping they share with api_groups.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/admin.h"
#include "daemon/api.h"
#include "daemon/daemon.h"
#include "daemon/services.h"
#include "routing/service.h"

int api_errno_status(int r)
{
	switch (r) {
	case -EINVAL:
		return 400;
	case -ENOENT:
		return 404;
	case -EEXIST:
	case -EADDRINUSE:
	case -EMLINK:
		return 409;
	case -ENOSPC:
		return 507;
	case -ENOTCONN:
		return 503;
	default:
		return 500;
	}
}

void api_services_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	(void)tail;
	admin_reply_json(req, 200, json_pack("{s:o}", "services", daemon_services_json(d)));
}

void api_services_post(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *body = admin_read_json_body(req);
	struct services_def s;
	char err[256];
	int r;

	(void)tail;
	if (!body)
		return;
	r = services_svc_from_json(body, &s, err, sizeof(err));
	json_decref(body);
	if (r == 0)
		r = daemon_services_set(d, &s, err, sizeof(err));
	if (r < 0) {
		admin_reply_error(req, api_errno_status(r), "%s", err);
		return;
	}
	admin_reply_json(req, 201, services_svc_to_json(&s));
}

void api_services_delete(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	char err[256];
	int r = daemon_services_remove(d, tail, err, sizeof(err));

	if (r < 0) {
		admin_reply_error(req, api_errno_status(r), "%s", err);
		return;
	}
	admin_reply_json(req, 200, json_pack("{s:s}", "removed", tail));
}

void api_forwards_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	(void)tail;
	admin_reply_json(req, 200, json_pack("{s:o}", "forwards", daemon_forwards_json(d, true)));
}

void api_forwards_post(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *body = admin_read_json_body(req);
	struct svc_forward f;
	char err[256];
	int r;

	(void)tail;
	if (!body)
		return;
	r = services_fwd_from_json(body, &f, err, sizeof(err));
	json_decref(body);
	if (r == 0 && f.direct && memcmp(f.pk, d->ident.pk, sizeof(f.pk)) == 0) {
		snprintf(err, sizeof(err), "node: that is this node's own key");
		r = -EINVAL;
	}
	if (r == 0)
		r = daemon_forwards_add(d, &f, err, sizeof(err));
	if (r < 0) {
		admin_reply_error(req, api_errno_status(r), "%s", err);
		return;
	}
	admin_reply_json(req, 201, services_fwd_to_json(&f));
}

void api_forwards_delete(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	char err[256], *end;
	unsigned long port = strtoul(tail, &end, 10);
	int r;

	if (!tail[0] || *end || port == 0 || port > 65535) {
		admin_reply_error(req, 400, "'%.20s' is not a port number", tail);
		return;
	}
	r = daemon_forwards_remove(d, (uint16_t)port, err, sizeof(err));
	if (r < 0) {
		admin_reply_error(req, api_errno_status(r), "%s", err);
		return;
	}
	admin_reply_json(req, 200, json_pack("{s:i}", "removed", (int)port));
}
