package channels

import (
	"context"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
	"github.com/journeyhq/journey/nodes/connectors/twilio"
	"github.com/journeyhq/journey/nodes/connectors/whatsapp"
)

// ProviderHookPath is where vendors post delivery receipts, under the
// public URL (e.g. /hooks/providers/twilio).
const ProviderHookPath = "/hooks/providers/"

// VendorConnectors returns the senders of the twilio and whatsapp
// credential kinds. Twilio status callbacks go to
// publicURL/hooks/providers/twilio. A credential's base URL passes the
// same private-address guard as http.request unless allowPrivate
// (--http-allow-private: mocks, self-hosted gateways).
func VendorConnectors(publicURL string, allowPrivate bool) map[string]ConnectorFunc {
	callback := strings.TrimRight(publicURL, "/") + ProviderHookPath + KindTwilio
	client := httpreq.GuardedHTTPClient(allowPrivate, connectors.DefaultTimeout)
	return map[string]ConnectorFunc{
		KindTwilio: func(v map[string]string) (nodes.Sender, error) {
			s := &twilioSender{c: &twilio.Client{BaseURL: v["base_url"], AccountSID: v["account_sid"], Password: v["auth_token"], HTTPClient: client},
				from: v["from"], callback: callback}
			if publicURL == "" {
				s.callback = ""
			}
			return nodes.Sender{Provider: KindTwilio, SMS: s}, nil
		},
		KindWhatsApp: func(v map[string]string) (nodes.Sender, error) {
			c := &whatsapp.Client{BaseURL: v["base_url"], Version: v["api_version"], PhoneNumberID: v["phone_number_id"],
				AccessToken: v["access_token"], HTTPClient: client}
			return nodes.Sender{Provider: KindWhatsApp, WhatsApp: whatsappSender{c: c}}, nil
		},
	}
}

// twilioSender sends SMS through Twilio's Messages API.
type twilioSender struct {
	c        *twilio.Client
	from     string
	callback string
}

func (s *twilioSender) SendSMS(ctx context.Context, m nodes.SMS) (string, error) {
	sms := twilio.SMS{To: m.To, Body: m.Body, StatusCallback: s.callback, IdempotencyKey: m.MessageID}
	if strings.HasPrefix(s.from, "MG") {
		sms.MessagingServiceSID = s.from
	} else {
		sms.From = s.from
	}
	out, err := s.c.SendSMS(ctx, sms)
	if err != nil {
		return "", connectors.NodeError(err)
	}
	return out.SID, nil
}

// whatsappSender sends through the WhatsApp Cloud API: a template when
// the step names one, free text otherwise.
type whatsappSender struct{ c *whatsapp.Client }

func (s whatsappSender) SendWhatsApp(ctx context.Context, m nodes.WhatsApp) (string, error) {
	var (
		out whatsapp.Sent
		err error
	)
	if m.Template != "" {
		out, err = s.c.SendTemplate(ctx, whatsapp.Template{To: m.To, Name: m.Template, Language: m.Language, IdempotencyKey: m.MessageID})
	} else {
		out, err = s.c.SendText(ctx, whatsapp.Text{To: m.To, Body: m.Body, IdempotencyKey: m.MessageID})
	}
	if err != nil {
		return "", connectors.NodeError(err)
	}
	return out.MessageID, nil
}
