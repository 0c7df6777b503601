package cph_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph"
)

var reCode = regexp.MustCompile(`^((CPS|IAM|APIGW|AGENT)\.[0-9]{4}|CBC\.[0-9]{4}([0-9]{4})?)$`)

func TestErrorTable(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range cph.ErrorTable() {
		if !reCode.MatchString(d.Code) {
			t.Errorf("%q: not a code of the form CPS|IAM|APIGW.nnnn", d.Code)
		}
		if seen[d.Code] {
			t.Errorf("%s appears twice in the table", d.Code)
		}
		seen[d.Code] = true
		if d.Status < 400 || d.Status > 599 {
			t.Errorf("%s: status %d", d.Code, d.Status)
		}
		if strings.TrimSpace(d.Message) == "" || strings.Contains(d.Message, "%") {
			t.Errorf("%s: message %q is empty or a format", d.Code, d.Message)
		}
		if strings.TrimSpace(d.Meaning) == "" {
			t.Errorf("%s: no meaning", d.Code)
		}
		if d.Detail != "" && !strings.Contains(d.Detail, "%") {
			t.Errorf("%s: detail %q is not a format", d.Code, d.Detail)
		}
		if (len(d.Also) > 0) != (d.Why != "") {
			t.Errorf("%s: other statuses %v without a reason, or a reason without them", d.Code, d.Also)
		}
		for _, a := range d.Also {
			if a.Status < 400 || a.Status > 599 || a.Message == "" {
				t.Errorf("%s: other status %+v", d.Code, a)
			}
		}
		got, ok := cph.LookupError(d.Code)
		if !ok || got.Code != d.Code {
			t.Errorf("LookupError(%s) = %+v, %v", d.Code, got, ok)
		}
		if e := cph.E(d.Code); e.Status != d.Status || e.Code != d.Code || e.Message != d.Message {
			t.Errorf("E(%s) = %+v", d.Code, e)
		}
	}
	if e := cph.E(cph.CodeForbidden, "stray"); e.Message != "No permission to request resources." || e.Err == nil {
		t.Errorf("E with a detail its row has no format for = %+v", e)
	}
	if e := cph.E("CPS.0000"); e.Status != 500 || e.Code != cph.CodeInternal || e.Err == nil || strings.Contains(e.Message, "CPS.0000") {
		t.Errorf("E of an unknown code = %+v", e)
	}
}

// constructors are the exported error constructors of the package, called
// with sample arguments. TestErrorConstructors fails when error.go has one
// this list lacks.
var constructors = map[string]func() *cph.Error{
	"ErrInternal":                func() *cph.Error { return cph.ErrInternal() },
	"ErrBusy":                    func() *cph.Error { return cph.ErrBusy() },
	"ErrStarting":                func() *cph.Error { return cph.ErrStarting() },
	"ErrForbidden":               func() *cph.Error { return cph.ErrForbidden() },
	"ErrInvalidPaging":           func() *cph.Error { return cph.ErrInvalidPaging() },
	"ErrInvalidPhoneID":          func() *cph.Error { return cph.ErrInvalidPhoneID() },
	"ErrPhoneNotFound":           func() *cph.Error { return cph.ErrPhoneNotFound() },
	"ErrEmptyPhoneList":          func() *cph.Error { return cph.ErrEmptyPhoneList() },
	"ErrInvalidStatus":           func() *cph.Error { return cph.ErrInvalidStatus() },
	"ErrEmptyPathList":           func() *cph.Error { return cph.ErrEmptyPathList() },
	"ErrInvalidServerID":         func() *cph.Error { return cph.ErrInvalidServerID() },
	"ErrServerNotFound":          func() *cph.Error { return cph.ErrServerNotFound() },
	"ErrTicketInvalid":           func() *cph.Error { return cph.ErrTicketInvalid() },
	"ErrInvalidCount":            func() *cph.Error { return cph.ErrInvalidCount() },
	"ErrPhoneNameInvalid":        func() *cph.Error { return cph.ErrPhoneNameInvalid() },
	"ErrPhoneNameConflict":       func() *cph.Error { return cph.ErrPhoneNameConflict() },
	"ErrEmptyPhoneModel":         func() *cph.Error { return cph.ErrEmptyPhoneModel() },
	"ErrInvalidPhoneModel":       func() *cph.Error { return cph.ErrInvalidPhoneModel() },
	"ErrEmptyImageID":            func() *cph.Error { return cph.ErrEmptyImageID() },
	"ErrInvalidImage":            func() *cph.Error { return cph.ErrInvalidImage() },
	"ErrImageNotFound":           func() *cph.Error { return cph.ErrImageNotFound() },
	"ErrInvalidBandwidth":        func() *cph.Error { return cph.ErrInvalidBandwidth() },
	"ErrEmptyServerModel":        func() *cph.Error { return cph.ErrEmptyServerModel() },
	"ErrInvalidServerModel":      func() *cph.Error { return cph.ErrInvalidServerModel() },
	"ErrInvalidCommand":          func() *cph.Error { return cph.ErrInvalidCommand() },
	"ErrInvalidContent":          func() *cph.Error { return cph.ErrInvalidContent() },
	"ErrInvalidPackageName":      func() *cph.Error { return cph.ErrInvalidPackageName() },
	"ErrStatusNotAllowed":        func() *cph.Error { return cph.ErrStatusNotAllowed("a phone of the server is busy") },
	"ErrServerStatusNotAllowed":  func() *cph.Error { return cph.ErrServerStatusNotAllowed(cph.ServerAbnormal) },
	"ErrJobNotFound":             func() *cph.Error { return cph.ErrJobNotFound() },
	"ErrInvalidRequestID":        func() *cph.Error { return cph.ErrInvalidRequestID() },
	"ErrBandwidthNotFound":       func() *cph.Error { return cph.ErrBandwidthNotFound() },
	"ErrEncodeServerNotFound":    func() *cph.Error { return cph.ErrEncodeServerNotFound() },
	"ErrInvalidServerName":       func() *cph.Error { return cph.ErrInvalidServerName() },
	"ErrOperationNotAllowed":     func() *cph.Error { return cph.ErrOperationNotAllowed("the flavor has no shared storage") },
	"ErrNotAllowed":              func() *cph.Error { return cph.ErrNotAllowed("the image is in use.") },
	"ErrTooManyRequests":         func() *cph.Error { return cph.ErrTooManyRequests() },
	"ErrTooManyItems":            func() *cph.Error { return cph.ErrTooManyItems("phones", 100) },
	"ErrInvalidParameter":        func() *cph.Error { return cph.ErrInvalidParameter("type") },
	"ErrEnrollmentTokenNotFound": func() *cph.Error { return cph.ErrEnrollmentTokenNotFound() },
	"ErrPhoneNotRunning":         func() *cph.Error { return cph.ErrPhoneNotRunning(cph.PhoneStopped) },
	"ErrPhoneNoAnswer":           func() *cph.Error { return cph.ErrPhoneNoAnswer("no screenshot arrived within 10s.") },
	"ErrFaultNotFound":           func() *cph.Error { return cph.ErrFaultNotFound() },
	"ErrInvalidFault":            func() *cph.Error { return cph.ErrInvalidFault("effect is required.") },
	"ErrTooManyFaults":           func() *cph.Error { return cph.ErrTooManyFaults(100) },
	"ErrSnapshotNotFound":        func() *cph.Error { return cph.ErrSnapshotNotFound() },
	"ErrSnapshotExists":          func() *cph.Error { return cph.ErrSnapshotExists() },
	"ErrSnapshotSchema":          func() *cph.Error { return cph.ErrSnapshotSchema() },
	"ErrEventNotFound":           func() *cph.Error { return cph.ErrEventNotFound() },
	"ErrShareFilesystemNotFound": func() *cph.Error { return cph.ErrShareFilesystemNotFound() },
	"ErrNoSuchBucket":            func() *cph.Error { return cph.ErrNoSuchBucket() },
	"ErrNoSuchObject":            func() *cph.Error { return cph.ErrNoSuchObject() },
	"ErrObjectKeyConflict":       func() *cph.Error { return cph.ErrObjectKeyConflict() },
	"ErrIAMBadRequest":           func() *cph.Error { return cph.ErrIAMBadRequest("The password must have at least %d characters.", 8) },
	"ErrIAMUnauthenticated":      func() *cph.Error { return cph.ErrIAMUnauthenticated() },
	"ErrWrongCredentials":        func() *cph.Error { return cph.ErrWrongCredentials() },
	"ErrIAMForbidden":            func() *cph.Error { return cph.ErrIAMForbidden("manage this access key") },
	"ErrIAMNotFound":             func() *cph.Error { return cph.ErrIAMNotFound("user", "u1") },
	"ErrIAMConflict":             func() *cph.Error { return cph.ErrIAMConflict("A user named %q exists in this account.", "bob") },
	"ErrIAMMediaType":            func() *cph.Error { return cph.ErrIAMMediaType() },
	"ErrLoginThrottled":          func() *cph.Error { return cph.ErrLoginThrottled(1500 * time.Millisecond) },
	"ErrNoSuchAPI":               func() *cph.Error { return cph.ErrNoSuchAPI() },
	"ErrMethodNotAllowed":        func() *cph.Error { return cph.ErrMethodNotAllowed() },
	"ErrMalformedBody":           func() *cph.Error { return cph.ErrMalformedBody() },
	"ErrInvalidText":             func() *cph.Error { return cph.ErrInvalidText() },
	"ErrRequestTimeout":          func() *cph.Error { return cph.ErrRequestTimeout() },
	"ErrEntityTooLarge":          func() *cph.Error { return cph.ErrEntityTooLarge() },
	"ErrUnauthenticated":         func() *cph.Error { return cph.ErrUnauthenticated() },
	"ErrBadCredential":           func() *cph.Error { return cph.ErrBadCredential("decrypt token fail") },
	"ErrNotAuthorized":           func() *cph.Error { return cph.ErrNotAuthorized() },
	"ErrBSSInvalidParameter":     func() *cph.Error { return cph.ErrBSSInvalidParameter("resource_ids") },
	"ErrOrderNotFound":           func() *cph.Error { return cph.ErrOrderNotFound() },
	"ErrBSSAccessDenied":         func() *cph.Error { return cph.ErrBSSAccessDenied() },
	"ErrResourcesNotFound":       func() *cph.Error { return cph.ErrResourcesNotFound("s1") },
	"ErrResourcesBusy":           func() *cph.Error { return cph.ErrResourcesBusy("s1") },
}

func TestErrorConstructors(t *testing.T) {
	for name, f := range constructors {
		e := f()
		d, ok := cph.LookupError(e.Code)
		if !ok {
			t.Errorf("%s: code %q is not in the table", name, e.Code)
			continue
		}
		statuses := []int{d.Status}
		for _, a := range d.Also {
			statuses = append(statuses, a.Status)
		}
		if !slices.Contains(statuses, e.Status) {
			t.Errorf("%s: status %d, the table has %v for %s", name, e.Status, statuses, e.Code)
		}
		if e.Message == "" || strings.Contains(e.Message, "%!") || e.Err != nil {
			t.Errorf("%s: %+v", name, e)
		}
	}
	// Every exported function of the package that returns an *Error is
	// in the list above (the general ones aside).
	general := map[string]bool{"Errorf": true, "E": true, "Ef": true, "AsError": true}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || general[fn.Name.Name] ||
				fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
				continue
			}
			if star, ok := fn.Type.Results.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "Error" && constructors[fn.Name.Name] == nil {
					t.Errorf("%s: %s returns an *Error but is not in the constructors list of this test", name, fn.Name.Name)
				}
			}
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for _, c := range []struct {
		e            *cph.Error
		status       int
		code, prefix string
	}{
		{cph.ErrServerNotFound(), 404, "CPS.0016", "server_id is invalid."},
		{cph.ErrInvalidServerID(), 400, "CPS.0016", "server_id is invalid."},
		{cph.ErrImageNotFound(), 404, "CPS.0030", "Image is not found."},
		{cph.ErrInvalidImage(), 400, "CPS.0030", "Parameter: image_id is invalid."},
		{cph.ErrTooManyItems("phones", 100), 400, "CPS.9010", "Parameter: too many items in phones (at most 100)."},
		{cph.ErrNotAllowed("the image is in use."), 400, "CPS.9008", "Operation is not allowed for this resource: the image is in use."},
		{cph.ErrOperationNotAllowed(""), 400, "CPS.9008", "Operation is not allowed for this resource."},
		{cph.ErrServerStatusNotAllowed(cph.ServerAbnormal), 400, "CPS.9001", "Resource status does not allow this operation (server status 2)."},
		{cph.ErrIAMNotFound("user", "u1"), 404, "IAM.0404", "Could not find user: u1."},
		{cph.ErrLoginThrottled(1500 * time.Millisecond), 429, "IAM.0429", "Too many failed login attempts. Retry after 2 seconds."},
		{cph.ErrEntityTooLarge(), 413, "APIGW.0201", "Request entity too large."},
		{cph.ErrRequestTimeout(), 408, "APIGW.0201", "Request timeout: "},
		{cph.ErrStarting(), 503, "CPS.0003", "Service is starting."},
		{cph.ErrBusy(), 503, "CPS.0003", "The server is busy: "},
	} {
		if c.e.Status != c.status || c.e.Code != c.code || !strings.HasPrefix(c.e.Message, c.prefix) {
			t.Errorf("%+v, want %d %s %q", c.e, c.status, c.code, c.prefix)
		}
	}
	if code, msg := cph.Refuse(cph.CodePhoneNotFound); code != "CPS.0005" || msg != "Phone not found." {
		t.Errorf("Refuse(CPS.0005) = %s %q", code, msg)
	}
	if code, msg := cph.Refuse(cph.CodeServerUnavailable, "phone's server"); code != "CPS.9012" || msg != "The phone's server is unavailable." {
		t.Errorf("Refuse(CPS.9012) = %s %q", code, msg)
	}
}

// TestCodeConstants checks that every code constant of error.go has a
// row in the table, and every row a constant.
func TestCodeConstants(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{} // code -> constant
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				code, _ := strconv.Unquote(lit.Value)
				if !reCode.MatchString(code) {
					continue
				}
				if other, dup := consts[code]; dup {
					t.Errorf("%s is both %s and %s", code, other, vs.Names[i].Name)
				}
				consts[code] = vs.Names[i].Name
				if _, ok := cph.LookupError(code); !ok {
					t.Errorf("%s (%s) has no row in the error table", vs.Names[i].Name, code)
				}
			}
		}
	}
	for _, d := range cph.ErrorTable() {
		if consts[d.Code] == "" {
			t.Errorf("table row %s has no constant", d.Code)
		}
	}
}

// TestErrorDocs checks that the code table of docs/api.md lists every
// code of the error table with its statuses, and no other code.
func TestErrorDocs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Rows of the form "| `CODE` | 404 (also 400) | ... |".
	reRow := regexp.MustCompile("(?m)^\\| `((?:CPS|IAM|APIGW|AGENT)\\.[0-9]{4}|CBC\\.[0-9]{4}(?:[0-9]{4})?)` \\| ([0-9, ()a-z]+) \\|")
	docs := map[string]string{}
	for _, m := range reRow.FindAllStringSubmatch(string(b), -1) {
		if _, dup := docs[m[1]]; dup {
			t.Errorf("docs/api.md lists %s twice", m[1])
		}
		docs[m[1]] = m[2]
	}
	for _, d := range cph.ErrorTable() {
		want := strconv.Itoa(d.Status)
		var also []string
		for _, a := range d.Also {
			if s := strconv.Itoa(a.Status); s != want && !slices.Contains(also, s) {
				also = append(also, s)
			}
		}
		if len(also) > 0 {
			want += " (also " + strings.Join(also, ", ") + ")"
		}
		got, ok := docs[d.Code]
		if !ok {
			t.Errorf("docs/api.md: no row for %s; want | `%s` | %s | %s |", d.Code, d.Code, want, d.Meaning)
		} else if got != want {
			t.Errorf("docs/api.md: %s has status %q, the table %q", d.Code, got, want)
		}
		delete(docs, d.Code)
	}
	for code := range docs {
		t.Errorf("docs/api.md lists %s, which is not in the error table", code)
	}
}

// codeLiteralExceptions are the directories whose files may hold error
// codes as string literals. It is empty, and is to stay so.
var codeLiteralExceptions = []string{}

// TestNoCodeLiterals fails if a string literal that is an error code
// appears in a non-test Go file other than error.go: codes are used
// through their constants and constructors.
func TestNoCodeLiterals(t *testing.T) {
	root := moduleRoot(t)
	found := map[string][]string{} // file -> codes
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && reCode.MatchString(s) {
				found[rel] = append(found[rel], s+" at line "+strconv.Itoa(fset.Position(lit.Pos()).Line))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found["error.go"]) == 0 {
		t.Fatal("no code literal found in error.go: the walk is broken")
	}
	delete(found, "error.go")
	files := make([]string, 0, len(found))
	for f := range found {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		excepted := false
		for _, dir := range codeLiteralExceptions {
			excepted = excepted || strings.HasPrefix(f, dir)
		}
		if excepted {
			t.Logf("%s (excepted for now): %s", f, strings.Join(found[f], ", "))
		} else {
			t.Errorf("%s: error code literals %s; use the constants and constructors of error.go", f, strings.Join(found[f], ", "))
		}
	}
}

// moduleRoot returns the directory of go.mod, from the working directory up.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
