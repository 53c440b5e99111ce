/* parse: the Falco condition language into a syntax tree (grammar in parse.h). */
#include "parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200

struct parser {
	const char *s;
	size_t pos;
	unsigned depth;
	struct err *e;
	bool failed;
};

static const struct {
	const char *name;
	enum fop op;
} word_ops[] = {
	{ "contains", FOP_CONTAINS },
	{ "icontains", FOP_ICONTAINS },
	{ "bcontains", FOP_BCONTAINS },
	{ "startswith", FOP_STARTSWITH },
	{ "bstartswith", FOP_BSTARTSWITH },
	{ "endswith", FOP_ENDSWITH },
	{ "glob", FOP_GLOB },
	{ "in", FOP_IN },
	{ "intersects", FOP_INTERSECTS },
	{ "pmatch", FOP_PMATCH },
	{ "exists", FOP_EXISTS },
};

/* Longest first, so that "<=" is not read as "<". */
static const struct {
	const char *name;
	enum fop op;
} sym_ops[] = {
	{ "==", FOP_EQ }, { "!=", FOP_NE }, { "<=", FOP_LE }, { ">=", FOP_GE },
	{ "=", FOP_EQ },  { "<", FOP_LT },  { ">", FOP_GT },
};

const char *fop_name(enum fop op)
{
	for (size_t i = 0; i < ARRAY_SIZE(sym_ops); i++)
		if (sym_ops[i].op == op)
			return op == FOP_EQ ? "=" : sym_ops[i].name;
	for (size_t i = 0; i < ARRAY_SIZE(word_ops); i++)
		if (word_ops[i].op == op)
			return word_ops[i].name;
	return "?";
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_word_char(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* A character a bare value cannot hold. */
static bool ends_bare(char c)
{
	return !c || is_blank(c) || strchr("(),=\"'", c);
}

static bool fail(struct parser *p, size_t at, const char *fmt, ...) PRINTF_LIKE(3, 4);

static bool fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (p->failed)
		return false;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(p->e, -EINVAL, "filter error at column %zu: %s", at + 1, msg);
	return false;
}

/* What is at pos, for messages: "the end of the filter" or 'x'. */
static const char *seen(const struct parser *p, char *buf, size_t n)
{
	size_t len = 0;

	if (!p->s[p->pos])
		return "the end of the filter";
	while (len < 24 && p->s[p->pos + len] && !is_blank(p->s[p->pos + len]))
		len++;
	snprintf(buf, n, "'%.*s'", (int)(len ? len : 1), p->s + p->pos);
	return buf;
}

static void skip_blanks(struct parser *p)
{
	while (is_blank(p->s[p->pos]))
		p->pos++;
}

/* The keyword kw is next (as a whole word); consumed when it is. */
static bool take_word(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(p->s + p->pos, kw, n) != 0 || is_word_char(p->s[p->pos + n]) || p->s[p->pos + n] == '.')
		return false;
	p->pos += n;
	return true;
}

static struct fnode *node_new(enum fnode_kind kind, size_t at)
{
	struct fnode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->col = (uint32_t)at + 1;
	return n;
}

static void node_add(struct fnode *n, struct fnode *kid)
{
	n->kids = xrealloc(n->kids,
	                   (n->nkids + 1) * sizeof(*n->kids)); // NOLINT(bugprone-sizeof-expression): pointers
	n->kids[n->nkids++] = kid;
}

void fnode_free(struct fnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		fnode_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nvals; i++)
		free(n->vals[i].s);
	free(n->vals);
	free(n->field);
	free(n->arg);
	free(n->list_ref);
	free(n);
}

struct fnode *fnode_copy(const struct fnode *n)
{
	struct fnode *c = xcalloc(1, sizeof(*c));

	*c = *n;
	c->field = n->field ? xstrdup(n->field) : NULL;
	c->arg = n->arg ? xstrdup(n->arg) : NULL;
	c->list_ref = n->list_ref ? xstrdup(n->list_ref) : NULL;
	/* pointers to nodes */
	c->kids = n->nkids ? xcalloc(n->nkids, sizeof(struct fnode *)) : NULL;
	for (size_t i = 0; i < n->nkids; i++)
		c->kids[i] = fnode_copy(n->kids[i]);
	c->vals = n->nvals ? xcalloc(n->nvals, sizeof(*c->vals)) : NULL;
	for (size_t i = 0; i < n->nvals; i++) {
		c->vals[i] = n->vals[i];
		c->vals[i].s = xmalloc(n->vals[i].len + 1);
		memcpy(c->vals[i].s, n->vals[i].s, n->vals[i].len + 1);
	}
	return c;
}

/* A quoted string at pos (the quote), unescaped into out; false with an error if unterminated. */
static bool lex_quoted(struct parser *p, struct sbuf *out)
{
	size_t start = p->pos;
	char q = p->s[p->pos++];

	for (;;) {
		char c = p->s[p->pos];

		if (!c)
			return fail(p, start, "the string opened here is not closed (no %c)", q);
		p->pos++;
		if (c == q)
			return true;
		if (c != '\\') {
			sbuf_putc(out, c);
			continue;
		}
		c = p->s[p->pos];
		if (!c)
			return fail(p, start, "the string opened here is not closed (no %c)", q);
		p->pos++;
		switch (c) {
		case 'n':
			sbuf_putc(out, '\n');
			break;
		case 'r':
			sbuf_putc(out, '\r');
			break;
		case 't':
			sbuf_putc(out, '\t');
			break;
		case 'b':
			sbuf_putc(out, '\b');
			break;
		case 'f':
			sbuf_putc(out, '\f');
			break;
		case '\\':
		case '"':
		case '\'':
			sbuf_putc(out, c);
			break;
		default: /* kept as written */
			sbuf_putc(out, '\\');
			sbuf_putc(out, c);
		}
	}
}

/* One value (quoted or bare) after the operator named by after; false with an error if none. */
static bool parse_value(struct parser *p, struct fnode *n, const char *after)
{
	struct fvalue v = { 0 };
	struct sbuf b;
	char buf[40];

	skip_blanks(p);
	v.col = (uint32_t)p->pos + 1;
	sbuf_init(&b, 16);
	if (p->s[p->pos] == '"' || p->s[p->pos] == '\'') {
		v.quoted = true;
		if (!lex_quoted(p, &b)) {
			sbuf_release(&b);
			return false;
		}
	} else {
		size_t start = p->pos;

		while (!ends_bare(p->s[p->pos]))
			p->pos++;
		if (p->pos == start) {
			sbuf_release(&b);
			return fail(p, p->pos, "expected a value after '%s', found %s", after,
			            seen(p, buf, sizeof(buf)));
		}
		sbuf_put(&b, p->s + start, p->pos - start);
	}
	v.len = b.len;
	v.s = xmalloc(b.len + 1);
	memcpy(v.s, b.data, b.len);
	v.s[b.len] = 0;
	sbuf_release(&b);
	n->vals = xrealloc(n->vals, (n->nvals + 1) * sizeof(*n->vals));
	n->vals[n->nvals++] = v;
	return true;
}

/* An identifier ([a-zA-Z_][a-zA-Z0-9_]*) at pos, or 0. */
static size_t ident_len(const struct parser *p)
{
	size_t n = 0;

	if (!is_alpha(p->s[p->pos]))
		return 0;
	while (is_word_char(p->s[p->pos + n]))
		n++;
	return n;
}

/* `in (a, b, "c d")` or `in list_name`. */
static bool parse_list(struct parser *p, struct fnode *n)
{
	const char *op = fop_name(n->op);
	size_t open, len;
	char buf[40];

	skip_blanks(p);
	len = ident_len(p);
	if (len && p->s[p->pos + len] != '.' && p->s[p->pos + len] != '[') {
		n->list_ref = xstrndup(p->s + p->pos, len);
		p->pos += len;
		return true;
	}
	if (p->s[p->pos] != '(')
		return fail(p, p->pos, "expected a list '(...)' or a list name after '%s', found %s", op,
		            seen(p, buf, sizeof(buf)));
	open = p->pos++;
	skip_blanks(p);
	if (p->s[p->pos] == ')') {
		p->pos++;
		return true;
	}
	for (;;) {
		if (!parse_value(p, n, op))
			return false;
		skip_blanks(p);
		if (p->s[p->pos] == ')') {
			p->pos++;
			return true;
		}
		if (p->s[p->pos] != ',') {
			if (!p->s[p->pos])
				return fail(p, open, "the list opened here is not closed (no ')')");
			return fail(p, p->pos, "expected ',' or ')' in the list after '%s', found %s", op,
			            seen(p, buf, sizeof(buf)));
		}
		p->pos++;
	}
}

/* The operator after a field; false with an error when there is none. */
static bool parse_op(struct parser *p, struct fnode *n)
{
	char buf[40];

	for (size_t i = 0; i < ARRAY_SIZE(sym_ops); i++) {
		size_t len = strlen(sym_ops[i].name);

		if (!strncmp(p->s + p->pos, sym_ops[i].name, len)) {
			n->op = sym_ops[i].op;
			p->pos += len;
			return true;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(word_ops); i++) {
		if (take_word(p, word_ops[i].name)) {
			n->op = word_ops[i].op;
			return true;
		}
	}
	return fail(
	        p, p->pos,
	        "expected an operator (=, !=, <, contains, startswith, in, exists, ...) after '%s', found %s",
	        n->field, seen(p, buf, sizeof(buf)));
}

/* field[arg] op value(s); the field's name is already read (at start, len bytes). */
static struct fnode *parse_check(struct parser *p, size_t start, size_t len)
{
	struct fnode *n = node_new(FN_CHECK, start);

	n->field = xstrndup(p->s + start, len);
	if (p->s[p->pos] == '[') {
		size_t open = p->pos++;
		struct sbuf b;

		sbuf_init(&b, 16);
		if (p->s[p->pos] == '"' || p->s[p->pos] == '\'') {
			if (!lex_quoted(p, &b))
				goto fail_arg;
		} else {
			while (p->s[p->pos] && !strchr("]\"' \t\r\n", p->s[p->pos]))
				sbuf_putc(&b, p->s[p->pos++]);
		}
		if (p->s[p->pos] != ']') {
			fail(p, open, "the '[' after '%s' is not closed (no ']')", n->field);
			goto fail_arg;
		}
		p->pos++;
		n->arg = xstrndup(b.data ? b.data : "", b.len);
		sbuf_release(&b);
		goto op;
	fail_arg:
		sbuf_release(&b);
		fnode_free(n);
		return NULL;
	}
op:
	skip_blanks(p);
	n->op_col = (uint32_t)p->pos + 1;
	if (!parse_op(p, n))
		goto fail;
	switch (n->op) {
	case FOP_EXISTS:
		break;
	case FOP_IN:
	case FOP_INTERSECTS:
	case FOP_PMATCH:
		if (!parse_list(p, n))
			goto fail;
		break;
	default:
		if (!parse_value(p, n, fop_name(n->op)))
			goto fail;
	}
	return n;
fail:
	fnode_free(n);
	return NULL;
}

static struct fnode *parse_or(struct parser *p);

static struct fnode *parse_primary(struct parser *p)
{
	size_t start, len;
	char buf[40];

	skip_blanks(p);
	start = p->pos;
	if (p->s[p->pos] == '(') {
		struct fnode *n;

		p->pos++;
		n = parse_or(p);
		if (!n)
			return NULL;
		skip_blanks(p);
		if (p->s[p->pos] != ')') {
			if (!p->s[p->pos])
				fail(p, start, "the '(' here is not closed (no ')')");
			else
				fail(p, p->pos, "expected 'and', 'or' or ')', found %s",
				     seen(p, buf, sizeof(buf)));
			fnode_free(n);
			return NULL;
		}
		p->pos++;
		return n;
	}
	len = ident_len(p);
	if (!len || take_word(p, "and") || take_word(p, "or")) {
		p->pos = start;
		fail(p, p->pos, "expected a field, a macro name, 'not' or '(', found %s",
		     seen(p, buf, sizeof(buf)));
		return NULL;
	}
	/* a field name has dotted parts: evt.type, evt.arg.name, proc.aname */
	while (p->s[start + len] == '.' && is_word_char(p->s[start + len + 1])) {
		len++;
		while (is_word_char(p->s[start + len]))
			len++;
	}
	p->pos = start + len;
	if (!memchr(p->s + start, '.', len)) {
		struct fnode *n = node_new(FN_IDENT, start);

		n->field = xstrndup(p->s + start, len);
		return n;
	}
	return parse_check(p, start, len);
}

static struct fnode *parse_not(struct parser *p)
{
	struct fnode *n, *kid;
	size_t start;

	skip_blanks(p);
	start = p->pos;
	if (!take_word(p, "not"))
		return parse_primary(p);
	if (++p->depth > MAX_DEPTH) {
		fail(p, start, "the filter nests deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	kid = parse_not(p);
	p->depth--;
	if (!kid)
		return NULL;
	n = node_new(FN_NOT, start);
	node_add(n, kid);
	return n;
}

/* A chain of `kw`-joined operands, each parsed by sub; one operand is returned as it is. */
static struct fnode *parse_chain(struct parser *p, const char *kw, enum fnode_kind kind,
                                 struct fnode *(*sub)(struct parser *))
{
	struct fnode *first, *n = NULL;

	first = sub(p);
	if (!first)
		return NULL;
	for (;;) {
		struct fnode *next;

		skip_blanks(p);
		if (!take_word(p, kw))
			break;
		next = sub(p);
		if (!next) {
			fnode_free(n ? n : first);
			return NULL;
		}
		if (!n) {
			n = node_new(kind, first->col - 1);
			node_add(n, first);
		}
		node_add(n, next);
	}
	return n ? n : first;
}

static struct fnode *parse_and(struct parser *p)
{
	return parse_chain(p, "and", FN_AND, parse_not);
}

static struct fnode *parse_or(struct parser *p)
{
	struct fnode *n;

	if (++p->depth > MAX_DEPTH) {
		fail(p, p->pos, "the filter nests deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	n = parse_chain(p, "or", FN_OR, parse_and);
	p->depth--;
	return n;
}

struct fnode *filter_parse(const char *text, struct err *e)
{
	struct parser p = { text, 0, 0, e, false };
	struct fnode *n;
	char buf[40];

	n = parse_or(&p);
	if (!n)
		return NULL;
	skip_blanks(&p);
	if (text[p.pos]) {
		fail(&p, p.pos, "expected 'and', 'or' or the end of the filter, found %s",
		     seen(&p, buf, sizeof(buf)));
		fnode_free(n);
		return NULL;
	}
	return n;
}

/* A value as the parser reads it back: bare when it can be, else double-quoted. */
static void print_value(struct sbuf *out, const char *s, size_t len, bool in_brackets)
{
	bool bare = len > 0;

	for (size_t i = 0; i < len && bare; i++)
		bare = s[i] && (in_brackets ? !strchr("]\"' \t\r\n", s[i]) : !ends_bare(s[i]));
	if (bare) {
		sbuf_put(out, s, len);
		return;
	}
	sbuf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '"':
			sbuf_puts(out, "\\\"");
			break;
		case '\\':
			sbuf_puts(out, "\\\\");
			break;
		case '\n':
			sbuf_puts(out, "\\n");
			break;
		case '\r':
			sbuf_puts(out, "\\r");
			break;
		case '\t':
			sbuf_puts(out, "\\t");
			break;
		case '\b':
			sbuf_puts(out, "\\b");
			break;
		case '\f':
			sbuf_puts(out, "\\f");
			break;
		default:
			sbuf_putc(out, s[i]);
		}
	}
	sbuf_putc(out, '"');
}

void fnode_print(const struct fnode *n, struct sbuf *out)
{
	switch (n->kind) {
	case FN_AND:
	case FN_OR:
		sbuf_putc(out, '(');
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				sbuf_puts(out, n->kind == FN_AND ? " and " : " or ");
			fnode_print(n->kids[i], out);
		}
		sbuf_putc(out, ')');
		return;
	case FN_NOT:
		sbuf_puts(out, "not ");
		fnode_print(n->kids[0], out);
		return;
	case FN_IDENT:
		sbuf_puts(out, n->field);
		return;
	case FN_CHECK:
		break;
	}
	sbuf_putc(out, '(');
	sbuf_puts(out, n->field);
	if (n->arg) {
		sbuf_putc(out, '[');
		print_value(out, n->arg, strlen(n->arg), true);
		sbuf_putc(out, ']');
	}
	sbuf_putc(out, ' ');
	sbuf_puts(out, fop_name(n->op));
	if (n->list_ref) {
		sbuf_putc(out, ' ');
		sbuf_puts(out, n->list_ref);
	} else if (n->op == FOP_IN || n->op == FOP_INTERSECTS || n->op == FOP_PMATCH) {
		sbuf_puts(out, " (");
		for (size_t i = 0; i < n->nvals; i++) {
			if (i)
				sbuf_puts(out, ", ");
			print_value(out, n->vals[i].s, n->vals[i].len, false);
		}
		sbuf_putc(out, ')');
	} else if (n->op != FOP_EXISTS) {
		sbuf_putc(out, ' ');
		print_value(out, n->vals[0].s, n->vals[0].len, false);
	}
	sbuf_putc(out, ')');
}
