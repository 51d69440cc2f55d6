import { lazy, Suspense, useEffect, useRef, useState } from 'react'
import { api, onSessionExpired, type User } from './api'
import { SignInDialog } from './SignInDialog'
import { Link, navigate, usePath } from './router'
import { SignIn } from './SignIn'
import { FlowsPage } from './FlowsPage'

// The canvas (React Flow) loads only when a journey is opened, so sign-in
// and lists stay light.
const EditorPage = lazy(() => import('./editor/EditorPage'))
const RunsPage = lazy(() => import('./RunsPage'))
const ResultsPage = lazy(() => import('./ResultsPage'))
const ContactsPage = lazy(() => import('./ContactsPage'))
const InboxPage = lazy(() => import('./InboxPage'))
const SettingsPage = lazy(() => import('./SettingsPage'))

type Auth = { state: 'loading' } | { state: 'out'; setup: boolean } | { state: 'in'; user: User }

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'loading' })
  const path = usePath()

  useEffect(() => {
    // On a fresh server nobody can be signed in: ask about setup first so
    // that the first visit makes no failing request.
    api<{ needed: boolean }>('/auth/setup').catch(() => ({ needed: false })).then((s) => {
      if (s.needed) return setAuth({ state: 'out', setup: true })
      api<{ user?: User }>('/auth/me').then(
        (r) => setAuth({ state: 'in', user: r.user ?? { id: '', email: 'API token', role: 'admin', created_at: '' } }),
        () => setAuth({ state: 'out', setup: false }),
      )
    })
  }, [])

  // A request that finds the session gone waits for this dialog; every
  // request that fails meanwhile waits for the same sign-in.
  const [expired, setExpired] = useState(false)
  const waiting = useRef<{ promise: Promise<void>; resolve: () => void } | null>(null)
  useEffect(() => {
    if (auth.state !== 'in') return
    onSessionExpired(() => {
      if (!waiting.current) {
        let resolve = () => {}
        const promise = new Promise<void>((r) => { resolve = r })
        waiting.current = { promise, resolve }
        setExpired(true)
      }
      return waiting.current.promise
    })
    return () => onSessionExpired(null)
  }, [auth.state])
  const signedInAgain = (user: User) => {
    setAuth({ state: 'in', user })
    setExpired(false)
    const w = waiting.current
    waiting.current = null
    w?.resolve()
  }

  if (auth.state === 'loading') return <p className="loading" role="status">Loading…</p>
  if (auth.state === 'out') return <SignIn setup={auth.setup} onSignedIn={(user) => setAuth({ state: 'in', user })} />

  const signOut = async () => {
    await api('/auth/logout', { method: 'POST' }).catch(() => {})
    setAuth({ state: 'out', setup: false })
    navigate('/')
  }
  const section = path.split('?')[0].split('/')[1] || 'flows'
  const nav: [string, string][] = [['flows', 'Journeys'], ['runs', 'Runs'], ['results', 'Results'], ['contacts', 'Contacts'], ['inbox', 'Inbox'], ['settings', 'Settings']]
  let page: React.ReactNode
  const m = /^\/flows\/([^/?]+)/.exec(path)
  if (m) page = <EditorPage key={m[1]} flowId={decodeURIComponent(m[1])} />
  else if (section === 'runs') page = <RunsPage path={path} />
  else if (section === 'results') page = <ResultsPage path={path} />
  else if (section === 'contacts') page = <ContactsPage path={path} />
  else if (section === 'inbox') page = <InboxPage />
  else if (section === 'settings') page = <SettingsPage user={auth.user} />
  else page = <FlowsPage />

  return (
    <div className="app">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand">journey</span>
        <nav aria-label="Main">
          {nav.map(([id, title]) => (
            <Link key={id} to={'/' + id} aria-current={section === id ? 'page' : undefined}>{title}</Link>
          ))}
        </nav>
        <span className="who">{auth.user.email}</span>
        <button type="button" className="link" onClick={signOut}>Sign out</button>
      </header>
      <main id="main">
        <Suspense fallback={<p className="loading" role="status">Loading…</p>}>{page}</Suspense>
      </main>
      {expired && <SignInDialog email={auth.user.email.includes('@') ? auth.user.email : ''} onSignedIn={signedInAgain}
        onSignOut={() => { setExpired(false); waiting.current = null; setAuth({ state: 'out', setup: false }) }} />}
    </div>
  )
}
