// Package compat checks that the official Huawei Cloud Go SDK
// (github.com/huaweicloud/huaweicloud-sdk-go-v3, services/cph/v1) works
// against OpenCPH unchanged: it signs every request with an access key
// (SDK-HMAC-SHA256), looks up the project id through IAM, and parses every
// response and error.
//
// The tests start a real cphd, create an access key over the IAM API and
// call every one of the SDK client's 52 operations (TestEveryOperationIsCalled
// checks that none is left out), asserting the decoded answers, the state
// change a user would see, and the documented errors as the SDK's
// ServiceResponseError. The SDK talks to cphd through a proxy that also
// checks every exchange against the API's OpenAPI document.
//
// It is a module of its own so that the main module does not depend on the
// SDK. Run it with: cd compat && go test ./...
package compat
