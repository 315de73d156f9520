#!/usr/bin/env bash
# Builds Anvil's deploy ramdisk: Debian's kernel (vmlinuz) and an initramfs
# (initramfs.gz) holding busybox-static, the agent (ramdisk/agent, a static
# Go binary) and the NIC, storage and filesystem modules real servers and qemu
# need, with their dependencies from modules.dep.
#
# Cached under $ANVIL_CACHE/ramdisk-<hash>/; the hash covers this script,
# /init, the agent's sources, the kernel, busybox and Go versions, so a changed
# input rebuilds and an unchanged one is free. Prints the directory last.
. "$(cd "$(dirname "$0")/.." && pwd)/scripts/peers/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

bash "$PEERS_DIR/debian.sh" >/dev/null

kver=$(newest_kernel)

MODULES=(
  # NICs: qemu's e1000 and virtio-net, Intel server NICs.
  e1000 e1000e igb ixgbe virtio_pci virtio_net
  # Storage: virtio, SCSI disks, SATA, NVMe.
  virtio_blk virtio_scsi sd_mod ahci nvme
  # The config drive is vfat (cloud-init and Ignition read it); Debian mounts
  # FAT with utf8 by default (CONFIG_FAT_DEFAULT_UTF8), so nls_utf8 is needed.
  vfat nls_cp437 nls_iso8859_1 nls_utf8 isofs
)

busybox_version=$(dpkg-query -W -f='${Version}' busybox-static)
kernel_pkg_version=$(dpkg-query -W -f='${Version}' "linux-image-$kver" 2>/dev/null || echo "$kver")
go_version=$(go env GOVERSION)
hash=$( {
  cat "$0" "$HERE/lib.sh" "$HERE/init.sh" "$HERE/udhcpc.script"
  (cd "$HERE/agent" && cat go.mod $(ls ./*.go | grep -v _test.go | LC_ALL=C sort))
  echo "$kver $kernel_pkg_version $busybox_version $go_version"
} | sha256sum | cut -c1-16)
out=$ANVIL_CACHE/ramdisk-$hash

build() {
  [ -s "$out/initramfs.gz" ] && [ -s "$out/vmlinuz" ] && return 0
  log "building deploy ramdisk $out (kernel $kver)"
  local tmp; tmp=$(mktemp -d "$ANVIL_CACHE/ramdisk.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local root=$tmp/root
  mkdir -p "$root"/{bin,dev,proc,sys,etc,run,tmp,lib/modules}
  cp /bin/busybox "$root/bin/busybox"
  (cd "$HERE/agent" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$root/bin/anvil-agent" .)
  copy_modules "$kver" "$root" "${MODULES[@]}"
  install -m 0755 "$HERE/init.sh" "$root/init"
  install -m 0755 "$HERE/udhcpc.script" "$root/etc/udhcpc.script"
  (cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -9 >"$tmp/initramfs.gz"
  cp "/boot/vmlinuz-$kver" "$tmp/vmlinuz"
  rm -rf "$out"
  mkdir -p "$out"
  mv "$tmp/vmlinuz" "$tmp/initramfs.gz" "$out/"
}
with_lock ramdisk build
echo "$out"
