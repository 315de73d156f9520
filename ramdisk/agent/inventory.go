package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func inspect() (*Hardware, error) {
	disks, err := listDisks()
	if err != nil {
		return nil, fail("INSPECTION_FAILED", "listing disks: %v", err)
	}
	host, _ := os.Hostname()
	dmi := "/sys/class/dmi/id/"
	return &Hardware{
		SystemVendor: SystemVendor{
			Manufacturer: readTrim(dmi + "sys_vendor"),
			ProductName:  readTrim(dmi + "product_name"),
			SerialNumber: readTrim(dmi + "product_serial"),
		},
		Firmware:     Firmware{BIOS: BIOS{Vendor: readTrim(dmi + "bios_vendor"), Version: readTrim(dmi + "bios_version"), Date: readTrim(dmi + "bios_date")}},
		RAMMebibytes: ramMebibytes(),
		NICs:         listNICs(),
		Storage:      disks,
		CPU:          cpuInfo(),
		Hostname:     host,
	}, nil
}

func cpuInfo() CPU {
	var cpu CPU
	var uts syscall.Utsname
	if syscall.Uname(&uts) == nil {
		var b []byte
		for _, c := range uts.Machine {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		cpu.Arch = string(b)
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return cpu
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			cpu.Count++
		case "model name":
			cpu.Model = v
		case "cpu MHz":
			if cpu.ClockMegahertz == 0 {
				cpu.ClockMegahertz, _ = strconv.ParseFloat(v, 64)
			}
		case "flags":
			if cpu.Flags == nil {
				cpu.Flags = strings.Fields(v)
			}
		}
	}
	return cpu
}

// ramMebibytes prefers the memory-hotplug blocks (the installed RAM) over
// MemTotal, which excludes what the kernel reserved at boot.
func ramMebibytes() int64 {
	if bs, err := strconv.ParseInt(readTrim("/sys/devices/system/memory/block_size_bytes"), 16, 64); err == nil && bs > 0 {
		blocks, _ := filepath.Glob("/sys/devices/system/memory/memory*")
		var online int64
		for _, b := range blocks {
			if readTrim(b+"/online") == "1" {
				online++
			}
		}
		if online > 0 {
			return online * bs >> 20
		}
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb >> 10
		}
	}
	return 0
}

func listNICs() []NIC {
	nics := []NIC{}
	dirs, _ := filepath.Glob("/sys/class/net/*")
	sort.Strings(dirs)
	for _, d := range dirs {
		name := filepath.Base(d)
		dev, err := filepath.EvalSymlinks(d + "/device")
		if err != nil {
			continue // virtual: lo, bridges, tunnels
		}
		nic := NIC{Name: name, MAC: readTrim(d + "/address")}
		// A virtio NIC's device is the virtio bus device; its PCI function is the parent.
		if strings.HasPrefix(filepath.Base(dev), "virtio") {
			dev = filepath.Dir(dev)
		}
		if v, p := readTrim(dev+"/vendor"), readTrim(dev+"/device"); v != "" {
			nic.Model = v + " " + p
		}
		if strings.Contains(dev, "/pci") {
			nic.PCIAddress = filepath.Base(dev)
		}
		// speed is in Mb/s, -1 or unreadable while the link is down.
		if mbps, err := strconv.ParseInt(readTrim(d+"/speed"), 10, 64); err == nil && mbps > 0 {
			nic.SpeedGbps = mbps / 1000
		}
		if ifc, err := net.InterfaceByName(name); err == nil {
			addrs, _ := ifc.Addrs()
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
					nic.IP = ipn.IP.String()
					nic.PXE = true
					break
				}
			}
		}
		nics = append(nics, nic)
	}
	return nics
}

// wwnParts splits a sysfs wwid ("naa.<hex>") the way Ironic reports it: the
// 8-byte NAA name, the whole identifier, and the vendor extension of an
// NAA type 6 (16-byte) name (SPC-4 §7.8.6.6.6).
func wwnParts(wwid string) (wwn, withExt, ext string) {
	hex, ok := strings.CutPrefix(strings.TrimSpace(wwid), "naa.")
	if !ok {
		if h, isEUI := strings.CutPrefix(strings.TrimSpace(wwid), "eui."); isEUI {
			return "0x" + strings.ToLower(h), "0x" + strings.ToLower(h), ""
		}
		return "", "", ""
	}
	hex = strings.ToLower(hex)
	if len(hex) > 16 {
		return "0x" + hex[:16], "0x" + hex, "0x" + hex[16:]
	}
	return "0x" + hex, "0x" + hex, ""
}

// vpdSerial reads the Unit Serial Number VPD page (SPC-4 §7.8.16): a 4-byte
// header whose byte 3 is the length, then the ASCII serial.
func vpdSerial(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 4 {
		return ""
	}
	n := min(int(b[3]), len(b)-4)
	return strings.TrimSpace(string(b[4 : 4+n]))
}

func listDisks() ([]Disk, error) {
	entries, err := os.ReadDir("/sys/block")
	if err != nil {
		return nil, err
	}
	disks := []Disk{}
	for _, e := range entries {
		name := e.Name()
		sys := "/sys/block/" + name
		if _, err := os.Stat(sys + "/device"); err != nil {
			continue // loop, ram, dm: no hardware behind them
		}
		if strings.HasPrefix(name, "sr") || readTrim(sys+"/removable") == "1" && strings.HasPrefix(name, "sr") {
			continue
		}
		sectors, _ := strconv.ParseInt(readTrim(sys+"/size"), 10, 64)
		d := Disk{
			Name: "/dev/" + name,
			// sysfs "size" counts 512-byte sectors whatever the logical block size.
			SizeBytes:    sectors * 512,
			Rotational:   readTrim(sys+"/queue/rotational") == "1",
			Model:        readTrim(sys + "/device/model"),
			Vendor:       readTrim(sys + "/device/vendor"),
			SerialNumber: readTrim(sys + "/serial"),
		}
		if d.SerialNumber == "" {
			d.SerialNumber = readTrim(sys + "/device/serial")
		}
		if d.SerialNumber == "" {
			d.SerialNumber = vpdSerial(sys + "/device/vpd_pg80")
		}
		wwid := readTrim(sys + "/device/wwid")
		if wwid == "" {
			wwid = readTrim(sys + "/wwid")
		}
		d.WWN, d.WWNWithExtension, d.WWNVendorExtension = wwnParts(wwid)
		if link, err := os.Readlink(sys + "/device"); err == nil && strings.HasPrefix(name, "sd") {
			d.HCTL = filepath.Base(link)
		}
		switch {
		case strings.HasPrefix(name, "nvme"):
			d.Type = "NVME"
		case d.Rotational:
			d.Type = "HDD"
		default:
			d.Type = "SSD"
		}
		disks = append(disks, d)
	}
	sort.Slice(disks, func(i, j int) bool { return disks[i].Name < disks[j].Name })
	return disks, nil
}
