import { memo, useContext } from 'react'
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps } from '@xyflow/react'
import { CanvasActionsContext } from './actions'

export type AddEdgeData = { port: string; fromName: string; toName: string }
export type AddEdgeType = Edge<AddEdgeData, 'add'>

/** A connection with its path's name and a "+" that inserts a step in between. */
function AddEdgeImpl({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, label, markerEnd, style, data }: EdgeProps<AddEdgeType>) {
  const actions = useContext(CanvasActionsContext)
  const [path, x, y] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition })
  const port = data?.port ?? 'out'
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} style={style} />
      <EdgeLabelRenderer>
        <div className="edge-tools nodrag nopan" style={{ transform: `translate(-50%, -50%) translate(${x}px, ${y}px)` }}>
          {label && <span className="edge-label">{label}</span>}
          <button type="button" className="add-step" title="Insert a step here"
            aria-label={`Insert a step between “${data?.fromName ?? source}” and “${data?.toName ?? target}”`}
            onClick={(e) => actions?.openPicker({ kind: 'between', from: source, port, to: target }, e.currentTarget)}>+</button>
        </div>
      </EdgeLabelRenderer>
    </>
  )
}

export const AddEdge = memo(AddEdgeImpl)
