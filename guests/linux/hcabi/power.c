// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Power-off through SYSTEM.SHUTDOWN and restart through SYSTEM.REBOOT.
 *
 * Power-off is a sys-off handler just above firmware priority, so it runs
 * before emulated ACPI's (which registers at SYS_OFF_PRIO_FIRMWARE): HCABI is
 * the hypervisor's own interface. x86 runs no restart handlers (its
 * machine_restart tries ACPI, the keyboard controller, port CF9...), so the
 * reboot is a restart-prepare handler: kernel_restart() runs it once devices
 * are shut down. An emergency restart (panic=N, SysRq-B) skips it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/printk.h>
#include <linux/reboot.h>

#include "hcabi.h"

static unsigned int shutdown_code;

/* SYSTEM.SHUTDOWN's code is bits 7:0; anything wider is INVALID_PARAM. */
static int shutdown_code_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0,
				     HCABI_SYSTEM_SHUTDOWN_CODE_CODE_MASK);
}

static const struct kernel_param_ops shutdown_code_ops = {
	.set = shutdown_code_set,
	.get = param_get_uint,
};

module_param_cb(shutdown_code, &shutdown_code_ops, &shutdown_code, 0644);
MODULE_PARM_DESC(shutdown_code,
		 "Code power-off passes to SYSTEM.SHUTDOWN (0-255, default 0)");

static struct sys_off_handler *hcabi_poweroff;
static struct sys_off_handler *hcabi_restart;

static int hcabi_power_off(struct sys_off_data *data)
{
	/* Returns only when the call failed. */
	struct hcabi_ret r = hcabi_call(1, HCABI_FID_SYSTEM_SHUTDOWN,
					  READ_ONCE(shutdown_code));

	pr_err("SYSTEM.SHUTDOWN failed: status %lld\n", r.status);
	return NOTIFY_DONE;
}

static int hcabi_reboot(struct sys_off_data *data)
{
	struct hcabi_ret r = hcabi_call(0, HCABI_FID_SYSTEM_REBOOT);

	pr_err("SYSTEM.REBOOT failed: status %lld\n", r.status);
	return NOTIFY_DONE;
}

int hcabi_power_init(void)
{
	hcabi_poweroff = register_sys_off_handler(SYS_OFF_MODE_POWER_OFF,
						  SYS_OFF_PRIO_FIRMWARE + 1,
						  hcabi_power_off, NULL);
	if (IS_ERR(hcabi_poweroff))
		return PTR_ERR(hcabi_poweroff);
	hcabi_restart = register_sys_off_handler(SYS_OFF_MODE_RESTART_PREPARE,
						 SYS_OFF_PRIO_FIRMWARE + 1,
						 hcabi_reboot, NULL);
	if (IS_ERR(hcabi_restart)) {
		unregister_sys_off_handler(hcabi_poweroff);
		return PTR_ERR(hcabi_restart);
	}
	return 0;
}

void hcabi_power_exit(void)
{
	unregister_sys_off_handler(hcabi_restart);
	unregister_sys_off_handler(hcabi_poweroff);
}
