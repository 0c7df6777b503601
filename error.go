package cph

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// CPH and gateway error codes used by OpenCPH. The CPS.0xxx and APIGW codes
// come from Huawei's documentation; CPS.9xxx are OpenCPH's own extensions for
// situations Huawei documents no code for (see docs/api.md).
const (
	CodeForbidden        = "CPS.0001"
	CodeInvalidPaging    = "CPS.0002"
	CodeInternal         = "CPS.0003"
	CodeInvalidPhoneID   = "CPS.0004"
	CodePhoneNotFound    = "CPS.0005"
	CodeEmptyPhoneList   = "CPS.0009"
	CodeInvalidStatus    = "CPS.0010"
	CodeInvalidServerID  = "CPS.0016"
	CodeInvalidImageID   = "CPS.0030"
	CodeStatusNotAllowed = "CPS.9001"
	CodeJobNotFound      = "CPS.9002"
	CodeInvalidRequestID = "CPS.9003"
	CodeJobFailed        = "CPS.9004"
	CodeTooManyItems     = "CPS.9010"
	CodeInvalidParameter = "CPS.9011"
	// CodeServerUnavailable refuses an item whose server's agent is offline.
	CodeServerUnavailable = "CPS.9012"
	// CodeAgentOffline fails a job whose server's agent went offline.
	CodeAgentOffline = "CPS.9013"

	CodeNoSuchAPI     = "APIGW.0101"
	CodeBadRequest    = "APIGW.0201"
	CodeUnauthorized  = "APIGW.0301"
	CodeNotAuthorized = "APIGW.0302"
)

// Error is an application error: an HTTP status, a machine-readable CPH
// error code and a message safe to show to the caller. Anything that is not
// an *Error reaching the API layer is reported as an internal error with a
// generic message, so internals never leak.
type Error struct {
	Status  int    // HTTP status, e.g. 400
	Code    string // e.g. "CPS.0002"
	Message string // e.g. "Parameter: offset or limit is invalid."
	// RetryAfter, if positive, tells the caller when to try again (the
	// Retry-After header of a 429 or 503).
	RetryAfter time.Duration
	// Err is the internal cause, for the log only: it is never sent to
	// the caller.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (%d): %s: %v", e.Code, e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given status and code and a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the CPH code of err if it is (or wraps) an *Error,
// and CodeInternal otherwise. A nil err has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error. Errors that are not (and do not wrap)
// an *Error become a 500 CPS.0003 with a generic message.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal()
}

// ErrInternal is the generic internal error (HTTP 500, CPS.0003).
func ErrInternal() *Error {
	return Errorf(http.StatusInternalServerError, CodeInternal, "Service internal error.")
}

// ErrInvalidPaging reports a bad offset or limit (HTTP 400, CPS.0002).
func ErrInvalidPaging() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidPaging, "Parameter: offset or limit is invalid.")
}

// ErrInvalidStatus reports a status filter outside its enumeration (HTTP 400, CPS.0010).
func ErrInvalidStatus() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidStatus, "Parameter: status is invalid.")
}

// ErrEmptyPhoneList reports a batch call without phones (HTTP 400, CPS.0009).
func ErrEmptyPhoneList() *Error {
	return Errorf(http.StatusBadRequest, CodeEmptyPhoneList, "Parameter: phone_id list is empty.")
}

// ErrTooManyItems reports a list over its maximum size (HTTP 400, CPS.9010).
func ErrTooManyItems(field string, max int) *Error {
	return Errorf(http.StatusBadRequest, CodeTooManyItems, "Parameter: too many items in %s (at most %d).", field, max)
}

// ErrInvalidParameter reports a field-level validation failure (HTTP 400, CPS.9011).
func ErrInvalidParameter(field string) *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidParameter, "Parameter: %s is invalid.", field)
}

// ErrPhoneNotFound reports an unknown phone in a path (HTTP 404, CPS.0005).
func ErrPhoneNotFound() *Error {
	return Errorf(http.StatusNotFound, CodePhoneNotFound, "Phone is not found.")
}

// ErrInvalidPhoneID reports a malformed phone ID in a path (HTTP 400, CPS.0004).
func ErrInvalidPhoneID() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidPhoneID, "Invalid phone id.")
}

// ErrServerNotFound reports an unknown or malformed server ID in a path (HTTP 404, CPS.0016).
func ErrServerNotFound() *Error {
	return Errorf(http.StatusNotFound, CodeInvalidServerID, "server_id is invalid.")
}

// ErrInvalidImage reports an unknown or unusable image (HTTP 400, CPS.0030).
func ErrInvalidImage() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidImageID, "Parameter: image_id is invalid.")
}

// ErrJobNotFound reports an unknown job (HTTP 404, CPS.9002).
func ErrJobNotFound() *Error {
	return Errorf(http.StatusNotFound, CodeJobNotFound, "Job is not found.")
}

// ErrInvalidRequestID reports a ListJobs call without usable request IDs (HTTP 400, CPS.9003).
func ErrInvalidRequestID() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidRequestID, "Parameter: request_id is invalid.")
}

// ErrMalformedBody reports an unparsable request body (HTTP 400, APIGW.0201).
func ErrMalformedBody() *Error {
	return Errorf(http.StatusBadRequest, CodeBadRequest, "API request error.")
}

// ErrForbidden reports an authenticated caller without permission (HTTP 403, CPS.0001).
func ErrForbidden() *Error {
	return Errorf(http.StatusForbidden, CodeForbidden, "No permission to request resources.")
}

// ErrUnauthenticated reports a call without valid credentials (HTTP 401, APIGW.0301).
func ErrUnauthenticated() *Error {
	return Errorf(http.StatusUnauthorized, CodeUnauthorized, "Incorrect IAM authentication information: x-auth-token not found")
}

// ErrNotAuthorized reports a call on a project the caller may not use (HTTP 403, APIGW.0302).
func ErrNotAuthorized() *Error {
	return Errorf(http.StatusForbidden, CodeNotAuthorized, "The IAM user is not authorized to access the API.")
}
