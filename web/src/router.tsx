// A tiny history router: the server answers every editor address with
// index.html, so the path is the page.
import { useEffect, useState } from 'react'

type Guard = () => boolean
let guard: Guard | null = null

/** Registers a check run before leaving the page (unsaved changes). */
export function setLeaveGuard(g: Guard | null) {
  guard = g
}

export function navigate(to: string) {
  if (to === location.pathname + location.search) return
  if (guard && !guard()) return
  history.pushState(null, '', to)
  dispatchEvent(new PopStateEvent('popstate'))
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname + location.search)
  useEffect(() => {
    const on = () => setPath(location.pathname + location.search)
    addEventListener('popstate', on)
    return () => removeEventListener('popstate', on)
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
