/* transport/quic_tls.c - TLS 1.3 for the QUIC transport through GnuTLS,
 * with the node's Ed25519 key as a raw public key (RFC 7250) on both
 * sides. docs/quic.md "Authentication".
 *
 * There are no certificates and no CA: each side sends its key as a
 * SubjectPublicKeyInfo and signs the handshake transcript with it
 * (CertificateVerify), so a completed handshake proves possession. We only
 * decide whether the proved key is the right one: the dialer requires
 * exactly the key it was asked to reach; the acceptor reports whatever key
 * was proved. Session tickets are off: a resumed session would skip the
 * key exchange this binding depends on.
 *
 * The private key lives only inside GnuTLS (imported from the libsodium
 * seed, which stays with the caller).
 */
#include "transport/quic_internal.h"

#include <errno.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"

/* TLS 1.3 only, raw public keys only, Ed25519 signatures only; QUIC
 * forbids the middlebox compatibility mode. */
#define QUIC_TLS_PRIORITY                                                                          \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK:"              \
	"-SIGN-ALL:+SIGN-EDDSA-ED25519:%DISABLE_TLS13_COMPAT_MODE"

/* DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4) up to the key:
 * SEQUENCE(42) { SEQUENCE(5) { OID 1.3.101.112 }, BIT STRING(33) { 0 unused
 * bits, key[32] } }. Any other encoding is refused, not reinterpreted. */
static const uint8_t ed25519_spki_prefix[12] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};
#define ED25519_SPKI_LEN (sizeof(ed25519_spki_prefix) + 32)

static struct log_ratelim refuse_rl = LOG_RATELIM_INIT(1000, 10);

static int spki_to_ed25519(const gnutls_datum_t *spki, uint8_t out[32])
{
	if (spki->size != ED25519_SPKI_LEN ||
	    memcmp(spki->data, ed25519_spki_prefix, sizeof(ed25519_spki_prefix)) != 0)
		return -EBADMSG;
	memcpy(out, spki->data + sizeof(ed25519_spki_prefix), 32);
	return 0;
}

/* The 32-byte key the peer presented. Before CertificateVerify has been
 * checked this is only a claim; after the handshake it is proved. */
static int peer_key(gnutls_session_t s, uint8_t out[32])
{
	const gnutls_datum_t *list;
	unsigned n = 0;

	if (gnutls_certificate_type_get2(s, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_RAWPK)
		return -EBADMSG;
	list = gnutls_certificate_get_peers(s, &n);
	if (!list || n != 1)
		return -EBADMSG;
	return spki_to_ed25519(&list[0], out);
}

static struct quic_conn *conn_of(gnutls_session_t s)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);

	return ref ? ref->user_data : NULL;
}

/* GnuTLS calls this when the peer's Certificate message arrives (both
 * roles). Refusing here aborts the handshake with an alert before we send
 * anything further; quic_tls_check_peer() repeats the check once the
 * handshake is complete, so the binding never depends on this call. */
static int verify_cb(gnutls_session_t s)
{
	struct quic_conn *c = conn_of(s);
	uint8_t pk[32];

	if (!c)
		return -1;
	if (peer_key(s, pk) < 0) {
		c->auth_failed = true;
		if (log_ratelim_allow(&refuse_rl, clock_mono_ms()))
			log_info(LD_QUIC, "Refused QUIC peer: no Ed25519 raw public key");
		return -1;
	}
	if (c->base.initiator && !sec_equal(pk, c->remote_pk, sizeof(pk))) {
		c->auth_failed = true;
		if (log_ratelim_allow(&refuse_rl, clock_mono_ms()))
			log_info(LD_QUIC, "Refused QUIC peer: it is not %s", c->fp);
		return -1;
	}
	return 0;
}

int quic_tls_check_peer(struct quic_conn *c)
{
	gnutls_datum_t proto = {0};
	uint8_t pk[32];

	if (gnutls_alpn_get_selected_protocol(c->tls, &proto) < 0 ||
	    proto.size != sizeof(QUIC_ALPN) - 1 ||
	    memcmp(proto.data, QUIC_ALPN, sizeof(QUIC_ALPN) - 1) != 0)
		return -EACCES;
	if (peer_key(c->tls, pk) < 0)
		return -EACCES;
	if (c->base.initiator) {
		if (!sec_equal(pk, c->remote_pk, sizeof(pk)))
			return -EACCES;
	} else {
		memcpy(c->remote_pk, pk, sizeof(pk));
	}
	return 0;
}

/* Import the libsodium key (seed || pk) as a GnuTLS signer and a raw
 * public key "certificate" for it. */
static int load_key(struct quic_transport *t, const struct tp_identity *id)
{
	gnutls_datum_t x = {(unsigned char *)id->ed25519_pk, 32};
	gnutls_datum_t k = {(unsigned char *)id->ed25519_sk, 32}; /* the seed */
	gnutls_privkey_t key = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_pcert_st pcert;
	int r;

	if (gnutls_privkey_init(&key) < 0)
		return -ENOMEM;
	r = gnutls_privkey_import_ecc_raw(key, GNUTLS_ECC_CURVE_ED25519, &x, NULL, &k);
	if (r < 0)
		goto err_key;
	r = gnutls_pubkey_init(&pub);
	if (r < 0)
		goto err_key;
	r = gnutls_pubkey_import_privkey(pub, key, 0, 0);
	if (r < 0)
		goto err_pub;
	r = gnutls_pcert_import_rawpk(&pcert, pub, 0); /* pcert owns pub from here */
	if (r < 0)
		goto err_pub;
	r = gnutls_certificate_set_key(t->cred, NULL, 0, &pcert, 1, key);
	if (r < 0) {
		gnutls_pcert_deinit(&pcert);
		goto err_key;
	}
	return 0; /* the credentials own pcert's contents and key */

err_pub:
	gnutls_pubkey_deinit(pub);
err_key:
	gnutls_privkey_deinit(key);
	log_debug(LD_QUIC, "Failed to load the node key into GnuTLS: %s", gnutls_strerror(r));
	return -EINVAL;
}

int quic_tls_init(struct quic_transport *t, const struct tp_identity *id)
{
	const char *err = NULL;
	int r;

	if (gnutls_certificate_allocate_credentials(&t->cred) < 0) {
		t->cred = NULL;
		return -ENOMEM;
	}
	r = load_key(t, id);
	if (r < 0)
		return r;
	gnutls_certificate_set_verify_function(t->cred, verify_cb);
	if (gnutls_priority_init(&t->prio, QUIC_TLS_PRIORITY, &err) < 0) {
		t->prio = NULL;
		log_debug(LD_QUIC, "Failed to parse TLS priority at '%s'", err ? err : "?");
		return -EINVAL;
	}
	return 0;
}

void quic_tls_clear(struct quic_transport *t)
{
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred); /* wipes the key */
	t->prio = NULL;
	t->cred = NULL;
}

int quic_tls_session_new(struct quic_conn *c, bool server)
{
	static const gnutls_datum_t alpn = {(unsigned char *)QUIC_ALPN, sizeof(QUIC_ALPN) - 1};
	unsigned flags = GNUTLS_ENABLE_RAWPK | GNUTLS_NO_TICKETS;
	int r;

	flags |= server ? GNUTLS_SERVER : GNUTLS_CLIENT;
	if (gnutls_init(&c->tls, flags) < 0) {
		c->tls = NULL;
		return -ENOMEM;
	}
	r = server ? ngtcp2_crypto_gnutls_configure_server_session(c->tls)
		   : ngtcp2_crypto_gnutls_configure_client_session(c->tls);
	if (r != 0)
		return -EINVAL;
	if (gnutls_priority_set(c->tls, c->t->prio) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->t->cred) < 0 ||
	    gnutls_alpn_set_protocols(c->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY) < 0)
		return -EINVAL;
	if (server)
		gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_ptr(c->tls, &c->conn_ref);
	ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
	return 0;
}
