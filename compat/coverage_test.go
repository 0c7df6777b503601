package compat_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
)

// TestEveryOperationIsCalled checks that the tests of this package call
// every operation of the SDK's CPH client (all 52; the
// ...Invoker variants send the same requests): a new SDK operation, or a
// test that stops calling one, fails here.
func TestEveryOperationIsCalled(t *testing.T) {
	ops := map[string]bool{}
	typ := reflect.TypeOf(&cphsdk.CphClient{})
	for i := range typ.NumMethod() {
		if name := typ.Method(i).Name; !strings.HasSuffix(name, "Invoker") {
			ops[name] = false
		}
	}
	if len(ops) != 52 {
		t.Errorf("the SDK client has %d operations, the specification 52", len(ops))
	}
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if call, isCall := n.(*ast.CallExpr); isCall {
				if sel, isSel := call.Fun.(*ast.SelectorExpr); isSel {
					if _, isOp := ops[sel.Sel.Name]; isOp {
						ops[sel.Sel.Name] = true
					}
				}
			}
			return true
		})
	}
	var missing []string
	for name, called := range ops {
		if !called {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations never called through the SDK: %s", strings.Join(missing, ", "))
	}
}
