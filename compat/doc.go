// Package compat checks that the official Huawei Cloud Go SDK
// (github.com/huaweicloud/huaweicloud-sdk-go-v3, services/cph/v1) works
// against OpenCPH unchanged: it signs every request with an access key
// (SDK-HMAC-SHA256), looks up the project id through IAM, and parses every
// response and error.
//
// It is a module of its own so that the main module does not depend on the
// SDK. Run it with: cd compat && go test ./...
package compat
