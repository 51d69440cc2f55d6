package engine

import (
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// ContactEnv returns a stored contact as expressions see it (without the
// activity fields, which cost queries), to preview a step's message for
// a chosen contact.
func (e *Engine) ContactEnv(id string) (flows.Contact, error) {
	c, err := storage.GetContact(e.store.Reader(), id)
	if err != nil {
		return flows.Contact{}, err
	}
	return envContact(c), nil
}
