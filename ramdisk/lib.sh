# Shared by ramdisk/build.sh and scripts/build-test-os-image.sh. Source it.

# newest_kernel: the newest Debian kernel whose modules are installed.
newest_kernel() {
  local k v kver=""
  for k in /boot/vmlinuz-*; do
    v=${k#/boot/vmlinuz-}
    [ -d "/lib/modules/$v/kernel" ] && kver=$v
  done
  [ -n "$kver" ] || { echo "no /boot/vmlinuz-* with /lib/modules: install linux-image-amd64" >&2; return 1; }
  echo "$kver"
}

# copy_modules KVER ROOT MODULE...: copies each module and its dependencies
# (modules.dep, via modprobe --show-depends) into ROOT/lib/modules and lists
# them in load order in ROOT/etc/modules.order.
copy_modules() {
  local kver=$1 root=$2; shift 2
  mkdir -p "$root/lib/modules" "$root/etc"
  : >"$root/etc/modules.order"
  local m line ko
  for m in "$@"; do
    while read -r line; do
      ko=${line#insmod }
      ko=${ko%% *}
      [ -f "$ko" ] || continue
      case "$ko" in
        *.ko) cp "$ko" "$root/lib/modules/" ;;
        # busybox insmod loads plain ELF only: decompress here.
        *.ko.xz) xz -dc "$ko" >"$root/lib/modules/$(basename "${ko%.xz}")"; ko=${ko%.xz} ;;
        *.ko.zst) zstd -qdc "$ko" >"$root/lib/modules/$(basename "${ko%.zst}")"; ko=${ko%.zst} ;;
        *) echo "unknown module format $ko" >&2; return 1 ;;
      esac
      grep -qx "${ko##*/}" "$root/etc/modules.order" || echo "${ko##*/}" >>"$root/etc/modules.order"
    done < <(modprobe -S "$kver" --show-depends "$m")
  done
}
