package channels_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/emailevents"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// receiptClients is how many provider requests arrive at once.
const receiptClients = 16

// BenchmarkProviderReceipts measures provider-callback ingestion: b.N
// sent messages, then one delivery receipt each, recorded through the
// function the provider webhooks call once the signature is checked
// (message found by provider id, history and status updated, contact
// event stored and matched against waiting runs).
//
//	go test ./engine/channels -run '^$' -bench ProviderReceipts -benchtime 20000x -count 3
//
// twilio: one status callback per request, 16 requests at a time.
// sendgrid-batch50: SendGrid posts its events in batches; 16 requests of
// 50 events at a time.
func BenchmarkProviderReceipts(b *testing.B) {
	b.Run("twilio", func(b *testing.B) {
		rb := newReceiptBench(b, nodes.ChannelSMS, "twilio")
		rb.run(b, 1, func(i int) channels.Receipt {
			sid := rb.pids[i]
			return channels.Receipt{Provider: "twilio", EventID: sid + ":delivered", Kind: channels.EventDelivered,
				ProviderIDs: []string{sid}, Data: map[string]any{"status": "delivered"}}
		})
	})
	b.Run("sendgrid-batch50", func(b *testing.B) {
		rb := newReceiptBench(b, nodes.ChannelEmail, "smtp")
		rb.run(b, 50, func(i int) channels.Receipt {
			// As the SendGrid webhook reads it: matched by the
			// journey_message_id we set, with the SMTP and SendGrid ids as
			// fallbacks.
			ev := emailevents.Event{Provider: emailevents.SendGrid, ProviderEventID: fmt.Sprintf("sg-ev-%d:delivered", i),
				Type: emailevents.Delivered, Email: fmt.Sprintf("c%d@example.com", i), MessageID: fmt.Sprintf("sg-%d", i),
				SMTPMessageID: fmt.Sprintf("m-%d@smtp.example.com", i), OurMessageID: rb.ids[i], At: time.Now(),
				Data: map[string]any{"event": "delivered"}}
			return channels.EmailReceipts(emailevents.SendGrid, []emailevents.Event{ev})[0]
		})
	})
}

type receiptBench struct {
	store   *storage.Store
	svc     *channels.Service
	eng     *engine.Engine
	channel string
	ids     []string // message ids
	pids    []string // provider ids
}

// newReceiptBench opens a SQLite file and records b.N sent messages on
// channel, one per contact, as the outbox leaves them.
func newReceiptBench(b *testing.B, channel, provider string) *receiptBench {
	b.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	svc, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{9}, 32), PublicURL: publicURL})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: nodes.Builtin(), Channels: svc})
	if err != nil {
		b.Fatal(err)
	}
	rb := &receiptBench{store: store, svc: svc, eng: eng, channel: channel, ids: make([]string, b.N), pids: make([]string, b.N)}
	now := time.Now().UTC().Add(-time.Minute)
	history, _ := json.Marshal([]storage.MessageEvent{{Type: storage.MessageQueued, At: now}, {Type: storage.MessageSent, At: now}})
	err = store.Write(ctx, func(tx storage.Tx) error {
		for i := range b.N {
			ref, to, pid := storage.ContactRef{Phone: fmt.Sprintf("+4915%09d", i)}, fmt.Sprintf("+4915%09d", i), fmt.Sprintf("SM%032x", i)
			if channel == nodes.ChannelEmail {
				to = fmt.Sprintf("c%d@example.com", i)
				ref, pid = storage.ContactRef{Email: to}, fmt.Sprintf("<m-%d@smtp.example.com>", i)
			}
			contactID, _, err := storage.EnsureContact(tx, ref, now)
			if err != nil {
				return err
			}
			m := &storage.Message{IdemKey: fmt.Sprintf("bench-%d", i), Channel: channel, Provider: provider, Status: storage.MessageSent,
				To: to, BodyText: "Your order has shipped.", ContactID: &contactID, RunID: storage.NewID(), NodeID: "notify", FlowID: "orders",
				ProviderID: &pid, Events: string(history), SentAt: &now, CreatedAt: now, UpdatedAt: now}
			if _, _, err := storage.InsertMessage(tx, m); err != nil {
				return err
			}
			rb.ids[i], rb.pids[i] = m.ID, pid
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return rb
}

// run records receipt(i) for every message from receiptClients
// goroutines, batch receipts per request, reports events/s and CPU time
// per event, and checks that every message got its event.
func (rb *receiptBench) run(b *testing.B, batch int, receipt func(i int) channels.Receipt) {
	ctx := context.Background()
	requests := make([][]channels.Receipt, 0, b.N/batch+1)
	for i := 0; i < b.N; i += batch {
		var req []channels.Receipt
		for j := i; j < min(i+batch, b.N); j++ {
			req = append(req, receipt(j))
		}
		requests = append(requests, req)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, receiptClients)
	b.ResetTimer()
	cpu := receiptCPU()
	start := time.Now()
	for range receiptClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= len(requests) {
					return
				}
				if err := recordRequest(ctx, rb.svc, rb.eng, requests[n]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	used := receiptCPU() - cpu
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/event")

	// Every message got its receipt: its status, its history, its event.
	var delivered, events int64
	r := rb.store.Reader()
	if err := storagetest.Count(r, &delivered, &storage.Message{}, "status = ? AND events LIKE ?", storage.MessageDelivered,
		`%"provider_event_id"%`); err != nil {
		b.Fatal(err)
	}
	if err := storagetest.Count(r, &events, &storage.Event{}, "type = ?", rb.channel+"."+channels.EventDelivered); err != nil {
		b.Fatal(err)
	}
	if int(delivered) != b.N || int(events) != b.N {
		b.Fatalf("%d messages delivered and %d %s.delivered events; want %d of each", delivered, events, rb.channel, b.N)
	}
}

// recordRequest records the receipts of one webhook request as the
// provider webhooks do.
func recordRequest(ctx context.Context, svc *channels.Service, eng *engine.Engine, rs []channels.Receipt) error {
	res, err := svc.RecordProviderReceipts(ctx, eng, rs)
	if err != nil {
		return err
	}
	for i, r := range res {
		if r.Duplicate || r.Unmatched {
			return fmt.Errorf("receipt %s: %+v, want it recorded", rs[i].EventID, r)
		}
	}
	return nil
}

// receiptCPU returns the CPU time (user and system) the process has used.
func receiptCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
