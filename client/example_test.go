package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// This example logs in once and keeps the token in the default cache
// directory, so that later processes can work without the password.
func ExampleNew() {
	dir, err := client.DefaultCacheDir()
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(client.Config{
		Endpoint:   "http://127.0.0.1:8080",
		Domain:     "acme",
		User:       "alice",
		Password:   os.Getenv("CPH_PASSWORD"),
		Project:    "cn-north-4",
		TokenCache: client.FileTokenCache{Dir: dir},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.Login(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("project", tok.ProjectID, "token valid until", tok.ExpiresAt)
}

// This example lists the running phones of one server, 50 at a time.
func ExampleClient_ListPhones() {
	c, err := client.New(client.Config{
		Endpoint: "http://127.0.0.1:8080",
		Domain:   "acme",
		Password: os.Getenv("CPH_PASSWORD"),
		Project:  "cn-north-4",
	})
	if err != nil {
		log.Fatal(err)
	}
	running := cph.PhoneRunning
	list, err := c.ListPhones(context.Background(), client.ListPhonesOptions{
		ServerID: "5f0c2a9e7d4b4c1e8a3f6b2d9c0e1a47",
		Status:   &running,
		Limit:    new(50),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d running phones\n", len(list.Phones), list.Count)
	for _, p := range list.Phones {
		fmt.Println(p.ID, p.Name, p.Status)
	}
}

// This example is the CPH quick start: restart a phone and wait for its job.
func ExampleClient_RestartPhones() {
	ctx := context.Background()
	c, err := client.New(client.Config{
		Endpoint: "http://127.0.0.1:8080",
		Domain:   "acme",
		Password: os.Getenv("CPH_PASSWORD"),
		Project:  "cn-north-4",
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{
		Phones: []cph.PhoneRef{
			{PhoneID: "8c1e4b7a2f9d4e3a9b6c0d5e7f1a2b3c", Property: `{"sys.prop.writewifissid":"lab_wifi"}`},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, j := range res.Jobs {
		if j.ErrorCode != "" {
			fmt.Println("refused:", j.PhoneID, j.ErrorCode, j.ErrorMsg)
		}
	}
	jobs, err := c.WaitJobs(ctx, res.RequestID, client.WaitOptions{
		Progress: func(js []cph.Job) { fmt.Println(len(js), "jobs polled") },
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, j := range jobs {
		fmt.Println(j.PhoneID, j.Status)
	}
}

// This example tells an unknown phone from other failures by its CPH error
// code.
func ExampleAPIError() {
	c, err := client.New(client.Config{
		Endpoint: "http://127.0.0.1:8080",
		Domain:   "acme",
		Password: os.Getenv("CPH_PASSWORD"),
		Project:  "cn-north-4",
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.ShowPhone(context.Background(), "ffffffffffffffffffffffffffffffff")
	var apiErr *client.APIError
	switch {
	case cph.ErrorCode(err) == cph.CodePhoneNotFound:
		fmt.Println("no such phone")
	case errors.Is(err, client.ErrNotLoggedIn):
		fmt.Println("log in first")
	case errors.As(err, &apiErr):
		fmt.Println("HTTP", apiErr.StatusCode, apiErr.Code, apiErr.Message, "request", apiErr.RequestID)
	case err != nil:
		log.Fatal(err)
	}
}
