/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The hvc framework's backend interface, as Linux 6.7 and
 * later export it (hvc_alloc, hvc_instantiate, hvc_remove: CONFIG_HVC_DRIVER,
 * built in on Debian's kernels). The kernel keeps its own declarations in
 * drivers/tty/hvc/hvc_console.h, which no headers package ships, so an
 * out-of-tree backend states the part it uses. Only pointers to
 * struct hvc_struct are passed, so its layout is not needed here. The
 * member order and types of struct hv_ops must match the kernel's; 6.7
 * changed get_chars/put_chars to u8 buffers and size_t counts.
 */
#ifndef HCABI_HVC_IFACE_H
#define HCABI_HVC_IFACE_H

#include <linux/types.h>

struct hvc_struct;

struct hv_ops {
	ssize_t (*get_chars)(u32 vtermno, u8 *buf, size_t count);
	ssize_t (*put_chars)(u32 vtermno, const u8 *buf, size_t count);
	int (*flush)(u32 vtermno, bool wait);
	int (*notifier_add)(struct hvc_struct *hp, int irq);
	void (*notifier_del)(struct hvc_struct *hp, int irq);
	void (*notifier_hangup)(struct hvc_struct *hp, int irq);
	int (*tiocmget)(struct hvc_struct *hp);
	int (*tiocmset)(struct hvc_struct *hp, unsigned int set,
			unsigned int clear);
	void (*dtr_rts)(struct hvc_struct *hp, bool active);
};

int hvc_instantiate(u32 vtermno, int index, const struct hv_ops *ops);
struct hvc_struct *hvc_alloc(u32 vtermno, int data, const struct hv_ops *ops,
			     int outbuf_size);
void hvc_remove(struct hvc_struct *hp);

#endif /* HCABI_HVC_IFACE_H */
