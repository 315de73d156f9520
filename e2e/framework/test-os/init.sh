#!/bin/busybox sh
# /init of the bootable test OS image (e2e/framework/test-os-image.ts): it
# proves a provisioned disk boots and reads its config drive. It loads its
# drivers, finds the vfat partition labelled config-2, reads
# openstack/latest/user_data, and POSTs the data's sha256 to the URL on the
# user data's `#anvil-report-url: <url>` line, then powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /cd /tmp
say() { echo "anvil-test-os: $*" >/dev/console; }
say "booted from disk"
for m in $(cat /etc/modules.order); do insmod "/lib/modules/$m" 2>/dev/null; done

found=""
tries=0
while [ -z "$found" ] && [ $tries -lt 50 ]; do
  for p in /sys/class/block/*; do
    [ -e "$p/partition" ] || continue
    dev=/dev/${p##*/}
    if mount -t vfat -o ro,codepage=437,iocharset=utf8 "$dev" /cd 2>/dev/null; then
      if [ -f /cd/openstack/latest/user_data ]; then found=$dev; break; fi
      umount /cd
    fi
  done
  [ -z "$found" ] && { sleep 0.2; tries=$((tries + 1)); }
done
if [ -z "$found" ]; then
  say "no config drive"
  poweroff -f
fi
say "config drive on $found"
sum=$(sha256sum /cd/openstack/latest/user_data | cut -d' ' -f1)
# The marker may be indented: in CAPI bootstrap data it is a line of a
# write_files entry's `content: |` block (e2e/capi-vm.test.ts).
url=$(sed -n 's/^ *#anvil-report-url: *//p' /cd/openstack/latest/user_data | head -n1)
md=/cd/openstack/latest/meta_data.json
uuid=$(sed -n 's/.*"uuid": *"\([^"]*\)".*/\1/p' $md)
# What cloud-init would hand kubeadm: the Node's name and the kubelet's --provider-id.
hostname=$(sed -n 's/.*"local-hostname": *"\([^"]*\)".*/\1/p' $md)
providerid=$(sed -n 's/.*"providerid": *"\([^"]*\)".*/\1/p' $md)

for d in /sys/class/net/*; do
  n=${d##*/}
  [ -e "$d/device" ] || continue
  ip link set "$n" up
  udhcpc -i "$n" -n -q -f -t 5 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1 && break
done
if [ -n "$url" ]; then
  # Debian's busybox-static wget segfaults on -T: bound it with timeout.
  timeout 20 wget -q -O /dev/null --post-data "userdata_sha256=$sum&uuid=$uuid&device=$found&hostname=$hostname&providerid=$providerid" "$url" && say "reported" || say "report failed"
fi
umount /cd
poweroff -f
