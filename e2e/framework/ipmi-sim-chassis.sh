#!/bin/sh
# The chassis_control program of OpenIPMI's ipmi_sim (lan.conf `chassis_control`):
# called as `<this> <statedir> get power boot` or `<this> <statedir> set power 1 ...`.
# Keeps the "hardware" in files so a test reads the machine's state apart from
# any IPMI client. Knobs a test may create in <statedir>:
#   boot-locked  – boot device writes are ignored (a BMC that does not take them)
#   ignore-acpi  – a soft shutdown request does not power the machine off
d=$1; shift
op=$1; shift
echo "$op $*" >> "$d/calls.log"
if [ "$op" = get ]; then
  for k in "$@"; do
    case $k in
      power) echo "power:$(cat "$d/power" 2>/dev/null || echo 0)" ;;
      boot) echo "boot:$(cat "$d/boot" 2>/dev/null || echo default)" ;;
    esac
  done
  exit 0
fi
while [ $# -ge 2 ]; do
  case $1 in
    power) echo "$2" > "$d/power" ;;
    boot) [ -e "$d/boot-locked" ] || echo "$2" > "$d/boot" ;;
    reset) echo reset >> "$d/resets" ;;
    shutdown) [ -e "$d/ignore-acpi" ] || echo 0 > "$d/power" ;;
  esac
  shift 2
done
