#!/usr/bin/env bash
# Builds a small bootable raw disk image for provisioning tests: MBR with
# syslinux's boot code, one FAT partition (made with mtools inside the file,
# no loop device) holding syslinux, syslinux.efi as the UEFI removable-media
# loader \EFI\BOOT\BOOTX64.EFI (UEFI 2.x §3.5.1.1: what firmware boots from a
# disk without a boot entry; OVMF reads a FAT partition of any MBR type),
# Debian's kernel and a busybox initramfs
# whose /init (e2e/framework/test-os/init.sh) reads the config drive and
# reports over HTTP. The ramdisk's module resolver (ramdisk/lib.sh) picks the
# drivers. Cached under $ANVIL_CACHE/test-os-<hash>/disk.img; prints the dir.
. "$(dirname "$0")/peers/lib.sh"
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../ramdisk/lib.sh
. "$REPO/ramdisk/lib.sh"
bash "$PEERS_DIR/debian.sh" >/dev/null

kver=$(newest_kernel)
MODULES=(virtio_pci virtio_net e1000 virtio_blk virtio_scsi sd_mod vfat nls_cp437 nls_utf8)
hash=$( { cat "$0" "$REPO/ramdisk/lib.sh" "$REPO/e2e/framework/test-os/init.sh" "$REPO/ramdisk/udhcpc.script"
  echo "$kver $(dpkg-query -W -f='${Version}' busybox-static syslinux syslinux-efi)"; } | sha256sum | cut -c1-16)
out=$ANVIL_CACHE/test-os-$hash
SIZE_MIB=64

build() {
  [ -s "$out/disk.img" ] && return 0
  log "building test OS image $out"
  local tmp; tmp=$(mktemp -d "$ANVIL_CACHE/test-os.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local root=$tmp/root
  mkdir -p "$root"/{bin,dev,proc,sys,etc,tmp,lib/modules}
  cp /bin/busybox "$root/bin/busybox"
  copy_modules "$kver" "$root" "${MODULES[@]}"
  install -m 0755 "$REPO/e2e/framework/test-os/init.sh" "$root/init"
  install -m 0755 "$REPO/ramdisk/udhcpc.script" "$root/etc/udhcpc.script"
  (cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -9 >"$tmp/initrd.gz"
  local img=$tmp/disk.img off=$((1024 * 1024))
  truncate -s "${SIZE_MIB}M" "$img"
  printf 'label: dos\nstart=2048, type=c, bootable\n' | sfdisk --quiet "$img"
  export MTOOLS_SKIP_CHECK=1
  mformat -i "$img@@$off" -F -v TESTOS ::
  syslinux --install --offset "$off" "$img"
  # syslinux's MBR boot code: the first 440 bytes, before the partition table.
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$img" bs=440 count=1 conv=notrunc status=none
  printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd.gz console=ttyS0 quiet\n' >"$tmp/syslinux.cfg"
  mcopy -i "$img@@$off" "/boot/vmlinuz-$kver" ::vmlinuz
  mcopy -i "$img@@$off" "$tmp/initrd.gz" ::initrd.gz
  mcopy -i "$img@@$off" "$tmp/syslinux.cfg" ::syslinux.cfg
  # UEFI: syslinux.efi loads ldlinux.e64 and syslinux.cfg from its own directory; the paths there are absolute.
  sed -e 's|KERNEL vmlinuz|KERNEL /vmlinuz|' -e 's|initrd=initrd.gz|initrd=/initrd.gz|' "$tmp/syslinux.cfg" >"$tmp/syslinux-efi.cfg"
  mmd -i "$img@@$off" ::EFI ::EFI/BOOT
  mcopy -i "$img@@$off" /usr/lib/SYSLINUX.EFI/efi64/syslinux.efi ::EFI/BOOT/BOOTX64.EFI
  mcopy -i "$img@@$off" /usr/lib/syslinux/modules/efi64/ldlinux.e64 ::EFI/BOOT/ldlinux.e64
  mcopy -i "$img@@$off" "$tmp/syslinux-efi.cfg" ::EFI/BOOT/syslinux.cfg
  rm -rf "$out"; mkdir -p "$out"; mv "$img" "$out/disk.img"
}
with_lock test-os build
echo "$out"
