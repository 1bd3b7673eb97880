#!/usr/bin/env bash
# Compiles every src/main/bpf/*.bpf.c into a CO-RE BPF object packaged as a classpath resource.
# Usage: build-bpf.sh <source dir> <work dir for vmlinux.h> <resource output dir>
set -euo pipefail
src_dir=$1 work_dir=$2 out_dir=$3

for tool in clang bpftool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ERROR: '$tool' not found on PATH: the bpf module compiles BPF C at build time." >&2
    echo "       Install it (Debian: apt-get install -y clang libbpf-dev bpftool) and rebuild." >&2
    exit 1
  fi
done
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
  echo "ERROR: libbpf headers missing (/usr/include/bpf): apt-get install -y libbpf-dev" >&2
  exit 1
fi
btf=/sys/kernel/btf/vmlinux
if [ ! -r "$btf" ]; then
  echo "ERROR: $btf not readable: vmlinux.h is generated from the kernel's BTF (CONFIG_DEBUG_INFO_BTF)." >&2
  exit 1
fi

mkdir -p "$work_dir" "$out_dir"
# Regenerate only when missing: the kernel's BTF does not change during a build.
if [ ! -s "$work_dir/vmlinux.h" ]; then
  bpftool btf dump file "$btf" format c > "$work_dir/vmlinux.h.tmp"
  mv "$work_dir/vmlinux.h.tmp" "$work_dir/vmlinux.h"
fi

shopt -s nullglob
for source in "$src_dir"/*.bpf.c; do
  object="$out_dir/$(basename "${source%.c}").o"
  clang -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_x86 \
    -I"$work_dir" -I"$src_dir" -c "$source" -o "$object"
  # Strip DWARF but keep BTF (needed for CO-RE and the layout test).
  if command -v llvm-strip >/dev/null 2>&1; then llvm-strip -g "$object"; fi
done
cp "$src_dir"/*.h "$out_dir"/

# The hold guard (src/main/native/hold_guard.c): a native x86-64 program, not BPF. Static, so the
# collector can run it on a node with nothing but the kernel; dynamic (libc only) when this build
# machine has no static libc (libc6-dev normally ships it).
native_dir="$src_dir/../native"
if [ -d "$native_dir" ]; then
  for source in "$native_dir"/*.c; do
    program="$out_dir/$(basename "${source%.c}")"
    clang -O2 -Wall -Werror -s -static -o "$program" "$source" 2>/dev/null ||
      clang -O2 -Wall -Werror -s -o "$program" "$source"
  done
fi
