/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMINI_IMG_H
#define KVMINI_IMG_H

int cmd_img(int argc, char **argv);

#endif
