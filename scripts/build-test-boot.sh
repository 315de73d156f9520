#!/usr/bin/env bash
# Builds the *test* boot payload for network-boot proofs: Debian's kernel plus
# a busybox initramfs whose /init brings up the NIC, takes a DHCP lease with
# udhcpc, reports to the URL in `anvil.report=` on the kernel command line and
# powers off. (The real deploy ramdisk lives in ramdisk/; this one only proves
# that a VM got from firmware to a running Linux userland over the network.)
#
# Cached under $ANVIL_CACHE/test-boot-<hash>/ (vmlinuz, initramfs.gz); the
# hash covers this script, the kernel and busybox package versions, so a
# changed input rebuilds. Prints the directory as its last line.
. "$(dirname "$0")/peers/lib.sh"

bash "$PEERS_DIR/debian.sh" >/dev/null

# newest_kernel and copy_modules: shared with the deploy ramdisk's build.
. "$(dirname "$0")/../ramdisk/lib.sh"
kver=$(newest_kernel)

busybox_version=$(dpkg-query -W -f='${Version}' busybox-static)
kernel_pkg_version=$(dpkg-query -W -f='${Version}' "linux-image-$kver" 2>/dev/null || echo "$kver")
hash=$( { cat "$0" "$(dirname "$0")/../ramdisk/lib.sh"; echo "$kver $kernel_pkg_version $busybox_version"; } | sha256sum | cut -c1-16)
out=$ANVIL_CACHE/test-boot-$hash

# Debian builds the NIC drivers qemu offers as modules (CONFIG_E1000=m,
# CONFIG_VIRTIO_NET=m), so the initramfs carries them with their dependencies.
NIC_MODULES=(e1000 virtio_pci virtio_net)

write_init() {
  cat >"$1" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
say() { echo "anvil-test-boot: $*" >/dev/console; }

arg() {
  for word in $(cat /proc/cmdline); do
    case "$word" in "$1"=*) echo "${word#*=}"; return 0 ;; esac
  done
  return 1
}

for m in $(cat /etc/modules.order); do
  insmod "/lib/modules/$m" 2>/dev/null || say "insmod $m failed"
done

iface=""
tries=0
while [ -z "$iface" ] && [ $tries -lt 100 ]; do
  for d in /sys/class/net/*; do
    n=${d##*/}
    [ "$n" != lo ] && [ -e "$d/address" ] && { iface=$n; break; }
  done
  [ -z "$iface" ] && { sleep 0.1; tries=$((tries + 1)); }
done

result=fail
if [ -n "$iface" ]; then
  mac=$(cat "/sys/class/net/$iface/address")
  ip link set lo up
  ip link set "$iface" up
  say "nic $iface $mac up"
  if udhcpc -i "$iface" -n -q -f -t 10 -T 1 -s /etc/udhcpc.script >/dev/console 2>&1; then
    addr=$(ip -4 -o addr show dev "$iface" | awk '{print $4}')
    say "lease $addr"
    result=ok
  else
    say "no lease on $iface"
  fi
else
  say "no network interface appeared"
fi

if url=$(arg anvil.report); then
  # The per-host token is a secret: only a digest of it travels, enough for a
  # test to check that this host's own arguments reached the kernel.
  tokensum=""
  token=$(arg anvil.token) && tokensum=$(printf %s "$token" | sha256sum | cut -c1-16)
  body="result=$result&mac=$mac&addr=$addr&iface=$iface&kernel=$(uname -r)&uptime=$(cut -d' ' -f1 /proc/uptime)&bootif=$(arg BOOTIF)&tokensum=$tokensum"
  # Debian's busybox-static 1.35 wget segfaults on -T: bound it with timeout.
  if timeout 15 wget -q -O /dev/null --post-data "$body" "$url"; then
    say "reported $result"
  else
    say "report failed"
  fi
fi

[ "$(arg anvil.poweroff)" = "no" ] && exec sh
say "powering off"
poweroff -f
INIT
  chmod +x "$1"
}

write_udhcpc_script() {
  # udhcpc calls this with $1 = deconfig|bound|renew and the lease in env
  # (busybox networking/udhcp/dhcpc.c: ip, subnet, router).
  cat >"$1" <<'SCRIPT'
#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface" ;;
  bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}"
    for r in $router; do ip route add default via "$r" dev "$interface" 2>/dev/null; break; done
    ;;
esac
exit 0
SCRIPT
  chmod +x "$1"
}

build() {
  [ -s "$out/initramfs.gz" ] && [ -s "$out/vmlinuz" ] && return 0
  log "building test boot payload $out (kernel $kver)"
  local tmp; tmp=$(mktemp -d "$ANVIL_CACHE/test-boot.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local root=$tmp/root
  mkdir -p "$root"/{bin,dev,proc,sys,etc,lib/modules,tmp}
  cp /bin/busybox "$root/bin/busybox"
  copy_modules "$kver" "$root" "${NIC_MODULES[@]}"
  write_init "$root/init"
  write_udhcpc_script "$root/etc/udhcpc.script"
  (cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -9 >"$tmp/initramfs.gz"
  cp "/boot/vmlinuz-$kver" "$tmp/vmlinuz"
  rm -rf "$out"
  mkdir -p "$out"
  mv "$tmp/vmlinuz" "$tmp/initramfs.gz" "$out/"
}
with_lock test-boot build
echo "$out"
