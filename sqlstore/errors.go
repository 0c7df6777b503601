package sqlstore

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/opencph/opencph"
)

// ErrDuplicate is returned (wrapped) when a write would give two rows the
// same unique key (a name taken by a concurrent writer, for instance). Both
// engines report it the same way: callers translate it to their conflict
// error.
var ErrDuplicate = errors.New("sqlstore: duplicate key")

// ErrInvalidText is returned (wrapped) when a string to be stored holds a
// NUL byte or is not valid UTF-8. PostgreSQL cannot store such text, so
// neither engine accepts it; inputs are validated before they reach the
// store, and this is the last line. It is a *cph.Error, 400 APIGW.0201,
// so that such input reaching the store is refused as the caller's
// mistake rather than reported as an internal error.
var ErrInvalidText error = &cph.Error{Status: http.StatusBadRequest, Code: cph.CodeBadRequest,
	Message: "The request holds text with a NUL byte or invalid UTF-8."}

// ErrInvalidValue is returned (wrapped) when the database refuses a value
// for what it is (PostgreSQL's data exceptions, SQLSTATE class 22: a
// number out of range, text it cannot encode). IsInvalidData tells both
// this and ErrInvalidText apart from failures of the database itself.
var ErrInvalidValue = errors.New("sqlstore: value the database cannot store")

// IsInvalidData reports whether err is a refusal of the data written
// (ErrInvalidText, ErrInvalidValue): writing the same data again fails
// again.
func IsInvalidData(err error) bool {
	return errors.Is(err, ErrInvalidText) || errors.Is(err, ErrInvalidValue)
}

// ErrLimit is returned (wrapped) when an insert would take an owner past
// its limit (access keys of a user, tags of a server, members of an image).
var ErrLimit = errors.New("sqlstore: limit reached")

// dbError is a driver error classified as one of the errors above; it
// unwraps to both, so errors.Is finds the class and errors.As the
// driver's error.
type dbError struct {
	class error
	err   error
}

func (e *dbError) Error() string   { return e.class.Error() + ": " + e.err.Error() }
func (e *dbError) Unwrap() []error { return []error{e.class, e.err} }

// classify maps a driver's unique-key violation (PostgreSQL SQLSTATE
// 23505, SQLite SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY) to ErrDuplicate
// and PostgreSQL's data exceptions to ErrInvalidText or ErrInvalidValue.
// Other errors are returned as they are.
func classify(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return &dbError{class: ErrDuplicate, err: err}
		case pgErr.Code == "22021" || pgErr.Code == "22P05": // bad encoding, untranslatable character
			return &dbError{class: ErrInvalidText, err: err}
		case strings.HasPrefix(pgErr.Code, "22"):
			return &dbError{class: ErrInvalidValue, err: err}
		}
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &dbError{class: ErrDuplicate, err: err}
		}
	}
	return err
}

// checkArgs refuses string parameters that PostgreSQL could not store: a
// NUL byte or invalid UTF-8. SQLite would store them, so the check keeps
// both engines alike. Every column is TEXT or a number, so []byte
// parameters are text too.
func checkArgs(args []any) error {
	for i, a := range args {
		if v, ok := a.(driver.Valuer); ok {
			var err error
			if a, err = v.Value(); err != nil {
				continue // the driver reports it
			}
		}
		var ok bool
		switch v := a.(type) {
		case string:
			ok = cph.ValidText(v)
		case *string:
			ok = v == nil || cph.ValidText(*v)
		case []byte:
			ok = bytes.IndexByte(v, 0) < 0 && utf8.Valid(v)
		default:
			continue
		}
		if !ok {
			return fmt.Errorf("parameter $%d: %w", i+1, ErrInvalidText)
		}
	}
	return nil
}

// refusedRow is the row of a query that was not run because checkArgs
// refused a parameter (err). No stored row can hold such a value, so a
// read finds nothing: its error is also sql.ErrNoRows, and a lookup
// reports ErrNotFound as for any unknown name. A write reports err.
func refusedRow(query string, err error) *row {
	if isWrite(query) {
		return &row{err: err}
	}
	return &row{err: &dbError{class: err, err: sql.ErrNoRows}}
}

// row is a *sql.Row whose Scan reports refused parameters and classified
// driver errors.
type row struct {
	r   *sql.Row
	err error // set when the query was not run
}

// Scan is sql.Row.Scan.
func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return classify(r.r.Scan(dest...))
}

// Err is sql.Row.Err.
func (r *row) Err() error {
	if r.err != nil {
		return r.err
	}
	return classify(r.r.Err())
}
