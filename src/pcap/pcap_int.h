/* pcap_int.h: what the pcap writer and reader share: the owner text of a packet. */
#ifndef SYSREC_PCAP_INT_H
#define SYSREC_PCAP_INT_H

#include "pcap.h"

/* Input bytes of comm and of the container id that an owner text keeps. */
#define PCAP_OWNER_FIELD_MAX 256

/*
 * Append o's text to b: "pid=1 tid=2 comm=x container=y fd=3" with sep ' '
 * (the comment), the same with ';' (the custom option). comm and container
 * are escaped (pcap.h, struct pcap_owner), so the text is valid UTF-8.
 */
void pcap_owner_format(struct sbuf *b, const struct pcap_owner *o, char sep);

/*
 * Parse a custom option's text (n bytes at s, not NUL-terminated) into o.
 * Unescaped comm and container are written NUL-terminated at out, which has
 * room for n + 2 bytes (unescaping never grows), and o points there. False
 * when the text is no owner: pid or tid missing, a number or an escape
 * malformed. Keys it does not know are skipped.
 */
bool pcap_owner_parse(const char *s, size_t n, struct pcap_owner *o, char *out);

#endif
