// Package client is the Go SDK of OpenCPH: a typed HTTP client for the Cloud
// Phone Host API (/v1/{project_id}/cloud-phone/...) and the IAM token service
// (/v3/...) that cphd serves on one base URL.
//
// A Client logs in with a password (POST /v3/auth/tokens, scoped to one
// project), keeps the token in memory and, when a TokenCache is configured,
// on disk, and reuses it until five minutes before it expires. A call that
// is answered 401 with a reused token logs in again once and is retried
// once, if a password is configured.
//
// The request and response types are those of package cph, which double as
// the API's JSON wire format. Errors answered by the server are returned as
// *APIError, which unwraps to a *cph.Error, so cph.ErrorCode works on them:
//
//	c, err := client.New(client.Config{
//		Endpoint:   "http://127.0.0.1:8080",
//		Domain:     "acme",
//		Password:   os.Getenv("CPH_PASSWORD"),
//		Project:    "cn-north-4",
//		TokenCache: client.FileTokenCache{Dir: dir},
//	})
//	if err != nil {
//		return err
//	}
//	list, err := c.ListPhones(ctx, client.ListPhonesOptions{Limit: new(50)})
//	if err != nil {
//		return err
//	}
//	res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{
//		Phones: []cph.PhoneRef{{PhoneID: list.Phones[0].ID}},
//	})
//	if err != nil {
//		return err
//	}
//	jobs, err := c.WaitJobs(ctx, res.RequestID, client.WaitOptions{})
//
// Known limits: only password authentication is implemented (no AK/SK
// signing); ListAllPhones, ListAllServers and ListAllJobs page with
// offset/limit, so resources created while they page may be missed or
// listed once more than expected (duplicates are dropped by ID).
//
// This package imports only package cph and the standard library.
package client
