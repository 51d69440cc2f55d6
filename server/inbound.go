package server

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/twilio"
	"github.com/journeyhq/journey/nodes/connectors/whatsapp"
)

// emptyTwiML answers an incoming Twilio message: Twilio reads the answer
// as instructions, and an empty Response sends no reply.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// twilioInbound records a message a contact sent to one of our Twilio
// numbers (posted to the same URL as status callbacks), once its
// signature matches a twilio credential.
func (s *Server) twilioInbound(c *fiber.Ctx, creds []map[string]string, fullURL, signature string, params url.Values) error {
	var in twilio.Inbound
	err := connectors.ErrBadSignature
	for _, v := range creds {
		if sid := params.Get("AccountSid"); sid != "" && v["account_sid"] != sid {
			continue
		}
		if in, err = twilio.ParseInbound(v["auth_token"], fullURL, signature, params); !errors.Is(err, connectors.ErrBadSignature) {
			break
		}
	}
	if err != nil {
		return s.providerError("twilio", err)
	}
	kw := channels.Keyword(in.Body)
	if in.OptOutType != "" {
		// Advanced Opt-Out knows the number's own (custom) keywords too.
		kw = map[string]string{"STOP": channels.KeywordStop, "START": channels.KeywordStart, "HELP": channels.KeywordHelp}[in.OptOutType]
	}
	item := channels.Inbound{Provider: "twilio", Channel: in.Channel, EventID: in.MessageSID, From: in.From, To: in.To,
		Message: true, Text: in.Body, Keyword: kw}
	if in.NumMedia != "" && in.NumMedia != "0" {
		item.Data = map[string]any{"media_count": in.NumMedia}
	}
	res, err := s.cfg.Channels.RecordInbound(c.UserContext(), s.eng, []channels.Inbound{item})
	if err != nil {
		return err
	}
	s.logErased("twilio", res)
	return c.Type("xml").SendString(emptyTwiML)
}

// whatsappInbound records the messages and marketing opt-outs/opt-ins of a
// verified WhatsApp notification.
func (s *Server) whatsappInbound(c *fiber.Ctx, out *receiptsResponse, n whatsapp.Notification) error {
	items := make([]channels.Inbound, 0, len(n.Messages)+len(n.Preferences))
	for _, m := range n.Messages {
		it := channels.Inbound{Provider: "whatsapp", Channel: "whatsapp", EventID: m.ID, From: "+" + m.From,
			Message: true, Text: m.Text, ReplyID: m.ReplyID, ReplyTo: m.ContextID, Keyword: channels.Keyword(m.Text),
			SentAt: m.At, Data: map[string]any{"type": m.Type}}
		if m.Name != "" {
			it.Data["name"] = m.Name
		}
		items = append(items, it)
	}
	for _, p := range n.Preferences {
		kw := channels.KeywordStop
		if p.Value == "resume" {
			kw = channels.KeywordStart
		}
		// Meta gives no id: the choice and its time identify it.
		id := p.WaID + ":" + p.Value + ":" + p.At.Format("20060102150405")
		items = append(items, channels.Inbound{Provider: "whatsapp", Channel: "whatsapp", EventID: id, From: "+" + p.WaID,
			Keyword: kw, Text: p.Detail, SentAt: p.At, Data: map[string]any{"category": p.Category}})
	}
	if len(items) == 0 {
		return nil
	}
	res, err := s.cfg.Channels.RecordInbound(c.UserContext(), s.eng, items)
	if err != nil {
		return err
	}
	s.logErased("whatsapp", res)
	for _, r := range res {
		if r.Erased {
			out.Ignored++
		} else if r.Duplicate {
			out.Duplicates++
		} else {
			out.Recorded++
		}
	}
	return nil
}

// logErased notes the incoming messages dropped because their sender's
// data was erased (acknowledged all the same: the vendor would resend).
func (s *Server) logErased(provider string, res []channels.InboundResult) {
	for _, r := range res {
		if r.Erased {
			s.log.Info("an incoming message from an erased person was dropped", "provider", provider)
		}
	}
}
