// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * An hvc console backend (hvc0, so console=hvc0 works) on
 * CONSOLE.WRITE and CONSOLE.READ.
 *
 * Both calls take a guest-physical buffer. The hvc core hands us buffers that
 * may sit anywhere (a vmalloc'd stack has no linear physical address), so
 * every transfer goes through a kmalloc'd bounce buffer, which is physically
 * contiguous: the spec allows any alignment and page crossing (CONSOLE-002)
 * but needs the whole range in guest RAM (CONSOLE-003, CONSOLE-021).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "hcabi.h"
#include "hvc_iface.h"

#define HCABI_HVC_VTERMNO	0
#define HCABI_HVC_INDEX		0	/* hvc0 */
#define HCABI_HVC_BUF_SIZE	256

/* One call moves at most HCABI_CONSOLE_MAX_XFER bytes (CONSOLE-001, -020). */
static_assert(HCABI_HVC_BUF_SIZE <= HCABI_CONSOLE_MAX_XFER);

static DEFINE_SPINLOCK(hcabi_hvc_lock);	/* the two bounce buffers */
static u8 *hcabi_hvc_out;
static u8 *hcabi_hvc_in;
static struct hvc_struct *hcabi_hvc;

static ssize_t hcabi_hvc_put_chars(u32 vtermno, const u8 *buf, size_t count)
{
	struct hcabi_ret r;
	unsigned long flags;

	count = min_t(size_t, count, HCABI_HVC_BUF_SIZE);
	spin_lock_irqsave(&hcabi_hvc_lock, flags);
	memcpy(hcabi_hvc_out, buf, count);
	r = hcabi_call(2, HCABI_FID_CONSOLE_WRITE,
		       virt_to_phys(hcabi_hvc_out), count);
	spin_unlock_irqrestore(&hcabi_hvc_lock, flags);
	if (r.status != HCABI_SUCCESS)
		return hcabi_errno(r.status);
	/* CONSOLE-001: n = min(len, MAX_XFER); from 1.2 fewer after an error */
	return min_t(u64, r.value, count);
}

static ssize_t hcabi_hvc_get_chars(u32 vtermno, u8 *buf, size_t count)
{
	struct hcabi_ret r;
	unsigned long flags;

	count = min_t(size_t, count, HCABI_HVC_BUF_SIZE);
	spin_lock_irqsave(&hcabi_hvc_lock, flags);
	/* CONSOLE-020: never waits; 0 when no input is pending */
	r = hcabi_call(2, HCABI_FID_CONSOLE_READ,
		       virt_to_phys(hcabi_hvc_in), count);
	if (r.status == HCABI_SUCCESS && r.value <= count)
		memcpy(buf, hcabi_hvc_in, r.value);
	spin_unlock_irqrestore(&hcabi_hvc_lock, flags);
	if (r.status != HCABI_SUCCESS)
		return hcabi_errno(r.status);
	if (r.value > count)
		return -EIO;	/* more than asked for: not a conforming READ */
	return r.value;
}

/* No notifier: with no interrupt the hvc core polls get_chars. */
static const struct hv_ops hcabi_hvc_ops = {
	.get_chars = hcabi_hvc_get_chars,
	.put_chars = hcabi_hvc_put_chars,
};

int hcabi_hvc_init(void)
{
	int ret;

	hcabi_hvc_out = kmalloc(HCABI_HVC_BUF_SIZE, GFP_KERNEL);
	hcabi_hvc_in = kmalloc(HCABI_HVC_BUF_SIZE, GFP_KERNEL);
	if (!hcabi_hvc_out || !hcabi_hvc_in) {
		ret = -ENOMEM;
		goto err_free;
	}
	/* The console slot: fails only if another backend holds hvc0. */
	if (hvc_instantiate(HCABI_HVC_VTERMNO, HCABI_HVC_INDEX, &hcabi_hvc_ops))
		pr_warn("hvc%d is taken: no HCABI kernel console\n",
			HCABI_HVC_INDEX);
	hcabi_hvc = hvc_alloc(HCABI_HVC_VTERMNO, 0, &hcabi_hvc_ops,
			      HCABI_HVC_BUF_SIZE);
	if (IS_ERR(hcabi_hvc)) {
		ret = PTR_ERR(hcabi_hvc);
		goto err_free;
	}
	return 0;

err_free:
	kfree(hcabi_hvc_in);
	kfree(hcabi_hvc_out);
	return ret;
}

void hcabi_hvc_exit(void)
{
	hvc_remove(hcabi_hvc);	/* also releases the console slot */
	kfree(hcabi_hvc_in);
	kfree(hcabi_hvc_out);
}
