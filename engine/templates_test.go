package engine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// sentAt is when a message left the outbox: its first event after any
// quiet-hours or frequency-cap delay (when it was first tried otherwise).
func sentAt(m storage.Message) time.Time {
	var history []storage.MessageEvent
	_ = json.Unmarshal([]byte(m.Events), &history)
	for _, ev := range history {
		if ev.Type != "delayed" {
			return ev.At
		}
	}
	return m.CreatedAt
}

// outbox returns every message as "+offset channel status to: text" (the
// email subject, the text otherwise), the offset from start to when it
// left the outbox, in that order, so a test reads like the contacts' inboxes.
func (b *testBundle) outbox(t *testing.T, start time.Time) []string {
	t.Helper()
	var ms []storage.Message
	if err := storagetest.Find(b.store.Reader(), &ms, storagetest.Query{Order: "created_at, to_address, channel"}); err != nil {
		t.Fatalf("messages: %v", err)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := sentAt(ms[i]), sentAt(ms[j])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return ms[i].To < ms[j].To
	})
	var out []string
	for _, m := range ms {
		text := m.BodyText
		if m.Channel == "email" {
			text = m.Subject
		}
		out = append(out, fmt.Sprintf("+%s %s %s %s: %s", sentAt(m).Sub(start), m.Channel, m.Status, m.To, text))
	}
	return out
}

// wantOutbox fails unless the outbox holds exactly want, in order.
func (b *testBundle) wantOutbox(t *testing.T, start time.Time, want ...string) {
	t.Helper()
	got := b.outbox(t, start)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outbox:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestTemplateWelcomeNoOpenSMS(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "welcome-no-open-sms.json"))
		opener := b.hook(t, "welcome-signup", map[string]any{"email": "ana@example.com", "name": "Ana Ruiz", "phone": "+34600111222"})
		b.drain(t)
		b.clock.Advance(time.Minute)
		silent := b.hook(t, "welcome-signup", map[string]any{"email": "bo@example.com", "name": "Bo Lind", "phone": "+46701234567"})
		b.drain(t)
		if len(opener) != 1 || len(silent) != 1 {
			t.Fatalf("runs started: %v %v, want one each", opener, silent)
		}
		b.wantOutbox(t, start,
			"+0s email sandboxed ana@example.com: Welcome, Ana!",
			"+1m0s email sandboxed bo@example.com: Welcome, Bo!")

		// Ana opens her email a day later: her journey ends, no SMS.
		b.clock.Advance(24 * time.Hour)
		b.simulate(t, opener[0], "email", "opened")
		b.drain(t)
		if r := b.run(t, opener[0]); r.Status != storage.RunCompleted {
			t.Fatalf("Ana's run = %s (%s), want completed after the open", r.Status, r.Error)
		}
		// Just before Bo's 48 hours are up, nothing more was sent.
		b.clock.Advance(24*time.Hour - time.Second)
		b.drain(t)
		if got := len(b.outbox(t, start)); got != 2 {
			t.Fatalf("%d messages before the 48 hours are up, want 2", got)
		}
		b.clock.Advance(time.Second) // exactly 48 hours after Bo's email
		b.drain(t)
		b.wantOutbox(t, start,
			"+0s email opened ana@example.com: Welcome, Ana!",
			"+1m0s email sandboxed bo@example.com: Welcome, Bo!",
			"+48h1m0s sms sandboxed +46701234567: Hi Bo, we sent you a welcome email with your first steps. Have a look when you can!")
		if r := b.run(t, silent[0]); r.Status != storage.RunCompleted {
			t.Fatalf("Bo's run = %s (%s), want completed after the SMS", r.Status, r.Error)
		}
	})
}

func TestTemplateChatLeadQualification(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "chat-lead-qualification.json"))

		hot := b.hook(t, "chat-finished", map[string]any{"email": "Ana.Silva@Example.com", "name": "ana silva",
			"phone": "+34 612 345 678", "company": "Acme", "score": 80, "transcript": "I want a demo"})
		cold := b.hook(t, "chat-finished", map[string]any{"email": "bo@example.com", "name": "Bo", "score": 20, "transcript": "just looking"})
		if len(hot) != 1 || len(cold) != 1 {
			t.Fatalf("want one run per webhook, got %v and %v", hot, cold)
		}
		b.drain(t)

		for _, id := range []string{hot[0], cold[0]} {
			if r := b.run(t, id); r.Status != storage.RunCompleted {
				t.Fatalf("run %s: status %s (error %q), want completed", id, r.Status, r.Error)
			}
		}
		if n := b.count(t, &storage.Deal{}, "stage = ?", "qualified"); n != 1 {
			t.Fatalf("qualified deals = %d, want 1", n)
		}
		if n := b.count(t, &storage.Task{}, "title = ?", "Call back within 1 hour"); n != 1 {
			t.Fatalf("call-back tasks = %d, want 1", n)
		}
		if n := b.count(t, &storage.Note{}, ""); n != 2 {
			t.Fatalf("notes = %d, want 2 (one transcript per chat)", n)
		}
		members, _, err := storage.ListMembers(b.store.Reader(), "nurture", 10, 0)
		if err != nil || len(members) != 1 {
			t.Fatalf("nurture members = %v (%v), want 1", members, err)
		}
		c, err := storage.FindContact(b.store.Reader(), storage.ContactRef{Email: "ana.silva@example.com"})
		if err != nil {
			t.Fatalf("contact with lower-cased email: %v", err)
		}
		if c.FirstName != "Ana" || c.LastName != "Silva" || c.Phone == nil || *c.Phone != "+34612345678" {
			t.Fatalf("contact not tidied: %+v", c)
		}
		steps, err := storage.RunSteps(b.store.Reader(), hot[0])
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, s := range steps {
			path = append(path, s.NodeID+":"+s.Port)
		}
		want := "chat_finished:out save_lead:out save_transcript:out is_hot:yes create_deal:out call_back:out notify_sales:out"
		if got := strings.Join(path, " "); got != want {
			t.Fatalf("steps = %s\nwant    %s", got, want)
		}

		// Sales hears about Ana on Slack; with no Slack account the post
		// is kept in the sandbox outbox. Bo, a cold lead, is not posted.
		b.wantOutbox(t, start,
			"+0s slack sandboxed #sales: New hot lead from the chat: Ana Silva (ana.silva@example.com), Acme, score 80. A deal and a call-back task are ready.")
		post := b.messages(t, hot[0])[0]
		if post.Provider != nodes.ProviderSandbox || post.ContactID == nil || *post.ContactID != c.ID ||
			post.NodeID != "notify_sales" || post.FlowID != "chat-lead-qualification" {
			t.Fatalf("the Slack post is %+v, want a sandbox post of notify_sales for Ana", post)
		}
		if !strings.Contains(post.Reason, "No Slack account is chosen") {
			t.Fatalf("the post's reason %q does not say why it was not sent", post.Reason)
		}
		if ms := b.messages(t, cold[0]); len(ms) != 0 {
			t.Fatalf("the cold lead's run recorded %d messages, want none", len(ms))
		}
		// A Slack post gets no delivery events to simulate.
		if _, err := b.ch.Simulate(b.ctx, b.eng, post.ID, "delivered"); err == nil || !strings.Contains(err.Error(), "nothing to simulate") {
			t.Fatalf("simulating a Slack post: %v, want a refusal saying there is nothing to simulate", err)
		}
	})
}

// tasks returns the titles of the tasks, oldest first, with their due time
// as an offset from start.
func (b *testBundle) tasks(t *testing.T, start time.Time) []string {
	t.Helper()
	var ts []storage.Task
	if err := storagetest.Find(b.store.Reader(), &ts, storagetest.Query{Order: "created_at, title"}); err != nil {
		t.Fatalf("tasks: %v", err)
	}
	var out []string
	for _, task := range ts {
		due := "no due date"
		if task.DueAt != nil {
			due = "due +" + task.DueAt.Sub(start).String()
		}
		out = append(out, task.Title+" ("+due+")")
	}
	return out
}

func TestTemplateUrgentOmnichannel(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "urgent-omnichannel.json"))
		urgent := func(email, name, phone string) string {
			runs := b.hook(t, "urgent-message", map[string]any{"email": email, "name": name, "phone": phone,
				"subject": "Your flight is delayed", "message": "your flight now leaves at 18:40."})
			if len(runs) != 1 {
				t.Fatalf("runs = %v, want one", runs)
			}
			b.drain(t)
			return runs[0]
		}
		// Ana reads WhatsApp: one message, nothing else.
		ana := urgent("ana@example.com", "Ana Ruiz", "+34600111222")
		b.simulate(t, ana, "whatsapp", "delivered")
		b.drain(t)
		// Bo has no phone: straight to email.
		bo := urgent("bo@example.com", "Bo Lind", "")
		b.simulate(t, bo, "email", "delivered")
		b.drain(t)
		// Cy's WhatsApp shows no receipt in 15 minutes, the SMS fails,
		// and the email bounces: the team gets a call task.
		cy := urgent("cy@example.com", "Cy Park", "+34600111333")
		b.clock.Advance(15 * time.Minute)
		b.drain(t)
		b.simulate(t, cy, "sms", "failed")
		b.drain(t)
		b.simulate(t, cy, "email", "bounced")
		b.drain(t)

		const text = "your flight now leaves at 18:40."
		b.wantOutbox(t, start,
			// Bo's skipped attempts, without an address.
			"+0s sms skipped : Hi Bo, "+text,
			"+0s whatsapp skipped : Hi Bo, "+text,
			"+0s whatsapp delivered +34600111222: Hi Ana, "+text,
			"+0s whatsapp sandboxed +34600111333: Hi Cy, "+text,
			"+0s email delivered bo@example.com: Urgent: Your flight is delayed",
			"+15m0s sms failed +34600111333: Hi Cy, "+text,
			"+15m0s email bounced cy@example.com: Urgent: Your flight is delayed")
		for _, id := range []string{ana, bo, cy} {
			if r := b.run(t, id); r.Status != storage.RunCompleted {
				t.Fatalf("run %s = %s (%s), want completed", id, r.Status, r.Error)
			}
		}
		if tags := b.tags(t); strings.Join(tags, ",") != "urgent-reached,urgent-reached" {
			t.Fatalf("tags = %v, want urgent-reached for Ana and Bo", tags)
		}
		if got, want := strings.Join(b.tasks(t, start), "; "), "Call Cy: urgent message not delivered (due +1h15m0s)"; got != want {
			t.Fatalf("tasks = %q, want %q", got, want)
		}
	})
}

func TestTemplateAbandonedCart(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "abandoned-cart.json"))
		abandon := func(email, phone string) string {
			res := b.event(t, engine.EventInput{Type: "cart.abandoned",
				Contact: storage.ContactRef{Email: email, Phone: phone},
				Data:    map[string]any{"product": "Trail shoes", "cart_url": "https://shop.example.com/cart/1"}})
			if len(res.Started) != 1 {
				t.Fatalf("runs = %v, want one", res.Started)
			}
			b.drain(t)
			return res.Started[0]
		}
		ana := abandon("ana@example.com", "+34600111222")
		bo := abandon("bo@example.com", "+34600111333")
		cy := abandon("cy@example.com", "+34600111444")
		// Ana clicks the email: nothing more for her.
		b.clock.Advance(2 * time.Hour)
		b.simulate(t, ana, "email", "clicked")
		b.drain(t)
		// A day after the email, Bo and Cy get the SMS offer.
		b.clock.Advance(22 * time.Hour)
		b.drain(t)
		// Bo orders; Cy does not and gets WhatsApp help a day later.
		b.clock.Advance(time.Hour)
		b.event(t, engine.EventInput{Type: "order.placed", Contact: storage.ContactRef{Email: "bo@example.com"}})
		b.drain(t)
		b.clock.Advance(23 * time.Hour)
		b.drain(t)

		const offer = "Take 10% off your Trail shoes with code COMEBACK10 today: https://shop.example.com/cart/1"
		b.wantOutbox(t, start,
			"+0s email clicked ana@example.com: Still thinking about Trail shoes?",
			"+0s email sandboxed bo@example.com: Still thinking about Trail shoes?",
			"+0s email sandboxed cy@example.com: Still thinking about Trail shoes?",
			"+24h0m0s sms sandboxed +34600111333: "+offer,
			"+24h0m0s sms sandboxed +34600111444: "+offer,
			"+48h0m0s whatsapp sandboxed +34600111444: Hi! Can we help you with your Trail shoes? Reply here with any question.")
		for _, id := range []string{ana, bo, cy} {
			if r := b.run(t, id); r.Status != storage.RunCompleted {
				t.Fatalf("run %s = %s (%s), want completed", id, r.Status, r.Error)
			}
		}
	})
}

func TestTemplateWebinarReminders(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now() // Monday 09:00 UTC
		b.publish(t, readTemplate(t, "webinar-reminders.json"))
		register := func(email, name, phone string) {
			runs := b.hook(t, "webinar-registration", map[string]any{"email": email, "name": name, "phone": phone,
				"webinar": "Journeys 101", "join_url": "https://meet.example.com/j101", "starts_at": "2026-03-05T16:00:00Z"})
			if len(runs) != 1 {
				t.Fatalf("runs = %v, want one", runs)
			}
			b.drain(t)
		}
		// Ana registers on Monday for the webinar on Thursday 16:00.
		register("ana@example.com", "Ana Ruiz", "+34600111222")
		b.clock.Advance(55*time.Hour - time.Second)
		b.drain(t)
		if n := len(b.outbox(t, start)); n != 1 {
			t.Fatalf("%d messages before Wednesday 16:00, want only the confirmation", n)
		}
		b.clock.Advance(time.Second) // Wednesday 16:00, a day before
		b.drain(t)
		// Bo registers on Thursday at 12:00: too late for the day-before email.
		b.clock.Advance(20 * time.Hour)
		register("bo@example.com", "Bo Lind", "+34600111333")
		b.clock.Advance(3 * time.Hour) // Thursday 15:00
		b.drain(t)
		b.clock.Advance(2 * time.Hour)
		b.drain(t)

		const sms = "Journeys 101 starts in one hour. Join: https://meet.example.com/j101"
		b.wantOutbox(t, start,
			"+0s email sandboxed ana@example.com: You're registered: Journeys 101",
			"+55h0m0s email sandboxed ana@example.com: Tomorrow: Journeys 101",
			"+75h0m0s email sandboxed bo@example.com: You're registered: Journeys 101",
			"+78h0m0s sms sandboxed +34600111222: "+sms,
			"+78h0m0s sms sandboxed +34600111333: "+sms)
		if n := b.count(t, &storage.Run{}, "status = ?", storage.RunCompleted); n != 2 {
			t.Fatalf("%d completed runs, want 2", n)
		}
	})
}

func TestTemplateSupportTicketFollowUp(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "support-ticket-follow-up.json"))
		request := func(email, name, subject string) {
			runs := b.hook(t, "support-request", map[string]any{"email": email, "name": name,
				"subject": subject, "message": "Please help."})
			if len(runs) != 1 {
				t.Fatalf("runs = %v, want one", runs)
			}
			b.drain(t)
		}
		request("ana@example.com", "Ana Ruiz", "Cannot log in")
		request("bo@example.com", "Bo Lind", "Invoice is wrong")
		// Ana's ticket is resolved the next day; Bo's never is.
		b.clock.Advance(26 * time.Hour)
		b.event(t, engine.EventInput{Type: "ticket.resolved", Contact: storage.ContactRef{Email: "ana@example.com"}})
		b.drain(t)
		b.clock.Advance(46 * time.Hour) // three days after the requests
		b.drain(t)

		b.wantOutbox(t, start,
			"+0s email sandboxed ana@example.com: We got your request: Cannot log in",
			"+0s email sandboxed bo@example.com: We got your request: Invoice is wrong",
			"+26h0m0s email sandboxed ana@example.com: Is your problem solved?")
		got := strings.Join(b.tasks(t, start), "; ")
		want := "Support: Cannot log in (due +4h0m0s); Support: Invoice is wrong (due +4h0m0s); Still open after 3 days: Invoice is wrong (due +73h0m0s)"
		if got != want {
			t.Fatalf("tasks = %q, want %q", got, want)
		}
		if n := b.count(t, &storage.Note{}, "body = ?", "Cannot log in: Please help."); n != 1 {
			t.Fatalf("%d notes with Ana's request, want 1", n)
		}
	})
}

func TestTemplateOnboardingMultichannel(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now() // Monday 09:00 UTC
		b.publish(t, readTemplate(t, "onboarding-multichannel.json"))
		// Monday 21:30 UTC, 22:30 in Madrid: inside quiet hours.
		b.clock.Advance(12*time.Hour + 30*time.Minute)
		signup := func(email, name, phone string) string {
			runs := b.hook(t, "onboarding-signup", map[string]any{"email": email, "name": name, "phone": phone, "time_zone": "Europe/Madrid"})
			if len(runs) != 1 {
				t.Fatalf("runs = %v, want one", runs)
			}
			b.drain(t)
			return runs[0]
		}
		signup("ana@example.com", "Ana Ruiz", "+34600111222")
		bo := signup("bo@example.com", "Bo Lind", "+34600111333")
		// Bo replies STOP to SMS before the coupon is due.
		boContact := b.run(t, bo).ContactID
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			return storage.SetConsent(tx, *boContact, "sms", false, b.clock.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		// Step through the week half an hour at a time, as the scheduler would.
		for range 5 * 48 {
			b.clock.Advance(30 * time.Minute)
			b.drain(t)
		}

		const coupon = ", here is 15% off your next order: WELCOME15"
		const quiz = "! Quick quiz: what do you want to do first? Reply 1 to import contacts, 2 to build a journey, 3 to invite your team."
		// The emails go out at once (quiet hours cover SMS and WhatsApp
		// only); Tuesday 22:30 Madrid is quiet, so the SMS waits for 08:00
		// Madrid (07:00 UTC, +46h).
		b.wantOutbox(t, start,
			"+12h30m0s email sandboxed ana@example.com: Welcome aboard, Ana!",
			"+12h30m0s email sandboxed bo@example.com: Welcome aboard, Bo!",
			// Bo refused SMS: skipped, not sent.
			"+36h30m0s sms skipped +34600111333: Bo"+coupon,
			"+46h0m0s sms sandboxed +34600111222: Ana"+coupon,
			// Ana's quiz two days after her SMS; Bo's, due Thursday 22:30
			// Madrid, waits for Friday 08:00 too.
			"+94h0m0s whatsapp sandboxed +34600111222: Hi Ana"+quiz,
			"+94h0m0s whatsapp sandboxed +34600111333: Hi Bo"+quiz)
	})
}

func TestTemplateProgressiveProfiling(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, readTemplate(t, "progressive-profiling.json"))
		chats := []map[string]any{
			{"email": "Ana@Example.com"},
			{"email": "ana@example.com", "name": "Ana Ruiz", "company": "Acme"},
			{"email": "bo@example.com", "name": "Bo Lind"},
			{"email": "ana@example.com", "phone": "+34 600 111 222", "role": "CTO", "budget": 5000},
			{"email": "ana@example.com", "company": "Acme Labs"},
		}
		for i, chat := range chats {
			if runs := b.hook(t, "chat-profile", chat); len(runs) != 1 {
				t.Fatalf("chat %d started %v, want one run", i, runs)
			}
			b.drain(t)
			if i == 1 && b.count(t, &storage.Deal{}, "") != 0 {
				t.Fatal("a deal after Ana's second chat, want none yet")
			}
		}
		if n := b.count(t, &storage.Run{}, "status = ?", storage.RunCompleted); n != 5 {
			t.Fatalf("%d completed runs, want 5", n)
		}
		var contacts []storage.Contact
		_ = storagetest.Find(b.store.Reader(), &contacts, storagetest.Query{Order: "email"})
		if len(contacts) != 2 {
			t.Fatalf("%d contacts, want Ana and Bo", len(contacts))
		}
		ana := contacts[0]
		var fields map[string]any
		_ = json.Unmarshal([]byte(ana.Fields), &fields)
		got := fmt.Sprintf("%s %s %s %v %v %v", ana.FirstName, ana.LastName, ana.Company, *ana.Phone, fields["role"], fields["chats"])
		if want := "Ana Ruiz Acme Labs +34600111222 CTO 4"; got != want {
			t.Fatalf("Ana's profile = %q, want %q (fields %v)", got, want, fields)
		}
		var deals []storage.Deal
		_ = storagetest.Find(b.store.Reader(), &deals, storagetest.Query{})
		if len(deals) != 1 || deals[0].ContactID != ana.ID || deals[0].Title != "Acme: Ana Ruiz (3 chats)" || deals[0].Value != 5000 {
			t.Fatalf("deals = %+v, want one for Ana after her third chat", deals)
		}
	})
}

// contactTags returns each contact's tags as "email: tag,tag", by email.
func (b *testBundle) contactTags(t *testing.T) []string {
	t.Helper()
	var cs []storage.Contact
	_ = storagetest.Find(b.store.Reader(), &cs, storagetest.Query{Order: "email"})
	var out []string
	for _, c := range cs {
		var tags []string
		_ = storagetest.Pluck(b.store.Reader(), &storage.ContactTag{}, "tag", &tags, storagetest.Query{Where: "contact_id = ?", Args: []any{c.ID}, Order: "tag"})
		out = append(out, *c.Email+": "+strings.Join(tags, ","))
	}
	return out
}

func TestTemplateWinBackInactive(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "win-back-inactive.json"))
		order := func(email string) {
			b.event(t, engine.EventInput{Type: "order.placed", Contact: storage.ContactRef{Email: email}})
			b.drain(t)
		}
		day := 24 * time.Hour
		order("ana@example.com")
		order("bo@example.com")
		order("cy@example.com")
		// Cy orders again after 30 days: no win-back 60 days after the first order.
		b.clock.Advance(30 * day)
		order("cy@example.com")
		b.clock.Advance(30 * day)
		b.drain(t)
		// Ana comes back a week after the email; Bo does not.
		b.clock.Advance(7 * day)
		order("ana@example.com")
		b.clock.Advance(7 * day)
		b.drain(t)

		subject := ": We miss you: 20% off your next order"
		b.wantOutbox(t, start,
			"+1440h0m0s email sandboxed ana@example.com"+subject,
			"+1440h0m0s email sandboxed bo@example.com"+subject)
		if got, want := strings.Join(b.contactTags(t), "; "), "ana@example.com: reactivated; bo@example.com: lapsed; cy@example.com: "; got != want {
			t.Fatalf("tags = %q, want %q", got, want)
		}
	})
}

func TestTemplateNurtureSequenceStopsAtADeal(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "nurture-sequence.json"))
		// The chat journey creates deals for hot leads: that is how Ana's
		// deal comes about, outside the nurture journey.
		b.publish(t, readTemplate(t, "chat-lead-qualification.json"))
		day := 24 * time.Hour
		form := func(email string) string {
			res := b.event(t, engine.EventInput{Type: "form.submitted", Contact: storage.ContactRef{Email: email},
				Data: map[string]any{"form": "guide-download"}})
			if len(res.Started) != 1 {
				t.Fatalf("runs = %v, want one", res.Started)
			}
			b.drain(t)
			return res.Started[0]
		}
		ana := form("ana@example.com")
		bo := form("bo@example.com")
		// Day 4: Ana, who got emails 1 and 2, chats with sales and scores
		// high: the chat journey opens a deal for her.
		b.clock.Advance(3 * day)
		b.drain(t)
		b.clock.Advance(day)
		if runs := b.hook(t, "chat-finished", map[string]any{"email": "ana@example.com", "name": "Ana Ruiz", "score": 80, "transcript": "I want a demo."}); len(runs) != 1 {
			t.Fatalf("chat runs = %v, want one", runs)
		}
		b.drain(t)
		if n := b.count(t, &storage.Deal{}, ""); n != 1 {
			t.Fatalf("%d deals after Ana's chat, want 1", n)
		}
		// Two weeks go by, a day at a time.
		for range 11 {
			b.clock.Advance(day)
			b.drain(t)
		}

		b.wantOutbox(t, start,
			"+0s email sandboxed ana@example.com: Here is your guide, there",
			"+0s email sandboxed bo@example.com: Here is your guide, there",
			"+72h0m0s email sandboxed ana@example.com: How Acme doubled its replies in a month",
			"+72h0m0s email sandboxed bo@example.com: How Acme doubled its replies in a month",
			// Sales hears about Ana's chat on day 4 (in the sandbox outbox).
			"+96h0m0s slack sandboxed #sales: New hot lead from the chat: Ana Ruiz (ana@example.com), company not given, score 80. A deal and a call-back task are ready.",
			// Ana has a deal since day 4: emails 3, 4 and 5 go to Bo only.
			"+144h0m0s email sandboxed bo@example.com: The one feature our customers use most",
			"+240h0m0s email sandboxed bo@example.com: Any questions so far?",
			"+336h0m0s email sandboxed bo@example.com: Last call: a free onboarding session")
		if r := b.run(t, ana); r.Status != storage.RunCompleted || r.Outcome != nodes.OutcomeConverted {
			t.Fatalf("Ana's run = %s/%s (%s), want completed as converted", r.Status, r.Outcome, r.Error)
		}
		if r := b.run(t, bo); r.Status != storage.RunCompleted || r.Outcome == nodes.OutcomeConverted {
			t.Fatalf("Bo's run = %s/%s (%s), want completed without converting", r.Status, r.Outcome, r.Error)
		}
	})
}

func TestTemplateReactivationOverContacts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		// Batches of two contacts, so a tick takes several jobs.
		b := setup(t, setupOpts{db: db, channels: true, scheduleBatch: 2})
		start := b.clock.Now() // Monday 09:00 UTC
		day := 24 * time.Hour
		event := func(typ, email string) {
			b.event(t, engine.EventInput{Type: typ, Contact: storage.ContactRef{Email: email}})
		}
		event("order.placed", "ana@example.com")
		event("order.placed", "bo@example.com")
		event("chat.finished", "cy@example.com")
		// Dee only ever got a delivery receipt: nothing she did.
		event("email.delivered", "dee@example.com")
		event("order.placed", "eve@example.com")
		b.publish(t, readTemplate(t, "reactivation.json"))
		// A second instance works the same database, as with PostgreSQL.
		other, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Clock: b.clock, WorkerID: "other",
			Channels: b.ch, ScheduleBatch: 2})
		if err != nil {
			t.Fatal(err)
		}
		drainBoth := func() {
			b.drain(t)
			if _, err := other.Drain(b.ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Each morning at 8:00, when the tick is due. Bo clicks an email on
		// day 60; Eve orders again on day 85.
		b.clock.Advance(-time.Hour)
		for d := 1; d <= 100; d++ {
			b.clock.Advance(day)
			switch d {
			case 60:
				event("email.clicked", "bo@example.com")
			case 85:
				event("order.placed", "eve@example.com")
			}
			drainBoth()
		}
		// Ana, Cy and Dee were last active on day 0 at 09:00: the 8:00
		// tick of day 90 is an hour short of 90 days, day 91's is not.
		subject := "e have something new for you"
		b.wantOutbox(t, start,
			"+2183h0m0s email sandboxed ana@example.com: W"+subject,
			"+2183h0m0s email sandboxed cy@example.com: W"+subject,
			"+2183h0m0s email sandboxed dee@example.com: W"+subject)
		if got, want := strings.Join(b.contactTags(t), "; "), "ana@example.com: win-back; bo@example.com: ; cy@example.com: win-back; dee@example.com: win-back; eve@example.com: "; got != want {
			t.Fatalf("tags = %q, want %q", got, want)
		}
		// Day 91 to 100: ten ticks, but each contact entered once (the
		// journey lets a contact in once every 90 days).
		if n := b.count(t, &storage.Run{}, ""); n != 3 {
			t.Fatalf("%d runs, want 3", n)
		}
	})
}

// Every shipped template has an end-to-end test here: a TestTemplate...
// function that reads it with readTemplate.
func TestEveryShippedTemplateHasAnEndToEndTest(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("templates_test.go")
	if err != nil {
		t.Fatal(err)
	}
	engineTest, err := os.ReadFile("engine_test.go")
	if err != nil {
		t.Fatal(err)
	}
	// The templates for a vendor (Salesforce, Zoho CRM, Klaviyo) run
	// against the vendor's contract mock through the server, with the
	// account connected as in Settings.
	vendorTest, err := os.ReadFile(filepath.Join("..", "server", "template_vendors_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "flows", "templates", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped templates found: %v", err)
	}
	for _, f := range files {
		read := fmt.Sprintf("readTemplate(t, %q)", filepath.Base(f))
		useVendor := fmt.Sprintf("shippedTemplate(t, %q)", strings.TrimSuffix(filepath.Base(f), ".json"))
		if !strings.Contains(string(src), read) && !strings.Contains(string(engineTest), read) && !strings.Contains(string(vendorTest), useVendor) {
			t.Errorf("the template %s has no end-to-end test (no %s in templates_test.go, nor %s in server/template_vendors_test.go)", filepath.Base(f), read, useVendor)
		}
	}
}
