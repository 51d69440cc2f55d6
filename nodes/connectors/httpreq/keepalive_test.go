package httpreq_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/journeyhq/journey/nodes/connectors/httpreq"
)

// TestCallsInFlightKeepTheirConnections: rounds of 16 calls at once to one
// vendor reuse the connections of the round before. Go's default keeps two
// per host, so every later round dialled 14 connections anew (58 for four
// rounds); a few more than 16 can be dialled when a call starts before a
// finished one has put its connection back.
func TestCallsInFlightKeepTheirConnections(t *testing.T) {
	t.Parallel()
	var dialled atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := httpreq.GuardedHTTPClient(true, 0)
	const rounds, calls = 4, 16
	for range rounds {
		var wg sync.WaitGroup
		for range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := client.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}()
		}
		wg.Wait()
	}
	if n := dialled.Load(); n >= 2*calls {
		t.Fatalf("%d connections dialled for %d rounds of %d calls at once; want the first round's kept", n, rounds, calls)
	}
}
