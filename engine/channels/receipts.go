package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes"
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
	// (hard bounces, spam complaints, unsubscribes).
	WithdrawConsent bool
	// GrantConsent turns it back on (a recipient's own resubscribe).
	GrantConsent bool
	// Group, when set, is the vendor's unsubscribe group that Kind
	// (unsubscribed or resubscribed) applies to; consent to all email is
	// left alone.
	Group string
	// Email is the address the event names. A change of consent or group
	// about no message of ours applies to the known contact with it.
	Email string
	// Ignored, when set, says why nothing is recorded (the vendor event
	// is counted and logged, and answered as received).
	Ignored string
}

// contactWide reports whether the receipt changes the contact itself
// (consent or groups), so that it applies even without a message of ours.
func (r Receipt) contactWide() bool {
	return r.WithdrawConsent || r.GrantConsent || r.Group != ""
}

// EmailReceipts turns the events of an e-mail provider's webhook request
// into receipts. Hard bounces, spam complaints and unsubscribes withdraw
// the contact's email consent, a recipient's own resubscribe grants it
// again; a group unsubscribe or resubscribe changes that group only.
func EmailReceipts(provider string, evs []emailevents.Event) []Receipt {
	rs := make([]Receipt, 0, len(evs))
	for _, ev := range evs {
		if ev.Ignored != "" {
			rs = append(rs, Receipt{Provider: provider, Kind: ev.Type, Ignored: ev.Ignored})
			continue
		}
		_, kind, _ := strings.Cut(ev.Type, ".")
		r := Receipt{Provider: provider, EventID: ev.ProviderEventID, Kind: kind, OurMessageID: ev.OurMessageID,
			Data: ev.Data, Group: ev.Group, Email: strings.ToLower(strings.TrimSpace(ev.Email))}
		if ev.Group == "" {
			r.WithdrawConsent = ev.HardBounce || ev.Type == emailevents.Complained || ev.Type == emailevents.Unsubscribed
			r.GrantConsent = ev.Type == emailevents.Resubscribed && ev.ByRecipient
		}
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
	// Unmatched is true when the receipt is about no message of ours
	// (and, for a consent or group change, about no known contact).
	Unmatched bool
	// ContactID is the known contact a consent or group change about no
	// message of ours was applied to (found by the event's address).
	ContactID string
	// Ignored is true for a vendor event we do not record.
	Ignored bool
}

// RecordProviderReceipts records the receipts of one webhook request, in
// order: for each it finds the message the vendor event is about and
// records the event once per provider event id (the message's status and
// history, the consent change, and the contact event channel.kind that
// resumes waiting runs). All of it happens in one transaction, shared with
// other concurrent requests: a failure keeps none of them, and the
// vendor's retry of the request records them all.
//
// A complaint, hard bounce, unsubscribe or resubscribe about no message of
// ours still changes the known contact with the event's address (and gives
// it the contact event). Other receipts about no message of ours are
// marked Unmatched; ignored ones are counted and logged.
func (s *Service) RecordProviderReceipts(ctx context.Context, sink EventSink, rs []Receipt) ([]ReceiptResult, error) {
	out := make([]ReceiptResult, len(rs))
	type pending struct {
		i     int
		m     *storage.MessageRef // nil: about a contact, by address
		dedup string
		data  map[string]any
		event *engine.EventInput
		// contactID is the contact found by address (m is nil).
		contactID string
	}
	todo := make([]pending, 0, len(rs))
	now := s.now().UTC()
	db := s.store.Reader().WithContext(ctx)
	for i, r := range rs {
		if r.Ignored != "" {
			out[i].Ignored = true
			s.ignored(ctx, r)
			continue
		}
		m, err := receiptMessage(db, r)
		if errors.Is(err, storage.ErrNotFound) {
			contactID, err := receiptContact(db, r)
			if err != nil {
				return nil, err
			}
			if contactID == "" {
				out[i].Unmatched = true
				continue
			}
			p := pending{i: i, contactID: contactID, dedup: r.Provider + ":" + r.EventID, data: maps.Clone(r.Data)}
			if p.data == nil {
				p.data = map[string]any{}
			}
			p.data["provider_event_id"], p.data["provider"], p.data["matched_by"] = p.dedup, r.Provider, "address"
			p.data["channel"] = nodes.ChannelEmail
			if sink != nil {
				p.event = &engine.EventInput{ID: p.dedup, Type: nodes.ChannelEmail + "." + r.Kind,
					Contact: storage.ContactRef{ID: contactID}, Data: p.data, OccurredAt: now, Source: "provider:" + r.Provider}
			}
			todo = append(todo, p)
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
	write := func(tx storage.Tx, ingest engine.EventWriter) error {
		for _, p := range todo {
			r := rs[p.i]
			if p.m == nil {
				res, err := applyByAddress(tx, ingest, p.contactID, p.event, r, now)
				if err != nil {
					return err
				}
				out[p.i] = res
				continue
			}
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
			if p.m.ContactID != nil {
				if err := applyToContact(tx, *p.m.ContactID, p.m.Channel, r, now); err != nil {
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
		err = s.store.Write(ctx, func(tx storage.Tx) error { return write(tx, nil) })
	} else {
		err = sink.IngestEventsWith(ctx, write)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyByAddress records a contact-wide receipt about no message of ours
// on the contact found by its address: the contact event first (a resent
// event is a duplicate and changes nothing), then consent or groups.
func applyByAddress(tx storage.Tx, ingest engine.EventWriter, contactID string, ev *engine.EventInput, r Receipt, now time.Time) (ReceiptResult, error) {
	out := ReceiptResult{ContactID: contactID}
	if ev != nil && ingest != nil {
		res, err := ingest(*ev)
		if err != nil {
			return out, err
		}
		if res.Duplicate {
			out.Duplicate = true
			return out, nil
		}
	}
	return out, applyToContact(tx, contactID, nodes.ChannelEmail, r, now)
}

// applyToContact makes the contact-wide change a receipt carries: one
// unsubscribe group, or the channel's consent.
func applyToContact(tx storage.Tx, contactID, channel string, r Receipt, now time.Time) error {
	switch {
	case r.Group != "":
		return storage.SetUnsubscribedGroup(tx, contactID, r.Group, r.Kind == EventUnsubscribed, now)
	case r.WithdrawConsent:
		return storage.SetConsent(tx, contactID, channel, false, now)
	case r.GrantConsent:
		return storage.SetConsent(tx, contactID, channel, true, now)
	}
	return nil
}

// receiptContact returns the known (real) contact with the receipt's
// address when the receipt changes a contact, or "".
func receiptContact(db storage.Tx, r Receipt) (string, error) {
	if r.Email == "" || !r.contactWide() {
		return "", nil
	}
	return storage.ContactIDByEmail(db, r.Email, false)
}

// ignored counts and logs a vendor event we do not record. Events skipped
// by design (SendGrid's processed...) arrive for every email: only unknown
// ones are worth an info line.
func (s *Service) ignored(ctx context.Context, r Receipt) {
	s.cfg.Metrics.ProviderEventIgnored(r.Provider, r.Ignored)
	level := slog.LevelDebug
	if r.Ignored == emailevents.IgnoredUnknown {
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "a provider event was ignored", "provider", r.Provider, "event", r.Kind, "reason", r.Ignored)
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
func receiptMessage(db storage.Tx, r Receipt) (*storage.MessageRef, error) {
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
