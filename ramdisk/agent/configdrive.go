package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// configDriveBytes is Ironic's size for a config drive partition at the end of the root device.
const configDriveBytes = 64 << 20

// The FAT32 LBA partition type (MBR) and the Microsoft basic data type GUID
// EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 in its on-disk mixed-endian form (UEFI 2.10 Appendix A).
const mbrTypeFAT32LBA = 0x0c

var gptBasicData = []byte{0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44, 0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7}

func cdFail(format string, args ...any) *AgentError {
	return fail("CONFIG_DRIVE_FAILED", format, args...)
}

// writeConfigDrive adds a `config-2` vfat partition in the last 64 MiB of the
// root device, after the image, and fills it with OpenStack config-drive
// files (openstack/latest/...), where cloud-init and Ignition look.
func writeConfigDrive(root Disk, imageBytes int64, cd *ConfigDrive) error {
	ss := int64(512)
	if v, err := strconv.ParseInt(readTrim("/sys/block/"+filepath.Base(root.Name)+"/queue/logical_block_size"), 10, 64); err == nil && v > 0 {
		ss = v
	}
	total := root.SizeBytes / ss
	align := (1 << 20) / ss
	start := (total - configDriveBytes/ss - 64) / align * align
	if start*ss < imageBytes {
		return cdFail("no room for a %d MiB config drive after the %d-byte image on %s", configDriveBytes>>20, imageBytes, root.Name)
	}
	f, err := os.OpenFile(root.Name, os.O_RDWR, 0)
	if err != nil {
		return cdFail("open %s: %v", root.Name, err)
	}
	mbr := make([]byte, ss)
	if _, err := f.ReadAt(mbr, 0); err != nil {
		f.Close()
		return cdFail("read sector 0: %v", err)
	}
	// MBR boot signature 55 AA at offset 510; a partition of type EE marks a protective MBR (UEFI 2.10 §5.2.3).
	if mbr[510] != 0x55 || mbr[511] != 0xaa {
		f.Close()
		return cdFail("the image has no partition table: a config drive partition cannot be added")
	}
	var num int
	if mbr[446+4] == 0xee {
		num, err = addGPTPartition(f, ss, total, start, total-34)
	} else {
		num, err = addMBRPartition(f, mbr, ss, start, total-start)
	}
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err != nil {
		return err
	}
	part, err := partitionDevice(root.Name, num)
	if err != nil {
		return err
	}
	if out, err := exec.Command("mkdosfs", "-n", "config-2", part).CombinedOutput(); err != nil {
		return cdFail("mkdosfs %s: %v: %s", part, err, strings.TrimSpace(string(out)))
	}
	return fillConfigDrive(part, cd)
}

func addMBRPartition(f *os.File, mbr []byte, ss, start, sectors int64) (int, error) {
	for i := 0; i < 4; i++ {
		e := mbr[446+16*i : 446+16*(i+1)]
		if e[4] != 0 {
			continue
		}
		if start > 0xffffffff || sectors > 0xffffffff {
			return 0, cdFail("the disk is too large for an MBR partition at sector %d", start)
		}
		// CHS fields FE FF FF: "use the LBA fields" for partitions past 8 GiB.
		copy(e, []byte{0x00, 0xfe, 0xff, 0xff, mbrTypeFAT32LBA, 0xfe, 0xff, 0xff})
		binary.LittleEndian.PutUint32(e[8:], uint32(start))
		binary.LittleEndian.PutUint32(e[12:], uint32(sectors))
		if _, err := f.WriteAt(mbr, 0); err != nil {
			return 0, cdFail("write MBR: %v", err)
		}
		return i + 1, nil
	}
	return 0, cdFail("the image's MBR has no free primary partition slot")
}

// addGPTPartition appends an entry and rewrites both GPT headers, moving the
// backup to the true end of the disk: the image was made for a smaller one
// (UEFI 2.10 §5.3.2: the backup header is in the last LBA).
func addGPTPartition(f *os.File, ss, total, start, end int64) (int, error) {
	hdr := make([]byte, ss)
	if _, err := f.ReadAt(hdr, ss); err != nil || string(hdr[:8]) != "EFI PART" {
		return 0, cdFail("no GPT header at LBA 1")
	}
	le := binary.LittleEndian
	hsize := le.Uint32(hdr[12:])
	entriesLBA := int64(le.Uint64(hdr[72:]))
	count := int64(le.Uint32(hdr[80:]))
	esize := int64(le.Uint32(hdr[84:]))
	if hsize < 92 || hsize > uint32(ss) || esize < 128 || count*esize > 1<<20 {
		return 0, cdFail("GPT header is malformed")
	}
	entries := make([]byte, count*esize)
	if _, err := f.ReadAt(entries, entriesLBA*ss); err != nil {
		return 0, cdFail("read GPT entries: %v", err)
	}
	slot := -1
	for i := int64(0); i < count; i++ {
		e := entries[i*esize : (i+1)*esize]
		if bytes.Equal(e[:16], make([]byte, 16)) {
			if slot < 0 {
				slot = int(i)
			}
			continue
		}
		if int64(le.Uint64(e[40:])) >= start {
			return 0, cdFail("partition %d ends past the config drive's start", i+1)
		}
	}
	if slot < 0 {
		return 0, cdFail("the GPT has no free entry")
	}
	entrySectors := (count*esize + ss - 1) / ss
	backupEntries := total - 1 - entrySectors
	if end >= backupEntries {
		end = backupEntries - 1
	}
	e := entries[int64(slot)*esize : int64(slot+1)*esize]
	copy(e[0:16], gptBasicData)
	if _, err := rand.Read(e[16:32]); err != nil {
		return 0, cdFail("partition GUID: %v", err)
	}
	e[16+7] = e[16+7]&0x0f | 0x40 // RFC 9562 §5.4: version 4
	e[16+8] = e[16+8]&0x3f | 0x80
	le.PutUint64(e[32:], uint64(start))
	le.PutUint64(e[40:], uint64(end))
	for i, u := range utf16.Encode([]rune("config-2")) {
		le.PutUint16(e[56+2*i:], u)
	}
	entriesCRC := crc32.ChecksumIEEE(entries)
	write := func(my, alt, entLBA int64) error {
		h := append([]byte(nil), hdr...)
		le.PutUint64(h[24:], uint64(my))
		le.PutUint64(h[32:], uint64(alt))
		le.PutUint64(h[48:], uint64(backupEntries-1))
		le.PutUint64(h[72:], uint64(entLBA))
		le.PutUint32(h[88:], entriesCRC)
		le.PutUint32(h[16:], 0)
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:hsize]))
		if _, err := f.WriteAt(entries, entLBA*ss); err != nil {
			return err
		}
		_, err := f.WriteAt(h, my*ss)
		return err
	}
	if err := write(total-1, 1, backupEntries); err != nil {
		return 0, cdFail("write backup GPT: %v", err)
	}
	if err := write(1, total-1, entriesLBA); err != nil {
		return 0, cdFail("write primary GPT: %v", err)
	}
	// The protective MBR spans the whole disk, capped at 32 bits (UEFI 2.10 §5.2.3).
	pm := make([]byte, 4)
	le.PutUint32(pm, uint32(min(total-1, 0xffffffff)))
	if _, err := f.WriteAt(pm, 446+12); err != nil {
		return 0, cdFail("write protective MBR: %v", err)
	}
	return slot + 1, nil
}

// partitionDevice re-reads the table and waits for the kernel's node of partition num.
func partitionDevice(dev string, num int) (string, error) {
	name := filepath.Base(dev)
	sep := ""
	if c := name[len(name)-1]; c >= '0' && c <= '9' {
		sep = "p" // nvme0n1p1, mmcblk0p1
	}
	part := "/dev/" + name + sep + strconv.Itoa(num)
	for i := 0; i < 50; i++ {
		rereadPartitions(dev)
		if _, err := os.Stat("/sys/block/" + name + "/" + name + sep + strconv.Itoa(num)); err == nil {
			if _, err := os.Stat(part); err == nil {
				return part, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", cdFail("partition %s did not appear", part)
}

func fillConfigDrive(part string, cd *ConfigDrive) error {
	mnt := "/run/anvil-config-drive"
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		return cdFail("mkdir: %v", err)
	}
	// Debian's kernel defaults to iocharset=ascii (CONFIG_FAT_DEFAULT_IOCHARSET), a
	// module the ramdisk does not carry: name the two it does.
	if out, err := exec.Command("mount", "-t", "vfat", "-o", "codepage=437,iocharset=utf8", part, mnt).CombinedOutput(); err != nil {
		return cdFail("mount %s: %v: %s", part, err, strings.TrimSpace(string(out)))
	}
	werr := writeConfigFiles(filepath.Join(mnt, "openstack", "latest"), cd)
	_ = exec.Command("sync").Run()
	if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil && werr == nil {
		werr = cdFail("umount: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return werr
}

func writeConfigFiles(dir string, cd *ConfigDrive) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return cdFail("mkdir %s: %v", dir, err)
	}
	files := map[string][]byte{}
	meta := cd.MetaData
	if meta == nil {
		meta = map[string]any{}
	}
	files["meta_data.json"], _ = json.Marshal(meta)
	if cd.NetworkData != nil {
		files["network_data.json"], _ = json.Marshal(cd.NetworkData)
	}
	if cd.UserData != nil {
		files["user_data"] = []byte(*cd.UserData)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			// The message names the file only: its contents may be secret.
			return cdFail("write %s: %v", name, err)
		}
	}
	return nil
}
