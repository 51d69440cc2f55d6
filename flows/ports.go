package flows

import "slices"

// Ports lists the node's output ports: its type's outputs plus, for types
// with dynamic ports, the name of each item of that list.
func (cn *CompiledNode) Ports() []string {
	ports := make([]string, 0, len(cn.Spec.Outputs))
	for _, o := range cn.Spec.Outputs {
		ports = append(ports, o.Name)
	}
	if cn.Spec.DynamicPorts == "" || cn.Params == nil {
		return ports
	}
	items, _ := cn.Params[cn.Spec.DynamicPorts].([]any)
	for _, item := range items {
		obj, _ := item.(map[string]any)
		if name, ok := obj["name"].(string); ok && name != "" && !slices.Contains(ports, name) {
			ports = append(ports, name)
		}
	}
	return ports
}
