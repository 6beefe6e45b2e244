#!/bin/sh
# setup-debian.sh: install everything HCABI needs on Debian 12 (bookworm).
#
# Run as root, non-interactively (CI runs it on a fresh machine):
#     sudo scripts/setup-debian.sh
# It is idempotent: a second run with everything in place changes nothing and
# needs no network.  It
#   1. adds bookworm-backports to apt's sources if no source names it yet
#      (scripts/hcabi-nested takes its 6.12 kernel, which has CONFIG_KVM_XEN,
#      from there);
#   2. runs apt-get update only when a source was added, a package is missing,
#      or apt has no bookworm-backports index yet;
#   3. installs the missing packages;
#   4. installs the headers of the kernel the nested launcher boots.
# The nested launcher downloads its kernel and busybox into its own cache on
# first use (scripts/hcabi-nested --help); set HCABI_SETUP_NESTED_CACHE=DIR to
# fill that cache here instead.
set -eu

BACKPORTS_LINE="deb http://deb.debian.org/debian bookworm-backports main"
BACKPORTS_FILE=/etc/apt/sources.list.d/hcabi-bookworm-backports.list

PACKAGES="
build-essential cmake pkg-config git
clang libclang-rt-14-dev clang-format
check
asciidoctor ruby-asciidoctor-pdf man-db
python3 python3-jsonschema python3-pytest
qemu-system-x86 qemu-system-arm qemu-system-misc busybox-static
cpio xz-utils zstd kmod dpkg apt
debhelper lintian
linux-source-6.12
gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross gcc-riscv64-linux-gnu g++-riscv64-linux-gnu libc6-dev-riscv64-cross
"

say() { echo "setup-debian: $*"; }
die() { echo "setup-debian: error: $*" >&2; exit 4; }
# run a noisy apt command with its output in a log; show the log's tail only on failure
quietly() {
    log=$(mktemp /tmp/setup-debian.XXXXXX)
    if "$@" >"$log" 2>&1; then
        rm -f "$log"
    else
        tail -n 25 "$log" >&2
        die "'$*' failed (full output in $log)"
    fi
}

[ "$(id -u)" -eq 0 ] || die "run me as root (sudo $0)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian 12 (bookworm)"
if [ -r /etc/os-release ]; then
    # shellcheck source=/dev/null
    . /etc/os-release
    [ "${VERSION_CODENAME:-}" = bookworm ] || say "warning: this is ${PRETTY_NAME:-an unknown system}, not Debian 12 (bookworm)"
fi

export DEBIAN_FRONTEND=noninteractive
need_update=0

# 1. bookworm-backports (one-line or deb822 format, anywhere in apt's sources)
if ! grep -rqsE '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding bookworm-backports to $BACKPORTS_FILE"
    echo "$BACKPORTS_LINE" > "$BACKPORTS_FILE"
    need_update=1
fi
if ! ls /var/lib/apt/lists/*bookworm-backports*Packages* >/dev/null 2>&1; then
    need_update=1
fi

# 2. what is missing
missing=""
for p in $PACKAGES; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] || need_update=1

if [ "$need_update" -eq 1 ]; then
    say "apt-get update"
    quietly apt-get update
fi

# 3. install
if [ -n "$missing" ]; then
    say "installing:$missing"
    # shellcheck disable=SC2086
    quietly apt-get install -y -o Dpkg::Use-Pty=0 $missing
else
    say "all packages already installed"
fi

# 4. The kernel headers guests/linux builds against: those of the kernel the
# nested launcher boots, so that the module it builds loads into that kernel.
# The launcher's own choice (hcabi_nested/debian.py: the newest generic 6.12
# of bookworm-backports, else of any suite; HCABI_NESTED_KERNEL_PACKAGE
# overrides it), not the newest headers apt knows: bookworm-security's 6.12
# kernels are newer than backports' and are never booted nested. Never a
# pinned version: bookworm-backports keeps only its newest kernel.
here=$(cd "$(dirname "$0")" && pwd)
kernel=${HCABI_NESTED_KERNEL_PACKAGE:-$(/usr/bin/python3 -c 'import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + "/../runners"]
from hcabi_conform.errors import EnvError
from hcabi_nested.debian import choose_kernel, find_kernel_candidates
try:
    print(choose_kernel(find_kernel_candidates())[0].package)
except EnvError as e:
    sys.exit("setup-debian: warning: %s" % e)' "$here" || true)}
headers=$(printf '%s\n' "$kernel" | sed -n -E 's/^linux-image-(6\.12\..*-amd64)(-unsigned)?$/linux-headers-\1/p')
if [ -z "$headers" ]; then
    say "warning: no 6.12 amd64 kernel for the nested launcher (bookworm-backports): the Linux guest tests will skip"
elif [ "$(dpkg-query -W -f='${Status}' "$headers" 2>/dev/null)" != "install ok installed" ]; then
    say "installing $headers (the nested launcher's kernel, $kernel)"
    quietly apt-get install -y -o Dpkg::Use-Pty=0 "$headers"
fi

# The interpreter the harness and the tests use must see Debian's modules.
/usr/bin/python3 -c 'import jsonschema, pytest' 2>/dev/null \
    || die "/usr/bin/python3 cannot import jsonschema and pytest"

if [ -n "${HCABI_SETUP_NESTED_CACHE:-}" ]; then
    say "filling the nested launcher's cache in $HCABI_SETUP_NESTED_CACHE"
    /usr/bin/python3 -c 'import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + "/../runners"]
from pathlib import Path
from hcabi_conform.errors import EnvError
from hcabi_nested.cache import ensure_cache
try:
    info = ensure_cache(Path(sys.argv[2]))
except EnvError as e:
    sys.exit("setup-debian: error: %s" % e)
print("setup-debian: nested kernel %s (%s %s)" % (info.release, info.manifest["kernel"]["package"], info.manifest["kernel"]["version"]))' \
        "$here" "$HCABI_SETUP_NESTED_CACHE" || exit 4
fi
say "done"
