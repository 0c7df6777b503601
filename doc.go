// Package cph holds the domain of OpenCPH: phones, servers, jobs, the IAM
// identities that own them, their status enumerations, and the Error type
// that carries a CPH error code and HTTP status to the API layer.
//
// The types double as the JSON wire format of the Huawei Cloud CPH API: their
// field tags are the exact field names of the API, so the HTTP server and the
// Go client share one definition. Fields that are internal to OpenCPH are
// tagged `json:"-"`.
//
// This package imports only the standard library.
package cph
