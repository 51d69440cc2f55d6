// The preview API: a message step rendered for a contact (or a sample
// one), and a test send to the signed-in user.
import { api, ApiError, isMissingRoute, type FlowNode, type Problem } from '../api'

export const messageTypes = ['message.email', 'message.sms', 'message.whatsapp', 'message.send']

/** Whether a step sends a message, and so has a preview. */
export function isMessage(type: string): boolean {
  return messageTypes.includes(type)
}

export interface PreviewRequest {
  flow_id: string
  node: Pick<FlowNode, 'id' | 'type' | 'params'>
  contact_id?: string
  trigger?: Record<string, unknown>
}

export interface Preview {
  channel: string
  to?: string
  from?: string
  subject?: string
  html?: string
  text?: string
  /** SMS: the parts it is sent in, whether it is Unicode (UCS-2), and the places a part holds. */
  segments?: number
  unicode?: boolean
  per_segment?: number
  problems?: Problem[]
}

export interface TestSend { message_id: string; to: string; sandbox: boolean }

export const fetchPreview = (req: PreviewRequest) => api<Preview>('/preview', { method: 'POST', json: req })
export const sendTest = (req: PreviewRequest) => api<TestSend>('/preview/send', { method: 'POST', json: req })

/** "no email account", "no SMS account"... for the sandbox sentence. */
export function noAccount(channel: string): string {
  switch (channel) {
    case 'email': return 'no email account'
    case 'sms': return 'no SMS account'
    case 'whatsapp': return 'no WhatsApp account'
    default: return 'no account'
  }
}

/** True when this server has no preview routes yet (404, or 405 from the page fallback). */
export function previewsMissing(e: unknown): boolean {
  return isMissingRoute(e) || (e instanceof ApiError && e.status === 405)
}
