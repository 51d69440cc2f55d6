// Package emailevents verifies and normalises e-mail provider webhooks
// (SendGrid Event Webhook, Mailgun, Postmark) into one Event type the
// engine records as contact events (email.delivered, email.opened...).
//
// Errors: connectors.ErrBadSignature (answer 401, keep nothing),
// *connectors.PayloadError (answer 400, only for a body that is not the
// provider's format at all). Events we do not record (processed,
// deferred, temporary failures, types we do not know yet) come back with
// Ignored set, so that they are counted and logged, never refused: a
// refused event is retried by the vendor forever.
package emailevents

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// Providers.
const (
	SendGrid = "sendgrid"
	Mailgun  = "mailgun"
	Postmark = "postmark"
)

// Event types.
const (
	Delivered    = "email.delivered"
	Opened       = "email.opened"
	Clicked      = "email.clicked"
	Bounced      = "email.bounced"
	Complained   = "email.complained"
	Unsubscribed = "email.unsubscribed"
	Resubscribed = "email.resubscribed"
)

// Why an event is ignored (Event.Ignored).
const (
	// IgnoredByDesign: a known event we choose not to record (processed,
	// deferred, a temporary failure, a suppression its own record reports).
	IgnoredByDesign = "not recorded"
	// IgnoredUnknown: an event type we do not know.
	IgnoredUnknown = "unknown event"
)

// CorrelationKey is the custom argument / variable / metadata name that
// carries our own message id through each provider.
const CorrelationKey = "journey_message_id"

// CorrelationHeaders are the SMTP headers that make each provider echo our
// message id back in its webhooks (SendGrid unique_args, Mailgun
// variables, Postmark metadata). Providers ignore the others' headers.
func CorrelationHeaders(ourMessageID string) map[string]string {
	return map[string]string{
		"X-SMTPAPI":                       `{"unique_args":{"` + CorrelationKey + `":"` + jsonEscape(ourMessageID) + `"}}`,
		"X-Mailgun-Variables":             `{"` + CorrelationKey + `":"` + jsonEscape(ourMessageID) + `"}`,
		"X-PM-Metadata-" + CorrelationKey: ourMessageID,
	}
}

// Event is one normalised provider event.
type Event struct {
	Provider string `json:"provider"`
	// ProviderEventID is the de-duplication key, unique per provider.
	ProviderEventID string `json:"provider_event_id"`
	// Type is one of the event type constants.
	Type  string `json:"type"`
	Email string `json:"email"`
	// MessageID is the provider's message id (SendGrid's X-Message-Id
	// prefix, Mailgun's Message-Id, Postmark's MessageID).
	MessageID string `json:"message_id,omitempty"`
	// SMTPMessageID is the RFC 5322 Message-ID header, without <>, when
	// the provider reports it (we may have set it ourselves).
	SMTPMessageID string `json:"smtp_message_id,omitempty"`
	// OurMessageID is the CorrelationKey value when we set it.
	OurMessageID string    `json:"our_message_id,omitempty"`
	At           time.Time `json:"at"`
	// Data holds provider details worth showing (reason, url, ...).
	Data map[string]any `json:"data,omitempty"`
	// HardBounce is true for permanent bounces: stop mailing this address.
	HardBounce bool `json:"hard_bounce,omitempty"`
	// Group is the provider's unsubscribe group (SendGrid's asm_group_id)
	// of a group unsubscribe or resubscribe: only that group changes, not
	// the contact's consent to all email.
	Group string `json:"group,omitempty"`
	// ByRecipient is true when the recipient changed their subscription
	// themselves, so that a resubscribe may turn consent back on.
	ByRecipient bool `json:"by_recipient,omitempty"`
	// Ignored, when set, says why nothing is recorded for the event
	// (IgnoredByDesign, IgnoredUnknown); Type is then the vendor's name.
	Ignored string `json:"ignored,omitempty"`
}

// ignored is an event recorded as ignored, named as the vendor names it.
func ignored(provider, vendorType, why string) Event {
	return Event{Provider: provider, Type: vendorType, Ignored: why}
}

// Secrets are the verification secrets from the provider's credential.
type Secrets struct {
	// SendGridPublicKey is the base64 DER (or PEM) ECDSA key shown in
	// SendGrid's Signed Event Webhook settings.
	SendGridPublicKey string
	// MailgunSigningKey is Mailgun's HTTP webhook signing key.
	MailgunSigningKey string
	// PostmarkUsername/PostmarkPassword are the Basic auth pair put in the
	// webhook URL; PostmarkToken is a shared token sent in
	// PostmarkTokenHeader. At least one must be set.
	PostmarkUsername string
	PostmarkPassword string
	PostmarkToken    string
	// MaxAge, when set, refuses signed SendGrid and Mailgun requests whose
	// timestamp is further than this from Now (replay protection).
	MaxAge time.Duration
	// Now is the clock for MaxAge (zero: time.Now()).
	Now time.Time
}

// fresh checks a Unix-seconds timestamp against MaxAge.
func (s Secrets) fresh(ts string) error {
	if s.MaxAge <= 0 {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return connectors.ErrBadSignature
	}
	now := s.Now
	if now.IsZero() {
		now = time.Now()
	}
	d := now.Sub(time.Unix(n, 0))
	if d < 0 {
		d = -d
	}
	if d > s.MaxAge {
		return fmt.Errorf("the request is older than %s: %w", s.MaxAge, connectors.ErrBadSignature)
	}
	return nil
}

// Parse verifies and parses one webhook request for provider.
func Parse(provider string, s Secrets, header http.Header, body []byte) ([]Event, error) {
	switch provider {
	case SendGrid:
		evs, err := ParseSendGrid(s.SendGridPublicKey, header.Get(SendGridSignatureHeader), header.Get(SendGridTimestampHeader), body)
		if err == nil {
			err = s.fresh(header.Get(SendGridTimestampHeader))
		}
		if err != nil {
			return nil, err
		}
		return evs, nil
	case Mailgun:
		evs, err := ParseMailgun(s.MailgunSigningKey, body)
		if err == nil && s.MaxAge > 0 {
			var p mgPayload
			_ = json.Unmarshal(body, &p)
			err = s.fresh(p.Signature.Timestamp)
		}
		if err != nil {
			return nil, err
		}
		return evs, nil
	case Postmark:
		return ParsePostmark(s, header, body)
	}
	return nil, connectors.Payloadf(provider, "unknown e-mail provider")
}

// contentKey is a stable dedup key for events without a provider id.
func contentKey(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:12])
}

func jsonEscape(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			out = append(out, '\\', r)
		case r < 0x20:
			out = append(out, ' ')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

func floatTime(f float64) time.Time {
	if f <= 0 || f > 1e11 {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC().Truncate(time.Microsecond)
}
