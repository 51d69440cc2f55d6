import { useEffect, useState } from 'react'
import { api, type FlowDetail, type FlowDoc } from '../api'
import { when } from '../format'
import { describeDiff, diffDocs } from './merge'

interface Props {
  theirs: FlowDetail
  /** The draft this editor opened, and what it has now. */
  base: FlowDoc
  mine: FlowDoc
  busy: boolean
  onMerge: () => void
  onOverwrite: () => void
  onCopy: () => void
  onCancel: () => void
}

/** Someone saved the journey after it was opened here: what they changed, and three ways on. */
export function ConflictDialog({ theirs, base, mine, busy, onMerge, onOverwrite, onCopy, onCancel }: Props) {
  // The other save may be the same person in another tab or window.
  const [me, setMe] = useState('')
  useEffect(() => {
    api<{ user?: { email: string } }>('/auth/me').then((r) => setMe(r.user?.email ?? ''), () => setMe(''))
  }, [])
  const mineToo = !!me && !!theirs.updated_by && me.toLowerCase() === theirs.updated_by.toLowerCase()
  const theirChanges = describeDiff(diffDocs(base, theirs.definition))
  const myChanges = describeDiff(diffDocs(base, mine))
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="conflict-title">
        <h2 id="conflict-title">{mineToo ? 'You saved this journey in another tab' : 'Someone else saved this journey'}</h2>
        <p>
          {mineToo
            ? `You saved it ${when(theirs.updated_at)} in another tab or window, after this one opened it.`
            : `${theirs.updated_by || 'Someone'} saved it ${when(theirs.updated_at)}, after you opened it.`} The changes made here are not saved yet;
          nothing is lost.
        </p>
        <h3>{mineToo ? 'What the other save changed' : 'What their save changed'}</h3>
        <ul data-testid="their-changes">{theirChanges.length ? theirChanges.map((c, i) => <li key={i}>{c}</li>) : <li>Nothing you can see on the canvas.</li>}</ul>
        <h3>Your changes</h3>
        <ul data-testid="my-changes">{myChanges.length ? myChanges.map((c, i) => <li key={i}>{c}</li>) : <li>None.</li>}</ul>
        <div className="modal-actions">
          <button type="button" className="primary" onClick={onMerge} disabled={busy} autoFocus>Keep theirs and reapply mine</button>
          <button type="button" onClick={onOverwrite} disabled={busy}>Overwrite with mine</button>
          <button type="button" onClick={onCopy} disabled={busy}>Copy mine as a new journey</button>
          <button type="button" className="link" onClick={onCancel} disabled={busy}>Decide later</button>
        </div>
        <p className="hint">“Keep theirs and reapply mine” puts your changes on top of theirs, step by step; where you both changed the same setting, theirs stays and you are told.</p>
      </div>
    </div>
  )
}
