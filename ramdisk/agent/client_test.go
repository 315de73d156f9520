package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A manager that is restarting answers 503 for a while; one that dislikes the body answers 400.
func TestPostRetryingRetriesOnlyWhatMaySucceedLater(t *testing.T) {
	cases := []struct {
		name      string
		answers   []int // status per call; the last repeats
		attempts  int
		wantErr   bool
		wantCalls int32
	}{
		{"a 503 twice then 204 is delivered on the third call", []int{503, 503, 204}, 30, false, 3},
		{"a 401 while the manager's token index warms up is retried", []int{401, 204}, 30, false, 2},
		{"a 400 about the body is not retried", []int{400}, 30, true, 1},
		{"a 413 is not retried", []int{413}, 30, true, 1},
		{"a manager that never recovers gives up after the bound", []int{503}, 4, true, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				w.WriteHeader(tc.answers[min(n, len(tc.answers)-1)])
			}))
			defer srv.Close()
			c := newClient(srv.URL, "t0ken")
			err := c.postRetrying("/result", Result{Action: "inspect", Ok: true}, tc.attempts, func(int) {})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}
