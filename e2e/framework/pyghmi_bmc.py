"""A second, independent IPMI v2.0 BMC for Anvil's tests: pyghmi's Bmc class
keeping power and boot flags in files of a state directory.

pyghmi 1.6.19's server side speaks only cipher suite 3: its ServerSession
answers every Open Session Request with RAKP-HMAC-SHA1 / HMAC-SHA1-96 and
hard-codes SHA-1 in RAKP 2-4. The session layer it shares with pyghmi's client
already carries the hash as a parameter (currhashlib / currhashlen), so the
subclass below only lets the console's proposal pick suite 3 or suite 17
(RAKP-HMAC-SHA256 / HMAC-SHA256-128 / AES-CBC-128, IPMI v2.0 Table 22-20) and
uses that hash in RAKP 2-4. The test suite proves that extension against
ipmitool -C 17 before trusting it with Anvil.

Usage: pyghmi_bmc.py <port> <statedir> <credentials.json>; the credentials
file holds {"username": ..., "password": ...}, so they never appear on a
command line.
"""
import hashlib
import hmac
import json
import os
import struct
import sys

import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.private.constants as constants
import pyghmi.ipmi.private.serversession as serversession

# (authentication, integrity, confidentiality) -> (hash, truncated HMAC length), IPMI v2.0 Table 22-20.
SUITES = {
    (1, 1, 1): (hashlib.sha1, 12),
    (3, 4, 1): (hashlib.sha256, 16),
}
NO_CIPHER_SUITE_MATCH = 0x11  # RMCP+ status code, IPMI v2.0 Table 13-15


class SuiteSession(serversession.ServerSession):
    def create_open_session_response(self, request):
        clienttag = request[0]
        self.clientsessionid = request[4:8]
        proposal = (request[12] & 0x3F, request[20] & 0x3F, request[28] & 0x3F)
        suite = SUITES.get(proposal)
        if suite is None:
            return bytearray([clienttag, NO_CIPHER_SUITE_MATCH, 0, 0]) + self.clientsessionid
        self.currhashlib, self.currhashlen = suite
        self.bmc.log_call("open session suite %d" % (17 if proposal == (3, 4, 1) else 3))
        self.managedsessionid = os.urandom(4)
        self.privlevel = 4
        auth, integrity, conf = proposal
        return (bytearray([clienttag, 0, self.privlevel, 0]) + self.clientsessionid + self.managedsessionid
                + bytearray([0, 0, 0, 8, auth, 0, 0, 0, 1, 0, 0, 8, integrity, 0, 0, 0, 2, 0, 0, 8, conf, 0, 0, 0]))

    def _got_rakp1(self, data):
        clienttag = data[0]
        self.Rm = data[8:24]
        self.rolem = data[24]
        self.maxpriv = self.rolem & 0b111
        self.username = bytes(data[28:28 + data[27]])
        password = self.authdata.get(self.username.decode("utf-8"))
        if password is None:
            # RAKP 2 status "unauthorized name" (IPMI v2.0 Table 13-15).
            self.send_payload(bytearray([clienttag, 0x0D, 0, 0]) + self.clientsessionid,
                              constants.payload_types["rakp2"], retry=False)
            return
        self.uuiddata = self.uuid.bytes
        self.Rc = os.urandom(16)
        self.kuid = password.encode("utf-8")
        if self.kg is None:
            self.kg = self.kuid
        hmacdata = (self.clientsessionid + self.managedsessionid + self.Rm + self.Rc + self.uuiddata
                    + bytearray([self.rolem, len(self.username)]) + self.username)
        authcode = hmac.new(self.kuid, bytes(hmacdata), self.currhashlib).digest()
        self.send_payload(bytearray([clienttag, 0, 0, 0]) + self.clientsessionid + self.Rc + self.uuiddata + authcode,
                          constants.payload_types["rakp2"], retry=False)

    def _got_rakp3(self, data):
        h = self.currhashlib
        self.sik = hmac.new(self.kg, bytes(self.Rm + self.Rc) + struct.pack("2B", self.rolem, len(self.username))
                            + self.username, h).digest()
        self.k1 = hmac.new(self.sik, b"\x01" * 20, h).digest()
        self.k2 = hmac.new(self.sik, b"\x02" * 20, h).digest()
        self.aeskey = self.k2[0:16]
        expected = hmac.new(self.kuid, bytes(self.Rc + self.clientsessionid)
                            + struct.pack("2B", self.rolem, len(self.username)) + self.username, h).digest()
        if not hmac.compare_digest(expected, bytes(data[8:])) or data[1] != 0:
            # RAKP 4 status "invalid integrity check value" (IPMI v2.0 Table 13-15).
            self.send_payload(bytearray([data[0], 0x0F, 0, 0]) + self.clientsessionid,
                              constants.payload_types["rakp4"], retry=False)
            return
        self.localsid = struct.unpack("<I", self.managedsessionid)[0]
        self.ipmicallback = self.handle_client_request
        self._send_rakp4(data[0], 0)

    def _send_rakp4(self, tagvalue, statuscode):
        icv = hmac.new(self.sik, bytes(self.Rm + self.managedsessionid + self.uuiddata),
                       self.currhashlib).digest()[:self.currhashlen]
        self.send_payload(bytearray([tagvalue, statuscode, 0, 0]) + self.clientsessionid + icv,
                          constants.payload_types["rakp4"], retry=False)
        self.confalgo = "aes"
        self.integrityalgo = "hmac"
        self.sequencenumber = 1
        self.sessionid = struct.unpack("<I", struct.pack("4B", *self.clientsessionid))[0]


serversession.ServerSession = SuiteSession


class FileBmc(bmc.Bmc):
    """Power in <statedir>/power (0/1), boot flags data 1-5 in <statedir>/bootflags (hex),
    every request logged to <statedir>/calls.log."""

    def __init__(self, authdata, port, statedir):
        super().__init__(authdata, port=port, address="127.0.0.1")
        self.statedir = statedir

    def _path(self, name):
        return os.path.join(self.statedir, name)

    def _read(self, name, default):
        try:
            with open(self._path(name)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return default

    def _write(self, name, value):
        with open(self._path(name), "w") as f:
            f.write(value + "\n")

    def log_call(self, line):
        self._log(line)

    def _log(self, line):
        with open(self._path("calls.log"), "a") as f:
            f.write(line + "\n")

    def get_power_state(self):
        return "on" if self._read("power", "0") == "1" else "off"

    def power_on(self):
        self._log("power on")
        self._write("power", "1")

    def power_off(self):
        self._log("power off")
        self._write("power", "0")

    def power_shutdown(self):
        # A knob file makes this BMC one without soft-off: pyghmi answers 0xCC.
        if os.path.exists(self._path("no-soft-off")):
            self._log("power shutdown refused")
            raise NotImplementedError
        self._log("power shutdown")
        self._write("power", "0")

    def power_cycle(self):
        self._log("power cycle")
        self._write("power", "1")

    def power_reset(self):
        self._log("power reset")

    def set_system_boot_options(self, request, session):
        data = request["data"]
        self._log("set boot option %d %s" % (data[0] & 0x7F, bytes(data[1:]).hex()))
        if data[0] & 0x7F == 5:
            if len(data) < 6:
                return session.send_ipmi_response(code=0xC7)
            self._write("bootflags", bytes(data[1:6]).hex())
        session.send_ipmi_response()

    def get_system_boot_options(self, request, session):
        if request["data"][0] & 0x7F != 5:
            return session.send_ipmi_response(code=0x80)
        flags = bytes.fromhex(self._read("bootflags", "0000000000"))
        session.send_ipmi_response(data=[1, 5] + list(flags))


def main():
    port, statedir = int(sys.argv[1]), sys.argv[2]
    with open(sys.argv[3]) as f:
        creds = json.load(f)
    server = FileBmc({creds["username"]: creds["password"]}, port, statedir)
    print("listening on 127.0.0.1:%d" % port, flush=True)
    server.listen()


if __name__ == "__main__":
    main()
