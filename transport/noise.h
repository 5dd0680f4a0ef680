/* transport/noise.h - the Noise Protocol Framework (revision 34) for
 * Noise_<pattern>_25519_<cipher>_BLAKE2b, cipher ChaChaPoly (libsodium) or
 * AESGCM (GnuTLS, for CPUs with AES instructions; docs/noise.md §2).
 *
 * A protocol engine: no I/O, no clock, no allocation except _new(). It
 * owns the handshake (HandshakeState, spec §5.3) and the transport
 * CipherStates it splits into (§5.1); framing, the replay window
 * (transport/replay.h), rekey policy and peer authorization belong to the
 * link layer. vx6 uses IK and XX (docs/noise.md); every other non-PSK
 * pattern of §7.4-§7.6 and §18.1 comes from the same table and is checked
 * against the published vectors by tests/unit/test_noise.c.
 *
 * Transport messages use explicit nonces, WireGuard style: the sender puts
 * the counter on the wire and the receiver passes it back in, after a
 * replay-window check. This is SetNonce() of §5.1 as §11.4 describes; the
 * nonce 2^64-1 stays reserved for REKEY() (§4.2).
 *
 * Not thread-safe: one object, one thread at a time.
 */
#ifndef VX6_TRANSPORT_NOISE_H
#define VX6_TRANSPORT_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOISE_DH_LEN	      32    /* X25519 public key, private key, DH output */
#define NOISE_HASH_LEN	      64    /* BLAKE2b-512; also the handshake hash */
#define NOISE_KEY_LEN	      32    /* ChaCha20-Poly1305 or AES-256-GCM key */
#define NOISE_TAG_LEN	      16    /* Poly1305 or GHASH tag added to every ciphertext */
#define NOISE_MSG_MAX_LEN     65535 /* any Noise message, handshake or transport (§3) */
#define NOISE_PAYLOAD_MAX_LEN (NOISE_MSG_MAX_LEN - NOISE_TAG_LEN) /* transport plaintext */

/* Handshake patterns (§7.4 one-way, §7.5 fundamental, §18.1 deferred). */
enum noise_pattern {
	NOISE_PATTERN_N = 0,
	NOISE_PATTERN_K = 1,
	NOISE_PATTERN_X = 2,
	NOISE_PATTERN_NN = 3,
	NOISE_PATTERN_NK = 4,
	NOISE_PATTERN_NX = 5,
	NOISE_PATTERN_XN = 6,
	NOISE_PATTERN_XK = 7,
	NOISE_PATTERN_XX = 8,
	NOISE_PATTERN_KN = 9,
	NOISE_PATTERN_KK = 10,
	NOISE_PATTERN_KX = 11,
	NOISE_PATTERN_IN = 12,
	NOISE_PATTERN_IK = 13,
	NOISE_PATTERN_IX = 14,
	NOISE_PATTERN_NK1 = 15,
	NOISE_PATTERN_NX1 = 16,
	NOISE_PATTERN_X1N = 17,
	NOISE_PATTERN_X1K = 18,
	NOISE_PATTERN_XK1 = 19,
	NOISE_PATTERN_X1K1 = 20,
	NOISE_PATTERN_X1X = 21,
	NOISE_PATTERN_XX1 = 22,
	NOISE_PATTERN_X1X1 = 23,
	NOISE_PATTERN_K1N = 24,
	NOISE_PATTERN_K1K = 25,
	NOISE_PATTERN_KK1 = 26,
	NOISE_PATTERN_K1K1 = 27,
	NOISE_PATTERN_K1X = 28,
	NOISE_PATTERN_KX1 = 29,
	NOISE_PATTERN_K1X1 = 30,
	NOISE_PATTERN_I1N = 31,
	NOISE_PATTERN_I1K = 32,
	NOISE_PATTERN_IK1 = 33,
	NOISE_PATTERN_I1K1 = 34,
	NOISE_PATTERN_I1X = 35,
	NOISE_PATTERN_IX1 = 36,
	NOISE_PATTERN_I1X1 = 37,
	NOISE_PATTERN__COUNT
};

/* Cipher functions (§12.3, §12.4). The suite is part of the protocol name,
 * so both sides must agree on it before the first message. */
enum noise_cipher_suite {
	NOISE_CIPHER_CHACHAPOLY = 0, /* ChaCha20-Poly1305 (RFC 8439) */
	NOISE_CIPHER_AESGCM = 1,     /* AES-256-GCM (NIST SP 800-38D) */
	NOISE_CIPHER__COUNT
};

/* What has happened to a handshake. */
enum noise_handshake_state {
	NOISE_HS_CLEARED = 0,	/* no pattern, no keys: after _new() or _clear() */
	NOISE_HS_STARTED = 1,	/* initialized; handshake messages remain */
	NOISE_HS_COMPLETED = 2, /* every message processed; split() not yet called */
	NOISE_HS_SPLIT = 3,	/* transport keys handed out; only h and rs kept */
	NOISE_HS_FAILED = 4,	/* a DH, AEAD or length check failed; secrets wiped */
	NOISE_HS__COUNT
};

struct noise_handshake; /* layout: transport/noise_internal.h */
struct noise_cipher;	/* layout: transport/noise_internal.h */

/* Pattern name ("IK"), or NULL for a value outside the enum. */
const char *noise_pattern_name(enum noise_pattern p);

/* Cipher name as in protocol names ("ChaChaPoly", "AESGCM"), or NULL
 * outside the enum. */
const char *noise_cipher_suite_name(enum noise_cipher_suite c);

/* The cipher a node offers when it starts a handshake: AESGCM on CPUs with
 * AES and carry-less multiply instructions (x86-64 AES-NI + PCLMULQDQ,
 * arm64 AES + PMULL), where GnuTLS runs it several times faster than
 * ChaCha20-Poly1305; ChaChaPoly everywhere else (docs/noise.md §3.1). */
enum noise_cipher_suite noise_cipher_default(void);

/* Parse a full protocol name ("Noise_XX_25519_AESGCM_BLAKE2b") into
 * *out_pattern and *out_cipher. Return 0, or -EPROTONOSUPPORT for any other
 * name (other pattern, modifier such as psk0, or algorithm). */
int noise_protocol_parse(const char *protocol_name, enum noise_pattern *out_pattern,
			 enum noise_cipher_suite *out_cipher);

/* Whether the side `initiator` needs its own static key for pattern `p`,
 * and whether it must be given the peer's static key before the handshake
 * (a pre-message, "<- s" or "-> s" before "..."). */
bool noise_pattern_needs_static(enum noise_pattern p, bool initiator);
bool noise_pattern_needs_remote_static(enum noise_pattern p, bool initiator);

/* One-way patterns (N, K, X) carry transport data only from initiator to
 * responder (§7.4). */
bool noise_pattern_is_one_way(enum noise_pattern p);

/* Allocate a handshake in NOISE_HS_CLEARED; NULL when out of memory. The
 * caller owns it and frees it with noise_handshake_free(), which wipes it,
 * accepts NULL and returns NULL. */
struct noise_handshake *noise_handshake_new(void);
struct noise_handshake *noise_handshake_free(struct noise_handshake *hs);

/* Wipe every secret and return `hs` to NOISE_HS_CLEARED. */
void noise_handshake_clear(struct noise_handshake *hs);

/* Initialize(): start pattern `p` with cipher `c` in role `initiator`
 * (§5.3), from any state. `prologue` (may be NULL when `prologue_len` is 0) is hashed, not
 * kept. `s_priv` is our 32-byte X25519 private key, required exactly when
 * noise_pattern_needs_static() and NULL otherwise; `rs` is the peer's
 * static public key, required exactly when noise_pattern_needs_remote_static()
 * and NULL otherwise (passing an rs a pattern would learn in-band is refused:
 * the engine would not check it). Both are copied. Return 0 or -EINVAL
 * (unknown pattern or cipher, missing or extra key); on error hs is CLEARED. */
int noise_handshake_init(struct noise_handshake *hs, enum noise_pattern p,
			 enum noise_cipher_suite c, bool initiator, const uint8_t *prologue,
			 size_t prologue_len, const uint8_t *s_priv, const uint8_t *rs);

/* Fix the ephemeral private key instead of drawing it from the RNG. Only
 * for known-answer tests: reusing an ephemeral key breaks every guarantee.
 * Call after init and before our "e" token is written. Return 0 or -EINVAL
 * (wrong state, or we already have an ephemeral key). */
int noise_handshake_set_ephemeral_for_test(struct noise_handshake *hs, const uint8_t e_priv[32]);

/* WriteMessage(): build our next handshake message with `payload` (may be
 * NULL when `payload_len` is 0) into `out_msg` (`cap` bytes, not overlapping the
 * payload) and store its length in *out_len. Return 0, -EINVAL (not
 * STARTED or not our turn), -EMSGSIZE (message over NOISE_MSG_MAX_LEN),
 * -ENOSPC (cap too small), with hs unchanged and nothing written; or
 * -ENOMEM (AESGCM key schedule), or -EBADMSG when a DH with a key the peer sent (or the given rs)
 * is all zeros, after which hs is FAILED and `out_msg` wiped. */
int noise_handshake_write_message(struct noise_handshake *hs, const uint8_t *payload,
				  size_t payload_len, uint8_t *out_msg, size_t cap,
				  size_t *out_len);

/* ReadMessage(): consume the peer's next handshake message `msg`
 * (`len` bytes, untrusted) and write its payload to `out_payload` (`cap` bytes,
 * not overlapping `msg`; may be NULL when `cap` is 0), its length to
 * *out_len. The message length is checked exactly against the pattern
 * before any byte is looked at. Return 0; -EINVAL (not STARTED or not our
 * turn) or -ENOSPC (payload longer than `cap`) with hs unchanged; or, for
 * a bad message, -EMSGSIZE (over NOISE_MSG_MAX_LEN) or -EBADMSG (too short,
 * AEAD failure, all-zero DH), or -ENOMEM (AESGCM key schedule), after which
 * hs is FAILED and `out_payload` wiped. */
int noise_handshake_read_message(struct noise_handshake *hs, const uint8_t *msg, size_t len,
				 uint8_t *out_payload, size_t cap, size_t *out_len);

/* Where hs stands, and a name for it in logs ("?" outside the enum). */
enum noise_handshake_state noise_handshake_get_state(const struct noise_handshake *hs);
const char *noise_handshake_state_name(enum noise_handshake_state state);

/* True when hs is STARTED and the next message is ours to write. */
bool noise_handshake_can_write(const struct noise_handshake *hs);

/* True once every handshake message was processed (COMPLETED or SPLIT). */
bool noise_handshake_is_done(const struct noise_handshake *hs);

/* Split() (§5.2): initialize `out_send` and `out_recv` (caller-owned) with
 * the transport keys and move hs to SPLIT, wiping its chaining key and
 * private keys. For one-way patterns the direction the pattern forbids
 * gets no key. Return 0, -EINVAL (not COMPLETED) or -ENOMEM (AESGCM key
 * schedule; hs stays COMPLETED and both ciphers are cleared). */
int noise_handshake_split(struct noise_handshake *hs, struct noise_cipher *out_send,
			  struct noise_cipher *out_recv);

/* Copy the peer's static public key into `out_rs`. Return 0, or -ENOENT if
 * it is not known (yet, or ever in this pattern, or hs failed). A key the
 * peer sent is authenticated only once the handshake is done. */
int noise_handshake_get_remote_static(const struct noise_handshake *hs, uint8_t out_rs[32]);

/* Check that the peer's static key is the X25519 image of the Ed25519 key
 * `ed_pk`: the link layer's proof that it talks to that node, once the
 * handshake is done (docs/noise.md §3.3). Return 0,
 * -ENOENT (no remote static), -EINVAL (ed_pk is not a valid key), or
 * -EKEYREJECTED (another key). */
int noise_handshake_check_remote_ed25519(const struct noise_handshake *hs, const uint8_t ed_pk[32]);

/* Copy the handshake hash h (§11.2, channel binding). Return 0 or
 * -EINPROGRESS (handshake not done). */
int noise_handshake_get_hash(const struct noise_handshake *hs, uint8_t out_hash[NOISE_HASH_LEN]);

#endif /* VX6_TRANSPORT_NOISE_H */
