/* daemon/peer_entry.c - parse and print configured peers (see .h). */
#include "daemon/peer_entry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "identity/node_id.h"
#include "identity/record.h"
#include "lib/secure.h"
#include "transport/transport.h"

int peer_endpoint_parse(const char *s, struct sockaddr_in6 *out)
{
	struct in6_addr a;
	bool v4;
	uint16_t port;

	if (s[0] != '[' || config_parse_hostport(s, &a, &v4, &port) < 0 || v4)
		return -EINVAL;
	if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_addr = a;
	out->sin6_port = htons(port);
	return 0;
}

void peer_endpoint_to_str(const struct sockaddr_in6 *ep, char out[64])
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &ep->sin6_addr, a, sizeof(a));
	snprintf(out, 64, "[%s]:%u", a, ntohs(ep->sin6_port));
}

int peer_entry_from_json(const json_t *o, struct peer_entry *out, char *err, size_t err_cap,
			 const char **out_field)
{
	struct peer_entry e = { .transport = TRANSPORT_TCP };
	struct node_id id, named;
	const char *key, *s;
	json_t *v;
	bool have_pk = false, have_ep = false, have_id = false;

	*out_field = "";
	if (!json_is_object(o)) {
		snprintf(err, err_cap, "expected an object {public_key, endpoint, transport}");
		return -EINVAL;
	}
	json_object_foreach((json_t *)o, key, v) {
		*out_field = key;
		if (strcmp(key, "public_key") != 0 && strcmp(key, "endpoint") != 0 &&
		    strcmp(key, "transport") != 0 && strcmp(key, "node_id") != 0) {
			snprintf(err, err_cap, "unknown field");
			return -EINVAL;
		}
		if (!json_is_string(v)) {
			snprintf(err, err_cap, "expected a string");
			return -EINVAL;
		}
		s = json_string_value(v);
		if (strcmp(key, "public_key") == 0) {
			if (node_pubkey_parse(e.pk, s) < 0) {
				snprintf(err, err_cap, "'%.80s' is not a 64-digit hex node key", s);
				return -EINVAL;
			}
			if (!sec_ed25519_pk_is_valid(e.pk)) {
				snprintf(err, err_cap, "'%.80s' is not a valid Ed25519 public key",
					 s);
				return -EINVAL;
			}
			have_pk = true;
		} else if (strcmp(key, "endpoint") == 0) {
			if (peer_endpoint_parse(s, &e.ep) < 0) {
				snprintf(err, err_cap, "'%.80s' is not [IPV6]:PORT", s);
				return -EINVAL;
			}
			have_ep = true;
		} else if (strcmp(key, "node_id") == 0) {
			if (node_id_parse(&named, s) < 0) {
				snprintf(err, err_cap, "'%.80s' is not a base32 node ID", s);
				return -EINVAL;
			}
			have_id = true;
		} else if (record_transport_parse(s, &e.transport) < 0) {
			snprintf(err, err_cap, "'%.80s' is not tcp, quic or udp", s);
			return -EINVAL;
		}
	}
	*out_field = "";
	if (!have_pk || !have_ep) {
		snprintf(err, err_cap, "missing field '%s'", have_pk ? "endpoint" : "public_key");
		return -EINVAL;
	}
	node_id_from_pubkey(&id, e.pk);
	if (have_id && !node_id_is_equal(&id, &named)) {
		*out_field = "node_id";
		snprintf(err, err_cap, "does not match public_key (the ID is its hash)");
		return -EINVAL;
	}
	*out = e;
	return 0;
}

json_t *peer_entry_to_json(const struct peer_entry *e)
{
	char pk[NODE_PK_STR_LEN + 1], id_s[NODE_ID_STR_LEN + 1], ep[64];
	struct node_id id;

	node_pubkey_to_str(e->pk, pk);
	node_id_from_pubkey(&id, e->pk);
	node_id_to_str(&id, id_s);
	peer_endpoint_to_str(&e->ep, ep);
	return json_pack("{s:s,s:s,s:s,s:s}", "node_id", id_s, "public_key", pk, "endpoint", ep,
			 "transport", record_transport_name(e->transport));
}
