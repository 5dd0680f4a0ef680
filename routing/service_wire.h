/* routing/service_wire.h - the service stream handshake (docs/wire.md §7).
 *
 * A SERVICE stream (kind byte 2, written by the link layer) starts with one
 * OPEN from the client and one ACCEPT from the owner; after ACCEPT with
 * status 0 the stream carries raw bytes both ways. Half-close and abort are
 * the link's stream FIN and RESET. These codecs do no I/O and never log.
 * Decoders are total and work on a prefix of the stream: they return
 * -EAGAIN while the message is incomplete.
 */
#ifndef VX6_ROUTING_SERVICE_WIRE_H
#define VX6_ROUTING_SERVICE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "identity/service_record.h"

#define SVC_WIRE_VERSION   1
#define SVC_REASON_MAX	   255
#define SVC_OPEN_MAX_LEN   (3 + SERVICE_NAME_MAX)
#define SVC_ACCEPT_MAX_LEN (2 + SVC_REASON_MAX)

/* ACCEPT status (§7.2). */
enum svc_status {
	SVC_STATUS_OK = 0,
	SVC_STATUS_NO_SERVICE = 1,
	SVC_STATUS_NOT_ALLOWED = 2,
	SVC_STATUS_UNREACHABLE = 3,
	SVC_STATUS_BUSY = 4,
	SVC_STATUS__COUNT
};

struct svc_open {
	uint8_t version;		 /* SVC_WIRE_VERSION */
	uint8_t flags;			 /* 0: reserved */
	char name[SERVICE_NAME_MAX + 1]; /* "nodename.service", NUL-terminated */
};

struct svc_accept {
	uint8_t status;			 /* enum svc_status */
	char reason[SVC_REASON_MAX + 1]; /* printable ASCII, NUL-terminated */
};

/* Encode into `buf` (`cap` bytes); store the length in *out_len. Return 0,
 * -EINVAL (a field the decoder would refuse) or -ENOSPC. Pure. */
int svc_open_encode(const struct svc_open *m, uint8_t *buf, size_t cap, size_t *out_len);
int svc_accept_encode(const struct svc_accept *m, uint8_t *buf, size_t cap, size_t *out_len);

/* Decode one message from the start of `buf` (`len` bytes received so
 * far). On success write *out and the bytes it used to *out_used (what
 * follows is stream data) and return 0. Return -EAGAIN (incomplete: wait
 * for more), -EPROTONOSUPPORT (OPEN of another version) or -EBADMSG. Pure. */
int svc_open_decode(struct svc_open *out, size_t *out_used, const uint8_t *buf, size_t len);
int svc_accept_decode(struct svc_accept *out, size_t *out_used, const uint8_t *buf, size_t len);

/* "ok", "no such service", ...; "unknown" for others. */
const char *svc_status_name(uint8_t status);

#endif /* VX6_ROUTING_SERVICE_WIRE_H */
