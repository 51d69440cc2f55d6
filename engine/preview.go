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

// ContactOwnerEnv returns the owner of a stored contact as expressions see
// it (owner.name), empty when nobody owns the contact.
func (e *Engine) ContactOwnerEnv(id string) (flows.Owner, error) {
	c, err := storage.GetContact(e.store.Reader(), id)
	if err != nil {
		return flows.Owner{}, err
	}
	return envOwner(e.store.Reader(), c.OwnerID)
}
