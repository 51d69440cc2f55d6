package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// cmdHealthcheck asks a running server for GET /healthz and exits 0 when
// it answers 200, 1 otherwise. Images without curl (distroless) use it as
// their HEALTHCHECK.
func cmdHealthcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", stderr)
	addr := fs.String("addr", envOr("JOURNEY_ADDR", "127.0.0.1:8080"), "address the server listens on [JOURNEY_ADDR]")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	url := "http://" + dialAddr(*addr) + "/healthz"
	client := &http.Client{Timeout: *timeout}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stdout, "unhealthy: %v\n", err)
		return exitError(1)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stdout, "unhealthy: %s answered %d %s\n", url, resp.StatusCode, body)
		return exitError(1)
	}
	fmt.Fprintf(stdout, "healthy: %s\n", body)
	return nil
}

// dialAddr turns a listen address into one to connect to: a wildcard host
// (0.0.0.0, ::, empty) becomes the loopback address.
func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
