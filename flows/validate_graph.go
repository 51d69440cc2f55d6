package flows

import (
	"fmt"
	"slices"
)

// edgeKey identifies an edge for duplicate detection.
type edgeKey struct{ from, port, to string }

// checkEdges checks every edge and records, in Next, where each port leads.
func (v *validator) checkEdges() {
	seen := make(map[edgeKey]bool, len(v.f.Edges))
	for i, e := range v.f.Edges {
		fromIdx, fromOK := v.first[e.From]
		toIdx, toOK := v.first[e.To]
		if !fromOK {
			v.add(v.missingNode(i, e.From, "starts at"))
		}
		if !toOK {
			p := v.missingNode(i, e.To, "leads to")
			if fromOK {
				p.NodeID = e.From
			}
			v.add(p)
		}
		if !fromOK || !toOK {
			continue
		}
		from, to := v.nodes[fromIdx], v.nodes[toIdx]
		fromName := quoteValue(v.stepName(fromIdx))
		if to.Spec != nil && to.Spec.Trigger {
			v.add(Problem{Code: CodeTriggerInput, NodeID: e.From, Message: fmt.Sprintf(
				"The step %s leads into the trigger %s; a trigger starts the journey, so no step can lead into it.",
				fromName, quoteValue(v.stepName(toIdx)))})
		}
		port := e.PortName()
		// Without readable params the dynamic ports are unknown; the
		// params problem is already reported.
		if from.Spec != nil && (from.Spec.DynamicPorts == "" || from.Params != nil) {
			ports := v.ports(fromIdx)
			if !slices.Contains(ports, port) {
				v.add(v.missingPort(e, fromName, port, ports))
			}
		}
		k := edgeKey{e.From, port, e.To}
		if seen[k] {
			v.add(Problem{Code: CodeDuplicateEdge, NodeID: e.From, Message: fmt.Sprintf(
				"The step %s is joined to %s twice through its %q output; remove one of the two connections.",
				fromName, quoteValue(v.stepName(toIdx)), port)})
			continue
		}
		seen[k] = true
	}
}

func (v *validator) missingNode(i int, id, verb string) Problem {
	if id == "" {
		return Problem{Code: CodeMissingNode, Message: fmt.Sprintf("Connection number %d is missing the step it %s.", i+1, verb)}
	}
	return Problem{Code: CodeMissingNode, NodeID: id, Message: fmt.Sprintf(
		"Connection number %d %s the step %s, which does not exist.", i+1, verb, quoteValue(id))}
}

func (v *validator) missingPort(e Edge, fromName, port string, ports []string) Problem {
	p := Problem{Code: CodeMissingPort, NodeID: e.From}
	switch len(ports) {
	case 0:
		p.Message = fmt.Sprintf("The step %s has no outputs, so nothing can follow it; remove the connection to %s.", fromName, quoteValue(e.To))
	default:
		msg := fmt.Sprintf("The step %s has no output %q; its outputs are %s.", fromName, port, quoteList(ports))
		if len(ports) == 1 {
			msg = fmt.Sprintf("The step %s has no output %q; its only output is %q.", fromName, port, ports[0])
		}
		p.Message = msg
	}
	return p
}

// ports lists the output ports of the node at index i.
func (v *validator) ports(i int) []string { return v.nodes[i].Ports() }

// checkGraph checks for triggers, unreachable nodes and loops without a
// wait.
func (v *validator) checkGraph() {
	adj := v.adjacency()
	var triggers []int
	for i, cn := range v.nodes {
		if cn.Spec != nil && cn.Spec.Trigger && v.isFirst(i) {
			triggers = append(triggers, i)
		}
	}
	if len(triggers) == 0 {
		v.add(Problem{Code: CodeNoTrigger, Message: "The journey has no trigger, so no contact can ever enter it; add a trigger as its first step."})
	} else {
		v.checkReachable(adj, triggers)
	}
	v.checkCycles(adj)
}

// isFirst reports whether node i is the first node with its id.
func (v *validator) isFirst(i int) bool {
	id := v.f.Nodes[i].ID
	j, ok := v.first[id]
	return ok && j == i
}

// adjacency lists, per node index, the indexes its edges lead to (edges
// between existing nodes only, in edge order, without duplicates).
func (v *validator) adjacency() [][]int {
	adj := make([][]int, len(v.f.Nodes))
	for _, e := range v.f.Edges {
		from, ok1 := v.first[e.From]
		to, ok2 := v.first[e.To]
		if ok1 && ok2 && !slices.Contains(adj[from], to) {
			adj[from] = append(adj[from], to)
		}
	}
	return adj
}

func (v *validator) checkReachable(adj [][]int, triggers []int) {
	reached := make([]bool, len(adj))
	queue := slices.Clone(triggers)
	for _, t := range triggers {
		reached[t] = true
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range adj[i] {
			if !reached[j] {
				reached[j] = true
				queue = append(queue, j)
			}
		}
	}
	for i, cn := range v.nodes {
		if reached[i] || cn.Spec == nil || !v.isFirst(i) {
			continue
		}
		v.add(Problem{Code: CodeUnreachable, NodeID: cn.Node.ID, Message: fmt.Sprintf(
			"The step %s cannot be reached from any trigger, so it will never run; connect it or remove it.",
			quoteValue(v.stepName(i)))})
	}
}

// checkCycles reports every loop (strongly connected component) that has
// no node able to wait. Loops through nodes of unknown type are skipped.
func (v *validator) checkCycles(adj [][]int) {
	for _, comp := range stronglyConnected(adj) {
		if len(comp) == 1 && !slices.Contains(adj[comp[0]], comp[0]) {
			continue
		}
		slices.Sort(comp)
		waits, unknown := false, false
		for _, i := range comp {
			spec := v.nodes[i].Spec
			unknown = unknown || spec == nil
			waits = waits || (spec != nil && spec.Waits)
		}
		if waits || unknown {
			continue
		}
		first := v.nodes[comp[0]].Node
		if len(comp) == 1 {
			v.add(Problem{Code: CodeCycleWithoutWait, NodeID: first.ID, Message: fmt.Sprintf(
				"The step %s leads back to itself with no wait in between, so a contact would go round forever; add a wait to the loop.",
				quoteValue(v.stepName(comp[0])))})
			continue
		}
		names := make([]string, len(comp))
		for k, i := range comp {
			names[k] = v.stepName(i)
		}
		v.add(Problem{Code: CodeCycleWithoutWait, NodeID: first.ID, Message: fmt.Sprintf(
			"The steps %s form a loop with no wait in it, so a contact would go round forever; add a wait to the loop.",
			quoteList(names))})
	}
}

// stronglyConnected returns the strongly connected components of the graph
// (Tarjan's algorithm, iterative so deep graphs cannot exhaust the stack),
// in a deterministic order.
func stronglyConnected(adj [][]int) [][]int {
	n := len(adj)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var (
		stack []int
		comps [][]int
		next  int
	)
	type frame struct{ node, edge int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			top := &call[len(call)-1]
			u := top.node
			if top.edge < len(adj[u]) {
				w := adj[u][top.edge]
				top.edge++
				switch {
				case index[w] < 0:
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				case onStack[w]:
					low[u] = min(low[u], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				parent := call[len(call)-1].node
				low[parent] = min(low[parent], low[u])
			}
			if low[u] == index[u] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == u {
						break
					}
				}
				comps = append(comps, comp)
			}
		}
	}
	return comps
}
