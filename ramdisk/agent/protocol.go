package main

// The JSON shapes of docs/agent-protocol.md.

type Instructions struct {
	Action            string       `json:"action"`
	RetryAfterSeconds int          `json:"retryAfterSeconds,omitempty"`
	Image             *Image       `json:"image,omitempty"`
	RootDeviceHints   *Hints       `json:"rootDeviceHints,omitempty"`
	ConfigDrive       *ConfigDrive `json:"configDrive,omitempty"`
	// CleaningMode is automatedCleaningMode: "metadata" or "disabled".
	CleaningMode string `json:"cleaningMode,omitempty"`
}

type Image struct {
	URL          string `json:"url"`
	Checksum     string `json:"checksum,omitempty"`
	ChecksumURL  string `json:"checksumUrl,omitempty"`
	ChecksumType string `json:"checksumType"`
	Format       string `json:"format,omitempty"`
}

type Hints struct {
	DeviceName         string `json:"deviceName,omitempty"`
	HCTL               string `json:"hctl,omitempty"`
	Model              string `json:"model,omitempty"`
	Vendor             string `json:"vendor,omitempty"`
	SerialNumber       string `json:"serialNumber,omitempty"`
	MinSizeGigabytes   int64  `json:"minSizeGigabytes,omitempty"`
	WWN                string `json:"wwn,omitempty"`
	WWNWithExtension   string `json:"wwnWithExtension,omitempty"`
	WWNVendorExtension string `json:"wwnVendorExtension,omitempty"`
	Rotational         *bool  `json:"rotational,omitempty"`
}

type ConfigDrive struct {
	UserData    *string        `json:"userData,omitempty"`
	MetaData    map[string]any `json:"metaData,omitempty"`
	NetworkData map[string]any `json:"networkData,omitempty"`
}

type Progress struct {
	Action             string `json:"action"`
	Phase              string `json:"phase"`
	BytesWritten       int64  `json:"bytesWritten"`
	BytesTotal         *int64 `json:"bytesTotal"`
	BytesDownloaded    int64  `json:"bytesDownloaded"`
	BytesDownloadTotal *int64 `json:"bytesDownloadTotal"`
	Device             string `json:"device,omitempty"`
}

type Result struct {
	Action     string      `json:"action"`
	Ok         bool        `json:"ok"`
	Error      *AgentError `json:"error,omitempty"`
	RootDevice string      `json:"rootDevice,omitempty"`
	Wiped      []string    `json:"wiped,omitempty"`
}

// AgentError carries a stable code from docs/agent-protocol.md.
type AgentError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *AgentError) Error() string { return e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *AgentError {
	return &AgentError{Code: code, Message: sprintf(format, args...)}
}

type InventoryReport struct {
	Hardware *Hardware `json:"hardware"`
}

// Hardware mirrors Metal3's HardwareDetails (api/metal3/v1alpha1/hardware.ts).
type Hardware struct {
	SystemVendor SystemVendor `json:"systemVendor"`
	Firmware     Firmware     `json:"firmware"`
	RAMMebibytes int64        `json:"ramMebibytes"`
	NICs         []NIC        `json:"nics"`
	Storage      []Disk       `json:"storage"`
	CPU          CPU          `json:"cpu"`
	Hostname     string       `json:"hostname"`
}

type SystemVendor struct {
	Manufacturer string `json:"manufacturer"`
	ProductName  string `json:"productName"`
	SerialNumber string `json:"serialNumber"`
}

type Firmware struct {
	BIOS BIOS `json:"bios"`
}

type BIOS struct {
	Date    string `json:"date"`
	Vendor  string `json:"vendor"`
	Version string `json:"version"`
}

type NIC struct {
	Name       string `json:"name"`
	Model      string `json:"model,omitempty"`
	MAC        string `json:"mac"`
	IP         string `json:"ip,omitempty"`
	SpeedGbps  int64  `json:"speedGbps"`
	PXE        bool   `json:"pxe"`
	PCIAddress string `json:"pciAddress,omitempty"`
}

type Disk struct {
	Name               string   `json:"name"`
	AlternateNames     []string `json:"alternateNames,omitempty"`
	Rotational         bool     `json:"rotational"`
	Type               string   `json:"type"`
	SizeBytes          int64    `json:"sizeBytes"`
	Model              string   `json:"model"`
	Vendor             string   `json:"vendor"`
	SerialNumber       string   `json:"serialNumber"`
	WWN                string   `json:"wwn"`
	WWNWithExtension   string   `json:"wwnWithExtension"`
	WWNVendorExtension string   `json:"wwnVendorExtension"`
	HCTL               string   `json:"hctl"`
}

type CPU struct {
	Arch           string   `json:"arch"`
	Model          string   `json:"model"`
	ClockMegahertz float64  `json:"clockMegahertz"`
	Flags          []string `json:"flags"`
	Count          int      `json:"count"`
}
