package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestUsersAPI lists, adds and removes users the way an administrator
// does from Settings → Users.
func TestUsersAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, withUser)
	login := b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+testEmail+`","password":"`+testPassword+`"}`).must(t, 200)
	// What the editor's requests carry: the cookie and, from the browser,
	// Sec-Fetch-Site (see TestCSRF).
	cookie := []string{"Cookie", strings.SplitN(login.header.Get("Set-Cookie"), ";", 2)[0], "Sec-Fetch-Site", "same-origin"}
	var me struct{ User struct{ ID string } }
	login.json(t, &me)

	for _, tc := range []struct{ body, want string }{
		{`{"email":"not-an-email","password":"long enough pw"}`, "valid email"},
		{`{"email":"ann@","password":"long enough pw"}`, "valid email"},
		{`{"email":"ann@example.com","password":"nine char"}`, "10 to 72 characters"},
		{`{"email":"ann@example.com"}`, "10 to 72 characters"},
	} {
		res := b.request(t, "POST", "/api/v1/users", tc.body, cookie...).must(t, http.StatusBadRequest)
		if !strings.Contains(res.body, tc.want) {
			t.Errorf("POST %s: body %s lacks %q", tc.body, res.body, tc.want)
		}
	}

	var created struct {
		User struct{ ID, Email, Role string }
	}
	res := b.request(t, "POST", "/api/v1/users", `{"email":" Ann@Example.com ","password":"ten chars!"}`, cookie...).must(t, http.StatusCreated)
	res.json(t, &created)
	if created.User.Email != "ann@example.com" || created.User.ID == "" || created.User.Role != "admin" || strings.Contains(res.body, "hash") {
		t.Fatalf("created: %s", res.body)
	}
	b.request(t, "POST", "/api/v1/users", `{"email":"ANN@example.com","password":"another one!"}`, cookie...).must(t, http.StatusConflict)

	// The new user can sign in.
	b.request(t, "POST", "/api/v1/auth/login", `{"email":"ann@example.com","password":"ten chars!"}`).must(t, 200)

	list := b.request(t, "GET", "/api/v1/users", "", cookie...).must(t, 200)
	if !strings.Contains(list.body, `"email":"ann@example.com"`) || !strings.Contains(list.body, `"email":"`+testEmail+`"`) ||
		!strings.Contains(list.body, `"created_at"`) || strings.Contains(strings.ToLower(list.body), "password") {
		t.Fatalf("users: %s", list.body)
	}

	// Nobody removes themselves.
	self := b.request(t, "DELETE", "/api/v1/users/"+me.User.ID, "", cookie...).must(t, http.StatusConflict)
	if !strings.Contains(self.body, "cannot remove yourself") {
		t.Fatalf("self delete: %s", self.body)
	}
	b.request(t, "DELETE", "/api/v1/users/nobody", "", cookie...).must(t, http.StatusNotFound)
	b.request(t, "DELETE", "/api/v1/users/"+created.User.ID, "", cookie...).must(t, http.StatusNoContent)
	b.request(t, "POST", "/api/v1/auth/login", `{"email":"ann@example.com","password":"ten chars!"}`).must(t, http.StatusUnauthorized)
	if list := b.request(t, "GET", "/api/v1/users", "", cookie...).must(t, 200); strings.Contains(list.body, "ann@example.com") {
		t.Fatalf("removed user still listed: %s", list.body)
	}

	// With an API token there is no "yourself", but the last user stays.
	b.api(t, "DELETE", "/api/v1/users/"+me.User.ID, "").must(t, http.StatusConflict)
}

// TestDeletedUserIsSignedOut ends the sessions of a removed user.
func TestDeletedUserIsSignedOut(t *testing.T) {
	t.Parallel()
	b := setup(t, withUser)
	var created struct{ User struct{ ID string } }
	b.api(t, "POST", "/api/v1/users", `{"email":"bob@example.com","password":"bobs password"}`).must(t, http.StatusCreated).json(t, &created)
	login := b.request(t, "POST", "/api/v1/auth/login", `{"email":"bob@example.com","password":"bobs password"}`).must(t, 200)
	cookie := strings.SplitN(login.header.Get("Set-Cookie"), ";", 2)[0]
	b.request(t, "GET", "/api/v1/auth/me", "", "Cookie", cookie).must(t, 200)
	b.api(t, "DELETE", "/api/v1/users/"+created.User.ID, "").must(t, http.StatusNoContent)
	b.request(t, "GET", "/api/v1/auth/me", "", "Cookie", cookie).must(t, http.StatusUnauthorized)
}
