package servicetest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// testAgents checks the agent protocol's service. Agents speak it through
// package agent, not through the Go client, so it runs against the
// in-process services only.
func testAgents(t *testing.T, env *Env) {
	svc, ok := env.Admin.S.(cph.AgentService)
	if !ok {
		t.Skip("this front end does not serve the agent protocol")
	}
	ctx := context.Background()
	db := env.ControlPlane.DB()

	secret, hash, err := iam.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEnrollmentToken(ctx, &sqlstore.EnrollmentToken{ID: cph.NewID(), ProjectID: env.ProjectID,
		SecretHash: hash, Description: "servicetest", CreatedBy: "servicetest", CreatedAt: time.Now()}, cph.MaxEnrollmentTokens); err != nil {
		t.Fatal(err)
	}

	t.Run("no agent", func(t *testing.T) {
		// A context without a caller, or with a user of the project, carries
		// no agent.
		for name, ctx := range map[string]context.Context{"no caller": ctx, "a user": env.Admin.Ctx} {
			_, err := svc.StartAgentSession(ctx, "test", nil)
			wantCode(t, name+": start session", err, agentproto.CodeUnauthorized)
			_, err = svc.PollAgent(ctx, cph.AgentPoll{SessionID: "s"})
			wantCode(t, name+": poll", err, agentproto.CodeUnauthorized)
			wantCode(t, name+": report phones", svc.ReportAgentPhones(ctx, "s", nil), agentproto.CodeUnauthorized)
			_, err = svc.ReportAgentResults(ctx, "s", []cph.AgentResult{{OperationID: "op"}})
			wantCode(t, name+": report results", err, agentproto.CodeUnauthorized)
			wantCode(t, name+": report result", svc.ReportAgentResult(ctx, "s", cph.AgentResult{OperationID: "op"}), agentproto.CodeUnauthorized)
			_, _, err = svc.OpenAgentObject(ctx, "bucket", "key")
			wantCode(t, name+": get object", err, agentproto.CodeUnauthorized)
			wantCode(t, name+": put object", svc.PutAgentObject(ctx, "bucket", "key", strings.NewReader("x")), agentproto.CodeUnauthorized)
		}
		for _, cred := range []string{"", "not-a-credential"} {
			_, err := svc.AuthenticateAgent(ctx, cred)
			wantCode(t, "authenticate "+cred, err, agentproto.CodeUnauthorized)
		}
	})

	t.Run("enrollment refusals", func(t *testing.T) {
		refusals(t, ctx, svc.EnrollAgent, []refusal[cph.EnrollAgentParams]{
			{"no token", cph.EnrollAgentParams{Name: "edge", Phones: 1, From: "192.0.2.1"}, agentproto.CodeUnauthorized},
			{"wrong token", cph.EnrollAgentParams{Token: "wrong", Name: "edge", Phones: 1, From: "192.0.2.1"}, agentproto.CodeUnauthorized},
			{"another project", cph.EnrollAgentParams{Token: secret, Project: OtherProject, Name: "edge", Phones: 1, From: "192.0.2.1"}, agentproto.CodeEnrollWrongProject},
			{"bad name", cph.EnrollAgentParams{Token: secret, Name: "edge 1", Phones: 1, From: "192.0.2.1"}, agentproto.CodeBadEnrollment},
			{"too many phones", cph.EnrollAgentParams{Token: secret, Name: "edge", Phones: 100000, From: "192.0.2.1"}, agentproto.CodeBadEnrollment},
		})
		// Failed enrollments from one address are throttled, then even
		// the right token is refused from there.
		var err error
		for range 20 {
			if _, err = svc.EnrollAgent(ctx, cph.EnrollAgentParams{Token: "wrong", Name: "edge", From: "192.0.2.99"}); code(err) != agentproto.CodeUnauthorized {
				break
			}
		}
		wantCode(t, "wrong tokens from one address", err, agentproto.CodeEnrollThrottled)
		if e := cph.AsError(err); e.RetryAfter <= 0 {
			t.Errorf("throttled enrollment without a RetryAfter: %v", err)
		}
		_, err = svc.EnrollAgent(ctx, cph.EnrollAgentParams{Token: secret, Name: "edge", From: "192.0.2.99"})
		wantCode(t, "right token from the throttled address", err, agentproto.CodeEnrollThrottled)
	})

	enr, err := svc.EnrollAgent(ctx, cph.EnrollAgentParams{Token: secret, Name: "edge-1", Phones: 2, Version: "test", From: "192.0.2.2"})
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if enr.Server.ProjectID != env.ProjectID || enr.Server.Name != "edge-1" || enr.Credential == "" {
		t.Fatalf("enrolled %+v", enr)
	}
	id, err := svc.AuthenticateAgent(ctx, enr.Credential)
	if err != nil {
		t.Fatalf("authenticate the enrolled agent: %v", err)
	}
	if id.Server.ID != enr.Server.ID {
		t.Fatalf("credential of server %s authenticates server %s", enr.Server.ID, id.Server.ID)
	}
	sess, err := svc.StartAgentSession(cph.NewAgentContext(ctx, id), "test", nil)
	if err != nil {
		t.Fatalf("start session: %v", err)
	}
	if sess.ServerID != enr.Server.ID || sess.ID == "" || len(sess.Phones) != 2 || sess.PollWait != svc.AgentSettings().PollWait {
		t.Fatalf("session %+v", sess)
	}
	for _, p := range sess.Phones {
		if p.ServerID != enr.Server.ID {
			t.Errorf("session of %s hands out phone %s of %s", enr.Server.ID, p.ID, p.ServerID)
		}
	}
	// The identity authenticated before the session started names no
	// session; a fresh one names the new session.
	if id, err = svc.AuthenticateAgent(ctx, enr.Credential); err != nil || id.SessionID != sess.ID {
		t.Fatalf("authenticate after the session started: %+v, %v", id, err)
	}
	actx := cph.NewAgentContext(ctx, id)

	t.Run("session", func(t *testing.T) {
		ops, err := svc.PollAgent(actx, cph.AgentPoll{SessionID: sess.ID, Wait: time.Millisecond})
		if err != nil || len(ops) != 0 {
			t.Errorf("poll of an idle server: %v, %v", ops, err)
		}
		_, err = svc.PollAgent(actx, cph.AgentPoll{SessionID: "old-session", Wait: time.Millisecond})
		wantCode(t, "poll of another session", err, agentproto.CodeSessionGone)
		wantCode(t, "phones of another session", svc.ReportAgentPhones(actx, "old-session", nil), agentproto.CodeSessionGone)
		if err := svc.ReportAgentPhones(actx, sess.ID, []cph.AgentPhoneState{{ID: sess.Phones[0].ID, State: "running"}}); err != nil {
			t.Errorf("report phones: %v", err)
		}
		wantCode(t, "too many phones", svc.ReportAgentPhones(actx, sess.ID, make([]cph.AgentPhoneState, agentproto.MaxPhoneStates+1)), cph.CodeInvalidParameter)
		wantCode(t, "result of an unclaimed operation", svc.ReportAgentResult(actx, sess.ID, cph.AgentResult{OperationID: cph.NewID(), Success: true}), agentproto.CodeNotClaimed)
		_, err = svc.ReportAgentResults(actx, sess.ID, nil)
		wantCode(t, "no results", err, cph.CodeInvalidParameter)
		_, err = svc.ReportAgentResults(actx, sess.ID, make([]cph.AgentResult, agentproto.MaxResults+1))
		wantCode(t, "too many results", err, cph.CodeInvalidParameter)
		errs, err := svc.ReportAgentResults(actx, sess.ID, []cph.AgentResult{{OperationID: cph.NewID(), Success: true}})
		if err != nil || len(errs) != 1 {
			t.Fatalf("results of an unclaimed operation: %v, %v", errs, err)
		}
		wantCode(t, "the one unclaimed result", errs[0], agentproto.CodeNotClaimed)
	})

	t.Run("objects", func(t *testing.T) {
		const mine, theirs = "agent-bucket", "their-bucket"
		for name, owner := range map[string]string{mine: env.ProjectID, theirs: "another-project"} {
			if err := db.Tx(ctx, func(tx *sqlstore.Tx) error { _, err := tx.ClaimBucket(ctx, name, owner); return err }); err != nil {
				t.Fatal(err)
			}
			if err := env.ControlPlane.Objects().CreateBucket(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.PutAgentObject(actx, mine, "export/data.tar", strings.NewReader("payload")); err != nil {
			t.Fatalf("put: %v", err)
		}
		rc, size, err := svc.OpenAgentObject(actx, mine, "export/data.tar")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(body) != "payload" || size != int64(len("payload")) {
			t.Errorf("get: %q (size %d), %v", body, size, err)
		}
		_, _, err = svc.OpenAgentObject(actx, mine, "no/such/key")
		wantCode(t, "get a missing key", err, agentproto.CodeNoSuchKey)
		wantCode(t, "put under an object", svc.PutAgentObject(actx, mine, "export/data.tar/x", strings.NewReader("x")), agentproto.CodeKeyConflict)
		// Buckets of other projects, and buckets of no project, look missing.
		for _, b := range []string{theirs, "nobodys-bucket"} {
			_, _, err = svc.OpenAgentObject(actx, b, "export/data.tar")
			wantCode(t, "get from "+b, err, agentproto.CodeNoSuchBucket)
			wantCode(t, "put into "+b, svc.PutAgentObject(actx, b, "k", strings.NewReader("x")), agentproto.CodeNoSuchBucket)
		}
	})
}
