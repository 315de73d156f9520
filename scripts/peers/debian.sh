#!/usr/bin/env bash
# Installs the Debian-packaged peers: network boot clients and firmware, BMC
# tools, qemu/libvirt and the benchmark anchors. Daemons must not start on
# install (they would bind the host's interfaces), so policy-rc.d says 101.
. "$(dirname "$0")/lib.sh"
PKGS=(
  iproute2 nftables procps psmisc openssl curl ca-certificates
  busybox-static udhcpc isc-dhcp-client tftp-hpa atftp
  qemu-system-x86 qemu-utils ipxe ovmf linux-image-amd64 cpio gzip
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon-system python3-libvirt
  ipmitool openipmi
  dnsmasq-base tftpd-hpa kea-admin kea-dhcp4-server
  python3-venv mtools fdisk syslinux syslinux-common syslinux-efi
  linux-perf
)
missing() {
  local p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
install() {
  local need; need=$(missing)
  [ -z "$need" ] && return 0
  log "apt-get install:" $need
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' RETURN
  export DEBIAN_FRONTEND=noninteractive
  # An old or empty package list finds nothing: refresh it once per run.
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need >/dev/null
  # The packaged daemons are run by the tests, in the foreground, never as services.
  local svc
  for svc in tftpd-hpa libvirtd virtlogd kea-dhcp4-server openipmi; do
    pkill -x "$svc" 2>/dev/null || true
  done
  # Without this every `virsh define` takes ~50 s (TESTPEERS.md).
  if [ -f /etc/libvirt/qemu.conf ] && ! grep -q '^user = "root"' /etc/libvirt/qemu.conf; then
    printf 'user = "root"\ngroup = "root"\n' >> /etc/libvirt/qemu.conf
  fi
}
with_lock debian install
