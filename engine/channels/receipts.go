package channels

import (
	"context"
	"encoding/json"
	"errors"
	"maps"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/engine"
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

// ReceiptResult says what happened to a receipt.
type ReceiptResult struct {
	MessageID string
	// Duplicate is true when the same provider event was recorded before.
	Duplicate bool
}

// RecordProviderReceipt finds the message a vendor event is about and
// records the event once per provider event id: the message's status and
// history, the consent change, and the contact event (channel.kind) that
// resumes waiting runs. An event about no message of ours gives
// storage.ErrNotFound.
func (s *Service) RecordProviderReceipt(ctx context.Context, sink EventSink, r Receipt) (ReceiptResult, error) {
	m, err := s.receiptMessage(ctx, r)
	if err != nil {
		return ReceiptResult{}, err
	}
	dedup := r.Provider + ":" + r.EventID
	data := maps.Clone(r.Data)
	if data == nil {
		data = map[string]any{}
	}
	data["provider_event_id"] = dedup
	now := s.now().UTC()
	duplicate := false
	err = s.store.Write(ctx, func(tx *gorm.DB) error {
		cur, err := storage.GetMessage(tx, m.ID)
		if err != nil {
			return err
		}
		var evs []storage.MessageEvent
		_ = json.Unmarshal([]byte(cur.Events), &evs)
		for _, e := range evs {
			if e.Data != nil && e.Data["provider_event_id"] == dedup {
				duplicate = true
				return nil
			}
		}
		if _, err := storage.UpdateMessage(tx, m.ID, storage.MessageChange{
			Status: nextStatus(cur.Status, r.Kind),
			Event:  &storage.MessageEvent{Type: r.Kind, At: now, Data: data},
		}, now); err != nil {
			return err
		}
		if r.WithdrawConsent && m.ContactID != nil {
			return storage.SetConsent(tx, *m.ContactID, m.Channel, false, now)
		}
		return nil
	})
	res := ReceiptResult{MessageID: m.ID, Duplicate: duplicate}
	if err != nil || duplicate || m.ContactID == nil || sink == nil {
		return res, err
	}
	evData := maps.Clone(data)
	evData["message_id"], evData["channel"], evData["provider"] = m.ID, m.Channel, m.Provider
	if m.FlowID != "" {
		evData["flow_id"] = m.FlowID
	}
	_, err = sink.IngestEvent(ctx, engine.EventInput{ID: dedup, Type: m.Channel + "." + r.Kind,
		Contact: storage.ContactRef{ID: *m.ContactID}, Data: evData, OccurredAt: now, Source: "provider:" + r.Provider})
	return res, err
}

// receiptMessage finds the message of a receipt.
func (s *Service) receiptMessage(ctx context.Context, r Receipt) (*storage.Message, error) {
	db := s.store.Reader().WithContext(ctx)
	if r.OurMessageID != "" {
		m, err := storage.GetMessage(db, r.OurMessageID)
		if err == nil || !errors.Is(err, storage.ErrNotFound) {
			return m, err
		}
	}
	for _, id := range r.ProviderIDs {
		if id == "" {
			continue
		}
		m, err := storage.MessageByProviderID(db, id)
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
