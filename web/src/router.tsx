// A tiny history router: the server answers every editor address with
// index.html, so the path is the page.
import { useEffect, useState } from 'react'

type Guard = () => boolean
let guard: Guard | null = null

/** Registers a check run before leaving the page (unsaved changes). */
export function setLeaveGuard(g: Guard | null) {
  guard = g
}

// current is the address the app shows; routeEvent tells usePath that it
// changed (after the leave guard agreed).
let current = location.pathname + location.search
const routeEvent = 'journey:route'

export function navigate(to: string) {
  if (to === location.pathname + location.search) return
  if (guard && !guard()) return
  history.pushState(null, '', to)
  current = to
  dispatchEvent(new Event(routeEvent))
}

/** Changes the address without a new history entry or a page change. */
export function replaceAddress(to: string) {
  history.replaceState(null, '', to)
  current = to
}

// The browser's Back and Forward buttons pass the same guard: when the
// user stays, the address of the page they are on is put back.
addEventListener('popstate', () => {
  const to = location.pathname + location.search
  if (to === current) return
  if (guard && !guard()) {
    history.pushState(null, '', current)
    return
  }
  current = to
  dispatchEvent(new Event(routeEvent))
})

export function usePath(): string {
  const [path, setPath] = useState(current)
  useEffect(() => {
    const on = () => setPath(current)
    addEventListener(routeEvent, on)
    return () => removeEventListener(routeEvent, on)
  }, [])
  return path
}

export function Link({ to, children, className, ...rest }: { to: string; children: React.ReactNode; className?: string } & React.AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a href={to} className={className} {...rest}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
        e.preventDefault()
        navigate(to)
      }}>
      {children}
    </a>
  )
}
