/* compile: a parsed filter bound to the field table, and its evaluation per event. */
#include "fields.h"
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cvalue {
	char *s;
	size_t len;
	int64_t num;    /* numeric fields: the value as a number */
	uint8_t ip[16]; /* address fields: the address (v4 in the first 4 bytes) */
	uint8_t iplen;  /* 4 or 16 */
	uint8_t bits;   /* network fields: the prefix length */
};

/* `in` over many values: an open-addressing set of the values' texts. */
struct strset {
	uint32_t mask;
	const struct cvalue **slot;
};

struct cnode {
	enum fnode_kind kind; /* FN_AND, FN_OR, FN_NOT or FN_CHECK */
	struct cnode **kids;
	size_t nkids;
	/* FN_CHECK */
	const struct field *field;
	char *arg;
	int64_t argn;
	bool any; /* FF_ANY without an argument, or FF_EITHER: several values, any may match */
	enum fop op;
	struct cvalue *vals;
	size_t nvals;
	struct strset set; /* FOP_IN on text with many values */
};

#define TYPE_WORDS ((EVENT_MAX + 63) / 64)

/* A set of event codes. */
struct typeset {
	uint64_t w[TYPE_WORDS];
};

struct filter {
	struct state *st;
	struct cnode *root;
	bool needs_state;
	/*
	 * When the filter pins evt.type (evt.type = X, evt.type in (...), under
	 * and/or), the event codes that can match: others are rejected before any
	 * field is read. Generic events (codes 0, 1) carry their syscall's name and
	 * are always let through to the full check.
	 */
	bool pinned;
	struct typeset types;
	struct sbuf val; /* the field's text for the event being matched */
};

static void cnode_free(struct cnode *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nkids; i++)
		cnode_free(c->kids[i]);
	free(c->kids);
	for (size_t i = 0; i < c->nvals; i++)
		free(c->vals[i].s);
	free(c->vals);
	free(c->set.slot);
	free(c->arg);
	free(c);
}

static uint32_t hash_text(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Lists of this many values or more are looked up in a hash set. */
#define SET_MIN 8

static void strset_build(struct strset *set, const struct cvalue *v, size_t n)
{
	uint32_t size = 16;

	while (size < n * 2)
		size *= 2;
	set->mask = size - 1;
	set->slot = xcalloc(size, sizeof(*set->slot)); // NOLINT(bugprone-sizeof-expression): pointers
	for (size_t i = 0; i < n; i++) {
		uint32_t k = hash_text(v[i].s, v[i].len) & set->mask;

		while (set->slot[k])
			k = (k + 1) & set->mask;
		set->slot[k] = &v[i];
	}
}

static bool strset_has(const struct strset *set, const char *s, size_t n)
{
	uint32_t k = hash_text(s, n) & set->mask;

	for (; set->slot[k]; k = (k + 1) & set->mask)
		if (set->slot[k]->len == n && memcmp(set->slot[k]->s, s, n) == 0)
			return true;
	return false;
}

/* An IPv4 or IPv6 address; for networks, "ADDR/BITS" (an address alone: all its bits). */
static bool parse_ip(const char *s, struct cvalue *v, bool net)
{
	char buf[64];
	const char *slash = net ? strchr(s, '/') : NULL;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long bits;
	char *end;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, v->ip) == 1)
		v->iplen = 4;
	else if (inet_pton(AF_INET6, buf, v->ip) == 1)
		v->iplen = 16;
	else
		return false;
	v->bits = (uint8_t)(v->iplen * 8);
	if (slash) {
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || bits < 0 || bits > v->iplen * 8)
			return false;
		v->bits = (uint8_t)bits;
	}
	return true;
}

/* A whole decimal (or 0x hex) number, as sysdig reads numeric filter values. */
static bool parse_num(const char *s, int64_t *v)
{
	char *end;
	long long x;

	if (!*s)
		return false;
	errno = 0;
	x = strtoll(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

#define ARG_INDEX_HINT "[N]"

static int compile_error(struct err *e, uint32_t col, const char *what, const char *name)
{
	return err_set(e, -EINVAL, "filter error at column %u: %s '%s'", col, what, name);
}

static struct cnode *compile_check(struct filter *f, const struct fnode *n, struct err *e)
{
	const char *dotted, *arg;
	const struct field *fd = field_find(n->field, strlen(n->field), &dotted);
	struct cnode *c;

	if (!fd) {
		compile_error(e, n->col, "unknown field", n->field);
		return NULL;
	}
	arg = n->arg ? n->arg : dotted;
	if (n->arg && dotted) {
		compile_error(e, n->col,
		              "a field with an argument in brackets cannot have one after a dot as well:",
		              n->field);
		return NULL;
	}
	if (!strcmp(field_name(fd), "evt.time") || !strcmp(field_name(fd), "evt.outputtime")) {
		err_set(e, -EINVAL,
		        "filter error at column %u: filters do not take %s yet (it prints a clock time); "
		        "evt.rawtime holds the time in ns",
		        n->col, field_name(fd));
		return NULL;
	}
	if ((field_arg(fd) == FARG_NAME_OR_INDEX || field_arg(fd) == FARG_NAME) && (!arg || !*arg)) {
		err_set(e, -EINVAL, "filter error at column %u: '%s' needs an argument: %s.NAME%s", n->col,
		        n->field, n->field, field_arg(fd) == FARG_NAME ? "" : " or " ARG_INDEX_HINT);
		return NULL;
	}
	if (field_arg(fd) == FARG_INDEX && arg &&
	    (!*arg || strspn(arg, "0123456789") != strlen(arg) || strlen(arg) > 6)) {
		err_set(e, -EINVAL, "filter error at column %u: '%s' needs a generation: %s[N], N from 0",
		        n->col, n->field, n->field);
		return NULL;
	}
	if (field_arg(fd) == FARG_INDEX && !arg && !(field_flags(fd) & FF_ANY)) {
		err_set(e, -EINVAL, "filter error at column %u: '%s' needs a generation: %s[N], N from 0",
		        n->col, n->field, n->field);
		return NULL;
	}
	if (field_arg(fd) == FARG_NONE && arg) {
		compile_error(e, n->col, "this field takes no argument:", n->field);
		return NULL;
	}
	if (n->list_ref) {
		err_set(e, -EINVAL,
		        "filter error at column %u: unknown list '%s' (lists come from rules files)",
		        n->op_col, n->list_ref);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = FN_CHECK;
	c->field = fd;
	c->arg = arg ? xstrdup(arg) : NULL;
	c->argn = arg ? strtoll(arg, NULL, 10) : 0;
	c->any = (field_flags(fd) & FF_EITHER) || (field_arg(fd) == FARG_INDEX && !arg);
	c->op = n->op;
	c->nvals = n->nvals;
	c->vals = xcalloc(n->nvals ? n->nvals : 1, sizeof(*c->vals));
	for (size_t i = 0; i < n->nvals; i++) {
		struct cvalue *v = &c->vals[i];
		enum ftype t = field_type(fd);

		v->s = xmalloc(n->vals[i].len + 1);
		memcpy(v->s, n->vals[i].s, n->vals[i].len + 1);
		v->len = n->vals[i].len;
		if (t == FT_NUM && !parse_num(v->s, &v->num)) {
			err_set(e, -EINVAL, "filter error at column %u: %s is numeric; '%s' is not a number",
			        n->vals[i].col, field_name(fd), v->s);
			cnode_free(c);
			return NULL;
		}
		if ((t == FT_IP || t == FT_NET) && !parse_ip(v->s, v, t == FT_NET)) {
			err_set(e, -EINVAL, "filter error at column %u: %s takes %s; '%s' is not one",
			        n->vals[i].col, field_name(fd),
			        t == FT_NET ? "a network (ADDR/BITS, IPv4 or IPv6)"
			                    : "an IPv4 or IPv6 address",
			        v->s);
			cnode_free(c);
			return NULL;
		}
	}
	if (field_type(fd) != FT_STR) {
		switch (c->op) {
		case FOP_CONTAINS:
		case FOP_ICONTAINS:
		case FOP_BCONTAINS:
		case FOP_STARTSWITH:
		case FOP_BSTARTSWITH:
		case FOP_ENDSWITH:
		case FOP_GLOB:
		case FOP_PMATCH:
			err_set(e, -EINVAL,
			        "filter error at column %u: '%s' does not apply to %s, which is %s",
			        n->op_col, fop_name(c->op), field_name(fd),
			        field_type(fd) == FT_NUM ? "numeric" : "an address");
			cnode_free(c);
			return NULL;
		case FOP_LT:
		case FOP_LE:
		case FOP_GT:
		case FOP_GE:
			if (field_type(fd) == FT_NUM)
				break;
			err_set(e, -EINVAL,
			        "filter error at column %u: '%s' does not apply to %s, which is an address",
			        n->op_col, fop_name(c->op), field_name(fd));
			cnode_free(c);
			return NULL;
		default:
			break;
		}
	}
	if (field_type(fd) == FT_STR && c->op == FOP_IN && c->nvals >= SET_MIN)
		strset_build(&c->set, c->vals, c->nvals);
	f->needs_state |= !field_stateless(fd);
	return c;
}

static struct cnode *compile_node(struct filter *f, const struct fnode *n, struct err *e)
{
	struct cnode *c;

	switch (n->kind) {
	case FN_CHECK:
		return compile_check(f, n, e);
	case FN_IDENT:
		err_set(e, -EINVAL,
		        "filter error at column %u: '%s' is not a field (fields have a class, as in "
		        "proc.name; "
		        "macros come from rules files)",
		        n->col, n->field);
		return NULL;
	case FN_AND:
	case FN_OR:
	case FN_NOT:
		break;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = n->kind;
	c->kids = xcalloc(n->nkids, sizeof(*c->kids)); // NOLINT(bugprone-sizeof-expression): pointers
	for (size_t i = 0; i < n->nkids; i++) {
		c->kids[i] = compile_node(f, n->kids[i], e);
		if (!c->kids[i]) {
			cnode_free(c);
			return NULL;
		}
		c->nkids++;
	}
	return c;
}

/* The event codes c can match, when it pins evt.type; false when it does not. */
static bool pin_types(const struct cnode *c, struct typeset *out)
{
	struct typeset t;
	bool any = false;

	memset(out, 0, sizeof(*out));
	switch (c->kind) {
	case FN_CHECK:
		if (strcmp(field_name(c->field), "evt.type") != 0 || (c->op != FOP_EQ && c->op != FOP_IN))
			return false;
		for (uint32_t code = 0; code < EVENT_MAX; code++) {
			const char *name = event_type_name(code);

			for (size_t i = 0; i < c->nvals; i++)
				if (code <= 1 || !strcmp(name, c->vals[i].s))
					out->w[code / 64] |= 1ULL << (code % 64);
		}
		out->w[0] |= 3; /* generic events: their name is the syscall's */
		return true;
	case FN_AND:
		memset(out->w, 0xff, sizeof(out->w));
		for (size_t i = 0; i < c->nkids; i++) {
			if (!pin_types(c->kids[i], &t))
				continue;
			any = true;
			for (size_t k = 0; k < TYPE_WORDS; k++)
				out->w[k] &= t.w[k];
		}
		return any;
	case FN_OR:
		for (size_t i = 0; i < c->nkids; i++) {
			if (!pin_types(c->kids[i], &t))
				return false;
			for (size_t k = 0; k < TYPE_WORDS; k++)
				out->w[k] |= t.w[k];
		}
		return true;
	case FN_NOT:
	case FN_IDENT:
		break;
	}
	return false;
}

/* What a node costs to evaluate, roughly: 0 reads only the event, 1 the state. */
static int cost(const struct cnode *c)
{
	int m = 0;

	if (c->kind == FN_CHECK)
		return field_stateless(c->field) ? 0 : 1;
	for (size_t i = 0; i < c->nkids; i++) {
		int k = cost(c->kids[i]);

		m = k > m ? k : m;
	}
	return m;
}

/*
 * and/or chains evaluate their cheap operands first (a stable reorder: the
 * operands have no side effects, so the result is the same), so that
 * `evt.dir=<` rejects half the events before a thread's name is looked up.
 */
static void order_cheap_first(struct cnode *c)
{
	for (size_t i = 0; i < c->nkids; i++)
		order_cheap_first(c->kids[i]);
	if (c->kind != FN_AND && c->kind != FN_OR)
		return;
	for (size_t i = 1; i < c->nkids; i++) {
		struct cnode *k = c->kids[i];
		size_t j = i;

		while (j > 0 && cost(c->kids[j - 1]) > cost(k)) {
			c->kids[j] = c->kids[j - 1];
			j--;
		}
		c->kids[j] = k;
	}
}

struct filter *filter_compile(struct state *st, const char *text, struct err *e)
{
	struct fnode *tree = filter_parse(text, e);
	struct filter *f;

	if (!tree)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->st = st;
	f->root = compile_node(f, tree, e);
	fnode_free(tree);
	if (!f->root) {
		free(f);
		return NULL;
	}
	order_cheap_first(f->root);
	f->pinned = pin_types(f->root, &f->types);
	sbuf_init(&f->val, 256);
	return f;
}

bool filter_needs_state(const struct filter *f)
{
	return f->needs_state;
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	cnode_free(f->root);
	sbuf_release(&f->val);
	free(f);
}

/* `pmatch`: the path is one of the prefixes, or lies under one. */
static bool path_under(const char *path, size_t plen, const struct cvalue *v)
{
	size_t n = v->len;

	while (n > 1 && v->s[n - 1] == '/')
		n--;
	if (plen < n || memcmp(path, v->s, n) != 0)
		return false;
	return plen == n || path[n] == '/' || (n == 1 && v->s[0] == '/');
}

/*
 * needle in hay: memchr to each place the first byte occurs, then memcmp.
 * Field texts are short; this beats glibc's memmem and strstr (two-way
 * searches with a setup cost) there by about 3x.
 */
static bool contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const char *p = hay, *end = hay + hlen;

	if (!nlen)
		return true;
	while ((size_t)(end - p) >= nlen) {
		p = memchr(p, needle[0], (size_t)(end - p) - nlen + 1);
		if (!p)
			return false;
		if (memcmp(p + 1, needle + 1, nlen - 1) == 0)
			return true;
		p++;
	}
	return false;
}

static bool compare_str(const struct cnode *c, const char *s, size_t len)
{
	const struct cvalue *v = &c->vals[0];

	switch (c->op) {
	case FOP_EQ:
		return len == v->len && memcmp(s, v->s, len) == 0;
	case FOP_NE:
		return len != v->len || memcmp(s, v->s, len) != 0;
	case FOP_LT:
		return strcmp(s, v->s) < 0;
	case FOP_LE:
		return strcmp(s, v->s) <= 0;
	case FOP_GT:
		return strcmp(s, v->s) > 0;
	case FOP_GE:
		return strcmp(s, v->s) >= 0;
	case FOP_CONTAINS:
	case FOP_BCONTAINS:
		return contains(s, len, v->s, v->len);
	case FOP_ICONTAINS:
		return strcasestr(s, v->s) != NULL;
	case FOP_STARTSWITH:
	case FOP_BSTARTSWITH:
		return len >= v->len && memcmp(s, v->s, v->len) == 0;
	case FOP_ENDSWITH:
		return len >= v->len && memcmp(s + len - v->len, v->s, v->len) == 0;
	case FOP_GLOB:
		return fnmatch(v->s, s, 0) == 0;
	case FOP_IN:
	case FOP_INTERSECTS:
		if (c->set.slot)
			return strset_has(&c->set, s, len);
		for (size_t i = 0; i < c->nvals; i++)
			if (len == c->vals[i].len && memcmp(s, c->vals[i].s, len) == 0)
				return true;
		return false;
	case FOP_PMATCH:
		for (size_t i = 0; i < c->nvals; i++)
			if (path_under(s, len, &c->vals[i]))
				return true;
		return false;
	case FOP_EXISTS:
		return true;
	}
	return false;
}

static bool compare_num(const struct cnode *c, int64_t x)
{
	int64_t v = c->vals[0].num;

	switch (c->op) {
	case FOP_EQ:
		return x == v;
	case FOP_NE:
		return x != v;
	case FOP_LT:
		return x < v;
	case FOP_LE:
		return x <= v;
	case FOP_GT:
		return x > v;
	case FOP_GE:
		return x >= v;
	case FOP_IN:
	case FOP_INTERSECTS:
		for (size_t i = 0; i < c->nvals; i++)
			if (x == c->vals[i].num)
				return true;
		return false;
	default:
		return true; /* exists; the string operators were refused at compile time */
	}
}

/* The address a, of alen bytes, is v's address (v's network, for bits < all). */
static bool ip_in(const uint8_t *a, size_t alen, const struct cvalue *v)
{
	unsigned full = v->bits / 8, rest = v->bits % 8;

	if (alen != v->iplen || memcmp(a, v->ip, full) != 0)
		return false;
	return !rest || ((a[full] ^ v->ip[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool compare_ip(const struct cnode *c, const char *text)
{
	uint8_t a[16];
	size_t alen;
	bool eq = false;

	if (inet_pton(AF_INET, text, a) == 1)
		alen = 4;
	else if (inet_pton(AF_INET6, text, a) == 1)
		alen = 16;
	else
		return false;
	for (size_t i = 0; i < (c->op == FOP_IN || c->op == FOP_INTERSECTS ? c->nvals : 1) && !eq; i++)
		eq = ip_in(a, alen, &c->vals[i]);
	return c->op == FOP_NE ? !eq : eq;
}

/* One value of the field (one side, one generation) against the check. */
static bool match_value(struct filter *f, const struct cnode *c, const struct evctx *cx, int64_t argn,
                        bool *found)
{
	int64_t x;

	f->val.len = 0;
	*found = field_extract(c->field, f->st, cx, c->arg, argn, &f->val);
	if (!*found)
		return false;
	switch (c->op == FOP_EXISTS ? FT_STR : field_type(c->field)) {
	case FT_NUM:
		return parse_num(sbuf_cstr(&f->val), &x) && compare_num(c, x);
	case FT_IP:
	case FT_NET:
		return compare_ip(c, sbuf_cstr(&f->val));
	case FT_STR:
		break;
	}
	return c->op == FOP_EXISTS || compare_str(c, sbuf_cstr(&f->val), f->val.len);
}

/* Ancestors are walked at most this far: a ptid cycle in a capture ends there. */
#define ANCESTORS_MAX 1024

static bool match_check(struct filter *f, const struct cnode *c, const struct evctx *cx)
{
	bool found;

	if (!c->any)
		return match_value(f, c, cx, c->argn, &found);
	if (field_flags(c->field) & FF_EITHER)
		return match_value(f, c, cx, 0, &found) || match_value(f, c, cx, 1, &found);
	for (int64_t gen = 1; gen < ANCESTORS_MAX; gen++) {
		if (match_value(f, c, cx, gen, &found))
			return true;
		if (!found)
			break;
	}
	return false;
}

static bool match_node(struct filter *f, const struct cnode *c, const struct evctx *cx)
{
	switch (c->kind) {
	case FN_AND:
		for (size_t i = 0; i < c->nkids; i++)
			if (!match_node(f, c->kids[i], cx))
				return false;
		return true;
	case FN_OR:
		for (size_t i = 0; i < c->nkids; i++)
			if (match_node(f, c->kids[i], cx))
				return true;
		return false;
	case FN_NOT:
		return !match_node(f, c->kids[0], cx);
	case FN_CHECK:
		return match_check(f, c, cx);
	case FN_IDENT:
		break;
	}
	return false;
}

bool filter_match(struct filter *f, const struct evctx *cx)
{
	uint16_t type = cx->ev->type;

	if (f->pinned && (type >= EVENT_MAX || !(f->types.w[type / 64] & (1ULL << (type % 64)))))
		return false;
	return match_node(f, f->root, cx);
}
