package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// EventSink ingests contact events (the engine): they are stored once and
// resume the runs waiting for them.
type EventSink interface {
	IngestEvent(ctx context.Context, in engine.EventInput) (engine.EventResult, error)
	// IngestEventsWith stores events in one transaction with the caller's
	// own writes (see engine.Engine.IngestEventsWith).
	IngestEventsWith(ctx context.Context, fn func(tx storage.Tx, ingest engine.EventWriter) error) error
}

// Message event kinds (the contact event is channel + "." + kind).
const (
	EventDelivered    = "delivered"
	EventOpened       = "opened"
	EventClicked      = "clicked"
	EventRead         = "read"
	EventFailed       = "failed"
	EventUndelivered  = "undelivered"
	EventBounced      = "bounced"
	EventUnsubscribed = "unsubscribed"
)

// simulatable lists, per channel, the events the sandbox can simulate.
var simulatable = map[string][]string{
	nodes.ChannelEmail:    {EventDelivered, EventOpened, EventClicked, EventFailed, EventUndelivered, EventBounced},
	nodes.ChannelSMS:      {EventDelivered, EventFailed, EventUndelivered},
	nodes.ChannelWhatsApp: {EventDelivered, EventRead, EventFailed, EventUndelivered},
}

// progress ranks statuses: a receipt never moves a message backwards.
var progress = map[string]int{
	storage.MessageQueued: 0, storage.MessageDelayed: 0, storage.MessageSkipped: 0,
	storage.MessageSandboxed: 1, storage.MessageSent: 1,
	storage.MessageDelivered: 2, storage.MessageRead: 3, storage.MessageOpened: 3, storage.MessageClicked: 4,
}

// nextStatus is the status after event kind.
func nextStatus(current, kind string) string {
	switch kind {
	case EventFailed, EventUndelivered, EventBounced:
		if progress[current] <= 1 {
			return kind
		}
		return current
	case EventDelivered, EventOpened, EventClicked, EventRead:
		if r, ok := progress[current]; ok && progress[kind] > r {
			return kind
		}
	}
	return current
}

// Simulate records a delivery event for a sandbox message, as a vendor's
// receipt would, so a journey can be walked without vendor accounts.
func (s *Service) Simulate(ctx context.Context, sink EventSink, id, kind string) (*storage.Message, error) {
	m, err := storage.GetMessage(s.store.Reader().WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	if m.Provider != nodes.ProviderSandbox {
		return nil, &InputError{Message: fmt.Sprintf("Only sandbox messages can be simulated; this one went through %s.", m.Provider)}
	}
	if m.Status == storage.MessageSkipped || m.Status == storage.MessageDelayed || m.Status == storage.MessageQueued ||
		m.Status == storage.MessageFailed {
		return nil, &InputError{Message: fmt.Sprintf("This message was %s, not sent, so nothing can happen to it.", m.Status)}
	}
	allowed := simulatable[m.Channel]
	if len(allowed) == 0 { // Slack posts
		return nil, &InputError{Message: "A Slack post gets no delivery, open or read events, so there is nothing to simulate."}
	}
	if !slices.Contains(allowed, kind) {
		return nil, &InputError{Message: fmt.Sprintf("%q cannot happen to %s messages; use one of %v.", kind, m.Channel, allowed)}
	}
	return s.recordEvent(ctx, sink, m, kind, map[string]any{"simulated": true})
}

// Track records the open or click of a verified tracking link and returns
// the link (a click's URL is where to redirect).
func (s *Service) Track(ctx context.Context, sink EventSink, token string) (Link, error) {
	l, err := s.Verify(token)
	if err != nil || (l.Kind != LinkOpen && l.Kind != LinkClick) {
		return Link{}, ErrBadToken
	}
	m, err := storage.GetMessage(s.store.Reader().WithContext(ctx), l.MessageID)
	if errors.Is(err, storage.ErrNotFound) {
		return Link{}, ErrBadToken // the message was erased with its contact
	}
	if err != nil {
		return Link{}, err
	}
	kind, data := EventOpened, map[string]any{}
	if l.Kind == LinkClick {
		kind, data = EventClicked, map[string]any{"url": l.URL}
	}
	_, err = s.recordEvent(ctx, sink, m, kind, data)
	return l, err
}

// Unsubscribe withdraws the email consent of a verified unsubscribe
// link's contact and records email.unsubscribed. A second use changes
// nothing more.
func (s *Service) Unsubscribe(ctx context.Context, sink EventSink, token string) error {
	l, err := s.Verify(token)
	if err != nil || l.Kind != LinkUnsubscribe {
		return ErrBadToken
	}
	m, err := storage.GetMessage(s.store.Reader().WithContext(ctx), l.MessageID)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrBadToken
	}
	if err != nil {
		return err
	}
	var evs []storage.MessageEvent
	_ = json.Unmarshal([]byte(m.Events), &evs)
	for _, e := range evs {
		if e.Type == EventUnsubscribed {
			return nil
		}
	}
	_, err = s.recordEvent(ctx, sink, m, EventUnsubscribed, map[string]any{})
	return err
}

// recordEvent updates the message and its history, withdraws consent on
// an unsubscribe, then ingests the contact event (channel.kind) so that
// waiting runs resume.
func (s *Service) recordEvent(ctx context.Context, sink EventSink, m *storage.Message, kind string, data map[string]any) (*storage.Message, error) {
	now := s.now().UTC()
	var updated *storage.Message
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		cur, err := storage.GetMessage(tx, m.ID)
		if err != nil {
			return err
		}
		next := nextStatus(cur.Status, kind)
		updated, err = storage.UpdateMessage(tx, m.ID, storage.MessageChange{
			Status: next, Reason: statusReason(cur.Status, next, m.Provider, data),
			Event: &storage.MessageEvent{Type: kind, At: now, Data: data},
		}, now)
		if err != nil {
			return err
		}
		if kind == EventUnsubscribed && m.ContactID != nil {
			return storage.SetConsent(tx, *m.ContactID, m.Channel, false, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.ContactID == nil || sink == nil {
		return updated, nil
	}
	evData := maps.Clone(data)
	evData["message_id"], evData["channel"], evData["provider"] = m.ID, m.Channel, m.Provider
	if m.FlowID != "" {
		evData["flow_id"] = m.FlowID
	}
	_, err = sink.IngestEvent(ctx, engine.EventInput{Type: m.Channel + "." + kind,
		Contact: storage.ContactRef{ID: *m.ContactID}, Data: evData, OccurredAt: now, Source: "channels"})
	if err != nil {
		return nil, fmt.Errorf("record %s.%s: %w", m.Channel, kind, err)
	}
	return updated, nil
}

// mustEvents encodes a message history.
func mustEvents(evs ...storage.MessageEvent) string {
	b, err := json.Marshal(evs)
	if err != nil {
		return "[]"
	}
	return string(b)
}
