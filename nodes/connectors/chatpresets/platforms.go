package chatpresets

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

func speakerFor(authorType string) string {
	switch strings.ToLower(authorType) {
	case "user", "lead", "contact", "customer", "visitor", "end-user", "end_user":
		return SpeakerCustomer
	case "bot", "operator_bot", "system", "automation", "assistant", "ai":
		return SpeakerBot
	}
	return SpeakerAgent
}

type icAuthor struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type icPart struct {
	PartType  string      `json:"part_type"`
	Body      *string     `json:"body"`
	CreatedAt json.Number `json:"created_at"`
	Author    icAuthor    `json:"author"`
}

// Intercom reads a conversation webhook (topic conversation.admin.closed
// and other conversation.* topics), old (user) and new (contacts/source)
// API shapes.
func Intercom(raw []byte) (Conversation, error) {
	var p struct {
		Topic string `json:"topic"`
		Data  struct {
			Item *struct {
				Type      string      `json:"type"`
				ID        json.Number `json:"id"`
				State     string      `json:"state"`
				CreatedAt json.Number `json:"created_at"`
				User      *struct {
					ID     string `json:"id"`
					UserID string `json:"user_id"`
					Name   string `json:"name"`
					Email  string `json:"email"`
					Phone  string `json:"phone"`
				} `json:"user"`
				Contacts struct {
					Contacts []struct {
						ID         string `json:"id"`
						ExternalID string `json:"external_id"`
					} `json:"contacts"`
				} `json:"contacts"`
				Source *struct {
					Body   string   `json:"body"`
					Author icAuthor `json:"author"`
				} `json:"source"`
				ConversationMessage *struct {
					Body   string   `json:"body"`
					Author icAuthor `json:"author"`
				} `json:"conversation_message"`
				ConversationParts struct {
					Parts []icPart `json:"conversation_parts"`
				} `json:"conversation_parts"`
				Tags struct {
					Tags []struct {
						Name string `json:"name"`
					} `json:"tags"`
				} `json:"tags"`
				// CustomAttributes are the conversation's data attributes
				// (a lead score, a team size...).
				CustomAttributes map[string]any `json:"custom_attributes"`
			} `json:"item"`
		} `json:"data"`
	}
	if err := decode("Intercom", raw, &p); err != nil {
		return Conversation{}, err
	}
	it := p.Data.Item
	if it == nil || !strings.HasPrefix(p.Topic, "conversation") {
		return Conversation{}, connectors.Payloadf("Intercom", "not a conversation notification (topic %q)", p.Topic)
	}
	c := Conversation{Channel: "intercom", ConversationID: it.ID.String(), Event: p.Topic,
		Closed: p.Topic == "conversation.admin.closed" || it.State == "closed"}
	if u := it.User; u != nil {
		c.Contact = Contact{Email: u.Email, Name: u.Name, Phone: u.Phone, ExternalID: u.UserID}
		if c.Contact.ExternalID == "" {
			c.Contact.ExternalID = u.ID
		}
	} else if cs := it.Contacts.Contacts; len(cs) > 0 {
		c.Contact.ExternalID = cs[0].ExternalID
		if c.Contact.ExternalID == "" {
			c.Contact.ExternalID = cs[0].ID
		}
	}
	first := it.ConversationMessage
	if first == nil && it.Source != nil {
		first = &struct {
			Body   string   `json:"body"`
			Author icAuthor `json:"author"`
		}{it.Source.Body, it.Source.Author}
	}
	if first != nil {
		if c.Contact.Email == "" && speakerFor(first.Author.Type) == SpeakerCustomer {
			c.Contact.Email, c.Contact.Name = first.Author.Email, first.Author.Name
		}
		c.Messages = append(c.Messages, Message{Speaker: speakerFor(first.Author.Type), Text: plainText(first.Body), At: unixAny(it.CreatedAt)})
	}
	for _, part := range it.ConversationParts.Parts {
		if part.Body == nil || *part.Body == "" {
			continue
		}
		c.Messages = append(c.Messages, Message{Speaker: speakerFor(part.Author.Type), Text: plainText(*part.Body), At: unixAny(part.CreatedAt)})
	}
	var tags []string
	for _, t := range it.Tags.Tags {
		tags = append(tags, t.Name)
	}
	if len(tags) > 0 || len(it.CustomAttributes) > 0 {
		c.Data = map[string]any{}
	}
	if len(tags) > 0 {
		c.Data["tags"] = tags
	}
	if len(it.CustomAttributes) > 0 {
		c.Data["custom_attributes"] = jsonSafe(it.CustomAttributes)
		c.Score = scoreFrom(it.CustomAttributes)
	}
	c.finish()
	return c, nil
}

// LiveChat reads a LiveChat (Text platform) webhook: chat_deactivated
// carries only ids; incoming_chat and similar carry the chat with users
// and thread events, from which contact and transcript are taken.
func LiveChat(raw []byte) (Conversation, error) {
	var p struct {
		Action  string `json:"action"`
		Payload *struct {
			ChatID   string `json:"chat_id"`
			ThreadID string `json:"thread_id"`
			UserID   string `json:"user_id"`
			Chat     *struct {
				ID    string `json:"id"`
				Users []struct {
					ID    string `json:"id"`
					Type  string `json:"type"`
					Name  string `json:"name"`
					Email string `json:"email"`
				} `json:"users"`
				Thread struct {
					ID     string `json:"id"`
					Events []struct {
						Type      string `json:"type"`
						AuthorID  string `json:"author_id"`
						Text      string `json:"text"`
						CreatedAt string `json:"created_at"`
					} `json:"events"`
				} `json:"thread"`
			} `json:"chat"`
		} `json:"payload"`
	}
	if err := decode("LiveChat", raw, &p); err != nil {
		return Conversation{}, err
	}
	if p.Action == "" || p.Payload == nil {
		return Conversation{}, connectors.Payloadf("LiveChat", "a webhook needs action and payload")
	}
	pl := p.Payload
	c := Conversation{Channel: "livechat", ConversationID: pl.ChatID, Event: p.Action, Closed: p.Action == "chat_deactivated"}
	data := map[string]any{}
	if pl.ThreadID != "" {
		data["thread_id"] = pl.ThreadID
	}
	if pl.UserID != "" {
		data["closed_by_user_id"] = pl.UserID
	}
	if ch := pl.Chat; ch != nil {
		if c.ConversationID == "" {
			c.ConversationID = ch.ID
		}
		if ch.Thread.ID != "" {
			data["thread_id"] = ch.Thread.ID
		}
		speakers := map[string]string{}
		for _, u := range ch.Users {
			speakers[u.ID] = speakerFor(u.Type)
			if u.Type == "customer" && c.Contact.ExternalID == "" {
				c.Contact = Contact{Email: u.Email, Name: u.Name, ExternalID: u.ID}
			}
		}
		for _, e := range ch.Thread.Events {
			if e.Type != "message" || e.Text == "" {
				continue
			}
			sp, ok := speakers[e.AuthorID]
			if !ok {
				sp = SpeakerAgent
			}
			at, _ := time.Parse(time.RFC3339Nano, e.CreatedAt)
			c.Messages = append(c.Messages, Message{Speaker: sp, Text: e.Text, At: at.UTC()})
		}
	}
	if len(data) > 0 {
		c.Data = data
	}
	c.finish()
	return c, nil
}

// Crisp reads a Crisp web hook: message:send / message:received (one
// message) and session:set_state (state "resolved" closes the session).
func Crisp(raw []byte) (Conversation, error) {
	var p struct {
		Event string `json:"event"`
		Data  *struct {
			SessionID string      `json:"session_id"`
			Type      string      `json:"type"`
			Content   any         `json:"content"`
			From      string      `json:"from"`
			State     string      `json:"state"`
			Timestamp json.Number `json:"timestamp"`
			User      struct {
				Nickname string `json:"nickname"`
				UserID   string `json:"user_id"`
				Email    string `json:"email"`
				Phone    string `json:"phone"`
			} `json:"user"`
			Email string `json:"email"`
		} `json:"data"`
	}
	if err := decode("Crisp", raw, &p); err != nil {
		return Conversation{}, err
	}
	if p.Event == "" || p.Data == nil || p.Data.SessionID == "" {
		return Conversation{}, connectors.Payloadf("Crisp", "a web hook needs event and data.session_id")
	}
	d := p.Data
	c := Conversation{Channel: "crisp", ConversationID: d.SessionID, Event: p.Event,
		Closed: p.Event == "session:set_state" && d.State == "resolved"}
	c.Contact = Contact{Email: d.User.Email, Name: d.User.Nickname, Phone: d.User.Phone, ExternalID: d.User.UserID}
	if c.Contact.Email == "" {
		c.Contact.Email = d.Email
	}
	if text, ok := d.Content.(string); ok && d.Type == "text" && text != "" {
		sp := SpeakerAgent
		if d.From == "user" {
			sp = SpeakerCustomer
		}
		c.Messages = append(c.Messages, Message{Speaker: sp, Text: text, At: unixAny(d.Timestamp)})
	}
	if d.State != "" {
		c.Data = map[string]any{"state": d.State}
	}
	c.finish()
	return c, nil
}

// contactKeys map parameter names (lower-cased, - and space as _) to
// contact fields; shared by Dialogflow CX and Generic.
var contactKeys = map[string]string{
	"email": "email", "e_mail": "email", "email_address": "email", "mail": "email",
	"name": "name", "full_name": "name", "fullname": "name", "person": "name",
	"first_name": "first", "firstname": "first", "given_name": "first",
	"last_name": "last", "lastname": "last", "family_name": "last", "surname": "last",
	"phone": "phone", "phone_number": "phone", "phonenumber": "phone", "mobile": "phone", "telephone": "phone",
	"company": "company", "company_name": "company", "organization": "company", "organisation": "company",
	"external_id": "id", "user_id": "id", "userid": "id", "customer_id": "id",
}

func normKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	k = strings.NewReplacer("-", "_", " ", "_").Replace(k)
	if strings.Contains(k, "_") {
		return k
	}
	// camelCase was lower-cased above; known compact forms are listed.
	return k
}

// setContact fills an empty contact field from a named value.
func setContact(c *Contact, key string, v any) {
	s := ""
	if m, ok := v.(map[string]any); ok && key != "" { // Dialogflow person: {"name": "..."}
		s = str(m["name"])
		if s == "" {
			s = str(m["original"])
		}
	} else {
		s = str(v)
	}
	if s == "" {
		return
	}
	field := contactKeys[normKey(key)]
	if field == "" {
		field = contactKeys[strings.ToLower(camelToSnake(key))]
	}
	dst := map[string]*string{"email": &c.Email, "name": &c.Name, "first": &c.FirstName, "last": &c.LastName, "phone": &c.Phone, "company": &c.Company, "id": &c.ExternalID}[field]
	if dst != nil && *dst == "" {
		*dst = s
	}
}

func camelToSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DialogflowCX reads a Dialogflow CX WebhookRequest. CX has no "closed"
// event: agents call the webhook from their End Session page with a tag;
// tags mentioning end or close count as closed. Contact fields come from
// session and form parameters (email, given-name, phone-number...).
func DialogflowCX(raw []byte) (Conversation, error) {
	var p struct {
		DetectIntentResponseID string `json:"detectIntentResponseId"`
		Text                   string `json:"text"`
		FulfillmentInfo        struct {
			Tag string `json:"tag"`
		} `json:"fulfillmentInfo"`
		SessionInfo struct {
			Session    string         `json:"session"`
			Parameters map[string]any `json:"parameters"`
		} `json:"sessionInfo"`
		PageInfo struct {
			DisplayName string `json:"displayName"`
			FormInfo    struct {
				ParameterInfo []struct {
					DisplayName string `json:"displayName"`
					Value       any    `json:"value"`
				} `json:"parameterInfo"`
			} `json:"formInfo"`
		} `json:"pageInfo"`
		Messages []struct {
			Text struct {
				Text []string `json:"text"`
			} `json:"text"`
		} `json:"messages"`
		LanguageCode string `json:"languageCode"`
	}
	if err := decode("Dialogflow CX", raw, &p); err != nil {
		return Conversation{}, err
	}
	if p.SessionInfo.Session == "" && p.FulfillmentInfo.Tag == "" && len(p.PageInfo.FormInfo.ParameterInfo) == 0 {
		return Conversation{}, connectors.Payloadf("Dialogflow CX", "not a WebhookRequest (no session, tag or parameters)")
	}
	c := Conversation{Channel: "dialogflow_cx", Event: p.FulfillmentInfo.Tag}
	if s := p.SessionInfo.Session; s != "" {
		c.ConversationID = s[strings.LastIndexByte(s, '/')+1:]
	}
	tag := strings.ToLower(p.FulfillmentInfo.Tag)
	c.Closed = strings.Contains(tag, "end") || strings.Contains(tag, "close")
	params := map[string]any{}
	for _, pi := range p.PageInfo.FormInfo.ParameterInfo {
		if pi.DisplayName != "" {
			params[pi.DisplayName] = pi.Value
		}
	}
	for k, v := range p.SessionInfo.Parameters {
		params[k] = v
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		setContact(&c.Contact, k, params[k])
	}
	if p.Text != "" {
		c.Messages = append(c.Messages, Message{Speaker: SpeakerCustomer, Text: p.Text})
	}
	for _, m := range p.Messages {
		if t := strings.Join(m.Text.Text, "\n"); t != "" {
			c.Messages = append(c.Messages, Message{Speaker: SpeakerBot, Text: t})
		}
	}
	c.Data = map[string]any{"parameters": jsonSafe(params)}
	c.Score = scoreFrom(params)
	if p.FulfillmentInfo.Tag != "" {
		c.Data["tag"] = p.FulfillmentInfo.Tag
	}
	if p.PageInfo.DisplayName != "" {
		c.Data["page"] = p.PageInfo.DisplayName
	}
	c.finish()
	return c, nil
}

// Xeno reads a Xeno (ex-Slaask) end_conversation webhook.
func Xeno(raw []byte) (Conversation, error) {
	var p struct {
		Event   string `json:"event"`
		Payload *struct {
			ID      json.Number `json:"id"`
			EndedAt string      `json:"ended_at"`
			Status  string      `json:"status"`
			Recap   string      `json:"conversation_recap"`
			Contact struct {
				Token  string         `json:"token"`
				Name   string         `json:"name"`
				Email  string         `json:"email"`
				Custom map[string]any `json:"custom_informations"`
			} `json:"contact"`
		} `json:"payload"`
	}
	if err := decode("Xeno", raw, &p); err != nil {
		return Conversation{}, err
	}
	if p.Event == "" || p.Payload == nil {
		return Conversation{}, connectors.Payloadf("Xeno", "a webhook needs event and payload")
	}
	pl := p.Payload
	c := Conversation{Channel: "xeno", ConversationID: pl.ID.String(), Event: p.Event,
		Closed: p.Event == "end_conversation" || pl.Status == "resolved", Summary: pl.Recap}
	c.Contact = Contact{Email: pl.Contact.Email, Name: pl.Contact.Name}
	for _, k := range []string{"firstname", "lastname", "user_id", "phone", "company"} {
		setContact(&c.Contact, k, pl.Contact.Custom[k])
	}
	if c.Contact.ExternalID == "" {
		c.Contact.ExternalID = pl.Contact.Token
	}
	c.Score = scoreFrom(pl.Contact.Custom)
	if pl.Status != "" {
		c.Data = map[string]any{"status": pl.Status}
	}
	c.finish()
	return c, nil
}

// jsonSafe converts json.Number values to float64/int64 so the result
// renders as plain JSON numbers.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			out[k] = jsonSafe(vv)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = jsonSafe(vv)
		}
		return out
	}
	return v
}
