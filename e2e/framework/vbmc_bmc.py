"""virtualbmc's VirtualBMC (the IPMI BMC Metal3's dev environment puts in
front of libvirt domains) for one domain, in the foreground, without the
vbmcd daemon and its ZeroMQ control socket: a test supervises this process
and kills it like any other peer.

Usage: vbmc_bmc.py <config.json>; the file holds {"username", "password",
"port", "domain", "libvirt_uri"}, so the password never appears on a command
line.
"""
import json
import sys

from virtualbmc.vbmc import VirtualBMC


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    bmc = VirtualBMC(username=cfg["username"], password=cfg["password"], port=cfg["port"],
                     address="127.0.0.1", domain_name=cfg["domain"], libvirt_uri=cfg["libvirt_uri"])
    print("listening on 127.0.0.1:%d for %s" % (cfg["port"], cfg["domain"]), flush=True)
    bmc.listen()


if __name__ == "__main__":
    main()
