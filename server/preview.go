package server

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// previewRequest is the body of POST /preview and POST /preview/send.
type previewRequest struct {
	FlowID string `json:"flow_id"`
	// Node is the step as the editor holds it (maybe unsaved); with only
	// an id, the journey's saved step.
	Node      flows.Node     `json:"node"`
	ContactID string         `json:"contact_id"`
	Trigger   map[string]any `json:"trigger"`
	// Channel picks one channel of a "send on the best channel" step.
	Channel string `json:"channel"`
	// To is where a test SMS or WhatsApp message goes.
	To string `json:"to"`
}

// previewContact says whose data the message was rendered with.
type previewContact struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name"`
	Email  string `json:"email,omitempty"`
	Sample bool   `json:"sample"`
}

// previewResponse is a step's message as it would be sent.
type previewResponse struct {
	Channel string `json:"channel"`
	To      string `json:"to,omitempty"`
	From    string `json:"from,omitempty"`
	Subject string `json:"subject,omitempty"`
	HTML    string `json:"html,omitempty"`
	Text    string `json:"text,omitempty"`
	// Sandbox is true when the step has no account: its messages stay in
	// the sandbox outbox.
	Sandbox bool `json:"sandbox"`
	// Length counts an SMS as carriers do (a WhatsApp text in characters);
	// Segments is the number of SMS parts.
	Length   int `json:"length,omitempty"`
	Segments int `json:"segments,omitempty"`
	// Unicode is true when the SMS is sent as UCS-2 (an emoji, a "ç"...);
	// PerSegment is the places a part then holds.
	Unicode    bool            `json:"unicode,omitempty"`
	PerSegment int             `json:"per_segment,omitempty"`
	Contact    previewContact  `json:"contact"`
	Problems   []flows.Problem `json:"problems,omitempty"`
}

// previewSendsPerMinute bounds each caller's test sends: a test goes to a
// real inbox or phone, and vendors bill for it.
const previewSendsPerMinute = 10

// principalKey keys the test-send limit by the signed-in user or token.
func principalKey(c *fiber.Ctx) string {
	switch p := principalOf(c); {
	case p != nil && p.User != nil:
		return "user:" + p.User.ID
	case p != nil && p.Token != nil:
		return "token:" + p.Token.ID
	}
	return "ip:" + strings.Clone(c.IP())
}

// testSendResponse is the answer of POST /preview/send.
type testSendResponse struct {
	MessageID string `json:"message_id"`
	To        string `json:"to"`
	Sandbox   bool   `json:"sandbox"`
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
}

// sampleContact stands in when no contact is chosen; clearly not a real one.
func sampleContact(now time.Time) flows.Contact {
	return flows.Contact{Email: "ada@example.com", Phone: "+447700900123", FirstName: "Ada", LastName: "Lovelace",
		Company: "Analytical Engines Ltd", Score: 72, TimeZone: "Europe/London", Tags: []string{"sample"}, Lists: []string{},
		Fields: map[string]any{}, Consent: map[string]bool{}, CreatedAt: now.AddDate(0, -1, 0)}
}

// preparedPreview is a rendered step with what it was rendered from.
type preparedPreview struct {
	flow     *flows.Flow
	node     *flows.Node
	rendered nodes.Rendered
	contact  previewContact
	problems []flows.Problem
	// ok is false when the step could not be rendered at all.
	ok bool
}

// previewMessage renders a message step: POST /preview.
func (s *Server) previewMessage(c *fiber.Ctx) error {
	var in previewRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := s.preparePreview(&in)
	if err != nil {
		return err
	}
	out := previewResponse{Channel: channelOf(p.node.Type, in.Channel), Contact: p.contact, Problems: p.problems}
	if !p.ok {
		return c.JSON(out)
	}
	r := p.rendered
	out.Channel, out.To, out.Subject, out.Text, out.HTML = r.Channel, r.To, r.Subject, r.Text, r.HTML
	out.Sandbox = r.CredentialID == ""
	if r.Channel == nodes.ChannelEmail && s.cfg.Channels != nil {
		// The footer the real send adds; links stay direct so the
		// preview's links can be tried.
		e := nodes.Email{To: r.To, Subject: r.Subject, Text: r.Text, HTML: r.HTML}
		s.cfg.Channels.PrepareEmail("preview", &e, false)
		out.Text, out.HTML = e.Text, e.HTML
	}
	switch r.Channel {
	case nodes.ChannelSMS:
		n := nodes.SMSSegments(r.Text)
		out.Length, out.Segments, out.Unicode, out.PerSegment = n.Length, n.Segments, n.Unicode, n.PerSegment
	case nodes.ChannelWhatsApp:
		out.Length = utf8.RuneCountInString(r.Text) // one message up to 4096
	}
	from, prob := s.previewFrom(c, r)
	out.From = from
	if prob != nil {
		out.Problems = append(out.Problems, *prob)
	}
	return c.JSON(out)
}

// sendTestMessage sends the rendered step to the caller: POST /preview/send.
func (s *Server) sendTestMessage(c *fiber.Ctx) error {
	if s.cfg.Channels == nil {
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: "Messages cannot be sent from this server."}
	}
	var in previewRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := s.preparePreview(&in)
	if err != nil {
		return err
	}
	if !p.ok || len(p.problems) > 0 {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: codeInvalidFlow,
			Message: "This step's message has problems; fix them before sending a test.", Details: p.problems}
	}
	to, err := testRecipient(c, p.rendered.Channel, in.To)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("A test of the step %q of the journey %q, sent from the editor; not part of any run.",
		s.stepLabel(p.flow, p.node), flows.JourneyName(p.flow))
	a, err := nodes.SendTest(c.UserContext(), s.cfg.Channels, p.rendered, to, "test:"+storage.NewID(), note)
	if err != nil {
		if nodes.IsPermanent(err) {
			return &apiError{Status: http.StatusUnprocessableEntity, Code: codeBadRequest, Message: "The test could not be sent: " + err.Error() + "."}
		}
		return err
	}
	return c.JSON(testSendResponse{MessageID: a.MessageID, To: to, Sandbox: a.Provider == nodes.ProviderSandbox,
		Status: a.Status, Reason: a.Reason})
}

// testRecipient is where a test goes: the signed-in person's email, or
// the phone number the caller gave for SMS and WhatsApp.
func testRecipient(c *fiber.Ctx, channel, to string) (string, error) {
	switch channel {
	case nodes.ChannelEmail:
		p := principalOf(c)
		if p == nil || p.User == nil {
			return "", badRequest("A test email goes to the signed-in person's address; sign in to the editor to send one (an API token has no address).")
		}
		return p.User.Email, nil
	case nodes.ChannelSMS, nodes.ChannelWhatsApp:
		to = strings.TrimSpace(to)
		if !phonePattern.MatchString(to) {
			return "", badRequest("Give the phone number to send the test to, in international form like +34600111222.")
		}
		return to, nil
	}
	return "", badRequest("Test sends are for email, SMS and WhatsApp steps.")
}

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// preparePreview finds the journey and the step, and renders the step for
// the chosen or the sample contact. Problems of the step are in the
// result, not an error.
func (s *Server) preparePreview(in *previewRequest) (*preparedPreview, error) {
	_, f, err := s.eng.Draft(in.FlowID)
	if err != nil {
		return nil, orNotFound(err, "There is no journey with id %q.", in.FlowID)
	}
	node, err := stepToPreview(f, in.Node)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &preparedPreview{flow: f, node: node}
	contact, err := s.previewContactFor(in.ContactID, now, &p.contact)
	if err != nil {
		return nil, err
	}
	trigger := in.Trigger
	if trigger == nil {
		trigger = sampleTrigger(contact, f, node)
	}
	cn, probs := flows.CompileNode(*node, s.eng.Registry())
	if len(probs) > 0 {
		p.problems = probs
		return p, nil
	}
	owner := sampleOwner
	if in.ContactID != "" {
		if owner, err = s.eng.ContactOwnerEnv(in.ContactID); err != nil {
			return nil, err
		}
	}
	env := &flows.Env{Contact: contact, Trigger: trigger, Vars: map[string]any{}, Now: now, Owner: owner,
		Event: flows.Event{Data: trigger, At: now}, Run: flows.RunInfo{ID: "preview", FlowID: f.ID, StartedAt: now}}
	r, rprobs, err := nodes.RenderMessage(&nodes.Input{Node: cn, Env: env, Location: time.UTC, Settings: &f.Settings}, in.Channel)
	if errors.Is(err, nodes.ErrNotAMessage) {
		return nil, badRequest("Nothing to preview: %v.", err)
	}
	if err != nil {
		return nil, err
	}
	p.rendered, p.ok = r, true
	for _, rp := range rprobs {
		p.problems = append(p.problems, flows.Problem{Code: flows.CodeBadTemplate, NodeID: node.ID, Param: rp.Param, Message: rp.Message})
	}
	if r.To == "" && r.Channel != nodes.ChannelSlack {
		p.problems = append(p.problems, flows.Problem{Code: "no_recipient", NodeID: node.ID, Param: "to",
			Message: fmt.Sprintf("This contact has no %s, so the step would skip them.", recipientWord(r.Channel))})
	}
	return p, nil
}

// sampleOwner is the owner of the sample contact, so that a preview of
// "{{ owner.name }}" shows a name.
var sampleOwner = flows.Owner{ID: "sample", Name: "Sam Seller", Email: "sam.seller@example.com", Mention: "Sam Seller", IDs: map[string]string{}}

// previewContactFor is the chosen contact, or the sample one without an
// id; about says whose data it is.
func (s *Server) previewContactFor(id string, now time.Time, about *previewContact) (flows.Contact, error) {
	if id == "" {
		c := sampleContact(now)
		*about = previewContact{Name: "Ada Lovelace (a sample contact)", Email: c.Email, Sample: true}
		return c, nil
	}
	c, err := s.eng.ContactEnv(id)
	if err != nil {
		return c, orNotFound(err, "There is no contact with id %q.", id)
	}
	*about = previewContact{ID: c.ID, Name: strings.TrimSpace(c.FirstName + " " + c.LastName), Email: c.Email}
	return c, nil
}

// stepToPreview is the step given in full, or the journey's step of that id.
func stepToPreview(f *flows.Flow, n flows.Node) (*flows.Node, error) {
	if n.Type != "" {
		return &n, nil
	}
	for i := range f.Nodes {
		if f.Nodes[i].ID == n.ID && n.ID != "" {
			return &f.Nodes[i], nil
		}
	}
	return nil, notFound("The journey %q has no step %q.", f.Name, n.ID)
}

// previewFrom names the sender of the step's account, or a problem when
// the account is gone. Only fields the API shows anyway are read.
func (s *Server) previewFrom(c *fiber.Ctx, r nodes.Rendered) (string, *flows.Problem) {
	if r.CredentialID == "" || s.cfg.Channels == nil {
		return "", nil
	}
	cr, err := s.cfg.Channels.GetCredential(c.UserContext(), r.CredentialID)
	if err != nil {
		return "", &flows.Problem{Code: flows.CodeMissingCredential, Param: "credential",
			Message: "The account chosen for this step no longer exists; choose another one."}
	}
	field := func(name string) string { v, _ := cr.Fields[name].(string); return strings.TrimSpace(v) }
	switch r.Channel {
	case nodes.ChannelEmail:
		if name := field("from_name"); name != "" {
			return fmt.Sprintf("%s <%s>", name, field("from_email")), nil
		}
		return field("from_email"), nil
	case nodes.ChannelSMS:
		return field("from"), nil
	}
	return cr.Name, nil
}

// channelOf is the channel a message type sends on, for answers about a
// step that could not be rendered.
func channelOf(typ, channel string) string {
	switch typ {
	case nodes.TypeEmail:
		return nodes.ChannelEmail
	case nodes.TypeSMS:
		return nodes.ChannelSMS
	case nodes.TypeWhatsApp:
		return nodes.ChannelWhatsApp
	case nodes.TypeSlack:
		return nodes.ChannelSlack
	}
	return channel
}

func recipientWord(channel string) string {
	if channel == nodes.ChannelEmail {
		return "email address"
	}
	return "phone number"
}

// stepLabel names a step, maybe unsaved, as problems do.
func (s *Server) stepLabel(f *flows.Flow, n *flows.Node) string {
	if strings.TrimSpace(n.Name) != "" {
		return n.Name
	}
	return flows.StepName(f, s.eng.Registry(), n.ID)
}

// triggerField finds the trigger and event data fields a journey reads.
var triggerField = regexp.MustCompile(`\b(?:trigger|event\.data)\.([A-Za-z_][A-Za-z0-9_]*)`)

// sampleTrigger gives every trigger field the journey and the step (maybe
// unsaved) read a believable value, taken from the contact where the name
// says so.
func sampleTrigger(c flows.Contact, f *flows.Flow, n *flows.Node) map[string]any {
	out := map[string]any{}
	doc, err := flows.Encode(f)
	if err != nil {
		return out
	}
	doc = append(doc, n.Params...)
	for _, m := range triggerField.FindAllStringSubmatch(string(doc), -1) {
		out[m[1]] = sampleValue(m[1], c)
	}
	return out
}

func sampleValue(field string, c flows.Contact) any {
	name := strings.ToLower(field)
	switch {
	case strings.Contains(name, "email"):
		return c.Email
	case name == "first_name" || name == "firstname":
		return c.FirstName
	case name == "last_name" || name == "lastname":
		return c.LastName
	case name == "name" || name == "full_name":
		return strings.TrimSpace(c.FirstName + " " + c.LastName)
	case strings.Contains(name, "phone"):
		return c.Phone
	case strings.Contains(name, "company"):
		return c.Company
	case strings.Contains(name, "score") || strings.Contains(name, "rating"):
		return 72
	case strings.Contains(name, "url") || strings.Contains(name, "link"):
		return "https://example.com/sample"
	case strings.Contains(name, "amount") || strings.Contains(name, "total") || strings.Contains(name, "price"):
		return 49.9
	}
	return "sample " + strings.ReplaceAll(field, "_", " ")
}
