package httpreq_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes/connectors/httpreq"
)

// TestCallsInFlightKeepTheirConnections: rounds of 16 calls at once to one
// vendor reuse the connections of the round before, through the vendor
// connectors' client (net/http) and http.request's (fasthttp). Go's
// default keeps two per host, so every later round dialled 14 connections
// anew (58 for four rounds); a few more than 16 can be dialled when a call
// starts before a finished one has put its connection back.
func TestCallsInFlightKeepTheirConnections(t *testing.T) {
	t.Parallel()
	vendor := httpreq.GuardedHTTPClient(true, 0)
	node := httpreq.New(httpreq.Options{AllowPrivate: true})
	for name, call := range map[string]func(url string) error{
		"vendor connectors": func(url string) error {
			res, err := vendor.Get(url)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			return res.Body.Close()
		},
		"http.request": func(url string) error {
			_, err := node.Do(context.Background(), httpreq.Request{Method: "POST", URL: url, IdempotencyKey: "k"})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var dialled atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				time.Sleep(time.Millisecond) // so the calls of a round overlap
				_, _ = io.WriteString(w, `{"ok":true}`)
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					dialled.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()
			const rounds, calls = 4, 16
			for range rounds {
				var wg sync.WaitGroup
				for range calls {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := call(srv.URL); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
			}
			if n := dialled.Load(); n >= 2*calls {
				t.Fatalf("%d connections dialled for %d rounds of %d calls at once; want the first round's kept", n, rounds, calls)
			}
		})
	}
}
