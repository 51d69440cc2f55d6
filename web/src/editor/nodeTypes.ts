import { api, type TypeSpec } from '../api'

let cache: Promise<TypeSpec[]> | null = null

/** The node type declarations, loaded once per page. */
export function loadNodeTypes(): Promise<TypeSpec[]> {
  cache ??= api<{ node_types: TypeSpec[] }>('/node-types').then(
    (r) => r.node_types,
    (e) => { cache = null; throw e },
  )
  return cache
}
