import type { User } from './api'
import { useSignIn } from './SignIn'

/**
 * Asks for the password again when the session ran out, over the page, so
 * nothing on screen is lost; the request that failed is then retried.
 */
export function SignInDialog({ email: known, onSignedIn, onSignOut }: { email: string; onSignedIn: (u: User) => void; onSignOut: () => void }) {
  const { email, setEmail, password, setPassword, error, busy, submit } = useSignIn('/auth/login', onSignedIn, known)

  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="reauth-title" onSubmit={submit}>
        <h2 id="reauth-title">Please sign in again</h2>
        <p>Your session ended. Sign in to carry on: your work on this page is kept, and what you were doing is done once you are back.</p>
        <div className="field">
          <label htmlFor="reauth-email">Email</label>
          <input id="reauth-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="reauth-password">Password</label>
          <input id="reauth-password" type="password" autoComplete="current-password" required autoFocus value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>Sign in</button>{' '}
        <button type="button" className="link" onClick={onSignOut}>Sign out instead</button>
      </form>
    </div>
  )
}
