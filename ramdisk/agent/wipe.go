package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// edge is how much is zeroed at each end: it covers the MBR and the primary
// GPT (LBA 0–33, UEFI 2.10 §5.3), the backup GPT in the last 33 LBAs, and the
// signatures of filesystems and RAID (ext4 at 1 KiB, btrfs at 64 KiB, md 1.2
// at 4 KiB, md 0.90/1.0 and ZFS labels near the end).
const edge = 1 << 20

func zeroRange(f *os.File, off, n int64) error {
	if off < 0 {
		n += off
		off = 0
	}
	if n <= 0 {
		return nil
	}
	_, err := f.WriteAt(make([]byte, n), off)
	return err
}

// scrub removes partition tables and signatures from one disk, partitions first.
func scrub(dev string, size int64) error {
	// Learn the table on the disk now (a just-written image's), not the one the kernel read at boot.
	rereadPartitions(dev)
	f, err := os.OpenFile(dev, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	name := filepath.Base(dev)
	parts, _ := filepath.Glob("/sys/block/" + name + "/" + name + "*")
	for _, p := range parts {
		start, err1 := strconv.ParseInt(readTrim(p+"/start"), 10, 64)
		sectors, err2 := strconv.ParseInt(readTrim(p+"/size"), 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		// sysfs start/size are 512-byte units.
		if err := zeroRange(f, start*512, min(edge, sectors*512)); err != nil {
			return err
		}
		if err := zeroRange(f, (start+sectors)*512-min(edge, sectors*512), min(edge, sectors*512)); err != nil {
			return err
		}
	}
	if err := zeroRange(f, 0, min(edge, size)); err != nil {
		return err
	}
	if err := zeroRange(f, size-edge, edge); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	rereadPartitions(dev)
	return nil
}

// rereadPartitions asks the kernel to drop its view of the old partitions (BLKRRPART).
func rereadPartitions(dev string) {
	_ = exec.Command("blockdev", "--rereadpt", dev).Run()
}

func wipe(c *client, ins *Instructions) ([]string, error) {
	if ins.CleaningMode == "disabled" {
		return []string{}, nil
	}
	if ins.CleaningMode != "" && ins.CleaningMode != "metadata" {
		return nil, fail("BAD_INSTRUCTIONS", "cleaningMode %q is not metadata or disabled", ins.CleaningMode)
	}
	disks, err := listDisks()
	if err != nil {
		return nil, fail("INSPECTION_FAILED", "listing disks: %v", err)
	}
	wiped := []string{}
	for i, d := range disks {
		_ = c.post("/progress", Progress{Action: "wipe", Phase: "wiping", Device: d.Name, BytesWritten: int64(i), BytesTotal: ptr(int64(len(disks)))})
		if err := scrub(d.Name, d.SizeBytes); err != nil {
			return wiped, fail("WIPE_FAILED", "%s: %v", d.Name, err)
		}
		wiped = append(wiped, d.Name)
	}
	return wiped, nil
}

func ptr[T any](v T) *T { return &v }
