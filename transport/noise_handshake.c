/* transport/noise_handshake.c - HandshakeState (Noise revision 34, §5.3)
 * and the table of handshake patterns it runs (§7.4, §7.5, §18.1).
 *
 * One engine for every pattern: a pattern is a row of tokens, and
 * WriteMessage()/ReadMessage() walk the row. The symmetric layer is in
 * noise_symmetric.c. No PSK modifiers, no fallback: vx6 needs IK and XX,
 * and the other rows exist so the published vectors exercise every token
 * in every position.
 *
 * Reads are total: the exact message length is derived from the pattern
 * and the current HasKey() before any byte is looked at, and a failed DH,
 * AEAD or length check wipes the handshake (§5: "the handshake has failed
 * and the HandshakeState is deleted").
 */
#include "transport/noise_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/wire.h"

#define PROTO_FMT "Noise_%s_25519_%s_BLAKE2b"

static const char *const cipher_names[NOISE_CIPHER__COUNT] = {
    [NOISE_CIPHER_CHACHAPOLY] = "ChaChaPoly",
    [NOISE_CIPHER_AESGCM] = "AESGCM",
};

#define E  NOISE_TOKEN_E
#define S  NOISE_TOKEN_S
#define EE NOISE_TOKEN_EE
#define ES NOISE_TOKEN_ES
#define SE NOISE_TOKEN_SE
#define SS NOISE_TOKEN_SS

/* { name, "-> s" pre-message, "<- s" pre-message, messages, tokens }.
 * Message i goes initiator -> responder when i is even. Copied from the
 * spec's tables; test_noise.c checks the rows against §7.3's validity
 * rules and every row against the published vectors. */
static const struct noise_pattern_def pattern_table[NOISE_PATTERN__COUNT] = {
    /* §7.4 one-way */
    [NOISE_PATTERN_N] = {"N", false, true, 1, {{E, ES}}},
    [NOISE_PATTERN_K] = {"K", true, true, 1, {{E, ES, SS}}},
    [NOISE_PATTERN_X] = {"X", false, true, 1, {{E, ES, S, SS}}},
    /* §7.5 fundamental */
    [NOISE_PATTERN_NN] = {"NN", false, false, 2, {{E}, {E, EE}}},
    [NOISE_PATTERN_NK] = {"NK", false, true, 2, {{E, ES}, {E, EE}}},
    [NOISE_PATTERN_NX] = {"NX", false, false, 2, {{E}, {E, EE, S, ES}}},
    [NOISE_PATTERN_XN] = {"XN", false, false, 3, {{E}, {E, EE}, {S, SE}}},
    [NOISE_PATTERN_XK] = {"XK", false, true, 3, {{E, ES}, {E, EE}, {S, SE}}},
    [NOISE_PATTERN_XX] = {"XX", false, false, 3, {{E}, {E, EE, S, ES}, {S, SE}}},
    [NOISE_PATTERN_KN] = {"KN", true, false, 2, {{E}, {E, EE, SE}}},
    [NOISE_PATTERN_KK] = {"KK", true, true, 2, {{E, ES, SS}, {E, EE, SE}}},
    [NOISE_PATTERN_KX] = {"KX", true, false, 2, {{E}, {E, EE, SE, S, ES}}},
    [NOISE_PATTERN_IN] = {"IN", false, false, 2, {{E, S}, {E, EE, SE}}},
    [NOISE_PATTERN_IK] = {"IK", false, true, 2, {{E, ES, S, SS}, {E, EE, SE}}},
    [NOISE_PATTERN_IX] = {"IX", false, false, 2, {{E, S}, {E, EE, SE, S, ES}}},
    /* §18.1 deferred */
    [NOISE_PATTERN_NK1] = {"NK1", false, true, 2, {{E}, {E, EE, ES}}},
    [NOISE_PATTERN_NX1] = {"NX1", false, false, 3, {{E}, {E, EE, S}, {ES}}},
    [NOISE_PATTERN_X1N] = {"X1N", false, false, 4, {{E}, {E, EE}, {S}, {SE}}},
    [NOISE_PATTERN_X1K] = {"X1K", false, true, 4, {{E, ES}, {E, EE}, {S}, {SE}}},
    [NOISE_PATTERN_XK1] = {"XK1", false, true, 3, {{E}, {E, EE, ES}, {S, SE}}},
    [NOISE_PATTERN_X1K1] = {"X1K1", false, true, 4, {{E}, {E, EE, ES}, {S}, {SE}}},
    [NOISE_PATTERN_X1X] = {"X1X", false, false, 4, {{E}, {E, EE, S, ES}, {S}, {SE}}},
    [NOISE_PATTERN_XX1] = {"XX1", false, false, 3, {{E}, {E, EE, S}, {ES, S, SE}}},
    [NOISE_PATTERN_X1X1] = {"X1X1", false, false, 4, {{E}, {E, EE, S}, {ES, S}, {SE}}},
    [NOISE_PATTERN_K1N] = {"K1N", true, false, 3, {{E}, {E, EE}, {SE}}},
    [NOISE_PATTERN_K1K] = {"K1K", true, true, 3, {{E, ES}, {E, EE}, {SE}}},
    [NOISE_PATTERN_KK1] = {"KK1", true, true, 2, {{E}, {E, EE, SE, ES}}},
    [NOISE_PATTERN_K1K1] = {"K1K1", true, true, 3, {{E}, {E, EE, ES}, {SE}}},
    [NOISE_PATTERN_K1X] = {"K1X", true, false, 3, {{E}, {E, EE, S, ES}, {SE}}},
    [NOISE_PATTERN_KX1] = {"KX1", true, false, 3, {{E}, {E, EE, SE, S}, {ES}}},
    [NOISE_PATTERN_K1X1] = {"K1X1", true, false, 3, {{E}, {E, EE, S}, {SE, ES}}},
    [NOISE_PATTERN_I1N] = {"I1N", false, false, 3, {{E, S}, {E, EE}, {SE}}},
    [NOISE_PATTERN_I1K] = {"I1K", false, true, 3, {{E, ES, S}, {E, EE}, {SE}}},
    [NOISE_PATTERN_IK1] = {"IK1", false, true, 2, {{E, S}, {E, EE, SE, ES}}},
    [NOISE_PATTERN_I1K1] = {"I1K1", false, true, 3, {{E, S}, {E, EE, ES}, {SE}}},
    [NOISE_PATTERN_I1X] = {"I1X", false, false, 3, {{E, S}, {E, EE, S, ES}, {SE}}},
    [NOISE_PATTERN_IX1] = {"IX1", false, false, 3, {{E, S}, {E, EE, SE, S}, {ES}}},
    [NOISE_PATTERN_I1X1] = {"I1X1", false, false, 3, {{E, S}, {E, EE, S}, {SE, ES}}},
};

#undef E
#undef S
#undef EE
#undef ES
#undef SE
#undef SS

const struct noise_pattern_def *noise_pattern_def(enum noise_pattern p)
{
	if ((unsigned)p >= NOISE_PATTERN__COUNT)
		return NULL;
	return &pattern_table[p];
}

const char *noise_pattern_name(enum noise_pattern p)
{
	const struct noise_pattern_def *def = noise_pattern_def(p);

	return def ? def->name : NULL;
}

const char *noise_cipher_suite_name(enum noise_cipher_suite c)
{
	return (unsigned)c < NOISE_CIPHER__COUNT ? cipher_names[c] : NULL;
}

int noise_protocol_parse(const char *protocol_name, enum noise_pattern *out_pattern,
			 enum noise_cipher_suite *out_cipher)
{
	char name[NOISE_PROTO_NAME_MAX];

	if (!protocol_name)
		return -EPROTONOSUPPORT;
	for (unsigned c = 0; c < NOISE_CIPHER__COUNT; c++) {
		for (unsigned i = 0; i < NOISE_PATTERN__COUNT; i++) {
			snprintf(name, sizeof(name), PROTO_FMT, pattern_table[i].name,
				 cipher_names[c]);
			if (strcmp(name, protocol_name) == 0) {
				*out_pattern = (enum noise_pattern)i;
				*out_cipher = (enum noise_cipher_suite)c;
				return 0;
			}
		}
	}
	return -EPROTONOSUPPORT;
}

/* Whether the side `initiator` sends token `tok` in any message. */
static bool sends_token(const struct noise_pattern_def *def, bool initiator, uint8_t tok)
{
	for (unsigned m = initiator ? 0 : 1; m < def->n_msgs; m += 2)
		for (unsigned t = 0; t < NOISE_TOKENS_MAX && def->tokens[m][t]; t++)
			if (def->tokens[m][t] == tok)
				return true;
	return false;
}

bool noise_pattern_needs_static(enum noise_pattern p, bool initiator)
{
	const struct noise_pattern_def *def = noise_pattern_def(p);

	if (!def)
		return false;
	return (initiator ? def->pre_init_s : def->pre_resp_s) ||
	       sends_token(def, initiator, NOISE_TOKEN_S);
}

bool noise_pattern_needs_remote_static(enum noise_pattern p, bool initiator)
{
	const struct noise_pattern_def *def = noise_pattern_def(p);

	if (!def)
		return false;
	return initiator ? def->pre_resp_s : def->pre_init_s;
}

bool noise_pattern_is_one_way(enum noise_pattern p)
{
	const struct noise_pattern_def *def = noise_pattern_def(p);

	return def && def->n_msgs == 1;
}

static const char *const state_names[NOISE_HS__COUNT] = {
    [NOISE_HS_CLEARED] = "cleared",	[NOISE_HS_STARTED] = "started",
    [NOISE_HS_COMPLETED] = "completed", [NOISE_HS_SPLIT] = "split",
    [NOISE_HS_FAILED] = "failed",
};

const char *noise_handshake_state_name(enum noise_handshake_state state)
{
	if ((unsigned)state >= NOISE_HS__COUNT)
		return "?";
	return state_names[state];
}

#define TO(s) (1u << (s))

/* Legal moves; noise_handshake_clear() may go to CLEARED from anywhere. */
static const unsigned hs_next[NOISE_HS__COUNT] = {
    [NOISE_HS_CLEARED] = TO(NOISE_HS_STARTED),
    [NOISE_HS_STARTED] = TO(NOISE_HS_COMPLETED) | TO(NOISE_HS_FAILED),
    [NOISE_HS_COMPLETED] = TO(NOISE_HS_SPLIT),
    [NOISE_HS_SPLIT] = 0,
    [NOISE_HS_FAILED] = 0,
};

static void hs_set_state(struct noise_handshake *hs, enum noise_handshake_state to)
{
	assert(hs_next[hs->state] & TO(to));
	(void)hs_next; /* only read by assert() */
	log_debug(LD_LINK, "noise %s %s: %s -> %s", hs->pat ? hs->pat->name : "?",
		  hs->initiator ? "initiator" : "responder", noise_handshake_state_name(hs->state),
		  noise_handshake_state_name(to));
	hs->state = to;
}

/* Wipe the symmetric state and the keys; with `keep_result`, keep what
 * outlives a finished handshake: h (channel binding) and rs (identity). */
static void hs_wipe_secrets(struct noise_handshake *hs, bool keep_result)
{
	sodium_memzero(&hs->ss.cs, sizeof(hs->ss.cs));
	sodium_memzero(hs->ss.ck, sizeof(hs->ss.ck));
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	sodium_memzero(hs->s_pub, sizeof(hs->s_pub));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	sodium_memzero(hs->e_pub, sizeof(hs->e_pub));
	sodium_memzero(hs->re, sizeof(hs->re));
	hs->has_s = hs->has_e = hs->has_re = false;
	if (keep_result)
		return;
	sodium_memzero(hs->ss.h, sizeof(hs->ss.h));
	sodium_memzero(hs->rs, sizeof(hs->rs));
	hs->has_rs = false;
}

static void hs_fail(struct noise_handshake *hs)
{
	hs_set_state(hs, NOISE_HS_FAILED);
	hs_wipe_secrets(hs, false);
}

struct noise_handshake *noise_handshake_new(void)
{
	return calloc(1, sizeof(struct noise_handshake)); /* all zero: CLEARED */
}

struct noise_handshake *noise_handshake_free(struct noise_handshake *hs)
{
	if (!hs)
		return NULL;
	noise_handshake_clear(hs);
	free(hs);
	return NULL;
}

void noise_handshake_clear(struct noise_handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
	hs->pat = NULL;
	hs->state = NOISE_HS_CLEARED;
}

int noise_handshake_init(struct noise_handshake *hs, enum noise_pattern p,
			 enum noise_cipher_suite c, bool initiator, const uint8_t *prologue,
			 size_t prologue_len, const uint8_t *s_priv, const uint8_t *rs)
{
	const struct noise_pattern_def *def = noise_pattern_def(p);
	const char *cipher = noise_cipher_suite_name(c);
	char name[NOISE_PROTO_NAME_MAX];
	int r = -EINVAL;

	noise_handshake_clear(hs);
	if (!def || !cipher || (prologue_len && !prologue))
		goto out;
	if ((s_priv != NULL) != noise_pattern_needs_static(p, initiator) ||
	    (rs != NULL) != noise_pattern_needs_remote_static(p, initiator))
		goto out;
	if (s_priv) {
		if (noise_x25519_public(hs->s_pub, s_priv) < 0)
			goto out;
		memcpy(hs->s_priv, s_priv, sizeof(hs->s_priv));
		hs->has_s = true;
	}
	if (rs) {
		memcpy(hs->rs, rs, sizeof(hs->rs));
		hs->has_rs = true;
	}
	hs->pat = def;
	hs->initiator = initiator;

	snprintf(name, sizeof(name), PROTO_FMT, def->name, cipher);
	noise_symmetric_init(&hs->ss, name, c);
	noise_symmetric_mix_hash(&hs->ss, prologue, prologue_len);
	/* Pre-messages: the initiator's keys are hashed first (§5.3). */
	if (def->pre_init_s)
		noise_symmetric_mix_hash(&hs->ss, initiator ? hs->s_pub : hs->rs, NOISE_DH_LEN);
	if (def->pre_resp_s)
		noise_symmetric_mix_hash(&hs->ss, initiator ? hs->rs : hs->s_pub, NOISE_DH_LEN);
	hs_set_state(hs, NOISE_HS_STARTED);
	r = 0;
out:
	if (r < 0)
		noise_handshake_clear(hs);
	return r;
}

int noise_handshake_set_ephemeral_for_test(struct noise_handshake *hs, const uint8_t e_priv[32])
{
	if (hs->state != NOISE_HS_STARTED || hs->has_e ||
	    !sends_token(hs->pat, hs->initiator, NOISE_TOKEN_E))
		return -EINVAL;
	if (noise_x25519_public(hs->e_pub, e_priv) < 0)
		return -EINVAL;
	memcpy(hs->e_priv, e_priv, sizeof(hs->e_priv));
	hs->has_e = true;
	return 0;
}

/* Bytes an AEAD adds once a key is in use. */
static size_t tag_len(bool has_key)
{
	return has_key ? NOISE_TAG_LEN : 0;
}

static const uint8_t *hs_tokens(const struct noise_handshake *hs)
{
	return hs->pat->tokens[hs->msg_index];
}

/* Bytes of the next message besides its payload's plaintext: keys, their
 * tags and the payload's tag. Walks the tokens tracking HasKey() the way
 * the real pass will: every DH token calls MixKey(). */
static size_t hs_overhead(const struct noise_handshake *hs)
{
	const uint8_t *tok = hs_tokens(hs);
	bool has_key = hs->ss.cs.has_key;
	size_t n = 0;

	for (unsigned i = 0; i < NOISE_TOKENS_MAX && tok[i] != NOISE_TOKEN_END; i++) {
		if (tok[i] == NOISE_TOKEN_E)
			n += NOISE_DH_LEN;
		else if (tok[i] == NOISE_TOKEN_S)
			n += NOISE_DH_LEN + tag_len(has_key);
		else
			has_key = true;
	}
	return n + tag_len(has_key);
}

/* "ee", "es", "se", "ss": MixKey(DH(local, remote)), with the roles of
 * "es" and "se" swapped on the responder (§5.3). The table only names keys
 * each side has by then (§7.3 rule 1, checked by test_noise.c). */
static int hs_mix_dh(struct noise_handshake *hs, uint8_t tok)
{
	const uint8_t *priv, *pub;
	uint8_t dh[NOISE_DH_LEN];
	bool local_e, remote_e;
	int r;

	switch (tok) {
	case NOISE_TOKEN_EE:
		local_e = remote_e = true;
		break;
	case NOISE_TOKEN_ES:
		local_e = hs->initiator;
		remote_e = !hs->initiator;
		break;
	case NOISE_TOKEN_SE:
		local_e = !hs->initiator;
		remote_e = hs->initiator;
		break;
	default:
		local_e = remote_e = false;
		break;
	}
	assert(local_e ? hs->has_e : hs->has_s);
	assert(remote_e ? hs->has_re : hs->has_rs);
	priv = local_e ? hs->e_priv : hs->s_priv;
	pub = remote_e ? hs->re : hs->rs;

	r = noise_dh(dh, priv, pub);
	if (r == 0)
		noise_symmetric_mix_key(&hs->ss, dh, sizeof(dh));
	sodium_memzero(dh, sizeof(dh));
	return r;
}

static void hs_advance(struct noise_handshake *hs)
{
	hs->msg_index++;
	if (hs->msg_index == hs->pat->n_msgs)
		hs_set_state(hs, NOISE_HS_COMPLETED);
}

static bool hs_is_my_turn(const struct noise_handshake *hs)
{
	return hs->state == NOISE_HS_STARTED && ((hs->msg_index % 2 == 0) == hs->initiator);
}

bool noise_handshake_can_write(const struct noise_handshake *hs)
{
	return hs_is_my_turn(hs);
}

static int hs_write_tokens(struct noise_handshake *hs, struct wire_wr *w)
{
	const uint8_t *tok = hs_tokens(hs);
	uint8_t *p;
	int r = 0;

	for (unsigned i = 0; r == 0 && i < NOISE_TOKENS_MAX && tok[i] != NOISE_TOKEN_END; i++) {
		switch (tok[i]) {
		case NOISE_TOKEN_E:
			/* "e": fresh key pair (unless a vector test fixed one), sent in clear. */
			if (!hs->has_e) {
				randombytes_buf(hs->e_priv, sizeof(hs->e_priv));
				if (noise_x25519_public(hs->e_pub, hs->e_priv) < 0)
					return -EIO;
				hs->has_e = true;
			}
			wire_put_bytes(w, hs->e_pub, NOISE_DH_LEN);
			noise_symmetric_mix_hash(&hs->ss, hs->e_pub, NOISE_DH_LEN);
			break;
		case NOISE_TOKEN_S:
			/* "s": EncryptAndHash(s.public_key). */
			p = wire_put_space(w, NOISE_DH_LEN + tag_len(hs->ss.cs.has_key));
			assert(p); /* hs_overhead() sized the buffer */
			r = noise_symmetric_encrypt_and_hash(&hs->ss, hs->s_pub, NOISE_DH_LEN, p);
			break;
		default:
			r = hs_mix_dh(hs, tok[i]);
			break;
		}
	}
	return r;
}

int noise_handshake_write_message(struct noise_handshake *hs, const uint8_t *payload,
				  size_t payload_len, uint8_t *out_msg, size_t cap, size_t *out_len)
{
	struct wire_wr w;
	size_t need;
	uint8_t *p;
	int r;

	if (!hs_is_my_turn(hs) || (payload_len && !payload))
		return -EINVAL;
	if (payload_len > NOISE_MSG_MAX_LEN)
		return -EMSGSIZE;
	need = hs_overhead(hs) + payload_len;
	if (need > NOISE_MSG_MAX_LEN)
		return -EMSGSIZE;
	if (need > cap || !out_msg)
		return -ENOSPC;

	wire_wr_init(&w, out_msg, cap);
	r = hs_write_tokens(hs, &w);
	if (r < 0)
		goto out;
	/* The payload: EncryptAndHash(payload). */
	p = wire_put_space(&w, payload_len + tag_len(hs->ss.cs.has_key));
	assert(p); /* hs_overhead() sized the buffer */
	r = noise_symmetric_encrypt_and_hash(&hs->ss, payload, payload_len, p);
	if (r < 0)
		goto out;
	assert(!w.bad && w.len == need);
	hs_advance(hs);
	*out_len = need;
out:
	if (r < 0) {
		sodium_memzero(out_msg, need);
		hs_fail(hs);
	}
	return r;
}

static int hs_read_tokens(struct noise_handshake *hs, struct wire_rd *rd)
{
	const uint8_t *tok = hs_tokens(hs);
	const uint8_t *p;
	size_t n;
	int r = 0;

	for (unsigned i = 0; r == 0 && i < NOISE_TOKENS_MAX && tok[i] != NOISE_TOKEN_END; i++) {
		switch (tok[i]) {
		case NOISE_TOKEN_E:
			/* "e": re = next DHLEN bytes; MixHash(re). */
			p = wire_get_bytes(rd, NOISE_DH_LEN);
			if (!p)
				return -EBADMSG;
			memcpy(hs->re, p, NOISE_DH_LEN);
			hs->has_re = true;
			noise_symmetric_mix_hash(&hs->ss, hs->re, NOISE_DH_LEN);
			break;
		case NOISE_TOKEN_S:
			/* "s": rs = DecryptAndHash(next DHLEN [+ 16] bytes). */
			n = NOISE_DH_LEN + tag_len(hs->ss.cs.has_key);
			p = wire_get_bytes(rd, n);
			if (!p)
				return -EBADMSG;
			r = noise_symmetric_decrypt_and_hash(&hs->ss, p, n, hs->rs);
			hs->has_rs = r == 0;
			break;
		default:
			r = hs_mix_dh(hs, tok[i]);
			break;
		}
	}
	return r;
}

int noise_handshake_read_message(struct noise_handshake *hs, const uint8_t *msg, size_t len,
				 uint8_t *out_payload, size_t cap, size_t *out_len)
{
	struct wire_rd rd;
	const uint8_t *ct;
	size_t overhead, ct_len, plain_len = 0;
	int r;

	if (hs->state != NOISE_HS_STARTED || hs_is_my_turn(hs) || (len && !msg) ||
	    (cap && !out_payload))
		return -EINVAL;
	overhead = hs_overhead(hs);
	if (len > NOISE_MSG_MAX_LEN) {
		r = -EMSGSIZE;
		goto out;
	}
	if (len < overhead) {
		r = -EBADMSG; /* truncated: not one byte of it is looked at */
		goto out;
	}
	plain_len = len - overhead;
	if (plain_len > cap)
		return -ENOSPC; /* the caller's buffer, not the peer's fault: hs unchanged */

	wire_rd_init(&rd, msg, len);
	r = hs_read_tokens(hs, &rd);
	if (r < 0)
		goto out;
	/* The payload: DecryptAndHash(rest of the message). */
	ct_len = rd.left;
	ct = wire_get_bytes(&rd, ct_len);
	if (!ct || !wire_rd_is_done(&rd)) {
		r = -EBADMSG;
		goto out;
	}
	r = noise_symmetric_decrypt_and_hash(&hs->ss, ct, ct_len, out_payload);
	if (r < 0)
		goto out;
	hs_advance(hs);
	*out_len = plain_len;
out:
	if (r < 0) {
		if (plain_len)
			sodium_memzero(out_payload, plain_len);
		hs_fail(hs);
	}
	return r;
}

enum noise_handshake_state noise_handshake_get_state(const struct noise_handshake *hs)
{
	return hs->state;
}

bool noise_handshake_is_done(const struct noise_handshake *hs)
{
	return hs->state == NOISE_HS_COMPLETED || hs->state == NOISE_HS_SPLIT;
}

int noise_handshake_split(struct noise_handshake *hs, struct noise_cipher *out_send,
			  struct noise_cipher *out_recv)
{
	struct noise_cipher c1 = {0}, c2 = {0};
	int r;

	if (hs->state != NOISE_HS_COMPLETED)
		return -EINVAL;
	/* c1 carries initiator -> responder, c2 the other way (§5.2). A
	 * one-way pattern discards c2 (§7.4). */
	noise_symmetric_split(&hs->ss, &c1, &c2);
	noise_cipher_clear(out_send);
	noise_cipher_clear(out_recv);
	if (hs->initiator) {
		*out_send = c1;
		if (hs->pat->n_msgs > 1)
			*out_recv = c2;
	} else {
		*out_recv = c1;
		if (hs->pat->n_msgs > 1)
			*out_send = c2;
	}
	sodium_memzero(&c1, sizeof(c1));
	sodium_memzero(&c2, sizeof(c2));
	r = noise_cipher_schedule(out_send);
	if (r == 0)
		r = noise_cipher_schedule(out_recv);
	if (r < 0) {
		noise_cipher_clear(out_send);
		noise_cipher_clear(out_recv);
		return r;
	}
	hs_set_state(hs, NOISE_HS_SPLIT);
	hs_wipe_secrets(hs, true);
	return 0;
}

int noise_handshake_get_remote_static(const struct noise_handshake *hs, uint8_t out_rs[32])
{
	if (!hs->has_rs)
		return -ENOENT;
	memcpy(out_rs, hs->rs, NOISE_DH_LEN);
	return 0;
}

int noise_handshake_check_remote_ed25519(const struct noise_handshake *hs, const uint8_t ed_pk[32])
{
	uint8_t want[NOISE_DH_LEN];

	if (!hs->has_rs)
		return -ENOENT;
	if (noise_x25519_from_ed25519_pk(want, ed_pk) < 0)
		return -EINVAL;
	return sodium_memcmp(want, hs->rs, NOISE_DH_LEN) == 0 ? 0 : -EKEYREJECTED;
}

int noise_handshake_get_hash(const struct noise_handshake *hs, uint8_t out_hash[NOISE_HASH_LEN])
{
	if (!noise_handshake_is_done(hs))
		return -EINPROGRESS;
	memcpy(out_hash, hs->ss.h, NOISE_HASH_LEN);
	return 0;
}
