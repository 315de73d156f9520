package main

import "testing"

func TestChooseRoot(t *testing.T) {
	gib := int64(1 << 30)
	yes, no := true, false
	disks := []Disk{
		{Name: "/dev/sda", SizeBytes: 8 * gib, Rotational: true, Model: "QEMU HARDDISK", Vendor: "QEMU", SerialNumber: "S-A", WWN: "0x5000c50015ea71ac", WWNWithExtension: "0x5000c50015ea71ac", HCTL: "0:0:0:0"},
		{Name: "/dev/sdb", SizeBytes: 2 * gib, Rotational: true, Model: "QEMU HARDDISK", Vendor: "QEMU", SerialNumber: "S-B", HCTL: "0:0:1:0"},
		{Name: "/dev/vda", SizeBytes: 5 * gib, Rotational: false, SerialNumber: "S-V"},
		{Name: "/dev/nvme0n1", SizeBytes: 16 * gib, SerialNumber: "S-N", WWN: "0x6001405f2bd1f3a2", WWNWithExtension: "0x6001405f2bd1f3a2a4b7c8d9e0f11223", WWNVendorExtension: "0xa4b7c8d9e0f11223"},
	}
	cases := []struct {
		name  string
		hints *Hints
		want  string
		code  string
	}{
		{"no hints take the smallest disk of at least 4 GiB", nil, "/dev/vda", ""},
		{"empty hints behave as none", &Hints{}, "/dev/vda", ""},
		{"a device name without /dev/ matches", &Hints{DeviceName: "sdb"}, "/dev/sdb", ""},
		{"a WWN matches case-insensitively", &Hints{WWN: "0x5000C50015EA71AC"}, "/dev/sda", ""},
		{"a vendor extension picks the NVMe disk", &Hints{WWNVendorExtension: "0xa4b7c8d9e0f11223"}, "/dev/nvme0n1", ""},
		{"model is a substring match", &Hints{Model: "harddisk"}, "/dev/sdb", ""},
		{"all hints must match", &Hints{Model: "HARDDISK", MinSizeGigabytes: 4}, "/dev/sda", ""},
		{"rotational false picks the solid-state disks", &Hints{Rotational: &no}, "/dev/vda", ""},
		{"rotational true with hctl", &Hints{Rotational: &yes, HCTL: "0:0:1:0"}, "/dev/sdb", ""},
		{"a serial that no disk has fails", &Hints{SerialNumber: "nope"}, "", "NO_ROOT_DEVICE"},
		{"contradicting hints fail", &Hints{SerialNumber: "S-A", HCTL: "0:0:1:0"}, "", "NO_ROOT_DEVICE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := chooseRoot(disks, c.hints)
			if c.code != "" {
				ae, ok := err.(*AgentError)
				if !ok || ae.Code != c.code {
					t.Fatalf("want error %s, got %v (%s)", c.code, err, got.Name)
				}
				return
			}
			if err != nil || got.Name != c.want {
				t.Fatalf("want %s, got %s (%v)", c.want, got.Name, err)
			}
		})
	}
}

func TestWWNParts(t *testing.T) {
	cases := []struct{ wwid, wwn, withExt, ext string }{
		{"naa.5000c50015ea71ac", "0x5000c50015ea71ac", "0x5000c50015ea71ac", ""},
		{"naa.6001405F2BD1F3A2A4B7C8D9E0F11223", "0x6001405f2bd1f3a2", "0x6001405f2bd1f3a2a4b7c8d9e0f11223", "0xa4b7c8d9e0f11223"},
		{"eui.0025388b91b2c4d1", "0x0025388b91b2c4d1", "0x0025388b91b2c4d1", ""},
		{"t10.ATA     QEMU HARDDISK", "", "", ""},
		{"", "", "", ""},
	}
	for _, c := range cases {
		w, we, e := wwnParts(c.wwid)
		if w != c.wwn || we != c.withExt || e != c.ext {
			t.Errorf("wwnParts(%q) = %q %q %q", c.wwid, w, we, e)
		}
	}
}

func TestCmdlineArg(t *testing.T) {
	line := "console=ttyS0 quiet anvil.api=http://10.0.0.1:8080/agent/v1 anvil.token=abc=def initrd=x"
	if got := cmdlineArg(line, "anvil.token"); got != "abc=def" {
		t.Errorf("token: %q", got)
	}
	if got := cmdlineArg(line, "anvil.api"); got != "http://10.0.0.1:8080/agent/v1" {
		t.Errorf("api: %q", got)
	}
	if got := cmdlineArg(line, "anvil"); got != "" {
		t.Errorf("prefix must not match: %q", got)
	}
}
