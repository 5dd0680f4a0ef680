/* identity/identity.c - the node's identity in the state directory
 * (docs/wire.md §1.3): identity.key holds the Ed25519 seed (mode 0600),
 * identity.json its public description (mode 0644). Owns reading, strict
 * validation and writing of these two files and nothing else: the node ID
 * is node_id.c, the address overlay_addr.c.
 *
 * Error strings are one line, name the file, and quote (escaped) any value
 * read from a file or given by the user, except the seed, which never
 * appears in a message.
 */
#include "identity/identity.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/encode.h"
#include "lib/fs.h"
#include "lib/jsonx.h"
#include "lib/secure.h"

#define KEY_PREFIX   "vx6-ed25519-seed-v1 "
#define KEY_FILE_LEN (sizeof(KEY_PREFIX) - 1 + HEX_LEN(SEC_ED25519_SEED_LEN) + 1)
#define KEY_MODE     0600
#define INFO_MODE    0644
#define DIR_MODE     0700
/* Both files are tiny; anything bigger is not ours. */
#define FILE_READ_MAX 4096
#define QUOTE_MAX     80

_Static_assert(sizeof(((struct identity *)0)->sk) == SEC_ED25519_SK_LEN, "libsodium sk layout");
_Static_assert(IDENTITY_NAME_MAX == OVERLAY_NET_NAME_MAX, "one name rule for nodes and nets");

static const char *const info_fields[] = {"name", "network", "public_key", "node_id",
					  "overlay_address"};

static void seterr(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!err || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* Copy `s` into `buf` for quoting in a message: printable ASCII as is,
 * everything else (and the quote and backslash) as \xNN, cut at QUOTE_MAX. */
static const char *esc(char *buf, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 8 < cap && n < QUOTE_MAX; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", c);
	}
	if (*s)
		n += (size_t)snprintf(buf + n, cap - n, "...");
	buf[n] = '\0';
	return buf;
}

static const char *name_rule(void)
{
	return "use 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'";
}

/* Fill in the name, the network, and the node ID and address of id->pk. */
static void identity_derive(struct identity *id, const char *name, const struct overlay_net *net)
{
	memcpy(id->name, name, strlen(name) + 1);
	id->net = *net;
	node_id_from_pubkey(&id->id, id->pk);
	overlay_addr_of(&id->net, &id->id, &id->addr);
}

/* ---- identity.json ---------------------------------------------------- */

struct info_doc {
	const char *path;
	const char *text;
	size_t len;
	json_t *root;
};

/* Report a problem with field `field` of the document, with its position
 * when the locator finds it. Always returns -EINVAL. */
static int info_fail(const struct info_doc *d, const char *field, char *err, size_t cap,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int info_fail(const struct info_doc *d, const char *field, char *err, size_t cap,
		     const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field && jsonx_locate(d->text, d->len, field, &line, &col) == 0)
		seterr(err, cap, "%s:%d:%d: %s", d->path, line, col, msg);
	else
		seterr(err, cap, "%s: %s", d->path, msg);
	return -EINVAL;
}

static int info_get(const struct info_doc *d, const char *field, const char **out, char *err,
		    size_t cap)
{
	json_t *v = json_object_get(d->root, field);

	if (!v)
		return info_fail(d, NULL, err, cap, "missing field '%s'", field);
	if (!json_is_string(v))
		return info_fail(d, field, err, cap, "field '%s' must be a string", field);
	*out = json_string_value(v);
	return 0;
}

static int info_check_fields(const struct info_doc *d, char *err, size_t cap)
{
	char q[QUOTE_MAX + 16];
	const char *key;
	json_t *v;

	json_object_foreach(d->root, key, v)
	{
		bool known = false;

		for (size_t i = 0; i < sizeof(info_fields) / sizeof(info_fields[0]); i++)
			known = known || strcmp(key, info_fields[i]) == 0;
		if (!known)
			return info_fail(d, NULL, err, cap, "unknown field '%s'",
					 esc(q, sizeof(q), key));
	}
	return 0;
}

/* Validate the parsed document and fill `id` (no secret). */
static int info_decode(const struct info_doc *d, struct identity *id, char *err, size_t cap)
{
	const char *name = NULL, *network = NULL, *pk = NULL, *nid = NULL, *addr = NULL;
	char q[QUOTE_MAX + 16];
	struct overlay_net net;
	struct node_id want;
	struct in6_addr a;
	int r;

	if ((r = info_check_fields(d, err, cap)) < 0 ||
	    (r = info_get(d, "name", &name, err, cap)) < 0 ||
	    (r = info_get(d, "network", &network, err, cap)) < 0 ||
	    (r = info_get(d, "public_key", &pk, err, cap)) < 0 ||
	    (r = info_get(d, "node_id", &nid, err, cap)) < 0 ||
	    (r = info_get(d, "overlay_address", &addr, err, cap)) < 0)
		return r;
	if (!overlay_name_is_valid(name))
		return info_fail(d, "name", err, cap, "invalid node name '%s': %s",
				 esc(q, sizeof(q), name), name_rule());
	if (overlay_net_init(&net, network) < 0)
		return info_fail(d, "network", err, cap, "invalid network name '%s': %s",
				 esc(q, sizeof(q), network), name_rule());
	if (node_pubkey_parse(id->pk, pk) < 0)
		return info_fail(d, "public_key", err, cap, "public_key '%s' is not 64 hex digits",
				 esc(q, sizeof(q), pk));
	identity_derive(id, name, &net);
	if (node_id_parse(&want, nid) < 0)
		return info_fail(d, "node_id", err, cap, "node_id '%s' is not 52 base32 characters",
				 esc(q, sizeof(q), nid));
	if (!node_id_is_equal(&want, &id->id))
		return info_fail(d, "node_id", err, cap,
				 "node_id '%s' is not the hash of public_key", nid);
	if (inet_pton(AF_INET6, addr, &a) != 1)
		return info_fail(d, "overlay_address", err, cap,
				 "overlay_address '%s' is not an IPv6 address",
				 esc(q, sizeof(q), addr));
	if (memcmp(&a, &id->addr, sizeof(a)) != 0)
		return info_fail(
		    d, "overlay_address", err, cap,
		    "overlay_address '%s' is not the address of node_id in network '%s'", addr,
		    network);
	return 0;
}

static int info_read(const char *path, struct identity *id, char *err, size_t cap)
{
	struct info_doc d = {.path = path};
	char perr[200];
	uint8_t *buf = NULL;
	int r;

	r = fs_read_file(path, FILE_READ_MAX, &buf, &d.len);
	if (r == -ENOENT) {
		seterr(err, cap, "no identity: '%s' does not exist; run 'vx6 init'", path);
		return r;
	}
	if (r == -EFBIG) {
		seterr(err, cap, "%s: file is larger than %d bytes", path, FILE_READ_MAX);
		return -EINVAL;
	}
	if (r < 0) {
		seterr(err, cap, "Failed to read '%s': %s", path, strerror(-r));
		return r;
	}
	d.text = (const char *)buf;
	r = jsonx_parse_object(d.text, d.len, &d.root, perr, sizeof(perr));
	if (r < 0) {
		seterr(err, cap, "%s:%s", path, perr);
		goto out;
	}
	r = info_decode(&d, id, err, cap);
out:
	json_decref(d.root);
	free(buf);
	return r;
}

static int info_write(const char *path, const struct identity *id, char *err, size_t cap)
{
	char pk[NODE_PK_STR_LEN + 1], nid[NODE_ID_STR_LEN + 1], addr[INET6_ADDRSTRLEN];
	char text[1024];
	size_t n = 0;
	json_t *root;
	int r;

	node_pubkey_to_str(id->pk, pk);
	node_id_to_str(&id->id, nid);
	inet_ntop(AF_INET6, &id->addr, addr, sizeof(addr));
	/* "s" copies each string: nothing is stolen. Insertion order is kept,
	 * so the file lists the fields in the order of docs/wire.md §1.3. */
	root = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", id->name, "network", id->net.name,
			 "public_key", pk, "node_id", nid, "overlay_address", addr);
	if (root)
		n = json_dumpb(root, text, sizeof(text) - 1, JSON_INDENT(2));
	json_decref(root);
	/* Names are capped at 63 characters, so the document always fits. */
	if (n == 0 || n >= sizeof(text) - 1) {
		seterr(err, cap, "Failed to write '%s': out of memory", path);
		return -ENOMEM;
	}
	text[n++] = '\n';
	r = fs_write_atomic(path, text, n, INFO_MODE);
	if (r < 0)
		seterr(err, cap, "Failed to write '%s': %s", path, strerror(-r));
	return r;
}

/* ---- identity.key ----------------------------------------------------- */

static int key_parse(const uint8_t *buf, size_t len, uint8_t seed[SEC_ED25519_SEED_LEN])
{
	const size_t pre = sizeof(KEY_PREFIX) - 1;
	char hex[HEX_LEN(SEC_ED25519_SEED_LEN) + 1];
	int r = -EINVAL;

	if (len != KEY_FILE_LEN || memcmp(buf, KEY_PREFIX, pre) != 0 || buf[len - 1] != '\n')
		return -EINVAL;
	for (size_t i = 0; i < HEX_LEN(SEC_ED25519_SEED_LEN); i++) {
		uint8_t c = buf[pre + i];

		/* Canonical: lowercase only, as identity_create writes it. */
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			goto out;
		hex[i] = (char)c;
	}
	hex[HEX_LEN(SEC_ED25519_SEED_LEN)] = '\0';
	r = hex_decode(seed, SEC_ED25519_SEED_LEN, hex) < 0 ? -EINVAL : 0;
out:
	sec_wipe(hex, sizeof(hex));
	return r;
}

static int key_read(const char *path, uint8_t seed[SEC_ED25519_SEED_LEN], char *err, size_t cap)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	mode_t mode = 0;
	int r;

	r = fs_check_private(path, &mode);
	if (r == -EPERM) {
		seterr(err, cap, "key file '%s' has mode %04o; run 'chmod 600 %s'", path,
		       (unsigned)mode, path);
		return r;
	}
	if (r == -ENOENT) {
		seterr(err, cap, "no identity key: '%s' does not exist; run 'vx6 init'", path);
		return r;
	}
	if (r == -EINVAL) {
		seterr(err, cap, "key file '%s' is not a regular file", path);
		return r;
	}
	if (r == 0)
		r = fs_read_file(path, FILE_READ_MAX, &buf, &len);
	if (r == -EFBIG) {
		seterr(err, cap, "key file '%s' is larger than %d bytes", path, FILE_READ_MAX);
		return -EINVAL;
	}
	if (r < 0) {
		seterr(err, cap, "Failed to read key file '%s': %s", path, strerror(-r));
		return r;
	}
	r = key_parse(buf, len, seed);
	if (r < 0)
		seterr(
		    err, cap,
		    "key file '%s' is malformed: expected one line '%s<64 lowercase hex digits>'",
		    path, KEY_PREFIX);
	sec_wipe(buf, len);
	free(buf);
	return r;
}

static int key_write(const char *path, const uint8_t seed[SEC_ED25519_SEED_LEN], bool force,
		     const char *state_dir, char *err, size_t cap)
{
	char text[KEY_FILE_LEN + 1];
	const size_t pre = sizeof(KEY_PREFIX) - 1;
	int r;

	memcpy(text, KEY_PREFIX, pre);
	hex_encode(text + pre, sizeof(text) - pre, seed, SEC_ED25519_SEED_LEN);
	text[KEY_FILE_LEN - 1] = '\n';
	/* Without force, O_EXCL makes "is there an identity?" and "create it"
	 * one step, so two concurrent `vx6 init` cannot both win. */
	if (force)
		r = fs_write_atomic(path, text, KEY_FILE_LEN, KEY_MODE);
	else
		r = fs_write_new(path, text, KEY_FILE_LEN, KEY_MODE);
	sec_wipe(text, sizeof(text));
	if (r == -EEXIST)
		seterr(err, cap, "an identity already exists in '%s'; use --force to replace it",
		       state_dir);
	else if (r < 0)
		seterr(err, cap, "Failed to write key file '%s': %s", path, strerror(-r));
	return r;
}

/* ---- public API ------------------------------------------------------- */

static int paths(const char *state_dir, char key[PATH_MAX], char info[PATH_MAX], char *err,
		 size_t cap)
{
	if (fs_path_join(key, PATH_MAX, state_dir, IDENTITY_KEY_FILE) < 0 ||
	    fs_path_join(info, PATH_MAX, state_dir, IDENTITY_INFO_FILE) < 0) {
		seterr(err, cap, "state directory path '%s' is too long", state_dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

int identity_create(const char *state_dir, const char *name, const char *network, bool force,
		    struct identity *out, char *err, size_t cap)
{
	char key_path[PATH_MAX], info_path[PATH_MAX], q[QUOTE_MAX + 16];
	uint8_t seed[SEC_ED25519_SEED_LEN];
	struct identity tmp = {0};
	struct overlay_net net;
	int r;

	if (!overlay_name_is_valid(name)) {
		seterr(err, cap, "invalid node name '%s': %s", esc(q, sizeof(q), name),
		       name_rule());
		return -EINVAL;
	}
	if (overlay_net_init(&net, network) < 0) {
		seterr(err, cap, "invalid network name '%s': %s", esc(q, sizeof(q), network),
		       name_rule());
		return -EINVAL;
	}
	if ((r = paths(state_dir, key_path, info_path, err, cap)) < 0)
		return r;
	if ((r = sec_init()) < 0) {
		seterr(err, cap, "Failed to initialize libsodium");
		return r;
	}
	if ((r = fs_mkdir_p(state_dir, DIR_MODE)) < 0) {
		seterr(err, cap, "Failed to create state directory '%s': %s", state_dir,
		       strerror(-r));
		return r;
	}
	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(tmp.pk, tmp.sk, seed);
	tmp.has_secret = true;
	identity_derive(&tmp, name, &net);
	/* The key first: a crash before identity.json is written leaves a key
	 * that identity_load() reports, never a description without a key. */
	r = key_write(key_path, seed, force, state_dir, err, cap);
	if (r < 0)
		goto out;
	r = info_write(info_path, &tmp, err, cap);
	if (r < 0)
		goto out;
	*out = tmp;
out:
	sec_wipe(seed, sizeof(seed));
	sec_wipe(&tmp, sizeof(tmp));
	return r;
}

int identity_load(const char *state_dir, bool want_secret, struct identity *out, char *err,
		  size_t cap)
{
	char key_path[PATH_MAX], info_path[PATH_MAX];
	uint8_t seed[SEC_ED25519_SEED_LEN], pk[SEC_ED25519_PK_LEN];
	struct identity tmp = {0};
	int r;

	if ((r = paths(state_dir, key_path, info_path, err, cap)) < 0)
		return r;
	r = info_read(info_path, &tmp, err, cap);
	if (r < 0 || !want_secret)
		goto done;
	r = key_read(key_path, seed, err, cap);
	if (r < 0)
		goto done;
	sec_ed25519_from_seed(pk, tmp.sk, seed);
	if (!sec_equal(pk, tmp.pk, sizeof(pk))) {
		seterr(err, cap,
		       "identity.json does not match identity.key in '%s': restore the pair from a "
		       "backup, or run 'vx6 init --force' to make a new identity",
		       state_dir);
		r = -EINVAL;
		goto done;
	}
	tmp.has_secret = true;
done:
	if (r == 0)
		*out = tmp;
	sec_wipe(seed, sizeof(seed));
	sec_wipe(&tmp, sizeof(tmp));
	return r;
}

void identity_clear(struct identity *id)
{
	sec_wipe(id->sk, sizeof(id->sk));
	id->has_secret = false;
}
