/*
 * sysrec_bpf.h: what the BPF programs and their loader (src/engine) share.
 *
 * Each ring-buffer record is a struct sysrec_rec_head followed by one event
 * in the .scap layout (26-byte v2 header, u16 lengths, values), exactly as it
 * goes into an EV_V2 block: userspace adds the block framing and nothing else.
 *
 * SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
 */
#ifndef SYSREC_BPF_H
#define SYSREC_BPF_H

#define SYSREC_NATIVE_MAX  512       /* syscall numbers routed */
#define SYSREC_EVENT_MAX   336       /* event codes with a filler slot */
#define SYSREC_MAX_EVENT   (1 << 15) /* largest event the programs write */
#define SYSREC_MAX_SNAPLEN 16384     /* -s is clamped to this */
#define SYSREC_EVT_HDR     26

/* How a native syscall is recorded (the `routes` map, filled by userspace). */
struct sysrec_route {
	__u16 enter; /* event codes: 0/1 = the generic pair */
	__u16 exit;
	__u16 ppm_sc; /* PPM_SC code (generic events' ID) */
	__u16 on;     /* recorded at all */
};

struct sysrec_rec_head {
	__u16 cpu;
	__u16 flags; /* 0 */
	__u32 len;   /* event length */
};

/* Per-CPU counters (the `stats` map). */
struct sysrec_stats {
	__u64 events;     /* events written to the ring */
	__u64 drops_ring; /* ring buffer full: event lost */
	__u64 drops_big;  /* event larger than SYSREC_MAX_EVENT: lost */
};

#endif
