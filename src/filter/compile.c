/* compile: a parsed filter bound to the field table, and its evaluation per event. */
#include "fields.h"
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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
	/* contains: two positions of rare bytes in s, tested before the whole text */
	size_t pa, pb;
};

#define TYPE_WORDS ((EVENT_MAX + 63) / 64)

/* A set of event codes. */
struct typeset {
	uint64_t w[TYPE_WORDS];
};

/* `in` over many values: an open-addressing set of the values' texts. */
struct strset {
	uint32_t mask;
	const struct cvalue **slot;
};

struct cnode {
	enum fnode_kind kind; /* FN_AND, FN_OR, FN_NOT or FN_CHECK */
	enum fop op;
	enum ftype type; /* the field's, compared as text for exists */
	bool any;        /* FF_ANY without an argument, or FF_EITHER: several values, any may match */
	/*
	 * FF_BYTYPE fields: the codes the check holds for (holds), decided at
	 * compile time; codes 0 and 1 (generic events) are checked in full.
	 */
	bool bytype;
	bool limited; /* the check is false for every code outside possible */
	bool plain;   /* a check of one value with none of the above: matched straight away */
	bool around;  /* evt.around[T]=D: |ts - T| <= D ms, as sysdig computes it */
	struct cnode **kids;
	size_t nkids;
	/* FN_CHECK */
	const struct field *field;
	char *arg;
	int64_t argn;
	struct cvalue *vals;
	size_t nvals;
	struct strset set; /* FOP_IN on text with many values */
	struct typeset holds;
	struct typeset possible;
	struct fstate *fs; /* FF_MEMORY fields: what this check keeps between events */
	uint64_t around_t; /* evt.around: T, and D in ns */
	uint64_t around_window;
};

struct filter {
	struct state *st;
	struct cnode *root;
	bool needs_state;
	/*
	 * When the event code limits what can match (evt.type = X, evt.dir = <,
	 * an fd.* check, under and/or), the codes that can: others are rejected
	 * before any field is read. Generic events (codes 0, 1) carry their
	 * syscall's name and are let through to the full check.
	 */
	bool pinned;
	struct typeset types;
	/*
	 * A field with a memory (FF_MEMORY) is named: its values depend on the
	 * events it was evaluated on, so the checks run in the order written,
	 * on every event, as in sysdig.
	 */
	bool in_order;
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
	fstate_free(c->fs);
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

/* How rare a byte is in paths, names and addresses: 0 common, 2 rare. */
static int rarity(char c)
{
	if (strchr("/._- :0123456789", c))
		return 0;
	return c >= 'a' && c <= 'z' ? 1 : 2;
}

/* The two bytes of a contains value a candidate place is tested on first. */
static void pick_probes(struct cvalue *v)
{
	size_t a = 0, b;

	for (size_t i = 1; i < v->len; i++)
		if (rarity(v->s[i]) > rarity(v->s[a]))
			a = i;
	b = a;
	for (size_t i = 0; i < v->len; i++)
		if (v->s[i] != v->s[a] && (b == a || rarity(v->s[i]) >= rarity(v->s[b])))
			b = i;
	v->pa = a;
	v->pb = b;
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
	const char *p = s + (*s == '-');
	char *end;
	long long x;
	uint64_t u = 0;
	size_t n = 0;

	/* the usual field text, plain decimal without a leading 0, without strtoll */
	while (p[n] >= '0' && p[n] <= '9' && n < 18)
		u = u * 10 + (uint64_t)(p[n++] - '0');
	if (n && !p[n] && (p[0] != '0' || n == 1)) {
		*v = *s == '-' ? -(int64_t)u : (int64_t)u;
		return true;
	}
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

/* A name of the event table or of a syscall (sysdig refuses other evt.type values). */
static bool known_event_name(const char *name)
{
	for (uint32_t code = 0; code < EVENT_MAX; code++)
		if (!strcmp(event_table[code].name, name))
			return true;
	for (uint32_t id = 0; id < EVENT_SYSCALL_MAX; id++)
		if (!strcmp(event_syscalls[id].name, name))
			return true;
	return false;
}

/*
 * Whether the check n may name the field fd the way it does: the argument
 * (arg: in brackets, or after a dot in dotted) as fd's kind of argument
 * wants it, and nothing filters do not take. 0, or -EINVAL with e set.
 */
static int check_field_arg(const struct fnode *n, const struct field *fd, const char *arg, const char *dotted,
                           struct err *e)
{
	if (n->arg && dotted)
		return compile_error(
		        e, n->col,
		        "a field with an argument in brackets cannot have one after a dot as well:",
		        n->field);
	if (!strcmp(field_name(fd), "evt.time") || !strcmp(field_name(fd), "evt.outputtime"))
		return err_set(
		        e, -EINVAL,
		        "filter error at column %u: filters do not take %s yet (it prints a clock time); "
		        "evt.rawtime holds the time in ns",
		        n->col, field_name(fd));
	if ((field_arg(fd) == FARG_NAME_OR_INDEX || field_arg(fd) == FARG_NAME) && (!arg || !*arg))
		return err_set(e, -EINVAL, "filter error at column %u: '%s' needs an argument: %s.NAME%s",
		               n->col, n->field, n->field,
		               field_arg(fd) == FARG_NAME ? "" : " or " ARG_INDEX_HINT);
	if (field_arg(fd) == FARG_INDEX && arg &&
	    (!*arg || strspn(arg, "0123456789") != strlen(arg) || strlen(arg) > 6))
		return err_set(e, -EINVAL,
		               "filter error at column %u: '%s' needs a generation: %s[N], N from 0", n->col,
		               n->field, n->field);
	if (field_arg(fd) == FARG_INDEX && !arg && !(field_flags(fd) & FF_ANY))
		return err_set(e, -EINVAL,
		               "filter error at column %u: '%s' needs a generation: %s[N], N from 0", n->col,
		               n->field, n->field);
	if (field_arg(fd) == FARG_NONE && arg)
		return compile_error(e, n->col, "this field takes no argument:", n->field);
	if (field_arg(fd) == FARG_TIME &&
	    (!arg || !n->arg || !*arg || strspn(arg, "0123456789") != strlen(arg) || strlen(arg) > 19))
		return err_set(
		        e, -EINVAL,
		        "filter error at column %u: '%s' needs a time: %s[T]=D, T in ns since the epoch, D "
		        "in ms",
		        n->col, n->field, field_name(fd));
	if (field_arg(fd) == FARG_TIME && n->op != FOP_EQ)
		return err_set(e, -EINVAL, "filter error at column %u: %s takes only '=' (%s[T]=D)",
		               n->op_col, field_name(fd), field_name(fd));
	return 0;
}

/*
 * The value fv of a check on fd into v: a copy of its text, and the number
 * or address it is when fd's type says so. 0, or -EINVAL with e set (v->s
 * is set either way: the caller frees it).
 */
static int compile_value(const struct fvalue *fv, const struct field *fd, struct cvalue *v, struct err *e)
{
	enum ftype t = field_type(fd);

	v->s = xmalloc(fv->len + 1);
	memcpy(v->s, fv->s, fv->len + 1);
	v->len = fv->len;
	if (t == FT_NUM && !parse_num(v->s, &v->num))
		return err_set(e, -EINVAL, "filter error at column %u: %s is numeric; '%s' is not a number",
		               fv->col, field_name(fd), v->s);
	if ((field_flags(fd) & FF_EVENT_NAME) && !known_event_name(v->s))
		return err_set(e, -EINVAL, "filter error at column %u: unknown event type '%s'", fv->col,
		               v->s);
	if ((t == FT_IP || t == FT_NET) && !parse_ip(v->s, v, t == FT_NET))
		return err_set(e, -EINVAL, "filter error at column %u: %s takes %s; '%s' is not one", fv->col,
		               field_name(fd),
		               t == FT_NET ? "a network (ADDR/BITS, IPv4 or IPv6)"
		                           : "an IPv4 or IPv6 address",
		               v->s);
	return 0;
}

/*
 * Whether operator op applies to fd: text operators to text fields only,
 * ordering to text and numbers, not addresses. 0, or -EINVAL with e set.
 */
static int check_op_applies(const struct fnode *n, const struct field *fd, enum fop op, struct err *e)
{
	if (field_type(fd) == FT_STR)
		return 0;
	switch (op) {
	case FOP_CONTAINS:
	case FOP_ICONTAINS:
	case FOP_BCONTAINS:
	case FOP_STARTSWITH:
	case FOP_BSTARTSWITH:
	case FOP_ENDSWITH:
	case FOP_GLOB:
	case FOP_PMATCH:
		return err_set(e, -EINVAL,
		               "filter error at column %u: '%s' does not apply to %s, which is %s", n->op_col,
		               fop_name(op), field_name(fd),
		               field_type(fd) == FT_NUM ? "numeric" : "an address");
	case FOP_LT:
	case FOP_LE:
	case FOP_GT:
	case FOP_GE:
		if (field_type(fd) == FT_NUM)
			return 0;
		return err_set(e, -EINVAL,
		               "filter error at column %u: '%s' does not apply to %s, which is an address",
		               n->op_col, fop_name(op), field_name(fd));
	default:
		return 0;
	}
}

/* evt.around[T]=D: c's T and window from arg and its one value. 0, or -EINVAL with e set. */
static int compile_around(struct cnode *c, const struct fnode *n, const char *arg, struct err *e)
{
	if (c->nvals != 1 || c->vals[0].num < 0)
		return err_set(e, -EINVAL, "filter error at column %u: %s takes one time span in ms",
		               n->op_col, field_name(c->field));
	c->around = true;
	c->around_t = strtoull(arg, NULL, 10);
	c->around_window = (uint64_t)c->vals[0].num * 1000000u; /* wraps as sysdig's does */
	return 0;
}

/* The check n bound to its field, its values parsed and indexed; NULL with e set when it does not compile. */
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
	if (check_field_arg(n, fd, arg, dotted, e) < 0)
		return NULL;
	if (n->list_ref) {
		err_set(e, -EINVAL,
		        "filter error at column %u: unknown list '%s' (lists come from rules files)",
		        n->op_col, n->list_ref);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = FN_CHECK;
	c->field = fd;
	c->type = n->op == FOP_EXISTS ? FT_STR : field_type(fd);
	c->arg = arg ? xstrdup(arg) : NULL;
	c->argn = arg ? strtoll(arg, NULL, 10) : 0;
	c->any = (field_flags(fd) & FF_EITHER) || (field_arg(fd) == FARG_INDEX && !arg);
	c->op = n->op;
	c->nvals = n->nvals;
	c->vals = xcalloc(n->nvals ? n->nvals : 1, sizeof(*c->vals));
	for (size_t i = 0; i < n->nvals; i++) {
		if (compile_value(&n->vals[i], fd, &c->vals[i], e) < 0)
			goto fail;
	}
	if (check_op_applies(n, fd, c->op, e) < 0)
		goto fail;
	if (field_arg(fd) == FARG_TIME && arg && compile_around(c, n, arg, e) < 0) /* arg: checked above */
		goto fail;
	c->fs = fstate_new(f->st, fd);
	f->in_order |= c->fs != NULL;
	if (c->op == FOP_CONTAINS || c->op == FOP_BCONTAINS)
		pick_probes(&c->vals[0]);
	if (field_type(fd) == FT_STR && c->op == FOP_IN && c->nvals >= SET_MIN)
		strset_build(&c->set, c->vals, c->nvals);
	f->needs_state |= !field_stateless(fd);
	return c;
fail:
	cnode_free(c);
	return NULL;
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

/* The event codes c can match, when they are known before any field is read; else false. */
static bool pin_types(const struct cnode *c, struct typeset *out)
{
	struct typeset t;
	bool any = false;

	memset(out, 0, sizeof(*out));
	switch (c->kind) {
	case FN_CHECK:
		if (!c->limited)
			return false;
		*out = c->possible;
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
		if (c->kids[0]->kind != FN_CHECK || !c->kids[0]->bytype)
			return false;
		for (size_t k = 0; k < TYPE_WORDS; k++)
			out->w[k] = ~c->kids[0]->holds.w[k];
		out->w[0] |= 3; /* generic events are checked in full */
		return true;
	case FN_IDENT:
		break;
	}
	return false;
}

/*
 * What a node costs to evaluate, roughly: 0 a bit decided at compile time, 1
 * reads only the event, 2 the state.
 */
static int cost(const struct cnode *c)
{
	int m = 0;

	if (c->kind == FN_CHECK)
		return c->bytype ? 0 : field_stateless(c->field) ? 1 : 2;
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

static bool match_value(struct filter *f, const struct cnode *c, const struct evctx *cx, int64_t argn,
                        bool *found);

static void typeset_add(struct typeset *t, uint16_t code)
{
	t->w[code / 64] |= 1ULL << (code % 64);
}

/*
 * What the event code alone says about each check: an FF_BYTYPE field's check
 * is decided for every code but the generic ones, and an FF_FD field's check
 * cannot hold on a code without fds (the field is absent there, and a check
 * on an absent field is false).
 */
static void decide_by_type(struct filter *f, struct cnode *c)
{
	for (size_t i = 0; i < c->nkids; i++)
		decide_by_type(f, c->kids[i]);
	if (c->kind != FN_CHECK)
		return;
	if (field_flags(c->field) & FF_BYTYPE) {
		for (uint16_t code = PPME_GENERIC_X + 1; code < EVENT_MAX; code++) {
			struct event ev = { .type = code };
			struct evctx cx = { .ev = &ev };
			bool found;

			if (match_value(f, c, &cx, c->argn, &found))
				typeset_add(&c->holds, code);
		}
		c->bytype = true;
		c->possible = c->holds;
		typeset_add(&c->possible, 0);
		typeset_add(&c->possible, 1);
		c->limited = true;
	} else if (field_flags(c->field) & FF_FD) {
		for (uint16_t code = 0; code < EVENT_MAX; code++)
			if (event_has_fd(code))
				typeset_add(&c->possible, code);
		c->limited = true;
	}
}

/*
 * A check's own code test is redundant when every code that passes the
 * filter's pre-check is one it allows.
 */
static void drop_implied_limits(struct cnode *c, const struct typeset *passed)
{
	bool implied = true;

	for (size_t i = 0; i < c->nkids; i++)
		drop_implied_limits(c->kids[i], passed);
	if (c->kind != FN_CHECK || !c->limited)
		return;
	for (size_t k = 0; k < TYPE_WORDS; k++)
		implied &= (passed->w[k] & ~c->possible.w[k]) == 0;
	if (implied)
		c->limited = false;
}

static void mark_plain(struct cnode *c)
{
	for (size_t i = 0; i < c->nkids; i++)
		mark_plain(c->kids[i]);
	c->plain = c->kind == FN_CHECK && !c->limited && !c->bytype && !c->any && !c->around;
}

struct filter *filter_compile(struct state *st, const char *text, struct err *e)
{
	struct fnode *tree = filter_parse(text, e);
	struct filter *f;

	if (!tree)
		return NULL;
	f = filter_compile_tree(st, tree, e);
	fnode_free(tree);
	return f;
}

struct filter *filter_compile_tree(struct state *st, const struct fnode *tree, struct err *e)
{
	struct filter *f = xcalloc(1, sizeof(*f));

	f->st = st;
	f->root = compile_node(f, tree, e);
	if (!f->root) {
		free(f);
		return NULL;
	}
	sbuf_init(&f->val, 256);
	decide_by_type(f, f->root);
	if (!f->in_order) {
		order_cheap_first(f->root);
		f->pinned = pin_types(f->root, &f->types);
	}
	if (f->pinned)
		drop_implied_limits(f->root, &f->types);
	mark_plain(f->root);
	return f;
}

bool filter_field_known(const char *name, size_t len)
{
	const char *arg;

	return field_find(name, len, &arg) != NULL;
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
static bool contains_at(const char *hay, size_t i, const struct cvalue *v)
{
	return hay[i + v->pa] == v->s[v->pa] && hay[i + v->pb] == v->s[v->pb] &&
	       memcmp(hay + i, v->s, v->len) == 0;
}

#if defined(__SSE2__)
/* The places among 16 from hay + i where both probe bytes are, as a bit mask. */
static unsigned probe16(const char *hay, size_t i, const struct cvalue *v)
{
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(hay + i + v->pa));
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(hay + i + v->pb));

	return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, _mm_set1_epi8(v->s[v->pa])),
	                                                 _mm_cmpeq_epi8(b, _mm_set1_epi8(v->s[v->pb]))));
}
#endif

/*
 * Substring search: every place where both probe bytes of the value are is
 * compared in full, 16 places at a time with SSE2 (the last 16 overlap the
 * ones before them rather than be tested one by one).
 */
static bool contains(const char *hay, size_t hlen, const struct cvalue *v)
{
	size_t i = 0, last;

	if (!v->len)
		return true;
	if (hlen < v->len)
		return false;
	last = hlen - v->len; /* the last place the value can start */
#if defined(__SSE2__)
	if (last < 15 && v->len <= 16) {
		/* a short text: probed once, from a padded copy */
		char pad[48] = { 0 };
		unsigned m;

		memcpy(pad, hay, hlen);
		m = probe16(pad, 0, v) & ((2u << last) - 1);
		for (; m; m &= m - 1)
			if (memcmp(hay + (unsigned)__builtin_ctz(m), v->s, v->len) == 0)
				return true;
		return false;
	}
	if (last >= 15) {
		for (;;) {
			for (unsigned m = probe16(hay, i, v); m; m &= m - 1)
				if (memcmp(hay + i + (unsigned)__builtin_ctz(m), v->s, v->len) == 0)
					return true;
			if (i + 15 == last)
				return false;
			i = i + 16 + 15 <= last ? i + 16 : last - 15;
		}
	}
#endif
	for (; i <= last; i++)
		if (contains_at(hay, i, v))
			return true;
	return false;
}

/* s (len bytes) is v's text; the first byte is tested before a call to memcmp. */
static inline bool same_text(const char *s, size_t len, const struct cvalue *v)
{
	return len == v->len && (!len || s[0] == v->s[0]) && memcmp(s, v->s, len) == 0;
}

static bool compare_str(const struct cnode *c, const char *s, size_t len)
{
	const struct cvalue *v = &c->vals[0];

	switch (c->op) {
	case FOP_EQ:
		return same_text(s, len, v);
	case FOP_NE:
		return !same_text(s, len, v);
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
		return contains(s, len, v);
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
			if (same_text(s, len, &c->vals[i]))
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

/* The field's text s (len bytes) against the check. */
static inline bool value_matches(const struct cnode *c, const char *s, size_t len)
{
	int64_t x;

	switch (c->type) {
	case FT_NUM:
		return parse_num(s, &x) && compare_num(c, x);
	case FT_IP:
	case FT_NET:
		return compare_ip(c, s);
	case FT_STR:
		break;
	}
	return c->op == FOP_EXISTS || compare_str(c, s, len);
}

/* One value of the field (one side, one generation) against the check. */
static inline bool match_value(struct filter *f, const struct cnode *c, const struct evctx *cx, int64_t argn,
                               bool *found)
{
	const char *s;
	size_t len;

	*found = field_view(c->field, f->st, cx, c->arg, argn, c->fs, &f->val, &s, &len);
	return *found && value_matches(c, s, len);
}

/* Ancestors are walked at most this far: a ptid cycle in a capture ends there. */
#define ANCESTORS_MAX 1024

static bool in_types(const struct typeset *t, uint16_t type)
{
	return type < EVENT_MAX && (t->w[type / 64] & (1ULL << (type % 64)));
}

/* The check's value is the zero address, network, port or protocol. */
static bool zero_value(const struct cnode *c)
{
	const struct cvalue *v = &c->vals[0];
	static const uint8_t zero[16];

	if (c->nvals != 1)
		return false;
	switch (c->type) {
	case FT_IP:
		return !memcmp(v->ip, zero, v->iplen);
	case FT_NET:
		return !memcmp(v->ip, zero, v->bits / 8) &&
		       (v->bits % 8 == 0 || !(v->ip[v->bits / 8] >> (8 - v->bits % 8)));
	case FT_NUM:
		return v->num == 0;
	default:
		return v->len == 1 && v->s[0] == '0';
	}
}

/*
 * `!=` on a client-or-server field, as sysdig: it holds when both sides
 * differ. A socket that has no tuple yet compares its zeros, so it differs
 * from any value but zero.
 */
static bool either_differs(struct filter *f, const struct cnode *c, const struct evctx *cx)
{
	bool f0, f1;
	bool d0 = match_value(f, c, cx, 0, &f0), d1 = match_value(f, c, cx, 1, &f1);

	if (f0 || f1)
		return (d0 || !f0) && (d1 || !f1);
	return cx->fdinfo && cx->fdinfo->role == STATE_ROLE_NONE &&
	       (cx->fdinfo->type == SCAP_FD_IPV4_SOCK || cx->fdinfo->type == SCAP_FD_IPV6_SOCK) &&
	       !zero_value(c);
}

static bool match_check(struct filter *f, const struct cnode *c, const struct evctx *cx)
{
	bool found;

	if (c->limited && !in_types(&c->possible, cx->ev->type))
		return false;
	if (c->bytype && cx->ev->type > PPME_GENERIC_X)
		return in_types(&c->holds, cx->ev->type);
	if (c->around) /* T within [ts - D, ts + D], in sysdig's unsigned arithmetic */
		return c->around_t >= cx->ev->ts - c->around_window &&
		       c->around_t <= cx->ev->ts + c->around_window;
	if (!c->any)
		return match_value(f, c, cx, c->argn, &found);
	if (field_flags(c->field) & FF_EITHER) {
		if (c->op == FOP_NE)
			return either_differs(f, c, cx);
		return match_value(f, c, cx, 0, &found) || match_value(f, c, cx, 1, &found);
	}
	for (int64_t gen = 1; gen < ANCESTORS_MAX; gen++) {
		if (match_value(f, c, cx, gen, &found))
			return true;
		if (!found)
			break;
	}
	return false;
}

static bool match_node(struct filter *f, const struct cnode *c, const struct evctx *cx);

/* A node's result; checks, the usual kids, are called without the node dispatch. */
static inline bool match_kid(struct filter *f, const struct cnode *c, const struct evctx *cx)
{
	if (c->plain) {
		bool found;

		return match_value(f, c, cx, c->argn, &found);
	}
	return c->kind == FN_CHECK ? match_check(f, c, cx) : match_node(f, c, cx);
}

static bool match_node(struct filter *f, const struct cnode *c, const struct evctx *cx)
{
	switch (c->kind) {
	case FN_AND:
		for (size_t i = 0; i < c->nkids; i++)
			if (!match_kid(f, c->kids[i], cx))
				return false;
		return true;
	case FN_OR:
		for (size_t i = 0; i < c->nkids; i++)
			if (match_kid(f, c->kids[i], cx))
				return true;
		return false;
	case FN_NOT:
		return !match_kid(f, c->kids[0], cx);
	case FN_CHECK:
		return match_check(f, c, cx);
	case FN_IDENT:
		break;
	}
	return false;
}

bool filter_can_match(const struct filter *f, uint16_t type)
{
	return !f->pinned || in_types(&f->types, type);
}

bool filter_match(struct filter *f, const struct evctx *cx)
{
	uint16_t type = cx->ev->type;

	if (f->pinned && !in_types(&f->types, type))
		return false;
	return match_kid(f, f->root, cx);
}
