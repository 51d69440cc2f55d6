package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes/connectors/emailevents"
	"github.com/journeyhq/journey/storage"
)

// Receipt is one delivery event a vendor posted to a provider webhook.
type Receipt struct {
	// Provider names the webhook (twilio, whatsapp, sendgrid, mailgun,
	// postmark).
	Provider string
	// EventID identifies the event at the provider: a resent callback
	// carries the same id and is recorded once.
	EventID string
	// Kind is the message event kind (delivered, failed, bounced...).
	Kind string
	// OurMessageID is our message id when the vendor echoes it back.
	OurMessageID string
	// ProviderIDs are the ids the vendor may know the message by, tried
	// in order against the provider id stored when it was sent.
	ProviderIDs []string
	Data        map[string]any
	// WithdrawConsent turns the contact's consent for the channel off
	// (hard bounces, spam complaints).
	WithdrawConsent bool
}

// EmailReceipts turns the events of an e-mail provider's webhook request
// into receipts. Hard bounces, spam complaints and unsubscribes withdraw
// the contact's email consent.
func EmailReceipts(provider string, evs []emailevents.Event) []Receipt {
	rs := make([]Receipt, 0, len(evs))
	for _, ev := range evs {
		_, kind, _ := strings.Cut(ev.Type, ".")
		r := Receipt{Provider: provider, EventID: ev.ProviderEventID, Kind: kind, OurMessageID: ev.OurMessageID,
			Data: ev.Data, WithdrawConsent: ev.HardBounce || ev.Type == emailevents.Complained || ev.Type == emailevents.Unsubscribed}
		if ev.SMTPMessageID != "" {
			r.ProviderIDs = append(r.ProviderIDs, "<"+ev.SMTPMessageID+">", ev.SMTPMessageID)
		}
		r.ProviderIDs = append(r.ProviderIDs, ev.MessageID)
		rs = append(rs, r)
	}
	return rs
}

// ReceiptResult says what happened to a receipt.
type ReceiptResult struct {
	MessageID string
	// Duplicate is true when the same provider event was recorded before.
	Duplicate bool
	// Unmatched is true when the receipt is about no message of ours.
	Unmatched bool
}

// RecordProviderReceipts records the receipts of one webhook request, in
// order: for each it finds the message the vendor event is about and
// records the event once per provider event id (the message's status and
// history, the consent change, and the contact event channel.kind that
// resumes waiting runs). All of it happens in one transaction, shared with
// other concurrent requests: a failure keeps none of them, and the
// vendor's retry of the request records them all. Receipts about no
// message of ours are marked Unmatched.
func (s *Service) RecordProviderReceipts(ctx context.Context, sink EventSink, rs []Receipt) ([]ReceiptResult, error) {
	out := make([]ReceiptResult, len(rs))
	type pending struct {
		i     int
		m     *storage.MessageRef
		dedup string
		data  map[string]any
		event *engine.EventInput
	}
	todo := make([]pending, 0, len(rs))
	now := s.now().UTC()
	db := s.store.Reader().WithContext(ctx)
	for i, r := range rs {
		m, err := receiptMessage(db, r)
		if errors.Is(err, storage.ErrNotFound) {
			out[i].Unmatched = true
			continue
		}
		if err != nil {
			return nil, err
		}
		p := pending{i: i, m: m, dedup: r.Provider + ":" + r.EventID, data: maps.Clone(r.Data)}
		if p.data == nil {
			p.data = map[string]any{}
		}
		p.data["provider_event_id"] = p.dedup
		// The outbox recorded channel.sent when the vendor took the
		// message: the vendor's own "sent" would start journeys twice.
		if m.ContactID != nil && sink != nil && r.Kind != EventSent {
			evData := maps.Clone(p.data)
			evData["message_id"], evData["channel"], evData["provider"] = m.ID, m.Channel, m.Provider
			if m.FlowID != "" {
				evData["flow_id"] = m.FlowID
			}
			p.event = &engine.EventInput{ID: p.dedup, Type: m.Channel + "." + r.Kind,
				Contact: storage.ContactRef{ID: *m.ContactID}, Data: evData, OccurredAt: now, Source: "provider:" + r.Provider}
		}
		todo = append(todo, p)
	}
	if len(todo) == 0 {
		return out, nil
	}
	// write may run more than once: it starts over each time.
	write := func(tx *gorm.DB, ingest engine.EventWriter) error {
		for _, p := range todo {
			r := rs[p.i]
			out[p.i] = ReceiptResult{MessageID: p.m.ID}
			status, history, err := storage.MessageHistory(tx, p.m.ID)
			if errors.Is(err, storage.ErrNotFound) {
				out[p.i] = ReceiptResult{Unmatched: true} // erased meanwhile
				continue
			}
			if err != nil {
				return err
			}
			var evs []storage.MessageEvent
			_ = json.Unmarshal([]byte(history), &evs)
			if recorded(evs, p.dedup) {
				out[p.i].Duplicate = true
				continue
			}
			evs = append(evs, storage.MessageEvent{Type: r.Kind, At: now, Data: p.data})
			b, err := json.Marshal(evs)
			if err != nil {
				return fmt.Errorf("message %s events: %w", p.m.ID, err)
			}
			next := nextStatus(status, r.Kind)
			reason := statusReason(status, next, p.m.Provider, p.data)
			if err := storage.SetMessageStatus(tx, p.m.ID, next, reason, string(b), now); err != nil {
				return err
			}
			if r.WithdrawConsent && p.m.ContactID != nil {
				if err := storage.SetConsent(tx, *p.m.ContactID, p.m.Channel, false, now); err != nil {
					return err
				}
			}
			if p.event != nil {
				if _, err := ingest(*p.event); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var err error
	if sink == nil {
		err = s.store.Write(ctx, func(tx *gorm.DB) error { return write(tx, nil) })
	} else {
		err = sink.IngestEventsWith(ctx, write)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// recorded reports whether a message history holds the provider event.
func recorded(evs []storage.MessageEvent, dedup string) bool {
	for _, e := range evs {
		if e.Data != nil && e.Data["provider_event_id"] == dedup {
			return true
		}
	}
	return false
}

// receiptMessage finds the message of a receipt.
func receiptMessage(db *gorm.DB, r Receipt) (*storage.MessageRef, error) {
	if r.OurMessageID != "" {
		m, err := storage.MessageRefByID(db, r.OurMessageID)
		if err == nil || !errors.Is(err, storage.ErrNotFound) {
			return m, err
		}
	}
	for _, id := range r.ProviderIDs {
		if id == "" {
			continue
		}
		m, err := storage.MessageRefByProviderID(db, id)
		if err == nil || !errors.Is(err, storage.ErrNotFound) {
			return m, err
		}
	}
	return nil, storage.ErrNotFound
}

// WebhookSecrets returns the values (secrets included) of every
// credential of kind, to check the signature of a provider webhook.
func (s *Service) WebhookSecrets(ctx context.Context, kind string) ([]map[string]string, error) {
	cs, err := storage.ListCredentials(s.store.Reader().WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for _, c := range cs {
		if c.Kind != kind {
			continue
		}
		_, values, err := s.open(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, values)
	}
	return out, nil
}

// PublicURL is where vendors and contacts reach this server, without a
// trailing slash.
func (s *Service) PublicURL() string { return s.endpoint }
