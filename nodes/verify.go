package nodes

import (
	"context"
	"errors"
	"strings"

	"github.com/journeyhq/journey/flows"
)

// TypeVerifyEmail checks an email address before it enters the CRM.
const TypeVerifyEmail = "contact.verify_email"

// Ports of contact.verify_email.
const (
	PortEmailValid   = "valid"
	PortEmailRisky   = "risky"
	PortEmailInvalid = "invalid"
)

// Email check verdicts (the ports' names, and the value of the contact's
// email_status field).
const (
	EmailValid   = PortEmailValid
	EmailRisky   = PortEmailRisky
	EmailInvalid = PortEmailInvalid
)

// Where the result of contact.verify_email is kept: these custom fields of
// the contact (contact.fields.email_status), and run vars of the same
// names for the steps after it (vars.email_status).
const (
	// FieldEmailStatus is "valid", "risky" or "invalid".
	FieldEmailStatus = "email_status"
	// FieldEmailCheckReason says why, in a sentence.
	FieldEmailCheckReason = "email_check_reason"
	// VarEmailSuggestion is the corrected address of a likely typo
	// (a run var only).
	VarEmailSuggestion = "email_suggestion"
	// varEmailChecked is the address the step checked (a run var), so
	// that a later "Create or update contact" saving that address keeps
	// the result on the contact.
	varEmailChecked = "email_checked"
)

// EmailChecker checks one email address: its syntax, whether its domain
// receives mail (DNS), and whether it is a throwaway, role or mistyped
// address. Implementations cache DNS answers per domain. A DNS failure is
// not an error: it makes the address risky, with a reason saying so.
type EmailChecker interface {
	CheckEmail(ctx context.Context, address string) EmailCheck
}

// EmailCheck is the verdict on one address.
type EmailCheck struct {
	// Email is the address checked, trimmed and lower-cased.
	Email string
	// Status is EmailValid, EmailRisky or EmailInvalid.
	Status string
	// Reason says why, in plain words ("looks like a typo of gmail.com");
	// empty for a valid address.
	Reason string
	// Reasons lists every finding, most important first (Reason is the
	// first).
	Reasons []string
	// Suggestion is the likely intended address of a typo
	// ("ana@gmail.com" for "ana@gmial.com"), else "".
	Suggestion string
	// Disposable, Role and Typo say what made the address risky.
	Disposable bool
	Role       bool
	Typo       bool
	// DNSUnavailable is set when the domain's mail records could not be
	// looked up (a timeout or a failing DNS server): the address may be
	// fine.
	DNSUnavailable bool
	// MailHosts are the domain's mail servers (MX), or the domain itself
	// when it has only an address record.
	MailHosts []string
}

// ErrNoEmailChecker is returned when the engine has no email checker.
var ErrNoEmailChecker = errors.New("email checking is not available on this server")

// VerifyEmailParams are contact.verify_email's params.
type VerifyEmailParams struct {
	// Email is a template giving the address to check ("email").
	Email string `json:"email,omitempty"`
}

func verifyEmailNode() *Type {
	t := define(flows.TypeSpec{
		Type:     TypeVerifyEmail,
		Category: flows.CategoryCRM,
		Title:    "Check the email address",
		Description: "Checks an email address before you save or write to it: is it written correctly, does its domain receive email, " +
			"and is it a throwaway address (like mailinator.com), a shared one (info@, sales@, noreply@) or a likely typo (gmial.com for gmail.com)? " +
			"Goes on through Valid, Risky (with the reason, also when the domain could not be looked up just now) or Invalid. " +
			"The result is remembered for later steps and kept on the contact.",
		Outputs: []flows.PortSpec{
			{Name: PortEmailValid, Label: "Valid"},
			{Name: PortEmailRisky, Label: "Risky"},
			{Name: PortEmailInvalid, Label: "Invalid"},
		},
		Params: []flows.ParamSpec{
			{
				Name: paramEmail, Label: "Email", Kind: flows.KindTemplate, Default: "{{ contact.email }}",
				Description: "The address to check; the contact's email when left empty.",
				Example:     "{{ trigger.email }}",
			},
		},
		Examples: []flows.Example{
			{Title: "Check the address a chat captured, before saving the lead", Params: map[string]any{paramEmail: "{{ trigger.email }}"}},
			{Title: "Check the contact's address", Params: map[string]any{}},
		},
	}, runVerifyEmail)
	t.Remote = true // DNS look-ups: never inside the step's transaction
	return t
}

func runVerifyEmail(ctx context.Context, in *Input, _ *VerifyEmailParams) (Result, error) {
	if in.EmailChecker == nil {
		return Result{}, Permanent(ErrNoEmailChecker)
	}
	addr, err := in.Node.Render(paramEmail, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramEmail, err)
	}
	addr = strings.ToLower(strings.TrimSpace(addr))
	if addr == "" {
		return Result{}, Permanentf("%q came out empty for this contact, so there is no address to check", label(in, paramEmail))
	}
	c := in.EmailChecker.CheckEmail(ctx, addr)
	if err := ctx.Err(); err != nil && c.DNSUnavailable {
		// The step ran out of time (or the engine is stopping): try again
		// rather than calling a good address risky.
		return Result{}, err
	}
	out := map[string]any{
		"email": c.Email, "status": c.Status, "reason": c.Reason,
		"disposable": c.Disposable, "role": c.Role, "typo": c.Typo, "dns_unavailable": c.DNSUnavailable,
	}
	if len(c.Reasons) > 0 {
		out["reasons"] = c.Reasons
	}
	if c.Suggestion != "" {
		out["suggestion"] = c.Suggestion
	}
	if len(c.MailHosts) > 0 {
		out["mail_hosts"] = c.MailHosts
	}
	vars := map[string]any{
		FieldEmailStatus: c.Status, FieldEmailCheckReason: c.Reason, VarEmailSuggestion: c.Suggestion, varEmailChecked: c.Email,
	}
	res := Result{Port: c.Status, Output: out, Vars: vars}
	if in.Env != nil && in.Env.Contact.ID != "" && c.Email != "" && strings.EqualFold(in.Env.Contact.Email, c.Email) {
		res.ContactFields = emailCheckFields(c.Status, c.Reason)
		out["saved_on_contact"] = true
	}
	return res, nil
}

// emailCheckFields are the contact fields that keep a check's result.
func emailCheckFields(status, reason string) map[string]any {
	return map[string]any{FieldEmailStatus: status, FieldEmailCheckReason: reason}
}

// emailCheckFor returns the contact fields of an email check made earlier
// in the run for email (nil when none was).
func emailCheckFor(env *flows.Env, email string) map[string]any {
	if env == nil || email == "" {
		return nil
	}
	checked, _ := env.Vars[varEmailChecked].(string)
	status, _ := env.Vars[FieldEmailStatus].(string)
	if checked == "" || status == "" || !strings.EqualFold(checked, email) {
		return nil
	}
	reason, _ := env.Vars[FieldEmailCheckReason].(string)
	return emailCheckFields(status, reason)
}
