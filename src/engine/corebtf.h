/*
 * corebtf: the small BTF sysrec's programs are relocated against, and the
 * kernel type ids they cast to (see corebtf.c).
 */
#ifndef SYSREC_COREBTF_H
#define SYSREC_COREBTF_H

#include "../common/common.h"

struct corebtf_ids {
	uint32_t task_struct, file; /* in the kernel's BTF */
};

/*
 * For the programs in elf: the path of the small BTF (found in the cache or
 * made into it; the caller frees it), or NULL to relocate against the kernel's
 * own BTF. ids is filled either way, unless the kernel BTF cannot be read
 * (then NULL and ids zero).
 */
char *corebtf_prepare(const void *elf, size_t elf_size, struct corebtf_ids *ids);

/* A cached BTF the programs would not load with: remove it (and its ids). */
void corebtf_forget(const char *btf_path);

#endif
