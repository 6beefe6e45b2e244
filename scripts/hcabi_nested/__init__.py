"""hcabi-nested: run static programs (normally hcabi-refvmm) under KVM where
the host has no usable /dev/kvm.

A stock Debian 6.12 kernel (bookworm-backports; it has CONFIG_KVM_XEN) boots
in ``qemu-system-x86_64 -accel tcg -cpu max``; TCG emulates AMD SVM with
nested paging, so kvm-amd loads inside and /dev/kvm appears there.  With
``--arch arm64`` the same kernel's arm64 build boots in ``qemu-system-aarch64
-M virt,virtualization=on`` at EL2, where its built-in KVM comes up; with
``--arch riscv64`` trixie's riscv64 6.12 kernel boots in bookworm-backports'
``qemu-system-riscv64`` 10.0 (unpacked into the cache, see qemudebs) with the
H extension and AIA, and loads kvm.ko.  One boot runs a whole batch of jobs,
one after the other.

The contract is docs/internals.md, section "The nested launcher".  This
package holds all the logic so that tests can import it; ``scripts/hcabi-nested``
is a thin wrapper around :func:`hcabi_nested.cli.main`.  Its modules, one job
each, and what each imports (no module imports one above it in this list):

    cli        the command line, main()                  -> vm, holder, jobs, arch
    vm         one batch: QEMU, the stream, the results  -> initramfs, cache, results, holder, jobs, arch
    initramfs  the guest's /init and the initramfs        -> cache, cpio, results, holder, jobs, arch
    cache      the download cache (kernel, modules, busybox), per architecture  -> qemudebs, aptconf, debian, elf, arch
    qemudebs   QEMU and its firmware from Debian packages, unpacked (riscv64)  -> aptconf, debian, arch
    aptconf    the system's apt, or a private one for a foreign architecture  -> debian
    debian     Debian packages: versions, apt, dpkg, module files  -> arch
    results    the results stream: its constants, the host's decoder  -> holder
    holder     --holder: its command line, the guest's shell functions  -> jobs, elf, arch
    jobs       the job file and the plan of host files   -> elf, arch
    cpio       a newc archive writer (and reader, for tests)
    elf        what the launcher reads from ELF files
    arch       what differs per architecture (--arch): packages, QEMU, console, KVM

Outside the package: hcabi_load (scripts/: the job file and manifest.json are
read through it, and the entry script's last-resort handler is its run_main)
and the runner's hcabi_conform: its errors (hcabi_conform.errors: UsageError
exits 2, EnvError 4) and launcher_log, whose writers print the progress lines
that the runner parses with the patterns beside them.

Standard library only: it must run under any Python 3.11 on a fresh Debian.

Transport (guest -> host).  The kernel console stays on ttyS0 (ttyAMA0 on
arm64), kept in ``OUT/hcabi-nested.log``.  Results travel on a separate
virtio-serial port, a raw byte channel that no console or tty processing touches, as a stream of
records (see :class:`hcabi_nested.results.ResultDecoder`)::

    @@hcabi-nested start protocol=1 jobs=N
    @@hcabi-nested kvm ok vendor=amd           | @@hcabi-nested kvm-fail msg=TEXT
    @@hcabi-nested holder state=up msg=TEXT    | ... state=failed msg=TEXT  (with --holder)
    @@hcabi-nested job-start name=NAME
    @@hcabi-nested data name=NAME kind=serial size=N crc32=HEX (8 hex digits)
    <exactly N raw bytes>
    (a newline after the payload)
    @@hcabi-nested data name=NAME kind=stderr size=N crc32=HEX (8 hex digits)
    <exactly N raw bytes>
    (a newline after the payload)
    @@hcabi-nested status name=NAME status=N elapsed_ms=N killed=0|1
    ...
    @@hcabi-nested holder state=stopped|lost msg=TEXT                       (with --holder)
    @@hcabi-nested done

Lengths make the payload binary-safe; the CRC-32 (zlib's) catches corruption;
a job counts as completed only when both payloads and its status arrived
intact, and only then does the launcher write ``NAME.status``.

The holder (``--holder``, default ``$HCABI_NESTED_HOLDER``): a static program
started in the background once KVM is up, before the first job, and stopped
(SIGTERM) after the last.  It keeps one idle KVM VM alive for the whole batch,
so that the number of live VMs never drops to 0 between jobs: each time it
goes between 0 and 1 the nested kernel patches its own text (static keys:
the scheduler's preempt notifiers, KVM's Xen and LAPIC keys), and under
multi-threaded TCG that patching has been seen to panic the nested kernel
("Oops: int3" in finish_task_switch, about one boot in seven).  The project's
holder is ``hcabi-nested-probe --hold`` (scripts/nested-probe.c).  It is a
mitigation: if it does not come up, the jobs run without it, with a warning.
"""

from hcabi_conform.launcher_log import LAUNCHER as PROG  # noqa: F401  (every module says it)
