package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// exportRuns returns a contact's runs with their steps (at most
// exportLimit runs).
func (s *Server) exportRuns(contactID string) ([]runDetail, error) {
	db := s.store.Reader()
	runs := []runDetail{}
	for offset := 0; offset < exportLimit; offset += maxRunsPage {
		batch, total, err := storage.ListRuns(db, storage.RunQuery{ContactID: contactID, Limit: maxRunsPage, Offset: offset})
		if err != nil {
			return nil, err
		}
		for i := range batch {
			d, err := s.runDetail(batch[i].ID)
			if err != nil {
				return nil, err
			}
			runs = append(runs, *d)
		}
		if len(batch) < maxRunsPage || int64(len(runs)) >= total {
			break
		}
	}
	return runs, nil
}

// exportPage is the page size of the export's message reads.
const exportPage = 200

// exportMessages returns the messages sent (or held) for a contact.
func exportMessages(db storage.Tx, contactID string) ([]messageView, error) {
	out := []messageView{}
	for offset := 0; offset < exportLimit; offset += exportPage {
		batch, total, err := storage.ListMessages(db, storage.MessageQuery{ContactID: contactID, Limit: exportPage, Offset: offset})
		if err != nil {
			return nil, err
		}
		for i := range batch {
			out = append(out, newMessageView(&batch[i]))
		}
		if len(batch) < exportPage || int64(len(out)) >= total {
			break
		}
	}
	return out, nil
}

// suppressionView is an entry of the suppression list: a hash, never the
// address.
type suppressionView struct {
	Hash      string    `json:"hash"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
}

// listSuppressions pages through the hashed emails and phones of erased
// contacts: ?limit=&offset=.
func (s *Server) listSuppressions(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	rows, total, err := storage.ListErasedIdentities(s.store.Reader(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]suppressionView, len(rows))
	for i, r := range rows {
		out[i] = suppressionView{Hash: r.Hash, Kind: r.Kind, CreatedAt: r.CreatedAt}
	}
	return c.JSON(fiber.Map{"suppressions": out, "total": total})
}

// liftRequest names the identities of a person who consented again.
type liftRequest struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// liftSuppression removes an email and/or phone from the suppression list
// once the person consented again, so a contact with them may be created.
func (s *Server) liftSuppression(c *fiber.Ctx) error {
	var in liftRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	in.Email, in.Phone = strings.TrimSpace(in.Email), strings.TrimSpace(in.Phone)
	if in.Email == "" && in.Phone == "" {
		return badRequest("Give the email and/or phone of the person who consented again.")
	}
	var lifted int64
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		var err error
		lifted, err = storage.LiftErasure(tx, in.Email, in.Phone)
		return err
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusOK).JSON(fiber.Map{"lifted": lifted})
}
