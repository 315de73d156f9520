package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"
)

const progressEvery = 2 * time.Second

func newHasher(kind string) (hash.Hash, error) {
	switch strings.ToLower(kind) {
	case "md5":
		return md5.New(), nil
	case "sha256":
		return sha256.New(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fail("CHECKSUM_TYPE_UNSUPPORTED", "checksumType %q is not md5, sha256 or sha512", kind)
}

// imageHTTP has no overall Timeout: a whole-request bound would cut a large
// image on a slow link. The fetcher bounds the waits instead (its
// headerTimeout and stallTimeout, download.go).
var imageHTTP = &http.Client{Timeout: 0}

// withoutURL drops the URL from a transport error: an image URL may carry a
// pre-signed query (a secret) and results end up in the host's status.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// expectedChecksum returns the digest to compare with: given inline, or read
// from a checksum file in the `sha256sum` format ("<hex>  <name>"), picking
// the line for the image's file name, or the only digest in the file.
func expectedChecksum(img *Image) (string, error) {
	if img.Checksum != "" {
		return strings.ToLower(strings.TrimSpace(img.Checksum)), nil
	}
	if img.ChecksumURL == "" {
		return "", fail("BAD_INSTRUCTIONS", "image needs checksum or checksumUrl")
	}
	file, err := downloads.open(img.ChecksumURL, "checksum URL")
	if err != nil {
		return "", fail("CHECKSUM_FETCH_FAILED", "%v", err)
	}
	defer file.Close()
	body, err := io.ReadAll(io.LimitReader(file, 1<<20))
	if err != nil {
		return "", fail("CHECKSUM_FETCH_FAILED", "%v", err)
	}
	want := path.Base(strings.SplitN(img.URL, "?", 2)[0])
	var only []string
	s := bufio.NewScanner(bytes.NewReader(body))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 {
			continue
		}
		only = append(only, f[0])
		if len(f) >= 2 && strings.TrimPrefix(f[1], "*") == want {
			return strings.ToLower(f[0]), nil
		}
	}
	if len(only) == 1 {
		return strings.ToLower(only[0]), nil
	}
	return "", fail("CHECKSUM_FETCH_FAILED", "checksum file has no line for %s", want)
}

type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// fetchFailed reports a download that broke for good in the middle of a read
// (retries and resumes spent) as IMAGE_FETCH_FAILED, not as the disk's fault.
func fetchFailed(err error) (*AgentError, bool) {
	var de *downloadError
	if errors.As(err, &de) {
		return fail("IMAGE_FETCH_FAILED", "%v", de), true
	}
	return nil, false
}

// qcow2 images start with "QFI\xfb" (qemu docs/interop/qcow2.txt, header magic).
var qcow2Magic = []byte{'Q', 'F', 'I', 0xfb}

func deploy(c *client, ins *Instructions) (string, error) {
	img := ins.Image
	if img == nil || img.URL == "" {
		return "", fail("BAD_INSTRUCTIONS", "deploy needs image.url")
	}
	hasher, err := newHasher(img.ChecksumType)
	if err != nil {
		return "", err
	}
	switch img.Format {
	case "", "raw", "gzip":
	case "qcow2":
		return "", fail("IMAGE_FORMAT_UNSUPPORTED", "qcow2 images are refused: give a raw or gzip-compressed raw image")
	default:
		return "", fail("IMAGE_FORMAT_UNSUPPORTED", "image format %q is not raw or gzip", img.Format)
	}
	want, err := expectedChecksum(img)
	if err != nil {
		return "", err
	}
	disks, err := listDisks()
	if err != nil {
		return "", fail("INSPECTION_FAILED", "listing disks: %v", err)
	}
	root, err := chooseRoot(disks, ins.RootDeviceHints)
	if err != nil {
		return "", err
	}
	say("root device %s (%d bytes)", root.Name, root.SizeBytes)

	// The image body retries and resumes on its own (download.go); it hands
	// out each byte once, so the counter and the hasher see the file once.
	image, err := downloads.open(img.URL, "image URL")
	if err != nil {
		return root.Name, fail("IMAGE_FETCH_FAILED", "%v", err)
	}
	defer image.Close()
	var downloadTotal *int64
	if n := image.Length(); n >= 0 {
		downloadTotal = &n
	}
	// The hasher sees the bytes as downloaded (the compressed file for gzip),
	// which is what the published checksum covers.
	downloaded := &countingReader{r: image}
	body := bufio.NewReaderSize(io.TeeReader(downloaded, hasher), 1<<20)
	head, _ := body.Peek(4)
	if bytes.HasPrefix(head, qcow2Magic) {
		return root.Name, fail("IMAGE_FORMAT_UNSUPPORTED", "the image is qcow2: give a raw or gzip-compressed raw image")
	}
	var src io.Reader = body
	var total *int64
	// gzip members start with 1f 8b (RFC 1952 §2.3.1).
	if img.Format == "gzip" || len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(body)
		if ae, ok := fetchFailed(err); ok {
			return root.Name, ae
		}
		if err != nil {
			return root.Name, fail("IMAGE_FORMAT_UNSUPPORTED", "gzip header: %v", err)
		}
		src = zr
	} else {
		total = downloadTotal
	}
	if total != nil && *total > root.SizeBytes {
		return root.Name, fail("IMAGE_TOO_LARGE", "image of %d bytes does not fit %s (%d bytes)", *total, root.Name, root.SizeBytes)
	}

	dev, err := os.OpenFile(root.Name, os.O_WRONLY, 0)
	if err != nil {
		return root.Name, fail("DISK_WRITE_FAILED", "open %s: %v", root.Name, err)
	}
	defer dev.Close()
	written := &countingWriter{w: dev}
	report := func(phase string) {
		_ = c.post("/progress", Progress{
			Action: "deploy", Phase: phase, Device: root.Name,
			BytesWritten: written.n.Load(), BytesTotal: total,
			BytesDownloaded: downloaded.n.Load(), BytesDownloadTotal: downloadTotal,
		})
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				report("writing")
			}
		}
	}()
	report("writing")
	_, copyErr := io.CopyBuffer(written, io.LimitReader(src, root.SizeBytes+1), make([]byte, 4<<20))
	if copyErr == nil {
		copyErr = dev.Sync()
	}
	close(stop)
	<-done
	if copyErr != nil {
		scrub(root.Name, root.SizeBytes)
		if written.n.Load() >= root.SizeBytes {
			return root.Name, fail("IMAGE_TOO_LARGE", "image does not fit %s (%d bytes)", root.Name, root.SizeBytes)
		}
		if ae, ok := fetchFailed(copyErr); ok {
			return root.Name, ae
		}
		return root.Name, fail("DISK_WRITE_FAILED", "writing %s after %d bytes: %v", root.Name, written.n.Load(), copyErr)
	}
	// Drain what the decompressor left so the digest covers the whole file.
	if _, err := io.Copy(io.Discard, body); err != nil {
		scrub(root.Name, root.SizeBytes)
		return root.Name, fail("IMAGE_FETCH_FAILED", "reading the image: %v", err)
	}
	got := hex.EncodeToString(hasher.Sum(nil))
	if got != want {
		// A half-checked image must not boot: remove its partition tables.
		scrub(root.Name, root.SizeBytes)
		return root.Name, fail("CHECKSUM_MISMATCH", "%s digest of the image is %s, expected %s", strings.ToLower(img.ChecksumType), got, want)
	}
	report("verified")
	if ins.ConfigDrive != nil {
		if err := writeConfigDrive(root, written.n.Load(), ins.ConfigDrive); err != nil {
			return root.Name, err
		}
	}
	report("done")
	return root.Name, nil
}
