package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

type client struct {
	base  string
	token string
	http  *http.Client
}

func newClient(base, token string) *client {
	return &client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}
}

func (c *client) do(method, path string, body any) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	// RFC 6750 §2.1: the per-host token travels only in this header.
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.http.Do(req)
}

func (c *client) instructions() (*Instructions, error) {
	resp, err := c.do(http.MethodGet, "/instructions", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /instructions: HTTP %d", resp.StatusCode)
	}
	var ins Instructions
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&ins); err != nil {
		return nil, fmt.Errorf("GET /instructions: %v", err)
	}
	return &ins, nil
}

// httpStatusError is a non-2xx answer; retryable tells whether asking again may succeed.
type httpStatusError struct {
	path   string
	status int
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("POST %s: HTTP %d", e.path, e.status) }

// retryable: a manager restarting or busy answers 503 (with Retry-After), 502/504 through a proxy,
// 429 when limiting, 408 on a slow body; a 4xx about the body itself will not change on a retry.
func (e *httpStatusError) retryable() bool {
	return e.status >= 500 || e.status == 429 || e.status == 408 || e.status == 401
}

func (c *client) post(path string, body any) error {
	resp, err := c.do(http.MethodPost, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return &httpStatusError{path: path, status: resp.StatusCode}
	}
	return nil
}

// postRetrying posts until the manager takes it: transport errors and retryable statuses are
// retried with backoff up to `attempts` times (a manager killed and restarted mid-action answers
// the repeat; every post is idempotent on its side, docs/agent-protocol.md § Transport).
func (c *client) postRetrying(path string, body any, attempts int, sleep func(int)) error {
	for attempt := 1; ; attempt++ {
		err := c.post(path, body)
		if err == nil {
			return nil
		}
		var se *httpStatusError
		if (errors.As(err, &se) && !se.retryable()) || attempt >= attempts {
			return err
		}
		sleep(attempt)
	}
}
