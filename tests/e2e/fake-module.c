/*
 * fake-module.c: compiled by the artifacts e2e check (gcc -c) into an ELF
 * relocatable object laid out as a kernel module is (.modinfo, an init and an
 * exit function, .gnu.linkonce.this_module): what init_module and
 * finit_module are given. This kernel has no module support, so loading it
 * fails whatever it holds; the check is that sysrec keeps it byte for byte.
 */
static const char modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) =
        "license=GPL\0description=sysrec e2e\0name=sysrec_e2e\0vermagic=6.18.0 SMP mod_unload\0";

static int counter;

int init_module(void);
void cleanup_module(void);

int init_module(void)
{
	return counter++;
}

void cleanup_module(void)
{
	counter--;
}

struct module_head {
	char name[56];
	int (*init)(void);
	void (*exit)(void);
};

struct module_head __this_module __attribute__((section(".gnu.linkonce.this_module"))) = {
	.name = "sysrec_e2e",
	.init = init_module,
	.exit = cleanup_module,
};
