#!/bin/busybox sh
# /init of Anvil's deploy ramdisk: load the NIC and storage drivers, take a
# DHCP lease on the first interface that answers, then hand over to the agent.
# The per-host token stays on the kernel command line, read by the agent only:
# nothing here prints the command line.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /run /tmp
say() { echo "anvil-ramdisk: [$(cut -d" " -f1 /proc/uptime)] $*" >/dev/console; }

# Absent hardware is normal: a module without its device loads and stays idle,
# one that fails is only logged.
for m in $(cat /etc/modules.order); do
  insmod "/lib/modules/$m" 2>/dev/null || say "insmod $m failed"
done
say "modules loaded"

leased=""
tries=0
while [ -z "$leased" ] && [ $tries -lt 5 ]; do
  for d in /sys/class/net/*; do
    n=${d##*/}
    [ -e "$d/device" ] || continue
    ip link set "$n" up
    if udhcpc -i "$n" -n -q -f -t 5 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1; then
      leased=$n
      say "lease on $n: $(ip -4 -o addr show dev "$n" | awk '{print $4}')"
      break
    fi
  done
  tries=$((tries + 1))
done
[ -n "$leased" ] || say "no DHCP lease on any interface"
say "starting the agent"
ip link set lo up

# The agent never exits on its own; if it crashes, start it again.
while true; do
  /bin/anvil-agent
  say "agent exited ($?), restarting"
  sleep 2
done
