/*
 * web: the web UI's files (web/ in the repository), embedded in the binary at build
 * time: scripts/gen-web-assets.sh writes them as byte arrays to build/web/assets.c.
 * http.c serves them at / (index.html) and /web/NAME, without the API token.
 */
#ifndef SYSREC_AGENT_WEB_H
#define SYSREC_AGENT_WEB_H

#include <stddef.h>

struct web_asset {
	const char *name; /* the file's name in web/, e.g. "app.js" */
	const char *type; /* its Content-Type */
	const unsigned char *data;
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_n;

#endif
