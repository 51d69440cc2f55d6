import { useState } from 'react'
import { api, type User } from './api'
import { minPassword, passwordRule } from './password'

/** The state of a sign-in form: what is typed, and submit (to /auth/login or /auth/setup). */
export function useSignIn(path: '/auth/login' | '/auth/setup', onSignedIn: (u: User) => void, knownEmail = '') {
  const [email, setEmail] = useState(knownEmail)
  const [password, setPassword] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)

  async function submit(e: React.FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      const r = await api<{ user: User }>(path, { method: 'POST', json: { email, password } })
      onSignedIn(r.user)
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return { email, setEmail, password, setPassword, error, busy, submit }
}

/** Sign-in, or the first-run screen that creates the administrator. */
export function SignIn({ setup, onSignedIn }: { setup: boolean; onSignedIn: (u: User) => void }) {
  const { email, setEmail, password, setPassword, error, busy, submit } = useSignIn(setup ? '/auth/setup' : '/auth/login', onSignedIn)

  return (
    <main className="signin" id="main">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">{setup ? 'Welcome! Create the first account' : 'Sign in to journey'}</h1>
        {setup && <p>This account will be the administrator. You can add tokens for other tools later in Settings.</p>}
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input id="password" type="password" autoComplete={setup ? 'new-password' : 'current-password'} required
            minLength={setup ? minPassword : undefined} value={password} onChange={(e) => setPassword(e.target.value)} />
          {setup && <p className="hint">{passwordRule}</p>}
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{setup ? 'Create account' : 'Sign in'}</button>
      </form>
    </main>
  )
}
