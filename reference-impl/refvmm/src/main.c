/* SPDX-License-Identifier: MIT */
/*
 * main.c - command line and lifecycle of hcabi-refvmm.
 *
 * The command line and the exit statuses are a contract (docs/internals.md):
 *   0 SYSTEM.SHUTDOWN, odd = isa-debug-exit, 2 usage, 4 host error,
 *   6 guest fault, 8 --timeout, 10 SYSTEM.REBOOT or a reset with --no-reboot,
 *   12 SYSTEM.CRASH; the last line on stderr says what happened.
 * A reboot without --no-reboot tears the whole VM down (KVM VM, vCPUs,
 * guest RAM, the core) and boots the image again; --timeout counts from
 * the first boot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "clock.h"
#include "refvmm.h"

static const char usage_text[] =
    "usage: hcabi-refvmm [OPTIONS] IMAGE.elf\n"
    "\n"
    "Boot " HCABI__ARCH_BOOT_TEXT " under KVM and serve its HCABI\n"
    "hypercalls (" HCABI__ARCH_HCALL_TEXT ") with the reference implementation.\n"
    "\n"
    "options:\n"
    "  --vcpus N             vCPUs (default 1); vCPU 0 boots, the others wait\n"
    "                        for VCPU.START\n"
    "  --memory SIZE         guest RAM from GPA 0, with K/M/G suffix\n"
    "                        (default 64M, at least 1M, at most 3G)\n"
    "  --serial FILE|-       where COM1 and CONSOLE output go (default -: stdout)\n"
    "  --serial-limit BYTES  drop serial output past BYTES (default 16M)\n"
    "  --console-input FILE  bytes CONSOLE.READ returns, in order, each once\n"
    "                        (default: no console input)\n"
    "  --cmdline STR         command line in the PVH start info\n"
    "  --initrd FILE         initial RAM disk: the PVH start info's module,\n"
    "                        loaded at the top of RAM\n"
    "  --spec-version X.Y    HCABI version to expose (default: the newest)\n"
    "  --timeout SECONDS     stop the guest after SECONDS of wall-clock time\n"
    "                        (default 0: never)\n"
    "  --timeout-nmi SECONDS when --timeout expires, first send an NMI to each\n"
    "                        vCPU that runs with interrupts off and give the\n"
    "                        guest SECONDS more to say where it hangs\n"
    "  --no-reboot           SYSTEM.REBOOT or a reset of the platform ends\n"
    "                        refvmm (status 10) instead of rebooting the guest\n"
    "  --extensions LIST     provide only these extensions: comma-separated,\n"
    "                        case-insensitive names as in the registry (e.g.\n"
    "                        BASE,CONSOLE,TIME,SYSTEM) or profile names (core,\n"
    "                        full: what the profile requires at the exposed\n"
    "                        version); the others are absent, as on a\n"
    "                        hypervisor without them. BASE is mandatory.\n"
    "                        Default: every extension\n"
    "  --inject-fault FUNC:KIND[:PARAM]\n"
    "                        TEST ONLY: make the reference implementation\n"
    "                        misbehave for FUNC (a name like BASE.GET_SPEC_VERSION\n"
    "                        or a hex ID); KIND is status, value or clobber,\n"
    "                        or a behaviour kind (docs/refvmm.md), among them\n"
    "                        other: the reading HCABI 1.2 rejects.\n"
    "                        Used to show that the conformance suite catches a\n"
    "                        wrong implementation. Repeatable.\n"
    "  --help                this text\n"
    "\n"
    "\n";

/* --help's exit statuses: exit_statuses.def, then the two computed ones. */
static void print_usage(void)
{
	fputs(usage_text, stdout);
	fputs("exit status:\n", stdout);
#define HCABI__EXIT_STATUS(name, status, event, text) printf("  %-3d %s\n", status, text);
#include "exit_statuses.def"
#undef HCABI__EXIT_STATUS
	fputs("  odd (v << 1) | 1 when the guest wrote v to isa-debug-exit\n"
	      "  128+N  stopped by signal N (SIGINT, SIGTERM, SIGHUP)\n"
	      "The last line on stderr says what happened.\n",
	      stdout);
}

volatile sig_atomic_t hcabi__stop_signal;

static void on_stop_signal(int sig)
{
	hcabi__stop_signal = sig;
}

static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hcabi__serial_flush();
	hcabi__log_final(msg);
	_exit(status);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die(HCABI__EXIT_USAGE, "%s (see --help)", msg);
}

enum {
	OPT_VCPUS = 256,
	OPT_MEMORY,
	OPT_SERIAL,
	OPT_SERIAL_LIMIT,
	OPT_CONSOLE_INPUT,
	OPT_CMDLINE,
	OPT_INITRD,
	OPT_SPEC,
	OPT_TIMEOUT,
	OPT_TIMEOUT_NMI,
	OPT_NO_REBOOT,
	OPT_FAULT,
	OPT_EXTENSIONS,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"vcpus", required_argument, NULL, OPT_VCPUS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"serial-limit", required_argument, NULL, OPT_SERIAL_LIMIT},
    {"console-input", required_argument, NULL, OPT_CONSOLE_INPUT},
    {"cmdline", required_argument, NULL, OPT_CMDLINE},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"spec-version", required_argument, NULL, OPT_SPEC},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"timeout-nmi", required_argument, NULL, OPT_TIMEOUT_NMI},
    {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
    {"inject-fault", required_argument, NULL, OPT_FAULT},
    {"extensions", required_argument, NULL, OPT_EXTENSIONS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* --extensions, once the exposed version is known (--spec-version may come
 * after it): a profile's list depends on the version. */
static void parse_extensions(const char *list, struct hcabi__opts *o)
{
	static uint32_t eids[HCABI_REF_MAX_EXTENSIONS];
	const char *err = NULL;
	size_t bad = 0;
	uint32_t v = o->spec_version ? o->spec_version : hcabi_ref_newest_version();

	if (!hcabi_ref_parse_extensions(list, v, eids, &o->extension_count, &err, &bad)) {
		size_t len = strcspn(list + bad, ",");
		/* an item it names ('FOO' is not ...), else the list's fault */
		if (len == 0 || strncmp(err, "BASE", 4) == 0)
			usage_error("--extensions '%s': %s", list, err);
		usage_error("--extensions '%s': '%.*s' is %s (extensions: BASE,CONSOLE,...; "
			    "profiles: core, full)",
			    list, (int)(len > 40 ? 40 : len), list + bad, err);
	}
	o->extensions = eids;
}

static void parse_args(int argc, char **argv, struct hcabi__opts *o)
{
	const char *extensions = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	o->vcpus = 1;
	o->mem_size = 64ull << 20;
	o->serial_path = "-";
	o->cmdline = "";
	o->serial_limit = 16ull << 20;
	o->faults = calloc((size_t)argc + 1, sizeof(*o->faults));
	if (!o->faults)
		die(HCABI__EXIT_HOST, "error: out of memory");

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", long_opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case OPT_VCPUS: {
			unsigned long v;
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || v < 1 ||
			    v > HCABI__MAX_VCPUS || v > HCABI_REF_MAX_VCPUS)
				usage_error("--vcpus wants a number from 1 to %u, not '%s'",
					    HCABI__MAX_VCPUS < HCABI_REF_MAX_VCPUS
						? HCABI__MAX_VCPUS
						: HCABI_REF_MAX_VCPUS,
					    optarg);
			o->vcpus = (uint32_t)v;
			break;
		}
		case OPT_MEMORY:
			if (!hcabi__parse_size(optarg, &o->mem_size))
				usage_error("--memory wants a size like 64M or 1G, not '%s'",
					    optarg);
			if (o->mem_size < HCABI__MIN_RAM || o->mem_size > HCABI__MAX_RAM)
				usage_error("--memory must be from 1M to 3G, not '%s'", optarg);
			if (o->mem_size % HCABI__PAGE_SIZE)
				usage_error("--memory must be a multiple of 4K, not '%s'", optarg);
			break;
		case OPT_SERIAL:
			if (!*optarg)
				usage_error("--serial wants a file name or -");
			o->serial_path = optarg;
			break;
		case OPT_CONSOLE_INPUT:
			if (!*optarg)
				usage_error("--console-input wants a file name");
			o->console_input_path = optarg;
			break;
		case OPT_SERIAL_LIMIT:
			if (!hcabi__parse_size(optarg, &o->serial_limit))
				usage_error("--serial-limit wants a size in bytes (K/M/G allowed), "
					    "not '%s'",
					    optarg);
			break;
		case OPT_CMDLINE:
			if (strlen(optarg) > HCABI__MAX_CMDLINE)
				usage_error("--cmdline is longer than %u bytes",
					    HCABI__MAX_CMDLINE);
			o->cmdline = optarg;
			break;
		case OPT_INITRD:
			if (!*optarg)
				usage_error("--initrd wants a file name");
			o->initrd_path = optarg;
			break;
		case OPT_SPEC:
			if (!hcabi_ref_parse_version(optarg, &o->spec_version)) {
				uint32_t n = hcabi_ref_newest_version();
				usage_error(
				    "unsupported --spec-version '%s' (this build implements "
				    "HCABI up to %u.%u)",
				    optarg, n >> 16, n & 0xffff);
			}
			break;
		case OPT_TIMEOUT:
		case OPT_TIMEOUT_NMI: {
			const char *name = c == OPT_TIMEOUT ? "--timeout" : "--timeout-nmi";
			double t;
			errno = 0;
			t = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(t) || t < 0 || t > 1e9)
				usage_error("%s wants a number of seconds, not '%s'", name,
					    optarg);
			*(c == OPT_TIMEOUT ? &o->timeout_s : &o->timeout_nmi_s) = t;
			break;
		}
		case OPT_NO_REBOOT:
			o->no_reboot = true;
			break;
		case OPT_FAULT:
			o->faults[o->nfaults++] = optarg;
			break;
		case OPT_EXTENSIONS:
			extensions = optarg;
			break;
		case OPT_HELP:
			print_usage();
			fflush(stdout);
			exit(0);
		case ':':
			usage_error("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt >= OPT_VCPUS)
				usage_error("option %s needs a value", argv[optind - 1]);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error("no guest image given");
	if (optind + 1 < argc)
		usage_error("unexpected argument '%s' after the image", argv[optind + 1]);
	if (o->timeout_nmi_s > 0 && !(o->timeout_s > 0))
		usage_error("--timeout-nmi needs --timeout");
	o->image_path = argv[optind];
	if (extensions)
		parse_extensions(extensions, o);
}

int main(int argc, char **argv)
{
	static struct hcabi__vm vm; /* the core's platform context: fixed address */
	struct hcabi__opts opts;
	struct hcabi__image *image;
	struct hcabi_ref *ref;
	int status = HCABI__EXIT_HOST;
	const char *serr = NULL;
	char err[768];
	uint32_t max_vcpus = 0;
	uint64_t deadline = 0;
	unsigned boots = 0;

	signal(SIGPIPE, SIG_IGN);
	{
		/* end the VM cleanly (output flushed, a last line on stderr) */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	parse_args(argc, argv, &opts);

	/* The core first: a bad --inject-fault is a usage error (2). */
	ref = hcabi__core_create(&vm, &opts, &status, err, sizeof(err));
	if (!ref)
		die(status, "%s%s", status == HCABI__EXIT_USAGE ? "" : "error: ", err);
	if (opts.console_input_path &&
	    hcabi__console_input_open(opts.console_input_path, &serr) != 0)
		die(HCABI__EXIT_HOST, "error: cannot read --console-input %s: %s",
		    opts.console_input_path, serr);
	image = hcabi__arch_image_load(opts.image_path, opts.initrd_path, opts.mem_size, err,
				       sizeof(err));
	if (!image)
		die(HCABI__EXIT_HOST, "error: %s", err);
	if (hcabi__arch_probe(&max_vcpus, err, sizeof(err)) != 0)
		die(HCABI__EXIT_HOST, "error: %s", err);
	if (opts.vcpus > max_vcpus)
		usage_error("--vcpus %u is more than this host's KVM allows (%u)", opts.vcpus,
			    max_vcpus);
	if (hcabi__serial_open(opts.serial_path, opts.serial_limit, &serr) != 0)
		die(HCABI__EXIT_HOST, "error: cannot open --serial %s: %s", opts.serial_path, serr);

	if (opts.timeout_s > 0)
		deadline = hcabi__now_ns() + (uint64_t)(opts.timeout_s * 1e9);

	for (;;) {
		struct hcabi__end end;

		if (hcabi__vm_create(&vm, &opts, image, ref, err, sizeof(err)) != 0)
			die(HCABI__EXIT_HOST, "error: %s", err);
		boots++;
		if (!hcabi__vm_run(&vm, deadline, &end)) {
			/* some vCPU thread did not stop: leave without cleanup */
			die(end.reboot ? HCABI__EXIT_HOST : end.status, "%s%s", end.msg,
			    end.reboot ? " (but the vCPUs did not stop; giving up)" : "");
		}
		hcabi__vm_destroy(&vm);
		if (end.reboot) {
			/* No vCPU thread is left: the core may be reset. */
			hcabi_ref_reset(ref);
			hcabi__log("rebooting the guest (boot %u)", boots + 1);
			continue;
		}
		die(end.status, "%s", end.msg);
	}
}
