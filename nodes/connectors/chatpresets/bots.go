package chatpresets

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/journeyhq/journey/nodes/connectors"
)

// endWords start the words of a bot block, step or event name that ends
// a conversation (platforms that call us from a step of the bot have no
// "closed" event): "End of chat", "chat_closed", "Finished", "Goodbye".
var endWords = []string{"end", "clos", "finish", "resolv", "goodbye", "bye", "complete"}

func mentionsEnd(names ...string) bool {
	for _, n := range names {
		words := strings.FieldsFunc(strings.ToLower(n), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		for _, word := range words {
			for _, w := range endWords {
				if strings.HasPrefix(word, w) && (w != "end" || word == "end" || word == "ended" || word == "ending" || word == "ends") {
					return true
				}
			}
		}
	}
	return false
}

// ManyChat reads the "Full Contact Data" a ManyChat flow POSTs with an
// External Request (or a Dynamic Block): the subscriber's fields and
// custom fields. ManyChat has no "conversation closed" event: the flow
// sends it from the step you choose; it counts as closed when the body
// says so (a custom field or a "status"/"event" naming the end).
// Subscriber ids are 16-17 digit numbers: they are kept exact, as text.
func ManyChat(raw []byte) (Conversation, error) {
	var p struct {
		ID            json.Number    `json:"id"`
		Key           string         `json:"key"`
		PageID        json.Number    `json:"page_id"`
		Status        string         `json:"status"`
		FirstName     string         `json:"first_name"`
		LastName      string         `json:"last_name"`
		Name          string         `json:"name"`
		Email         string         `json:"email"`
		Phone         string         `json:"phone"`
		WhatsAppPhone string         `json:"whatsapp_phone"`
		LiveChatURL   string         `json:"live_chat_url"`
		LastInput     string         `json:"last_input_text"`
		LastSeen      string         `json:"last_seen"`
		Event         string         `json:"event"`
		CustomFields  map[string]any `json:"custom_fields"`
		Tags          []any          `json:"tags"`
	}
	if err := decode("ManyChat", raw, &p); err != nil {
		return Conversation{}, err
	}
	if p.ID == "" && p.Key == "" {
		return Conversation{}, connectors.Payloadf("ManyChat", "not a ManyChat contact (no subscriber id or key): send the Full Contact Data")
	}
	id := p.ID.String()
	if id == "" {
		_, id, _ = strings.Cut(p.Key, ":")
	}
	c := Conversation{Channel: "manychat", ConversationID: id, Event: p.Event}
	c.Contact = Contact{Email: p.Email, Name: p.Name, FirstName: p.FirstName, LastName: p.LastName,
		Phone: p.Phone, ExternalID: id}
	if c.Contact.Phone == "" {
		c.Contact.Phone = p.WhatsAppPhone
	}
	for _, k := range []string{"email", "phone", "company", "company_name"} {
		setContact(&c.Contact, k, p.CustomFields[k])
	}
	c.Closed = mentionsEnd(p.Event, str(p.CustomFields["conversation_status"]), str(p.CustomFields["status"]))
	if p.LastInput != "" {
		at, _ := time.Parse(time.RFC3339, p.LastSeen)
		c.Messages = append(c.Messages, Message{Speaker: SpeakerCustomer, Text: p.LastInput, At: at.UTC()})
	}
	data := map[string]any{}
	if len(p.CustomFields) > 0 {
		data["custom_fields"] = jsonSafe(p.CustomFields)
		c.Score = scoreFrom(p.CustomFields)
	}
	if tags := tagNames(p.Tags); len(tags) > 0 {
		data["tags"] = tags
	}
	if p.PageID != "" {
		data["page_id"] = p.PageID.String()
	}
	if p.LiveChatURL != "" {
		data["live_chat_url"] = p.LiveChatURL
	}
	if p.Status != "" {
		data["status"] = p.Status
	}
	if len(data) > 0 {
		c.Data = data
	}
	c.finish()
	return c, nil
}

// tagNames reads a tag list of names or {"name": ...} objects.
func tagNames(list []any) []string {
	var out []string
	for _, t := range list {
		s := str(t)
		if m, ok := t.(map[string]any); ok {
			s = str(m["name"])
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Chatfuel reads what a Chatfuel bot's JSON API plugin POSTs with "Full
// JSON profile" or a JSON body: the user's attributes by their Chatfuel
// names ("first name", "chatfuel user id", "email", ...), flat or under
// "attributes". No public sample body exists; this follows Chatfuel's
// documentation of the plugin and its system attributes. Chatfuel has no
// "conversation closed" event: the bot calls from the block you choose;
// a block (or "event") named like an end counts as closed.
func Chatfuel(raw []byte) (Conversation, error) {
	var m map[string]any
	if err := decode("Chatfuel", raw, &m); err != nil {
		return Conversation{}, err
	}
	if m == nil {
		return Conversation{}, connectors.Payloadf("Chatfuel", "the body must be a JSON object of user attributes")
	}
	if attrs, ok := m["attributes"].(map[string]any); ok {
		for k, v := range m {
			if _, taken := attrs[k]; !taken && k != "attributes" {
				attrs[k] = v
			}
		}
		m = attrs
	}
	// Attribute names as Chatfuel writes them: "chatfuel user id",
	// "messenger user id"; accept _ for the spaces too.
	attr := make(map[string]any, len(m))
	for k, v := range m {
		attr[strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "_", " ")] = v
	}
	get := func(keys ...string) string {
		for _, k := range keys {
			if s := str(attr[k]); s != "" && !strings.HasPrefix(s, "{{") {
				return s // an attribute the bot never set is sent as its {{placeholder}}
			}
		}
		return ""
	}
	userID := get("chatfuel user id", "messenger user id", "fb id")
	if userID == "" {
		return Conversation{}, connectors.Payloadf("Chatfuel",
			"not a Chatfuel JSON API request: it needs the attribute \"chatfuel user id\" or \"messenger user id\" (send the Full JSON profile)")
	}
	block := get("last visited block name")
	c := Conversation{Channel: "chatfuel", ConversationID: userID, Event: get("event")}
	if c.Event == "" {
		c.Event = block
	}
	c.Closed = mentionsEnd(get("event"), block)
	c.Contact = Contact{
		Email:      get("email", "user email", "email address"),
		FirstName:  get("first name"),
		LastName:   get("last name"),
		Name:       get("full name", "name"),
		Phone:      get("phone", "phone number", "user phone number"),
		Company:    get("company", "company name"),
		ExternalID: userID,
	}
	if text := get("last user freeform input", "last user input"); text != "" {
		c.Messages = append(c.Messages, Message{Speaker: SpeakerCustomer, Text: text})
	}
	c.Score = scoreFrom(map[string]any{"lead_score": attr["lead score"], "score": attr["score"]})
	known := map[string]bool{"chatfuel user id": true, "messenger user id": true, "first name": true, "last name": true,
		"email": true, "phone": true, "profile pic url": true}
	data := map[string]any{}
	keys := make([]string, 0, len(attr))
	for k := range attr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := map[string]any{}
	for _, k := range keys {
		if known[k] || strings.Contains(k, "token") {
			continue // a secret a bot put in its attributes stays out of runs
		}
		if s := str(attr[k]); s != "" && !strings.HasPrefix(s, "{{") {
			attrs[k] = jsonSafe(attr[k])
		}
	}
	if len(attrs) > 0 {
		data["attributes"] = attrs
	}
	if block != "" {
		data["block"] = block
	}
	if len(data) > 0 {
		c.Data = data
	}
	c.finish()
	return c, nil
}

// DriftTokenHeader is the header in which Drift sends the app's
// verification token with every webhook (it is in the body's "token"
// field too).
const DriftTokenHeader = "X-Verification-Token"

// driftClosing are Drift events that mean the conversation is over.
var driftClosing = map[string]bool{"conversation_inactive": true, "conversation_closed": true, "conversation_push": true}

type driftMessage struct {
	ID             json.Number `json:"id"`
	ConversationID json.Number `json:"conversationId"`
	Body           string      `json:"body"`
	Type           string      `json:"type"`
	CreatedAt      json.Number `json:"createdAt"`
	Author         struct {
		ID   json.Number `json:"id"`
		Type string      `json:"type"`
		Bot  bool        `json:"bot"`
	} `json:"author"`
}

func (m driftMessage) speaker() string {
	switch {
	case m.Author.Type == "contact":
		return SpeakerCustomer
	case m.Author.Bot:
		return SpeakerBot
	}
	return SpeakerAgent
}

// Drift reads a Drift webhook event: {type, token, orgId, data}. No
// public sample body was found; this follows Drift's developer
// documentation of the envelope and its contact, message and
// conversation objects. conversation_inactive, conversation_push,
// conversation_closed and conversation_status_updated with status closed
// (deprecated by Drift) mean the conversation ended; contact_identified is
// a new lead. The verification token is checked by the server, never
// copied into the result.
func Drift(raw []byte) (Conversation, error) {
	var p struct {
		Type  string          `json:"type"`
		OrgID json.Number     `json:"orgId"`
		Data  json.RawMessage `json:"data"`
	}
	if err := decode("Drift", raw, &p); err != nil {
		return Conversation{}, err
	}
	if p.Type == "" || p.OrgID == "" || len(p.Data) == 0 || p.Data[0] != '{' {
		return Conversation{}, connectors.Payloadf("Drift", "a Drift webhook needs type, orgId and a data object")
	}
	var d struct {
		driftMessage
		ContactID json.Number    `json:"contactId"`
		EndUserID json.Number    `json:"endUserId"`
		Status    string         `json:"status"`
		Attrs     map[string]any `json:"attributes"`
		Contact   *struct {
			ID    json.Number    `json:"id"`
			Attrs map[string]any `json:"attributes"`
		} `json:"contact"`
		Messages []driftMessage `json:"messages"`
		Inner    *struct {
			ConversationID json.Number `json:"conversationId"`
		} `json:"data"`
		PlaybookID json.Number `json:"playbookId"`
		GoalID     string      `json:"goalId"`
	}
	if err := decode("Drift", p.Data, &d); err != nil {
		return Conversation{}, err
	}
	c := Conversation{Channel: "drift", Event: p.Type,
		Closed: driftClosing[p.Type] || (p.Type == "conversation_status_updated" && strings.EqualFold(d.Status, "closed"))}
	c.ConversationID = d.ConversationID.String()
	if c.ConversationID == "" && d.Inner != nil {
		c.ConversationID = d.Inner.ConversationID.String()
	}
	if c.ConversationID == "" && (strings.HasPrefix(p.Type, "conversation") || p.Type == "new_conversation") {
		c.ConversationID = d.ID.String() // the data is the conversation
	}
	attrs := d.Attrs
	contactID := d.ContactID.String()
	if d.Contact != nil {
		if attrs == nil {
			attrs = d.Contact.Attrs
		}
		if contactID == "" {
			contactID = d.Contact.ID.String()
		}
	}
	if contactID == "" && (strings.HasPrefix(p.Type, "contact") || strings.Contains(p.Type, "lead")) {
		contactID = d.ID.String() // the data is the contact (contact_identified, a new lead)
	}
	if contactID == "" {
		contactID = d.EndUserID.String()
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		setContact(&c.Contact, k, attrs[k])
	}
	if c.Contact.ExternalID == "" {
		c.Contact.ExternalID = str(attrs["externalId"])
	}
	if c.Contact.ExternalID == "" {
		c.Contact.ExternalID = contactID
	}
	msgs := d.Messages
	if len(msgs) == 0 && d.Body != "" {
		msgs = []driftMessage{d.driftMessage}
	}
	for _, m := range msgs {
		if m.Type != "" && m.Type != "chat" {
			continue // private notes and edits are not what the contact saw
		}
		if text := plainText(m.Body); text != "" {
			c.Messages = append(c.Messages, Message{Speaker: m.speaker(), Text: text, At: unixAny(m.CreatedAt)})
		}
		if c.Contact.ExternalID == "" && m.Author.Type == "contact" {
			c.Contact.ExternalID = m.Author.ID.String()
		}
	}
	data := map[string]any{}
	if p.OrgID != "" {
		data["org_id"] = p.OrgID.String()
	}
	if d.Status != "" {
		data["status"] = d.Status
	}
	if contactID != "" {
		data["contact_id"] = contactID
	}
	if d.PlaybookID != "" {
		data["playbook_id"] = d.PlaybookID.String()
	}
	if len(attrs) > 0 {
		safe := map[string]any{}
		for k, v := range attrs {
			if !strings.Contains(strings.ToLower(k), "token") {
				safe[k] = jsonSafe(v)
			}
		}
		data["attributes"] = safe
		c.Score = scoreFrom(attrs)
	}
	if len(data) > 0 {
		c.Data = data
	}
	c.finish()
	return c, nil
}

// BotFramework reads a Microsoft Bot Framework activity (Azure Bot
// Service, Teams, Direct Line): endOfConversation (with its code when
// the channel sends one) and conversationUpdate with members removed
// (other than the bot) mean the conversation ended; a message activity
// gives one line. The contact comes from "from" and, for e-mail, phone or
// a lead score, from channelData or value. Only type and from or
// conversation are required: Direct Line's endOfConversation carries
// little more.
func BotFramework(raw []byte) (Conversation, error) {
	type account struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		AADObjectID string `json:"aadObjectId"`
		Role        string `json:"role"`
	}
	var p struct {
		Type         string         `json:"type"`
		ID           string         `json:"id"`
		Timestamp    string         `json:"timestamp"`
		ChannelID    string         `json:"channelId"`
		From         *account       `json:"from"`
		Recipient    *account       `json:"recipient"`
		Conversation *account       `json:"conversation"`
		Text         string         `json:"text"`
		Code         string         `json:"code"`
		Name         string         `json:"name"`
		Value        any            `json:"value"`
		ChannelData  map[string]any `json:"channelData"`
		Added        []account      `json:"membersAdded"`
		Removed      []account      `json:"membersRemoved"`
	}
	if err := decode("Bot Framework", raw, &p); err != nil {
		return Conversation{}, err
	}
	if p.Type == "" || (p.From == nil || p.From.ID == "") && (p.Conversation == nil || p.Conversation.ID == "") {
		return Conversation{}, connectors.Payloadf("Bot Framework", "not a Bot Framework activity (it needs type and from or conversation)")
	}
	c := Conversation{Channel: "bot_framework", Event: p.Type}
	if p.Conversation != nil {
		c.ConversationID = p.Conversation.ID
	}
	bot := ""
	if p.Recipient != nil {
		bot = p.Recipient.ID
	}
	var removed []string
	for _, m := range p.Removed {
		if m.ID != bot {
			removed = append(removed, m.ID)
		}
	}
	c.Closed = p.Type == "endOfConversation" || (p.Type == "conversationUpdate" && len(removed) > 0)
	// The person: for a member leaving, the member (from is whoever
	// removed them); otherwise who sent the activity, unless that is the
	// bot.
	fromBot := p.From != nil && (p.From.Role == "bot" || p.From.ID == bot && bot != "")
	switch {
	case len(removed) > 0:
		c.Contact.ExternalID = removed[0]
	case p.From != nil && !fromBot:
		c.Contact = Contact{Name: p.From.Name, ExternalID: p.From.ID}
	case fromBot && p.Recipient != nil && p.Recipient.Role != "bot":
		// the bot wrote (or ended the chat): the person is the recipient
		c.Contact = Contact{Name: p.Recipient.Name, ExternalID: p.Recipient.ID}
	}
	extra := map[string]any{}
	if v, ok := p.Value.(map[string]any); ok {
		extra = v
	}
	for _, src := range []map[string]any{extra, p.ChannelData, subMap(p.ChannelData, "user"), subMap(p.ChannelData, "contact")} {
		keys := make([]string, 0, len(src))
		for k := range src {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, nested := src[k].(map[string]any); nested {
				continue
			}
			setContact(&c.Contact, k, src[k])
		}
		if c.Score == nil {
			c.Score = scoreFrom(src)
		}
	}
	if p.Type == "message" && strings.TrimSpace(p.Text) != "" {
		at, _ := time.Parse(time.RFC3339Nano, p.Timestamp)
		sp := SpeakerCustomer
		if fromBot {
			sp = SpeakerBot
		}
		c.Messages = append(c.Messages, Message{Speaker: sp, Text: strings.TrimSpace(p.Text), At: at.UTC()})
	}
	data := map[string]any{}
	if p.ChannelID != "" {
		data["channel_id"] = p.ChannelID
	}
	if p.Code != "" {
		data["code"] = p.Code
	}
	if p.Text != "" && p.Type != "message" {
		data["text"] = p.Text
	}
	if et := str(p.ChannelData["eventType"]); et != "" {
		data["event_type"] = et
	}
	if team := str(subMap(p.ChannelData, "team")["id"]); team != "" {
		data["team_id"] = team
	}
	if tenant := str(subMap(p.ChannelData, "tenant")["id"]); tenant != "" {
		data["tenant_id"] = tenant
	}
	if p.From != nil && p.From.AADObjectID != "" {
		data["aad_object_id"] = p.From.AADObjectID
	}
	if len(removed) > 0 {
		data["members_removed"] = removed
	}
	if len(p.Added) > 0 {
		var ids []string
		for _, m := range p.Added {
			ids = append(ids, m.ID)
		}
		data["members_added"] = ids
	}
	if len(data) > 0 {
		c.Data = data
	}
	c.finish()
	return c, nil
}

func subMap(m map[string]any, key string) map[string]any {
	sub, _ := m[key].(map[string]any)
	return sub
}
