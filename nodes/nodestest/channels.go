package nodestest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/journeyhq/journey/nodes"
)

// Message is a message as the fake outbox keeps it.
type Message struct {
	nodes.Draft
	ID         string
	ProviderID string
	CreatedAt  time.Time
	// History lists every status the message had, in order.
	History []string
}

// Channels is a recording in-memory nodes.Channels. Like the real outbox
// it keeps one message per key. Senders are registered per credential id;
// the empty id is the sandbox.
type Channels struct {
	mu       sync.Mutex
	Messages []*Message
	senders  map[string]nodes.Sender
	// Now stamps new messages.
	Now func() time.Time
	// Prepared counts PrepareEmail calls per message id, and Tracked
	// those asking for tracking.
	Prepared map[string]int
	Tracked  map[string]bool
	// FailUpdates makes the next n Update calls fail, as a crash right
	// after a vendor call would lose the update.
	FailUpdates int
}

// NewChannels returns an empty fake outbox.
func NewChannels(now func() time.Time) *Channels {
	return &Channels{senders: map[string]nodes.Sender{}, Now: now, Prepared: map[string]int{}, Tracked: map[string]bool{}}
}

// AddSender makes credential id send through s.
func (f *Channels) AddSender(id string, s nodes.Sender) { f.senders[id] = s }

// Record implements nodes.Channels.
func (f *Channels) Record(_ context.Context, d nodes.Draft) (nodes.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.Messages {
		if m.Key == d.Key {
			return nodes.Message{ID: m.ID, Status: m.Status, Reason: m.Reason, ProviderID: m.ProviderID}, nil
		}
	}
	m := &Message{Draft: d, ID: fmt.Sprintf("m%d", len(f.Messages)+1), CreatedAt: f.Now(), History: []string{d.Status}}
	f.Messages = append(f.Messages, m)
	return nodes.Message{ID: m.ID, Status: m.Status, Reason: m.Reason}, nil
}

// Update implements nodes.Channels.
func (f *Channels) Update(_ context.Context, id string, u nodes.MessageUpdate) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.FailUpdates > 0 {
		f.FailUpdates--
		return fmt.Errorf("update %s: the process stopped", id)
	}
	for _, m := range f.Messages {
		if m.ID == id {
			if u.Status != "" {
				m.Status = u.Status
				m.History = append(m.History, u.Status)
			}
			if u.Reason != "" {
				m.Reason = u.Reason
			}
			if u.ProviderID != "" {
				m.ProviderID = u.ProviderID
			}
			return nil
		}
	}
	return fmt.Errorf("no message %s", id)
}

// Sender implements nodes.Channels.
func (f *Channels) Sender(_ context.Context, _, credentialID string) (nodes.Sender, error) {
	if credentialID == "" {
		return nodes.Sender{Provider: nodes.ProviderSandbox}, nil
	}
	s, ok := f.senders[credentialID]
	if !ok {
		return nodes.Sender{}, nodes.Permanentf("the account %q no longer exists", credentialID)
	}
	return s, nil
}

// RecentSends implements nodes.Channels.
func (f *Channels) RecentSends(_ context.Context, contactID, channel string, since time.Time, limit int) ([]time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Time
	for _, m := range f.Messages {
		if m.ContactID == contactID && m.Channel == channel && m.CreatedAt.After(since) &&
			slices.Contains([]string{nodes.StatusSent, nodes.StatusSandboxed}, m.Status) {
			out = append(out, m.CreatedAt)
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// PrepareEmail implements nodes.Channels: it marks the email so tests can
// see it was prepared.
func (f *Channels) PrepareEmail(id string, e *nodes.Email, track bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Prepared[id]++
	f.Tracked[id] = track
	if e.Headers == nil {
		e.Headers = map[string]string{}
	}
	e.Headers["List-Unsubscribe"] = "<https://example.test/u/" + id + ">"
}

// Sent is one message a fake sender got.
type Sent struct {
	Channel string
	To      string
	Body    string
	Subject string
	Headers map[string]string
}

// Sender is a recording fake of the three sender interfaces. Errs are
// returned by the next calls, one per call, before any success.
type Sender struct {
	mu   sync.Mutex
	Sent []Sent
	Errs []error
}

func (s *Sender) take(m Sent) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.Errs) > 0 {
		err := s.Errs[0]
		s.Errs = s.Errs[1:]
		return "", err
	}
	s.Sent = append(s.Sent, m)
	return fmt.Sprintf("prov-%d", len(s.Sent)), nil
}

// SendEmail implements nodes.EmailSender.
func (s *Sender) SendEmail(_ context.Context, e nodes.Email) (string, error) {
	return s.take(Sent{Channel: nodes.ChannelEmail, To: e.To, Body: e.Text, Subject: e.Subject, Headers: e.Headers})
}

// SendSMS implements nodes.SMSSender.
func (s *Sender) SendSMS(_ context.Context, m nodes.SMS) (string, error) {
	return s.take(Sent{Channel: nodes.ChannelSMS, To: m.To, Body: m.Body})
}

// SendWhatsApp implements nodes.WhatsAppSender.
func (s *Sender) SendWhatsApp(_ context.Context, m nodes.WhatsApp) (string, error) {
	return s.take(Sent{Channel: nodes.ChannelWhatsApp, To: m.To, Body: m.Body})
}

// Interface guards.
var (
	_ nodes.Channels       = (*Channels)(nil)
	_ nodes.EmailSender    = (*Sender)(nil)
	_ nodes.SMSSender      = (*Sender)(nil)
	_ nodes.WhatsAppSender = (*Sender)(nil)
)
