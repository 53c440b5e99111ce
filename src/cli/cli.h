/* cli: the sysrec command line; one function per subcommand. */
#ifndef SYSREC_CLI_H
#define SYSREC_CLI_H

/* Each returns the process exit code: 0 ok, 1 failure, 2 usage. */
int cmd_read(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
