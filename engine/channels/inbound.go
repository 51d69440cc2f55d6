package channels

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
)

// Opt keywords of an inbound message (see Keyword).
const (
	KeywordStop  = "stop"
	KeywordStart = "start"
	KeywordHelp  = "help"
)

// Keyword returns the opt keyword a whole message is (case and surrounding
// spaces or full stops ignored): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END and
// QUIT are KeywordStop; START and UNSTOP KeywordStart; HELP KeywordHelp;
// "" for any other text ("stop calling me at night" is a message, not an
// opt-out), as carriers match them.
func Keyword(text string) string {
	switch strings.ToUpper(strings.Trim(text, " \t\r\n.!")) {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT":
		return KeywordStop
	case "START", "UNSTOP":
		return KeywordStart
	case "HELP":
		return KeywordHelp
	}
	return ""
}

// keywordEvents names the contact event of each keyword (after the
// channel: sms.opted_out...).
var keywordEvents = map[string]string{KeywordStop: "opted_out", KeywordStart: "opted_in", KeywordHelp: "help_requested"}

// Inbound is something a contact sent us on a channel: a message (which
// becomes channel.received), an opt keyword, or both.
type Inbound struct {
	// Provider names the webhook (twilio, whatsapp).
	Provider string
	// Channel is sms or whatsapp.
	Channel string
	// EventID is the vendor's message id: a resent webhook is stored once.
	EventID string
	// From is the sender's E.164 phone number: the contact is found by
	// it, and created when unknown.
	From string
	To   string
	// Message is false for a choice that is no message (WhatsApp's
	// marketing opt-out): only the keyword's event is recorded.
	Message bool
	Text    string
	// ReplyID is the tapped button's payload or list row's id.
	ReplyID string
	// ReplyTo is the vendor id of our message this one answers.
	ReplyTo string
	// Keyword is one of the Keyword* constants or "".
	Keyword string
	// SentAt is when the vendor says the contact sent it (zero if unknown).
	SentAt time.Time
	// Data holds more details for the event (the sender's profile name...).
	Data map[string]any
}

// InboundResult says what an inbound item did.
type InboundResult struct {
	ContactID string
	Duplicate bool
	// Erased is true when the sender is a person whose data was erased:
	// nothing about them is stored (no contact is created again).
	Erased bool
}

// RecordInbound stores what contacts sent, in one transaction: for each
// item its channel.received event (resuming runs that wait for a reply and
// starting journeys it triggers), and for an opt keyword the event
// channel.opted_out / opted_in / help_requested with the channel's consent
// turned off or on. A resent item is recorded once and changes nothing;
// an item from an erased person is dropped (InboundResult.Erased).
func (s *Service) RecordInbound(ctx context.Context, sink EventSink, items []Inbound) ([]InboundResult, error) {
	out := make([]InboundResult, len(items))
	replyTo := make([]*storage.MessageRef, len(items))
	for i, it := range items {
		if it.ReplyTo == "" {
			continue
		}
		m, err := storage.MessageRefByProviderID(s.store.Reader().WithContext(ctx), it.ReplyTo)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		replyTo[i] = m
	}
	err := sink.IngestEventsWith(ctx, func(tx storage.Tx, ingest engine.EventWriter) error {
		now := s.now().UTC()
		for i, it := range items {
			res, err := recordInbound(tx, ingest, it, replyTo[i], now)
			if errors.Is(err, storage.ErrErased) {
				// Refused before anything was written: the rest goes on.
				out[i] = InboundResult{Erased: true}
				continue
			}
			if err != nil {
				return err
			}
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// recordInbound records one item in tx.
func recordInbound(tx storage.Tx, ingest engine.EventWriter, it Inbound, replyTo *storage.MessageRef, now time.Time) (InboundResult, error) {
	var out InboundResult
	contact := storage.ContactRef{Phone: it.From}
	dedup := it.Provider + ":" + it.EventID
	source := "provider:" + it.Provider
	if it.Message {
		res, err := ingest(engine.EventInput{ID: dedup, Type: it.Channel + ".received", Contact: contact,
			Data: inboundData(it, replyTo), Source: source})
		if err != nil || res.Duplicate {
			return InboundResult{ContactID: res.ContactID, Duplicate: res.Duplicate}, err
		}
		out.ContactID = res.ContactID
		contact = storage.ContactRef{ID: res.ContactID}
	}
	suffix, ok := keywordEvents[it.Keyword]
	if !ok {
		return out, nil
	}
	data := map[string]any{"keyword": strings.ToUpper(it.Keyword), "text": it.Text, "provider": it.Provider, "from": it.From}
	for k, v := range it.Data {
		data[k] = v
	}
	res, err := ingest(engine.EventInput{ID: dedup + ":" + it.Keyword, Type: it.Channel + "." + suffix, Contact: contact, Data: data, Source: source})
	if err != nil || res.Duplicate {
		return InboundResult{ContactID: res.ContactID, Duplicate: res.Duplicate}, err
	}
	out.ContactID = res.ContactID
	if it.Keyword == KeywordHelp {
		return out, nil
	}
	return out, storage.SetConsent(tx, res.ContactID, it.Channel, it.Keyword == KeywordStart, now)
}

// inboundData is the data of a channel.received event.
func inboundData(it Inbound, replyTo *storage.MessageRef) map[string]any {
	data := map[string]any{"text": it.Text, "provider": it.Provider, "provider_message_id": it.EventID,
		"channel": it.Channel, "from": it.From}
	for k, v := range it.Data {
		data[k] = v
	}
	if it.To != "" {
		data["to"] = it.To
	}
	if it.ReplyID != "" {
		data["reply_id"] = it.ReplyID
	}
	if !it.SentAt.IsZero() {
		data["sent_at"] = it.SentAt.UTC().Format(time.RFC3339)
	}
	if it.ReplyTo != "" {
		data["reply_to"] = it.ReplyTo
	}
	if replyTo != nil {
		data["reply_to_message_id"] = replyTo.ID
		if replyTo.FlowID != "" {
			data["flow_id"] = replyTo.FlowID
		}
	}
	return data
}
