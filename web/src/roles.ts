// The roles of users and API tokens (storage/roles.go), each with the
// sentence Settings shows so an administrator knows what they give.
export const roles = [
  { role: 'admin', title: 'Administrator', a: 'an administrator', sentence: 'Can do everything, including adding people, API tokens and connections.' },
  { role: 'editor', title: 'Editor', a: 'an editor', sentence: 'Can build, test and publish journeys and work with contacts and runs, but cannot manage people, API tokens or connections.' },
  { role: 'viewer', title: 'Viewer', a: 'a viewer', sentence: 'Can look at everything but change nothing.' },
] as const

/** "editor" -> "Editor"; an unknown role is shown as it is. */
export function roleTitle(role: string): string {
  return roles.find((r) => r.role === role)?.title ?? role
}

/** "editor" -> "an editor", for sentences. */
export function aRole(role: string): string {
  return roles.find((r) => r.role === role)?.a ?? role
}
