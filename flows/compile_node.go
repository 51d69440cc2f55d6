package flows

import "encoding/json"

// CompileNode validates and compiles one node on its own: its type and
// params, not its edges nor the rest of the flow. The editor previews a
// step being edited with it, while the journey around it is still a draft.
func CompileNode(n Node, cat Catalog) (*CompiledNode, []Problem) {
	f := &Flow{ID: "preview", Name: "Preview", Nodes: []Node{n}}
	v := newValidator(f, cat)
	v.checkNode(0)
	if len(v.problems) > 0 {
		NameProblems(f, cat, v.problems)
		for i := range v.problems {
			v.problems[i].Journey = "" // the step is shown alone
		}
		return nil, v.problems
	}
	cn := v.nodes[0]
	cn.paramsJSON, _ = json.Marshal(cn.Params)
	cn.Next = map[string][]string{}
	return cn, nil
}
