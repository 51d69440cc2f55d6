package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
)

// nodeTypeSamples serves realistic trigger bodies for the test panel:
// GET /node-types/:type/samples[?preset=intercom]. Only trigger.webhook
// has some (per chat platform preset this build reads); other types have
// none.
func (s *Server) nodeTypeSamples(c *fiber.Ctx) error {
	typ := param(c, "type")
	if _, ok := s.eng.Registry().Latest(typ); !ok {
		return notFound("There is no node type %q.", typ)
	}
	out := []chatpresets.Sample{}
	if typ != nodes.TypeWebhookTrigger {
		return c.JSON(fiber.Map{"samples": out})
	}
	all, err := chatpresets.Samples()
	if err != nil {
		return err
	}
	preset := c.Query("preset")
	for _, sample := range all {
		if _, ok := s.eng.Registry().WebhookPreset(sample.Preset); !ok {
			continue // a preset this build does not read
		}
		if preset == "" || sample.Preset == preset {
			out = append(out, sample)
		}
	}
	return c.JSON(fiber.Map{"samples": out})
}
