/* event: lookups over the event table and the zero-copy event parser. */
#include "event.h"

#include <errno.h>
#include <string.h>

const char *event_errno_name(int64_t code)
{
	if (code <= -EVENT_ERRNO_MAX || code >= EVENT_ERRNO_MAX) /* any int64: check before negating */
		return NULL;
	if (code < 0)
		code = -code;
	if (code == 0)
		return NULL;
	return event_errno_names[code];
}

const char *event_signal_name(uint32_t sig)
{
	return sig < 256 ? event_signal_names[sig] : NULL;
}

int event_code_by_name(const char *name)
{
	for (int i = 0; i < EVENT_MAX; i += 2) {
		if (!(event_table[i].flags & EF_UNUSED) && strcmp(event_table[i].name, name) == 0)
			return i;
	}
	return -1;
}

int event_param_index(uint32_t type, const char *name)
{
	const struct event_info *info = event_info_get(type);

	for (uint32_t i = 0; info && i < info->nparams; i++)
		if (strcmp(info->params[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *event_type_name(uint32_t type)
{
	return type < EVENT_MAX ? event_table[type].name : "unknown";
}

/* Length i of an event's length array, of 2- or 4-byte entries. */
static inline uint32_t param_len(const uint8_t *lens, unsigned width, uint32_t i)
{
	return width == 2 ? load_u16(lens + 2 * i) : load_u32(lens + 4 * i);
}

/* The error of an event whose parameter lengths run past its end: which parameter does. */
static int params_overrun(const struct event *ev, const uint8_t *lens, unsigned width, uint32_t nparams,
                          uint32_t room, struct err *e)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < nparams; i++) {
		uint32_t l = param_len(lens, width, i);

		total += l;
		if (total > room)
			return err_set(e, -EINVAL,
			               "event type %u: parameter %u length %u runs past the event length %u",
			               ev->type, i, l, ev->len);
	}
	return 0;
}

static int parse_params(struct event *ev, const uint8_t *lens, unsigned width, uint32_t nparams,
                        uint32_t room, struct err *e)
{
	const uint8_t *v = lens + (size_t)nparams * width;
	uint32_t kept = nparams < EVENT_MAX_PARAMS ? nparams : EVENT_MAX_PARAMS;
	uint64_t total = 0; /* a sum of 32-bit lengths: no overflow, so checked once at the end */

	ev->nvals = kept;
	for (uint32_t i = 0; i < kept; i++) {
		uint32_t l = param_len(lens, width, i);

		ev->val[i] = v + total;
		ev->vlen[i] = l;
		total += l;
	}
	for (uint32_t i = kept; i < nparams; i++)
		total += param_len(lens, width, i);
	if (total > room)
		return params_overrun(ev, lens, width, nparams, room, e);
	return 0;
}

int event_parse(struct event *ev, const uint8_t *buf, size_t n, int version, struct err *e)
{
	unsigned hdr = version == 1 ? EVENT_HDR_V1 : EVENT_HDR_V2;
	unsigned width;
	uint32_t nparams;

	if (n < hdr)
		return err_set(e, -EINVAL, "event header truncated (%zu of %u bytes)", n, hdr);
	ev->ts = load_u64(buf);
	ev->tid = (int64_t)load_u64(buf + 8);
	ev->len = load_u32(buf + 16);
	ev->type = load_u16(buf + 20);
	ev->raw = buf;
	ev->version = (uint8_t)version;
	width = event_len_width(ev->type);
	if (ev->len < hdr || ev->len > n)
		return err_set(e, -EINVAL, "event length %u outside its block (%zu bytes)", ev->len, n);
	ev->raw_len = ev->len;
	if (version == 2) {
		nparams = load_u32(buf + 22);
		if ((uint64_t)nparams * width > ev->len - hdr)
			return err_set(e, -EINVAL, "event type %u: %u parameters do not fit in length %u",
			               ev->type, nparams, ev->len);
		ev->nparams = nparams;
		return parse_params(ev, buf + hdr, width, nparams, ev->len - hdr - nparams * width, e);
	}

	/*
	 * v1 header: no nparams. Like the reference reader, take the table's count
	 * and lower it until the lengths exactly fill the event. `len` then gains
	 * the 4 bytes of the missing field, as if it were a v2 header.
	 */
	{
		const struct event_info *info = event_info_get(ev->type);
		uint32_t body = ev->len - hdr;
		int32_t k = info ? (int32_t)info->nparams : 0;

		for (; k >= 0; k--) {
			uint64_t sum = 0;

			if ((uint64_t)k * width > body)
				continue;
			for (int32_t i = 0; i < k; i++)
				sum += width == 2 ? load_u16(buf + hdr + 2 * i) : load_u32(buf + hdr + 4 * i);
			if (sum + (uint64_t)k * width == body)
				break;
		}
		if (k < 0)
			return err_set(e, -EINVAL, "event type %u: parameter lengths do not fill length %u",
			               ev->type, ev->len);
		ev->nparams = (uint32_t)k;
		ev->len += 4;
		return parse_params(ev, buf + hdr, width, (uint32_t)k, body - (uint32_t)k * width, e);
	}
}

int64_t event_int(const struct event *ev, uint32_t i, int64_t dflt)
{
	if (i >= ev->nvals)
		return dflt;
	switch (ev->vlen[i]) {
	case 1:
		return (int8_t)ev->val[i][0];
	case 2:
		return (int16_t)load_u16(ev->val[i]);
	case 4:
		return (int32_t)load_u32(ev->val[i]);
	case 8:
		return (int64_t)load_u64(ev->val[i]);
	default:
		return dflt;
	}
}

uint64_t event_uint(const struct event *ev, uint32_t i, uint64_t dflt)
{
	if (i >= ev->nvals)
		return dflt;
	switch (ev->vlen[i]) {
	case 1:
		return ev->val[i][0];
	case 2:
		return load_u16(ev->val[i]);
	case 4:
		return load_u32(ev->val[i]);
	case 8:
		return load_u64(ev->val[i]);
	default:
		return dflt;
	}
}

const char *event_str(const struct event *ev, uint32_t i, const char *dflt)
{
	if (i >= ev->nvals || ev->vlen[i] == 0 || ev->val[i][ev->vlen[i] - 1] != 0)
		return dflt;
	return (const char *)ev->val[i];
}

const char *event_loss_cause_name(enum event_loss_cause c)
{
	static const char *const names[EVENT_LOST_NCAUSES] = { "ring buffer full", "too large",
		                                               "recorder behind", "tracepoint busy" };

	return (unsigned)c < EVENT_LOST_NCAUSES ? names[c] : "?";
}

uint64_t event_loss_total(const struct event_loss *l)
{
	uint64_t n = 0;

	for (int i = 0; i < EVENT_LOST_NCAUSES; i++)
		n += l->n[i];
	return n;
}

void event_loss_add(struct event_loss *to, const struct event_loss *l)
{
	if (!event_loss_total(to)) {
		to->first_ts = l->first_ts;
		to->tid = l->tid;
		to->cpu = l->cpu;
	}
	if (l->last_ts > to->last_ts)
		to->last_ts = l->last_ts;
	for (int i = 0; i < EVENT_LOST_NCAUSES; i++)
		to->n[i] += l->n[i];
}
