/* tests/fuzz/fuzz_config.c - the vx6d config parser (daemon/config.c) on
 * arbitrary bytes. Properties: no crash, leak or out-of-bounds access
 * (ASan); a refused input always comes with an error message; an accepted
 * one gives values inside their documented ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct daemon_config *c = NULL;
	char err[1024] = "";
	char *text = malloc(len + 1);
	int r;

	if (!text)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	r = daemon_config_parse(text, len, "fuzz.json", NULL, &c, err, sizeof(err));
	if (r < 0) {
		if (c || err[0] == '\0')
			abort();
	} else {
		if (!c || c->n_listen > CONFIG_LISTEN_MAX || c->state_dir[0] != '/' ||
		    c->record_lifetime_s < CONFIG_LIFETIME_MIN_S ||
		    c->record_lifetime_s > CONFIG_LIFETIME_MAX_S ||
		    strlen(c->admin_unix) >= 108)
			abort();
		for (unsigned i = 0; i < c->n_listen; i++)
			if (c->listen[i].port == 0)
				abort();
		free(c);
	}
	free(text);
	return 0;
}
