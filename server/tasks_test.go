package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// TestTaskDone: the task a hot lead's journey made is checked off and
// opened again through PATCH /tasks/:id; checking off records when and a
// second check keeps the first time. Bad input gets a plain answer.
func TestTaskDone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := templateJSON(t, "chat-lead-qualification")
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+doc+`,"publish":true}`).must(t, http.StatusCreated)
	b.request(t, "POST", "/hooks/chat-finished", `{"email":"ada@example.com","name":"Ada","score":80}`).must(t, http.StatusAccepted)
	b.drain(t)
	type task struct {
		ID          string
		Done        bool
		CompletedAt *string `json:"completed_at"`
	}
	var list struct{ Tasks []task }
	b.api(t, "GET", "/api/v1/tasks", "").must(t, 200).json(t, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].Done || list.Tasks[0].CompletedAt != nil {
		t.Fatalf("tasks after a hot lead: %+v, want one open task", list.Tasks)
	}
	id := list.Tasks[0].ID
	// The crm.create_task step's key (run:node:visit) names its run.
	var runs struct{ Runs []struct{ ID string } }
	b.api(t, "GET", "/api/v1/runs?flow=chat-lead-qualification", "").must(t, 200).json(t, &runs)
	var stored storage.Task
	if err := storagetest.Take(b.store.Reader(), &stored, storagetest.Query{Select: "id, run_id", Where: "id = ?", Args: []any{id}}); err != nil {
		t.Fatal(err)
	}
	if len(runs.Runs) != 1 || stored.RunID == nil || *stored.RunID != runs.Runs[0].ID {
		t.Errorf("the task's run = %v, want the run that made it (%+v)", stored.RunID, runs.Runs)
	}

	var out struct{ Task task }
	b.api(t, "PATCH", "/api/v1/tasks/"+id, `{"done":true}`).must(t, 200).json(t, &out)
	if !out.Task.Done || out.Task.CompletedAt == nil {
		t.Fatalf("checked off: %+v, want done with a completion time", out.Task)
	}
	first := *out.Task.CompletedAt
	b.api(t, "PATCH", "/api/v1/tasks/"+id, `{"done":true}`).must(t, 200).json(t, &out)
	if out.Task.CompletedAt == nil || *out.Task.CompletedAt != first {
		t.Errorf("checked off twice: completed %v, want the first time %s", out.Task.CompletedAt, first)
	}
	b.api(t, "GET", "/api/v1/tasks?done=true", "").must(t, 200).json(t, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].ID != id || list.Tasks[0].CompletedAt == nil {
		t.Errorf("done tasks: %+v, want %s with its completion time", list.Tasks, id)
	}

	b.api(t, "PATCH", "/api/v1/tasks/"+id, `{"done":false}`).must(t, 200).json(t, &out)
	if out.Task.Done || out.Task.CompletedAt != nil {
		t.Errorf("opened again: %+v, want open with no completion time", out.Task)
	}

	if r := b.api(t, "PATCH", "/api/v1/tasks/"+id, `{}`).must(t, http.StatusBadRequest); !strings.Contains(r.body, `{\"done\": true}`) {
		t.Errorf("no done: %s", r.body)
	}
	if r := b.api(t, "PATCH", "/api/v1/tasks/"+id, `{"done":"yes"}`).must(t, http.StatusBadRequest); !strings.Contains(r.body, "done") {
		t.Errorf("done as text: %s", r.body)
	}
	b.api(t, "PATCH", "/api/v1/tasks/"+id, `{"done":true,"title":"x"}`).must(t, http.StatusBadRequest)
	if r := b.api(t, "PATCH", "/api/v1/tasks/nope", `{"done":true}`).must(t, http.StatusNotFound); !strings.Contains(r.body, `There is no task with id \"nope\"`) {
		t.Errorf("unknown task: %s", r.body)
	}
}
