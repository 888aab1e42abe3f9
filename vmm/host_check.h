/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMINI_CHECK_H
#define KVMINI_CHECK_H

int cmd_check(int argc, char **argv);
/* /dev/kvm is PVM (kvm_pvm without kvm_intel/kvm_amd): CPL0 guest code
 * runs in KVM's instruction emulator, which has no protected-mode IRET. */
int host_kvm_is_pvm(void);

#endif
