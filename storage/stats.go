package storage

// NodeStepCount is how many steps of one node ended with a status and a
// port, over a flow's runs.
type NodeStepCount struct {
	NodeID   string
	NodeType string
	Status   string
	Port     string
	N        int64
}

// NodeCount is a number per node (distinct runs).
type NodeCount struct {
	NodeID string
	N      int64
}

// FlowNodeStats holds the raw numbers behind the editor's per-node counts
// for the runs of one flow started since a time (test runs excluded).
type FlowNodeStats struct {
	// Steps counts step records by node, status and port.
	Steps []NodeStepCount
	// Entered counts the distinct runs that reached each node.
	Entered []NodeCount
	// Failed counts the distinct runs whose step at the node failed for good.
	Failed []NodeCount
	// Converted counts the distinct runs through each node that reached the goal.
	Converted []NodeCount
	// Waiting counts the runs waiting at each node now (delay or event wait).
	Waiting []NodeCount
	// ConvertedTotal and WaitingTotal count runs, not nodes.
	ConvertedTotal int64
	WaitingTotal   int64
}

// OutcomeConverted is the outcome of a run that reached its flow's goal.
const OutcomeConverted = "converted"
