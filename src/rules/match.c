/* match: the compiled rules indexed by event type, and each event matched against its rules. */
#include "../filter/filter.h"
#include "rules_int.h"

#include <stdlib.h>

void rules_index_free(struct rules *r)
{
	if (!r->index)
		return;
	for (size_t i = 0; i < EVENT_MAX; i++)
		free(r->index[i]);
	free(r->index);
	free(r->nindex);
	r->index = NULL;
	r->nindex = NULL;
}

static void index_add(struct rules *r, uint16_t code, size_t rule)
{
	if (code >= EVENT_MAX || (r->nindex[code] && r->index[code][r->nindex[code] - 1] == rule))
		return;
	r->index[code] = xrealloc(r->index[code], (r->nindex[code] + 1) * sizeof(size_t));
	r->index[code][r->nindex[code]++] = rule;
}

void rules_index_build(struct rules *r)
{
	rules_index_free(r);
	r->index = xcalloc(EVENT_MAX, sizeof(*r->index));
	r->nindex = xcalloc(EVENT_MAX, sizeof(*r->nindex));
	for (size_t i = 0; i < r->set->nrules; i++) {
		const struct rule *rule = &r->set->rules[i]->pub;

		if (!rule->filter || rule->priority > r->min_priority)
			continue;
		/* the rule's event types, less the codes its filter rejects on the code alone (evt.dir, fd
		 * checks) */
		if (rule->all_types) {
			for (uint16_t code = 0; code < EVENT_MAX; code++)
				if (filter_can_match(rule->filter, code))
					index_add(r, code, i);
			continue;
		}
		for (size_t k = 0; k < rule->ntypes; k++)
			if (filter_can_match(rule->filter, rule->types[k]))
				index_add(r, rule->types[k], i);
	}
}

struct rule *rules_match(struct rules *r, const struct evctx *cx)
{
	uint16_t type = cx->ev->type;

	if (!r->index || type >= EVENT_MAX)
		return NULL;
	if (!r->all_events && (event_table[type].flags & EF_DROP_SIMPLE_CONS))
		return NULL;
	for (size_t i = 0; i < r->nindex[type]; i++) {
		struct rule *rule = &r->set->rules[r->index[type][i]]->pub;

		if (rule->enabled && filter_match(rule->filter, cx))
			return rule;
	}
	return NULL;
}
