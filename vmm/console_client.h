/* SPDX-License-Identifier: GPL-2.0 */
/* kvmini console NAME: attach to a running VM's serial console. */
#ifndef KVMINI_CONSOLE_CLIENT_H
#define KVMINI_CONSOLE_CLIENT_H

int cmd_console(int argc, char **argv);

#endif
