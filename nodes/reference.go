package nodes

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/journeyhq/journey/flows"
)

// categoryTitles are the headings of the node reference, in palette order.
var categoryTitles = []struct {
	cat   flows.Category
	title string
}{
	{flows.CategoryTrigger, "Triggers"},
	{flows.CategoryLogic, "Logic"},
	{flows.CategoryTiming, "Timing"},
	{flows.CategoryCRM, "CRM"},
	{flows.CategoryList, "Lists and tags"},
	{flows.CategoryMessage, "Messages"},
	{flows.CategoryIntegration, "Integrations"},
}

// WriteReference renders the node reference of r as Markdown: per
// category, each type's title, id, description, ports, parameters and
// examples. The output depends only on the declarations, so it is stable
// and can be committed and compared.
func WriteReference(w io.Writer, r *Registry) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# Node reference")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "<!-- Generated from the node declarations by `go test ./nodes -run TestReferenceIsUpToDate -update`. Do not edit. -->")
	fmt.Fprintln(bw)
	byCat := map[flows.Category][]*Type{}
	for _, t := range r.All() {
		byCat[t.Spec.Category] = append(byCat[t.Spec.Category], t)
	}
	known := map[flows.Category]bool{}
	for _, c := range categoryTitles {
		known[c.cat] = true
	}
	cats := categoryTitles
	for _, c := range slices.Sorted(maps.Keys(byCat)) {
		if !known[c] {
			cats = append(cats, struct {
				cat   flows.Category
				title string
			}{c, string(c)})
		}
	}
	for _, c := range cats {
		types := byCat[c.cat]
		if len(types) == 0 {
			continue
		}
		fmt.Fprintf(bw, "## %s\n\n", c.title)
		for _, t := range types {
			if err := writeType(bw, &t.Spec); err != nil {
				return err
			}
		}
	}
	writeConnectors(bw)
	writeEvents(bw)
	return bw.Flush()
}

// capabilityTitles say where a vendor's accounts can be chosen.
var capabilityTitles = map[Capability]string{
	ProvidesCRM:      "CRM steps (Save to)",
	ProvidesContacts: "Create or update contact (Save to)",
	ProvidesLists:    "Add to list and Remove from list (Save to)",
	ProvidesTags:     "Tag or untag contact (Save to)",
	ProvidesEvents:   "Record event in email platform",
	ProvidesSlack:    "Tell the team on Slack",
	ProvidesHTTP:     "Call a web service",
}

// writeConnectors lists the registered vendor connectors: where their
// accounts are used, the values a user enters, and their notes.
func writeConnectors(w *bufio.Writer) {
	list := Connectors()
	if len(list) == 0 {
		return
	}
	fmt.Fprintln(w, "## Connected accounts")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The vendors a step can reach, each added under Settings, Credentials (secrets are stored encrypted and never shown again).")
	fmt.Fprintln(w)
	for _, c := range list {
		fmt.Fprintf(w, "### %s\n\n", c.Title)
		used := make([]string, len(c.Provides))
		for i, p := range c.Provides {
			used[i] = capabilityTitles[p]
		}
		fmt.Fprintf(w, "Credential kind `%s`, used by: %s.\n\n", c.Kind, strings.Join(used, ", "))
		if c.Docs != "" {
			fmt.Fprintf(w, "%s\n\n", c.Docs)
		}
		fmt.Fprintln(w, "| Value | Required | Secret | Description |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, f := range c.Fields {
			fmt.Fprintf(w, "| %s (`%s`) | %s | %s | %s |\n", f.Label, f.Name, yesNo(f.Required), yesNo(f.Secret), f.Description)
		}
		fmt.Fprintln(w)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writeEvents lists the known events, by group, for event parameters.
func writeEvents(w *bufio.Writer) {
	fmt.Fprintln(w, "## Events")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The events this product records for a contact, to name in event parameters. "+
		"Any other name works too, for events your own systems send to `POST /api/v1/events`.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Event | Group | What happened |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, e := range KnownEvents {
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", e.Type, e.Group, e.Sentence)
	}
	fmt.Fprintln(w)
}

// writeType renders one type's section.
func writeType(w *bufio.Writer, s *flows.TypeSpec) error {
	fmt.Fprintf(w, "### %s\n\n", s.Title)
	fmt.Fprintf(w, "`%s`", s.Type)
	if s.Version > 1 {
		fmt.Fprintf(w, " version %d", s.Version)
	}
	var flags []string
	if s.Trigger {
		flags = append(flags, "starts a journey")
	}
	if s.Waits {
		flags = append(flags, "can pause the journey")
	}
	if s.Credential != "" {
		flags = append(flags, "uses a "+s.Credential+" credential")
	}
	if len(flags) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(flags, "; "))
	}
	fmt.Fprintf(w, "\n\n%s\n\n", s.Description)
	if len(s.Aliases) > 0 {
		fmt.Fprintf(w, "Also accepted under the former id(s) %s.\n\n", codeList(s.Aliases))
	}

	fmt.Fprintln(w, "**Paths out:**")
	if len(s.Outputs) == 0 && s.DynamicPorts == "" {
		fmt.Fprintln(w, "none: the journey ends here.")
	}
	for _, p := range s.Outputs {
		fmt.Fprintf(w, "- `%s`: %s\n", p.Name, p.Label)
	}
	if s.DynamicPorts != "" {
		fmt.Fprintf(w, "- one path per item of `%s`, named by its `name`\n", s.DynamicPorts)
	}
	fmt.Fprintln(w)

	if len(s.Params) == 0 {
		fmt.Fprintln(w, "No parameters.")
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "| Parameter | Kind | Required | Default | Description |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, p := range s.Params {
			writeParamRow(w, p, "")
			for _, f := range p.Fields {
				writeParamRow(w, f, p.Name+"[].")
			}
		}
		fmt.Fprintln(w)
	}

	for _, ex := range s.Examples {
		fmt.Fprintf(w, "Example: %s\n\n", ex.Title)
		params := ex.Params
		if params == nil {
			params = map[string]any{}
		}
		node := struct {
			Type   string         `json:"type"`
			Params map[string]any `json:"params"`
		}{s.Type, params}
		b, err := marshalJSON(node, "  ")
		if err != nil {
			return fmt.Errorf("example %q of %s: %w", ex.Title, s.Type, err)
		}
		fmt.Fprintf(w, "```json\n%s\n```\n\n", b)
	}
	return nil
}

// writeParamRow renders one row of a params table.
func writeParamRow(w *bufio.Writer, p flows.ParamSpec, prefix string) {
	kind := string(p.Kind)
	switch {
	case p.Kind == flows.KindExpression && p.Returns != "":
		kind += " (" + p.Returns + ")"
	case p.Kind == flows.KindMap:
		kind += " of expressions"
	case p.Kind == flows.KindEnum || len(p.Enum) > 0:
		kind += ": " + strings.Join(p.Enum, ", ")
	case p.Kind == flows.KindCredential && p.CredentialKind != "":
		kind += " (" + p.CredentialKind + ")"
	}
	if p.Min != nil || p.Max != nil {
		kind += fmt.Sprintf(" %s..%s", bound(p.Min), bound(p.Max))
	}
	req := ""
	if p.Required {
		req = "yes"
		if len(p.ShowIf) > 0 {
			req = "yes, when shown"
		}
	}
	def := ""
	if p.Default != nil {
		b, _ := marshalJSON(p.Default, "")
		def = "`" + string(b) + "`"
	}
	desc := "**" + p.Label + ".**"
	if p.Description != "" {
		desc += " " + p.Description
	}
	if len(p.ShowIf) > 0 {
		var conds []string
		for _, k := range slices.Sorted(maps.Keys(p.ShowIf)) {
			conds = append(conds, fmt.Sprintf("`%s` is %s", k, strings.Join(p.ShowIf[k], " or ")))
		}
		desc += " Only when " + strings.Join(conds, " and ") + "."
	}
	if p.Options != "" {
		desc += " Choices come from " + p.Options + "."
	}
	if p.Secret {
		desc += " Secret: never shown."
	}
	fmt.Fprintf(w, "| `%s%s` | %s | %s | %s | %s |\n", prefix, p.Name, cell(kind), req, cell(def), cell(desc))
}

// bound formats an optional number bound.
func bound(f *float64) string {
	if f == nil {
		return ""
	}
	return fmt.Sprintf("%g", *f)
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// codeList formats names as `a`, `b`.
func codeList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}

// marshalJSON encodes v without HTML escaping (">=" stays readable),
// indented when indent is not empty, without a trailing newline.
func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
