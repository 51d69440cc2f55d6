// Package channels is the message outbox and the vendor accounts behind
// the message node types: it records every message once per idempotency
// key, keeps messages of channels without an account in a sandbox,
// resolves credentials (stored sealed with AES-GCM) into senders, signs
// the tracking and unsubscribe links of emails, and turns delivery
// receipts, simulated events, opens, clicks and unsubscribes into contact
// events that resume waiting runs.
package channels

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// ConnectorFunc builds the sender of a credential kind from the
// credential's values (secrets included). Vendor clients register one per
// kind (twilio, whatsapp) in main.
type ConnectorFunc func(values map[string]string) (nodes.Sender, error)

// Config configures a Service. Store and SecretKey are required.
type Config struct {
	Store *storage.Store
	// SecretKey seals credentials and, through a derived key, signs
	// tracking links (storage.SecretKeySize bytes).
	SecretKey []byte
	// PublicURL is where contacts reach this server (tracking links),
	// e.g. https://journeys.example.com.
	PublicURL string
	// Now tells the time (default: the wall clock, UTC).
	Now func() time.Time
	// Connectors build senders for credential kinds other than smtp.
	Connectors map[string]ConnectorFunc
	// Accounts build the clients of the credential kinds that CRM, list
	// and integration steps use (see VendorAccounts).
	Accounts map[string]AccountFunc
	// OAuthClient calls vendors' token endpoints when an OAuth credential
	// connects (nil: one with the address guard, no private addresses).
	OAuthClient *http.Client
	// HTTP makes http.request calls without a credential (nil: refused).
	HTTP nodes.HTTPCaller
	// SMTPTimeout bounds an SMTP conversation (default 20s).
	SMTPTimeout time.Duration
	// SMTPInsecureSkipVerify accepts any TLS certificate (tests only).
	SMTPInsecureSkipVerify bool
	// SMTPAllowPrivate lets SMTP credentials reach loopback, private and
	// link-local hosts (local relays, tests); like --http-allow-private.
	SMTPAllowPrivate bool
	Logger           *slog.Logger
	// Metrics counts messages by channel and outcome (nil: not counted).
	Metrics *engine.Metrics
}

// Service implements nodes.Channels and the credential and message
// operations of the API.
type Service struct {
	cfg      Config
	store    *storage.Store
	box      *storage.SecretBox
	linkKey  []byte
	now      func() time.Time
	log      *slog.Logger
	endpoint string
	// events stores the channel.sent contact events (unset: none are
	// recorded); the engine sets it (UseEvents), perhaps while another
	// engine sharing this outbox sends: hence atomic.
	events atomic.Pointer[eventRecorder]
	// locks serializes secret updates (token refreshes) per credential.
	locks secretLocks
}

// eventRecorder holds the engine's recorder (an interface cannot be
// stored in an atomic.Pointer directly).
type eventRecorder struct{ engine.EventRecorder }

// UseEvents implements engine.EventsUser: when a vendor accepts a message,
// or the sandbox keeps it, the contact gets channel.sent, in the same
// transaction as the message's status.
func (s *Service) UseEvents(r engine.EventRecorder) { s.events.Store(&eventRecorder{r}) }

// recorder is the engine's event recorder, or nil before UseEvents.
func (s *Service) recorder() engine.EventRecorder {
	if r := s.events.Load(); r != nil {
		return r.EventRecorder
	}
	return nil
}

// eventWriter stores a contact event inside the caller's transaction.
type eventWriter = engine.EventWriter

// write runs fn in a transaction; with withEvents (and an event recorder),
// fn may store contact events in it too. fn may run again after a
// rollback: it must start over each time.
func (s *Service) write(ctx context.Context, withEvents bool, fn func(tx storage.Tx, ingest eventWriter) error) error {
	r := s.recorder()
	if !withEvents || r == nil {
		return s.store.Write(ctx, func(tx storage.Tx) error { return fn(tx, nil) })
	}
	return r.IngestEventsWith(ctx, fn)
}

// sentChannels are the contact channels whose sends are contact events
// (a Slack post is not sent to the contact).
var sentChannels = map[string]bool{nodes.ChannelEmail: true, nodes.ChannelSMS: true, nodes.ChannelWhatsApp: true}

// EventSent is the kind of channel.sent, recorded by the outbox itself.
const EventSent = "sent"

// recordSent stores channel.sent for m's contact, once per message.
func (s *Service) recordSent(m *storage.Message, ingest eventWriter) error {
	if ingest == nil || m == nil || m.ContactID == nil || !sentChannels[m.Channel] {
		return nil
	}
	data := map[string]any{"message_id": m.ID, "channel": m.Channel, "provider": m.Provider}
	if m.NodeID != "" {
		data["step"] = m.NodeID
	}
	if m.FlowID != "" {
		data["journey"] = m.FlowID
	}
	_, err := ingest(engine.EventInput{ID: "sent:" + m.ID, Type: m.Channel + "." + EventSent,
		Contact: storage.ContactRef{ID: *m.ContactID}, Data: data, OccurredAt: s.now().UTC(), Source: "channels"})
	var ie *engine.InputError
	if errors.As(err, &ie) {
		// The contact was erased meanwhile: the message's status still counts.
		s.log.Warn("no sent event: the message's contact is gone", "message_id", m.ID)
		return nil
	}
	return err
}

// sends reports whether a change makes a message sent (or sandboxed).
func sends(status string, sent bool) bool { return sent || status == nodes.StatusSandboxed }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("channels: Store is required")
	}
	box, err := storage.NewSecretBox(cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SMTPTimeout <= 0 {
		cfg.SMTPTimeout = 20 * time.Second
	}
	mac := hmac.New(sha256.New, cfg.SecretKey)
	mac.Write([]byte("journey tracking links v1"))
	return &Service{cfg: cfg, store: cfg.Store, box: box, linkKey: mac.Sum(nil), now: cfg.Now, log: cfg.Logger,
		endpoint: strings.TrimRight(cfg.PublicURL, "/")}, nil
}

// Record implements nodes.Channels.
func (s *Service) Record(ctx context.Context, d nodes.Draft) (nodes.Message, error) {
	var out nodes.Message
	err := s.write(ctx, sends(d.Status, false), func(tx storage.Tx, ingest eventWriter) error {
		var err error
		out, err = s.record(tx, d, ingest)
		return err
	})
	return out, err
}

func (s *Service) record(tx storage.Tx, d nodes.Draft, ingest eventWriter) (nodes.Message, error) {
	stored, err := s.insert(tx, s.message(d), ingest)
	if err != nil {
		return nodes.Message{}, err
	}
	return answer(stored), nil
}

// message is the row a draft records.
func (s *Service) message(d nodes.Draft) *storage.Message {
	now := s.now().UTC()
	m := &storage.Message{
		IdemKey: d.Key, Channel: d.Channel, Provider: d.Provider, CredentialID: d.CredentialID, Status: d.Status,
		Reason: d.Reason, To: d.To, Subject: d.Subject, BodyText: d.Text, BodyHTML: d.HTML,
		RunID: d.RunID, NodeID: d.NodeID, FlowID: d.FlowID, CreatedAt: now, UpdatedAt: now,
		Events: mustEvents(storage.MessageEvent{Type: d.Status, At: now, Data: reasonData(d.Reason)}),
	}
	if d.ContactID != "" {
		id := d.ContactID
		m.ContactID = &id
	}
	return m
}

// insert records m unless a message holds its key, and returns the
// message that holds it.
func (s *Service) insert(tx storage.Tx, m *storage.Message, ingest eventWriter) (*storage.Message, error) {
	stored, inserted, err := storage.InsertMessage(tx, m)
	if err != nil {
		return nil, err
	}
	if inserted {
		s.cfg.Metrics.MessageOutcome(stored.Channel, stored.Status)
		if sends(stored.Status, false) {
			if err := s.recordSent(stored, ingest); err != nil {
				return nil, err
			}
		}
	}
	return stored, nil
}

// answer is what a step is told of a recorded message.
func answer(m *storage.Message) nodes.Message {
	out := nodes.Message{ID: m.ID, Status: m.Status, Reason: m.Reason}
	if m.ProviderID != nil {
		out.ProviderID = *m.ProviderID
	}
	return out
}

// Update implements nodes.Channels.
func (s *Service) Update(ctx context.Context, id string, u nodes.MessageUpdate) error {
	return s.write(ctx, sends(u.Status, u.Sent), func(tx storage.Tx, ingest eventWriter) error { return s.update(tx, id, u, ingest) })
}

func (s *Service) update(tx storage.Tx, id string, u nodes.MessageUpdate, ingest eventWriter) error {
	now := s.now().UTC()
	ch := storage.MessageChange{Status: u.Status, Reason: u.Reason, ProviderID: u.ProviderID,
		Event: &storage.MessageEvent{Type: u.Status, At: now, Data: reasonData(u.Reason)}}
	if u.Sent {
		ch.SentAt = now
	}
	m, err := storage.UpdateMessage(tx, id, ch, now)
	if err != nil {
		return err
	}
	if u.Status != "" {
		s.cfg.Metrics.MessageOutcome(m.Channel, u.Status)
	}
	if sends(u.Status, u.Sent) {
		return s.recordSent(m, ingest)
	}
	return nil
}

// Bind implements engine.ChannelsBinder: the outbox of a message step that
// calls no vendor (every channel in the sandbox), inside the step's
// transaction. Its messages are written with the step that recorded them,
// when the engine records it (nothing when the step fails), and the step
// needs no transaction of its own per message.
func (s *Service) Bind(tx storage.Tx, newVisit bool, queue func(what string, do func(tx storage.Tx) error)) nodes.Channels {
	return &stepOutbox{s: s, tx: tx, newVisit: newVisit, queue: queue}
}

// stepOutbox is the outbox bound to a step's transaction.
type stepOutbox struct {
	s  *Service
	tx storage.Tx
	// newVisit: the step never ran before, so no message holds its key.
	newVisit bool
	queue    func(what string, do func(tx storage.Tx) error)
	// recorded are the messages the step recorded.
	recorded []*storage.Message
}

// Record answers with the message recorded under the draft's key, if any
// (a replay writes nothing), or else with the new message, queued.
func (o *stepOutbox) Record(ctx context.Context, d nodes.Draft) (nodes.Message, error) {
	if d.Key == "" {
		return nodes.Message{}, errors.New("insert message: an idempotency key is required")
	}
	for _, m := range o.recorded {
		if m.IdemKey == d.Key {
			return answer(m), nil // asked for earlier in the step
		}
	}
	if !o.newVisit {
		prev, err := storage.MessageStateByKey(o.tx.WithContext(ctx), d.Key)
		if err == nil {
			return answer(prev), nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nodes.Message{}, err
		}
	}
	m := o.s.message(d)
	m.ID = storage.NewID()
	o.recorded = append(o.recorded, m)
	o.queue("message "+m.ID+" "+m.Channel+" "+m.Status, func(tx storage.Tx) error {
		stored, err := o.s.insert(tx.WithContext(ctx), m, o.ingest(ctx, tx))
		if err == nil && stored.ID != m.ID {
			err = fmt.Errorf("message %s: %s holds its key: %w", m.ID, stored.ID, storage.ErrConflict)
		}
		return err
	})
	return answer(m), nil
}

// ingest stores contact events in the step's transaction (nil: none).
func (o *stepOutbox) ingest(ctx context.Context, tx storage.Tx) eventWriter {
	r := o.s.recorder()
	if r == nil {
		return nil
	}
	return func(in engine.EventInput) (engine.EventResult, error) { return r.IngestEventTx(ctx, tx, in) }
}

func (o *stepOutbox) Update(ctx context.Context, id string, u nodes.MessageUpdate) error {
	o.queue("message "+id+" "+u.Status, func(tx storage.Tx) error {
		return o.s.update(tx.WithContext(ctx), id, u, o.ingest(ctx, tx))
	})
	return nil
}

// Sender gives the sandbox only: a step with an account calls a vendor, so
// the engine runs it outside any transaction (nodes.Type.RemoteFor).
func (o *stepOutbox) Sender(_ context.Context, channel, credentialID string) (nodes.Sender, error) {
	if credentialID != "" {
		return nodes.Sender{}, nodes.Permanentf("internal error: the %s account was asked for inside the step's transaction", channel)
	}
	return nodes.Sender{Provider: nodes.ProviderSandbox}, nil
}

func (o *stepOutbox) RecentSends(ctx context.Context, contactID, channel string, since time.Time, limit int) ([]time.Time, error) {
	// The transaction also sees the messages of this chunk's other steps.
	return storage.RecentSends(o.tx.WithContext(ctx), contactID, channel, since, limit)
}

func (o *stepOutbox) PrepareEmail(messageID string, e *nodes.Email, track bool) {
	o.s.PrepareEmail(messageID, e, track)
}

// RecentSends implements nodes.Channels.
func (s *Service) RecentSends(ctx context.Context, contactID, channel string, since time.Time, limit int) ([]time.Time, error) {
	return storage.RecentSends(s.store.Reader().WithContext(ctx), contactID, channel, since, limit)
}

// channelKinds maps a channel to the credential kind that sends on it.
var channelKinds = map[string]string{
	nodes.ChannelEmail:    KindSMTP,
	nodes.ChannelSMS:      KindTwilio,
	nodes.ChannelWhatsApp: KindWhatsApp,
}

// Sender implements nodes.Channels.
func (s *Service) Sender(ctx context.Context, channel, credentialID string) (nodes.Sender, error) {
	if credentialID == "" {
		return nodes.Sender{Provider: nodes.ProviderSandbox}, nil
	}
	c, values, err := s.open(ctx, credentialID)
	if errors.Is(err, storage.ErrNotFound) {
		return nodes.Sender{}, nodes.Permanentf("the account %q no longer exists", credentialID)
	}
	if err != nil {
		if errors.Is(err, storage.ErrUnseal) {
			return nodes.Sender{}, nodes.Permanent(err)
		}
		return nodes.Sender{}, err
	}
	if want := channelKinds[channel]; c.Kind != want {
		return nodes.Sender{}, nodes.Permanentf("the account %q is a %s account, which cannot send %s", c.Name, c.Kind, channel)
	}
	if c.Kind == KindSMTP {
		snd, err := s.smtpSender(values)
		if err != nil {
			return nodes.Sender{}, nodes.Permanent(err)
		}
		return nodes.Sender{Provider: KindSMTP, Email: snd}, nil
	}
	build := s.cfg.Connectors[c.Kind]
	if build == nil {
		return nodes.Sender{}, nodes.Permanentf("sending through %s is not available in this build yet", c.Kind)
	}
	snd, err := build(values)
	if err != nil {
		return nodes.Sender{}, nodes.Permanent(err)
	}
	if snd.Provider == "" {
		snd.Provider = c.Kind
	}
	return snd, nil
}

func reasonData(reason string) map[string]any {
	if reason == "" {
		return nil
	}
	return map[string]any{"reason": reason}
}

// Interface guards.
var (
	_ nodes.Channels        = (*Service)(nil)
	_ engine.ChannelsBinder = (*Service)(nil)
	_ engine.EventsUser     = (*Service)(nil)
	_ nodes.Channels        = (*stepOutbox)(nil)
)
