/* capture_token: the API token the client sends (--token, $SYSREC_TOKEN, DATA/token), and `sysrec token`. */
#include "cli.h"

#include "capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_MAX 4096 /* bytes of the token file read */

/* Bearer tokens are visible ASCII; anything else would break (or inject into) the header. */
static bool token_ok(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if (*t < 0x21 || *t > 0x7e)
			return false;
	return true;
}

/* The first line of the token file, newly allocated; NULL with e set when it cannot be had. */
static char *read_token_file(const char *path, struct err *e)
{
	char buf[TOKEN_MAX + 1];
	ssize_t n;
	size_t len;
	char *tok = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	do
		n = read(fd, buf, TOKEN_MAX);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (!len)
		err_set(e, -ENODATA, "%s is empty", path);
	else if (len == TOKEN_MAX || !token_ok(buf))
		err_set(e, -EINVAL, "%s does not hold a token on its first line", path);
	else
		tok = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return tok;
}

static char *token_path(const char *data)
{
	struct sbuf b = { 0 };

	sbuf_printf(&b, "%s/token", data ? data : env_or("SYSREC_DATA", DEFAULT_DATA));
	return (char *)sbuf_cstr(&b);
}

/*
 * --token, else $SYSREC_TOKEN, else DATA/token, into *token (the caller frees
 * it). Returns 0, or the exit code after saying why there is none: 2 for a
 * token given that cannot be one, 1 for a token file that cannot be read.
 */
int capture_resolve_token(const struct capture_opts *o, char **token)
{
	const char *t = o->token_arg ? o->token_arg : getenv("SYSREC_TOKEN");
	struct err e = { { 0 } };
	char *path;

	*token = NULL;
	if (t && *t) {
		if (!token_ok(t)) {
			capture_usage_error("the token given by %s has characters no token has",
			                    o->token_arg ? "--token" : "SYSREC_TOKEN");
			return 2;
		}
		*token = xstrdup(t);
		return 0;
	}
	path = token_path(o->data);
	*token = read_token_file(path, &e);
	free(path);
	if (*token)
		return 0;
	fprintf(stderr,
	        "sysrec capture: %s (start the agent once, pass --data DIR, or give --token or "
	        "SYSREC_TOKEN)\n",
	        e.msg);
	return 1;
}

int cmd_token(int argc, char **argv)
{
	static const struct option token_longs[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL;
	struct err e = { { 0 } };
	char *path, *tok;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", token_longs, NULL)) != -1) {
		if (c == 'd') {
			data = optarg;
		} else if (c == 'h') {
			printf("usage: sysrec token [--data DIR]\n\n"
			       "Print the agent's API token, the first line of DIR/token (DIR: --data, else\n"
			       "$SYSREC_DATA, else " DEFAULT_DATA ").\n");
			return 0;
		} else {
			fprintf(stderr, "usage: sysrec token [--data DIR]\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sysrec token: unexpected '%s'\nusage: sysrec token [--data DIR]\n",
		        argv[optind]);
		return 2;
	}
	path = token_path(data);
	tok = read_token_file(path, &e);
	free(path);
	if (!tok) {
		fprintf(stderr, "sysrec token: %s (start the agent once, or pass --data DIR)\n", e.msg);
		return 1;
	}
	printf("%s\n", tok);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	return fflush(stdout) ? 1 : 0;
}
