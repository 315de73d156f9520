package main

import (
	"sort"
	"strings"
)

// minDefaultRoot is the floor Ironic applies when no hint is given
// (ironic-lib guess_root_disk: the smallest device of at least 4 GiB).
const minDefaultRoot = 4 << 30

func eqFold(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }

// matches applies every given hint; all must hold (Metal3 RootDeviceHints).
func (h *Hints) matches(d Disk) bool {
	switch {
	case h.DeviceName != "" && h.DeviceName != d.Name && "/dev/"+h.DeviceName != d.Name:
		return false
	case h.HCTL != "" && h.HCTL != d.HCTL:
		return false
	// Metal3 documents model and vendor as substring matches.
	case h.Model != "" && !strings.Contains(strings.ToLower(d.Model), strings.ToLower(h.Model)):
		return false
	case h.Vendor != "" && !strings.Contains(strings.ToLower(d.Vendor), strings.ToLower(h.Vendor)):
		return false
	case h.SerialNumber != "" && !eqFold(h.SerialNumber, d.SerialNumber):
		return false
	case h.MinSizeGigabytes > 0 && d.SizeBytes < h.MinSizeGigabytes*(1<<30):
		return false
	case h.WWN != "" && !eqFold(h.WWN, d.WWN):
		return false
	case h.WWNWithExtension != "" && !eqFold(h.WWNWithExtension, d.WWNWithExtension):
		return false
	case h.WWNVendorExtension != "" && !eqFold(h.WWNVendorExtension, d.WWNVendorExtension):
		return false
	case h.Rotational != nil && *h.Rotational != d.Rotational:
		return false
	}
	return true
}

func (h *Hints) empty() bool {
	return h == nil || *h == Hints{}
}

// chooseRoot returns the smallest disk that satisfies the hints; with no
// hints, the smallest disk of at least 4 GiB, as Ironic does.
func chooseRoot(disks []Disk, h *Hints) (Disk, error) {
	sorted := append([]Disk(nil), disks...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].SizeBytes < sorted[j].SizeBytes })
	for _, d := range sorted {
		if h.empty() {
			if d.SizeBytes >= minDefaultRoot {
				return d, nil
			}
			continue
		}
		if h.matches(d) {
			return d, nil
		}
	}
	if h.empty() {
		return Disk{}, fail("NO_ROOT_DEVICE", "no disk of at least 4 GiB among %d disks", len(disks))
	}
	return Disk{}, fail("NO_ROOT_DEVICE", "no disk among %d matches the root device hints", len(disks))
}
