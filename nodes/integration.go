package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
)

// Integration node type ids.
const (
	TypeHTTPRequest = "http.request"
	TypeSlack       = "notify.slack"
)

// Integration param names.
const (
	paramMethod   = "method"
	paramURL      = "url"
	paramHeaders  = "headers"
	paramText     = "text"
	paramChannel  = "channel"
	paramUsername = "username"
)

// Limits of http.request.
const (
	httpDefaultTimeout = 30 * time.Second
	httpMaxTimeout     = 2 * time.Minute
	// httpMaxOutputBody caps the response text kept on the step.
	httpMaxOutputBody = 4 << 10
)

// httpOutputHeaders are the response headers kept on the step (the rest
// are noise, and some, like Set-Cookie, may be secret).
var httpOutputHeaders = []string{"Content-Type", "Location", "Etag", "Retry-After", "X-Request-Id"}

// HTTPHeader is one header of http.request.
type HTTPHeader struct {
	// Name is the header name ("name").
	Name string `json:"name"`
	// Value is a template ("value").
	Value string `json:"value"`
}

// HTTPRequestParams are http.request's params.
type HTTPRequestParams struct {
	// Method is the HTTP method ("method").
	Method string `json:"method"`
	// URL is a template ("url").
	URL string `json:"url"`
	// Headers are sent with the request ("headers").
	Headers []HTTPHeader `json:"headers,omitempty"`
	// Body is a JSON template ("body").
	Body string `json:"body,omitempty"`
	// Credential is an http credential id ("credential").
	Credential string `json:"credential,omitempty"`
	// Timeout bounds one attempt ("timeout").
	Timeout flows.Duration `json:"timeout,omitempty"`
}

func httpRequestNode() *Type {
	t := define(flows.TypeSpec{
		Type: TypeHTTPRequest, Category: flows.CategoryIntegration, Title: "Call a web service",
		Description: "Sends an HTTP request to another system, with a JSON body made from the journey's data, and keeps the answer for later steps. " +
			"Busy or failing services (429, 5xx, no answer in time) are tried again a few times, waiting longer each time and as long as they ask; " +
			"an answer that refuses the request (other 4xx) ends the step at once with the service's message. " +
			"Addresses inside your network are refused unless the server allows them.",
		Credential: accountKinds(ProvidesHTTP),
		Outputs:    []flows.PortSpec{{Name: PortOut, Label: "Answered"}, {Name: PortFailed, Label: "Failed"}},
		Params: []flows.ParamSpec{
			{Name: paramMethod, Label: "Method", Kind: flows.KindEnum, Default: http.MethodPost,
				Enum:        []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
				Description: "The HTTP method.", Example: http.MethodPost},
			{Name: paramURL, Label: "Address", Kind: flows.KindTemplate, Required: true,
				Description: "The address to call. With an account, an address starting with / is added to the account's base URL, and other addresses must be on the account's host.",
				Example:     "https://api.example.com/leads/{{ contact.id }}"},
			{Name: paramHeaders, Label: "Headers", Kind: flows.KindList,
				Description: "Extra request headers; values may use {{ }}.",
				Example:     []any{map[string]any{"name": "X-Source", "value": "journey"}},
				Fields: []flows.ParamSpec{
					{Name: "name", Label: "Name", Kind: flows.KindString, Required: true, Description: "The header name.", Example: "X-Source"},
					{Name: "value", Label: "Value", Kind: flows.KindTemplate, Description: "The header value.", Example: "journey"},
				}},
			{Name: paramBody, Label: "JSON body", Kind: flows.KindTemplate,
				Description: "The JSON to send. Values from {{ }} are escaped for JSON, so write text inside quotes and numbers bare. Empty sends no body.",
				Example:     `{"email": "{{ contact.email }}", "score": {{ contact.score }}}`},
			{Name: paramCredential, Label: "Account", Kind: flows.KindCredential, CredentialKind: accountKinds(ProvidesHTTP), Options: "credentials",
				WithoutAccount: flows.WithoutAccountNone,
				Description:    "An HTTP API account whose auth header is added (its secret never shows in the flow); empty sends no credentials."},
			{Name: paramTimeout, Label: "Timeout", Kind: flows.KindDuration, Default: "30s",
				Description: "How long to wait for an answer each time, at most 2m.", Example: "10s"},
		},
		Rules: []flows.Rule{httpTimeoutRule, httpHeadersRule},
		Examples: []flows.Example{
			{Title: "Send the lead to your backend", Params: map[string]any{
				paramMethod: "POST", paramURL: "https://api.example.com/leads",
				paramBody: `{"email": "{{ contact.email }}", "name": "{{ contact.first_name }}"}`,
			}},
			{Title: "Look up an order", Params: map[string]any{
				paramMethod: "GET", paramURL: "https://shop.example.com/orders/{{ trigger.order_id }}", paramTimeout: "10s",
				paramHeaders: []any{map[string]any{"name": "Accept", "value": "application/json"}},
			}},
		},
	}, runHTTPRequest)
	t.Remote = true
	return t
}

// httpTimeoutRule caps the timeout.
func httpTimeoutRule(params map[string]any) []flows.Problem {
	s := paramString(params, paramTimeout)
	if s == "" {
		return nil
	}
	d, err := flows.ParseDuration(s)
	if err == nil && (d <= 0 || d > httpMaxTimeout) {
		return []flows.Problem{problem(codeInvalidParam, paramTimeout, "The timeout must be more than 0 and at most 2m; %q is not.", s)}
	}
	return nil
}

// httpHeadersRule refuses headers the client manages.
func httpHeadersRule(params map[string]any) []flows.Problem {
	items, _ := params[paramHeaders].([]any)
	var out []flows.Problem
	for i, it := range items {
		m, _ := it.(map[string]any)
		name, _ := m["name"].(string)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "host", "content-length":
			out = append(out, problem(codeInvalidParam, paramHeaders, "The header %q (item %d) is set by the request itself; remove it.", name, i+1))
		}
	}
	return out
}

func runHTTPRequest(ctx context.Context, in *Input, p *HTTPRequestParams) (Result, error) {
	url, err := in.Node.Render(paramURL, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramURL, err)
	}
	req := HTTPRequest{Method: cmpOr(p.Method, http.MethodPost), URL: strings.TrimSpace(url), Headers: map[string]string{},
		Timeout: httpDefaultTimeout, IdempotencyKey: in.Key}
	if p.Timeout > 0 {
		req.Timeout = min(time.Duration(p.Timeout), httpMaxTimeout)
	}
	for i, h := range p.Headers {
		v, err := in.Node.Render(paramHeaders+"["+itoa(i)+"].value", in.Env)
		if err != nil {
			return Result{}, exprFailed(in, paramHeaders, err)
		}
		req.Headers[strings.TrimSpace(h.Name)] = strings.TrimSpace(v)
	}
	if strings.TrimSpace(p.Body) != "" {
		body, err := in.Node.RenderJSON(paramBody, in.Env)
		if err != nil {
			return Result{}, exprFailed(in, paramBody, err)
		}
		if !json.Valid([]byte(body)) {
			return Result{}, Permanentf("%q is not valid JSON for this contact: %s", label(in, paramBody), clip(body, 200))
		}
		req.Body = json.RawMessage(body)
	}
	acc, err := accountFor(ctx, in, strings.TrimSpace(p.Credential), paramCredential, ProvidesHTTP)
	if err != nil {
		return Result{}, err
	}
	if acc.HTTP == nil {
		return Result{}, Permanentf("the account %q cannot make web requests", acc.Name)
	}
	resp, err := acc.HTTP.Call(ctx, req)
	if err != nil {
		return Result{}, err
	}
	headers := map[string]any{}
	for _, h := range httpOutputHeaders {
		for k, v := range resp.Headers {
			if strings.EqualFold(k, h) {
				headers[h] = v
			}
		}
	}
	out := map[string]any{"status": resp.Status, "headers": headers}
	if resp.JSON != nil {
		out["json"] = resp.JSON
	} else if resp.Body != "" {
		out["body"] = clip(resp.Body, httpMaxOutputBody)
	}
	return Result{Port: PortOut, Output: out}, nil
}

// clip shortens s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// SlackParams are notify.slack's params.
type SlackParams struct {
	// Credential is a Slack credential id; empty keeps the post in the
	// sandbox outbox ("credential").
	Credential string `json:"credential,omitempty"`
	// Text is a template ("text").
	Text string `json:"text"`
	// Channel overrides the webhook's channel ("channel").
	Channel string `json:"channel,omitempty"`
	// Username overrides the poster's name ("username").
	Username string `json:"username,omitempty"`
}

func slackNode() *Type {
	t := define(flows.TypeSpec{
		Type: TypeSlack, Category: flows.CategoryIntegration, Title: "Tell the team on Slack",
		Description: "Posts a message to a Slack channel through an incoming webhook, e.g. to tell sales about a hot lead. " +
			"Slack being busy or down is retried; a refused message (removed webhook, archived channel) follows Failed. " +
			"Without a Slack account the post is kept in the sandbox outbox and nothing is sent.",
		Credential: accountKinds(ProvidesSlack),
		Outputs:    []flows.PortSpec{{Name: PortOut, Label: "Posted"}, {Name: PortFailed, Label: "Failed"}},
		Params: []flows.ParamSpec{
			{Name: paramCredential, Label: "Slack account", Kind: flows.KindCredential, CredentialKind: accountKinds(ProvidesSlack), Options: "credentials",
				WithoutAccount: flows.WithoutAccountSandbox,
				Description:    "A Slack credential with an incoming webhook URL; leave empty to keep posts in the sandbox outbox (nothing is sent)."},
			{Name: paramText, Label: "Message", Kind: flows.KindTemplate, Required: true,
				Description: "The message; Slack formatting such as *bold* works.", Example: "New hot lead: {{ contact.first_name }} ({{ contact.email }}), score {{ contact.score }}"},
			{Name: paramChannel, Label: "Channel", Kind: flows.KindString,
				Description: "A channel to post to instead of the webhook's own (older webhooks only).", Example: "#sales"},
			{Name: paramUsername, Label: "Post as", Kind: flows.KindString,
				Description: "The name shown as the poster (older webhooks only).", Example: "Journeys"},
		},
		Examples: []flows.Example{
			{Title: "Hot lead alert", Params: map[string]any{paramCredential: "cred_slack",
				paramText: "New hot lead: {{ contact.first_name }} ({{ contact.email }})"}},
		},
	}, runSlack)
	return remoteWithAccount(t)
}

func runSlack(ctx context.Context, in *Input, p *SlackParams) (Result, error) {
	text, err := in.Node.Render(paramText, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramText, err)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Result{}, Permanentf("%q came out empty for this contact, so there is nothing to post", label(in, paramText))
	}
	m := SlackMessage{Text: text, Channel: strings.TrimSpace(p.Channel), Username: strings.TrimSpace(p.Username)}
	if strings.TrimSpace(p.Credential) == "" {
		return keepSlackPost(ctx, in, m)
	}
	acc, err := accountFor(ctx, in, strings.TrimSpace(p.Credential), paramCredential, ProvidesSlack)
	if err != nil {
		return Result{}, err
	}
	if acc.Slack == nil {
		return Result{}, Permanentf("the Slack account %q has no incoming webhook URL", acc.Name)
	}
	if err := acc.Slack.PostSlack(ctx, m); err != nil {
		return Result{}, err
	}
	return Result{Port: PortOut, Output: map[string]any{"posted": true, "text": text}}, nil
}

// slackSandboxReason says why a post was kept instead of sent.
const slackSandboxReason = "No Slack account is chosen for this step, so the post was kept in the sandbox outbox; nothing was sent."

// keepSlackPost records the post of a step without a Slack account in the
// sandbox outbox, under the step's key: a retried step finds the first
// record and records nothing more.
func keepSlackPost(ctx context.Context, in *Input, m SlackMessage) (Result, error) {
	if in.Channels == nil {
		return Result{}, Permanentf("no Slack account is chosen for this step, and the sandbox outbox is not available to keep the post")
	}
	d := Draft{Key: in.Key, Channel: ChannelSlack, Provider: ProviderSandbox, Status: StatusSandboxed, Reason: slackSandboxReason,
		To: cmpOr(m.Channel, "Slack"), Text: m.Text, ContactID: in.Env.Contact.ID, RunID: in.RunID,
		NodeID: in.Node.Node.ID, FlowID: in.Env.Run.FlowID}
	rec, err := in.Channels.Record(ctx, d)
	if err != nil {
		return Result{}, fmt.Errorf("record the Slack post: %w", err)
	}
	// The text stays in the outbox record, which is erased with the
	// contact; run history outlives an erased contact.
	return Result{Port: PortOut, Output: map[string]any{"posted": false, "channel": ChannelSlack, "status": rec.Status,
		"reason": rec.Reason, "message_id": rec.ID, "provider": ProviderSandbox}}, nil
}
