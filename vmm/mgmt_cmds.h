/* SPDX-License-Identifier: GPL-2.0 */
/* Commands that manage running VMs through their control sockets
 * (docs/management.md).  Each returns kvmini's exit code. */
#ifndef KVMINI_MGMT_CMDS_H
#define KVMINI_MGMT_CMDS_H

int cmd_list(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_dumpconfig(int argc, char **argv);

#endif
