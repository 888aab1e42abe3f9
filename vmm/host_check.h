/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMINI_CHECK_H
#define KVMINI_CHECK_H

int cmd_check(int argc, char **argv);

#endif
