/* daemon/admin.c - the "admin" subsystem: the HTTP listener, bearer-token
 * authentication, request caps and routing to daemon/api_*.c handlers.
 *
 * The API listens on a unix socket (0600) and on a loopback address only;
 * config validation refuses anything else. Authentication compares the
 * presented token in constant time. libevent's evhttp enforces the header
 * byte and body caps (431/413) and the idle timeout; we add the header
 * count cap and the route table. No handler runs before authentication.
 */
#include "daemon/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/queue.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/daemon.h"
#include "lib/encode.h"
#include "lib/fs.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/secure.h"

struct admin_server {
	struct evhttp *http;
	char unix_path[108];
	char token[HEX_LEN(ADMIN_TOKEN_LEN) + 1]; /* secret; wiped at shutdown */
	uint64_t requests;
	uint64_t unauthorized;
};

void admin_reply_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *out = evbuffer_new();
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	if (out && text) {
		evbuffer_add(out, text, strlen(text));
		evbuffer_add(out, "\n", 1);
		evhttp_send_reply(req, status, NULL, out);
	} else {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	}
	free(text);
	if (out)
		evbuffer_free(out);
	json_decref(body);
}

void admin_reply_error(struct evhttp_request *req, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* json_pack "s" copies the string; "o" steals the inner object. */
	admin_reply_json(req, status,
			 json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", msg));
}

json_t *admin_read_json_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char err[256];
	json_t *root;
	char *text;

	if (len == 0) {
		admin_reply_error(req, 400, "request body must be a JSON object");
		return NULL;
	}
	if (len > ADMIN_JSON_BODY_MAX) {
		admin_reply_error(req, 413, "request body is larger than %d bytes",
				  ADMIN_JSON_BODY_MAX);
		return NULL;
	}
	text = (char *)evbuffer_pullup(in, (ev_ssize_t)len);
	if (!text || memchr(text, '\0', len)) {
		admin_reply_error(req, 400, "request body contains a NUL byte");
		return NULL;
	}
	if (jsonx_parse_object(text, len, &root, err, sizeof(err)) < 0) {
		admin_reply_error(req, 400, "invalid JSON body: %s", err);
		return NULL;
	}
	return root;
}

static bool is_authorized(const struct admin_server *as, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req),
					   "Authorization");
	const size_t tl = HEX_LEN(ADMIN_TOKEN_LEN);

	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	if (strlen(h) != tl)
		return false;
	return sec_equal(h, as->token, tl);
}

static unsigned count_headers(struct evhttp_request *req)
{
	struct evkeyvalq *hs = evhttp_request_get_input_headers(req);
	struct evkeyval *kv;
	unsigned n = 0;

	TAILQ_FOREACH (kv, hs, next)
		n++;
	return n;
}

static const char *method_name(unsigned m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "?";
	}
}

static void route(struct daemon *d, struct evhttp_request *req, const char *path)
{
	unsigned method = (unsigned)evhttp_request_get_command(req);
	char allow[64] = "";
	bool path_known = false;

	for (const struct admin_route *rt = admin_routes; rt->path; rt++) {
		size_t pl = strlen(rt->path);
		bool prefix = rt->path[pl - 1] == '/';
		const char *tail;

		if (prefix ? strncmp(path, rt->path, pl) != 0 || path[pl] == '\0'
			   : strcmp(path, rt->path) != 0)
			continue;
		tail = prefix ? path + pl : "";
		if (prefix && strchr(tail, '/'))
			continue;
		path_known = true;
		if (rt->method == method) {
			rt->fn(d, req, tail);
			return;
		}
		if (!strstr(allow, method_name(rt->method)))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
				 allow[0] ? ", " : "", method_name(rt->method));
	}
	if (!path_known) {
		admin_reply_error(req, 404, "no such endpoint");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	admin_reply_error(req, 405, "method not allowed; allowed: %s", allow);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct daemon *d = arg;
	struct admin_server *as = d->admin;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	as->requests++;
	if (count_headers(req) > ADMIN_HEADERS_MAX) {
		admin_reply_error(req, 431, "more than %d request headers", ADMIN_HEADERS_MAX);
		return;
	}
	if (!is_authorized(as, req)) {
		as->unauthorized++;
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  "Bearer realm=\"vx6\"");
		admin_reply_error(req, 401, "missing or invalid bearer token (see %s/%s)",
				  d->cfg->state_dir, ADMIN_TOKEN_FILE);
		return;
	}
	if (!path || path[0] != '/') {
		admin_reply_error(req, 400, "malformed request target");
		return;
	}
	route(d, req, path);
}

/* Load the token, or create it at first start. A token file that others
 * can read is refused like an open key file: it grants full control. */
static int token_load(struct admin_server *as, const char *state_dir, char *err, size_t cap)
{
	char path[PATH_MAX];
	uint8_t raw[ADMIN_TOKEN_LEN];
	uint8_t *buf = NULL;
	size_t len;
	mode_t mode;
	int r;

	fs_path_join(path, sizeof(path), state_dir, ADMIN_TOKEN_FILE);
	r = fs_check_private(path, &mode);
	if (r == -ENOENT) {
		sec_random(raw, sizeof(raw));
		hex_encode(as->token, sizeof(as->token), raw, sizeof(raw));
		sec_wipe(raw, sizeof(raw));
		as->token[HEX_LEN(ADMIN_TOKEN_LEN)] = '\n';
		r = fs_write_new(path, as->token, HEX_LEN(ADMIN_TOKEN_LEN) + 1, 0600);
		as->token[HEX_LEN(ADMIN_TOKEN_LEN)] = '\0';
		if (r < 0)
			snprintf(err, cap, "Failed to create admin token '%s': %s", path,
				 strerror(-r));
		return r;
	}
	if (r == -EPERM) {
		snprintf(err, cap, "admin token file '%s' has mode %04o; run 'chmod 600 %s'", path,
			 (unsigned)mode, path);
		return r;
	}
	if (r == 0)
		r = fs_read_file(path, 256, &buf, &len);
	if (r == 0) {
		buf[strcspn((char *)buf, "\r\n")] = '\0';
		if (hex_decode(raw, sizeof(raw), (char *)buf) < 0)
			r = -EINVAL;
		else
			memcpy(as->token, buf, HEX_LEN(ADMIN_TOKEN_LEN) + 1);
		sec_wipe(raw, sizeof(raw));
	}
	if (buf) {
		sec_wipe(buf, len);
		free(buf);
	}
	if (r < 0)
		snprintf(err, cap, "Failed to read admin token '%s': %s", path,
			 r == -EINVAL ? "not 64 hex digits (delete it to get a new one)"
				      : strerror(-r));
	return r;
}

static int bind_unix(struct admin_server *as, const char *path, char *err, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, cap, "admin socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	/* We hold the state-dir lock, so a socket here is a dead daemon's. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		int e = errno;

		snprintf(err, cap, "Failed to listen on admin socket '%s': %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!evhttp_accept_socket_with_handle(as->http, fd)) {
		snprintf(err, cap, "Failed to serve admin socket '%s'", path);
		close(fd);
		unlink(path);
		return -EIO;
	}
	snprintf(as->unix_path, sizeof(as->unix_path), "%s", path);
	return 0;
}

/* Bind the loopback listener ourselves: evhttp_bind_socket() resolves the
 * address with AI_ADDRCONFIG, which refuses 127.0.0.1 on a host with no
 * IPv4 address besides loopback (a common IPv6-only overlay node). */
static int bind_tcp(struct admin_server *as, const struct daemon_config *c, char *err,
		    size_t cap)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	char host[INET6_ADDRSTRLEN];
	int fd, one = 1;

	if (c->admin_tcp_v4) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(c->admin_tcp_port);
		memcpy(&a4->sin_addr, &c->admin_tcp_addr.s6_addr[12], 4);
		sl = sizeof(*a4);
		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
	} else {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(c->admin_tcp_port);
		a6->sin6_addr = c->admin_tcp_addr;
		sl = sizeof(*a6);
		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		snprintf(err, cap, "Failed to listen on admin address '%s%s%s:%u': %s",
			 c->admin_tcp_v4 ? "" : "[", host, c->admin_tcp_v4 ? "" : "]",
			 c->admin_tcp_port, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!evhttp_accept_socket_with_handle(as->http, fd)) {
		snprintf(err, cap, "Failed to serve admin address '%s'", host);
		close(fd);
		return -EIO;
	}
	return 0;
}

static void admin_shutdown(struct daemon *d);

static int admin_init(struct daemon *d, char *err, size_t cap)
{
	struct admin_server *as = calloc(1, sizeof(*as));
	int r;

	if (!as)
		return -ENOMEM;
	d->admin = as;
	r = token_load(as, d->cfg->state_dir, err, cap);
	if (r < 0)
		goto err;
	as->http = evhttp_new(d->base);
	if (!as->http) {
		r = -ENOMEM;
		goto err;
	}
	evhttp_set_max_headers_size(as->http, ADMIN_HEADER_BYTES);
	evhttp_set_max_body_size(as->http, (ev_ssize_t)d->cfg->admin_max_body);
	evhttp_set_timeout(as->http, ADMIN_TIMEOUT_S);
	evhttp_set_allowed_methods(as->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						     EVHTTP_REQ_DELETE);
	evhttp_set_gencb(as->http, on_request, d);
	if (d->cfg->admin_unix[0]) {
		r = bind_unix(as, d->cfg->admin_unix, err, cap);
		if (r < 0)
			goto err;
	}
	if (d->cfg->admin_tcp_enabled) {
		r = bind_tcp(as, d->cfg, err, cap);
		if (r < 0)
			goto err;
	}
	return 0;
err:
	admin_shutdown(d);
	return r;
}

static void admin_shutdown(struct daemon *d)
{
	struct admin_server *as = d->admin;

	if (!as)
		return;
	if (as->http)
		evhttp_free(as->http); /* closes the sockets it accepted on */
	if (as->unix_path[0])
		unlink(as->unix_path);
	sec_wipe(as->token, sizeof(as->token));
	free(as);
	d->admin = NULL;
}

static void admin_reload(struct daemon *d, const struct daemon_config *old)
{
	if (strcmp(old->admin_unix, d->cfg->admin_unix) != 0 ||
	    old->admin_tcp_enabled != d->cfg->admin_tcp_enabled ||
	    old->admin_tcp_port != d->cfg->admin_tcp_port ||
	    memcmp(&old->admin_tcp_addr, &d->cfg->admin_tcp_addr, 16) != 0)
		log_notice(LD_ADMIN, "admin listener changes take effect after a restart");
	evhttp_set_max_body_size(d->admin->http, (ev_ssize_t)d->cfg->admin_max_body);
}

static void admin_metrics(struct daemon *d, struct evbuffer *out)
{
	const struct admin_server *as = d->admin;

	evbuffer_add_printf(out,
			    "# HELP vx6_admin_requests_total Admin API requests received.\n"
			    "# TYPE vx6_admin_requests_total counter\n"
			    "vx6_admin_requests_total %llu\n"
			    "# HELP vx6_admin_unauthorized_total Admin API requests refused with "
			    "401.\n"
			    "# TYPE vx6_admin_unauthorized_total counter\n"
			    "vx6_admin_unauthorized_total %llu\n",
			    (unsigned long long)as->requests, (unsigned long long)as->unauthorized);
}

const struct daemon_subsys daemon_subsys_admin = {
	.name = "admin",
	.init = admin_init,
	.shutdown = admin_shutdown,
	.reload = admin_reload,
	.metrics = admin_metrics,
};
