package channels_test

import (
	"testing"

	"github.com/journeyhq/journey/engine/channels"
)

// Only a whole message is a keyword, whatever its case and spacing.
func TestKeyword(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"STOP": channels.KeywordStop, " stop ": channels.KeywordStop, "Stop.": channels.KeywordStop,
		"STOPALL": channels.KeywordStop, "unsubscribe": channels.KeywordStop, "Cancel": channels.KeywordStop,
		"END": channels.KeywordStop, "quit!": channels.KeywordStop,
		"START": channels.KeywordStart, "unstop": channels.KeywordStart,
		"HELP": channels.KeywordHelp, "help\n": channels.KeywordHelp,
		"": "", "please stop": "", "stop calling me at night": "", "STARTING": "", "YES": "",
	} {
		if got := channels.Keyword(text); got != want {
			t.Errorf("Keyword(%q) = %q, want %q", text, got, want)
		}
	}
}
