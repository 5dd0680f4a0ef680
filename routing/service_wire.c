/* routing/service_wire.c - OPEN and ACCEPT on service streams (docs/wire.md
 * §7): total decoders over lib/wire, canonical encoders. No I/O, no logs.
 */
#include "routing/service_wire.h"

#include <errno.h>
#include <string.h>

#include "lib/wire.h"

static bool reason_is_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

int svc_open_encode(const struct svc_open *m, uint8_t *buf, size_t cap, size_t *out_len)
{
	struct wire_wr w;
	size_t n = strnlen(m->name, sizeof(m->name));

	if (m->version != SVC_WIRE_VERSION || m->flags != 0 || !service_name_is_valid(m->name))
		return -EINVAL;
	wire_wr_init(&w, buf, cap);
	wire_put_u8(&w, m->version);
	wire_put_u8(&w, m->flags);
	wire_put_u8(&w, (uint8_t)n);
	wire_put_bytes(&w, m->name, n);
	if (w.bad)
		return -ENOSPC;
	*out_len = w.len;
	return 0;
}

int svc_accept_encode(const struct svc_accept *m, uint8_t *buf, size_t cap, size_t *out_len)
{
	struct wire_wr w;
	size_t n = strnlen(m->reason, sizeof(m->reason));

	if (m->status >= SVC_STATUS__COUNT || n > SVC_REASON_MAX ||
	    !reason_is_valid((const uint8_t *)m->reason, n))
		return -EINVAL;
	wire_wr_init(&w, buf, cap);
	wire_put_u8(&w, m->status);
	wire_put_u8(&w, (uint8_t)n);
	wire_put_bytes(&w, m->reason, n);
	if (w.bad)
		return -ENOSPC;
	*out_len = w.len;
	return 0;
}

/* §7.1: version, flags, name_len, name. The version is checked before the
 * length so that a future version with another layout is named as such. */
int svc_open_decode(struct svc_open *out, size_t *out_used, const uint8_t *buf, size_t len)
{
	struct wire_rd r;
	uint8_t ver, flags, n;
	const uint8_t *name;
	char tmp[SERVICE_NAME_MAX + 1];

	if (len < 1)
		return -EAGAIN;
	wire_rd_init(&r, buf, len);
	ver = wire_get_u8(&r);
	if (ver != SVC_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (len < 3)
		return -EAGAIN;
	flags = wire_get_u8(&r);
	n = wire_get_u8(&r);
	if (flags != 0 || n < SERVICE_NAME_MIN || n > SERVICE_NAME_MAX)
		return -EBADMSG;
	if (len < 3u + n)
		return -EAGAIN;
	name = wire_get_bytes(&r, n);
	if (r.bad || memchr(name, 0, n))
		return -EBADMSG;
	memcpy(tmp, name, n);
	tmp[n] = '\0';
	if (!service_name_is_valid(tmp))
		return -EBADMSG;
	out->version = ver;
	out->flags = flags;
	memcpy(out->name, tmp, (size_t)n + 1);
	*out_used = 3u + n;
	return 0;
}

/* §7.2: status, reason_len, reason (printable ASCII). */
int svc_accept_decode(struct svc_accept *out, size_t *out_used, const uint8_t *buf, size_t len)
{
	struct wire_rd r;
	uint8_t st, n;
	const uint8_t *reason;

	if (len < 2)
		return -EAGAIN;
	wire_rd_init(&r, buf, len);
	st = wire_get_u8(&r);
	n = wire_get_u8(&r);
	if (st >= SVC_STATUS__COUNT)
		return -EBADMSG;
	if (len < 2u + n)
		return -EAGAIN;
	reason = wire_get_bytes(&r, n);
	if (r.bad || !reason_is_valid(reason, n))
		return -EBADMSG;
	out->status = st;
	memcpy(out->reason, reason, n);
	out->reason[n] = '\0';
	*out_used = 2u + n;
	return 0;
}

const char *svc_status_name(uint8_t status)
{
	switch (status) {
	case SVC_STATUS_OK:
		return "ok";
	case SVC_STATUS_NO_SERVICE:
		return "no such service";
	case SVC_STATUS_NOT_ALLOWED:
		return "not allowed";
	case SVC_STATUS_UNREACHABLE:
		return "target unreachable";
	case SVC_STATUS_BUSY:
		return "busy";
	default:
		return "unknown";
	}
}
