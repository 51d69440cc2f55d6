package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/journeyhq/journey/storage"
)

// TestPasswordPolicyIsOneRule: the first-run screen and the users API
// refuse 9 characters and accept 10, with the same sentence (the CLI's
// side is TestCLIUserCreatePasswordRule in the module root).
func TestPasswordPolicyIsOneRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, pw := range []string{"123456789", ""} {
		res := b.request(t, "POST", "/api/v1/auth/setup", `{"email":"first@example.com","password":"`+pw+`"}`).must(t, http.StatusBadRequest)
		if !strings.Contains(res.body, storage.PasswordRule()) {
			t.Fatalf("setup with %d characters: %s", len(pw), res.body)
		}
	}
	b.request(t, "POST", "/api/v1/auth/setup", `{"email":"first@example.com","password":"1234567890"}`).must(t, http.StatusCreated)

	b = setup(t, withUser)
	res := b.api(t, "POST", "/api/v1/users", `{"email":"ann@example.com","password":"123456789"}`).must(t, http.StatusBadRequest)
	if !strings.Contains(res.body, storage.PasswordRule()) {
		t.Fatalf("users API with 9 characters: %s", res.body)
	}
	b.api(t, "POST", "/api/v1/users", `{"email":"ann@example.com","password":"1234567890"}`).must(t, http.StatusCreated)
}

// TestChangeUserRole: an administrator creates an editor, makes them a
// viewer (who may then only read), and cannot demote the last admin.
func TestChangeUserRole(t *testing.T) {
	t.Parallel()
	b := setup(t, withUser)
	var me struct{ User struct{ ID string } }
	login := b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+testEmail+`","password":"`+testPassword+`"}`).must(t, 200)
	login.json(t, &me)
	admin := []string{"Cookie", strings.SplitN(login.header.Get("Set-Cookie"), ";", 2)[0], "Sec-Fetch-Site", "same-origin"}

	var ed struct{ User struct{ ID, Role string } }
	b.request(t, "POST", "/api/v1/users", `{"email":"ed@example.com","password":"editor password","role":"editor"}`, admin...).
		must(t, http.StatusCreated).json(t, &ed)
	if ed.User.Role != "editor" {
		t.Fatalf("created with role %q, want editor", ed.User.Role)
	}
	if list := b.request(t, "GET", "/api/v1/users", "", admin...).must(t, 200); !strings.Contains(list.body, `"email":"ed@example.com","role":"editor"`) {
		t.Fatalf("list: %s", list.body)
	}
	edLogin := b.request(t, "POST", "/api/v1/auth/login", `{"email":"ed@example.com","password":"editor password"}`).must(t, 200)
	edCookie := []string{"Cookie", strings.SplitN(edLogin.header.Get("Set-Cookie"), ";", 2)[0], "Sec-Fetch-Site", "same-origin"}
	b.request(t, "POST", "/api/v1/flows", `{"id":"by-ed","name":"Ed's","settings":{},"nodes":[],"edges":[]}`, edCookie...).must(t, http.StatusCreated)
	// An editor may not change roles, not even their own.
	b.request(t, "PATCH", "/api/v1/users/"+ed.User.ID, `{"role":"admin"}`, edCookie...).must(t, http.StatusForbidden)

	var changed struct{ User struct{ Role string } }
	b.request(t, "PATCH", "/api/v1/users/"+ed.User.ID, `{"role":"viewer"}`, admin...).must(t, 200).json(t, &changed)
	if changed.User.Role != "viewer" {
		t.Fatalf("PATCH answered role %q, want viewer", changed.User.Role)
	}
	// The change applies to the session Ed already has.
	b.request(t, "POST", "/api/v1/flows", `{"id":"by-ed-2","name":"Ed's","settings":{},"nodes":[],"edges":[]}`, edCookie...).must(t, http.StatusForbidden)
	b.request(t, "GET", "/api/v1/flows", "", edCookie...).must(t, 200)

	res := b.request(t, "PATCH", "/api/v1/users/"+me.User.ID, `{"role":"editor"}`, admin...).must(t, http.StatusConflict)
	if !strings.Contains(res.body, "last administrator") {
		t.Fatalf("demoting the last admin: %s", res.body)
	}
	b.request(t, "PATCH", "/api/v1/users/"+ed.User.ID, `{"role":"owner"}`, admin...).must(t, http.StatusBadRequest)
	b.request(t, "PATCH", "/api/v1/users/nobody", `{"role":"viewer"}`, admin...).must(t, http.StatusNotFound)

	// With a second administrator, the first may step down.
	b.request(t, "PATCH", "/api/v1/users/"+ed.User.ID, `{"role":"admin"}`, admin...).must(t, 200)
	b.request(t, "PATCH", "/api/v1/users/"+me.User.ID, `{"role":"editor"}`, admin...).must(t, 200)
	if audit := b.api(t, "GET", "/api/v1/audit", "").must(t, 200); !strings.Contains(audit.body, "changed the role of ed@example.com to viewer") {
		t.Fatalf("audit log lacks the role change: %s", audit.body)
	}
}
