package flows

import (
	"slices"
	"testing"
)

func TestContactFieldsOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src          string
		used, tested []string
	}{
		{src: "contact.first_name", used: []string{"first_name"}},
		{src: `"Hi " + contact.first_name + " at " + contact.company`, used: []string{"first_name", "company"}},
		{src: "contact.fields.plan", used: []string{"fields.plan"}},
		{src: `contact.fields["plan"]`, used: []string{"fields.plan"}},
		{src: `coalesce(contact.first_name, "there")`, tested: []string{"first_name"}},
		{src: `contact.first_name ?? "there"`, tested: []string{"first_name"}},
		{src: `contact.phone != "" ? contact.phone : contact.email`, tested: []string{"phone", "phone", "email"}},
		{src: `upper(contact.last_name)`, used: []string{"last_name"}},
		// Not contact fields a step can save: no reads.
		{src: `contact.score + 1`},
		{src: `trigger.first_name`},
		{src: `not a valid (`},
	}
	for _, tt := range tests {
		used, tested := contactFieldsOf(tt.src)
		if !slices.Equal(used, tt.used) || !slices.Equal(tested, tt.tested) {
			t.Errorf("%s: used %q tested %q, want %q and %q", tt.src, used, tested, tt.used, tt.tested)
		}
	}
}
