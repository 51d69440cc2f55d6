package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// bcryptCost is the cost of new password hashes. Tests lower it.
var bcryptCost = bcrypt.DefaultCost

// Password length bounds: the one password policy of the first-run
// screen, the users API and the CLI (bcrypt reads at most 72 bytes).
const (
	MinPasswordLen = 10
	MaxPasswordLen = 72
)

// PasswordRule is the policy in one sentence, for error messages and help.
func PasswordRule() string {
	return fmt.Sprintf("A password needs %d to %d characters.", MinPasswordLen, MaxPasswordLen)
}

// CheckPassword returns a *WeakPasswordError when password breaks the rule.
func CheckPassword(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return &WeakPasswordError{Len: len(password)}
	}
	return nil
}

// APITokenPrefix starts every API token, so that a leaked token is easy to
// recognise (and to scan for).
const APITokenPrefix = "jrn_"

// tokenTouchEvery bounds how often TouchAPIToken writes last_used_at.
const tokenTouchEvery = time.Minute

// ErrBadCredentials means the email is unknown or the password is wrong;
// the two are deliberately not told apart.
var ErrBadCredentials = errors.New("bad credentials")

// WeakPasswordError rejects a password that is too short or too long.
type WeakPasswordError struct {
	// Len is the length of the rejected password, in bytes.
	Len int
}

// Is makes errors.Is(err, &WeakPasswordError{}) match any length.
func (e *WeakPasswordError) Is(target error) bool {
	_, ok := target.(*WeakPasswordError)
	return ok
}

func (e *WeakPasswordError) Error() string {
	return fmt.Sprintf("%s This one has %d.", PasswordRule(), e.Len)
}

// dummyHash is compared against when the user does not exist, so that an
// unknown email costs as much time as a wrong password. It is a bcrypt
// hash (cost 10) of a random string nobody knows.
const dummyHash = "$2a$10$tSPkIik5Pk82w/lvzm51G.4u61/S9wdrqyhGb/EhpiMUrJRD/mQsK"

// CreateUser adds a user who signs in with email (stored lower-case) and
// password (stored as a bcrypt hash), as an admin. A taken email is
// ErrDuplicate; a password that breaks PasswordRule is a *WeakPasswordError.
func CreateUser(tx Tx, email, password string, now time.Time) (*User, error) {
	return CreateUserWithRole(tx, email, password, RoleAdmin, now)
}

// Authenticate returns the user with this email and password, or
// ErrBadCredentials. It spends a bcrypt comparison even for an unknown
// email, so timing does not reveal which emails exist.
func Authenticate(db Tx, email, password string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var u User
	found, err := takeOne(db.db.Where("email = ?", email), &u)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	hash := dummyHash
	if found {
		hash = u.PasswordHash
	}
	if err := compareHash(hash, password); err != nil || !found {
		return nil, ErrBadCredentials
	}
	return &u, nil
}

// bcryptSlots caps bcrypt work at half the cores, so that a flood of
// sign-ins (each ~50 ms of CPU) queues instead of starving webhooks and
// runs.
var (
	bcryptLimit = max(1, runtime.GOMAXPROCS(0)/2)
	bcryptSlots = make(chan struct{}, bcryptLimit)
)

// bcryptBusy and bcryptPeak count hashes in progress (tests read the peak).
var bcryptBusy, bcryptPeak atomic.Int64

// withBcryptSlot runs f while holding one of bcryptSlots.
func withBcryptSlot(f func()) {
	bcryptSlots <- struct{}{}
	defer func() { <-bcryptSlots }()
	recordPeak(bcryptBusy.Add(1))
	defer bcryptBusy.Add(-1)
	f()
}

// recordPeak raises bcryptPeak to n when n is higher.
func recordPeak(n int64) {
	for {
		p := bcryptPeak.Load()
		if n <= p || bcryptPeak.CompareAndSwap(p, n) {
			return
		}
	}
}

func compareHash(hash, password string) (err error) {
	withBcryptSlot(func() { err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) })
	return err
}

func hashPassword(password string) (hash []byte, err error) {
	withBcryptSlot(func() { hash, err = bcrypt.GenerateFromPassword([]byte(password), bcryptCost) })
	return hash, err
}

// CountUsers returns the number of users (zero means first-run setup).
func CountUsers(db Tx) (int64, error) {
	var n int64
	if err := db.db.Model(&User{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// MaxSessionsPerUser bounds the sessions of one user: signing in once more
// ends the oldest, so a script signing in in a loop cannot grow the table.
const MaxSessionsPerUser = 20

// CreateSession signs userID in for ttl and returns the session token for
// the cookie. Only the token's SHA-256 is stored. Beyond
// MaxSessionsPerUser the oldest sessions of the user end.
func CreateSession(tx Tx, userID string, ttl time.Duration, now time.Time) (string, error) {
	token, err := randomToken()
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	now = now.UTC()
	s := Session{TokenHash: hashToken(token), UserID: userID, ExpiresAt: now.Add(ttl), CreatedAt: now}
	if err := tx.db.Create(&s).Error; err != nil {
		return "", fmt.Errorf("create session: %w", mapErr(err))
	}
	if err := dropOldSessions(tx, userID); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// dropOldSessions keeps the MaxSessionsPerUser newest sessions of userID.
func dropOldSessions(tx Tx, userID string) error {
	var old []string
	err := tx.db.Model(&Session{}).Where("user_id = ?", userID).Order("created_at DESC, token_hash").
		Offset(MaxSessionsPerUser).Limit(1000).Pluck("token_hash", &old).Error
	if err != nil || len(old) == 0 {
		return err
	}
	return tx.db.Where("token_hash IN ?", old).Delete(&Session{}).Error
}

// ErrUsersExist refuses first-run setup once anybody has an account.
var ErrUsersExist = errors.New("users exist")

// CreateFirstAdmin creates the first user, an admin, only while there are
// no users. On PostgreSQL it locks the users table until the transaction
// ends, so concurrent setups wait and then find the first admin (SQLite
// has one writer: no race there).
func CreateFirstAdmin(tx Tx, email, password string, now time.Time) (*User, error) {
	if err := tx.dl.lockTable(rawOf(tx), "users"); err != nil {
		return nil, fmt.Errorf("first admin: %w", err)
	}
	n, err := CountUsers(tx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, ErrUsersExist
	}
	return CreateUser(tx, email, password, now)
}

// SessionUser returns the user signed in with token. An unknown or expired
// session is ErrNotFound.
func SessionUser(db Tx, token string, now time.Time) (*User, error) {
	var u User
	err := db.db.Joins("JOIN sessions ON sessions.user_id = users.id").
		Where("sessions.token_hash = ? AND sessions.expires_at > ?", hashToken(token), now.UTC()).
		Take(&u).Error
	if err != nil {
		return nil, fmt.Errorf("session user: %w", mapErr(err))
	}
	return &u, nil
}

// DeleteSession signs the session out. An unknown token is not an error.
func DeleteSession(tx Tx, token string) error {
	if err := tx.db.Where("token_hash = ?", hashToken(token)).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that expired before now and
// returns how many.
func DeleteExpiredSessions(tx Tx, now time.Time) (int64, error) {
	res := tx.db.Where("expires_at <= ?", now.UTC()).Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// CreateAPIToken creates a named admin API token and returns its value,
// which is shown once: only its SHA-256 is stored.
func CreateAPIToken(tx Tx, name string, now time.Time) (string, *APIToken, error) {
	return CreateAPITokenWithRole(tx, name, RoleAdmin, now)
}

// APITokenByValue returns the API token with this value, or ErrNotFound.
// It does not write (db may be the read-only pool); call TouchAPIToken on
// the writer to record use.
func APITokenByValue(db Tx, token string, _ time.Time) (*APIToken, error) {
	if !strings.HasPrefix(token, APITokenPrefix) {
		return nil, fmt.Errorf("api token: %w", ErrNotFound)
	}
	var t APIToken
	if err := db.db.Where("token_hash = ?", hashToken(token)).Take(&t).Error; err != nil {
		return nil, fmt.Errorf("api token: %w", mapErr(err))
	}
	return &t, nil
}

// TokenNeedsTouch reports whether TouchAPIToken would record a use of t at
// now, so that callers can skip the write transaction most of the time.
func TokenNeedsTouch(t *APIToken, now time.Time) bool {
	return t.LastUsedAt == nil || !t.LastUsedAt.After(now.Add(-tokenTouchEvery))
}

// TouchAPIToken sets last_used_at to now, at most once a minute.
func TouchAPIToken(tx Tx, id string, now time.Time) error {
	now = now.UTC()
	err := tx.db.Model(&APIToken{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", id, now.Add(-tokenTouchEvery)).
		UpdateColumn("last_used_at", now).Error
	if err != nil {
		return fmt.Errorf("touch api token: %w", err)
	}
	return nil
}

// ListAPITokens returns every API token, newest first.
func ListAPITokens(db Tx) ([]APIToken, error) {
	var ts []APIToken
	if err := db.db.Order("created_at DESC, id").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return ts, nil
}

// DeleteAPIToken revokes the token with this id; a missing one is
// ErrNotFound.
func DeleteAPIToken(tx Tx, id string) error {
	res := tx.db.Where("id = ?", id).Delete(&APIToken{})
	if res.Error != nil {
		return fmt.Errorf("delete api token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete api token: %w", ErrNotFound)
	}
	return nil
}

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is the stored form of a session or API token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
