package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// fetcher downloads the image and the checksum file: it retries the first
// request of a download a few times, then resumes a body that breaks with
// Range requests, so one dropped connection does not cost a whole deploy
// (Metal3's ironic-python-agent retries image downloads likewise). The limits
// and the sleep are fields so tests run without real waits.
//
// A stall breaks nothing by itself, since a resume only starts when a Read
// fails, so two bounds turn one into a failure: headerTimeout for a request
// whose answer does not come, stallTimeout for a body that stops sending.
// Both cancel the request; zero means no bound.
type fetcher struct {
	client        *http.Client
	attempts      int           // requests to start a download, the first one included
	resumes       int           // resume requests for one body over its whole life
	firstDelay    time.Duration // the wait before the first retry, doubling at each
	maxDelay      time.Duration // retry up to this cap
	headerTimeout time.Duration // from sending a request to its response headers
	stallTimeout  time.Duration // the longest wait inside one body Read for a byte
	sleep         func(time.Duration)
	log           func(format string, args ...any) // say, for the operator
}

// downloads is what deploy uses: at most 1+2+4+8 s of waits to start a
// download and 1+2+4+8+10 s over the resumes of one body. 60 s without
// headers or without a byte is far past any hiccup of a provisioning LAN
// or a busy image server, yet gives a dead one up within minutes, not never.
var downloads = &fetcher{
	client: imageHTTP, attempts: 5, resumes: 5,
	firstDelay: time.Second, maxDelay: 10 * time.Second,
	headerTimeout: 60 * time.Second, stallTimeout: 60 * time.Second,
	sleep: time.Sleep, log: say,
}

// downloadError is a download that failed for good. Its text names the URL
// only by its label ("image URL"): the URL may carry a pre-signed secret and
// the text ends up in the host's status. deploy tells it apart from a disk
// error when it surfaces in the middle of the copy.
type downloadError struct{ msg string }

func (e *downloadError) Error() string { return e.msg }

func failed(format string, args ...any) *downloadError {
	return &downloadError{msg: sprintf(format, args...)}
}

// delay is the backoff before retry n (1-based): firstDelay doubling, capped.
func (f *fetcher) delay(n int) time.Duration {
	d := f.firstDelay
	for i := 1; i < n && d < f.maxDelay; i++ {
		d *= 2
	}
	return min(d, f.maxDelay)
}

// open GETs rawURL, asking again on what may pass (a refused or broken
// connection, a busy or restarting server) up to f.attempts times, and
// returns the body of the 200 answer, resumable when its length is known.
// label names the URL in every message and error instead of the URL itself.
func (f *fetcher) open(rawURL, label string) (*resumableBody, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, failed("%s: %v", label, err)
	}
	for attempt := 1; ; attempt++ {
		resp, err := f.get(rawURL, nil)
		if err == nil && resp.StatusCode == http.StatusOK {
			return newResumableBody(f, rawURL, label, resp), nil
		}
		problem, again := trouble(label, resp, err)
		if !again {
			return nil, failed("%s", problem)
		}
		if attempt >= f.attempts {
			return nil, failed("%s (gave up after %d attempts)", problem, attempt)
		}
		d := f.delay(attempt)
		f.log("%s; retrying in %v (attempt %d of %d)", problem, d, attempt+1, f.attempts)
		f.sleep(d)
	}
}

// checkURL refuses up front what no retry can fix. A parse error is stripped
// of its url.Error wrapper, which quotes the whole URL.
func checkURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return withoutURL(err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("the scheme is not http or https")
	}
	return nil
}

// get sends one GET under its own context, which a watchdog cancels when
// the headers take longer than f.headerTimeout; the body it returns keeps
// that watchdog for its Reads and cancels the context when closed, so each
// request ends with the body that replaced or closed it (resume and trouble
// close every body they drop).
func (f *fetcher) get(rawURL string, header http.Header) (*http.Response, error) {
	ctx, cancel := context.WithCancel(context.Background())
	req, err := newGet(ctx, rawURL, header)
	if err != nil {
		cancel()
		return nil, err
	}
	dog := newWatchdog(cancel)
	dog.arm(f.headerTimeout)
	resp, err := f.client.Do(req)
	if dog.disarm() {
		// The watchdog cancelled the request: whatever Do said (a
		// url.Error quoting the URL around "context canceled", or even an
		// answer that came as it fired) the headers were too late.
		if err == nil {
			resp.Body.Close()
		}
		dog.release()
		return nil, errors.New("no response headers within " + span(f.headerTimeout))
	}
	if err != nil {
		dog.release()
		return nil, err
	}
	resp.Body = &watchedBody{body: resp.Body, dog: dog, timeout: f.stallTimeout}
	return resp, nil
}

// newGet builds the GET. "Accept-Encoding: identity" (RFC 9110 §12.5.3)
// keeps the transport from asking for gzip and decoding it on the quiet, so
// the bytes read are the file's own, the ones its checksum covers and a Range
// counts (RFC 9110 §14.1.2).
func newGet(ctx context.Context, rawURL string, header http.Header) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	for k, v := range header {
		req.Header[k] = v
	}
	return req, nil
}

// watchdog cancels a request when a wait it guards outlasts its bound. It is
// armed only while the agent waits on the network (Do, or one body Read):
// time the agent spends writing to disk between Reads is not the server's
// stall. arm and disarm run on the reading goroutine only.
type watchdog struct {
	cancel context.CancelFunc
	timer  *time.Timer
	armed  bool
}

func newWatchdog(cancel context.CancelFunc) *watchdog {
	// Made stopped, so the timer exists (and stop is safe) before any arm.
	t := time.AfterFunc(time.Hour, cancel)
	t.Stop()
	return &watchdog{cancel: cancel, timer: t}
}

// release stops the timer for good and cancels the request; both are safe to
// repeat, and to call while a Read is under way.
func (w *watchdog) release() {
	w.timer.Stop()
	w.cancel()
}

// arm starts a wait of at most d; d <= 0 bounds nothing.
func (w *watchdog) arm(d time.Duration) {
	if d > 0 {
		w.timer.Reset(d)
		w.armed = true
	}
}

// disarm ends the wait and tells whether the bound ran out, i.e. whether the
// timer had already started cancelling the request.
func (w *watchdog) disarm() bool {
	if !w.armed {
		return false
	}
	w.armed = false
	return !w.timer.Stop()
}

// watchedBody is a response body whose every Read may wait at most timeout
// for a byte; then the request is cancelled and the Read fails with a
// transient error, which resumableBody resumes like a dropped connection.
type watchedBody struct {
	body    io.ReadCloser
	dog     *watchdog
	timeout time.Duration
	stalled bool // the watchdog fired: every later Read fails alike
}

func (w *watchedBody) Read(p []byte) (int, error) {
	if w.stalled {
		return 0, w.stallError()
	}
	w.dog.arm(w.timeout)
	n, err := w.body.Read(p)
	if w.dog.disarm() {
		w.stalled = true
	}
	// A body that ended whole as the bound ran out stays whole; any other
	// error is the cancellation ("context canceled"), said plainly instead.
	if w.stalled && err != io.EOF {
		err = w.stallError()
	}
	return n, err
}

func (w *watchedBody) stallError() error {
	return errors.New("stalled, no data for " + span(w.timeout))
}

// Close stops the watchdog, so no timer outlives the body, and cancels the
// request, which frees its connection if the body was not read to the end.
func (w *watchedBody) Close() error {
	err := w.body.Close()
	w.dog.release()
	return err
}

// span prints a bound as an operator writes it: "60s" rather than "1m0s".
func span(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return sprintf("%ds", int64(d/time.Second))
	}
	return d.String()
}

// trouble describes a failed request, after the label and without the URL,
// tells whether asking again may succeed, and closes the answer's body.
func trouble(label string, resp *http.Response, err error) (string, bool) {
	if err != nil {
		return sprintf("%s: %v", label, withoutURL(err)), transient(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return sprintf("%s answered HTTP %d", label, resp.StatusCode), retryableStatus(resp.StatusCode)
}

// transient: a refused, reset or timed-out connection may work next time (a
// server restarting, a switch port flapping); a certificate that does not
// verify will not.
func transient(err error) bool {
	var cv *tls.CertificateVerificationError
	return !errors.As(err, &cv)
}

// retryableStatus: 408 (RFC 9110 §15.5.9), 429 (RFC 6585 §4) and the 5xx of a
// failing, busy or restarting server or its gateway (RFC 9110 §15.6.1, .3,
// .4, .5). Any other 4xx is about the request itself and will not change.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// resumableBody hands out a download's bytes exactly once and in order. When
// the body breaks before Content-Length bytes arrived it asks for the rest
// with a Range request and splices it on only once the answer is checked to
// continue the same object at the very next byte.
type resumableBody struct {
	f     *fetcher
	url   string
	label string
	body  io.ReadCloser

	length int64 // the first answer's Content-Length; -1 when unknown
	read   int64 // bytes handed out so far

	// What the first answer said of the object, to check resumed ranges with.
	etag, lastModified, encoding string
	ifRange                      string // If-Range to send; "" without a strong validator
	resumable                    bool

	resumes int   // resume requests sent
	err     error // once failed for good, every Read says so again
}

func newResumableBody(f *fetcher, rawURL, label string, resp *http.Response) *resumableBody {
	h := resp.Header
	return &resumableBody{
		f: f, url: rawURL, label: label, body: resp.Body,
		length: resp.ContentLength,
		etag:   h.Get("ETag"), lastModified: h.Get("Last-Modified"), encoding: h.Get("Content-Encoding"),
		ifRange: ifRangeValidator(h),
		// Without a Content-Length a truncated body cannot be told from a
		// whole one, nor a resumed range checked against the total; and
		// "Accept-Ranges: none" advises not to try (RFC 9110 §14.3).
		resumable: resp.ContentLength >= 0 && !strings.EqualFold(h.Get("Accept-Ranges"), "none"),
	}
}

// Length is the download's size from the first answer, -1 when unknown.
func (b *resumableBody) Length() int64 { return b.length }

func (b *resumableBody) Close() error { return b.body.Close() }

func (b *resumableBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	for {
		n, err := b.body.Read(p)
		b.read += int64(n)
		switch {
		case err == nil:
			return n, nil
		case b.length >= 0 && b.read >= b.length, b.length < 0 && err == io.EOF:
			return n, io.EOF
		}
		// Broken short of the end: a transport error, or an EOF before
		// Content-Length bytes, which is a truncation all the same.
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if rerr := b.resume(err); rerr != nil {
			b.err = rerr
			return n, rerr
		}
		if n > 0 {
			return n, nil
		}
	}
}

// resume replaces the broken body with the rest of the object from byte
// b.read on, within the budget of f.resumes requests for this body.
func (b *resumableBody) resume(cause error) error {
	b.body.Close()
	lost := sprintf("%s: connection lost after %d of %d bytes: %v", b.label, b.read, b.length, withoutURL(cause))
	if !b.resumable {
		if b.length < 0 {
			lost = sprintf("%s: connection lost after %d bytes: %v", b.label, b.read, withoutURL(cause))
		}
		return failed("%s (not resumable: no Content-Length, or the server refuses ranges)", lost)
	}
	for {
		if b.resumes >= b.f.resumes {
			return failed("%s (gave up after %d resumes, at byte %d)", lost, b.resumes, b.read)
		}
		b.resumes++
		d := b.f.delay(b.resumes)
		b.f.log("%s; resuming from byte %d in %v (resume %d of %d)", lost, b.read, d, b.resumes, b.f.resumes)
		b.f.sleep(d)
		resp, err := b.f.get(b.url, b.rangeHeader())
		if err == nil && resp.StatusCode == http.StatusPartialContent {
			if err := b.acceptPartial(resp); err != nil {
				resp.Body.Close()
				return err
			}
			b.body = resp.Body
			return nil
		}
		if err == nil && resp.StatusCode == http.StatusOK {
			// The whole object again: If-Range found it changed (RFC 9110
			// §13.1.5) or the server ignores Range (§14.2). Splicing it on
			// would repeat bytes, and a new object's bytes are not the rest
			// of the old one.
			resp.Body.Close()
			return failed("%s: resuming at byte %d, the server answered 200 with the whole object instead of 206 Partial Content: the object changed or the server cannot resume", b.label, b.read)
		}
		problem, again := trouble(b.label, resp, err)
		if !again {
			return failed("%s (resuming at byte %d)", problem, b.read)
		}
		lost = problem
	}
}

// rangeHeader asks for the rest of the object (RFC 9110 §14.2, "bytes=N-"),
// only if it is still the object the first answer described (If-Range,
// RFC 9110 §13.1.5): otherwise the server sends the whole new object with 200.
func (b *resumableBody) rangeHeader() http.Header {
	h := http.Header{}
	h.Set("Range", sprintf("bytes=%d-", b.read))
	if b.ifRange != "" {
		h.Set("If-Range", b.ifRange)
	}
	return h
}

// acceptPartial checks that a 206 continues the same object at exactly the
// next byte before its body is spliced on.
func (b *resumableBody) acceptPartial(resp *http.Response) error {
	at := sprintf("%s: resuming at byte %d", b.label, b.read)
	cr := resp.Header.Get("Content-Range")
	first, last, total, ok := parseContentRange(cr)
	switch {
	case !ok:
		return failed("%s, the 206 answer has no usable Content-Range (%q)", at, cr)
	case first != b.read:
		return failed("%s, the server sent bytes from %d on (Content-Range %q)", at, first, cr)
	case total >= 0 && total != b.length:
		return failed("%s, the object is now %d bytes, it was %d: it changed", at, total, b.length)
	case last >= b.length:
		return failed("%s, Content-Range %q goes past the object's %d bytes", at, cr, b.length)
	case resp.ContentLength >= 0 && resp.ContentLength != last-first+1:
		return failed("%s, Content-Length %d disagrees with Content-Range %q", at, resp.ContentLength, cr)
	case resp.Header.Get("Content-Encoding") != b.encoding:
		return failed("%s, the range comes in another content coding than the first answer", at)
	case b.changed(resp.Header):
		return failed("%s, the object changed (its ETag or Last-Modified differs)", at)
	}
	return nil
}

// changed compares the validators both answers carry: without a strong
// validator for If-Range the server would send a range of a new object as
// readily as of the old one.
func (b *resumableBody) changed(h http.Header) bool {
	differ := func(was, now string) bool { return was != "" && now != "" && was != now }
	return differ(b.etag, h.Get("ETag")) || differ(b.lastModified, h.Get("Last-Modified"))
}

// ifRangeValidator picks what If-Range may carry (RFC 9110 §13.1.5): a strong
// entity tag; with no entity tag at all, a Last-Modified date that is strong,
// i.e. at least a second before the answer's Date (RFC 9110 §8.8.2.2); else
// nothing, as a weak validator there is not allowed.
func ifRangeValidator(h http.Header) string {
	if etag := h.Get("ETag"); etag != "" {
		if strings.HasPrefix(etag, "W/") {
			return ""
		}
		return etag
	}
	lm := h.Get("Last-Modified")
	modified, err1 := http.ParseTime(lm)
	date, err2 := http.ParseTime(h.Get("Date"))
	if err1 == nil && err2 == nil && date.Sub(modified) >= time.Second {
		return lm
	}
	return ""
}

// parseContentRange reads "bytes first-last/complete" (RFC 9110 §14.4);
// total is -1 for an unknown complete length ("*").
func parseContentRange(v string) (first, last, total int64, ok bool) {
	// Range unit names are case-insensitive (RFC 9110 §14.1).
	if len(v) < 6 || !strings.EqualFold(v[:6], "bytes ") {
		return 0, 0, 0, false
	}
	span, size, ok := strings.Cut(v[6:], "/")
	if !ok {
		return 0, 0, 0, false
	}
	a, z, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, 0, false
	}
	first, ok1 := digits(a)
	last, ok2 := digits(z)
	total, ok3 := int64(-1), true
	if size != "*" {
		total, ok3 = digits(size)
	}
	ok = ok1 && ok2 && ok3 && first <= last && (total < 0 || last < total)
	return first, last, total, ok
}

// digits parses a non-empty run of ASCII digits (no sign, unlike ParseInt).
func digits(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
