package cphtest_test

import (
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/cphtest"
)

// restartAll is a test of your own, named TestRestartAll in your
// _test.go file: it starts a stand-in OpenCPH, restarts every phone and
// checks that every job succeeded. (Package cphtest's TestExample runs
// it.)
func restartAll(t *testing.T) {
	srv := cphtest.New(t, cphtest.Options{Servers: 1, PhonesPerServer: 2})
	ctx := t.Context()
	c := srv.Client()
	list, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var phones []cph.PhoneRef
	for _, p := range list.Phones {
		phones = append(phones, cph.PhoneRef{PhoneID: p.ID})
	}
	res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: phones})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := srv.WaitJobs(ctx, res.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Status != cph.JobSucceeded {
			t.Errorf("restart of phone %s: %+v", j.PhoneID, j)
		}
	}
	// An SDK is configured with srv.Endpoint, srv.Region, srv.AK, srv.SK
	// and srv.ProjectID instead; plain HTTP sends srv.Token as
	// X-Auth-Token.
}

// This example is a test written with cphtest: the function above, run
// as a test. A Go example gets no *testing.T, so this one shows the test
// and has no output.
func Example() {
	// func TestRestartAll(t *testing.T) { restartAll(t) }
}
