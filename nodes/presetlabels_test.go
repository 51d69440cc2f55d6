package nodes_test

import (
	"testing"

	"github.com/journeyhq/journey/nodes"
)

// TestEveryWebhookPresetHasAPlainName: the editor's "Chat platform" list
// shows each preset by its plain name, and names no preset that is not
// declared.
func TestEveryWebhookPresetHasAPlainName(t *testing.T) {
	t.Parallel()
	for _, p := range nodes.WebhookPresets {
		if nodes.WebhookPresetLabels[p] == "" {
			t.Errorf("the preset %q has no plain name", p)
		}
	}
	if len(nodes.WebhookPresetLabels) != len(nodes.WebhookPresets) {
		t.Errorf("%d names for %d presets", len(nodes.WebhookPresetLabels), len(nodes.WebhookPresets))
	}
	typ, ok := nodes.Builtin().Latest(nodes.TypeWebhookTrigger)
	if !ok {
		t.Fatal("no trigger.webhook")
	}
	for _, p := range typ.Spec.Params {
		if p.Name == "preset" && p.EnumLabels["bot_framework"] != "Microsoft Bot Framework (Azure Bot Service, Teams)" {
			t.Errorf("the preset parameter does not carry the names: %v", p.EnumLabels)
		}
	}
}
