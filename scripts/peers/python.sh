#!/usr/bin/env bash
# A virtualenv with the Python peers: sushy-tools (Redfish emulator), pyghmi
# (an independent IPMI BMC, cipher suite 17), sushy (the Redfish client used as
# a benchmark anchor), virtualbmc (an IPMI BMC in front of libvirt domains, as
# Metal3's dev environment uses). Built on Debian's /usr/bin/python3 with system
# site packages so Debian's libvirt binding is visible to sushy-tools and
# virtualbmc (pip then finds libvirt-python installed and builds nothing).
. "$(dirname "$0")/lib.sh"
out=$ANVIL_CACHE/pyenv-sushy$SUSHY_TOOLS_VERSION-pyghmi$PYGHMI_VERSION-sushy$SUSHY_VERSION-vbmc$VIRTUALBMC_VERSION
build() {
  [ -x "$out/bin/sushy-emulator" ] && [ -x "$out/bin/vbmc" ] && return 0
  log "creating python venv $out"
  rm -rf "$out"
  /usr/bin/python3 -m venv --system-site-packages "$out"
  "$out/bin/pip" install -q "sushy-tools==$SUSHY_TOOLS_VERSION" "pyghmi==$PYGHMI_VERSION" "sushy==$SUSHY_VERSION" "virtualbmc==$VIRTUALBMC_VERSION" bcrypt
}
with_lock python build
echo "$out"
