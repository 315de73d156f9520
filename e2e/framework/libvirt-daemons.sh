#!/bin/sh
# PID 1 of a private pid + mount namespace (`unshare --mount --pid --fork
# --mount-proc`, inside the test's network namespace) running virtlogd and
# libvirtd for one test, never the machine's own libvirt:
#  - /etc/libvirt, /run, /var/lib/libvirt, /var/log/libvirt and
#    /var/cache/libvirt are bind mounts of directories under <root>, so every
#    config, socket, pid file and domain definition stays there;
#  - libvirt double-forks qemu, which is then re-parented to PID 1 of its pid
#    namespace. The machine's PID 1 reaps no orphans (TESTPEERS.md): here this
#    shell is that PID 1 and its `wait` reaps them, and when it exits the
#    kernel kills everything left in the namespace, qemu included.
# Usage: libvirt-daemons.sh <root>
set -eu
root=$1
mount --bind "$root/etc" /etc/libvirt
mount --bind "$root/run" /run
mkdir -p /run/libvirt
mount --bind "$root/lib" /var/lib/libvirt
mount --bind "$root/log" /var/log/libvirt
mount --bind "$root/cache" /var/cache/libvirt
set +e
virtlogd &
logd=$!
libvirtd &
daemon=$!
# A trapped signal interrupts `wait`; the namespace ends with this shell.
trap 'kill -TERM "$daemon" "$logd" 2>/dev/null' TERM INT
wait "$daemon"
# After a trapped signal the first `wait` returns at once: wait for the exit itself.
wait "$daemon"
kill -TERM "$logd" 2>/dev/null
wait "$logd"
