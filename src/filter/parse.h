/*
 * parse: the Falco condition language, text into a syntax tree.
 *
 * This is syntax only. Whether a field exists, what type it has and whether a
 * value converts to it is decided when the tree is compiled against the field
 * table. A filter such as `proc.name = bash and not fd.name startswith /tmp`
 * becomes an `and` node with a check child and a `not` child.
 *
 * Grammar (EBNF; blanks are spaces, tabs, CR and LF, allowed between tokens):
 *
 *   Filter      ::= Expr END
 *   Expr        ::= AndExpr ( 'or' AndExpr )*
 *   AndExpr     ::= NotExpr ( 'and' NotExpr )*
 *   NotExpr     ::= 'not' NotExpr | Primary
 *   Primary     ::= '(' Expr ')' | Check | Identifier
 *   Check       ::= Field ( UnaryOp | CmpOp Value | ListOp List )
 *   Field       ::= FieldName ( '[' FieldArg ']' )?
 *   UnaryOp     ::= 'exists'
 *   CmpOp       ::= '=' | '==' | '!=' | '<' | '<=' | '>' | '>='
 *                 | 'contains' | 'icontains' | 'bcontains' | 'startswith'
 *                 | 'bstartswith' | 'endswith' | 'glob'
 *   ListOp      ::= 'in' | 'intersects' | 'pmatch'
 *   List        ::= '(' ( Value ( ',' Value )* )? ')' | Identifier
 *   Value       ::= QuotedStr | BareStr
 *
 * Tokens:
 *
 *   Identifier  ::= [a-zA-Z_][a-zA-Z0-9_]*            (a macro or list name)
 *   FieldName   ::= Identifier ( '.' [a-zA-Z0-9_]+ )+  (evt.type, evt.arg.name)
 *   FieldArg    ::= QuotedStr | [^\]"' \t\r\n]+        (evt.arg[0], proc.aname[2])
 *   QuotedStr   ::= '"' ( '\' any | [^"\] )* '"' | "'" ( '\' any | [^'\] )* "'"
 *   BareStr     ::= [^ \t\r\n(),="']+
 *
 * The words `and`, `or`, `not` and the word operators are keywords only where
 * the grammar expects them, as whole words (a bare value may be `in`; `notx`
 * is a macro name). `and` binds tighter than `or`, as in Falco; sysdig 0.29.3
 * refuses a mix of the two without brackets, Falco 0.31 takes it with this
 * precedence.
 *
 * Escapes in quoted strings: \\ \" \' \n \r \t \b \f; a backslash before any
 * other character is kept with it. Values keep their bytes (NUL included).
 *
 * Errors say where (1-based column in the filter text) and what was expected:
 * "filter error at column 18: expected a value after 'startswith'".
 */
#ifndef SYSREC_FILTER_PARSE_H
#define SYSREC_FILTER_PARSE_H

#include "../common/common.h"

enum fop {
	FOP_EQ,
	FOP_NE,
	FOP_LT,
	FOP_LE,
	FOP_GT,
	FOP_GE,
	FOP_CONTAINS,
	FOP_ICONTAINS,
	FOP_BCONTAINS,
	FOP_STARTSWITH,
	FOP_BSTARTSWITH,
	FOP_ENDSWITH,
	FOP_GLOB,
	FOP_IN,
	FOP_INTERSECTS,
	FOP_PMATCH,
	FOP_EXISTS,
};

/* The operator's spelling ("=" for FOP_EQ, as the filter wrote "==" or "="). */
const char *fop_name(enum fop op);

enum fnode_kind {
	FN_AND,   /* kids[0] and kids[1] and ... (n >= 2) */
	FN_OR,    /* kids[0] or kids[1] or ... (n >= 2) */
	FN_NOT,   /* not kids[0] */
	FN_CHECK, /* field op value(s) */
	FN_IDENT, /* a bare identifier: a macro reference, resolved by the rules loader */
};

struct fvalue {
	char *s; /* NUL-terminated copy; len says how long when it holds NULs */
	size_t len;
	bool quoted;
	uint32_t col; /* where it starts in the filter text, 1-based */
};

struct fnode {
	enum fnode_kind kind;
	uint32_t col; /* where the node starts in the filter text, 1-based */
	/* FN_AND, FN_OR, FN_NOT */
	struct fnode **kids;
	size_t nkids;
	/* FN_CHECK: field[arg] op values; FN_IDENT: name in field */
	char *field;
	char *arg; /* the text between [ ], NULL when there were no brackets */
	enum fop op;
	struct fvalue *vals;
	size_t nvals;
	char *list_ref; /* `in my_list`: the list's name (vals empty); else NULL */
	uint32_t op_col;
};

/*
 * Parse a whole filter. Returns the tree (the caller frees it with
 * fnode_free()) or NULL with "filter error at column N: ..." in e. Never
 * reads past text's NUL; nesting deeper than 200 levels is an error.
 */
struct fnode *filter_parse(const char *text, struct err *e);
void fnode_free(struct fnode *n);
/* A deep copy of the tree n (the rules loader splices macros' trees into conditions). */
struct fnode *fnode_copy(const struct fnode *n);

/*
 * The tree as one canonical filter string: every check and every compound in
 * brackets, values quoted where they need it. Parsing the result gives the
 * same tree (the fuzz target checks it).
 */
void fnode_print(const struct fnode *n, struct sbuf *out);

#endif
