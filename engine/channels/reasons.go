package channels

import (
	"fmt"
	"strings"
)

// statusReason says in a sentence what a message's new status means, from
// the event that moved it there: the reason shown with a message always
// describes its current status ("" when the status did not change).
func statusReason(from, to, provider string, data map[string]any) string {
	if to == from {
		return ""
	}
	by := ""
	switch {
	case data["simulated"] == true:
		by = " (simulated in the sandbox)"
	case provider != "":
		by = " (reported by " + provider + ")"
	}
	switch to {
	case EventDelivered:
		return "Delivered to the recipient" + by + "."
	case EventRead:
		return "Read by the recipient" + by + "."
	case EventOpened:
		return "Opened by the recipient" + by + "."
	case EventClicked:
		return "A link in it was clicked" + by + "."
	case EventFailed, EventUndelivered, EventBounced:
		words := map[string]string{EventFailed: "failed", EventUndelivered: "not delivered", EventBounced: "bounced"}
		return fmt.Sprintf("%s%s%s.", strings.ToUpper(words[to][:1]), words[to][1:], by) + failureDetail(data)
	}
	return fmt.Sprintf("Now %s%s.", to, by)
}

// failureDetail is the vendor's own words about a failure, when it gave any.
func failureDetail(data map[string]any) string {
	var parts []string
	for _, k := range []string{"reason", "error_message", "description", "details"} {
		if v, _ := data[k].(string); strings.TrimSpace(v) != "" {
			parts = append(parts, strings.TrimSpace(v))
			break
		}
	}
	if code := fmt.Sprint(data["error_code"]); data["error_code"] != nil && code != "" {
		parts = append(parts, "error code "+code)
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, "; ") + "."
}
