/* cli/admin_client.c - blocking admin API client over a unix socket or
 * loopback TCP (see admin_client.h; the API itself: docs/admin-api.md).
 *
 * This file owns the connection, the token and the deadline; what the bytes
 * mean is decided by http_response.c. Every wait goes through poll() with
 * the one deadline, so a stuck daemon costs at most `timeout_ms`.
 */
#include "cli/admin_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/http_response.h"
#include "cli/text.h"
#include "lib/clock.h"
#include "lib/fs.h"
#include "lib/secure.h"

#define TOKEN_FILE_MAX	4096  /* bytes read from the token file, at most */
#define RECV_CHUNK_INIT 16384 /* first receive buffer; doubles up to the cap */
#define HEAD_MAX	(ADMIN_PATH_MAX + 512)

static int set_paths(struct admin_target *t, const char *where, const char *token_path, char *err,
		     size_t err_cap)
{
	char q[CLI_QUOTE_MAX];

	if (strlen(token_path) >= sizeof(t->token_path)) {
		cli_errf(err, err_cap, "token path '%s' is too long",
			 cli_escape_str(q, sizeof(q), token_path));
		return -ENAMETOOLONG;
	}
	strcpy(t->token_path, token_path);
	snprintf(t->where, sizeof(t->where), "%s", where);
	t->timeout_ms = ADMIN_TIMEOUT_MS_DEFAULT;
	return 0;
}

int admin_target_init_unix(struct admin_target *out, const char *sock_path, const char *token_path,
			   char *err, size_t err_cap)
{
	struct admin_target t = {0};
	struct sockaddr_un *sun = (struct sockaddr_un *)&t.addr;
	char q[CLI_QUOTE_MAX];
	int r;

	if (strlen(sock_path) >= sizeof(sun->sun_path)) {
		cli_errf(err, err_cap, "socket path '%s' is longer than %zu bytes",
			 cli_escape_str(q, sizeof(q), sock_path), sizeof(sun->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, sock_path);
	t.addr_len = (socklen_t)sizeof(*sun);
	r = set_paths(&t, sock_path, token_path, err, err_cap);
	if (r < 0)
		return r;
	*out = t;
	return 0;
}

/* Parse a port of 1..65535, digits only. */
static int parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* Split "host:port" or "[v6]:port" into `host` (cap bytes) and the port. */
static int split_host_port(const char *s, char *host, size_t cap, const char **out_port)
{
	const char *end, *colon;
	size_t n;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		s++;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL; /* an IPv6 address needs brackets */
		end = colon;
	}
	n = (size_t)(end - s);
	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	*out_port = colon + 1;
	return 0;
}

/* Fill t->addr from a numeric loopback host, or "localhost". */
static int loopback_addr(struct admin_target *t, const char *host, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr;

	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			return -EPERM;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		t->addr_len = (socklen_t)sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return -EPERM;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		t->addr_len = (socklen_t)sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

int admin_target_init_tcp(struct admin_target *out, const char *addr_port, const char *token_path,
			  char *err, size_t err_cap)
{
	struct admin_target t = {0};
	char host[INET6_ADDRSTRLEN], q[CLI_QUOTE_MAX];
	const char *port_s;
	uint16_t port;
	int r;

	cli_escape_str(q, sizeof(q), addr_port);
	if (split_host_port(addr_port, host, sizeof(host), &port_s) < 0) {
		cli_errf(err, err_cap,
			 "bad admin address '%s': expected ADDR:PORT, e.g. "
			 "127.0.0.1:7600 or [::1]:7600",
			 q);
		return -EINVAL;
	}
	if (parse_port(port_s, &port) < 0) {
		cli_errf(err, err_cap, "bad port in admin address '%s': expected 1..65535", q);
		return -EINVAL;
	}
	r = loopback_addr(&t, host, port);
	if (r == -EPERM) {
		cli_errf(err, err_cap,
			 "admin address '%s' is not a loopback address; the "
			 "admin token must not cross a network in clear text",
			 q);
		return -EINVAL;
	}
	if (r < 0) {
		cli_errf(err, err_cap,
			 "bad admin address '%s': the host must be a numeric "
			 "loopback address or 'localhost'",
			 q);
		return -EINVAL;
	}
	t.is_tcp = true;
	r = set_paths(&t, addr_port, token_path, err, err_cap);
	if (r < 0)
		return r;
	*out = t;
	return 0;
}

/* Wait until `fd` is ready for `events` or the deadline passes. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = clock_mono_ms();
		struct pollfd pfd = {.fd = fd, .events = events};
		int n;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(deadline_ms - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		return 0; /* POLLERR and POLLHUP surface in the next send/recv */
	}
}

static int send_all(int fd, const void *data, size_t len, uint64_t deadline_ms)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n;
		int r = wait_fd(fd, POLLOUT, deadline_ms);

		if (r < 0)
			return r;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the peer closes. The buffer grows to one byte over the cap,
 * so an answer that is too long is seen as such, not cut silently. */
static int recv_all(int fd, uint64_t deadline_ms, uint8_t **out_buf, size_t *out_len)
{
	size_t cap = RECV_CHUNK_INIT, len = 0;
	uint8_t *buf = malloc(cap), *nbuf;
	int r = 0;

	while (buf) {
		ssize_t n;

		if (len == cap) {
			if (cap > HTTP_RESPONSE_MAX_LEN) {
				r = -EMSGSIZE;
				break;
			}
			cap = cap * 2 > HTTP_RESPONSE_MAX_LEN ? HTTP_RESPONSE_MAX_LEN + 1 : cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				break;
			buf = nbuf;
		}
		r = wait_fd(fd, POLLIN, deadline_ms);
		if (r < 0)
			break;
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			*out_buf = buf;
			*out_len = len;
			return 0;
		}
		len += (size_t)n;
	}
	free(buf);
	return r < 0 ? r : -ENOMEM;
}

static int connect_failed(const struct admin_target *t, int r, char *err, size_t err_cap)
{
	char q[CLI_QUOTE_MAX];

	cli_escape_str(q, sizeof(q), t->where);
	switch (r) {
	case -ENOENT:
	case -ENOTDIR:
	case -ECONNREFUSED:
		cli_errf(err, err_cap, "nothing listens at '%s'", q);
		return -ECONNREFUSED;
	case -EACCES:
	case -EPERM:
		cli_errf(err, err_cap,
			 "no permission to connect to '%s'; run vx6 as the user "
			 "vx6d runs as (usually root)",
			 q);
		return -EACCES;
	case -EAGAIN:
	case -EINPROGRESS:
	case -ETIMEDOUT:
		cli_errf(err, err_cap, "vx6d at '%s' did not accept the connection within %d ms", q,
			 t->timeout_ms);
		return -ETIMEDOUT;
	default:
		cli_errf(err, err_cap, "cannot connect to '%s': %s", q, strerror(-r));
		return r;
	}
}

/* Connect with the deadline (SO_SNDTIMEO bounds a blocking connect on both
 * unix and TCP sockets), then switch to non-blocking I/O under poll(). */
static int connect_target(const struct admin_target *t, int *out_fd, char *err, size_t err_cap)
{
	struct timeval tv = {.tv_sec = t->timeout_ms / 1000,
			     .tv_usec = (t->timeout_ms % 1000) * 1000};
	int fd, r;

	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return connect_failed(t, -errno, err, err_cap);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return connect_failed(t, r, err, err_cap);
	}
	*out_fd = fd;
	return 0;
}

/* Read the first line of the token file into `token`: exactly 64 hex. */
static int read_token(const struct admin_target *t, char token[ADMIN_TOKEN_LEN + 1], char *err,
		      size_t err_cap)
{
	char q[CLI_QUOTE_MAX];
	uint8_t *buf;
	size_t len, n = 0;
	int r;

	cli_escape_str(q, sizeof(q), t->token_path);
	r = fs_read_file(t->token_path, TOKEN_FILE_MAX, &buf, &len);
	if (r == -EACCES || r == -EPERM) {
		cli_errf(err, err_cap,
			 "cannot read the admin token '%s': permission denied; "
			 "it is mode 0600, so run vx6 as the user vx6d runs as (usually root)",
			 q);
		return -EACCES;
	}
	if (r == -ENOENT) {
		cli_errf(err, err_cap,
			 "no admin token at '%s'; does vx6d use this state "
			 "directory?",
			 q);
		return r;
	}
	if (r < 0) {
		cli_errf(err, err_cap, "cannot read the admin token '%s': %s", q, strerror(-r));
		return r;
	}
	while (n < len && buf[n] != '\n' && buf[n] != '\r')
		n++;
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!strchr("0123456789abcdefABCDEF", buf[i]) || !buf[i])
			r = -EINVAL;
	}
	if (n != ADMIN_TOKEN_LEN || r < 0) {
		cli_errf(err, err_cap,
			 "admin token '%s' is malformed: its first line must be "
			 "%d hex digits",
			 q, ADMIN_TOKEN_LEN);
		r = -EINVAL;
	} else {
		memcpy(token, buf, ADMIN_TOKEN_LEN);
		token[ADMIN_TOKEN_LEN] = '\0';
	}
	sec_wipe(buf, len);
	free(buf);
	return r;
}

static bool is_request_ok(const char *method, const char *path)
{
	size_t n = strlen(path);

	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "DELETE") != 0)
		return false;
	if (path[0] != '/' || n > ADMIN_PATH_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (path[i] <= 0x20 || path[i] >= 0x7f)
			return false; /* no header injection through the path */
	}
	return true;
}

static int build_head(char *head, size_t cap, const char *method, const char *path,
		      const char *token, const char *body, size_t body_len)
{
	char extra[96] = "";
	int n;

	if (strcmp(method, "POST") == 0) {
		snprintf(extra, sizeof(extra), "%sContent-Length: %zu\r\n",
			 body ? "Content-Type: application/json\r\n" : "", body_len);
	}
	n = snprintf(head, cap,
		     "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: vx6/" VX6_VERSION
		     "\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%s\r\n",
		     method, path, token, extra);
	if (n < 0 || (size_t)n >= cap)
		return -EINVAL;
	return n;
}

/* Send the request and read the raw answer. */
static int exchange(const struct admin_target *t, int fd, const char *head, size_t head_len,
		    const char *body, size_t body_len, uint8_t **out_buf, size_t *out_len,
		    char *err, size_t err_cap)
{
	uint64_t deadline = clock_mono_ms() + (uint64_t)t->timeout_ms;
	char q[CLI_QUOTE_MAX];
	int r;

	cli_escape_str(q, sizeof(q), t->where);
	r = send_all(fd, head, head_len, deadline);
	if (r == 0 && body_len)
		r = send_all(fd, body, body_len, deadline);
	if (r < 0) {
		cli_errf(err, err_cap, "cannot send the request to '%s': %s", q, strerror(-r));
		return r;
	}
	r = recv_all(fd, deadline, out_buf, out_len);
	if (r == -ETIMEDOUT)
		cli_errf(err, err_cap, "no complete answer from vx6d at '%s' within %d ms", q,
			 t->timeout_ms);
	else if (r == -EMSGSIZE)
		cli_errf(err, err_cap, "the answer from '%s' is over the %u-byte cap", q,
			 HTTP_RESPONSE_MAX_LEN);
	else if (r < 0)
		cli_errf(err, err_cap, "cannot read the answer from '%s': %s", q, strerror(-r));
	return r;
}

int admin_client_request(const struct admin_target *t, const char *method, const char *path,
			 const char *body, size_t body_len, struct http_response *out, char *err,
			 size_t err_cap)
{
	char token[ADMIN_TOKEN_LEN + 1] = "", head[HEAD_MAX], why[256], q[CLI_QUOTE_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, n, r;

	if (!is_request_ok(method, path) || (body_len && !body)) {
		cli_errf(err, err_cap, "bad admin request '%s %s'", method,
			 cli_escape_str(q, sizeof(q), path));
		return -EINVAL;
	}
	r = connect_target(t, &fd, err, err_cap);
	if (r < 0)
		return r;
	r = read_token(t, token, err, err_cap);
	if (r < 0)
		goto out;
	n = build_head(head, sizeof(head), method, path, token, body, body_len);
	sec_wipe(token, sizeof(token));
	if (n < 0) {
		cli_errf(err, err_cap, "admin request for '%s' is too long",
			 cli_escape_str(q, sizeof(q), path));
		r = n;
		goto out;
	}
	r = exchange(t, fd, head, (size_t)n, body, body_len, &buf, &len, err, err_cap);
	if (r < 0)
		goto out;
	r = http_response_parse(buf, len, out, why, sizeof(why));
	if (r < 0)
		cli_errf(err, err_cap, "bad HTTP answer from vx6d at '%s': %s",
			 cli_escape_str(q, sizeof(q), t->where), why);
out:
	sec_wipe(token, sizeof(token));
	sec_wipe(head, sizeof(head));
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}
