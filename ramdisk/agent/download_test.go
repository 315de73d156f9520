package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// object is the file the test servers hold: 100 KiB that never repeats, so
// a byte spliced at the wrong offset cannot pass for the right one.
var object = func() []byte {
	b := make([]byte, 100<<10)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}()

// secretQuery stands for a pre-signed URL's signature: it must show nowhere.
const secretQuery = "?X-Amz-Signature=secret"

// answer is what the test server does with one request.
type answer struct {
	status      int    // non-zero: only this status, no body
	cutAfter    int    // >0: send this many body bytes, then drop the connection
	ignoreRange bool   // serve the whole object with 200 even to a Range request
	etag        string // the object's ETag now; "" means `"v1"`
	skew        int64  // >0: a hand-made 206 whose Content-Range starts this much too late
	noLength    bool   // stream without Content-Length

	noHeaders  bool          // answer nothing until the client gives up or the test ends
	stallAfter int           // >0: send this many body bytes, then go silent, connection open
	chunkEvery time.Duration // >0: send the body in 4 KiB chunks this far apart
}

// seen is what the test server was asked.
type seen struct {
	mu       sync.Mutex
	ranges   []string
	ifRanges []string
}

func (s *seen) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ranges)
}

// objectServer serves object under answers, one per request, the last
// repeating. A silent handler waits for its client to hang up or for the
// test's cleanup, which releases it before closing the server (Close waits
// for every handler).
func objectServer(t *testing.T, answers []answer) (*httptest.Server, *seen) {
	s := &seen{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.ranges)
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		s.ifRanges = append(s.ifRanges, r.Header.Get("If-Range"))
		s.mu.Unlock()
		a := answers[min(n, len(answers)-1)]
		silence := func() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		if a.noHeaders {
			silence()
			return
		}
		if a.status != 0 {
			w.WriteHeader(a.status)
			return
		}
		w.Header().Set("ETag", cmp(a.etag, `"v1"`))
		if a.ignoreRange {
			r.Header.Del("Range")
		}
		var out http.ResponseWriter = w
		switch {
		case a.cutAfter > 0:
			out = &breaker{ResponseWriter: w, left: a.cutAfter, then: cut}
		case a.stallAfter > 0:
			// Keeps the connection open and sends nothing more, as a wedged server or a black-holed route would.
			out = &breaker{ResponseWriter: w, left: a.stallAfter, then: func(http.ResponseWriter) { silence() }}
		case a.chunkEvery > 0:
			out = &trickler{ResponseWriter: w, every: a.chunkEvery}
		}
		switch {
		case a.skew > 0:
			start, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(r.Header.Get("Range"), "bytes="), "-"), 10, 64)
			start += a.skew
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(object)-1, len(object)))
			w.Header().Set("Content-Length", strconv.Itoa(len(object)-int(start)))
			w.WriteHeader(http.StatusPartialContent)
			_, _ = out.Write(object[start:])
		case a.noLength:
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush() // headers out before any body: chunked, no length
			_, _ = out.Write(object)
		default:
			// ServeContent does Range, If-Range and Content-Range by the RFC.
			http.ServeContent(out, r, "image.raw", time.Time{}, bytes.NewReader(object))
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv, s
}

func cmp(s, orElse string) string {
	if s == "" {
		return orElse
	}
	return s
}

// breaker passes `left` body bytes, flushes them, then does `then` and fails
// the write: the client sees a body shorter than Content-Length, or silence.
type breaker struct {
	http.ResponseWriter
	left int
	then func(w http.ResponseWriter)
}

func (b *breaker) Write(p []byte) (int, error) {
	if len(p) < b.left {
		b.left -= len(p)
		return b.ResponseWriter.Write(p)
	}
	n, _ := b.ResponseWriter.Write(p[:b.left])
	b.left = 0
	b.ResponseWriter.(http.Flusher).Flush()
	b.then(b.ResponseWriter)
	return n, errors.New("body broken by the test")
}

// cut drops the connection, as a failing link or server would.
func cut(w http.ResponseWriter) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

// trickler sends the body in small chunks with a pause before each: slow,
// but never silent for long.
type trickler struct {
	http.ResponseWriter
	every time.Duration
}

func (t *trickler) Write(p []byte) (int, error) {
	sent := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), 4<<10)]
		time.Sleep(t.every)
		n, err := t.ResponseWriter.Write(chunk)
		sent += n
		if err != nil {
			return sent, err
		}
		t.ResponseWriter.(http.Flusher).Flush()
		p = p[n:]
	}
	return sent, nil
}

// truncating ends the first answer's body early with a plain io.EOF, as a
// proxy or a transport that does not check Content-Length might.
type truncating struct {
	base http.RoundTripper
	n    int64
	done bool
}

func (t *truncating) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && !t.done {
		t.done = true
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, t.n), resp.Body}
	}
	return resp, err
}

// journal keeps what a fetcher told the operator and how long it slept.
type journal struct {
	logs  []string
	slept []time.Duration
}

// testFetcher has the deploy's budgets and sleeps on paper. Its stall bounds
// are far above what a local server needs, so only the tests that set their
// own short ones can trip them.
func testFetcher(client *http.Client, j *journal) *fetcher {
	return &fetcher{
		client: client, attempts: 5, resumes: 5,
		firstDelay: time.Second, maxDelay: 10 * time.Second,
		headerTimeout: 5 * time.Second, stallTimeout: 5 * time.Second,
		sleep: func(d time.Duration) { j.slept = append(j.slept, d) },
		log:   func(format string, args ...any) { j.logs = append(j.logs, fmt.Sprintf(format, args...)) },
	}
}

func TestDownloadRetriesAndResumesOnlyWhatIsSafe(t *testing.T) {
	s := time.Second
	cases := []struct {
		name          string
		answers       []answer
		truncateFirst int64 // >0: the first body ends with io.EOF after this many bytes
		closed        bool  // the server is gone: every connection is refused
		wantErr       string
		wantBytes     int // bytes handed out before the error
		wantCalls     int
		wantRanges    []string
		wantIfRanges  []string
		wantSleeps    []time.Duration
	}{
		{
			name:         "a body cut twice is resumed where it stopped and arrives byte-identical",
			answers:      []answer{{cutAfter: 30000}, {cutAfter: 30000}, {}},
			wantCalls:    3,
			wantRanges:   []string{"", "bytes=30000-", "bytes=60000-"},
			wantIfRanges: []string{"", `"v1"`, `"v1"`},
			wantSleeps:   []time.Duration{s, 2 * s},
		},
		{
			name:          "a body that ends early without an error is resumed like a cut one",
			answers:       []answer{{}},
			truncateFirst: 40000,
			wantCalls:     2,
			wantRanges:    []string{"", "bytes=40000-"},
			wantSleeps:    []time.Duration{s},
		},
		{
			name:       "a 503 to a resume is asked again within the resume budget",
			answers:    []answer{{cutAfter: 30000}, {status: 503}, {}},
			wantCalls:  3,
			wantRanges: []string{"", "bytes=30000-", "bytes=30000-"},
			wantSleeps: []time.Duration{s, 2 * s},
		},
		{
			name:       "a resume answered 200 by a server that ignores Range fails and repeats no byte",
			answers:    []answer{{cutAfter: 30000}, {ignoreRange: true}},
			wantErr:    "answered 200 with the whole object instead of 206 Partial Content",
			wantBytes:  30000,
			wantCalls:  2,
			wantSleeps: []time.Duration{s},
		},
		{
			name:         "an object whose ETag changed before the resume fails (If-Range gets the whole new object)",
			answers:      []answer{{cutAfter: 30000}, {etag: `"v2"`}},
			wantErr:      "the object changed or the server cannot resume",
			wantBytes:    30000,
			wantCalls:    2,
			wantSleeps:   []time.Duration{s},
			wantIfRanges: []string{"", `"v1"`},
		},
		{
			name:       "a resume whose Content-Range starts at the wrong byte fails",
			answers:    []answer{{cutAfter: 30000}, {skew: 1}},
			wantErr:    "the server sent bytes from 30001 on",
			wantBytes:  30000,
			wantCalls:  2,
			wantSleeps: []time.Duration{s},
		},
		{
			name:       "a body cut more often than the resume budget is given up after 5 resumes",
			answers:    []answer{{cutAfter: 10000}},
			wantErr:    "gave up after 5 resumes",
			wantBytes:  60000,
			wantCalls:  6,
			wantSleeps: []time.Duration{s, 2 * s, 4 * s, 8 * s, 10 * s},
		},
		{
			name:      "a body without Content-Length is not resumed",
			answers:   []answer{{noLength: true, cutAfter: 30000}},
			wantErr:   "not resumable",
			wantBytes: 30000,
			wantCalls: 1,
		},
		{
			name:       "503 twice then 200 on the first request succeeds",
			answers:    []answer{{status: 503}, {status: 503}, {}},
			wantCalls:  3,
			wantRanges: []string{"", "", ""},
			wantSleeps: []time.Duration{s, 2 * s},
		},
		{
			name:      "a 404 fails at once with one call",
			answers:   []answer{{status: 404}},
			wantErr:   "image URL answered HTTP 404",
			wantCalls: 1,
		},
		{
			name:       "a server that always answers 503 is given up after 5 attempts",
			answers:    []answer{{status: 503}},
			wantErr:    "image URL answered HTTP 503 (gave up after 5 attempts)",
			wantCalls:  5,
			wantSleeps: []time.Duration{s, 2 * s, 4 * s, 8 * s},
		},
		{
			name:       "a refused connection is retried, then given up without quoting the URL",
			answers:    []answer{{}},
			closed:     true,
			wantErr:    "(gave up after 5 attempts)",
			wantSleeps: []time.Duration{s, 2 * s, 4 * s, 8 * s},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := objectServer(t, tc.answers)
			client := srv.Client()
			if tc.truncateFirst > 0 {
				client = &http.Client{Transport: &truncating{base: client.Transport, n: tc.truncateFirst}}
			}
			if tc.closed {
				srv.Close()
			}
			j := &journal{}
			f := testFetcher(client, j)

			got, err := fetchAll(f, srv.URL+"/image.raw"+secretQuery, 0)

			if expectOutcome(t, got, err, object, tc.wantErr) {
				// Whatever came before the failure is the object's start, once.
				if len(got) != tc.wantBytes || !bytes.Equal(got, object[:len(got)]) {
					t.Fatalf("got %d bytes before the error (prefix of the object: %v), want the first %d",
						len(got), bytes.Equal(got, object[:min(len(got), len(object))]), tc.wantBytes)
				}
			}
			if calls := seen.calls(); calls != tc.wantCalls {
				t.Errorf("server calls = %d, want %d (Range headers %q)", calls, tc.wantCalls, seen.ranges)
			}
			if tc.wantRanges != nil && !equal(seen.ranges, tc.wantRanges) {
				t.Errorf("Range headers = %q, want %q", seen.ranges, tc.wantRanges)
			}
			if tc.wantIfRanges != nil && !equal(seen.ifRanges, tc.wantIfRanges) {
				t.Errorf("If-Range headers = %q, want %q", seen.ifRanges, tc.wantIfRanges)
			}
			if !equal(j.slept, tc.wantSleeps) {
				t.Errorf("slept %v, want %v", j.slept, tc.wantSleeps)
			}
			if len(j.logs) != len(tc.wantSleeps) {
				t.Errorf("%d log lines for %d retries: %q", len(j.logs), len(tc.wantSleeps), j.logs)
			}
			assertNoSecret(t, err, j.logs)
		})
	}
}

// fetchAll reads a download the way deploy does, through the byte counter,
// and checks the counter saw each byte once and a failure stays failed.
// pause > 0 stops once after the first Read, as a slow disk would.
func fetchAll(f *fetcher, rawURL string, pause time.Duration) ([]byte, error) {
	body, err := f.open(rawURL, "image URL")
	if err != nil {
		return nil, err
	}
	defer body.Close()
	counted := &countingReader{r: &pausing{r: body, d: pause}}
	got, err := io.ReadAll(counted)
	if n := counted.n.Load(); n != int64(len(got)) {
		return got, fmt.Errorf("counted %d bytes, handed out %d", n, len(got))
	}
	if err != nil {
		if _, again := body.Read(make([]byte, 1)); again != err {
			return got, fmt.Errorf("a second Read after %v said %v", err, again)
		}
	}
	return got, err
}

// pausing sleeps d after its first Read.
type pausing struct {
	r      io.Reader
	d      time.Duration
	paused bool
}

func (p *pausing) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if !p.paused {
		p.paused = true
		time.Sleep(p.d)
	}
	return n, err
}

// fetchWithin runs read and fails the test if it has not returned after d:
// without the bounds a silent server hangs a download for good. The server's
// cleanup then releases its handlers, which lets a hung read end too.
func fetchWithin(t *testing.T, d time.Duration, read func() ([]byte, error)) ([]byte, error) {
	t.Helper()
	type result struct {
		got []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := read()
		done <- result{got, err}
	}()
	select {
	case r := <-done:
		return r.got, r.err
	case <-time.After(d):
		t.Fatalf("the download still hangs after %v", d)
		return nil, nil
	}
}

func TestDownloadBoundsTheWaitForASilentServer(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name          string
		answers       []answer
		headerTimeout time.Duration
		stallTimeout  time.Duration
		pause         time.Duration // the reader stops this long after its first Read
		wantErr       string
		wantBytes     int // bytes handed out before the error
		wantCalls     int
		wantRanges    []string
		wantLogs      []string // one per log line: what it says
	}{
		{
			name:          "a body that stalls mid-way is resumed from the bytes so far and arrives byte-identical",
			answers:       []answer{{stallAfter: 30000}, {}},
			headerTimeout: 100 * ms, stallTimeout: 100 * ms,
			wantCalls:  2,
			wantRanges: []string{"", "bytes=30000-"},
			wantLogs:   []string{"image URL: connection lost after 30000 of 102400 bytes: stalled, no data for 100ms; resuming from byte 30000"},
		},
		{
			name:          "a first request that gets no headers is retried once and succeeds",
			answers:       []answer{{noHeaders: true}, {}},
			headerTimeout: 100 * ms, stallTimeout: 100 * ms,
			wantCalls:  2,
			wantRanges: []string{"", ""},
			wantLogs:   []string{"image URL: no response headers within 100ms; retrying in 1s (attempt 2 of 5)"},
		},
		{
			name:          "a resume that gets no headers is asked again within the resume budget",
			answers:       []answer{{stallAfter: 30000}, {noHeaders: true}, {}},
			headerTimeout: 100 * ms, stallTimeout: 100 * ms,
			wantCalls:  3,
			wantRanges: []string{"", "bytes=30000-", "bytes=30000-"},
			wantLogs: []string{
				"stalled, no data for 100ms; resuming from byte 30000 in 1s (resume 1 of 5)",
				"image URL: no response headers within 100ms; resuming from byte 30000 in 2s (resume 2 of 5)",
			},
		},
		{
			name:          "a server that always stalls mid-body is given up after 5 resumes without naming the URL",
			answers:       []answer{{stallAfter: 10000}},
			headerTimeout: 50 * ms, stallTimeout: 50 * ms,
			wantErr:   "image URL: connection lost after 60000 of 102400 bytes: stalled, no data for 50ms (gave up after 5 resumes, at byte 60000)",
			wantBytes: 60000,
			wantCalls: 6,
			wantLogs:  []string{"stalled", "stalled", "stalled", "stalled", "stalled"},
		},
		{
			name:          "a server that never answers is given up after 5 attempts without naming the URL",
			answers:       []answer{{noHeaders: true}},
			headerTimeout: 50 * ms, stallTimeout: 50 * ms,
			wantErr:   "image URL: no response headers within 50ms (gave up after 5 attempts)",
			wantCalls: 5,
			wantLogs:  []string{"no response headers", "no response headers", "no response headers", "no response headers"},
		},
		{
			name:          "a slow body never silent for the stall timeout is not cut, however long it takes in all",
			answers:       []answer{{chunkEvery: 20 * ms}}, // 25 chunks: about 500 ms in all
			headerTimeout: 200 * ms, stallTimeout: 200 * ms,
			wantCalls: 1,
		},
		{
			name:          "a reader that stops between Reads longer than the stall timeout (a slow disk) is not taken for a stalled server",
			answers:       []answer{{}},
			headerTimeout: 100 * ms, stallTimeout: 100 * ms,
			pause:     300 * ms,
			wantCalls: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := objectServer(t, tc.answers)
			j := &journal{}
			f := testFetcher(srv.Client(), j)
			f.headerTimeout, f.stallTimeout = tc.headerTimeout, tc.stallTimeout

			got, err := fetchWithin(t, 2*time.Second, func() ([]byte, error) {
				return fetchAll(f, srv.URL+"/image.raw"+secretQuery, tc.pause)
			})

			if expectOutcome(t, got, err, object, tc.wantErr) {
				var de *downloadError
				if !errors.As(err, &de) {
					t.Errorf("err = %T, want a *downloadError (IMAGE_FETCH_FAILED in deploy)", err)
				}
				if len(got) != tc.wantBytes || !bytes.Equal(got, object[:len(got)]) {
					t.Fatalf("got %d bytes before the error, want the object's first %d", len(got), tc.wantBytes)
				}
			}
			if calls := seen.calls(); calls != tc.wantCalls {
				t.Errorf("server calls = %d, want %d (Range headers %q)", calls, tc.wantCalls, seen.ranges)
			}
			if tc.wantRanges != nil && !equal(seen.ranges, tc.wantRanges) {
				t.Errorf("Range headers = %q, want %q", seen.ranges, tc.wantRanges)
			}
			if len(j.logs) != len(tc.wantLogs) {
				t.Fatalf("log lines = %q, want %d", j.logs, len(tc.wantLogs))
			}
			for i, want := range tc.wantLogs {
				if !strings.Contains(j.logs[i], want) {
					t.Errorf("log line %d = %q, want it to say %q", i, j.logs[i], want)
				}
			}
			// The cancellation is said plainly, never as Go's own words.
			for _, text := range append(j.logs, fmt.Sprint(err)) {
				if strings.Contains(text, "context canceled") {
					t.Errorf("%q says \"context canceled\"", text)
				}
			}
			assertNoSecret(t, err, j.logs)
		})
	}
}

func assertNoSecret(t *testing.T, err error, logs []string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("the error quotes the URL's secret: %v", err)
	}
	for _, l := range logs {
		if strings.Contains(l, "secret") {
			t.Errorf("a log line quotes the URL's secret: %s", l)
		}
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// expectedChecksum goes through the same retries, under its own code.
func TestExpectedChecksumRetriesUnderItsOwnCode(t *testing.T) {
	sums := []byte("0123abcd  image.raw\n")
	cases := []struct {
		name     string
		statuses []int // per call, the last repeating; 200 serves sums
		closed   bool
		want     string
		wantCode string
	}{
		{"a checksum URL that answers 503 once is read on the second call", []int{503, 200}, false, "0123abcd", ""},
		{"a checksum URL that answers 404 fails with CHECKSUM_FETCH_FAILED", []int{404}, false, "", "CHECKSUM_FETCH_FAILED"},
		{"an unreachable checksum URL fails with CHECKSUM_FETCH_FAILED", []int{200}, true, "", "CHECKSUM_FETCH_FAILED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				status := tc.statuses[min(calls, len(tc.statuses)-1)]
				calls++
				if status != http.StatusOK {
					w.WriteHeader(status)
					return
				}
				_, _ = w.Write(sums)
			}))
			defer srv.Close()
			if tc.closed {
				srv.Close()
			}
			j := &journal{}
			saved := downloads
			downloads = testFetcher(srv.Client(), j)
			defer func() { downloads = saved }()

			got, err := expectedChecksum(&Image{
				URL:         srv.URL + "/image.raw" + secretQuery,
				ChecksumURL: srv.URL + "/SHA256SUMS" + secretQuery,
			})

			var ae *AgentError
			switch {
			case tc.wantCode == "" && (err != nil || got != tc.want):
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			case tc.wantCode != "" && (!errors.As(err, &ae) || ae.Code != tc.wantCode):
				t.Fatalf("err = %v, want code %s", err, tc.wantCode)
			case tc.wantCode != "" && !strings.HasPrefix(ae.Message, "checksum URL"):
				t.Fatalf("message %q does not name the checksum URL", ae.Message)
			}
			assertNoSecret(t, err, j.logs)
		})
	}
}

func TestParseContentRangeReadsOnlyWellFormedRanges(t *testing.T) {
	cases := []struct {
		name               string
		in                 string
		first, last, total int64
		ok                 bool
	}{
		{"a complete range is read", "bytes 5-9/10", 5, 9, 10, true},
		{"an unknown complete length reads as -1", "bytes 5-9/*", 5, 9, -1, true},
		{"the unit is case-insensitive", "Bytes 5-9/10", 5, 9, 10, true},
		{"another unit is refused", "items 5-9/10", 0, 0, 0, false},
		{"an unsatisfied range is refused", "bytes */10", 0, 0, 0, false},
		{"a last byte before the first is refused", "bytes 9-5/10", 0, 0, 0, false},
		{"a last byte past the length is refused", "bytes 5-10/10", 0, 0, 0, false},
		{"a signed number is refused", "bytes +5-9/10", 0, 0, 0, false},
		{"an empty header is refused", "", 0, 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first, last, total, ok := parseContentRange(tc.in)
			if ok != tc.ok || ok && (first != tc.first || last != tc.last || total != tc.total) {
				t.Fatalf("parseContentRange(%q) = %d, %d, %d, %v", tc.in, first, last, total, ok)
			}
		})
	}
}

func TestIfRangeCarriesOnlyAStrongValidator(t *testing.T) {
	lm := "Mon, 02 Jan 2006 15:04:05 GMT"
	cases := []struct {
		name   string
		header http.Header
		want   string
	}{
		{"a strong ETag is sent", http.Header{"Etag": {`"v1"`}}, `"v1"`},
		{"a weak ETag sends nothing, not even the date", http.Header{"Etag": {`W/"v1"`}, "Last-Modified": {lm}, "Date": {"Tue, 03 Jan 2006 15:04:05 GMT"}}, ""},
		{"a Last-Modified a day before Date is sent", http.Header{"Last-Modified": {lm}, "Date": {"Tue, 03 Jan 2006 15:04:05 GMT"}}, lm},
		{"a Last-Modified equal to Date is weak and not sent", http.Header{"Last-Modified": {lm}, "Date": {lm}}, ""},
		{"no validator sends nothing", http.Header{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ifRangeValidator(tc.header); got != tc.want {
				t.Fatalf("ifRangeValidator = %q, want %q", got, tc.want)
			}
		})
	}
}

// expectOutcome checks a download against its case: the whole object and no
// error, or an error that holds wantErr. It tells whether an error was wanted,
// for the checks of what came before it.
func expectOutcome(t *testing.T, got []byte, err error, object []byte, wantErr string) bool {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		if !bytes.Equal(got, object) {
			t.Fatalf("got %d bytes, not the object's %d bytes", len(got), len(object))
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("err = %v, want one containing %q", err, wantErr)
	}
	return true
}
